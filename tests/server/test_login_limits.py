"""The login limiter: counted before checking, per user and per address, never global,
shared by every process, believing X-Forwarded-For only from named proxies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from myotrial.server.app import create_app
from myotrial.server.limiter import LoginLimiter, Outcome, client_address
from myotrial.server.settings import ServerSettings
from myotrial.services.passwords import password_hasher
from myotrial.store import open_store
from tests.server.conftest import PASSWORD, forget_logins
from tests.server.live import live_server

WRONG = "not the password"
LIGHT = password_hasher(light=True)  # unknown names are checked against a light hash


def _settings(url: str, **changes: Any) -> ServerSettings:
    return ServerSettings(db_url=url, secret="l" * 40, secure_cookies=False, **changes)


@pytest.fixture
def proxied(service_url: str) -> Iterator[TestClient]:
    """A client behind a trusted proxy, so each request may name its own address."""
    forget_logins(service_url)
    with TestClient(
        create_app(_settings(service_url, trusted_proxies=("testclient",)), LIGHT)
    ) as c:
        yield c


def _login(client: TestClient, user: str, password: str, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    body = {"username": user, "password": password}
    return client.post("/api/auth/token", json=body, headers=headers).status_code


def test_twelve_simultaneous_wrong_passwords_get_429s(client: TestClient) -> None:
    start = threading.Barrier(12)

    def attempt(_: int) -> int:
        start.wait()
        return _login(client, "inv_b", WRONG)

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(attempt, range(12)))
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= 5 and codes.count(429) >= 7


def test_racing_attempts_are_counted_before_any_password_is_checked(service_url: str) -> None:
    """Twelve attempts meet at a barrier, then each password check takes 0.2 s: had the
    attempts been counted after checking, all twelve would have been checked."""
    forget_logins(service_url)
    store = open_store(service_url)
    limiter = LoginLimiter(store.engine, attempts=5, window_seconds=300, max_verifications=12)
    checked: list[str] = []
    start = threading.Barrier(12)

    def verify(name: str) -> None:
        checked.append(name)
        time.sleep(0.2)

    def attempt(i: int) -> Outcome:
        start.wait()
        return limiter.login("inv_a", f"10.0.0.{i}", verify).outcome

    try:
        with ThreadPoolExecutor(12) as pool:
            outcomes = list(pool.map(attempt, range(12)))
    finally:
        store.close()
    assert len(checked) <= 5
    assert outcomes.count(Outcome.LOCKED) >= 7


def _race(
    service_url: str, names: list[str], verify: Any, max_verifications: int = 2
) -> list[Outcome]:
    """Every name logs in at once from one address, through one limiter."""
    forget_logins(service_url)
    store = open_store(service_url)
    limiter = LoginLimiter(store.engine, 5, 300, max_verifications)
    start = threading.Barrier(len(names))

    def attempt(name: str) -> Outcome:
        start.wait()
        return limiter.login(name, "192.0.2.10", verify).outcome

    try:
        with ThreadPoolExecutor(len(names)) as pool:
            return list(pool.map(attempt, names))
    finally:
        store.close()


def test_many_people_logging_in_at_once_behind_one_proxy_all_get_in(service_url: str) -> None:
    def verify(name: str) -> dict[str, str]:
        time.sleep(0.05)
        return {"username": name}

    outcomes = _race(service_url, [f"nurse{i}" for i in range(20)], verify)
    assert outcomes == [Outcome.ACCEPTED] * 20


def test_a_simultaneous_spray_overshoots_by_at_most_the_checks_running_at_once(
    service_url: str,
) -> None:
    checked: list[str] = []

    def verify(name: str) -> None:
        checked.append(name)
        time.sleep(0.05)

    outcomes = _race(service_url, [f"ghost{i}" for i in range(20)], verify)
    # 5 names may fail; while the 6th waits its turn, at most one more check is running
    assert len(checked) <= 5 + 2 - 1
    assert outcomes.count(Outcome.LOCKED) == 20 - len(checked)


def test_a_locked_user_is_refused_from_every_address(proxied: TestClient) -> None:
    for i in range(5):
        assert _login(proxied, "inv_b", WRONG, f"198.51.100.{i}") == 401
    assert _login(proxied, "inv_b", PASSWORD, "203.0.113.9") == 429


def test_the_lock_answer_says_when_to_retry(proxied: TestClient) -> None:
    for _ in range(5):
        _login(proxied, "inv_b", WRONG, "198.51.100.1")
    response = proxied.post("/api/auth/token", json={"username": "inv_b", "password": WRONG})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300


def test_one_users_failures_never_lock_out_another_user(proxied: TestClient) -> None:
    for _ in range(8):
        _login(proxied, "inv_b", WRONG, "198.51.100.7")
    assert _login(proxied, "inv_a", PASSWORD, "198.51.100.7") == 200
    assert _login(proxied, "monitor", PASSWORD, "203.0.113.1") == 200


def test_an_address_spraying_five_names_is_refused_for_any_further_name(
    proxied: TestClient,
) -> None:
    for name in ("ghost1", "ghost2", "ghost3", "ghost4", "ghost5"):
        assert _login(proxied, name, WRONG, "192.0.2.66") == 401
    assert _login(proxied, "inv_a", PASSWORD, "192.0.2.66") == 429
    assert _login(proxied, "inv_a", PASSWORD, "192.0.2.67") == 200


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(client: TestClient) -> None:
    # Rotating X-Forwarded-For does not give a sprayer a fresh address each time.
    for i, name in enumerate(("ghost1", "ghost2", "ghost3", "ghost4", "ghost5")):
        assert _login(client, name, WRONG, f"10.9.9.{i}") == 401
    assert _login(client, "inv_a", PASSWORD, "10.9.9.99") == 429


def test_a_success_forgives_the_users_earlier_failures(proxied: TestClient) -> None:
    for _ in range(4):
        _login(proxied, "inv_a", WRONG, "198.51.100.3")
    assert _login(proxied, "inv_a", PASSWORD, "198.51.100.3") == 200
    for _ in range(4):
        assert _login(proxied, "inv_a", WRONG, "198.51.100.3") == 401


def test_the_count_is_shared_by_every_process(service_url: str) -> None:
    """Two applications on one database stand for two workers."""
    forget_logins(service_url)
    with (
        TestClient(create_app(_settings(service_url), LIGHT)) as first,
        TestClient(create_app(_settings(service_url), LIGHT)) as second,
    ):
        for client in (first, second, first, second, first):
            assert _login(client, "inv_b", WRONG) == 401
        assert _login(second, "inv_b", PASSWORD) == 429


def test_at_most_the_configured_number_of_passwords_are_checked_at_once(
    service_url: str,
) -> None:
    forget_logins(service_url)
    store = open_store(service_url)
    limiter = LoginLimiter(store.engine, attempts=1000, window_seconds=300, max_verifications=2)
    running, peak = 0, 0
    lock = threading.Lock()

    def verify(name: str) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    try:
        with ThreadPoolExecutor(40) as pool:
            outcomes = list(pool.map(lambda i: limiter.login(f"u{i}", f"a{i}", verify), range(40)))
    finally:
        store.close()
    assert peak == 2
    assert {o.outcome for o in outcomes} == {Outcome.WRONG}


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "6.6.6.6", "127.0.0.1"),  # loopback is not trusted unless named
        ("10.0.0.2", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the proxy appended the client
        ("10.0.0.2", "203.0.113.5, 10.0.0.3", "203.0.113.5"),  # two trusted proxies
        ("10.0.0.2", None, "10.0.0.2"),
        ("198.51.100.4", "6.6.6.6", "198.51.100.4"),  # not a proxy: header ignored
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str, forwarded: str | None, expected: str
) -> None:
    trusted = frozenset({"10.0.0.2", "10.0.0.3"})
    assert client_address(_request(peer, forwarded), trusted) == expected


@pytest.mark.slow
def test_the_served_application_ignores_forwarded_headers_from_loopback(
    service_url: str,
) -> None:
    """``myotrial serve`` itself: its server must not rewrite the client address from
    X-Forwarded-For sent over loopback (no --trusted-proxy given)."""
    forget_logins(service_url)
    with live_server(service_url) as (base, _):
        for i, name in enumerate(("ghost1", "ghost2", "ghost3", "ghost4", "ghost5")):
            answer = httpx.post(
                f"{base}/api/auth/token",
                json={"username": name, "password": WRONG},
                headers={"X-Forwarded-For": f"10.8.8.{i}"},
                timeout=60,
            )
            assert answer.status_code == 401
        answer = httpx.post(
            f"{base}/api/auth/token",
            json={"username": "inv_a", "password": PASSWORD},
            headers={"X-Forwarded-For": "10.8.8.99"},
            timeout=60,
        )
    assert answer.status_code == 429
