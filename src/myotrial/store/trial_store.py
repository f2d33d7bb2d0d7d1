"""The trial store: save a whole trial with its audit trail, load it back, read the audit."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.errors import ConflictError, InvalidInputError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.diff import AUDIT_COLUMNS, TableDiff, diff_table, key_problems
from myotrial.store.guard import refusals
from myotrial.store.product_records import with_recorded_lots
from myotrial.store.reading import audit_frame, read_stored_trial, typed_columns
from myotrial.store.unit_of_work import AbstractUnitOfWork, SqlUnitOfWork
from myotrial.trialdata import TABLES, TrialData


@dataclass(frozen=True)
class TableSummary:
    """Rows of one table an import inserted, updated, deleted or left as they were."""

    table: str
    inserted: int
    updated: int
    deleted: int
    unchanged: int


@dataclass(frozen=True)
class ImportSummary:
    """What one import did (or, as a dry run, would do).

    ``import_id`` is ``None`` when nothing was written. ``changes`` lists every insert,
    update and deletion as audit rows (columns of
    :data:`myotrial.store.diff.AUDIT_COLUMNS`). ``refused`` names what a dry run would
    refuse without ``allow_deletions`` (empty for a real import, which raises instead).
    """

    tables: tuple[TableSummary, ...]
    import_id: int | None
    config_changed: bool
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AUDIT_COLUMNS))
    refused: tuple[Problem, ...] = ()
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything."""
        return self.import_id is not None

    def as_frame(self) -> pd.DataFrame:
        """One row per table: table, inserted, updated, deleted, unchanged."""
        return pd.DataFrame([vars(t) for t in self.tables])


class TrialStore:
    """One trial kept in a database (SQLite or PostgreSQL), with its audit trail.

    Open it with :func:`myotrial.store.open_store`; each method is one transaction.
    """

    def __init__(
        self, engine: sa.Engine, unit_of_work: Callable[[], AbstractUnitOfWork] | None = None
    ) -> None:
        self.engine = engine
        self._unit_of_work = unit_of_work or (lambda: SqlUnitOfWork(engine))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def unit_of_work(self) -> AbstractUnitOfWork:
        """A new transaction on this store, for the use cases of :mod:`myotrial.services`."""
        return self._unit_of_work()

    def save_trial(
        self,
        trial: TrialData,
        user: str,
        reason: str = "",
        allow_deletions: bool = False,
        dry_run: bool = False,
    ) -> ImportSummary:
        """Store ``trial``, writing only what differs from what is stored.

        Rows are matched on their natural keys. Each changed value, new row and removed
        row gets an audit row (who, when, old value, new value, reason); an unchanged
        trial writes nothing. All-or-nothing: on any error nothing is written.

        An import never deletes a stored row, nor overwrites a row last entered or
        corrected through the service (web entry, ``myotrial correct``), unless
        ``allow_deletions`` is given: it refuses instead, naming the rows.

        Parameters
        ----------
        trial : TrialData
            The whole trial, as :func:`myotrial.ingest.read_trial` returns it.
        user : str
            Who imports (recorded in the audit trail).
        reason : str
            Why (recorded in the audit trail).
        allow_deletions : bool
            Delete the stored rows the trial does not hold, and overwrite rows entered
            or corrected through the service.
        dry_run : bool
            Compare only: return what the import would do and write nothing.

        Returns
        -------
        ImportSummary
            Rows inserted, updated, deleted and unchanged per table, the changes, and
            the import id.

        Raises
        ------
        InvalidInputError
            If a row has no patient_id or two rows share a natural key.
        ConflictError
            If the import would delete rows or overwrite entered or corrected ones and
            ``allow_deletions`` is not given (never for a dry run).
        StoreError
            If the database refuses the write.
        """
        require_filled(user, "user", "the name of the person importing")
        incoming, layout = _encode(trial)
        meta = _meta(trial, layout)
        try:
            return self._save(incoming, meta, user, reason, trial, allow_deletions, dry_run)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"the database refused the import, nothing was written: {exc}"
            ) from exc

    def _save(
        self,
        incoming: dict[str, pd.DataFrame],
        meta: dict[str, str],
        user: str,
        reason: str,
        trial: TrialData,
        allow_deletions: bool,
        dry_run: bool,
    ) -> ImportSummary:
        with self._unit_of_work() as uow:
            # no entry may slip in between the comparison and the writes
            uow.trials.lock_tables()
            old_meta = uow.trials.read_meta(lock=True)
            typed = typed_columns(old_meta)
            # the recorded releases and recalls are kept, and gate the infusions
            incoming = with_recorded_lots(uow, incoming, json.loads(meta["layout"]), trial, typed)
            diffs = {
                t: diff_table(t, incoming[t], uow.trials.read_table(t, typed.get(t, [])))
                for t in TABLES
            }
            config_audit = _config_audit(old_meta, meta)
            audit = pd.concat([config_audit, *(d.audit for d in diffs.values())], ignore_index=True)
            refused = () if allow_deletions else tuple(refusals(uow.trials.connection, diffs))
            if dry_run:
                return _summary(diffs, None, not config_audit.empty, audit, refused, True)
            if refused:
                raise ConflictError(refused)
            meta_changed = old_meta is None or any(
                old_meta[k] != v for k, v in meta.items() if k not in ("source", "checksum")
            )
            if not meta_changed and not any(d.writes for d in diffs.values()):
                return _summary(diffs, None, False)
            changeset, at = uow.trials.add_changeset(
                "import", user, reason, trial.source, trial.checksum
            )
            _apply(uow, diffs)
            uow.trials.add_audit(audit, changeset, user, at, reason)
            uow.trials.write_meta(meta)
            uow.trials.sync_row_numbers()
            uow.commit()
        return _summary(diffs, changeset, not config_audit.empty, audit)

    def load_trial(self) -> TrialData:
        """The stored trial, exactly as it was imported (and since corrected).

        Raises
        ------
        NotFoundError
            If no trial has been imported into this database.
        """
        try:
            with self._unit_of_work() as uow:
                return read_stored_trial(uow.trials)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read the trial: {exc}") from exc

    def audit(self, patient_id: str | None = None) -> pd.DataFrame:
        """The audit trail, oldest first, optionally for one patient.

        Returns
        -------
        pandas.DataFrame
            Columns ``changed_at`` (UTC), ``user``, ``table``, ``key``, ``patient_id``,
            ``action`` (insert, update, delete), ``field`` (empty for a whole record),
            ``old_value``, ``new_value`` (text; JSON for a whole record), ``reason``,
            ``import_id``.

        Raises
        ------
        NotFoundError
            If ``patient_id`` is given and no audit row concerns that patient.
        """
        with self._unit_of_work() as uow:
            rows = uow.trials.read_audit(patient_id)
        if patient_id is not None and rows.empty:
            raise NotFoundError(
                f"no audit rows for patient {patient_id!r} "
                "(check the patient_id; myotrial audit lists every row)"
            )
        return audit_frame(rows)


