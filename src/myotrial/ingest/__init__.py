"""Trial data in: readers for trial folders and workbooks, column specifications, validation.

- :func:`read_trial` reads a folder (CSV + ``trial.toml``) or an ``.xlsx`` workbook and
  raises :class:`myotrial.errors.InvalidInputError` listing every problem;
  :func:`inspect_trial` returns the problems instead.
- :func:`validate_trial` checks a typed :class:`myotrial.trialdata.TrialData`.
- :func:`parse_records` types and checks a few rows of one table (forms, imports, edits).
- :mod:`myotrial.ingest.schema` holds the column specifications.
"""

from __future__ import annotations

from myotrial.ingest.parse import parse_records
from myotrial.ingest.reader import TrialCheck, checksum_of, inspect_trial, read_trial
from myotrial.ingest.validate import validate_trial

__all__ = [
    "TrialCheck",
    "checksum_of",
    "inspect_trial",
    "parse_records",
    "read_trial",
    "validate_trial",
]
