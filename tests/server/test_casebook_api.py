"""Signatures, locks and the visit schedule through the API, on SQLite and PostgreSQL.

The rules are those of docs/server.md: a signature needs the signer's password and
records name, time and meaning (21 CFR 11.50); a signed casebook and a locked trial
refuse changes with 409 until an admin unlocks them with a reason; the first change
after an unlocking invalidates the signature. Races run threads against one app.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from fastapi.testclient import TestClient

from myotrial.services.schedule import visit_schedule
from myotrial.synthetic import make_registry
from tests.server.conftest import PASSWORD, oldest_first, token

SIGN = {"password": PASSWORD, "meaning": "approval"}
_SIGN_A01, _SIGN_B01 = "/api/patients/A-01/sign", "/api/patients/B-01/sign"
_VISITS_A01 = "/api/patients/A-01/visits"


def _post_at(
    start: threading.Barrier,
    client: TestClient,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
) -> int:
    """The status of ``body`` posted at ``path`` once every racer has reached ``start``."""
    start.wait()
    return client.post(path, json=body, headers=headers).status_code


def _event(client: TestClient, patient: str, day: str, who: str = "inv_a") -> int:
    body = {"event_date": day, "type": "relapse"}
    response = client.post(f"/api/patients/{patient}/events", json=body, headers=token(client, who))
    return response.status_code


def test_a_signature_needs_the_password_and_records_name_time_and_meaning(
    client: TestClient,
) -> None:
    headers = token(client, "inv_a")
    wrong = client.post(
        "/api/patients/A-02/sign", json={**SIGN, "password": "x" * 12}, headers=headers
    )
    assert wrong.status_code == 403
    assert client.get("/api/patients/A-02/casebook", headers=headers).json()["status"] == (
        "unsigned"
    )
    monitor = client.post("/api/patients/A-02/sign", json=SIGN, headers=token(client, "monitor"))
    assert monitor.status_code == 403
    before = dt.datetime.now(dt.UTC)
    signed = client.post("/api/patients/A-02/sign", json=SIGN, headers=headers)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["status"] == "signed"
    signature = body["signatures"][-1]
    assert (signature["signed_by"], signature["meaning"]) == ("inv_a", "approval")
    at = _utc(signature["signed_at"])
    assert before - dt.timedelta(seconds=5) <= at <= dt.datetime.now(dt.UTC)
    assert "complete and accurate" in signature["meaning_text"]
    # a signed casebook refuses every change until an admin unlocks it
    assert _event(client, "A-02", "2025-03-01") == 409
    again = client.post("/api/patients/A-02/sign", json=SIGN, headers=headers)
    assert again.status_code == 409
    refused = client.post(
        "/api/patients/A-02/unlock", json={"reason": "late result"}, headers=headers
    )
    assert refused.status_code == 403
    admin = token(client, "admin")
    unlocked = client.post(
        "/api/patients/A-02/unlock", json={"reason": "late result"}, headers=admin
    )
    assert unlocked.json()["status"] == "unlocked"
    # the change after the unlocking is stored and invalidates the signature
    assert _event(client, "A-02", "2025-03-01") == 201
    assert client.get("/api/patients/A-02/casebook", headers=headers).json()["status"] == "renew"
    renewed = client.post("/api/patients/A-02/sign", json=SIGN, headers=headers)
    assert renewed.json()["status"] == "signed"
    audit = oldest_first(client, admin, "patient_id=A-02")
    steps = [(a["action"], a["user"]) for a in audit if a["table"] == "casebook_signatures"]
    assert steps[-4:] == [
        ("sign", "inv_a"),
        ("unlock", "admin"),
        ("invalidate", "inv_a"),
        ("sign", "inv_a"),
    ]
    unlock = [a for a in audit if a["action"] == "unlock"][-1]
    assert unlock["reason"] == "late result"
    client.post("/api/patients/A-02/unlock", json={"reason": "end of test"}, headers=admin)


def test_a_locked_trial_refuses_every_change_until_an_admin_unlocks_it(
    client: TestClient,
) -> None:
    admin = token(client, "admin")
    no_reason = client.post("/api/trial/lock", json={"reason": ""}, headers=admin)
    assert no_reason.status_code == 422
    by_monitor = client.post(
        "/api/trial/lock", json={"reason": "x"}, headers=token(client, "monitor")
    )
    assert by_monitor.status_code == 403
    locked = client.post("/api/trial/lock", json={"reason": "database lock"}, headers=admin)
    assert locked.status_code == 200
    try:
        assert _event(client, "B-01", "2025-03-01", "inv_b") == 409
        visit = {"visit_date": "2025-04-01", "phga": 2}
        response = client.post(
            "/api/patients/A-01/visits", json=visit, headers=token(client, "inv_a")
        )
        assert response.status_code == 409
        correction = {"visit_date": "2025-01-08", "field": "ck", "value": 1500, "reason": "r"}
        response = client.post("/api/patients/A-01/corrections", json=correction, headers=admin)
        assert response.status_code == 409
    finally:
        unlocked = client.post("/api/trial/unlock", json={"reason": "reopened"}, headers=admin)
    assert unlocked.status_code == 200
    assert _event(client, "B-01", "2025-03-01", "inv_b") == 201
    audit = oldest_first(client, admin)
    steps = [(a["action"], a["reason"]) for a in audit if a["table"] == "trial_locks"]
    assert steps[-2:] == [("lock", "database lock"), ("unlock", "reopened")]


def test_a_correction_racing_a_signature_is_signed_or_refused_never_lost(
    client: TestClient,
) -> None:
    """Each round: the correction either lands before the signature or is refused (409);
    a correction stored after a signature without invalidating it never happens."""
    admin, investigator = token(client, "admin"), token(client, "inv_b")
    for round_ in range(4):
        start = threading.Barrier(2)
        value = 2100 + round_

        body = {"visit_date": "2025-01-22", "field": "ck", "value": value, "reason": "race"}
        correct = ("/api/patients/B-01/corrections", body, investigator)
        with ThreadPoolExecutor(2) as pool:
            corrections = pool.submit(_post_at, start, client, *correct)
            signatures = pool.submit(_post_at, start, client, _SIGN_B01, SIGN, investigator)
            corrected, signed = corrections.result(), signatures.result()
        assert signed == 200
        assert corrected in (200, 409)
        casebook = client.get("/api/patients/B-01/casebook", headers=investigator).json()
        assert casebook["status"] == "signed"
        visits = client.get("/api/patients/B-01", headers=investigator).json()["visits"]
        ck = next(v["ck"] for v in visits if v["visit_date"] == "2025-01-22")
        # stored exactly when the correction was answered 200
        assert (ck == value) == (corrected == 200)
        signed_at = _utc(casebook["signatures"][-1]["signed_at"])
        audit = oldest_first(client, admin, "patient_id=B-01")
        stored = [a for a in audit if a["table"] == "visits" and a["new_value"] == f"{value}.0"]
        # a stored correction came before the signature it is under
        assert all(_utc(a["changed_at"]) <= signed_at for a in stored)
        client.post("/api/patients/B-01/unlock", json={"reason": "next round"}, headers=admin)
        # leave the casebook without a standing signature for the next round
        client.post(
            "/api/patients/B-01/corrections",
            json={"visit_date": "2025-01-22", "field": "ck", "value": 2000, "reason": "reset"},
            headers=investigator,
        )


def test_visits_racing_a_signature_are_signed_or_refused_never_lost(client: TestClient) -> None:
    """Visit entries hold the patient's row shared, side by side; a signature holds it
    alone. Each round: every visit is stored before the signature (and signed) or
    refused with 409; none is stored after it, and none is lost."""
    admin, investigator = token(client, "admin"), token(client, "inv_a")
    for round_ in range(3):
        days = [f"2026-0{round_ + 1}-{day:02d}" for day in (3, 4, 5)]
        start = threading.Barrier(len(days) + 1)

        bodies = [
            {"visit_date": day, "phga": 3, "ck": 300, "reason": "race", "confirm": True}
            for day in days
        ]
        with ThreadPoolExecutor(len(days) + 1) as pool:
            signing = pool.submit(_post_at, start, client, _SIGN_A01, SIGN, investigator)
            entering = [
                pool.submit(_post_at, start, client, _VISITS_A01, body, investigator)
                for body in bodies
            ]
            entered = [future.result() for future in entering]
            assert signing.result() == 200
        assert set(entered) <= {201, 409}
        casebook = client.get("/api/patients/A-01/casebook", headers=investigator).json()
        assert casebook["status"] == "signed"
        signed_at = _utc(casebook["signatures"][-1]["signed_at"])
        visits = client.get("/api/patients/A-01", headers=investigator).json()["visits"]
        stored = {v["visit_date"] for v in visits} & set(days)
        assert stored == {day for day, status in zip(days, entered, strict=True) if status == 201}
        audit = oldest_first(client, admin, "patient_id=A-01")
        inserted = [a for a in audit if a["table"] == "visits" and a["reason"] == "race"]
        assert all(_utc(a["changed_at"]) <= signed_at for a in inserted)
        client.post("/api/patients/A-01/unlock", json={"reason": "next round"}, headers=admin)
        # a change, so the unlocked signature is invalidated before the next round
        reset = {"visit_date": "2025-01-08", "field": "ck", "value": 1601 + round_}
        reset["reason"] = "reset"
        client.post("/api/patients/A-01/corrections", json=reset, headers=investigator)


def test_visits_at_once_after_an_unlocking_invalidate_the_signature_once(
    client: TestClient,
) -> None:
    admin, investigator = token(client, "admin"), token(client, "inv_a")
    before = _invalidations(client, admin, "A-01")
    assert (
        client.post("/api/patients/A-01/sign", json=SIGN, headers=investigator).status_code == 200
    )
    unlock = {"reason": "late lab values"}
    assert client.post("/api/patients/A-01/unlock", json=unlock, headers=admin).status_code == 200
    signatures = client.get("/api/patients/A-01/casebook", headers=investigator).json()
    unlocked = [s for s in signatures["signatures"] if s["invalidated_at"] is None]
    days = [f"2026-05-{day:02d}" for day in range(1, 7)]
    start = threading.Barrier(len(days))

    def enter(day: str) -> int:
        body = {"visit_date": day, "phga": 2, "ck": 250, "reason": "late", "confirm": True}
        start.wait()
        return client.post("/api/patients/A-01/visits", json=body, headers=investigator).status_code

    with ThreadPoolExecutor(len(days)) as pool:
        assert list(pool.map(enter, days)) == [201] * len(days)
    casebook = client.get("/api/patients/A-01/casebook", headers=investigator).json()
    assert casebook["status"] == "renew"
    # each unlocked signature once, however many entries found it
    assert _invalidations(client, admin, "A-01") == before + len(unlocked)
    assert len(unlocked) >= 1


def _invalidations(client: TestClient, admin: dict[str, str], patient: str) -> int:
    audit = oldest_first(client, admin, f"patient_id={patient}&table=casebook_signatures")
    return sum(a["action"] == "invalidate" for a in audit)


def test_visits_racing_a_trial_lock_are_stored_before_it_or_refused(client: TestClient) -> None:
    """The lock holds every patient's row first: a visit in flight commits before the
    lock's time, and a visit after it waits, then is refused with 409."""
    admin, investigator = token(client, "admin"), token(client, "inv_a")
    for round_ in range(3):
        days = [f"2026-0{round_ + 6}-{day:02d}" for day in (3, 4, 5, 6)]
        start = threading.Barrier(len(days) + 1)

        def enter(day: str, start: threading.Barrier = start) -> int:
            body = {"visit_date": day, "phga": 3, "ck": 300, "reason": "lock race"}
            start.wait()
            body["confirm"] = True
            return client.post(
                "/api/patients/A-01/visits", json=body, headers=investigator
            ).status_code

        def lock(start: threading.Barrier = start) -> dict:  # type: ignore[type-arg]
            start.wait()
            answer = client.post("/api/trial/lock", json={"reason": "race"}, headers=admin)
            assert answer.status_code == 200, answer.text
            return answer.json()["lock"]  # type: ignore[no-any-return]

        with ThreadPoolExecutor(len(days) + 1) as pool:
            locking = pool.submit(lock)
            entered = list(pool.map(enter, days))
            locked_at = _utc(locking.result()["locked_at"])
        assert set(entered) <= {201, 409}
        visits = client.get("/api/patients/A-01", headers=investigator).json()["visits"]
        stored = {v["visit_date"] for v in visits} & set(days)
        assert stored == {day for day, status in zip(days, entered, strict=True) if status == 201}
        audit = oldest_first(client, admin, "patient_id=A-01&table=visits")
        written = [_utc(a["changed_at"]) for a in audit if a["reason"] == "lock race"]
        assert all(at <= locked_at for at in written)
        unlocked = client.post("/api/trial/unlock", json={"reason": "next"}, headers=admin)
        assert unlocked.status_code == 200


