"""Stratified permuted-block randomisation lists with blocks of random size.

Within each stratum (every combination of the stratification factors, in the order
given), blocks are drawn at random from the allowed sizes; each block holds the arms in
the allocation ratio and is shuffled. The list is cut at ``n_per_stratum`` rows, so only
a stratum's last block may be incomplete. The whole list comes from one
``numpy.random.SeedSequence(seed)``: the same seed and options give the same list, byte
for byte, and its SHA-256 identifies it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from myotrial.domain import ARMS
from myotrial.domain.conduct import stratum_key


def parse_ratio(text: str) -> tuple[int, int]:
    """``"2:1"`` → (2, 1): MSCT to control.

    Raises
    ------
    ValueError
        If the text is not two whole numbers above 0 separated by a colon.
    """
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"ratio {text!r} must look like 1:1 or 2:1 (MSCT:control)")
    return int(parts[0]), int(parts[1])


def check_block_sizes(block_sizes: Sequence[int], ratio: tuple[int, int]) -> None:
    """Every block must hold whole multiples of the allocation ratio.

    Raises
    ------
    ValueError
        Naming each size that is not a positive multiple of the ratio's sum.
    """
    unit = sum(ratio)
    bad = [s for s in block_sizes if s <= 0 or s % unit]
    if bad or not block_sizes:
        raise ValueError(
            f"block sizes {bad or list(block_sizes)} must be positive multiples "
            f"of {unit} (the ratio {ratio[0]}:{ratio[1]} summed)"
        )


def randomisation_list(
    strata: Mapping[str, Sequence[str]],
    n_per_stratum: int,
    block_sizes: Sequence[int] = (2, 4),
    ratio: tuple[int, int] = (1, 1),
    seed: int = 0,
) -> pd.DataFrame:
    """Build the list.

    Parameters
    ----------
    strata
        Factor name → levels, e.g. ``{"site": ["A", "B"], "diagnosis": ["PM", "DM"]}``.
    n_per_stratum
        Rows per stratum.
    block_sizes
        Allowed block lengths (each a multiple of the ratio's sum), chosen with equal
        chance for every block.
    ratio
        MSCT : control.
    seed
        Seed of the list.

    Returns
    -------
    pandas.DataFrame
        One column per factor, then ``sequence`` (1.. within stratum), ``block`` (1.. within
        stratum), ``block_size`` and ``arm`` (``MSCT`` or ``control``).

    Raises
    ------
    ValueError
        If ``n_per_stratum`` < 1, a factor has no levels, or a block size is invalid.
    """
    check_block_sizes(block_sizes, ratio)
    if n_per_stratum < 1 or not strata or any(not levels for levels in strata.values()):
        raise ValueError("need n_per_stratum >= 1 and at least one level per factor")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    cells = list(itertools.product(*strata.values()))
    sizes = np.asarray(sorted(block_sizes))
    n_blocks = -(-n_per_stratum // int(sizes.min()))
    chosen = sizes[rng.integers(0, len(sizes), (len(cells), n_blocks))]
    slots = _slots(chosen, ratio)
    # shuffle within each block: sort by a random key inside (stratum, block)
    key = rng.random(len(slots["arm"]))
    order = np.lexsort((key, slots["block"], slots["stratum"]))
    frame = pd.DataFrame(
        {name: values[order] if name == "arm" else values for name, values in slots.items()}
    )
    frame["sequence"] = frame.groupby("stratum").cumcount() + 1
    frame = frame[frame["sequence"] <= n_per_stratum].reset_index(drop=True)
    levels = pd.DataFrame(cells, columns=list(strata))
    out = levels.iloc[frame["stratum"].to_numpy()].reset_index(drop=True)
    out["sequence"] = frame["sequence"].to_numpy()
    out["block"] = frame["block"].to_numpy() + 1
    out["block_size"] = frame["block_size"].to_numpy()
    out["arm"] = np.asarray(ARMS)[frame["arm"].to_numpy()]
    return out


def _slots(chosen: np.ndarray, ratio: tuple[int, int]) -> dict[str, np.ndarray]:
    """One row per place in every block: stratum, block, block size and arm code."""
    sizes = chosen.ravel()
    stratum = np.repeat(np.repeat(np.arange(chosen.shape[0]), chosen.shape[1]), sizes)
    block = np.repeat(np.tile(np.arange(chosen.shape[1]), chosen.shape[0]), sizes)
    size = np.repeat(sizes, sizes)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    place = np.arange(sizes.sum()) - start
    # the first ratio[0]/sum of each block is MSCT (code 0), the rest control (code 1)
    arm = (place >= size * ratio[0] // sum(ratio)).astype(int)
    return {"stratum": stratum, "block": block, "block_size": size, "arm": arm}


def list_csv(frame: pd.DataFrame) -> bytes:
    """The list as CSV bytes (UTF-8, ``\\n`` line ends): what is written and hashed."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def balance_report(frame: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """Per stratum: rows, MSCT, control, and the largest running imbalance.

    Returns
    -------
    pandas.DataFrame
        Columns: the factors, ``n``, ``MSCT``, ``control``, ``max_imbalance``.
    """
    coded = frame.assign(diff=np.where(frame["arm"] == ARMS[0], 1, -1))
    coded["running"] = coded.groupby(list(factors), sort=False)["diff"].cumsum().abs()
    grouped = coded.groupby(list(factors), sort=False)
    report = grouped.agg(
        n=("arm", "size"),
        MSCT=("arm", lambda a: int((a == ARMS[0]).sum())),
        control=("arm", lambda a: int((a == ARMS[1]).sum())),
        max_imbalance=("running", "max"),
    )
    return report.reset_index()


def stratum_names(frame: pd.DataFrame, factors: Sequence[str]) -> pd.Series:
    """The stratum of each row of a list or of patients: ``site=A, diagnosis=DM``."""
    rows: list[list[str]] = frame[list(factors)].astype(str).to_numpy().tolist()
    return pd.Series([stratum_key(factors, row) for row in rows], index=frame.index, dtype=object)


def strata_of(levels: Mapping[str, Sequence[str]]) -> list[str]:
    """Every stratum of the factors' levels, in the order of :func:`randomisation_list`."""
    factors = list(levels)
    return [stratum_key(factors, cell) for cell in itertools.product(*levels.values())]


def allocation_rng(seed: int, position: int) -> np.random.Generator:
    """The random stream of the ``position``-th allocation (0-based) of a minimised trial.

    Each allocation has a stream of its own drawn from ``SeedSequence([seed, position])``,
    so the n-th allocation is reproducible from the seed and the n-1 before it, whichever
    process makes it.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, position])))


def minimisation_arm(
    counts: np.ndarray,
    ratio: tuple[int, int] = (1, 1),
    probability: float = 0.8,
    rng: np.random.Generator | int | None = None,
) -> int:
    """The arm (0: treated, 1: control) Pocock-Simon minimisation gives the next patient.

    Pocock SJ, Simon R. Biometrics 1975;31:103-15. For each factor, ``counts`` holds how
    many patients already allocated share the new patient's level, per arm. Each count
    is divided by the arm's share of the ratio; the imbalance of giving arm ``a`` is the
    sum over factors of the range of these weighted counts with the new patient added to
    ``a``. The arm of least imbalance is given with ``probability``, the other arm
    otherwise; a tie is broken at random in the allocation ratio.

    Parameters
    ----------
    counts : numpy.ndarray
        Shape (number of factors, 2).
    ratio : tuple of int
        Treated : control.
    probability : float
        Chance of the arm of least imbalance (0.5 to 1; 1 is deterministic).
    rng : numpy.random.Generator or int or None
        The random element.

    Returns
    -------
    int
        The index of the arm in :data:`myotrial.domain.ARMS`.
    """
    generator = np.random.default_rng(rng)
    weights = np.asarray(ratio, dtype=float)
    counts = np.asarray(counts, dtype=float).reshape(-1, 2)
    imbalance = np.empty(2)
    for arm in (0, 1):
        after = counts + (np.arange(2) == arm)
        weighted = after / weights
        imbalance[arm] = (weighted.max(axis=1) - weighted.min(axis=1)).sum()
    draw = generator.random()
    if imbalance[0] == imbalance[1]:
        return 0 if draw < weights[0] / weights.sum() else 1
    best = int(np.argmin(imbalance))
    return best if draw < probability else 1 - best


def minimise(
    patients: pd.DataFrame,
    factors: Sequence[str],
    ratio: tuple[int, int] = (1, 1),
    probability: float = 0.8,
    seed: int = 0,
) -> pd.DataFrame:
    """Allocate ``patients`` in their order by minimisation over ``factors``.

    The same allocation the web service makes when the patients are randomised one
    after another in this order with this seed (:func:`minimisation_arm`, with the
    stream :func:`allocation_rng` of each position).

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, the factors, ``stratum``, ``sequence`` (1.. within stratum) and
        ``arm``.
    """
    frame = patients[["patient_id", *factors]].astype(str).reset_index(drop=True)
    arms = np.empty(len(frame), dtype=int)
    values = frame[list(factors)].to_numpy()
    for position in range(len(frame)):
        earlier = values[:position]
        mine = values[position]
        counts = np.array(
            [
                [np.sum((earlier[:, f] == mine[f]) & (arms[:position] == a)) for a in (0, 1)]
                for f in range(len(factors))
            ]
        ).reshape(-1, 2)
        arms[position] = minimisation_arm(
            counts, ratio, probability, allocation_rng(seed, position)
        )
    frame["stratum"] = stratum_names(frame, factors)
    frame["sequence"] = frame.groupby("stratum").cumcount() + 1
    frame["arm"] = np.asarray(ARMS)[arms]
    return frame
