"""Minimisation and an uploaded list, on SQLite and PostgreSQL.

The server's minimisation is ``myotrial randomise --minimise``'s: the same patients
randomised in the same order from the same seed get the same arms. An uploaded list is
kept only when its SHA-256 is the one given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from myotrial.cli import main
from tests.server.conduct import CONDUCT_TOML, CONDUCT_USERS, conduct_trial, enrolment
from tests.server.conftest import prepare_service, service_client, token

MINIMISED = CONDUCT_TOML.replace('scheme = "blocks"', 'scheme = "minimisation"\nprobability = 0.8')


def test_server_minimisation_is_the_commands(db_url: str, tmp_path: Path) -> None:
    prepare_service(db_url, conduct_trial(MINIMISED, n_patients=4), CONDUCT_USERS)
    forms = [
        enrolment(f"M-{i:02d}", diagnosis=d, sex=s)
        for i, (d, s) in enumerate(
            zip(["DM", "PM", "DM", "DM", "PM", "PM"] * 3, "FFMFMM" * 3, strict=True)
        )
    ]
    with service_client(db_url) as client:
        stat = token(client, "unblinded")
        made = client.post("/api/randomisation/setup", headers=stat, json={"seed": 5})
        assert made.status_code == 201 and made.json()["positions"] == 0
        headers = token(client, "inv_1")
        arms = []
        for form in forms:
            assert client.post("/api/patients", headers=headers, json=form).status_code == 201
            answer = client.post(f"/api/patients/{form['patient_id']}/randomise", headers=headers)
            assert answer.status_code == 200, answer.text
            arms.append(answer.json()["arm"])
    patients = pd.DataFrame(
        {"patient_id": [f["patient_id"] for f in forms], "site": "1"}
        | {"diagnosis": [f["diagnosis"] for f in forms]}
    )
    patients.to_csv(tmp_path / "patients.csv", index=False)
    out = tmp_path / "allocations.csv"
    done = CliRunner().invoke(
        main,
        [
            "randomise",
            "--minimise",
            str(tmp_path / "patients.csv"),
            "--factors",
            "site,diagnosis",
            "--probability",
            "0.8",
            "--seed",
            "5",
            "-o",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert pd.read_csv(out)["arm"].tolist() == arms
    # minimisation keeps the arms within one of each other at every level here
    counts = pd.Series(arms).value_counts()
    assert abs(counts.get("MSCT", 0) - counts.get("control", 0)) <= 2


def test_an_uploaded_list_is_kept_only_with_its_sha256(db_url: str, tmp_path: Path) -> None:
    prepare_service(db_url, conduct_trial(n_patients=4), CONDUCT_USERS)
    out = tmp_path / "list.csv"
    args = ["randomise", "--n-per-stratum", "40", "--strata", "site=1,2"]
    args += ["--strata", "diagnosis=PM,DM,IMNM,ASS", "--block-sizes", "2,4", "--seed", "77"]
    done = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert done.exit_code == 0, done.output
    digest = done.output.split("SHA-256")[-1].split()[0]
    text = out.read_text(encoding="utf-8")
    with service_client(db_url) as client:
        stat = token(client, "unblinded")
        wrong = {"list_csv": text, "sha256": "0" * 64}
        refused = client.post("/api/randomisation/setup", headers=stat, json=wrong)
        assert refused.status_code == 422
        assert "not the sealed list" in refused.json()["detail"][0]["rule"]
        tampered = text.replace(",MSCT\n", ",control\n", 1)
        body = {"list_csv": tampered, "sha256": digest}
        assert client.post("/api/randomisation/setup", headers=stat, json=body).status_code == 422
        assert client.get("/api/randomisation/list", headers=stat).json()["setup"] is None
        body = {"list_csv": text, "sha256": digest}
        kept = client.post("/api/randomisation/setup", headers=stat, json=body)
        assert kept.status_code == 201, kept.text
        assert (kept.json()["origin"], kept.json()["sha256"]) == ("uploaded", digest)
        first = pd.read_csv(out, dtype=str)
        first = first[(first["site"] == "2") & (first["diagnosis"] == "ASS")].iloc[0]
        headers = token(client, "inv_2")
        form = enrolment("U-1", diagnosis="ASS")
        assert client.post("/api/patients", headers=headers, json=form).status_code == 201
        answer = client.post("/api/patients/U-1/randomise", headers=headers).json()
        assert (answer["sequence"], answer["arm"]) == (1, first["arm"])
