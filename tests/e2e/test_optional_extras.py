"""A command whose optional package is absent: one line naming the extra, exit 1, no files.

Each case runs the command in a fresh interpreter where the package cannot be imported
(``sys.modules[name] = None`` makes ``import name`` raise ImportError, as on a bare
``pip install myotrial``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot

RUNNER = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from myotrial.cli import main
sys.argv = ["myotrial", *sys.argv[2:]]
main()
"""


def _run_without(blocked: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, blocked, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extras") / "pilot"
    write_trial_folder(make_pilot(2011), folder)
    return folder


CASES = [
    pytest.param(
        "uvicorn",
        ["serve", "--db", "sqlite:///absent.db"],
        "error: myotrial serve needs uvicorn, which is not installed: "
        "pip install 'myotrial[server]'",
        id="serve",
    ),
    pytest.param(
        "argon2",
        ["user", "list", "--db", "sqlite:///absent.db"],
        "error: myotrial user list needs argon2, which is not installed: "
        "pip install 'myotrial[server]'",
        id="user-list",
    ),
    pytest.param(
        "pyreadstat",
        ["export", "sdtm", "{pilot}", "-o", "out"],
        "error: writing SAS transport (.xpt) needs pyreadstat, which is not installed: "
        "pip install 'myotrial[exchange]'",
        id="export-sdtm",
    ),
    pytest.param(
        "pyreadstat",
        ["export", "adam", "{pilot}", "-o", "out", "--format", "xpt"],
        "error: writing SAS transport (.xpt) needs pyreadstat, which is not installed: "
        "pip install 'myotrial[exchange]'",
        id="export-adam",
    ),
    pytest.param(
        "fhir",
        ["export", "fhir", "{pilot}", "-o", "out/"],
        "error: myotrial export fhir needs fhir.resources, which is not installed: "
        "pip install 'myotrial[exchange]'",
        id="export-fhir",
    ),
]


@pytest.mark.parametrize(("blocked", "args", "line"), CASES)
def test_missing_extra_prints_one_line_exits_1_and_writes_nothing(
    blocked: str, args: list[str], line: str, pilot_folder: Path, tmp_path: Path
) -> None:
    argv = [a.replace("{pilot}", str(pilot_folder)) for a in args]
    done = _run_without(blocked, *argv, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [line]
    assert list(tmp_path.iterdir()) == []


def test_sdtm_as_dataset_json_needs_no_sas_transport_package(
    pilot_folder: Path, tmp_path: Path
) -> None:
    done = _run_without(
        "pyreadstat", "export", "sdtm", str(pilot_folder), "-o", "out", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "dm.json").exists()
    assert not list((tmp_path / "out").glob("*.xpt"))
