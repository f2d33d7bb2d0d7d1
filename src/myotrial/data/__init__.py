"""Published figures shipped with myotrial as package data.

``pilot_summary.csv`` is the summary table of the MSCT pilot in refractory PM/DM (Tang Y
et al. Chin J Rheumatol 2011;15:175-8, companion to Wang D et al. Ann Rheum Dis
2011;70:1285-8): mean and SD of CK, MMT-8 and prednisone dose by time point. These are
published group summaries, not patient data.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

PILOT_SUMMARY_COLUMNS: tuple[str, ...] = (
    "source",
    "measure",
    "unit",
    "timepoint",
    "day",
    "n",
    "mean",
    "sd",
)


def pilot_summary() -> pd.DataFrame:
    """The published pilot's summary table, one row per measure and time point.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``measure`` (``ck``, ``mmt8``, ``prednisone_mg``), ``unit``,
        ``timepoint`` (``baseline``, ``week1`` ... ``month6``), ``day`` (nominal study
        day, int), ``n`` (patients, int), ``mean`` and ``sd`` (float).
    """
    path = resources.files(__package__).joinpath("pilot_summary.csv")
    with resources.as_file(path) as csv_path:
        table = pd.read_csv(csv_path, dtype=_DTYPES)
    return table[list(PILOT_SUMMARY_COLUMNS)]


_DTYPES: dict[str, str] = {
    "source": "str",
    "measure": "str",
    "unit": "str",
    "timepoint": "str",
    "day": "int64",
    "n": "int64",
    "mean": "float64",
    "sd": "float64",
}
