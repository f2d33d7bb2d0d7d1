"""REDCap: the shipped data dictionary, project export and mapping files.

Reading an export is :func:`myotrial.ingest.redcap.read_redcap`.
"""

from __future__ import annotations

from myotrial.exchange.redcap.dictionary import Field, read_dictionary, shipped_fields
from myotrial.exchange.redcap.export import redcap_records, write_redcap
from myotrial.exchange.redcap.mapping import RedcapMapping, load_mapping

__all__ = [
    "Field",
    "RedcapMapping",
    "load_mapping",
    "read_dictionary",
    "redcap_records",
    "shipped_fields",
    "write_redcap",
]