def test_two_adverse_events_at_once_get_distinct_sequence_numbers(client: TestClient) -> None:
    headers = token(client, "inv_a")
    start = threading.Barrier(6)

    def report(term: str) -> dict:  # type: ignore[type-arg]
        body = {"onset_date": "2025-02-20", "term": term, "grade": 1}
        start.wait()
        response = client.post("/api/patients/A-02/adverse-events", json=body, headers=headers)
        return {"status": response.status_code, **response.json()}

    terms = [f"Symptom {i}" for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(report, terms))
    assert [a["status"] for a in answers] == [201] * 6
    numbers = sorted(a["sequence"] for a in answers)
    assert numbers == list(range(numbers[0], numbers[0] + 6))


def test_the_schedule_lists_overdue_visits_from_day_zero(client: TestClient) -> None:
    # first infusion 2025-01-10 is day 0 (no randomisation date). Week 1 is day 7
    # +/- 3: 2025-01-14 to 2025-01-20, no visit then, so it is overdue; month 1 is day 30
    # +/- 7 (2025-02-02 to 2025-02-16) and the visit of 2025-02-09 keeps it.
    headers = token(client, "inv_a")
    rows = client.get("/api/schedule?patient_id=A-01", headers=headers).json()
    by_point = {r["timepoint"]: r for r in rows}
    assert by_point["week1"]["target_date"] == "2025-01-17"
    assert (by_point["week1"]["window_start"], by_point["week1"]["window_end"]) == (
        "2025-01-14",
        "2025-01-20",
    )
    assert by_point["month1"]["status"] == "done"
    assert by_point["month1"]["visit_date"] == "2025-02-09"
    overdue = client.get("/api/schedule?status=overdue", headers=headers).json()
    assert {r["site"] for r in overdue} == {"A"}
    assert ("A-01", "week1") in {(r["patient_id"], r["timepoint"]) for r in overdue}
    other_site = client.get("/api/schedule?patient_id=A-01", headers=token(client, "inv_b"))
    assert other_site.status_code == 404
    bad = client.get("/api/schedule?status=late", headers=headers)
    assert bad.status_code == 422


