"""myotrial: run and analyse cell-therapy trials in refractory myositis.

The public API is listed in ``__all__``; the command line (``myotrial``) is a thin layer
over it.
"""

from __future__ import annotations

from myotrial.analysis.api import analyze
from myotrial.analysis.options import AnalysisOptions
from myotrial.config import Timepoint, TrialConfig, load_config
from myotrial.errors import (
    AnalysisError,
    ConfigError,
    InvalidInputError,
    MyotrialError,
    NotFoundError,
    Problem,
    StoreError,
)
from myotrial.measures import score_doi, score_tis
from myotrial.trialdata import TABLES, TrialData
from myotrial.version import __version__

__all__ = [
    "TABLES",
    "AnalysisError",
    "AnalysisOptions",
    "ConfigError",
    "InvalidInputError",
    "MyotrialError",
    "NotFoundError",
    "Problem",
    "StoreError",
    "Timepoint",
    "TrialConfig",
    "TrialData",
    "__version__",
    "analyze",
    "load_config",
    "score_doi",
    "score_tis",
]
