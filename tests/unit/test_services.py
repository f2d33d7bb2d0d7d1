"""The multi-site use cases driven through a fake unit of work (no database).

The fake repositories hold a synthetic two-arm registry in memory; the use cases are
the real ones, so these tests pin the rules of docs/server.md (roles, site isolation,
queries) and of docs/trial-format.md (a visit is checked as an import row) without
SQL. The same use cases run on SQLite and PostgreSQL in tests/server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import pandas as pd
import pytest

from myotrial.config import TrialConfig
from myotrial.domain.entry import Record, RecordContext
from myotrial.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    Problem,
)
from myotrial.services.access import Caller
from myotrial.services.accounts import Accounts
from myotrial.services.enrolment import Enrolment
from myotrial.services.entry import DataEntry, correct_visit
from myotrial.services.exports import Exports
from myotrial.services.passwords import password_hasher
from myotrial.services.patients import PatientRecords
from myotrial.services.queries import DataQueries
from myotrial.store import Correction
from myotrial.store.casebook import CasebookHold
from myotrial.store.conduct_repositories import (
    AbstractAlertRepository,
    AbstractEnrolmentRepository,
)
from myotrial.store.correction import RowToCorrect, VisitToCorrect
from myotrial.store.pages import AuditFilter, PatientFilter
from myotrial.store.records import duplicate_visit
from myotrial.store.site_repositories import (
    AbstractCasebookRepository,
    AbstractPatientRepository,
    AbstractQueryRepository,
    AbstractUserRepository,
)
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

PASSWORD = "correct horse battery"


class FakeUsers(AbstractUserRepository):
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, int] = {}  # live sessions per user name
        self.changes: list[tuple[dict[str, Any], str, str]] = []

    def get(self, username: str) -> dict[str, Any] | None:
        row = self.rows.get(username)
        return dict(row) if row is not None and row["active"] else None

    def add(self, username: str, password_hash: str, role: str, site: str | None) -> None:
        if username in self.rows:
            raise InvalidInputError([Problem("users", None, "username", username, "is taken")])
        self.rows[username] = {
            "username": username,
            "password_hash": password_hash,
            "role": role,
            "site": site,
            "active": True,
            "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        }

    def set_active(self, username: str, active: bool) -> None:
        if username not in self.rows:
            raise NotFoundError(f"user {username!r} does not exist")
        self.rows[username]["active"] = active

    def list(self) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in row.items() if k != "password_hash"}
            for _, row in sorted(self.rows.items())
        ]

    def find(self, username: str) -> dict[str, Any]:
        if username not in self.rows:
            raise NotFoundError(f"user {username!r} does not exist")
        return dict(self.rows[username])

    def update(self, username: str, values: dict[str, Any]) -> None:
        self.find(username)
        self.rows[username].update(values)

    def end_sessions(self, username: str) -> int:
        return self.sessions.pop(username, 0)

    def record_change(self, change: dict[str, Any], by: str, reason: str) -> None:
        self.changes.append((change, by, reason))


class FakeQueries(AbstractQueryRepository):
    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        query_id = len(self.rows) + 1
        self.rows[query_id] = {"id": query_id, "status": "open", "answer": None, **values}
        return dict(self.rows[query_id])

    def get(self, query_id: int) -> dict[str, Any]:
        if query_id not in self.rows:
            raise NotFoundError(f"query {query_id} does not exist")
        return dict(self.rows[query_id])

    def list(self, patient_ids: list[str] | None, status: str | None) -> list[dict[str, Any]]:
        return [
            dict(q)
            for q in reversed(self.rows.values())
            if (patient_ids is None or q["patient_id"] in patient_ids)
            and (status is None or q["status"] == status)
        ]

    def update(self, query_id: int, values: dict[str, Any]) -> None:
        self.rows[query_id].update(values)


class FakePatients(AbstractPatientRepository):
    """The trial in memory; an added visit or a correction changes ``self.trial_data``."""

    def __init__(self, trial: TrialData) -> None:
        self.trial_data = trial
        self.audit_rows: list[dict[str, Any]] = []

    def _of(self, table: str, patient_id: str) -> pd.DataFrame:
        frame = self.trial_data.table(table)
        return frame[frame["patient_id"] == patient_id].reset_index(drop=True)

    def list(self, site: str | None) -> pd.DataFrame:
        patients = self.trial_data.patients
        counts = self.trial_data.visits.groupby("patient_id").size()
        frame = patients.assign(n_visits=patients["patient_id"].map(counts).fillna(0))
        return frame if site is None else frame[frame["site"] == site]

    def site_of(self, patient_id: str) -> str | None:
        found = self._of("patients", patient_id)
        return None if found.empty else str(found["site"].iloc[0])

    def records(self, patient_id: str) -> dict[str, pd.DataFrame]:
        return {t: self._of(t, patient_id) for t in ("patients", "infusions", "visits", "events")}

    def tables(
        self, patient_id: str, tables: tuple[str, ...]
    ) -> tuple[TrialConfig, dict[str, pd.DataFrame]]:
        return self.trial_data.config, {t: self._of(t, patient_id) for t in tables}

    def trial(self) -> TrialData:
        return self.trial_data

    def audit(self, patient_id: str | None) -> pd.DataFrame:
        rows = [r for r in self.audit_rows if patient_id in (None, r["patient_id"])]
        return pd.DataFrame(rows, columns=["patient_id", "action", "user", "reason"])

    def entry_context(self, table: str, patient_id: str) -> tuple[TrialConfig, RecordContext]:
        patient = self._of("patients", patient_id)
        if patient.empty:
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        visits = self._of("visits", patient_id).sort_values("visit_date")
        first = None
        if table == "visits" and not visits.empty:
            mmt_max = visits["mmt_max"].iloc[0] if "mmt_max" in visits.columns else None
            first = (visits["visit_date"].iloc[0].date(), None if pd.isna(mmt_max) else mmt_max)
        enrolled = patient["enrolment_date"].iloc[0].date()
        return self.trial_data.config, RecordContext(enrolled, first)

    def patient_page(self, where: PatientFilter) -> tuple[list[dict[str, Any]], str | None]:
        frame = self.list(where.site).sort_values("patient_id")
        if where.search:
            frame = frame[frame["patient_id"].str.lower().str.contains(where.search.lower())]
        if where.after:
            frame = frame[frame["patient_id"] > where.after]
        rows = frame.head(where.limit).to_dict("records")
        more = len(frame) > where.limit
        return rows, str(rows[-1]["patient_id"]) if more else None

    def audit_page(self, where: AuditFilter) -> tuple[list[dict[str, Any]], int | None]:
        rows = [r for r in self.audit_rows if where.patient_id in (None, r["patient_id"])]
        return rows[::-1][: where.limit], None

    def has_visit(self, patient_id: str, day: dt.date) -> bool:
        visits = self._of("visits", patient_id)
        return bool((visits["visit_date"] == pd.Timestamp(day)).any())

    def add_record(self, table: str, record: Record, user: str, reason: str) -> None:
        patient_id = str(record["patient_id"])
        day = record["visit_date"]
        if self.has_visit(patient_id, day):  # type: ignore[arg-type]
            raise ConflictError([duplicate_visit(patient_id, day)])  # type: ignore[arg-type]
        row = {c: pd.Timestamp(v) if isinstance(v, dt.date) else v for c, v in record.items()}
        visits = pd.concat([self.trial_data.visits, pd.DataFrame([row])], ignore_index=True)
        self.trial_data = self.trial_data.with_tables(visits=visits)
        self.audit_rows.append(
            {"patient_id": patient_id, "action": "insert", "user": user, "reason": reason}
        )

    def add_row(self, table: str, row: pd.DataFrame, user: str, reason: str) -> None:
        rows = pd.concat([self.trial_data.table(table), row], ignore_index=True)
        self.trial_data = self.trial_data.with_tables(**{table: rows})
        patient_id = str(row["patient_id"].iloc[0])
        self.audit_rows.append(
            {"patient_id": patient_id, "action": "insert", "user": user, "reason": reason}
        )

    def row_to_correct(
        self, table: str, patient_id: str, match: dict[str, Any], field: str
    ) -> RowToCorrect:
        raise NotFoundError(f"the fake corrects visits only, not {table}")

    def visit_to_correct(self, patient_id: str, day: pd.Timestamp, field: str) -> VisitToCorrect:
        visits = self._of("visits", patient_id)
        visit = visits[visits["visit_date"] == day]
        if visit.empty:
            raise NotFoundError(f"patient {patient_id!r} has no visit on {day.date()}")
        patient = self._of("patients", patient_id)
        return VisitToCorrect(visit, visit, patient, self.trial_data.config, {}, day)

    def correct(
        self, visit: VisitToCorrect, after: pd.DataFrame, field: str, user: str, reason: str
    ) -> Correction:
        visits = self.trial_data.visits.copy()
        patient_id = str(visit.before["patient_id"].iloc[0])
        where = (visits["patient_id"] == patient_id) & (visits["visit_date"] == visit.day)
        old, new = visits.loc[where, field].iloc[0], after[field].iloc[0]
        visits.loc[where, field] = new
        self.trial_data = self.trial_data.with_tables(visits=visits)
        day = visit.day.date().isoformat()
        return Correction(patient_id, day, field, str(old), str(new), bool(old != new))


class FakeEnrolment(AbstractEnrolmentRepository):
    """Consent records in memory (the patients' rows stay those of the trial)."""

    def __init__(self) -> None:
        self.consents: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[dict[str, Any], str, str]] = []

    def add_patient(self, patient: pd.DataFrame, user: str, reason: str) -> None:
        raise NotImplementedError("enrolment is tested on a real store (tests/server)")

    def consent(self, patient_id: str) -> dict[str, Any] | None:
        return self.consents.get(patient_id)

    def add_consent(self, values: dict[str, Any], by: str) -> dict[str, Any]:
        self.consents[values["patient_id"]] = {**values, "withdrawn_at": None}
        return self.consents[values["patient_id"]]

    def withdraw(
        self, patient_id: str, by: str, reason: str, paper_consent: dt.date | None
    ) -> dict[str, Any]:
        record = self.consents.setdefault(patient_id, {"consent_date": paper_consent})
        record.update(
            withdrawn_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
            withdrawn_by=by,
            withdrawal_reason=reason,
        )
        return record

    def record_event(self, event: dict[str, Any], by: str, reason: str) -> None:
        self.events.append((event, by, reason))


