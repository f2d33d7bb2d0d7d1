"""Fixtures of the report tests (builders in ``report_fixtures``)."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import make_pilot, make_result, make_trial

from myotrial.analysis.result import AnalysisResult
from myotrial.trialdata import TrialData


@pytest.fixture
def trial() -> TrialData:
    return make_trial()


@pytest.fixture
def result() -> AnalysisResult:
    return make_result()


@pytest.fixture
def pilot() -> pd.DataFrame:
    return make_pilot()
