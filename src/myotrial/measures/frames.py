"""The DataFrame face of the scorers: input columns followed by the scores, built once.

A scorer computes its results as one NumPy array per column (each at most a few
megabytes, so that repeated calls reuse freed memory instead of faulting in fresh pages).
:func:`with_scores` puts the input frame's columns and these arrays side by side without
copying either: pandas 2 without copy-on-write would consolidate the blocks
of ``concat`` (copying every column, the input's included) and ``DataFrame.__setitem__``
copies each assigned column; under copy-on-write ``concat`` keeps the blocks as they are
(pandas 3 makes this the default).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# pandas options are process-wide: one assembly at a time restores the option it found.
_ASSEMBLY = threading.Lock()


def _frame(name: str, values: Any, index: pd.Index) -> pd.DataFrame:
    if isinstance(values, np.ndarray):
        # A (n, 1) view becomes the frame's block as it is (no copy, no type inference).
        column = values.reshape(1, -1).T
        return pd.DataFrame(column, columns=[name], index=index, dtype=values.dtype, copy=False)
    return pd.DataFrame({name: values}, index=index, copy=False)


def with_scores(
    pairs: pd.DataFrame, scores: Mapping[str, Any], options: dict[str, object]
) -> pd.DataFrame:
    """``pairs`` (minus stale score columns) followed by ``scores``, sharing their memory.

    Parameters
    ----------
    pairs : DataFrame
        The scored input; its columns come first, unchanged.
    scores : mapping of str to array
        Score columns in output order: 1-D NumPy arrays or pandas extension arrays of
        ``len(pairs)`` values.
    options : dict
        Recorded in the result's ``attrs["options"]``.

    Returns
    -------
    DataFrame
        On the index of ``pairs``.
    """
    stale = [c for c in scores if c in pairs.columns]
    with _ASSEMBLY, pd.option_context("mode.copy_on_write", True):
        base = pairs.drop(columns=stale) if stale else pairs
        parts = [base, *(_frame(name, values, pairs.index) for name, values in scores.items())]
        result = pd.concat(parts, axis=1)
    result.attrs = {**pairs.attrs, "options": options}
    return result