class FakeAlerts(AbstractAlertRepository):
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        self.rows.append({**values, "id": len(self.rows) + 1, "acknowledged_at": None})
        return self.rows[-1]

    def get(self, alert_id: int) -> dict[str, Any]:
        return self.rows[alert_id - 1]

    def list(self, role: str, open_only: bool) -> list[dict[str, Any]]:
        return [a for a in self.rows if role in a["for_roles"]]

    def acknowledge(self, alert_id: int, by: str) -> dict[str, Any]:
        self.rows[alert_id - 1]["acknowledged_by"] = by
        return self.rows[alert_id - 1]


class FakeCasebooks(AbstractCasebookRepository):
    """Signatures and trial locks in memory."""

    def __init__(self, patients: FakePatients) -> None:
        self.patients = patients
        self.rows: list[dict[str, Any]] = []
        self.locks: list[dict[str, Any]] = []

    def hold(self, patient_id: str, shared: bool = False) -> CasebookHold | None:
        if self.patients.site_of(patient_id) is None:
            return None
        standing = [r for r in self.signatures(patient_id) if r["invalidated_at"] is None]
        return CasebookHold(standing, self.trial_lock() is not None)

    def hold_trial(self, locking: bool = False) -> None:
        pass  # one thread: nothing to wait for

    def signatures(self, patient_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows if r["patient_id"] == patient_id]

    def sign(self, values: dict[str, Any], reason: str) -> int:
        empty = dict.fromkeys(("unlocked_at", "unlocked_by", "invalidated_at", "invalidated_by"))
        self.rows.append({"id": len(self.rows) + 1, **empty, **values})
        return len(self.rows)

    def change(
        self,
        signature: dict[str, Any],
        values: dict[str, Any],
        action: str,
        user: str,
        reason: str,
    ) -> None:
        self.rows[signature["id"] - 1].update(values)

    def trial_lock(self) -> dict[str, Any] | None:
        return next((dict(r) for r in self.locks if r["unlocked_at"] is None), None)

    def lock(self, user: str, at: dt.datetime, reason: str) -> int:
        lock = {"id": len(self.locks) + 1, "locked_by": user, "locked_at": at, "reason": reason}
        self.locks.append({**lock, "unlocked_at": None})
        return len(self.locks)

    def unlock(self, lock: dict[str, Any], user: str, at: dt.datetime, reason: str) -> None:
        self.locks[lock["id"] - 1]["unlocked_at"] = at


