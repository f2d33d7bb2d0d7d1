"""Concealed allocation through the API, on SQLite and PostgreSQL.

The rules of docs/server.md (*Randomisation*): the unblinded statistician sets up the
sealed list once, from a seed with the very function of ``myotrial randomise`` (the
SHA-256 of the same command's list must match) or by uploading that list; a site
randomises its patient to the next position of the stratum, once; simultaneous
randomisations in one stratum take consecutive positions, none skipped or reused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from myotrial.cli import main
from myotrial.errors import ConflictError
from myotrial.store import open_store
from tests.server.conduct import CONDUCT_USERS, conduct_trial, enrolment
from tests.server.conftest import BACKENDS, PASSWORD, service_client, service_database, token
from tests.server.live import live_server
from tests.server.test_form_pages import _csrf, _login

SEED = 11
STRATA = ("--strata", "site=1,2", "--strata", "diagnosis=PM,DM,IMNM,ASS")


@pytest.fixture(scope="module", params=BACKENDS)
def trial_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, conduct_trial(), CONDUCT_USERS)


@pytest.fixture
def client(trial_url: str) -> Iterator[TestClient]:
    with service_client(trial_url) as test_client:
        yield test_client


@pytest.fixture
def sealed(client: TestClient) -> dict[str, Any]:
    """The sealed list, set up once per database from :data:`SEED`."""
    headers = token(client, "unblinded")
    listed = client.get("/api/randomisation/list", headers=headers).json()
    if listed["setup"] is None:
        made = client.post("/api/randomisation/setup", headers=headers, json={"seed": SEED})
        assert made.status_code == 201, made.text
        listed = client.get("/api/randomisation/list", headers=headers).json()
    return listed


def _cli_list(tmp_path: Path, seed: int) -> tuple[bytes, str]:
    """The list ``myotrial randomise`` writes for the trial's [randomisation], and its
    SHA-256 as the command prints it."""
    out = tmp_path / "list.csv"
    args = ["randomise", "--n-per-stratum", "40", *STRATA, "--block-sizes", "2,4"]
    done = CliRunner().invoke(main, [*args, "--seed", str(seed), "-o", str(out)])
    assert done.exit_code == 0, done.output
    digest = done.output.split("SHA-256")[-1].split()[0]
    return out.read_bytes(), digest


def test_only_the_unblinded_statistician_sets_up_and_reads_the_list(client: TestClient) -> None:
    for user in ("admin", "inv_1", "assessor_1", "monitor", "stat", "release"):
        headers = token(client, user)
        setup = client.post("/api/randomisation/setup", headers=headers, json={"seed": 1})
        assert setup.status_code == 403
        assert client.get("/api/randomisation/list", headers=headers).status_code == 403


def test_the_servers_list_is_the_one_myotrial_randomise_writes(
    client: TestClient, sealed: dict[str, Any], tmp_path: Path
) -> None:
    data, digest = _cli_list(tmp_path, SEED)
    assert sealed["setup"]["sha256"] == digest
    assert sealed["setup"]["origin"] == "generated"
    lines = data.decode().splitlines()[1:]
    # the CSV's rows are site, diagnosis, sequence, block, block_size, arm
    first = [line.split(",") for line in lines if line.startswith("1,DM,")]
    served = [p for p in sealed["list"] if p["stratum"] == "site=1, diagnosis=DM"]
    assert [(int(r[2]), r[5]) for r in first] == [(p["sequence"], p["arm"]) for p in served]
    assert len(sealed["list"]) == 2 * 4 * 40
    again = client.post("/api/randomisation/setup", headers=token(client, "unblinded"), json={})
    assert again.status_code == 409


def test_a_site_randomises_its_patient_once_to_the_next_position(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    headers = token(client, "inv_1")
    assert client.post("/api/patients", headers=headers, json=enrolment("E-1")).status_code == 201
    answer = client.post("/api/patients/E-1/randomise", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    positions = {(p["stratum"], p["sequence"]): p["arm"] for p in sealed["list"]}
    assert (body["stratum"], body["sequence"]) == ("site=1, diagnosis=DM", 1)
    assert body["arm"] == positions[("site=1, diagnosis=DM", 1)]
    patient = client.get("/api/patients/E-1", headers=headers).json()
    assert (patient["arm"], patient["randomisation_date"]) == (
        body["arm"],
        body["randomisation_date"],
    )
    assert client.post("/api/patients/E-1/randomise", headers=headers).status_code == 409
    audit = client.get("/api/audit?patient_id=E-1", headers=headers).json()
    randomised = [r for r in audit if r["table"] == "allocations"]
    assert [(r["user"], r["field"]) for r in randomised] == [("inv_1", "sequence")]
    assert '"stratum": "site=1, diagnosis=DM"' in randomised[0]["new_value"]
    assert '"sequence": 1' in randomised[0]["new_value"]


def test_the_assessor_and_monitor_may_not_randomise_and_the_assessor_never_sees_the_arm(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    headers = token(client, "inv_1")
    client.post("/api/patients", headers=headers, json=enrolment("E-2", diagnosis="IMNM"))
    for user in ("assessor_1", "monitor", "stat", "unblinded"):
        answer = client.post("/api/patients/E-2/randomise", headers=token(client, user))
        assert answer.status_code in (403, 404)
    assert client.post("/api/patients/E-2/randomise", headers=headers).status_code == 200
    assessor = token(client, "assessor_1")
    patient = client.get("/api/patients/E-2", headers=assessor).json()
    assert "arm" not in patient and patient["randomisation_date"] is not None
    audit = client.get("/api/audit?patient_id=E-2", headers=assessor).text
    assert "MSCT" not in audit and "control" not in audit


def test_an_imported_randomised_patient_is_not_randomised_again(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    answer = client.post("/api/patients/R000001/randomise", headers=token(client, "admin"))
    assert answer.status_code == 409
    assert "before the import" in answer.json()["detail"][0]["rule"]


def test_a_withdrawn_patient_is_not_randomised(client: TestClient, sealed: dict[str, Any]) -> None:
    headers = token(client, "inv_1")
    client.post("/api/patients", headers=headers, json=enrolment("E-3", diagnosis="ASS"))
    client.post("/api/patients/E-3/consent/withdraw", headers=headers, json={"reason": "declined"})
    assert client.post("/api/patients/E-3/randomise", headers=headers).status_code == 409


def test_twenty_simultaneous_randomisations_take_twenty_consecutive_positions(
    client: TestClient, sealed: dict[str, Any], trial_url: str
) -> None:
    headers = token(client, "inv_2")
    codes = [f"S-{i:02d}" for i in range(20)]
    for code in codes:
        form = enrolment(code, diagnosis="PM")
        assert client.post("/api/patients", headers=headers, json=form).status_code == 201
    answers: dict[str, httpx.Response] = {}
    with live_server(trial_url) as (base, _):
        login = httpx.post(
            f"{base}/api/auth/token", json={"username": "inv_2", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        start = threading.Barrier(len(codes))

        def randomise(code: str) -> None:
            start.wait()
            answers[code] = httpx.post(
                f"{base}/api/patients/{code}/randomise", headers=auth, timeout=120
            )

        threads = [threading.Thread(target=randomise, args=(c,)) for c in codes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert {r.status_code for r in answers.values()} == {200}, [r.text for r in answers.values()]
    bodies = [r.json() for r in answers.values()]
    assert sorted(b["sequence"] for b in bodies) == list(range(1, 21))
    assert {b["stratum"] for b in bodies} == {"site=2, diagnosis=PM"}
    positions = {
        p["sequence"]: p["arm"] for p in sealed["list"] if p["stratum"] == "site=2, diagnosis=PM"
    }
    assert all(b["arm"] == positions[b["sequence"]] for b in bodies)
    listed = client.get("/api/randomisation/list", headers=token(client, "unblinded")).json()
    taken = [
        p for p in listed["list"] if p["stratum"] == "site=2, diagnosis=PM" and p["patient_id"]
    ]
    assert sorted(p["sequence"] for p in taken) == list(range(1, 21))
    assert sorted(p["patient_id"] for p in taken) == codes


def test_a_folder_import_may_not_undo_an_allocation_or_an_enrolment(
    client: TestClient, sealed: dict[str, Any], trial_url: str
) -> None:
    headers = token(client, "inv_1")
    assert client.post("/api/patients", headers=headers, json=enrolment("E-9")).status_code == 201
    answer = client.post("/api/patients/E-9/randomise", headers=headers)
    assert answer.status_code == 200, answer.text
    store = open_store(trial_url)
    try:
        stored = store.load_trial()
        patients = stored.patients.copy()
        # the monthly folder still holds the patient as enrolled, before the allocation
        patients.loc[patients["patient_id"] == "E-9", ["arm", "randomisation_date"]] = None
        with pytest.raises(ConflictError, match=r"overwrite 1 row of patients .*randomised"):
            store.save_trial(stored.with_tables(patients=patients), user="dm", reason="folder")
    finally:
        store.close()
    patient = client.get("/api/patients/E-9", headers=headers).json()
    assert patient["arm"] == answer.json()["arm"]


def test_a_locked_trial_refuses_enrolment_randomisation_and_withdrawal(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    """docs/server.md, *Signatures and locks*: a locked trial refuses every change (409)
    naming the lock, and writes nothing, until an admin unlocks it."""
    headers, admin = token(client, "inv_1"), token(client, "admin")
    assert client.post("/api/patients", headers=headers, json=enrolment("L-1")).status_code == 201
    locked = client.post("/api/trial/lock", json={"reason": "interim freeze"}, headers=admin)
    assert locked.status_code == 200
    try:
        refused = [
            client.post("/api/patients", headers=headers, json=enrolment("L-2")),
            client.post("/api/patients/L-1/randomise", headers=headers),
            client.post(
                "/api/patients/L-1/consent/withdraw", headers=headers, json={"reason": "r"}
            ),
        ]
        for answer in refused:
            assert answer.status_code == 409, answer.text
            problem = answer.json()["detail"][0]
            assert problem["column"] == "trial"
            assert "interim freeze" in problem["rule"] and "refuses changes" in problem["rule"]
        # nothing was written: no patient L-2, L-1 has no arm and its consent stands
        assert client.get("/api/patients/L-2", headers=headers).status_code == 404
        patient = client.get("/api/patients/L-1", headers=headers).json()
        assert patient.get("randomisation_date") is None and patient.get("arm") is None
        consent = client.get("/api/patients/L-1/consent", headers=headers).json()
        assert consent["withdrawn_at"] is None
    finally:
        unlocked = client.post("/api/trial/unlock", json={"reason": "reopened"}, headers=admin)
    assert unlocked.status_code == 200
    assert client.post("/api/patients", headers=headers, json=enrolment("L-2")).status_code == 201
    assert client.post("/api/patients/L-1/randomise", headers=headers).status_code == 200


def test_a_signed_casebook_refuses_randomisation_and_withdrawal_until_unlocked(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    headers, admin = token(client, "inv_1"), token(client, "admin")
    form = enrolment("L-3", diagnosis="ASS")
    assert client.post("/api/patients", headers=headers, json=form).status_code == 201
    sign = {"password": PASSWORD, "meaning": "approval"}
    assert client.post("/api/patients/L-3/sign", json=sign, headers=headers).status_code == 200
    randomised = client.post("/api/patients/L-3/randomise", headers=headers)
    withdrawn = client.post(
        "/api/patients/L-3/consent/withdraw", headers=headers, json={"reason": "declined"}
    )
    for answer in (randomised, withdrawn):
        assert answer.status_code == 409, answer.text
        assert "has a signed casebook" in answer.json()["detail"][0]["rule"]
    unlock = {"reason": "randomisation pending"}
    assert client.post("/api/patients/L-3/unlock", json=unlock, headers=admin).status_code == 200
    # the randomisation after the unlocking is stored and invalidates the signature
    assert client.post("/api/patients/L-3/randomise", headers=headers).status_code == 200
    casebook = client.get("/api/patients/L-3/casebook", headers=headers).json()
    assert casebook["status"] == "renew"


def test_the_patients_page_randomises_and_shows_the_arm_only_to_an_unblinded_role(
    client: TestClient, sealed: dict[str, Any]
) -> None:
    """docs/server.md, *Randomisation*: the page's Randomise button takes the next
    position of the stratum; the page then shows its sequence number and stratum, and
    the arm only to a role the trial does not blind."""
    headers = token(client, "inv_1")
    form = enrolment("P-1", diagnosis="IMNM", sex="M")
    assert client.post("/api/patients", headers=headers, json=form).status_code == 201
    for user in ("assessor_1", "monitor"):
        _login(client, user)
        assert 'id="randomise-form"' not in client.get("/patients/P-1").text
    _login(client, "inv_1")
    page = client.get("/patients/P-1")
    assert 'id="randomise-form"' in page.text and "Not randomised yet" in page.text
    forged = client.post("/patients/P-1/randomise", data={"csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/api/patients/P-1", headers=headers).json()["randomisation_date"] is None
    done = client.post("/patients/P-1/randomise", data={"csrf": _csrf(page.text)})
    assert done.status_code == 200 and "The patient is randomised." in done.text
    allocated = client.get("/api/randomisation/list", headers=token(client, "unblinded")).json()
    position = next(p for p in allocated["list"] if p["patient_id"] == "P-1")
    assert position["stratum"] == "site=1, diagnosis=IMNM"
    shown = _shown(done.text)
    assert shown == (position["stratum"], str(position["sequence"]), position["arm"])
    assert 'id="randomise-form"' not in done.text
    _login(client, "assessor_1")
    blinded = client.get("/patients/P-1").text
    assert _shown(blinded) == (position["stratum"], str(position["sequence"]), None)
    assert "MSCT" not in blinded and "control" not in blinded


def _shown(html: str) -> tuple[str | None, ...]:
    """The stratum, sequence number and arm the patient's page shows (``None``: not shown)."""
    found = [
        re.search(rf'id="{name}">([^<]*)<', html)
        for name in ("stratum", "sequence", "allocated-arm")
    ]
    return tuple(None if f is None else f.group(1) for f in found)
