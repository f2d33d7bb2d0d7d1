"""Exchange use cases: export a trial to REDCap, SDTM, ADaM, FHIR or CDISC ODM.

The command line and the HTTP server both call these, so each export is written once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from myotrial.analysis.options import AnalysisOptions
from myotrial.exchange.cdisc import sdtm_datasets, write_datasets
from myotrial.exchange.cdisc.adam import adam_datasets
from myotrial.exchange.cdisc.common import study_id
from myotrial.exchange.cdisc.conformance import CONFORMANCE_NAME, check_datasets
from myotrial.exchange.fhir import write_fhir
from myotrial.exchange.redcap import write_redcap
from myotrial.trialdata import TrialData


def export_redcap(trial: TrialData, out_dir: Path) -> list[Path]:
    """Write the REDCap project (dictionary, records, events, instruments) into ``out_dir``."""
    return write_redcap(trial, out_dir)


def export_sdtm(
    trial: TrialData, out_dir: Path, file_format: str = "both", check: bool = False
) -> list[Path]:
    """Write the SDTM datasets as ``xpt``, ``json`` (Dataset-JSON) or ``both``, and
    ``define.xml`` describing them; with ``check``, also ``conformance.csv``, the
    findings of the conformance rules (header only when there are none)."""
    datasets = sdtm_datasets(trial)
    written = write_datasets(datasets, out_dir, study_id(trial), file_format, trial.config.name)
    if check:
        path = out_dir / CONFORMANCE_NAME
        check_datasets(datasets).to_csv(path, index=False)
        written.append(path)
    return written


def check_sdtm(trial: TrialData) -> pd.DataFrame:
    """The conformance findings of the trial's SDTM datasets (docs/exchange.md lists the
    rules): columns rule, dataset, variable, row, message; no rows when clean."""
    return check_datasets(sdtm_datasets(trial))


def export_adam(
    trial: TrialData,
    out_dir: Path,
    file_format: str = "both",
    options: AnalysisOptions | None = None,
) -> list[Path]:
    """Analyse the trial (with ``options``), then write ADSL, ADEFF and ADTTE as ``xpt``,
    ``json`` or ``both``, and ``define.xml`` describing them."""
    from myotrial.analysis.api import analyze

    result = analyze(trial, options)
    datasets = adam_datasets(trial, result)
    return write_datasets(datasets, out_dir, study_id(trial), file_format, trial.config.name)


BUNDLE_NAME = "bundle.json"


def bundle_path(target: str | Path, name: str = BUNDLE_NAME) -> Path:
    """Where a one-file export goes: ``target``, or ``target/NAME`` for a folder
    (``bundle.json`` for the FHIR bundle).

    A folder is a path that exists as one or is written with a trailing separator
    (``out/``), so ``-o out/`` never writes a file named like the folder.
    """
    text = str(target)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        return path / name
    return path


def export_odm(trial: TrialData, out_path: Path, audit: pd.DataFrame | None = None) -> Path:
    """Write the trial (and ``audit``, its audit trail) as one CDISC ODM 1.3.2 file."""
    from myotrial.exchange.odm.export import write_odm

    return write_odm(trial, out_path, audit)


def odm_audit(db_url: str) -> pd.DataFrame:
    """The audit trail stored at ``db_url``, for :func:`export_odm`."""
    from myotrial.services.trial import audit_trail

    return audit_trail(db_url)


def export_fhir(trial: TrialData, out_path: Path) -> Path:
    """Write the trial as one validated FHIR R4 Bundle (JSON)."""
    return write_fhir(trial, out_path)
