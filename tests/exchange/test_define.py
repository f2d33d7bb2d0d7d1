"""define.xml: valid against the Define-XML 2.1 schema and true to the datasets beside it.

The schema is the one CDISC publishes, as shipped by the ``odmlib`` package
(``odmlib/schemas/define/2.1/define2-1-0.xsd``); lxml validates against it.
"""

from __future__ import annotations

import json
from pathlib import Path

import odmlib
import pandas as pd
import pyreadstat
import pytest
from lxml import etree

from myotrial.services.exchange import export_adam, export_sdtm
from myotrial.synthetic import make_pilot, make_registry
from myotrial.trialdata import TrialData

SCHEMA_FILE = Path(odmlib.__file__).parent / "schemas/define/2.1/define2-1-0.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def _trial(name: str) -> TrialData:
    return make_pilot() if name == "pilot" else make_registry(60, seed=21, n_sites=3)


@pytest.fixture(scope="module", params=["pilot", "registry"])
def sdtm_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(f"sdtm-{request.param}")
    export_sdtm(_trial(request.param), folder, "both")
    return folder


@pytest.fixture(scope="module", params=["pilot", "registry"])
def adam_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(f"adam-{request.param}")
    export_adam(_trial(request.param), folder, "both")
    return folder


def _valid(schema: etree.XMLSchema, path: Path) -> etree._Element:
    document = etree.parse(str(path))
    assert schema.validate(document), "\n".join(str(e) for e in schema.error_log)
    return document.getroot()


def test_sdtm_define_is_valid_define_xml_2_1(schema: etree.XMLSchema, sdtm_folder: Path) -> None:
    root = _valid(schema, sdtm_folder / "define.xml")
    version = root.find(".//odm:MetaDataVersion", NS)
    assert version is not None
    assert version.get("{http://www.cdisc.org/ns/def/v2.1}DefineVersion") == "2.1.0"
    standard = root.find(".//def:Standard[@Type='IG']", NS)
    assert standard is not None
    assert (standard.get("Name"), standard.get("Version")) == ("SDTMIG", "3.4")


def test_adam_define_is_valid_define_xml_2_1(schema: etree.XMLSchema, adam_folder: Path) -> None:
    root = _valid(schema, adam_folder / "define.xml")
    standard = root.find(".//def:Standard[@Type='IG']", NS)
    assert standard is not None
    assert (standard.get("Name"), standard.get("Version")) == ("ADaMIG", "1.3")
    adtte = root.find(".//odm:ItemGroupDef[@Name='ADTTE']/def:Class/def:SubClass", NS)
    assert adtte is not None and adtte.get("Name") == "TIME-TO-EVENT"


def _groups(root: etree._Element) -> dict[str, etree._Element]:
    return {g.get("Name"): g for g in root.iterfind(".//odm:ItemGroupDef", NS)}


def _items(root: etree._Element) -> dict[str, etree._Element]:
    return {i.get("OID"): i for i in root.iterfind(".//odm:ItemDef", NS)}


@pytest.mark.parametrize("which", ["sdtm", "adam"])
def test_define_describes_every_dataset_and_variable_written(
    which: str, sdtm_folder: Path, adam_folder: Path
) -> None:
    folder = sdtm_folder if which == "sdtm" else adam_folder
    root = etree.parse(str(folder / "define.xml")).getroot()
    groups, items = _groups(root), _items(root)
    written = sorted(p.stem.upper() for p in folder.glob("*.xpt"))
    assert sorted(groups) == written
    for name in written:
        frame, meta = pyreadstat.read_xport(str(folder / f"{name.lower()}.xpt"))
        refs = groups[name].findall("odm:ItemRef", NS)
        # the variables in order, each with its ItemDef, label and a length that holds
        # the longest value written
        assert [r.get("ItemOID") for r in refs] == [f"IT.{name}.{c}" for c in frame.columns]
        leaf = groups[name].find("def:leaf", NS)
        assert leaf is not None and leaf.get(XLINK) == f"{name.lower()}.xpt"
        for column, label in zip(frame.columns, meta.column_labels, strict=True):
            item = items[f"IT.{name}.{column}"]
            text = item.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
            assert text == label
            if item.get("DataType") == "text":
                longest = frame[column].astype(str).str.encode("utf-8").str.len().max()
                assert int(item.get("Length")) >= max(int(longest), 1)
            assert item.find("def:Origin", NS) is not None


