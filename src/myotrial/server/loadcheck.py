"""A bounded load check of a running service: many clients entering visits at once.

Used by the test suite and ``benchmarks/bench_server.py`` against a server on loopback
only. The clients share one login, then post visits with dates no other client uses
until the time is up; the result lists every acknowledged visit so the caller can check
the database holds exactly those (nothing lost, nothing duplicated).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import httpx
import numpy as np


@dataclass
class LoadResult:
    """What the clients saw: acknowledged visit dates, failures and latencies (s)."""

    acknowledged: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    @property
    def per_second(self) -> float:
        return len(self.acknowledged) / self.seconds if self.seconds else 0.0


def run_visit_load(
    base_url: str,
    username: str,
    password: str,
    patient_id: str,
    clients: int = 50,
    seconds: float = 30.0,
    first_date: dt.date = dt.date(2030, 1, 1),
    max_requests: int = 20_000,
    result: LoadResult | None = None,
) -> LoadResult:
    """Post visits from ``clients`` threads for ``seconds``; bounded by ``max_requests``."""
    if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError(f"load checks run against loopback only, not {base_url}")
    # a result passed in fills as the clients go, so a caller can watch progress
    result = result if result is not None else LoadResult()
    lock = threading.Lock()
    # One login shared by every client: the login limiter counts simultaneous logins
    # of one user name against it (docs/server.md), and writes are what is measured.
    with httpx.Client(base_url=base_url, timeout=60) as http:
        if not _login(http, username, password, result, lock):
            return result
        authorization = http.headers["Authorization"]
    go = threading.Event()
    deadline = [0.0]
    per_client = max_requests // clients

    address = urllib.parse.urlsplit(base_url)

    def client(number: int) -> None:
        # the standard library's client: a writer should cost the shared machine little
        # beside the server it measures (httpx costs several ms of CPU per request)
        writer = WriterConnection(address.hostname or "127.0.0.1", address.port, authorization)
        try:
            go.wait()
            for sequence in range(per_client):
                if time.monotonic() >= deadline[0]:
                    return
                # interleaved, so dates stay dense and no two clients share one
                day = first_date + dt.timedelta(days=sequence * clients + number)
                if not _post(writer, patient_id, day.isoformat(), result, lock):
                    return  # the server is gone: stop this client
        finally:
            writer.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    go.set()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def _login(
    http: httpx.Client, username: str, password: str, result: LoadResult, lock: threading.Lock
) -> bool:
    """Log the client in; record a failure instead of raising."""
    try:
        response = http.post("/api/auth/token", json={"username": username, "password": password})
    except httpx.TransportError as exc:
        with lock:
            result.failures.append(f"login: {exc!r}")
        return False
    if response.status_code != 200:
        with lock:
            result.failures.append(f"login: {response.status_code} {response.text}")
        return False
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return True


class WriterConnection:
    """One keep-alive HTTP connection posting JSON with a bearer token."""

    def __init__(self, host: str, port: int | None, authorization: str) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.headers = {"Authorization": authorization, "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, object]) -> tuple[int, str]:
        """The status and text of the answer to ``body`` posted at ``path``."""
        self.connection.request("POST", path, json.dumps(body), self.headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")

    def close(self) -> None:
        self.connection.close()


def _post(
    writer: WriterConnection,
    patient_id: str,
    visit_date: str,
    result: LoadResult,
    lock: threading.Lock,
) -> bool:
    """Post one visit and record the answer; False when the server cannot be reached."""
    # the load dates lie in the future: confirmed, as a user confirms a soft check
    body = {"visit_date": visit_date, "phga": 3.0, "mmt8": 64, "ck": 310, "reason": "load"}
    body["confirm"] = True
    sent = time.perf_counter()
    try:
        status, text = writer.post(f"/api/patients/{patient_id}/visits", body)
    except (OSError, http.client.HTTPException) as exc:
        with lock:
            result.failures.append(f"{visit_date}: {exc!r}")
        return False
    elapsed = time.perf_counter() - sent
    with lock:
        result.latencies.append(elapsed)
        if status == 201:
            result.acknowledged.append(visit_date)
        else:
            result.failures.append(f"{visit_date}: {status} {text}")
    return True
