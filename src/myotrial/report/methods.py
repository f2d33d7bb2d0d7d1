"""TIS thresholds by population, as the report's figures draw them.

The methods text itself is written once, by the analysis (:mod:`myotrial.analysis.methods`),
from the options it used; the report prints what the analysis wrote.
"""

from __future__ import annotations

from myotrial.domain import POPULATIONS
from myotrial.measures.tis import category_thresholds

# ACR/EULAR 2016 and its juvenile companion: lowest TIS of each response category.
TIS_THRESHOLDS: dict[str, dict[str, float]] = {p: category_thresholds(p) for p in POPULATIONS}
