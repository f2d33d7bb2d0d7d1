"""Write a trial as one CDISC ODM 1.3.2 file: metadata, settings, clinical data, audit.

- ``Study`` (:mod:`myotrial.exchange.odm.metadata`): events, forms, item groups, items,
  code lists and measurement units;
- ``ReferenceData``: the settings of ``trial.toml`` (item group ``settings``, one row
  per section, its values as JSON: time points, units, ULNs and every other setting)
  and the cell-product record (donors, lots), which belongs to no patient;
- ``ClinicalData``: per patient (``SubjectData``) the enrolment record, each visit in
  the event of the schedule it falls in (as the REDCap export places it; unscheduled
  visits repeat), and the logs (infusions, adverse events, events, medications) as
  repeating item groups. A value is written as the trial folder writes it; a missing
  value is left out;
- with the audit trail, ``AdminData`` (one ``User`` per person in the trail) and a
  second, transactional ``ClinicalData`` holding one ``ItemGroupData`` per audited
  change with its ``AuditRecord`` (who, when, why, the import or correction id).

The file is checked against the ODM 1.3.2 schema in the tests.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from lxml import etree

from myotrial.exchange.cdisc.common import study_id
from myotrial.exchange.odm.metadata import (
    ENROLMENT,
    LOG_TABLES,
    ODM_NS,
    SETTINGS,
    Columns,
    event_oid,
    form_oid,
    group_oid,
    item_oid,
    oid,
    q,
    study,
)
from myotrial.exchange.redcap.events import ARM_SUFFIX, LOGS, place_visits
from myotrial.text import as_text
from myotrial.trialdata import PRODUCT_TABLES, TrialData
from myotrial.version import __version__

METADATA_VERSION = "MDV.1"
AUDIT_SUBJECT = "(trial)"
"""SubjectKey of audited changes that concern no patient (settings, donors, lots)."""
ACTIONS = {"insert": "Insert", "update": "Update", "delete": "Remove"}
NSMAP = {None: ODM_NS}
EVENT, FORM, ITEM_GROUP, ITEM = (
    q(n) for n in ("StudyEventData", "FormData", "ItemGroupData", "ItemData")
)


def write_odm(
    trial: TrialData,
    path: Path,
    audit: pd.DataFrame | None = None,
    created: dt.datetime | None = None,
) -> Path:
    """Write the trial (and ``audit``, the trail of :meth:`TrialStore.audit`) as one ODM
    1.3.2 file at ``path`` (UTF-8 XML; its folder is created if absent).

    The file is written as it is built, one patient at a time (``lxml.etree.xmlfile``),
    so a large trial is never held whole as XML.
    """
    created = created or dt.datetime.now(dt.UTC)
    study_oid = oid("ST", study_id(trial))
    columns = Columns.of(trial)
    trail = audit if audit is not None and not audit.empty else None
    header = {
        "FileType": "Snapshot",
        "FileOID": oid("ODM", study_id(trial), created.strftime("%Y%m%dT%H%M%S")),
        "CreationDateTime": created.isoformat(timespec="seconds"),
        "ODMVersion": "1.3.2",
        "Originator": "myotrial",
        "SourceSystem": "myotrial",
        "SourceSystemVersion": __version__,
    }
    data = {"StudyOID": study_oid, "MetaDataVersionOID": METADATA_VERSION}
    path.parent.mkdir(parents=True, exist_ok=True)
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(q("ODM"), header, nsmap={None: ODM_NS}):
            xf.write(study(trial, study_oid, columns), pretty_print=True)
            if trail is not None:
                xf.write(_admin(trail, study_oid), pretty_print=True)
            xf.write(_reference(trial, study_oid, columns), pretty_print=True)
            with xf.element(q("ClinicalData"), data):
                for subject in _subjects(trial, columns):
                    xf.write(subject, pretty_print=True)
            if trail is not None:
                xf.write(_audit(trail, study_oid), pretty_print=True)
    return path


Cells = list[tuple[str, str]]
"""One record's items: (ItemOID, value as the trial format writes it), missing left out."""


def _cells(trial: TrialData, table_name: str, columns: Columns) -> list[Cells]:
    """Every record of a table as its items, one pass over the table's text."""
    frame = trial.table(table_name)
    wanted = [c for c in columns.by_table[table_name] if c in frame.columns]
    oids = [item_oid(table_name, c) for c in wanted]
    text = as_text(frame[wanted])
    return [
        [(o, v) for o, v in zip(oids, values, strict=True) if v != ""]
        for values in text.itertuples(index=False, name=None)
    ]


def _by_patient(trial: TrialData, table_name: str, records: list[Cells]) -> dict[str, list[Cells]]:
    grouped: dict[str, list[Cells]] = {}
    for patient, record in zip(trial.table(table_name)["patient_id"], records, strict=True):
        grouped.setdefault(str(patient), []).append(record)
    return grouped


def _group(parent: etree._Element, table_name: str, cells: Cells, key: int | None) -> None:
    node = etree.SubElement(parent, ITEM_GROUP, ItemGroupOID=group_oid(table_name))
    if key is not None:
        node.set("ItemGroupRepeatKey", str(key))
    for item, value in cells:
        etree.SubElement(node, ITEM, ItemOID=item, Value=value)


