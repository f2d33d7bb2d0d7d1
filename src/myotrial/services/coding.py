"""MedDRA coding of the adverse events: in the store (audited) or in a trial folder.

The command line (``myotrial code-ae``) calls these; the coding rules live in
:mod:`myotrial.exchange.meddra` and the audited write in :mod:`myotrial.store.coding`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from myotrial.exchange.meddra import (
    MeddraDictionary,
    UncodedTerm,
    code_adverse_events,
    parse_assignments,
    read_meddra,
)
from myotrial.ingest.writer import write_trial_folder, write_workbook
from myotrial.services.loading import load_trial
from myotrial.store import open_store
from myotrial.store.coding import stored_events, write_coding
from myotrial.store.diff import AUDIT_COLUMNS
from myotrial.store.trial_store import require_filled


@dataclass(frozen=True)
class CodingResult:
    """What a coding did: events coded, terms left for manual coding, the changes.

    ``changes`` holds one audit row per value written (empty when nothing changed);
    ``changeset`` is the coding's id in the audit trail (``None`` when nothing was
    written or the trial is a folder); ``written`` lists the files of a coded folder.
    """

    coded: int
    events: int
    uncoded: tuple[UncodedTerm, ...]
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AUDIT_COLUMNS))
    changeset: int | None = None
    written: tuple[Path, ...] = ()


def code_stored_events(
    meddra: Path | str,
    db_url: str,
    user: str,
    reason: str = "",
    assign: Iterable[str] = (),
) -> CodingResult:
    """Code the stored adverse events against the MedDRA distribution in ``meddra``.

    The distribution and the ``TERM=LLTCODE`` pairs are checked before anything is
    written; the coded columns that change are written in one transaction with one audit
    row each (who, when, old and new value, ``reason``).

    Parameters
    ----------
    meddra : path-like
        The MedAscii folder of a MedDRA distribution.
    db_url : str
        The database holding the trial.
    user, reason : str
        Who codes and why (reason defaults to ``MedDRA coding``).
    assign : iterable of str
        Manual coding, ``TERM=LLTCODE`` each (a current LLT; the term as reported).

    Returns
    -------
    CodingResult

    Raises
    ------
    InvalidInputError
        If the distribution cannot be read or a pair is wrong; nothing is written.
    NotFoundError
        If the database holds no trial.
    StoreError
        If the database refuses the write.
    """
    require_filled(user, "user", "the name of the person coding")
    dictionary = read_meddra(meddra)
    pairs = list(assign)
    why = reason or "MedDRA coding"
    store = open_store(db_url)
    try:
        with store.unit_of_work() as uow:
            # no import may slip in between reading the events and writing their codes
            uow.trials.lock_tables()
            stored = stored_events(uow.trials)
            assigned = parse_assignments(pairs, dictionary, stored["term"])
            found: list[UncodedTerm] = []

            def code(rows: pd.DataFrame) -> pd.DataFrame:
                coded, uncoded = code_adverse_events(rows, dictionary, assigned)
                found.extend(uncoded)
                return coded

            changes, changeset = write_coding(
                uow.trials, stored, code, user, why, dictionary.folder
            )
            uow.commit()
    finally:
        store.close()
    return _result(len(stored), found, changes, changeset)


def code_trial_file(
    meddra: Path | str, path: Path | str, output: Path | str, assign: Iterable[str] = ()
) -> CodingResult:
    """Code the adverse events of a trial folder or workbook; write the coded trial.

    The trial is read and validated as every import (:func:`load_trial`); ``output`` is
    a folder, or an ``.xlsx`` workbook, that receives the coded trial.

    Raises
    ------
    InvalidInputError
        If the trial, the distribution or a ``TERM=LLTCODE`` pair is wrong; nothing
        is written.
    """
    dictionary = read_meddra(meddra)
    trial = load_trial(Path(path))
    coded, uncoded = _coded(trial.adverse_events, dictionary, assign)
    result = trial.with_tables(adverse_events=coded)
    out = Path(output)
    written = (
        [write_workbook(result, out)]
        if out.suffix.lower() == ".xlsx"
        else write_trial_folder(result, out)
    )
    summary = _result(len(coded), uncoded, pd.DataFrame(columns=AUDIT_COLUMNS), None)
    return CodingResult(summary.coded, summary.events, summary.uncoded, written=tuple(written))


def _coded(
    events: pd.DataFrame, dictionary: MeddraDictionary, assign: Iterable[str]
) -> tuple[pd.DataFrame, list[UncodedTerm]]:
    assigned = parse_assignments(assign, dictionary, events["term"])
    return code_adverse_events(events, dictionary, assigned)


def _result(
    events: int, uncoded: list[UncodedTerm], changes: pd.DataFrame, changeset: int | None
) -> CodingResult:
    left = sum(u.events for u in uncoded)
    return CodingResult(events - left, events, tuple(uncoded), changes, changeset)