def test_the_schedule_of_a_two_arm_trial_counts_from_randomisation() -> None:
    trial = make_registry(30, seed=5)
    patient = trial.patients.dropna(subset=["randomisation_date"]).iloc[0]
    zero = pd.Timestamp(patient["randomisation_date"])
    month3 = next(t for t in trial.config.timepoints if t.name == "month3")
    # the day the month-3 window opens: it is due on that day, upcoming the day before
    opens = zero + pd.Timedelta(days=month3.day - month3.window)
    mine = trial.visits["patient_id"] == patient["patient_id"]
    window = trial.visits.loc[mine, "visit_date"].between(
        opens, zero + pd.Timedelta(days=month3.day + month3.window)
    )
    visits = trial.visits[~(mine & window.reindex(trial.visits.index, fill_value=False))]
    trial = trial.with_tables(visits=visits)
    for day, expected in ((opens - pd.Timedelta(days=1), "upcoming"), (opens, "due")):
        plan = visit_schedule(trial, day.date())
        row = plan[(plan["patient_id"] == patient["patient_id"]) & (plan["timepoint"] == "month3")]
        assert row["status"].tolist() == [expected]
        assert row["target_date"].tolist() == [zero + pd.Timedelta(days=month3.day)]
    later = visit_schedule(trial, (opens + pd.Timedelta(days=2 * month3.window + 1)).date())
    row = later[(later["patient_id"] == patient["patient_id"]) & (later["timepoint"] == "month3")]
    assert row["status"].tolist() == ["overdue"]