class FakeUnitOfWork(AbstractUnitOfWork):
    """Shares its repositories across units of work, as one database would."""

    def __init__(self, trial: TrialData) -> None:
        self.users = FakeUsers()
        self.queries = FakeQueries()
        self.patients = FakePatients(trial)
        self.enrolment = FakeEnrolment()
        self.alerts = FakeAlerts()
        self.casebooks = FakeCasebooks(self.patients)
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        return self

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        """Nothing to undo: the tests check that no write happened before a refusal."""


@pytest.fixture
def registry() -> TrialData:
    """Forty synthetic patients at several sites, two arms, with missing values."""
    return make_registry(40, seed=3)


@pytest.fixture
def uow(registry: TrialData) -> FakeUnitOfWork:
    return FakeUnitOfWork(registry)


def _site_and_patient(trial: TrialData) -> tuple[str, str, str]:
    """A site, one of its patients, and a patient of another site."""
    patients = trial.patients
    site = str(patients["site"].iloc[0])
    mine = str(patients.loc[patients["site"] == site, "patient_id"].iloc[0])
    other = str(patients.loc[patients["site"] != site, "patient_id"].iloc[0])
    return site, mine, other


def _next_visit(trial: TrialData, patient_id: str) -> dict[str, Any]:
    """A plausible follow-up visit 7 days after the patient's last one."""
    last = trial.visits.loc[trial.visits["patient_id"] == patient_id, "visit_date"].max()
    day = (last + pd.Timedelta(days=7)).date().isoformat()
    return {"visit_date": day, "phga": 3, "ptga": 4, "extramuscular": 2, "mmt8": 70}


