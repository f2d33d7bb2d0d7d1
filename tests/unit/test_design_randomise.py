"""Randomisation lists: reproducible bytes, balanced blocks, exact counts per stratum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.design.randomise import balance_report, list_csv, randomisation_list

STRATA = {"site": ["A", "B", "C"], "diagnosis": ["PM", "DM"]}


def _run(tmp_path: Path, name: str, *extra: str) -> tuple[object, Path]:
    out = tmp_path / name
    result = CliRunner().invoke(
        main,
        [
            "randomise",
            "--n-per-stratum",
            "10",
            "--strata",
            "site=A,B,C",
            "--strata",
            "diagnosis=PM,DM",
            "--block-sizes",
            "2,4",
            "--seed",
            "7",
            *extra,
            "-o",
            str(out),
        ],
    )
    return result, out


def test_same_seed_gives_byte_identical_file_and_prints_its_sha256(tmp_path: Path) -> None:
    first, a = _run(tmp_path, "a.csv")
    _, b = _run(tmp_path, "b.csv")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    assert a.read_bytes() == b.read_bytes()
    assert hashlib.sha256(a.read_bytes()).hexdigest() in first.output  # type: ignore[attr-defined]


def test_columns_are_factors_then_sequence_and_arm(tmp_path: Path) -> None:
    _, path = _run(tmp_path, "a.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["site", "diagnosis", "sequence", "block", "block_size", "arm"]


def test_each_stratum_has_exactly_n_rows() -> None:
    frame = randomisation_list(STRATA, 11, (2, 4), (1, 1), seed=3)
    counts = frame.groupby(["site", "diagnosis"]).size()
    assert len(counts) == 6 and (counts == 11).all()


@pytest.mark.parametrize(("ratio", "sizes"), [((1, 1), (2, 4)), ((2, 1), (3, 6))])
def test_every_completed_block_holds_the_ratio(
    ratio: tuple[int, int], sizes: tuple[int, int]
) -> None:
    frame = randomisation_list(STRATA, 40, sizes, ratio, seed=5)
    blocks = frame.groupby(["site", "diagnosis", "block"])
    complete = blocks.filter(lambda b: len(b) == b["block_size"].iloc[0])
    for _, block in complete.groupby(["site", "diagnosis", "block"]):
        msct = (block["arm"] == "MSCT").sum()
        assert msct * sum(ratio) == len(block) * ratio[0]
    assert set(frame["block_size"]) <= set(sizes)


def test_blocks_are_of_random_size_and_shuffled() -> None:
    frame = randomisation_list(STRATA, 200, (2, 4), (1, 1), seed=9)
    assert set(frame["block_size"]) == {2, 4}
    first = frame.groupby(["site", "diagnosis", "block"])["arm"].first()
    # shuffled: both arms open blocks
    assert set(first) == {"MSCT", "control"}


def test_different_seed_gives_a_different_list() -> None:
    a = list_csv(randomisation_list(STRATA, 20, (2, 4), (1, 1), seed=1))
    b = list_csv(randomisation_list(STRATA, 20, (2, 4), (1, 1), seed=2))
    assert a != b


def test_running_imbalance_never_exceeds_half_the_largest_block() -> None:
    frame = randomisation_list(STRATA, 50, (2, 4), (1, 1), seed=4)
    report = balance_report(frame, ["site", "diagnosis"])
    assert (report["max_imbalance"] <= 2).all()
    assert (report["n"] == 50).all()


def test_block_size_not_a_multiple_of_the_ratio_exits_2(tmp_path: Path) -> None:
    result, path = _run(tmp_path, "bad.csv", "--ratio", "2:1")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "multiples of 3" in result.output  # type: ignore[attr-defined]
    assert not path.exists()


# Pocock & Simon 1975, range imbalance summed over factors, worked by hand:
# counts [[1, 0], [1, 0]] (one MSCT patient at each of the new patient's levels):
# MSCT gives ranges 2 + 2 = 4, control 0 + 0 = 0, so control is the arm of least imbalance.
def test_minimisation_prefers_the_arm_of_least_imbalance() -> None:
    from myotrial.design.randomise import minimisation_arm

    counts = np.array([[1, 0], [1, 0]])
    assert minimisation_arm(counts, probability=1.0, rng=0) == 1
    draws = [minimisation_arm(counts, probability=0.8, rng=seed) for seed in range(4000)]
    # binomial(4000, 0.8): mean 3200, sd 25.3; 4 sd either side
    assert 3099 <= sum(d == 1 for d in draws) <= 3301


# counts [[2, 1], [0, 1]]: MSCT gives ranges 2 + 0 = 2, control 0 + 2 = 2: a tie, broken
# in the ratio (2:1 gives MSCT two times in three).
def test_minimisation_breaks_a_tie_in_the_allocation_ratio() -> None:
    from myotrial.design.randomise import minimisation_arm

    counts = np.array([[2, 1], [0, 1]])
    draws = [minimisation_arm(counts, (1, 1), 0.8, rng=seed) for seed in range(3000)]
    assert 1400 <= sum(d == 0 for d in draws) <= 1600  # 1500 +- 3.7 sd
    # with 2:1 the weighted counts are [[1, 1], [0, 1]]: MSCT 1 + 0.5, control 0 + 2
    weighted = [minimisation_arm(counts, (2, 1), 1.0, rng=seed) for seed in range(10)]
    assert set(weighted) == {0}


def test_minimise_balances_every_factor_level() -> None:
    from myotrial.design.randomise import minimise

    patients = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(200)],
            "site": np.repeat(["A", "B", "C", "D"], 50),
            "diagnosis": np.tile(["PM", "DM"], 100),
        }
    )
    allocated = minimise(patients, ["site", "diagnosis"], probability=1.0, seed=3)
    for factor in ("site", "diagnosis"):
        per_level = allocated.groupby(factor)["arm"].value_counts().unstack()
        assert (per_level["MSCT"] - per_level["control"]).abs().max() <= 1
    again = minimise(patients, ["site", "diagnosis"], probability=1.0, seed=3)
    assert allocated.equals(again)
