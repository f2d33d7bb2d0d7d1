"""The Study element of a trial's CDISC ODM 1.3.2 file: what its clinical data mean.

One StudyEventDef per REDCap-style event of the schedule (enrolment, baseline and each
time point of ``trial.toml`` for the first course and the re-treatment, unscheduled
visits, and the logs of infusions, adverse events, events and medications); one FormDef
and ItemGroupDef per table of the trial format; one ItemDef per column (with its
CodeList when the column allows only some values, its MeasurementUnit when it has a
unit). The ItemGroupDef ``Name`` is the table and the ItemDef ``Name`` the column, which
is how :mod:`myotrial.ingest.odm` reads a file back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from myotrial.domain import Kind, table
from myotrial.domain.columns import Column
from myotrial.domain.config import ENZYMES
from myotrial.domain.tables import VAS_COLUMNS
from myotrial.exchange.redcap.events import LOGS, UNSCHEDULED, Event, trial_events
from myotrial.trialdata import TABLES, TrialData

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ENROLMENT = "enrolment"
SETTINGS = "settings"
"""The reference item group carrying ``trial.toml``, one row per section."""
SETTING_ITEMS = ("section", "value")
LOG_TABLES: tuple[str, ...] = ("infusions", "adverse_events", "events", "medications")
DATA_TYPES: dict[Kind, str] = {
    Kind.TEXT: "text",
    Kind.NUMBER: "float",
    Kind.INTEGER: "integer",
    Kind.DATE: "date",
    Kind.BOOL: "boolean",
}


def q(name: str) -> str:
    """The qualified name of an ODM element."""
    return f"{{{ODM_NS}}}{name}"


def oid(*parts: str) -> str:
    """An OID from its parts (``IT.VISITS.CK``): letters, digits, ``.``, ``_``, ``-``."""
    return ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", p).upper() for p in parts)


def event_oid(name: str) -> str:
    """The StudyEventOID of an event (``SE.WEEK1``)."""
    return oid("SE", name)


def group_oid(name: str) -> str:
    """The ItemGroupOID (and, with F., the FormOID) of a table."""
    return oid("IG", name)


def form_oid(name: str) -> str:
    """The FormOID of a table."""
    return oid("F", name)


def item_oid(table_name: str, column: str) -> str:
    """The ItemOID of a column of a table."""
    return oid("IT", table_name, column)


@dataclass(frozen=True)
class Columns:
    """The columns each table carries in the file: the format's and the trial's extras."""

    by_table: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, trial: TrialData) -> Columns:
        """The trial's columns of each table in its order, then the format's others."""
        tables = {}
        for name in TABLES:
            held = tuple(str(c) for c in trial.table(name).columns)
            tables[name] = held + tuple(c for c in table(name).column_names if c not in held)
        tables[SETTINGS] = SETTING_ITEMS
        return cls(tables)


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, q(tag))
    translated = etree.SubElement(node, q("TranslatedText"))
    translated.set(f"{{{XML_NS}}}lang", "en")
    translated.text = text
    return node


def visit_events(trial: TrialData) -> list[Event]:
    """The events of the schedule that hold visits (baseline and time points, both
    courses, and unscheduled visits)."""
    return [e for e in trial_events(trial.config) if e.name != LOGS]


def study(trial: TrialData, study_oid: str, columns: Columns) -> etree._Element:
    """The ``Study`` element: global variables, units and the metadata version."""
    node = etree.Element(q("Study"), nsmap={None: ODM_NS}, OID=study_oid)
    variables = etree.SubElement(node, q("GlobalVariables"))
    etree.SubElement(variables, q("StudyName")).text = trial.config.name
    etree.SubElement(variables, q("StudyDescription")).text = trial.config.name
    etree.SubElement(variables, q("ProtocolName")).text = study_oid.removeprefix("ST.")
    units = _units(trial)
    if units:
        basic = etree.SubElement(node, q("BasicDefinitions"))
        for unit in units:
            unit_node = etree.SubElement(basic, q("MeasurementUnit"), OID=unit_oid(unit), Name=unit)
            _text(unit_node, "Symbol", unit)
    node.append(metadata_version(trial, columns, units))
    return node


def unit_oid(unit: str) -> str:
    """The MeasurementUnit OID of a unit (``MU.U_L``)."""
    return oid("MU", unit)


def column_unit(trial: TrialData, table_name: str, column: Column) -> str:
    """A column's unit: the format's, the trial's enzyme unit, or its VAS unit."""
    if table_name == "visits" and column.name in ENZYMES:
        return trial.config.unit(column.name)
    if table_name == "visits" and column.name.removesuffix("_uln") in ENZYMES:
        return trial.config.unit(column.name.removesuffix("_uln"))
    if table_name == "visits" and column.name in VAS_COLUMNS:
        return trial.config.vas_unit
    return column.unit