def require_filled(value: str, name: str, hint: str) -> None:
    """Refuse an empty ``user`` or ``reason``: the audit trail records who and why.

    Raises
    ------
    InvalidInputError
        If ``value`` is empty or blank.
    """
    if not value or not value.strip():
        raise InvalidInputError(
            [Problem("arguments", None, name, value, "is required and cannot be empty", hint)]
        )


def _encode(trial: TrialData) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every table in the stored form; every problem with natural keys at once."""
    incoming: dict[str, pd.DataFrame] = {}
    layout: dict[str, Any] = {"tables": {}, "extra_columns": {}}
    problems: list[Problem] = []
    for table in TABLES:
        stored, entries = codec.encode_table(table, trial.table(table))
        problems += key_problems(table, stored, f"{table}.csv")
        incoming[table] = stored
        layout["tables"][table] = entries
    layout["extra_columns"] = {t: list(c) for t, c in trial.extra_columns.items()}
    if problems:
        raise InvalidInputError(problems)
    return incoming, layout


def _meta(trial: TrialData, layout: dict[str, Any]) -> dict[str, str]:
    return {
        "name": trial.config.name,
        "config": codec.dumps(trial.config.to_dict()),
        "layout": codec.dumps(layout),
        "source": trial.source,
        "checksum": trial.checksum,
    }


def _apply(uow: AbstractUnitOfWork, diffs: Mapping[str, TableDiff]) -> None:
    """Deletes first, children before patients; then patients before their rows."""
    children = [t for t in TABLES if t != "patients"]
    for table in [*children, "patients"]:
        uow.trials.delete_rows(table, diffs[table].deleted_ids)
    for table in ["patients", *children]:
        uow.trials.update_rows(table, diffs[table].updates, diffs[table].compared)
        uow.trials.insert_rows(table, diffs[table].inserts)


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = codec.dumps(value)
    return flat


def _config_audit(old_meta: Mapping[str, Any] | None, meta: Mapping[str, str]) -> pd.DataFrame:
    """Audit rows for the trial configuration: the whole of it once, then each change."""
    base = {"table_name": "trial", "record_key": "config", "patient_id": None}
    if old_meta is None:
        rows = [
            {
                **base,
                "action": "insert",
                "field": None,
                "old_value": None,
                "new_value": meta["config"],
            }
        ]
        return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    old = _flatten(json.loads(old_meta["config"]))
    new = _flatten(json.loads(meta["config"]))
    rows = [
        {
            **base,
            "action": "update",
            "field": key,
            "old_value": old.get(key),
            "new_value": new.get(key),
        }
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def _summary(
    diffs: Mapping[str, TableDiff],
    changeset: int | None,
    config_changed: bool,
    changes: pd.DataFrame | None = None,
    refused: tuple[Problem, ...] = (),
    dry_run: bool = False,
) -> ImportSummary:
    tables = tuple(
        TableSummary(t, len(d.inserts), d.updated, len(d.deleted_ids), d.unchanged)
        for t, d in diffs.items()
    )
    if changes is None:
        changes = pd.DataFrame(columns=list(AUDIT_COLUMNS))
    return ImportSummary(tables, changeset, config_changed, changes, refused, dry_run)
