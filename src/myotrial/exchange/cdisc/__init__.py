"""CDISC: SDTM and ADaM datasets, written as XPT v5 and Dataset-JSON v1.1."""

from __future__ import annotations

from myotrial.errors import ExportError
from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.findings import sdtm_datasets
from myotrial.exchange.cdisc.transport import write_datasets

__all__ = ["Dataset", "ExportError", "sdtm_datasets", "write_datasets"]
