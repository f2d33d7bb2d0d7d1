"""Writing CDISC datasets: SAS transport (XPT version 5) and Dataset-JSON v1.1.

XPT v5 (the FDA's transport format) limits names to 8 characters, labels to 40 and
character values to 200 bytes; :func:`check_xpt_limits` refuses a dataset that would
break them before anything is written. Dataset-JSON files are checked against the
published v1.1 JSON schema (shipped in ``cdisc/data`` with its MIT licence) before they
are written, so a file that leaves myotrial is valid.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from myotrial.errors import ExportError
from myotrial.exchange.cdisc.common import SAS_EPOCH, Dataset
from myotrial.exchange.cdisc.metadata import DEFINE_NAME, is_adam
from myotrial.extras import import_optional
from myotrial.version import __version__

XPT_NAME_MAX = 8
XPT_LABEL_MAX = 40
XPT_TEXT_MAX = 200
DATASET_JSON_VERSION = "1.1.0"


def _longest_bytes(values: pd.Series) -> int:
    """Length in UTF-8 bytes of the longest value (0 for no rows)."""
    lengths = [len(str(v).encode("utf-8")) for v in values.dropna().unique()]
    return max(lengths, default=0)


def check_xpt_limits(dataset: Dataset) -> list[str]:
    """Every way ``dataset`` breaks the XPT v5 limits (empty when it fits)."""
    broken: list[str] = []
    if len(dataset.name) > XPT_NAME_MAX:
        broken.append(f"dataset name {dataset.name} is longer than 8 characters")
    if len(dataset.label) > XPT_LABEL_MAX:
        broken.append(f"dataset label {dataset.label!r} is longer than 40 characters")
    for column in dataset.frame.columns:
        label = dataset.labels.get(column, "")
        if len(column) > XPT_NAME_MAX or not column.isascii():
            broken.append(f"variable {column} is not an ASCII name of at most 8 characters")
        if len(label) > XPT_LABEL_MAX:
            broken.append(f"label of {column} ({label!r}) is longer than 40 characters")
        values = dataset.frame[column]
        if values.dtype == object and len(values):
            longest = _longest_bytes(values)
            if longest > XPT_TEXT_MAX:
                broken.append(f"{column} has a value of {longest} bytes (XPT v5 allows 200)")
    return broken


def write_xpt(dataset: Dataset, folder: Path) -> Path:
    """Write ``dataset`` as ``<name>.xpt`` (SAS transport version 5) in ``folder``.

    Raises
    ------
    ExportError
        If a name, label or value breaks an XPT v5 limit.
    """
    pyreadstat = import_optional("pyreadstat", "exchange", "writing SAS transport (.xpt)")
    broken = check_xpt_limits(dataset)
    if broken:
        raise ExportError(f"{dataset.name} cannot be written as XPT v5: " + "; ".join(broken))
    path = folder / f"{dataset.name.lower()}.xpt"
    frame = dataset.frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("").astype(str)
    pyreadstat.write_xport(
        frame,
        str(path),
        file_label=dataset.label,
        table_name=dataset.name,
        column_labels=[dataset.labels.get(c, "") for c in frame.columns],
        file_format_version=5,
        variable_format={c: f.rstrip(".") for c, f in dataset.formats.items()} or None,
    )
    return path


@cache
def dataset_json_schema() -> dict[str, Any]:
    """The Dataset-JSON v1.1 JSON schema shipped with myotrial."""
    text = resources.files(__package__).joinpath("data/dataset-json-1.1.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the Dataset-JSON v1.1 schema (empty when valid)."""
    jsonschema = import_optional("jsonschema", "exchange", "checking Dataset-JSON")
    validator = jsonschema.Draft201909Validator(dataset_json_schema())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _column(dataset: Dataset, name: str, keys: dict[str, int]) -> dict[str, Any]:
    values = dataset.frame[name]
    column: dict[str, Any] = {
        "itemOID": f"IT.{dataset.name}.{name}",
        "name": name,
        "label": dataset.labels.get(name, name),
    }
    if name in dataset.formats:
        # ADaM numeric SAS dates travel as ISO dates whose SAS target type is integer.
        column.update(
            dataType="date", targetDataType="integer", displayFormat=dataset.formats[name]
        )
    elif values.dtype == object:
        longest = _longest_bytes(values)
        is_date = (
            name.endswith("DTC") and values.astype(str).str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all()
        )
        column.update(dataType="date" if is_date else "string", length=max(int(longest), 1))
    else:
        column["dataType"] = "double"
    if name in keys:
        column["keySequence"] = keys[name]
    return column


