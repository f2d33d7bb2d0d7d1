"""``define.xml``: the Define-XML 2.1 description of the datasets written beside it.

Written with lxml from the datasets themselves and the one metadata description
(:mod:`myotrial.exchange.cdisc.metadata`, :mod:`myotrial.exchange.cdisc.terminology`)
the builders use, so it describes exactly what was written: every dataset (class,
structure, keys, file), every variable (label, data type, length from the data, core as
``Mandatory``, origin, method of a derived value, codelist), value-level metadata per
test code or parameter (findings, TS, SUPP--, BDS) and the codelists with the values the
data hold and their NCI codes. The tests validate it against the Define-XML 2.1 schema.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from lxml import etree

from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.metadata import (
    ADAMIG_VERSION,
    DEFINE_NAME,
    DEFINE_VERSION,
    SDTMIG_VERSION,
    Variable,
    dataset_class,
    is_adam,
    value_codelist,
    value_level,
    variable,
)
from myotrial.exchange.cdisc.terminology import CODELISTS, CT_VERSION, Codelist
from myotrial.exchange.text import format_numbers
from myotrial.version import __version__

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
# Not codelists in Define-XML terms: ISO 8601 is the data type "date".
NOT_CODELISTS = frozenset({"ISO8601"})
SOURCES = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor",
           "Protocol": "Sponsor"}  # fmt: skip


def _odm(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    translated = etree.SubElement(element, _odm("TranslatedText"))
    translated.set(f"{{{XML_NS}}}lang", "en")
    translated.text = text
    return element


@dataclass(frozen=True)
class ItemType:
    """Define-XML data type, length and significant digits of a column."""

    data_type: str
    length: int | None = None
    digits: int | None = None
    display: str | None = None


def item_type(dataset: Dataset, name: str, values: pd.Series | None = None) -> ItemType:
    """The data type of ``name`` from its values (a subset of rows for value level)."""
    column = dataset.frame[name] if values is None else values
    if name in dataset.formats:
        return ItemType("integer", 8, display=dataset.formats[name])
    if column.dtype == object:
        text = column.dropna().astype(str)
        if name.endswith("DTC") and len(text) and text.str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all():
            return ItemType("date")
        longest = int(text.map(lambda v: len(v.encode("utf-8"))).max()) if len(text) else 0
        return ItemType("text", max(longest, 1))
    numbers = pd.to_numeric(column, errors="coerce").dropna()
    if len(numbers) == 0 or (numbers == numbers.round()).all():
        digits = format_numbers(numbers).str.lstrip("-").str.len()
        return ItemType("integer", max(int(digits.max()) if len(digits) else 1, 1))
    decimals = format_numbers(numbers).str.extract(r"\.(\d+)$")[0].str.len().fillna(0)
    return ItemType("float", 8, int(decimals.max()))


class _Builder:
    """Collects the elements of one MetaDataVersion in schema order."""

    def __init__(self, datasets: list[Dataset], file_format: str) -> None:
        self.datasets = datasets
        self.file_format = file_format
        self.adam = is_adam(datasets[0].name)
        self.groups: list[etree._Element] = []
        self.items: list[etree._Element] = []
        self.value_lists: list[etree._Element] = []
        self.where_clauses: list[etree._Element] = []
        self.methods: dict[str, str] = {}
        self.codelist_values: dict[str, dict[str, None]] = defaultdict(dict)
        self.codelist_types: dict[str, str] = {}

    def build(self) -> None:
        for dataset in self.datasets:
            self._dataset(dataset)

    def _dataset(self, dataset: Dataset) -> None:
        klass = dataset_class(dataset.name)
        group = etree.Element(_odm("ItemGroupDef"))
        domain = dataset.name[4:] if dataset.name.startswith("SUPP") else dataset.name
        attributes = {
            "OID": f"IG.{dataset.name}",
            "Name": dataset.name,
            "Repeating": "No" if klass.structure == "One record per subject" else "Yes",
            "IsReferenceData": "Yes" if klass.klass == "TRIAL DESIGN" else "No",
            "SASDatasetName": dataset.name,
            "Purpose": klass.purpose,
            _def("Structure"): klass.structure,
            _def("StandardOID"): "STD.IG",
            _def("ArchiveLocationID"): f"LF.{dataset.name}",
        }
        if not self.adam:
            attributes["Domain"] = domain
        for key, value in attributes.items():
            group.set(key, value)
        _text(group, _odm("Description"), dataset.label)
        keys = {name: i for i, name in enumerate(dataset.keys, start=1)}
        for order, name in enumerate(dataset.frame.columns, start=1):
            meta = variable(dataset.name, name)
            ref = etree.SubElement(group, _odm("ItemRef"))
            ref.set("ItemOID", f"IT.{dataset.name}.{name}")
            ref.set("OrderNumber", str(order))
            ref.set("Mandatory", "Yes" if meta.core == "Req" or name in keys else "No")
            if name in keys:
                ref.set("KeySequence", str(keys[name]))
            if meta.origin == "Derived" and meta.method:
                ref.set("MethodOID", self._method(dataset.name, name, meta.method))
            self._item(dataset, name, meta)
        cls = etree.SubElement(group, _def("Class"))
        cls.set("Name", klass.klass)
        if klass.subclass:
            etree.SubElement(cls, _def("SubClass")).set("Name", klass.subclass)
        leaf = etree.SubElement(group, _def("leaf"))
        leaf.set("ID", f"LF.{dataset.name}")
        href = f"{dataset.name.lower()}.{'json' if self.file_format == 'json' else 'xpt'}"
        leaf.set(f"{{{XLINK_NS}}}href", href)
        etree.SubElement(leaf, _def("title")).text = href
        self.groups.append(group)

    def _method(self, dataset: str, name: str, text: str) -> str:
        oid = f"MT.{dataset}.{name}"
        self.methods[oid] = text
        return oid

    def _item(
        self,
        dataset: Dataset,
        name: str,
        meta: Variable,
        oid: str | None = None,
        values: pd.Series | None = None,
        description: str | None = None,
        codelist: str | None = None,
    ) -> None:
        kind = item_type(dataset, name, values)
        item = etree.Element(_odm("ItemDef"))
        item.set("OID", oid or f"IT.{dataset.name}.{name}")
        item.set("Name", name)
        item.set("DataType", kind.data_type)
        if kind.length is not None:
            item.set("Length", str(kind.length))
        if kind.digits is not None:
            item.set("SignificantDigits", str(kind.digits))
        item.set("SASFieldName", name)
        if kind.display:
            item.set(_def("DisplayFormat"), kind.display)
        _text(item, _odm("Description"), description or dataset.labels.get(name, name))
        chosen = codelist if codelist is not None else meta.codelist
        column = dataset.frame[name] if values is None else values
        if chosen and chosen not in NOT_CODELISTS:
            etree.SubElement(item, _odm("CodeListRef")).set(
                "CodeListOID", self._codelist(chosen, kind.data_type, column)
            )
        self._origin(item, meta)
        if oid is None:
            self._value_list(dataset, name, meta, item)
        self.items.append(item)

    def _origin(self, item: etree._Element, meta: Variable) -> None:
        origin = etree.SubElement(item, _def("Origin"))
        origin.set("Type", meta.origin)
        if meta.origin == "Predecessor":
            _text(origin, _odm("Description"), meta.method)
        else:
            origin.set("Source", SOURCES[meta.origin])

    def _codelist(self, short: str, data_type: str, values: pd.Series) -> str:
        codelist = CODELISTS[short]
        oid = f"CL.{short}" if data_type == "text" else f"CL.{short}.{data_type}"
        self.codelist_types[oid] = data_type
        if not codelist.dictionary:
            present = values.dropna().astype(str)
            for value in present.loc[present.ne("")].unique():
                self.codelist_values[oid][str(value)] = None
        else:
            self.codelist_values.setdefault(oid, {})
        return oid

    def _value_list(
        self, dataset: Dataset, name: str, meta: Variable, parent: etree._Element
    ) -> None:
        """Value-level metadata of ``name``, one ItemDef per value of the where variable."""
        where = value_level(dataset.name, name)
        if where is None or where not in dataset.frame.columns:
            return
        key = dataset.frame[where].astype(str)
        vl = etree.Element(_def("ValueListDef"))
        vl.set("OID", f"VL.{dataset.name}.{name}")
        for order, value in enumerate(pd.unique(key), start=1):
            rows = key.eq(value)
            subset = dataset.frame.loc[rows, name]
            token = _token(value)
            clause = f"WC.{dataset.name}.{where}.{token}"
            item_oid = f"IT.{dataset.name}.{name}.{token}"
            ref = etree.SubElement(vl, _odm("ItemRef"))
            ref.set("ItemOID", item_oid)
            ref.set("OrderNumber", str(order))
            ref.set("Mandatory", "No")
            etree.SubElement(ref, _def("WhereClauseRef")).set("WhereClauseOID", clause)
            self._where(dataset.name, where, value, clause)
            self._item(
                dataset,
                name,
                meta,
                item_oid,
                subset,
                _value_description(dataset, name, rows, value),
                value_codelist(dataset.name, name, value) or "",
            )
        self.value_lists.append(vl)
        etree.SubElement(parent, _def("ValueListRef")).set("ValueListOID", vl.get("OID"))

    def _where(self, dataset: str, where: str, value: str, oid: str) -> None:
        if any(c.get("OID") == oid for c in self.where_clauses):
            return  # one clause serves every variable described by the same value
        clause = etree.Element(_def("WhereClauseDef"))
        clause.set("OID", oid)
        check = etree.SubElement(clause, _odm("RangeCheck"))
        check.set("SoftHard", "Soft")
        check.set(_def("ItemOID"), f"IT.{dataset}.{where}")
        check.set("Comparator", "EQ")
        etree.SubElement(check, _odm("CheckValue")).text = value
        self.where_clauses.append(clause)

    def codelists(self) -> list[etree._Element]:
        elements = []
        for oid in sorted(self.codelist_values):
            short = oid.split(".")[1]
            elements.append(
                _codelist_element(
                    CODELISTS[short], oid, self.codelist_types[oid], self.codelist_values[oid]
                )
            )
        return elements

    def method_elements(self) -> list[etree._Element]:
        elements = []
        for oid, text in self.methods.items():
            method = etree.Element(_odm("MethodDef"))
            method.set("OID", oid)
            method.set("Name", f"Derivation of {oid[3:]}")
            method.set("Type", "Computation")
            _text(method, _odm("Description"), text)
            elements.append(method)
        return elements


def _token(value: str) -> str:
    """An OID-safe form of a value (letters, digits, dots, dashes)."""
    return "".join(c if c.isalnum() else "_" for c in value) or "EMPTY"


def _value_description(dataset: Dataset, name: str, rows: pd.Series, value: str) -> str:
    frame = dataset.frame
    prefix = dataset.name[:2]
    unit_column = next(
        (c for c in (f"{prefix}ORRESU", f"{prefix}STRESU", "AVALU") if c in frame.columns), None
    )
    test_column = next(
        (c for c in (f"{prefix}TEST", "PARAM", "TSPARM", "QLABEL") if c in frame.columns), None
    )
    test = str(frame.loc[rows, test_column].iloc[0]) if test_column else value
    units = sorted({str(u) for u in frame.loc[rows, unit_column] if str(u)}) if unit_column else []
    return f"{test} ({', '.join(units)})" if units else test


def _codelist_element(
    codelist: Codelist, oid: str, data_type: str, values: dict[str, None]
) -> etree._Element:
    element = etree.Element(_odm("CodeList"))
    element.set("OID", oid)
    element.set("Name", codelist.name)
    element.set("DataType", data_type)
    if codelist.code:
        element.set(_def("StandardOID"), "STD.CT")
    elif not codelist.dictionary:
        element.set(_def("IsNonStandard"), "Yes")
    if codelist.dictionary:
        etree.SubElement(element, _odm("ExternalCodeList")).set("Dictionary", codelist.dictionary)
    else:
        held = {t.value: t for t in codelist.terms}
        ordered = [t.value for t in codelist.terms if t.value in values]
        ordered += [v for v in values if v not in held]
        for order, value in enumerate(ordered, start=1):
            item = etree.SubElement(element, _odm("EnumeratedItem"))
            item.set("CodedValue", value)
            item.set("OrderNumber", str(order))
            term = held.get(value)
            if codelist.code and (term is None or term.extended):
                item.set(_def("ExtendedValue"), "Yes")
            if term is not None and term.code:
                alias = etree.SubElement(item, _odm("Alias"))
                alias.set("Context", "nci:ExtCodeID")
                alias.set("Name", term.code)
    if codelist.code:
        alias = etree.SubElement(element, _odm("Alias"))
        alias.set("Context", "nci:ExtCodeID")
        alias.set("Name", codelist.code)
    return element


def define_xml(
    datasets: list[Dataset],
    study: str,
    study_name: str,
    file_format: str = "both",
    created: datetime | None = None,
) -> bytes:
    """The Define-XML 2.1 document describing ``datasets`` (all SDTM or all ADaM).

    Parameters
    ----------
    datasets
        The datasets written, as written.
    study
        STUDYID.
    study_name
        The trial's name (``[trial] name``), the study description.
    file_format
        ``xpt``, ``json`` or ``both``; the leaves point at the XPT files unless only
        Dataset-JSON was written.
    """
    builder = _Builder(datasets, file_format)
    builder.build()
    stamp = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    odm = etree.Element(_odm("ODM"), nsmap=NSMAP)
    standard = "ADaM" if builder.adam else "SDTM"
    for key, value in {
        "FileType": "Snapshot",
        "FileOID": f"{study}.DEFINE.{standard}",
        "ODMVersion": "1.3.2",
        "CreationDateTime": stamp,
        "Originator": "myotrial",
        "SourceSystem": "myotrial",
        "SourceSystemVersion": __version__,
        _def("Context"): "Submission",
    }.items():
        odm.set(key, value)
    study_element = etree.SubElement(odm, _odm("Study"))
    study_element.set("OID", study)
    variables = etree.SubElement(study_element, _odm("GlobalVariables"))
    etree.SubElement(variables, _odm("StudyName")).text = study
    etree.SubElement(variables, _odm("StudyDescription")).text = study_name
    etree.SubElement(variables, _odm("ProtocolName")).text = study
    version = etree.SubElement(study_element, _odm("MetaDataVersion"))
    version.set("OID", f"MDV.{study}.{standard}")  # as Dataset-JSON's metaDataVersionOID
    version.set("Name", f"{study} {standard}")
    version.set(_def("DefineVersion"), DEFINE_VERSION)
    version.append(_standards(builder.adam))
    for element in (
        *builder.value_lists,
        *builder.where_clauses,
        *builder.groups,
        *builder.items,
        *builder.codelists(),
        *builder.method_elements(),
    ):
        version.append(element)
    return bytes(etree.tostring(odm, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _standards(adam: bool) -> etree._Element:
    standards = etree.Element(_def("Standards"))
    ig = etree.SubElement(standards, _def("Standard"))
    name, version = ("ADaMIG", ADAMIG_VERSION) if adam else ("SDTMIG", SDTMIG_VERSION)
    for key, value in {
        "OID": "STD.IG",
        "Name": name,
        "Type": "IG",
        "Version": version,
        "Status": "Final",
    }.items():
        ig.set(key, value)
    ct = etree.SubElement(standards, _def("Standard"))
    for key, value in {
        "OID": "STD.CT",
        "Name": "CDISC/NCI",
        "Type": "CT",
        "PublishingSet": "SDTM",
        "Version": CT_VERSION,
        "Status": "Final",
    }.items():
        ct.set(key, value)
    return standards


def write_define(
    datasets: list[Dataset], folder: Path, study: str, study_name: str, file_format: str
) -> Path:
    """Write ``define.xml`` describing ``datasets`` into ``folder``."""
    path = folder / DEFINE_NAME
    path.write_bytes(define_xml(datasets, study, study_name, file_format))
    return path