def test_no_visit_is_expected_after_a_withdrawal() -> None:
    trial = make_registry(20, seed=8)
    patient = trial.patients.dropna(subset=["randomisation_date"]).iloc[0]
    pid = patient["patient_id"]
    zero = pd.Timestamp(patient["randomisation_date"])
    withdrawal = pd.DataFrame(
        {"patient_id": [pid], "event_date": [zero + pd.Timedelta(days=20)], "type": ["withdrawal"]}
    )
    events = pd.concat([trial.events, withdrawal], ignore_index=True)
    visits = trial.visits[trial.visits["patient_id"] != pid]
    plan = visit_schedule(trial.with_tables(events=events, visits=visits), dt.date(2100, 1, 1))
    mine = plan[plan["patient_id"] == pid].set_index("timepoint")["status"]
    # week 1 (window ends day 10) and week 2 (day 17) closed before day 20; the rest ended
    assert mine["week1"] == "overdue" and mine["week2"] == "overdue"
    assert set(mine.drop(["week1", "week2"])) == {"ended"}


def _utc(text: str) -> pd.Timestamp:
    """A time of the API (SQLite gives it without its zone, which is UTC)."""
    at = pd.Timestamp(text)
    return at if at.tzinfo else at.tz_localize("UTC")


def test_visits_racing_a_consent_withdrawal_are_stored_before_it_or_refused(
    client: TestClient,
) -> None:
    """Last in this module: B-01 stays withdrawn. Consent is read once the patient's
    row is held, so a visit either commits before the withdrawal or is refused (409)."""
    investigator, admin = token(client, "inv_b"), token(client, "admin")
    days = [f"2026-09-{day:02d}" for day in (1, 2, 3, 4)]
    start = threading.Barrier(len(days) + 1)

    def enter(day: str) -> int:
        body = {"visit_date": day, "phga": 3, "ck": 300, "reason": "consent race"}
        body["confirm"] = True
        start.wait()
        return client.post("/api/patients/B-01/visits", json=body, headers=investigator).status_code

    def withdraw() -> dict:  # type: ignore[type-arg]
        start.wait()
        answer = client.post(
            "/api/patients/B-01/consent/withdraw", json={"reason": "race"}, headers=investigator
        )
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(len(days) + 1) as pool:
        withdrawing = pool.submit(withdraw)
        entered = list(pool.map(enter, days))
        withdrawn_at = _utc(withdrawing.result()["withdrawn_at"])
    assert set(entered) <= {201, 409}
    audit = oldest_first(client, admin, "patient_id=B-01&table=visits")
    written = {a["key"]: _utc(a["changed_at"]) for a in audit if a["reason"] == "consent race"}
    assert len(written) == entered.count(201)
    assert all(at <= withdrawn_at for at in written.values())
