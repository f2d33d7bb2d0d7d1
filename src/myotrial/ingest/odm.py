"""Read a CDISC ODM 1.3.2 file's clinical data as a trial, through the trial-folder rules.

The file's ``MetaDataVersion`` says what each item is: an ``ItemGroupDef`` named as a
table of the trial format (``visits``) and its ``ItemDef`` named as a column (``ck``), as
``myotrial export odm`` writes them. The first ``ClinicalData`` holds the patients' data
(a later, transactional one, the audit trail, is not data); ``ReferenceData`` holds the
settings (item group ``settings``: each ``trial.toml`` section as JSON) and the
cell-product record. The file is read with ``iterparse``, each item group cleared once
read, so a large file is never held whole.

Every table so read is typed and checked by :func:`myotrial.ingest.reader.assemble`, the
one path every import takes: the same rules, the same messages. A problem names the
file, the line of the ``ItemGroupData`` (as ``row``), the item and the rule; nothing is
returned when any is found.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from myotrial.config import TrialConfig
from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.exchange.odm.metadata import ODM_NS, SETTINGS, q
from myotrial.ingest.raw import RawTable, empty_table
from myotrial.ingest.reader import assemble
from myotrial.trialdata import TABLES, TrialData

HINT = "write the file with myotrial export odm, or name item groups and items as its tables"


@dataclass
class _Read:
    """What the pass over the file collected."""

    items: dict[str, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    lines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    problems: list[Problem] = field(default_factory=list)
    clinical: int = 0


def read_odm(path: Path | str) -> TrialData:
    """Read and validate the trial an ODM 1.3.2 file holds.

    Raises
    ------
    InvalidInputError
        Listing every problem: unreadable XML, an item group or item the metadata does
        not define as a table or column, a ``SubjectKey`` that is not the patient of its
        rows, and every rule of the trial format the data break.
    """
    path = Path(path)
    read = _Read()
    try:
        _parse(path, read)
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InvalidInputError(
            [Problem(path.name, None, None, None, f"is not readable ODM XML: {exc}", HINT)]
        ) from exc
    if read.problems:
        raise InvalidInputError(read.problems)
    config = _config(path.name, read)
    label = {t: f"{path.name} ItemGroupData {t}" for t in TABLES}
    tables = [RawTable(t, label[t], _strings(t, read)) for t in TABLES]
    check = assemble(tables, config, str(path), _checksum(path), [])
    if check.problems:
        raise InvalidInputError(_located(check.problems, label, read.lines))
    return check.trial


WANTED = tuple(
    q(t) for t in ("ItemGroupDef", "ItemDef", "ItemGroupData", "SubjectData", "ClinicalData")
)
"""The elements the pass stops at; lxml parses the rest without a Python step."""


def _parse(path: Path, read: _Read) -> None:
    for _, node in etree.iterparse(str(path), events=("end",), tag=WANTED):
        tag = etree.QName(node).localname
        if tag == "ItemGroupDef":
            read.groups[node.get("OID", "")] = node.get("Name", "")
            refs = node.iterchildren(q("ItemRef"))
            read.order[node.get("Name", "")] = [r.get("ItemOID", "") for r in refs]
        elif tag == "ItemDef":
            read.items[node.get("OID", "")] = ("", node.get("Name", ""))
        elif tag == "ItemGroupData":
            _data_group(path.name, node, read)
        elif tag == "SubjectData":
            _forget(node)
        else:  # ClinicalData: the first holds the data, a later one the audit trail
            read.clinical += 1


def _data_group(file: str, node: etree._Element, read: _Read) -> None:
    """An item group of ReferenceData or of the first ClinicalData, read then cleared."""
    container = node.getparent()
    subject = None
    while container is not None and container.tag not in (q("ClinicalData"), q("ReferenceData")):
        if container.tag == q("SubjectData"):
            subject = container.get("SubjectKey")
        container = container.getparent()
    if container is not None and (container.tag == q("ReferenceData") or read.clinical == 0):
        _group(file, node, subject, read)
    node.clear()


def _forget(node: etree._Element) -> None:
    """Drop a subject once read, and the subjects before it, so memory stays flat."""
    node.clear()
    parent = node.getparent()
    while parent is not None and node.getprevious() is not None:
        del parent[0]


def _group(file: str, node: etree._Element, subject: str | None, read: _Read) -> None:
    group = node.get("ItemGroupOID", "")
    table = read.groups.get(group)
    line = int(node.sourceline or 0)
    if table not in (*TABLES, SETTINGS):
        rule = (
            "is not an item group of the file's metadata"
            if table is None
            else (f"is the item group of {table!r}, which is not a table of the trial format")
        )
        read.problems.append(Problem(file, line, "ItemGroupOID", group, rule, HINT))
        return
    row: dict[str, str] = {}
    for item in node.iterchildren(q("ItemData")):
        oid = item.get("ItemOID", "")
        known = read.items.get(oid)
        if known is None:
            read.problems.append(
                Problem(
                    file,
                    int(item.sourceline or line),
                    "ItemOID",
                    oid,
                    "is not an item of the file's metadata",
                    HINT,
                )
            )
            continue
        row[known[1]] = "" if item.get("IsNull") == "Yes" else item.get("Value", "")
    if subject is not None and table not in (SETTINGS, "donors", "lots"):
        given = row.setdefault("patient_id", subject)
        if given != subject:
            read.problems.append(
                Problem(
                    file,
                    line,
                    "patient_id",
                    given,
                    f"is not the patient of its SubjectData ({subject!r})",
                    "a record belongs to the subject it is written under",
                )
            )
    read.rows[table].append(row)
    read.lines[table].append(line)


def _config(file: str, read: _Read) -> TrialConfig:
    data: dict[str, Any] = {}
    for row, line in zip(read.rows.get(SETTINGS, []), read.lines.get(SETTINGS, []), strict=True):
        try:
            data[row.get("section", "")] = json.loads(row.get("value", ""))
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                [Problem(file, line, "value", row.get("value"), f"is not JSON: {exc}", HINT)]
            ) from exc
    try:
        return TrialConfig.from_dict(data, source=f"{file} settings")
    except ConfigError as exc:
        raise InvalidInputError(exc.problems) from exc


def _strings(table: str, read: _Read) -> pd.DataFrame:
    """A table's rows as strings, its columns in the metadata's order (ItemRef order)."""
    rows = read.rows.get(table, [])
    if not rows:
        return empty_table(table)
    frame = pd.DataFrame.from_records(rows).fillna("").astype(str)
    ordered = [read.items[o][1] for o in read.order.get(table, []) if o in read.items]
    columns = [c for c in ordered if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns]
    frame = frame[columns]
    for column in empty_table(table).columns:
        if column not in frame.columns:
            frame[column] = ""
    return frame


def _located(
    problems: list[Problem], label: dict[str, str], lines: dict[str, list[int]]
) -> list[Problem]:
    """Rows of a table (header row 1) as the lines of their ItemGroupData elements."""
    tables = {v: k for k, v in label.items()}
    located = []
    for problem in problems:
        table = tables.get(problem.file)
        at = lines.get(table or "", [])
        if table is not None and problem.row is not None and 0 <= problem.row - 2 < len(at):
            problem = replace(problem, row=at[problem.row - 2])
        located.append(problem)
    return located


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["ODM_NS", "read_odm"]
