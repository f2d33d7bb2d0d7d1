"""Multi-site use cases of the web service: who sees which patient, data entry, queries.

Every rule here is a call to the code the command line uses: values are parsed and
validated by :mod:`myotrial.ingest`, written with their audit rows by
:mod:`myotrial.store`, and scored by :mod:`myotrial.analysis`. This module only adds
the access rules of :mod:`myotrial.services.access` (roles and site isolation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import cached_property
from typing import Any

import pandas as pd

from myotrial.analysis.api import prepare
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.scoring import score_visits
from myotrial.errors import AccessDeniedError, InvalidInputError, NotFoundError, Problem
from myotrial.services.access import Caller, account_problems, require, require_user_manager
from myotrial.services.passwords import (
    PasswordHasher,
    hash_password,
    password_hasher,
    verify_password,
)
from myotrial.store import TrialStore, accounts, open_store, records
from myotrial.trialdata import TrialData


class SiteService:
    """The use cases behind the HTTP API and web pages, over one trial store."""

    def __init__(self, store: TrialStore, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.hasher = hasher or password_hasher()

    @classmethod
    def open(cls, db_url: str, hasher: PasswordHasher | None = None) -> SiteService:
        """Open the store at ``db_url`` (migrating it to the newest schema)."""
        return cls(open_store(db_url), hasher)

    def close(self) -> None:
        self.store.close()

    @cached_property
    def _dummy_hash(self) -> str:
        """Checked when a user name is unknown, so that a wrong name takes as long to
        refuse as a wrong password (no user enumeration by timing)."""
        return hash_password(self.hasher, "not-a-real-password")

    # users ---------------------------------------------------------------------------
    def active_user(self, username: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as connection:
            return accounts.find_user(connection, username)

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user when the password matches, else ``None`` (same cost either way)."""
        user = self.active_user(username)
        if user is None:
            verify_password(self.hasher, self._dummy_hash, password)  # same cost as a miss
            return None
        return user if verify_password(self.hasher, user["password_hash"], password) else None

    def add_user(
        self, caller: Caller | None, username: str, password: str, role: str, site: str | None
    ) -> dict[str, Any]:
        """Create a user; ``caller`` None means the command line (the machine's admin)."""
        require_user_manager(caller, "add users")
        problems = account_problems(username, password, role, site)
        if problems:
            raise InvalidInputError(problems)
        with self.store.engine.begin() as connection:
            accounts.add_user(
                connection, username, hash_password(self.hasher, password), role, site
            )
        return {"username": username, "role": role, "site": site}

    def disable_user(self, caller: Caller | None, username: str) -> None:
        """Disable a user at once (their tokens stop working on the next request)."""
        require_user_manager(caller, "disable users")
        with self.store.engine.begin() as connection:
            accounts.set_active(connection, username, False)

    def users(self, caller: Caller | None) -> list[dict[str, Any]]:
        """Every user without password hashes (``caller`` None: the command line)."""
        require_user_manager(caller, "list users")
        with self.store.engine.connect() as connection:
            return _jsonable(accounts.list_users(connection))

    # patients ------------------------------------------------------------------------
    def patients(self, caller: Caller) -> list[dict[str, Any]]:
        """The patients the caller may see, with their number of visits."""
        require(caller.reads_identified, "this role reads pseudonymised exports only")
        with self.store.engine.connect() as connection:
            frame = records.patient_list(connection, caller.site_filter)
        return _jsonable(frame.to_dict("records"))

    def patient(self, caller: Caller, patient_id: str) -> dict[str, Any]:
        """One patient with visits and infusions; 404 when the caller may not see it."""
        with self.store.engine.connect() as connection:
            found = records.patient_records(connection, patient_id)
        patient = found["patients"]
        if patient.empty or not caller.sees_site(str(patient["site"].iloc[0])):
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        visits = found["visits"].sort_values("visit_date")
        shown = [c for c in visits.columns if visits[c].notna().any() and c != "patient_id"]
        return {
            **_jsonable(patient.to_dict("records"))[0],
            "visits": _jsonable(visits[shown].to_dict("records")),
            "visit_columns": shown,
            "infusions": _jsonable(found["infusions"].to_dict("records")),
        }

    def _visible_site(self, caller: Caller, patient_id: str) -> str:
        """The patient's site; 404 when there is none or the caller may not see it."""
        with self.store.engine.connect() as connection:
            site = records.patient_site(connection, patient_id)
        if site is None or not caller.sees_site(site):
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        return site

    def _writable_site(self, caller: Caller, patient_id: str) -> str:
        site = self._visible_site(caller, patient_id)
        if not caller.writes_site(site):
            raise AccessDeniedError(f"role {caller.role} may not change patient data")
        return site

    # visits --------------------------------------------------------------------------
    def add_visit(
        self, caller: Caller, patient_id: str, values: dict[str, Any], reason: str
    ) -> dict[str, Any]:
        """Validate and store one visit with its audit rows; 422 lists every problem."""
        self._writable_site(caller, patient_id)
        visit = records.VisitEntry(self.store).add(
            patient_id, _as_text(values), user=caller.username, reason=reason or "data entry"
        )
        return _jsonable([visit])[0]

    def preview_visit(
        self, caller: Caller, patient_id: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Problems and the TIS a visit would have, without writing it."""
        self._writable_site(caller, patient_id)
        combined, problems = records.VisitEntry(self.store).check(patient_id, _as_text(values))
        result: dict[str, Any] = {
            "problems": [asdict(p) for p in problems],
            "tis": None,
            "category": None,
            "note": "",
        }
        if problems:
            return result
        visit_date = combined.visits["visit_date"].iloc[-1]
        scored = visit_scores(combined)
        row = scored[scored["visit_date"] == visit_date]
        if row.empty or pd.isna(row["tis"].iloc[0]):
            result["note"] = (
                "no TIS yet: the visit needs an episode baseline and every core set measure"
            )
            return result
        result["tis"] = float(row["tis"].iloc[-1])
        result["category"] = str(row["category"].iloc[-1])
        return result

    def correct(
        self, caller: Caller, patient_id: str, visit_date: str, field: str, value: str, reason: str
    ) -> dict[str, Any]:
        """Change one visit value through validation; the audit keeps old and new."""
        self._writable_site(caller, patient_id)
        self.store.correct(
            patient_id, visit_date, field, value, reason=reason, user=caller.username
        )
        return {
            "patient_id": patient_id,
            "visit_date": visit_date,
            "field": field,
            "value": value,
            "reason": reason,
        }

    def scores(self, caller: Caller, patient_id: str) -> list[dict[str, Any]]:
        """TIS of every follow-up visit against its episode baseline, computed now."""
        self._visible_site(caller, patient_id)
        trial = records.patient_trial(self.store, patient_id)
        return _jsonable(visit_scores(trial).to_dict("records"))

    # audit ---------------------------------------------------------------------------
    def audit(self, caller: Caller, patient_id: str | None) -> list[dict[str, Any]]:
        """Audit rows the caller may see (investigators: their site's patients)."""
        if patient_id is not None:
            self._visible_site(caller, patient_id)
            try:
                frame = self.store.audit(patient_id)
            except NotFoundError:
                return []
        else:
            frame = self.store.audit()
            allowed = self._visible_ids(caller)
            if allowed is not None:
                frame = frame[frame["patient_id"].isin(allowed)]
        return _jsonable(frame.to_dict("records"))

    def _visible_ids(self, caller: Caller) -> list[str] | None:
        """Patient ids the caller may see; ``None`` means all."""
        if caller.sees_all_sites:
            return None
        return [p["patient_id"] for p in self.patients(caller)]

    # queries -------------------------------------------------------------------------
    def queries(self, caller: Caller, status: str | None) -> list[dict[str, Any]]:
        require(caller.reads_queries, "statisticians do not see data queries")
        with self.store.engine.connect() as connection:
            rows = accounts.list_queries(connection, self._visible_ids(caller), status)
        sites = self._sites_of([r["patient_id"] for r in rows])
        for row in rows:
            row["can_answer"] = caller.answers_queries_of(sites.get(row["patient_id"], ""))
        return _jsonable(rows)

    def open_query(
        self,
        caller: Caller,
        patient_id: str,
        question: str,
        visit_date: str | None,
        field: str | None,
    ) -> dict[str, Any]:
        require(caller.raises_queries, "only monitors raise queries")
        self._visible_site(caller, patient_id)
        values = {
            "patient_id": patient_id,
            "question": question,
            "field": field,
            "visit_date": _parse_date(visit_date),
            "raised_by": caller.username,
        }
        with self.store.engine.begin() as connection:
            return _jsonable([accounts.open_query(connection, values)])[0]

    def answer_query(self, caller: Caller, query_id: int, answer: str) -> dict[str, Any]:
        query = self._query(caller, query_id)
        self._writable_site(caller, query["patient_id"])
        if query["status"] != "open":
            raise InvalidInputError(
                [
                    Problem(
                        "query",
                        None,
                        "status",
                        query["status"],
                        "only an open query can be answered",
                    )
                ]
            )
        return self._update_query(
            query_id,
            {
                "answer": answer,
                "status": "answered",
                "answered_by": caller.username,
                "answered_at": dt.datetime.now(dt.UTC),
            },
        )

    def close_query(self, caller: Caller, query_id: int) -> dict[str, Any]:
        require(caller.raises_queries, "only monitors close queries")
        self._query(caller, query_id)
        return self._update_query(
            query_id,
            {
                "status": "closed",
                "closed_by": caller.username,
                "closed_at": dt.datetime.now(dt.UTC),
            },
        )

    def _query(self, caller: Caller, query_id: int) -> dict[str, Any]:
        with self.store.engine.connect() as connection:
            query = accounts.get_query(connection, query_id)
        self._visible_site(caller, query["patient_id"])
        return query

    def _update_query(self, query_id: int, values: dict[str, Any]) -> dict[str, Any]:
        with self.store.engine.begin() as connection:
            accounts.update_query(connection, query_id, values)
            return _jsonable([accounts.get_query(connection, query_id)])[0]

    def _sites_of(self, patient_ids: list[str]) -> dict[str, str]:
        with self.store.engine.connect() as connection:
            frame = records.patient_list(connection, None)
        frame = frame[frame["patient_id"].isin(patient_ids)]
        return dict(zip(frame["patient_id"], frame["site"].astype(str), strict=True))

    # pseudonymised export ------------------------------------------------------------
    def pseudonymised(self, caller: Caller) -> dict[str, Any]:
        """Visits and infusions keyed by a keyed-hash pseudonym; no site, no names."""
        require(caller.reads_pseudonymised, "this role may not read the pseudonymised export")
        trial = self.store.load_trial()
        key = trial.checksum.encode() or b"myotrial"
        tables: dict[str, Any] = {}
        for name in ("visits", "infusions"):
            frame = trial.table(name).copy()
            frame["patient_id"] = frame["patient_id"].map(lambda p: _pseudonym(key, str(p)))
            tables[name] = _jsonable(frame.to_dict("records"))
        return tables

    def entry_fields(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Groups of (field, label) shown on the visit entry form."""
        return ENTRY_FIELDS


ENTRY_FIELDS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Core set measures",
        [
            ("phga", "Physician global (VAS)"),
            ("ptga", "Patient global (VAS)"),
            ("extramuscular", "Extramuscular global (VAS)"),
            ("mmt8", "MMT-8 total"),
            ("haq", "HAQ-DI (0-3)"),
        ],
    ),
    (
        "Muscle enzymes",
        [
            ("ck", "CK"),
            ("ck_mb", "CK-MB"),
            ("aldolase", "Aldolase"),
            ("ldh", "LDH"),
            ("ast", "AST"),
            ("alt", "ALT"),
        ],
    ),
    (
        "Lung, skin, steroids",
        [
            ("fvc_pct", "FVC % predicted"),
            ("dlco_pct", "DLCO % predicted"),
            ("ulcers", "Active skin ulcers"),
            ("cdasi_activity", "CDASI activity"),
            ("prednisone_mg", "Prednisone mg/day"),
        ],
    ),
]


def visit_scores(trial: TrialData) -> pd.DataFrame:
    """TIS of every follow-up visit of each course against that course's baseline.

    The same episode, baseline and scoring rules as ``myotrial analyze``; unlike the
    analysis tables, visits outside every time-point window are scored too.
    """
    options, notes = AnalysisOptions(), Notes()
    prep = prepare(trial, options, notes)
    keys = ["patient_id", "episode", "visit_date"]
    followup = prep.followup[prep.followup["episode"] > 0]
    timepoints = prep.mapped[[*keys, "timepoint"]].drop_duplicates(keys)
    followup = followup.drop(columns=["timepoint"], errors="ignore").merge(
        timepoints, on=keys, how="left"
    )
    scores = score_visits(followup, prep.baseline, trial.config, options)
    return scores.sort_values(["episode", "visit_date"]).reset_index(drop=True)


def _pseudonym(key: bytes, patient_id: str) -> str:
    return "P-" + hmac.new(key, patient_id.encode(), hashlib.sha256).hexdigest()[:12]


def _parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            [Problem("query", None, "visit_date", text, "is not a date", "write YYYY-MM-DD")]
        ) from exc


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
    }


def _jsonable(rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Rows with dates as ISO text and missing values as ``None``."""
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
                clean[str(key)] = None
            elif isinstance(value, pd.Timestamp | dt.datetime | dt.date):
                clean[str(key)] = (
                    value.date().isoformat()
                    if isinstance(value, pd.Timestamp) and value == value.normalize()
                    else value.isoformat()
                )
            elif hasattr(value, "item"):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        out.append(clean)
    return out
