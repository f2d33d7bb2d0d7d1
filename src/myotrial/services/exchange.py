"""Exchange use cases: export a trial to REDCap, SDTM, ADaM or FHIR, and load a trial.

The command line and the HTTP server both call these, so each export is written once.
"""

from __future__ import annotations

import os
from pathlib import Path

from myotrial.analysis.options import AnalysisOptions
from myotrial.exchange.cdisc import sdtm_datasets, write_datasets
from myotrial.exchange.cdisc.adam import adam_datasets
from myotrial.exchange.cdisc.common import study_id
from myotrial.exchange.fhir import write_fhir
from myotrial.exchange.redcap import write_redcap
from myotrial.ingest import read_trial
from myotrial.ingest.redcap import read_redcap
from myotrial.store import open_store
from myotrial.trialdata import TrialData


def is_redcap_export(path: Path) -> bool:
    """True when ``path`` is a folder holding a REDCap ``records.csv`` and ``dictionary.csv``."""
    return path.is_dir() and (path / "records.csv").exists() and (path / "dictionary.csv").exists()


def load_trial(path: Path | None, db_url: str) -> TrialData:
    """The trial at ``path`` (trial folder, workbook or REDCap export), else the database.

    Raises
    ------
    InvalidInputError
        If the input breaks a rule of the trial format.
    StoreError
        If the database cannot be read.
    """
    if path is None:
        store = open_store(db_url)
        try:
            return store.load_trial()
        finally:
            store.close()
    if is_redcap_export(path):
        return read_redcap(path)
    return read_trial(path)


def export_redcap(trial: TrialData, out_dir: Path) -> list[Path]:
    """Write the REDCap project (dictionary, records, events, instruments) into ``out_dir``."""
    return write_redcap(trial, out_dir)


def export_sdtm(trial: TrialData, out_dir: Path, file_format: str = "both") -> list[Path]:
    """Write the SDTM datasets as ``xpt``, ``json`` (Dataset-JSON) or ``both``."""
    return write_datasets(sdtm_datasets(trial), out_dir, study_id(trial), file_format)


def export_adam(
    trial: TrialData,
    out_dir: Path,
    file_format: str = "both",
    options: AnalysisOptions | None = None,
) -> list[Path]:
    """Analyse the trial (with ``options``), then write ADSL, ADEFF and ADTTE as ``xpt``,
    ``json`` or ``both``."""
    from myotrial.analysis.api import analyze

    result = analyze(trial, options)
    return write_datasets(adam_datasets(trial, result), out_dir, study_id(trial), file_format)


BUNDLE_NAME = "bundle.json"


def bundle_path(target: str | Path) -> Path:
    """Where the FHIR bundle goes: ``target``, or ``target/bundle.json`` for a folder.

    A folder is a path that exists as one or is written with a trailing separator
    (``out/``), so ``-o out/`` never writes a file named like the folder.
    """
    text = str(target)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        return path / BUNDLE_NAME
    return path


def export_fhir(trial: TrialData, out_path: Path) -> Path:
    """Write the trial as one validated FHIR R4 Bundle (JSON)."""
    return write_fhir(trial, out_path)