def _reference(trial: TrialData, study_oid: str, columns: Columns) -> etree._Element:
    node = etree.Element(
        q("ReferenceData"), nsmap=NSMAP, StudyOID=study_oid, MetaDataVersionOID=METADATA_VERSION
    )
    section, value = (item_oid(SETTINGS, c) for c in ("section", "value"))
    for number, (name, values) in enumerate(trial.config.to_dict().items(), start=1):
        cells = [(section, name), (value, json.dumps(values, ensure_ascii=False))]
        _group(node, SETTINGS, cells, number)
    for name in PRODUCT_TABLES:
        for number, record in enumerate(_cells(trial, name, columns), start=1):
            _group(node, name, record, number)
    return node


def _subjects(trial: TrialData, columns: Columns) -> Iterator[etree._Element]:
    """Each patient's ``SubjectData``: enrolment, visits in their events, the logs."""
    placed = place_visits(trial)
    events = [event_oid(e) for e in placed["redcap_event_name"].str.removesuffix(ARM_SUFFIX)]
    visits = [
        (event, repeat, record)
        for event, repeat, record in zip(
            events, placed["redcap_repeat_instance"], _cells(trial, "visits", columns), strict=True
        )
    ]
    visits_of: dict[str, list[tuple[str, str, Cells]]] = {}
    for patient, visit in zip(trial.visits["patient_id"], visits, strict=True):
        visits_of.setdefault(str(patient), []).append(visit)
    logs = {t: _by_patient(trial, t, _cells(trial, t, columns)) for t in LOG_TABLES}
    patients = zip(trial.patients["patient_id"], _cells(trial, "patients", columns), strict=True)
    for patient, record in patients:
        subject = etree.Element(q("SubjectData"), nsmap=NSMAP, SubjectKey=str(patient))
        enrolment = etree.SubElement(subject, EVENT, StudyEventOID=event_oid(ENROLMENT))
        _group(
            etree.SubElement(enrolment, FORM, FormOID=form_oid("patients")),
            "patients",
            record,
            None,
        )
        for event, repeat, cells in visits_of.get(str(patient), []):
            visit = etree.SubElement(subject, EVENT, StudyEventOID=event)
            if repeat:
                visit.set("StudyEventRepeatKey", repeat)
            _group(etree.SubElement(visit, FORM, FormOID=form_oid("visits")), "visits", cells, None)
        _logs(subject, str(patient), logs)
        yield subject


def _logs(subject: etree._Element, patient: str, logs: dict[str, dict[str, list[Cells]]]) -> None:
    held = [(t, logs[t][patient]) for t in LOG_TABLES if patient in logs[t]]
    if not held:
        return
    event = etree.SubElement(subject, EVENT, StudyEventOID=event_oid(LOGS))
    for table_name, records in held:
        form = etree.SubElement(event, FORM, FormOID=form_oid(table_name))
        for number, cells in enumerate(records, start=1):
            _group(form, table_name, cells, number)


def _user_oid(user: str) -> str:
    return oid("USR", user)


def _admin(audit: pd.DataFrame, study_oid: str) -> etree._Element:
    node = etree.Element(q("AdminData"), nsmap=NSMAP)
    for user in sorted(set(audit["user"].astype(str))):
        person = etree.SubElement(node, q("User"), OID=_user_oid(user))
        etree.SubElement(person, q("LoginName")).text = user
    location = etree.SubElement(node, q("Location"), OID="LOC.STORE", Name="myotrial store")
    etree.SubElement(
        location,
        q("MetaDataVersionRef"),
        StudyOID=study_oid,
        MetaDataVersionOID=METADATA_VERSION,
        EffectiveDate=dt.date.today().isoformat(),
    )
    return node


def _audit(audit: pd.DataFrame, study_oid: str) -> etree._Element:
    """Every audited change as a transaction with its AuditRecord."""
    node = etree.Element(
        q("ClinicalData"), nsmap=NSMAP, StudyOID=study_oid, MetaDataVersionOID=METADATA_VERSION
    )
    for change in audit.to_dict("records"):
        patient = change["patient_id"] if isinstance(change["patient_id"], str) else None
        subject = etree.SubElement(
            node, q("SubjectData"), SubjectKey=patient or AUDIT_SUBJECT, TransactionType="Upsert"
        )
        table_name = str(change["table"])
        group_name = table_name if table_name != "trial" else SETTINGS
        where = ENROLMENT if table_name == "patients" else LOGS
        event = etree.SubElement(subject, q("StudyEventData"), StudyEventOID=event_oid(where))
        form = etree.SubElement(event, q("FormData"), FormOID=form_oid(group_name))
        group = etree.SubElement(
            form,
            q("ItemGroupData"),
            ItemGroupOID=group_oid(group_name),
            ItemGroupRepeatKey=str(change["key"]),
            TransactionType=ACTIONS.get(str(change["action"]), "Context"),
        )
        record = etree.SubElement(group, q("AuditRecord"))
        etree.SubElement(record, q("UserRef"), UserOID=_user_oid(str(change["user"])))
        etree.SubElement(record, q("LocationRef"), LocationOID="LOC.STORE")
        stamp = pd.Timestamp(change["changed_at"]).isoformat()
        etree.SubElement(record, q("DateTimeStamp")).text = stamp
        etree.SubElement(record, q("ReasonForChange")).text = str(change["reason"] or "")
        etree.SubElement(record, q("SourceID")).text = f"changeset {change['import_id']}"
        field = change["field"] if isinstance(change["field"], str) else None
        new = change["new_value"] if isinstance(change["new_value"], str) else None
        if field is not None:
            value = etree.SubElement(group, q("ItemData"), ItemOID=item_oid(group_name, field))
            if new is None:
                value.set("IsNull", "Yes")
            else:
                value.set("Value", new)
    return node