def test_codelists_hold_every_value_of_their_variables(sdtm_folder: Path) -> None:
    root = etree.parse(str(sdtm_folder / "define.xml")).getroot()
    items = _items(root)
    codelists = {
        c.get("OID"): {e.get("CodedValue") for e in c.iterfind("odm:EnumeratedItem", NS)}
        for c in root.iterfind(".//odm:CodeList", NS)
        if c.find("odm:ExternalCodeList", NS) is None
    }
    checked = 0
    for group in root.iterfind(".//odm:ItemGroupDef", NS):
        name = group.get("Name")
        frame, _ = pyreadstat.read_xport(str(sdtm_folder / f"{name.lower()}.xpt"))
        for ref in group.iterfind("odm:ItemRef", NS):
            item = items[ref.get("ItemOID")]
            codelist = item.find("odm:CodeListRef", NS)
            if codelist is None or codelist.get("CodeListOID") not in codelists:
                continue
            values = set(frame[item.get("Name")].astype(str)) - {""}
            assert values <= codelists[codelist.get("CodeListOID")], (name, item.get("Name"))
            checked += 1
    assert checked > 20
    sex = root.find(".//odm:CodeList[@OID='CL.SEX']", NS)
    assert sex is not None
    alias = sex.find("odm:Alias", NS)
    assert alias is not None and alias.get("Name") == "C66731"


def test_findings_have_value_level_metadata_by_test_code(sdtm_folder: Path) -> None:
    root = etree.parse(str(sdtm_folder / "define.xml")).getroot()
    lb, _ = pyreadstat.read_xport(str(sdtm_folder / "lb.xpt"))
    value_list = root.find(".//def:ValueListDef[@OID='VL.LB.LBORRES']", NS)
    assert value_list is not None
    clauses = [
        r.find("def:WhereClauseRef", NS).get("WhereClauseOID")
        for r in value_list.iterfind("odm:ItemRef", NS)
    ]
    assert sorted(clauses) == sorted(f"WC.LB.LBTESTCD.{t}" for t in lb["LBTESTCD"].unique())
    ck = root.find(".//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.CK']/odm:RangeCheck", NS)
    assert ck is not None and ck.findtext("odm:CheckValue", namespaces=NS) == "CK"
    parent = root.find(".//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef", NS)
    assert parent is not None and parent.get("ValueListOID") == "VL.LB.LBORRES"
    # TS values and SUPP-- values are described per parameter and qualifier
    assert root.find(".//def:ValueListDef[@OID='VL.TS.TSVAL']", NS) is not None
    assert root.find(".//def:ValueListDef[@OID='VL.SUPPDM.QVAL']", NS) is not None


def test_dataset_json_refers_to_define(sdtm_folder: Path) -> None:
    root = etree.parse(str(sdtm_folder / "define.xml")).getroot()
    version = root.find(".//odm:MetaDataVersion", NS)
    assert version is not None
    for path in sdtm_folder.glob("*.json"):
        document = json.loads(path.read_text())
        assert document["metaDataRef"] == "define.xml"
        assert document["metaDataVersionOID"] == version.get("OID")
        assert document["itemGroupOID"] == f"IG.{document['name']}"


def test_a_broken_define_fails_the_schema(schema: etree.XMLSchema, sdtm_folder: Path) -> None:
    # the check has teeth: an ItemRef without its Mandatory attribute is refused
    document = etree.parse(str(sdtm_folder / "define.xml"))
    ref = document.getroot().find(".//odm:ItemRef", NS)
    assert ref is not None
    del ref.attrib["Mandatory"]
    assert not schema.validate(document)


def test_json_only_export_points_define_at_the_json_files(tmp_path: Path) -> None:
    export_sdtm(make_pilot(), tmp_path, "json")
    root = etree.parse(str(tmp_path / "define.xml")).getroot()
    leaves = {leaf.get(XLINK) for leaf in root.iterfind(".//def:leaf", NS)}
    assert leaves == {p.name for p in tmp_path.glob("*.json")}
    assert not pd.Series(sorted(leaves)).str.endswith(".xpt").any()
