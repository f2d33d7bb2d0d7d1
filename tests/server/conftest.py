"""A small two-site trial in a real store, users of every role, and an API client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from myotrial.config import TrialConfig
from myotrial.server.app import create_app
from myotrial.server.settings import ServerSettings
from myotrial.services.multisite import SiteServices
from myotrial.services.passwords import password_hasher
from myotrial.store import open_store
from myotrial.trialdata import TrialData
from tests.conftest import _reset_postgres

PASSWORD = "correct horse battery"
User = tuple[str, str | None]
"""A user's role and site (``None``: every site)."""
USERS: dict[str, User] = {
    "admin": ("admin", None),
    "inv_a": ("investigator", "A"),
    "inv_b": ("investigator", "B"),
    "monitor": ("monitor", None),
    "stat": ("statistician", None),
}


def small_trial() -> TrialData:
    """Three synthetic patients at sites A and B, each infused once, with visits."""
    day = pd.Timestamp
    patients = pd.DataFrame(
        {
            "patient_id": ["A-01", "A-02", "B-01"],
            "site": ["A", "A", "B"],
            "sex": ["F", "M", "F"],
            "age": [45.0, 52.0, 38.0],
            "diagnosis": ["DM", "PM", "DM"],
            "enrolment_date": [day("2025-01-05"), day("2025-02-01"), day("2025-01-20")],
        }
    )
    infusions = pd.DataFrame(
        {
            "patient_id": ["A-01", "A-02", "B-01"],
            "infusion_date": [day("2025-01-10"), day("2025-02-05"), day("2025-01-25")],
            "source": ["BM", "UC", "UC"],
            "cells_per_kg": [1e6, 1e6, 1e6],
        }
    )
    visits = pd.DataFrame(
        {
            "patient_id": ["A-01", "A-01", "A-02", "B-01"],
            "visit_date": [
                day("2025-01-08"),
                day("2025-02-09"),
                day("2025-02-03"),
                day("2025-01-22"),
            ],
            "phga": [6.0, 3.0, 5.0, 7.0],
            "ptga": [7.0, 4.0, 6.0, 8.0],
            "extramuscular": [4.0, 2.0, 3.0, 5.0],
            "mmt8": [44.0, 60.0, 50.0, 40.0],
            "haq": [1.5, 1.0, 1.2, 2.0],
            "ck": [1600.0, 300.0, 1200.0, 2000.0],
        }
    )
    empty = pd.DataFrame({"patient_id": pd.Series(dtype=object)})
    return TrialData(
        config=TrialConfig(name="Synthetic two-site trial", uln={"ck": 200.0}),
        patients=patients,
        infusions=infusions,
        visits=visits,
        adverse_events=empty.copy(),
        events=empty.copy(),
        medications=empty.copy(),
        source="test",
        checksum="0" * 64,
    )


def prepare_service(
    db_url: str, trial: TrialData | None = None, users: Mapping[str, User] = USERS
) -> str:
    """Put ``trial`` (default the small trial) and ``users`` into the empty database."""
    store = open_store(db_url)
    store.save_trial(small_trial() if trial is None else trial, user="setup", reason="test set-up")
    store.close()
    sites = SiteServices.open(db_url, password_hasher(light=True))
    for name, (role, site) in users.items():
        sites.accounts.add_user(None, name, PASSWORD, role, site)
    sites.close()
    return db_url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters of a module's service database fixture: SQLite, then PostgreSQL."""


def service_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    trial: TrialData | None = None,
    users: Mapping[str, User] = USERS,
    backend: str | None = None,
) -> str:
    """A database of ``backend`` (default ``request.param``) set up by :func:`prepare_service`."""
    if (backend or request.param) == "sqlite":
        path = tmp_path_factory.mktemp("service") / "trial.db"
        return prepare_service(f"sqlite:///{path}", trial, users)
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return prepare_service(url, trial, users)


@pytest.fixture(scope="module", params=BACKENDS)
def service_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database (SQLite, then PostgreSQL) with the small trial and its users.

    Shared by the tests of one module (each test leaves the others' data alone), because
    migrating and filling a database for every test would dominate the suite's time.
    """
    return service_database(request, tmp_path_factory)


def forget_logins(db_url: str) -> None:
    """Forget every recorded login attempt, so that one test's failures lock no other."""
    import sqlalchemy as sa

    from myotrial.store.tables import login_attempts

    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(login_attempts.delete())
    engine.dispose()


@contextmanager
def service_client(db_url: str) -> Iterator[TestClient]:
    """A test client of the service on ``db_url``, with no login attempt remembered."""
    forget_logins(db_url)
    settings = ServerSettings(db_url=db_url, secret="test-secret-" + "x" * 32, secure_cookies=False)
    with TestClient(create_app(settings, password_hasher(light=True))) as test_client:
        yield test_client


@pytest.fixture
def client(service_url: str) -> Iterator[TestClient]:
    with service_client(service_url) as test_client:
        yield test_client


def token(client: TestClient, username: str) -> dict[str, str]:
    """Authorization header of ``username`` after a real login."""
    response = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def oldest_first(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict]:  # type: ignore[type-arg]
    """The audit trail's rows (up to a thousand), oldest first as they were written."""
    response = client.get(f"/api/audit?limit=1000&{query}", headers=headers)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()))