# accounts ------------------------------------------------------------------------------
@pytest.fixture
def accounts(uow: FakeUnitOfWork) -> Accounts:
    return Accounts(uow, password_hasher(light=True))


def test_added_user_is_stored_with_a_hash_and_can_log_in(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    accounts.add_user(None, "ann", PASSWORD, "admin", None)
    assert uow.commits == 1
    assert uow.users.rows["ann"]["password_hash"] != PASSWORD
    assert accounts.authenticate("ann", PASSWORD)["role"] == "admin"  # type: ignore[index]
    assert accounts.authenticate("ann", "wrong password") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


def test_only_an_admin_adds_users_and_nothing_is_stored_otherwise(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(AccessDeniedError):
        accounts.add_user(Caller("mo", "monitor", None), "eve", PASSWORD, "admin", None)
    assert uow.users.rows == {} and uow.commits == 0


def test_broken_account_rules_are_listed_and_nothing_is_stored(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        accounts.add_user(None, "ivo", "short", "investigator", None)
    assert [p.column for p in caught.value.problems] == ["site", "password"]
    assert uow.users.rows == {}


def test_a_disabled_user_can_no_longer_log_in(accounts: Accounts) -> None:
    accounts.add_user(None, "leaver", PASSWORD, "monitor", None)
    accounts.disable_user(None, "leaver")
    assert accounts.authenticate("leaver", PASSWORD) is None
    assert [u["active"] for u in accounts.users(None)] == [False]


ADMIN = Caller("ada", "admin", None)


def test_disabling_ends_sessions_and_enabling_lets_the_user_in_again(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    accounts.add_user(None, "leaver", PASSWORD, "monitor", None)
    uow.users.sessions["leaver"] = 2
    assert accounts.disable_user(ADMIN, "leaver") == 2
    accounts.enable_user(ADMIN, "leaver")
    assert accounts.authenticate("leaver", PASSWORD) is not None
    assert uow.users.sessions == {}  # enabling revives no ended session
    actions = [
        (c["action"], c.get("old_value"), c.get("new_value")) for c, _, _ in uow.users.changes
    ]
    assert actions == [
        ("add", None, "monitor"),
        ("disable", "true", "false"),
        ("enable", "false", "true"),
    ]
    assert {by for _, by, _ in uow.users.changes[1:]} == {"ada"}


def test_a_new_password_ends_sessions_and_replaces_the_old_one(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    accounts.add_user(None, "pat", PASSWORD, "monitor", None)
    uow.users.sessions["pat"] = 1
    assert accounts.set_password(None, "pat", "a new long passphrase", actor="root") == 1
    assert accounts.authenticate("pat", PASSWORD) is None
    assert accounts.authenticate("pat", "a new long passphrase") is not None
    change, by, _ = uow.users.changes[-1]
    assert change == {
        "username": "pat",
        "action": "password",
        "field": "password",
        "old_value": None,
        "new_value": None,
    }
    assert by == "root"


def test_a_short_new_password_is_refused_and_nothing_changes(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    accounts.add_user(None, "pat", PASSWORD, "monitor", None)
    before = dict(uow.users.rows["pat"])
    with pytest.raises(InvalidInputError, match="at least 8"):
        accounts.set_password(None, "pat", "short")
    assert uow.users.rows["pat"] == before and len(uow.users.changes) == 1


def test_a_new_role_ends_sessions_and_is_audited_old_and_new(
    accounts: Accounts, uow: FakeUnitOfWork
) -> None:
    accounts.add_user(None, "ivo", PASSWORD, "investigator", "3")
    uow.users.sessions["ivo"] = 3
    assert accounts.set_role(ADMIN, "ivo", "monitor", "3") == 3
    assert uow.users.rows["ivo"]["role"] == "monitor" and uow.users.rows["ivo"]["site"] is None
    changes = [(c["field"], c["old_value"], c["new_value"]) for c, _, _ in uow.users.changes[1:]]
    assert changes == [("role", "investigator", "monitor"), ("site", "3", None)]


@pytest.mark.parametrize(
    ("role", "site", "column"), [("owner", None, "role"), ("investigator", None, "site")]
)
def test_a_role_breaking_the_rules_is_refused(
    accounts: Accounts, uow: FakeUnitOfWork, role: str, site: str | None, column: str
) -> None:
    accounts.add_user(None, "mo", PASSWORD, "monitor", None)
    with pytest.raises(InvalidInputError) as caught:
        accounts.set_role(None, "mo", role, site)
    assert [p.column for p in caught.value.problems] == [column]
    assert uow.users.rows["mo"]["role"] == "monitor"


@pytest.mark.parametrize("change", ["disable", "enable", "password", "role"])
def test_only_an_admin_changes_accounts(accounts: Accounts, change: str) -> None:
    accounts.add_user(None, "mo", PASSWORD, "monitor", None)
    ivo = Caller("ivo", "investigator", "1")
    calls = {
        "disable": lambda: accounts.disable_user(ivo, "mo"),
        "enable": lambda: accounts.enable_user(ivo, "mo"),
        "password": lambda: accounts.set_password(ivo, "mo", "a new long passphrase"),
        "role": lambda: accounts.set_role(ivo, "mo", "admin", None),
    }
    with pytest.raises(AccessDeniedError):
        calls[change]()


def test_changing_an_unknown_account_is_not_found(accounts: Accounts) -> None:
    with pytest.raises(NotFoundError, match="'ghost' does not exist"):
        accounts.set_role(None, "ghost", "monitor", None)


# patient records -----------------------------------------------------------------------
def test_investigator_lists_exactly_their_sites_patients(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, _, _ = _site_and_patient(registry)
    listed = PatientRecords(uow).patients(Caller("ivo", "investigator", site))
    expected = registry.patients.loc[registry.patients["site"] == site, "patient_id"]
    assert sorted(p["patient_id"] for p in listed) == sorted(expected)


def test_another_sites_patient_reads_as_not_found(uow: FakeUnitOfWork, registry: TrialData) -> None:
    site, _, other = _site_and_patient(registry)
    records = PatientRecords(uow)
    caller = Caller("ivo", "investigator", site)
    with pytest.raises(NotFoundError) as hidden:
        records.patient(caller, other)
    with pytest.raises(NotFoundError) as missing:
        records.patient(caller, "NO-SUCH")
    assert str(hidden.value).replace(other, "X") == str(missing.value).replace("NO-SUCH", "X")


def test_statistician_reads_no_identified_patient(uow: FakeUnitOfWork) -> None:
    with pytest.raises(AccessDeniedError):
        PatientRecords(uow).patients(Caller("stu", "statistician", None))


def test_patient_shows_only_visit_columns_that_hold_a_value(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    _, mine, _ = _site_and_patient(registry)
    found = PatientRecords(uow).patient(Caller("ann", "admin", None), mine)
    visits = registry.visits[registry.visits["patient_id"] == mine]
    filled = [c for c in visits.columns if visits[c].notna().any() and c != "patient_id"]
    assert found["visit_columns"] == filled
    assert len(found["visits"]) == len(visits)


# data entry ----------------------------------------------------------------------------
def test_investigator_enters_a_visit_at_their_site(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, mine, _ = _site_and_patient(registry)
    values = _next_visit(registry, mine)
    stored = DataEntry(uow).add_visit(Caller("ivo", "investigator", site), mine, values, "")
    assert stored["phga"] == 3.0 and stored["patient_id"] == mine
    assert uow.commits == 1
    assert uow.patients.audit_rows == [
        {"patient_id": mine, "action": "insert", "user": "ivo", "reason": "data entry"}
    ]


@pytest.mark.parametrize(
    ("values", "columns"),
    [
        ({"ck": "-3", "phga": "11"}, {"ck", "phga"}),  # trial format: ck >= 0, VAS 0-10
        ({"mmt8": "abc"}, {"mmt8"}),
        ({"no_such_field": "1"}, {"no_such_field"}),
    ],
)
def test_bad_visit_lists_every_problem_and_writes_nothing(
    uow: FakeUnitOfWork, registry: TrialData, values: dict[str, str], columns: set[str]
) -> None:
    site, mine, _ = _site_and_patient(registry)
    before = len(uow.patients.trial_data.visits)
    visit = {**_next_visit(registry, mine), **values}
    with pytest.raises(InvalidInputError) as caught:
        DataEntry(uow).add_visit(Caller("ivo", "investigator", site), mine, visit, "")
    assert {p.column for p in caught.value.problems} == columns
    assert all(p.row is None for p in caught.value.problems)  # a form has no rows
    assert len(uow.patients.trial_data.visits) == before and uow.commits == 0


def test_visit_on_a_date_the_patient_already_has_is_refused(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, mine, _ = _site_and_patient(registry)
    taken = registry.visits.loc[registry.visits["patient_id"] == mine, "visit_date"].iloc[0]
    visit = {**_next_visit(registry, mine), "visit_date": taken.date().isoformat()}
    with pytest.raises(InvalidInputError) as caught:
        DataEntry(uow).add_visit(Caller("ivo", "investigator", site), mine, visit, "")
    assert any("visit_date" in (p.column or "") for p in caught.value.problems)


@pytest.mark.parametrize(
    ("caller", "error"),
    [
        (Caller("mo", "monitor", None), AccessDeniedError),
        (Caller("stu", "statistician", None), NotFoundError),
    ],
)
def test_only_a_writer_of_the_site_enters_data(
    uow: FakeUnitOfWork, registry: TrialData, caller: Caller, error: type[Exception]
) -> None:
    _, mine, _ = _site_and_patient(registry)
    with pytest.raises(error):
        DataEntry(uow).add_visit(caller, mine, _next_visit(registry, mine), "")
    assert uow.commits == 0


def test_preview_writes_nothing(uow: FakeUnitOfWork, registry: TrialData) -> None:
    site, mine, _ = _site_and_patient(registry)
    before = len(uow.patients.trial_data.visits)
    preview = DataEntry(uow).preview_visit(
        Caller("ivo", "investigator", site), mine, {**_next_visit(registry, mine), "ck": "-3"}
    )
    assert [p["column"] for p in preview["problems"]] == ["ck"]
    assert preview["tis"] is None
    assert len(uow.patients.trial_data.visits) == before and uow.commits == 0


def test_correction_is_checked_as_an_import_row(uow: FakeUnitOfWork, registry: TrialData) -> None:
    _, mine, _ = _site_and_patient(registry)
    day = registry.visits.loc[registry.visits["patient_id"] == mine, "visit_date"].iloc[0]
    date = day.date().isoformat()
    with pytest.raises(InvalidInputError, match="phga"):
        correct_visit(uow, mine, date, "phga", "11", "source check", "ann")
    assert uow.commits == 0
    done = correct_visit(uow, mine, date, "phga", "4.5", "source check", "ann")
    assert done.new_value == "4.5" and uow.commits == 1


def test_correction_needs_a_reason(uow: FakeUnitOfWork, registry: TrialData) -> None:
    site, mine, _ = _site_and_patient(registry)
    day = registry.visits.loc[registry.visits["patient_id"] == mine, "visit_date"].iloc[0]
    entry = DataEntry(uow)
    with pytest.raises(InvalidInputError, match="reason"):
        entry.correct(Caller("ivo", "investigator", site), mine, str(day.date()), "phga", "4", " ")


# queries -------------------------------------------------------------------------------
def test_query_is_opened_answered_by_the_site_and_closed(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, mine, _ = _site_and_patient(registry)
    queries = DataQueries(uow)
    monitor, investigator = Caller("mo", "monitor", None), Caller("ivo", "investigator", site)
    opened = queries.open_query(monitor, mine, "Is CK right?", None, "ck")
    assert opened["status"] == "open"
    assert [q["can_answer"] for q in queries.queries(investigator, None)] == [True]
    assert queries.answer_query(investigator, opened["id"], "yes")["status"] == "answered"
    assert queries.close_query(monitor, opened["id"])["status"] == "closed"
    with pytest.raises(InvalidInputError, match="only an open query"):
        queries.answer_query(investigator, opened["id"], "again")


def test_another_site_cannot_see_or_answer_a_query(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, _, other = _site_and_patient(registry)
    queries = DataQueries(uow)
    opened = queries.open_query(Caller("mo", "monitor", None), other, "Date?", None, None)
    investigator = Caller("ivo", "investigator", site)
    assert queries.queries(investigator, None) == []
    with pytest.raises(NotFoundError):
        queries.answer_query(investigator, opened["id"], "no")


@pytest.mark.parametrize(
    ("caller", "action"),
    [
        (Caller("ivo", "investigator", "1"), "open"),
        (Caller("stu", "statistician", None), "list"),
    ],
)
def test_query_roles_are_enforced(uow: FakeUnitOfWork, caller: Caller, action: str) -> None:
    queries = DataQueries(uow)
    with pytest.raises(AccessDeniedError):
        if action == "open":
            queries.open_query(caller, "R000001", "Why?", None, None)
        else:
            queries.queries(caller, None)


def test_query_with_a_bad_visit_date_is_refused(uow: FakeUnitOfWork, registry: TrialData) -> None:
    _, mine, _ = _site_and_patient(registry)
    with pytest.raises(InvalidInputError, match="not a date"):
        DataQueries(uow).open_query(Caller("mo", "monitor", None), mine, "?", "03/02/2025", None)
    assert uow.queries.rows == {}


# exports -------------------------------------------------------------------------------
KEY = b"k" * 32  # the server-side key; in production made once at random


def _export(uow: FakeUnitOfWork) -> dict[str, Any]:
    return Exports(uow, lambda: KEY).pseudonymised(Caller("stu", "statistician", None))


def _hmac_pseudonym(key: bytes, code: str) -> str:
    # HMAC-SHA-256 (RFC 2104) of the code, first 16 hexadecimal digits
    return "P-" + hmac.new(key, code.encode(), hashlib.sha256).hexdigest()[:16]


def test_pseudonyms_are_keyed_hashes_under_the_server_key(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    tables = _export(uow)
    codes = sorted(str(p) for p in registry.patients["patient_id"])
    assert sorted(tables["patients"]["patient"]) == sorted(_hmac_pseudonym(KEY, c) for c in codes)
    # the trial checksum, which `validate` prints, does not give the pseudonyms
    by_checksum = {_hmac_pseudonym(registry.checksum.encode(), c) for c in codes}
    assert by_checksum.isdisjoint(tables["patients"]["patient"])


def test_dates_become_days_since_the_patients_day_zero(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    tables = _export(uow)
    infused = registry.infusions.groupby("patient_id")["infusion_date"].min()
    treated = str(infused.index[0])
    never = sorted(set(registry.patients["patient_id"]) - set(infused.index))
    assert never, "the registry should hold control patients, never infused"
    for code, day0 in (
        (treated, infused.iloc[0]),
        (str(never[0]), registry.patients.set_index("patient_id").loc[never[0], "enrolment_date"]),
    ):
        # by hand: calendar date minus day 0, in whole days
        visits = registry.visits[registry.visits["patient_id"] == code]
        expected = sorted((d - pd.Timestamp(day0)).days for d in visits["visit_date"])
        exported = tables["visits"][tables["visits"]["patient"] == _hmac_pseudonym(KEY, code)]
        assert sorted(exported["day"]) == expected
    first_infusions = tables["infusions"].groupby("patient")["day"].min()
    assert (first_infusions == 0).all()


def test_the_export_holds_what_a_statistician_needs_and_no_identifier(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    tables = _export(uow)
    assert {"arm", "diagnosis", "enrolment_day"} <= set(tables["patients"].columns)
    assert {"day", "cells_per_kg"} <= set(tables["infusions"].columns)
    assert {"day", "phga", "mmt8", "ck", "ck_uln"} <= set(tables["visits"].columns)
    assert {"onset_day", "grade", "serious"} <= set(tables["adverse_events"].columns)
    assert {"day", "type"} <= set(tables["events"].columns)
    assert tables["settings"]["uln"] == dict(registry.config.uln)
    assert len(tables["visits"]) == len(registry.visits)
    assert len(tables["adverse_events"]) == len(registry.adverse_events)
    left_out = {"patient_id", "site", "lot", "term", "soc", "outcome", "note", "extra"}
    for name in ("patients", "infusions", "visits", "adverse_events", "events"):
        columns = set(tables[name].columns)
        assert not columns & left_out, name
        assert not [c for c in columns if c.endswith("_date")], name
    codes = set(registry.patients["patient_id"].astype(str))
    assert codes.isdisjoint(str(v) for v in tables["visits"].to_numpy().ravel())
    assert "name" not in tables["settings"]


def test_investigator_may_not_read_the_pseudonymised_export(uow: FakeUnitOfWork) -> None:
    with pytest.raises(AccessDeniedError):
        Exports(uow, lambda: KEY).pseudonymised(Caller("ivo", "investigator", "1"))


def test_no_visit_or_correction_after_a_withdrawal_of_consent(
    uow: FakeUnitOfWork, registry: TrialData
) -> None:
    site, mine, _ = _site_and_patient(registry)
    caller = Caller("ivo", "investigator", site)
    Enrolment(uow).withdraw(caller, mine, "no longer wishes to take part")
    with pytest.raises(ConflictError, match="no longer wishes to take part"):
        DataEntry(uow).add_visit(caller, mine, _next_visit(registry, mine), "")
    day = registry.visits.loc[registry.visits["patient_id"] == mine, "visit_date"].iloc[0]
    with pytest.raises(ConflictError, match="withdrew consent"):
        correct_visit(uow, mine, str(day.date()), "phga", "4", "source check", "ann")
