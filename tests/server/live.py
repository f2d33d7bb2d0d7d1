"""A real ``myotrial serve`` process on a free loopback port, for browser and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

SECRET = "live-test-secret-" + "y" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(db_url: str, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``myotrial serve`` on loopback; yield its base URL and process; stop it.

    ``options`` are further options of ``myotrial serve`` (``--workers``, "2").
    """
    port = free_port()
    env = {**os.environ, "MYOTRIAL_SECRET": SECRET}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "myotrial",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--insecure-cookies",
            *options,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(base: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the server exited early: {error}")
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not start within {seconds} s")
