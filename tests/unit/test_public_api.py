"""The public API a notebook uses: pinned by name, each table's columns documented."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import myotrial
from myotrial.analysis import (
    change,
    comparison,
    longitudinal,
    lung_skin,
    relapse,
    response,
    safety,
    steroids,
    table1,
)
from myotrial.measures.classification import BOHAN_PETER_COLUMNS, EULAR_ACR_COLUMNS
from myotrial.measures.csm import CSM
from myotrial.measures.doi import DOI_COLUMNS
from myotrial.measures.tis import TIS_COLUMNS

PUBLIC = [
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


def test_public_names_are_pinned() -> None:
    assert myotrial.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(myotrial, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'score_everything'"):
        _ = myotrial.score_everything  # type: ignore[attr-defined]


def _returns(function: Callable[..., Any]) -> str:
    doc = function.__doc__ or ""
    section = doc.split("Returns\n    -------", 1)[1]
    return section.split("Raises\n", 1)[0]


def _documented(columns: tuple[str, ...], text: str) -> list[str]:
    """Columns of ``columns`` the text does not name (``p_<csm>`` covers p_phga ...)."""
    patterns = {re.sub(r"<\w+>", r"\\w+", m) for m in re.findall(r"``'?([a-z0-9_<>]+)'?``", text)}
    return [c for c in columns if not any(re.fullmatch(p, c) for p in patterns)]


@pytest.mark.parametrize(
    ("function", "columns"),
    [
        (myotrial.score_tis, TIS_COLUMNS),
        (myotrial.score_doi, DOI_COLUMNS),
        (myotrial.classify, EULAR_ACR_COLUMNS + BOHAN_PETER_COLUMNS),
    ],
    ids=["score_tis", "score_doi", "classify"],
)
def test_returns_section_lists_every_output_column(
    function: Callable[..., Any], columns: tuple[str, ...]
) -> None:
    assert _documented(columns, _returns(function)) == []


@pytest.mark.parametrize(
    "columns",
    [
        myotrial.analysis.episodes.EPISODE_COLUMNS,
        table1.BASELINE_COLUMNS,
        change.CHANGE_COLUMNS,
        response.SCORE_COLUMNS,
        response.RESPONSE_COLUMNS,
        relapse.RELAPSE_COLUMNS,
        safety.SAFETY_COLUMNS,
        safety.SAFETY_SUMMARY_COLUMNS,
        lung_skin.LUNG_SKIN_COLUMNS,
        steroids.STEROID_COLUMNS[len(change.CHANGE_COLUMNS) :],
        longitudinal.LONGITUDINAL_COLUMNS,
        comparison.COMPARISON_COLUMNS,
    ],
)
def test_analyze_documents_the_columns_of_every_table(columns: tuple[str, ...]) -> None:
    assert _documented(columns, _returns(myotrial.analyze)) == []


def test_score_columns_name_every_core_set_measure() -> None:
    assert [c.removeprefix("p_") for c in TIS_COLUMNS[: len(CSM)]] == list(CSM)
