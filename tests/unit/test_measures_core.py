"""The NumPy cores of the scorers and the frame they are returned in.

Hand calculations follow docs/measures.md §2 (TIS) and §3 (DOI).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from myotrial import score_doi, score_tis
from myotrial.measures.doi import doi_arrays
from myotrial.measures.pairs import PairOptions, read_pairs
from myotrial.measures.tis import TIS_COLUMNS, tis_arrays

# One pair, every CSM improved: p and points by hand (ACR/EULAR 2016, Table 2).
PAIR = {
    "phga_0": 6.0, "phga_1": 3.0,  # p = 30 % -> (25, 40] -> 17.5
    "ptga_0": 6.0, "ptga_1": 5.0,  # p = 10 % -> (5, 15] -> 2.5
    "mmt8_0": 50.0, "mmt8_1": 58.0,  # p = 8/80 = 10 % -> (2, 10] -> 10
    "haq_0": 1.5, "haq_1": 1.2,  # p = 0.3/3 = 10 % -> 5
    "ck_0": 1000.0, "ck_1": 600.0, "ck_uln": 200.0,  # p = 40 % -> (25, 40] -> 7.5
    "extramuscular_0": 4.0, "extramuscular_1": 3.0,  # p = 10 % -> 7.5
}  # fmt: skip
POINTS = {"phga": 17.5, "ptga": 2.5, "mmt8": 10.0, "haq": 5.0, "enzyme": 7.5, "extramuscular": 7.5}


def _pairs(rows: list[dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_tis_core_scores_a_hand_calculated_pair() -> None:
    scores = tis_arrays(read_pairs(_pairs([PAIR]), PairOptions()))
    assert {k: float(v[0]) for k, v in scores.points.items()} == POINTS
    assert scores.p["mmt8"][0] == pytest.approx(10.0)
    assert scores.tis[0] == 50.0  # 17.5 + 2.5 + 10 + 5 + 7.5 + 7.5
    assert scores.level[0] == 2  # 40 <= 50 < 60: moderate (adult)
    assert scores.absent[0] == 0


def test_tis_core_marks_absent_measures_bit_by_bit() -> None:
    pair = dict(PAIR, ptga_1=np.nan, haq_0=np.nan)  # ptga is bit 1, haq bit 3
    scores = tis_arrays(read_pairs(_pairs([pair]), PairOptions()))
    assert scores.absent[0] == 0b1010
    assert np.isnan(scores.tis[0])
    assert scores.level[0] == 4  # missing
    zero = tis_arrays(read_pairs(_pairs([pair]), PairOptions()), missing="zero")
    assert zero.tis[0] == 50.0 - 2.5 - 5.0


def test_dataframe_face_is_the_core_in_output_order() -> None:
    frame = _pairs([PAIR, dict(PAIR, phga_1=6.0)])
    result = score_tis(frame)
    assert list(result.columns) == [*frame.columns, *TIS_COLUMNS]
    assert result["category"].tolist() == ["moderate", "minimal"]  # 50, then 32.5
    assert result["missing"].tolist() == ["", ""]
    assert result["complete"].tolist() == [True, True]


def test_result_keeps_the_input_columns_without_copying_them() -> None:
    frame = _pairs([PAIR] * 3)
    before = frame.copy()
    result = score_tis(frame)
    assert np.shares_memory(result["ck_0"].to_numpy(), frame["ck_0"].to_numpy())
    pd.testing.assert_frame_equal(frame, before)


def test_stale_score_columns_are_replaced() -> None:
    frame = _pairs([PAIR]).assign(tis=-1.0, doi=True)
    assert score_tis(frame)["tis"].tolist() == [50.0]
    assert list(score_tis(frame).columns).count("tis") == 1


def test_doi_core_counts_improved_and_worsened_measures() -> None:
    # IMACS 2004: >= 3 CSM improved by >= 20 %, <= 2 worsened by >= 25 %, MMT not worse.
    # ptga 6 -> 4.5 is 25 % better, haq 1.5 -> 1.2 exactly 20 % better, MMT unchanged,
    # extramuscular 4 -> 5 is 25 % worse.
    pair = dict(PAIR, ptga_1=4.5, mmt8_1=50.0, extramuscular_1=5.0)
    scores = doi_arrays(read_pairs(_pairs([pair]), PairOptions()))
    improved, worsened = scores.flags[:6, 0], scores.flags[6:, 0]
    # CSM order: phga, ptga, mmt8, haq, enzyme, extramuscular
    assert improved.tolist() == [True, True, False, True, True, False]
    assert worsened.tolist() == [False, False, False, False, False, True]
    assert scores.counts[:, 0].tolist() == [4, 1]
    assert bool(scores.met[0]) and bool(scores.complete[0])


def test_doi_face_is_unknown_only_where_the_absent_measure_decides() -> None:
    # phga and ck improve; haq absent. With extramuscular improved (25 %) three measures
    # improved whatever haq did: met. With extramuscular only 12.5 % better, haq decides.
    decided = dict(PAIR, haq_1=np.nan)
    open_case = dict(decided, extramuscular_1=3.5)
    result = score_doi(_pairs([PAIR, decided, open_case]))
    assert result["doi"].tolist() == [True, True, pd.NA]
    assert result["doi"].dtype == "boolean"


def test_concurrent_scoring_leaves_pandas_options_as_they_were() -> None:
    frame = _pairs([PAIR] * 200)
    assert pd.get_option("mode.copy_on_write") is False
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: score_tis(frame)["tis"].sum(), range(64)))
    assert results == [50.0 * 200] * 64
    assert pd.get_option("mode.copy_on_write") is False