def _rows(dataset: Dataset) -> list[list[Any]]:
    frame = dataset.frame.astype(object)
    for name in dataset.formats:
        days = pd.to_numeric(dataset.frame[name])
        frame[name] = (SAS_EPOCH + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
    frame = frame.where(pd.notna(frame), None)
    frame = frame.replace({"": None})
    rows: list[list[Any]] = frame.to_numpy().tolist()
    return [[float(v) if isinstance(v, np.floating) else v for v in row] for row in rows]


def dataset_json(
    dataset: Dataset,
    study: str,
    created: datetime | None = None,
    metadata_ref: str | None = None,
) -> dict[str, Any]:
    """The Dataset-JSON v1.1 document of ``dataset``; ``metadata_ref`` names the
    define.xml beside it (``metaDataRef``, with its MetaDataVersion OID).

    Raises
    ------
    ExportError
        If the document breaks the Dataset-JSON v1.1 schema.
    """
    stamp = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    keys = {name: i for i, name in enumerate(dataset.keys, start=1)}
    document: dict[str, Any] = {
        "datasetJSONCreationDateTime": stamp,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{study}/{dataset.name}",
        "originator": "myotrial",
        "sourceSystem": {"name": "myotrial", "version": __version__},
        "studyOID": study,
        **(
            {"metaDataRef": metadata_ref, "metaDataVersionOID": metadata_version(study, dataset)}
            if metadata_ref
            else {}
        ),
        "itemGroupOID": f"IG.{dataset.name}",
        "records": len(dataset.frame),
        "name": dataset.name,
        "label": dataset.label,
        "columns": [_column(dataset, c, keys) for c in dataset.frame.columns],
        "rows": _rows(dataset),
    }
    errors = schema_errors(document)
    if errors:
        raise ExportError(
            f"{dataset.name} breaks the Dataset-JSON v1.1 schema: " + "; ".join(errors[:10])
        )
    return document


def metadata_version(study: str, dataset: Dataset) -> str:
    """The OID of define.xml's MetaDataVersion describing ``dataset``."""
    return f"MDV.{study}.{'ADaM' if is_adam(dataset.name) else 'SDTM'}"


def write_dataset_json(
    dataset: Dataset,
    folder: Path,
    study: str,
    created: datetime | None = None,
    metadata_ref: str | None = None,
) -> Path:
    """Write ``dataset`` as ``<name>.json`` (Dataset-JSON v1.1) in ``folder``."""
    path = folder / f"{dataset.name.lower()}.json"
    document = dataset_json(dataset, study, created, metadata_ref)
    path.write_text(
        json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return path


FORMATS: tuple[str, ...] = ("xpt", "json", "both")


def check_writers(file_format: str) -> None:
    """Check that the packages writing ``file_format`` are installed, before any write.

    Raises
    ------
    MissingDependencyError
        Naming the extra (``exchange``) that installs the missing package.
    """
    if file_format in ("xpt", "both"):
        import_optional("pyreadstat", "exchange", "writing SAS transport (.xpt)")
    if file_format in ("json", "both"):
        import_optional("jsonschema", "exchange", "checking Dataset-JSON")
    import_optional("lxml", "exchange", "writing define.xml")


def write_datasets(
    datasets: list[Dataset],
    folder: Path,
    study: str,
    file_format: str = "both",
    study_name: str = "",
) -> list[Path]:
    """Write each dataset as XPT, Dataset-JSON or both, then ``define.xml`` describing
    them (each Dataset-JSON file refers to it); return the files written."""
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(FORMATS)}, not {file_format!r}")
    check_writers(file_format)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for dataset in datasets:
        if file_format in ("xpt", "both"):
            written.append(write_xpt(dataset, folder))
        if file_format in ("json", "both"):
            written.append(write_dataset_json(dataset, folder, study, metadata_ref=DEFINE_NAME))
    if datasets:
        from myotrial.exchange.cdisc.define import write_define  # lxml: the exchange extra

        written.append(write_define(datasets, folder, study, study_name or study, file_format))
    return written
