"""Classification of idiopathic inflammatory myopathy: EULAR/ACR 2017 and Bohan-Peter.

Sources: [EULAR/ACR 2017] Lundberg IE et al. Ann Rheum Dis 2017;76:1955-64 (weights and
score cut-offs, docs/measures.md §8); [Bohan-Peter] Bohan A, Peter JB. N Engl J Med
1975;292:344-7, 403-7.

Input: one row per patient. Item columns are booleans (true/false, yes/no, 1/0; an empty
cell or absent column means the item is not present):

- ``age_at_onset`` (years, number)
- ``weakness_upper``, ``weakness_lower``: symmetric proximal weakness of upper / lower limbs
- ``neck_flexors_weak``: neck flexors weaker than neck extensors
- ``legs_proximal_weaker``: in the legs, proximal muscles weaker than distal
- ``heliotrope``, ``gottron_papules``, ``gottron_sign``
- ``dysphagia``: dysphagia or oesophageal dysmotility
- ``anti_jo1``: anti-Jo-1 (anti-histidyl-tRNA synthetase) antibody
- ``enzymes_raised``: CK, LDH, AST or ALT above the upper limit of normal
- ``biopsy_endomysial``, ``biopsy_perimysial``, ``biopsy_perifascicular``,
  ``biopsy_rimmed_vacuoles``: muscle biopsy findings
- ``biopsy`` (optional): whether a muscle biopsy was done; when absent or empty, a biopsy
  counts as done if any biopsy finding is recorded (true or false)
- Bohan-Peter items: ``proximal_weakness`` (default: ``weakness_upper`` or
  ``weakness_lower``), ``biopsy_evidence`` (default: any biopsy finding),
  ``enzymes_raised``, ``emg_myopathic``, ``dm_rash`` (default: heliotrope, Gottron's
  papules or Gottron's sign)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrial.errors import InvalidInputError, Problem
from myotrial.measures import _checks

# EULAR/ACR 2017, Table 1: (weight without biopsy, weight with biopsy).
EULAR_ACR_WEIGHTS: Mapping[str, tuple[float, float]] = {
    "weakness_upper": (0.7, 0.7),
    "weakness_lower": (0.8, 0.5),
    "neck_flexors_weak": (1.9, 1.6),
    "legs_proximal_weaker": (0.9, 1.2),
    "heliotrope": (3.1, 3.2),
    "gottron_papules": (2.1, 2.7),
    "gottron_sign": (3.3, 3.7),
    "dysphagia": (0.7, 0.6),
    "anti_jo1": (3.9, 3.8),
    "enzymes_raised": (1.3, 1.4),
    "biopsy_endomysial": (0.0, 1.7),
    "biopsy_perimysial": (0.0, 1.2),
    "biopsy_perifascicular": (0.0, 1.9),
    "biopsy_rimmed_vacuoles": (0.0, 3.1),
}
AGE_WEIGHTS: tuple[tuple[float, float], tuple[float, float]] = ((1.3, 1.5), (2.1, 2.2))
"""Age at onset ≥ 18 and < 40, and ≥ 40: (without, with biopsy)."""
BIOPSY_ITEMS: tuple[str, ...] = tuple(k for k in EULAR_ACR_WEIGHTS if k.startswith("biopsy_"))
PROBABILITY_CONSTANT: tuple[float, float] = (5.33, 6.49)
"""Probability = 1 / (1 + exp(c - score)): c without, with biopsy."""
SCORE_CUTOFFS: tuple[tuple[float, ...], tuple[float, ...]] = ((5.3, 5.5, 7.5), (6.5, 6.7, 8.7))
"""Lowest score for possible, probable and definite IIM: without, with biopsy."""
EULAR_ACR_CATEGORIES: tuple[str, ...] = ("not IIM", "possible", "probable", "definite")
BOHAN_PETER_CATEGORIES: tuple[str, ...] = ("none", "possible", "probable", "definite")
NOT_CLASSIFIABLE = "not classifiable"
"""The category of every patient of a table without any item column of the criteria:
absent items would otherwise read as "not present" and the patient as not IIM."""
EULAR_ACR_ITEMS: tuple[str, ...] = ("age_at_onset", *EULAR_ACR_WEIGHTS)
BOHAN_PETER_ITEMS: tuple[str, ...] = (
    "proximal_weakness",
    "weakness_upper",
    "weakness_lower",
    "biopsy_evidence",
    *BIOPSY_ITEMS,
    "enzymes_raised",
    "emg_myopathic",
    "dm_rash",
    "heliotrope",
    "gottron_papules",
    "gottron_sign",
)
"""Columns either criterion set reads for its items (including the derived defaults)."""
EULAR_ACR_COLUMNS: tuple[str, ...] = (
    "eular_acr_biopsy",
    "eular_acr_score",
    "eular_acr_probability",
    "eular_acr_category",
)
BOHAN_PETER_COLUMNS: tuple[str, ...] = ("bohan_peter_type", "bohan_peter")


def _items(
    patients: pd.DataFrame, names: tuple[str, ...], source: str, problems: list[Problem]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {name: _checks.boolean(patients, name, source, problems) for name in names}


def _biopsy_done(
    patients: pd.DataFrame,
    items: dict[str, tuple[np.ndarray, np.ndarray]],
    source: str,
    problems: list[Problem],
) -> np.ndarray:
    done, known = _checks.boolean(patients, "biopsy", source, problems)
    any_finding = np.logical_or.reduce([items[k][1] for k in BIOPSY_ITEMS])
    return np.where(known, done, any_finding)


def _age_points(
    patients: pd.DataFrame, biopsy: np.ndarray, source: str, problems: list[Problem]
) -> np.ndarray:
    age = _checks.numeric(patients, "age_at_onset", source, problems)
    _checks.check_range(
        patients,
        "age_at_onset",
        age,
        0.0,
        120.0,
        "is outside 0-120 years",
        "age in years when the first symptom began",
        source,
        problems,
    )
    (young_without, young_with), (old_without, old_with) = AGE_WEIGHTS
    with np.errstate(invalid="ignore"):
        young = np.where(biopsy, young_with, young_without) * ((age >= 18) & (age < 40))
        old = np.where(biopsy, old_with, old_without) * (age >= 40)
    return young + old


def item_columns(patients: pd.DataFrame, items: tuple[str, ...] | None = None) -> list[str]:
    """The item columns of ``items`` (default: of both criteria) that ``patients`` has."""
    wanted = items if items is not None else (*EULAR_ACR_ITEMS, *BOHAN_PETER_ITEMS)
    return [name for name in dict.fromkeys(wanted) if name in patients.columns]


def _not_classifiable(
    patients: pd.DataFrame, columns: tuple[str, ...], category: str
) -> pd.DataFrame:
    # No item column at all: nothing was recorded, which is not the same as "absent".
    frame = pd.DataFrame(np.nan, index=patients.index, columns=list(columns), dtype=object)
    frame[category] = NOT_CLASSIFIABLE
    return frame


def classify_eular_acr(patients: pd.DataFrame, source: str = "patients") -> pd.DataFrame:
    """EULAR/ACR 2017 classification score, probability and category per patient.

    The score is the sum of the weights of the items present (the with-biopsy weights when
    a biopsy was done). Probability = 1 / (1 + exp(c - score)), c = 5.33 without biopsy,
    6.49 with. The category follows the published score cut-offs, not the rounded
    probability: without biopsy < 5.3 not IIM, 5.3-5.4 possible, ≥ 5.5 probable,
    ≥ 7.5 definite; with biopsy 6.5, 6.7 and 8.7.

    Parameters
    ----------
    patients : DataFrame
        One row per patient with the item columns listed in the module documentation.
    source : str
        File name used in problems.

    Returns
    -------
    DataFrame
        On the index of ``patients``: ``eular_acr_biopsy`` (bool), ``eular_acr_score``,
        ``eular_acr_probability`` and ``eular_acr_category``. When ``patients`` has no
        item column at all (:data:`EULAR_ACR_ITEMS`), the category is "not
        classifiable" and the other columns are empty.

    Raises
    ------
    InvalidInputError
        If an item is not a boolean or the age at onset is not a number in 0-120.
    """
    if not item_columns(patients, EULAR_ACR_ITEMS):
        return _not_classifiable(patients, EULAR_ACR_COLUMNS, "eular_acr_category")
    problems: list[Problem] = []
    items = _items(patients, tuple(EULAR_ACR_WEIGHTS), source, problems)
    biopsy = _biopsy_done(patients, items, source, problems)
    score = _age_points(patients, biopsy, source, problems)
    if problems:
        raise InvalidInputError(problems)
    for name, (without, with_biopsy) in EULAR_ACR_WEIGHTS.items():
        score = score + items[name][0] * np.where(biopsy, with_biopsy, without)
    # Weights have one decimal: round away floating-point noise before the cut-offs.
    score = np.round(score, 6)
    constant = np.where(biopsy, PROBABILITY_CONSTANT[1], PROBABILITY_CONSTANT[0])
    band_without = np.searchsorted(np.asarray(SCORE_CUTOFFS[0]), score, side="right")
    band_with = np.searchsorted(np.asarray(SCORE_CUTOFFS[1]), score, side="right")
    category = np.asarray(EULAR_ACR_CATEGORIES, dtype=object)[
        np.where(biopsy, band_with, band_without)
    ]
    return pd.DataFrame(
        {
            "eular_acr_biopsy": biopsy,
            "eular_acr_score": score,
            "eular_acr_probability": 1.0 / (1.0 + np.exp(constant - score)),
            "eular_acr_category": category,
        },
        index=patients.index,
    )


def classify_bohan_peter(patients: pd.DataFrame, source: str = "patients") -> pd.DataFrame:
    """Bohan-Peter (1975) classification per patient.

    Items: (1) symmetric proximal weakness, (2) biopsy evidence, (3) raised enzymes,
    (4) myopathic EMG, (5) typical DM rash. Without rash (PM): 4 of items 1-4 definite,
    3 probable, 2 possible. With rash (DM): rash plus 3 / 2 / 1 of items 1-4.

    Parameters
    ----------
    patients : DataFrame
        One row per patient (columns in the module documentation).
    source : str
        File name used in problems.

    Returns
    -------
    DataFrame
        ``bohan_peter_type`` ("PM" or "DM") and ``bohan_peter`` (none, possible,
        probable, definite), on the index of ``patients``; "not classifiable" (and no
        type) when ``patients`` has no item column at all (:data:`BOHAN_PETER_ITEMS`).

    Raises
    ------
    InvalidInputError
        If an item is not a boolean.
    """
    if not item_columns(patients, BOHAN_PETER_ITEMS):
        return _not_classifiable(patients, BOHAN_PETER_COLUMNS, "bohan_peter")
    problems: list[Problem] = []
    derived = {
        "proximal_weakness": ("weakness_upper", "weakness_lower"),
        "biopsy_evidence": BIOPSY_ITEMS,
        "dm_rash": ("heliotrope", "gottron_papules", "gottron_sign"),
    }
    values: dict[str, np.ndarray] = {}
    for name, fallback in derived.items():
        given, known = _checks.boolean(patients, name, source, problems)
        parts = _items(patients, fallback, source, problems)
        values[name] = np.where(known, given, np.logical_or.reduce([v for v, _ in parts.values()]))
    for name in ("enzymes_raised", "emg_myopathic"):
        values[name] = _checks.boolean(patients, name, source, problems)[0]
    if problems:
        raise InvalidInputError(problems)
    count = np.sum(
        [
            values[k]
            for k in ("proximal_weakness", "biopsy_evidence", "enzymes_raised", "emg_myopathic")
        ],
        axis=0,
    )
    rash = values["dm_rash"]
    # PM: 2, 3, 4 items → possible, probable, definite; DM: rash plus 1, 2, ≥ 3.
    level = np.where(rash, np.minimum(count, 3), np.maximum(count - 1, 0))
    return pd.DataFrame(
        {
            "bohan_peter_type": np.where(rash, "DM", "PM").astype(object),
            "bohan_peter": np.asarray(BOHAN_PETER_CATEGORIES, dtype=object)[level],
        },
        index=patients.index,
    )


def classify(patients: pd.DataFrame, source: str = "patients") -> pd.DataFrame:
    """``patients`` followed by the EULAR/ACR 2017 and Bohan-Peter columns.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient with the item columns listed in the module documentation
        (:data:`EULAR_ACR_ITEMS`, :data:`BOHAN_PETER_ITEMS`).
    source : str
        File name used in problems.

    Returns
    -------
    classified : pandas.DataFrame
        On the index of ``patients``, its columns followed by:

        * ``'eular_acr_biopsy'``: bool, a muscle biopsy was done (the with-biopsy
          weights and cut-offs apply).
        * ``'eular_acr_score'``: float, the EULAR/ACR 2017 score (sum of the weights).
        * ``'eular_acr_probability'``: float, 1 / (1 + exp(c - score)), the probability
          of idiopathic inflammatory myopathy.
        * ``'eular_acr_category'``: str, not IIM, possible, probable or definite
          ("not classifiable" without any item column).
        * ``'bohan_peter_type'``: str, PM or DM.
        * ``'bohan_peter'``: str, none, possible, probable or definite ("not
          classifiable" without any item column).

    Raises
    ------
    InvalidInputError
        Listing every problem of both classifications.
    """
    problems: list[Problem] = []
    parts = []
    for function in (classify_eular_acr, classify_bohan_peter):
        try:
            parts.append(function(patients, source))
        except InvalidInputError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InvalidInputError(problems)
    return pd.concat([patients, *parts], axis=1)