def _units(trial: TrialData) -> list[str]:
    units = {column_unit(trial, name, column) for name in TABLES for column in table(name).columns}
    return sorted(u for u in units if u)


def metadata_version(trial: TrialData, columns: Columns, units: list[str]) -> etree._Element:
    """``MetaDataVersion``: events, forms, item groups, items and code lists."""
    node = etree.Element(q("MetaDataVersion"), OID="MDV.1", Name="myotrial trial format")
    events = [
        Event(ENROLMENT, "Enrolment", 0, 0, 0, 0),
        *visit_events(trial),
        Event(LOGS, "Logs", 0, 0, 0, 0),
    ]
    protocol = etree.SubElement(node, q("Protocol"))
    for number, event in enumerate(events, start=1):
        etree.SubElement(
            protocol,
            q("StudyEventRef"),
            StudyEventOID=event_oid(event.name),
            OrderNumber=str(number),
            Mandatory="No",
        )
    for event in events:
        node.append(_event_def(event))
    for name in (*TABLES, SETTINGS):
        form = etree.SubElement(node, q("FormDef"), OID=form_oid(name), Name=name, Repeating="No")
        etree.SubElement(form, q("ItemGroupRef"), ItemGroupOID=group_oid(name), Mandatory="No")
    for name in (*TABLES, SETTINGS):
        node.append(_group_def(name, columns.by_table[name]))
    lists = []
    for name in (*TABLES, SETTINGS):
        for column_name in columns.by_table[name]:
            item, code_list = _item_def(trial, name, column_name)
            node.append(item)
            if code_list is not None:
                lists.append(code_list)
    node.extend(lists)
    return node


def _event_def(event: Event) -> etree._Element:
    repeating = "Yes" if event.name == UNSCHEDULED else "No"
    kind = "Common" if event.name in (ENROLMENT, LOGS) else "Scheduled"
    kind = "Unscheduled" if event.name == UNSCHEDULED else kind
    node = etree.Element(
        q("StudyEventDef"),
        OID=event_oid(event.name),
        Name=event.name,
        Repeating=repeating,
        Type=kind,
    )
    if event.course:
        _text(node, "Description", _window(event))
    forms = {ENROLMENT: ("patients",), LOGS: LOG_TABLES}.get(event.name, ("visits",))
    for form in forms:
        etree.SubElement(node, q("FormRef"), FormOID=form_oid(form), Mandatory="No")
    return node


def _window(event: Event) -> str:
    course = "first course" if event.course == 1 else "re-treatment course"
    if event.day == 0:
        return f"{event.label}: the last visit in the {event.before} days up to the {course}"
    window = f"window -{event.before}/+{event.after} days"
    return f"{event.label}: day {event.day} of the {course}, {window}"


def _group_def(name: str, columns: tuple[str, ...]) -> etree._Element:
    repeating = "No" if name == "patients" else "Yes"
    node = etree.Element(q("ItemGroupDef"), OID=group_oid(name), Name=name, Repeating=repeating)
    keys = table(name).key if name != SETTINGS else ("section",)
    for number, column in enumerate(columns, start=1):
        ref = etree.SubElement(
            node,
            q("ItemRef"),
            ItemOID=item_oid(name, column),
            OrderNumber=str(number),
            Mandatory="Yes" if column in keys else "No",
        )
        if column in keys:
            ref.set("KeySequence", str(keys.index(column) + 1))
    return node


def _item_def(
    trial: TrialData, table_name: str, column_name: str
) -> tuple[etree._Element, etree._Element | None]:
    column = table(table_name).column(column_name) if table_name in TABLES else None
    kind = DATA_TYPES[column.kind] if column is not None else "text"
    item = etree.Element(
        q("ItemDef"), OID=item_oid(table_name, column_name), Name=column_name, DataType=kind
    )
    if column is not None and column.meaning:
        _text(item, "Description", column.meaning)
    elif table_name == SETTINGS:
        meaning = "trial.toml section" if column_name == "section" else "its settings as JSON"
        _text(item, "Description", meaning)
    else:
        _text(item, "Description", "a column the trial format does not define, kept as text")
    if column is None:
        return item, None
    unit = column_unit(trial, table_name, column)
    if unit:
        etree.SubElement(item, q("MeasurementUnitRef"), MeasurementUnitOID=unit_oid(unit))
    if not column.allowed:
        return item, None
    list_oid = oid("CL", table_name, column_name)
    etree.SubElement(item, q("CodeListRef"), CodeListOID=list_oid)
    code_list = etree.Element(q("CodeList"), OID=list_oid, Name=column_name, DataType=kind)
    for value in column.allowed:
        etree.SubElement(code_list, q("EnumeratedItem"), CodedValue=value)
    return item, code_list
