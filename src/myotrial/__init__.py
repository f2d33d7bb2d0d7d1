"""myotrial: run and analyse cell-therapy trials in refractory myositis.

The public API, for a notebook or a script, is listed in ``__all__``; the command line
(``myotrial``) is a thin layer over it::

    import myotrial

    trial = myotrial.load_trial("pilot")               # folder, workbook, REDCap, database
    result = myotrial.analyze(trial)                   # every table of docs/analysis.md
    myotrial.write_report(trial, result, "report.html")

    pairs = myotrial.make_pairs(baseline, followup, trial.config)
    scores = myotrial.score_tis(pairs)                 # columns listed in its docstring

The names that need the database or the report templates (:func:`load_trial`,
:func:`open_store`, :func:`render_report`, :func:`write_report`, the design functions) are
imported on first use, so ``import myotrial`` and the command line start quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from myotrial.analysis.api import analyze
from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.result import AnalysisResult
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
from myotrial.ingest import read_trial, validate_trial
from myotrial.measures import (
    canonical_visits,
    classify,
    is_worse,
    make_pairs,
    score_doi,
    score_tis,
)
from myotrial.synthetic import make_pilot, make_registry
from myotrial.trialdata import TABLES, TrialData
from myotrial.version import __version__

if TYPE_CHECKING:
    from myotrial.design import make_spec, randomisation_list, run_design, search_sample_size
    from myotrial.report import render_report, write_report
    from myotrial.services.loading import load_trial
    from myotrial.store import open_store

_ON_FIRST_USE: dict[str, str] = {
    "load_trial": "myotrial.services.loading",
    "open_store": "myotrial.store",
    "render_report": "myotrial.report",
    "write_report": "myotrial.report",
    "make_spec": "myotrial.design",
    "run_design": "myotrial.design",
    "search_sample_size": "myotrial.design",
    "randomisation_list": "myotrial.design",
}
"""Public names and the module each comes from, imported when first asked for."""

__all__ = [
    "TABLES",
    "AnalysisError",
    "AnalysisOptions",
    "AnalysisResult",
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
    "canonical_visits",
    "classify",
    "is_worse",
    "load_config",
    "load_trial",
    "make_pairs",
    "make_pilot",
    "make_registry",
    "make_spec",
    "open_store",
    "randomisation_list",
    "read_trial",
    "render_report",
    "run_design",
    "score_doi",
    "score_tis",
    "search_sample_size",
    "validate_trial",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """Import a public name of :data:`_ON_FIRST_USE` when it is first asked for (PEP 562)."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'myotrial' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
