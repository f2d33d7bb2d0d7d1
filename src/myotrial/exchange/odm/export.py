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
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

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
from myotrial.ingest.writer import as_text
from myotrial.trialdata import PRODUCT_TABLES, TrialData
from myotrial.version import __version__

METADATA_VERSION = "MDV.1"
AUDIT_SUBJECT = "(trial)"
"""SubjectKey of audited changes that concern no patient (settings, donors, lots)."""
ACTIONS = {"insert": "Insert", "update": "Update", "delete": "Remove"}


def odm_document(
    trial: TrialData, audit: pd.DataFrame | None = None, created: dt.datetime | None = None
) -> etree._ElementTree:
    """The trial (and ``audit``, the trail of :meth:`TrialStore.audit`) as an ODM tree."""
    created = created or dt.datetime.now(dt.UTC)
    study_oid = oid("ST", study_id(trial))
    root = etree.Element(
        q("ODM"),
        nsmap={None: ODM_NS},
        FileType="Snapshot",
        FileOID=oid("ODM", study_id(trial), created.strftime("%Y%m%dT%H%M%S")),
        CreationDateTime=created.isoformat(timespec="seconds"),
        ODMVersion="1.3.2",
        Originator="myotrial",
        SourceSystem="myotrial",
        SourceSystemVersion=__version__,
    )
    columns = Columns.of(trial)
    root.append(study(trial, study_oid, columns))
    if audit is not None and not audit.empty:
        root.append(_admin(audit, study_oid))
    root.append(_reference(trial, study_oid, columns))
    root.append(_clinical(trial, study_oid, columns))
    if audit is not None and not audit.empty:
        root.append(_audit(audit, study_oid))
    return etree.ElementTree(root)


def write_odm(trial: TrialData, path: Path, audit: pd.DataFrame | None = None) -> Path:
    """Write the trial's ODM file to ``path`` (UTF-8 XML; its folder is created if
    absent); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    odm_document(trial, audit).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return path


Row = Mapping[Hashable, Any]
"""One record as text, column to value (``""`` for missing)."""


def _items(parent: etree._Element, table_name: str, row: Row) -> None:
    for column, value in row.items():
        if value != "":
            etree.SubElement(
                parent, q("ItemData"), ItemOID=item_oid(table_name, str(column)), Value=str(value)
            )


def _rows(trial: TrialData, table_name: str, columns: Columns) -> pd.DataFrame:
    frame = trial.table(table_name)
    wanted = [c for c in columns.by_table[table_name] if c in frame.columns]
    return as_text(frame[wanted])


def _group(parent: etree._Element, table_name: str, row: Row, key: int | None) -> etree._Element:
    node = etree.SubElement(parent, q("ItemGroupData"), ItemGroupOID=group_oid(table_name))
    if key is not None:
        node.set("ItemGroupRepeatKey", str(key))
    _items(node, table_name, row)
    return node


def _reference(trial: TrialData, study_oid: str, columns: Columns) -> etree._Element:
    node = etree.Element(
        q("ReferenceData"), StudyOID=study_oid, MetaDataVersionOID=METADATA_VERSION
    )
    settings = trial.config.to_dict()
    for number, (section, values) in enumerate(settings.items(), start=1):
        row: Row = {"section": section, "value": json.dumps(values, ensure_ascii=False)}
        _group(node, SETTINGS, row, number)
    for name in PRODUCT_TABLES:
        for number, row in enumerate(_rows(trial, name, columns).to_dict("records"), start=1):
            _group(node, name, row, number)
    return node


def _clinical(trial: TrialData, study_oid: str, columns: Columns) -> etree._Element:
    node = etree.Element(q("ClinicalData"), StudyOID=study_oid, MetaDataVersionOID=METADATA_VERSION)
    patients = _rows(trial, "patients", columns)
    visits = _rows(trial, "visits", columns)
    placed = place_visits(trial)
    visits["_event"] = placed["redcap_event_name"].str.removesuffix(ARM_SUFFIX)
    visits["_repeat"] = placed["redcap_repeat_instance"]
    visits["_patient"] = trial.visits["patient_id"].astype(str)
    by_patient = {p: v for p, v in visits.groupby("_patient", sort=False)}
    logs = {
        t: {p: rows for p, rows in _rows(trial, t, columns).groupby(trial.table(t)["patient_id"])}
        for t in LOG_TABLES
    }
    for row in patients.to_dict("records"):
        patient = row["patient_id"]
        subject = etree.SubElement(node, q("SubjectData"), SubjectKey=patient)
        _form(subject, ENROLMENT, "patients", [dict(row)], repeating=False)
        for record in by_patient.get(patient, visits.iloc[:0]).to_dict("records"):
            event = etree.SubElement(
                subject, q("StudyEventData"), StudyEventOID=event_oid(record.pop("_event"))
            )
            repeat = record.pop("_repeat")
            record.pop("_patient")
            if repeat:
                event.set("StudyEventRepeatKey", repeat)
            form = etree.SubElement(event, q("FormData"), FormOID=form_oid("visits"))
            _group(form, "visits", record, None)
        _logs(subject, patient, logs)
    return node


def _form(
    subject: etree._Element,
    event: str,
    table_name: str,
    rows: list[Row],
    repeating: bool,
) -> None:
    node = etree.SubElement(subject, q("StudyEventData"), StudyEventOID=event_oid(event))
    form = etree.SubElement(node, q("FormData"), FormOID=form_oid(table_name))
    for number, row in enumerate(rows, start=1):
        _group(form, table_name, row, number if repeating else None)


def _logs(subject: etree._Element, patient: str, logs: dict[str, dict[str, pd.DataFrame]]) -> None:
    held = [(t, logs[t][patient]) for t in LOG_TABLES if patient in logs[t]]
    if not held:
        return
    event = etree.SubElement(subject, q("StudyEventData"), StudyEventOID=event_oid(LOGS))
    for table_name, rows in held:
        form = etree.SubElement(event, q("FormData"), FormOID=form_oid(table_name))
        for number, row in enumerate(rows.to_dict("records"), start=1):
            _group(form, table_name, row, number)


def _user_oid(user: str) -> str:
    return oid("USR", user)


def _admin(audit: pd.DataFrame, study_oid: str) -> etree._Element:
    node = etree.Element(q("AdminData"))
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
    node = etree.Element(q("ClinicalData"), StudyOID=study_oid, MetaDataVersionOID=METADATA_VERSION)
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
