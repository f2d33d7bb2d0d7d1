"""Every shell and Python example of README.md and docs/*.md runs against the demo trial.

A fenced block tagged ``sh``, ``console`` or ``python`` is an example and is run; an
untagged block is a synopsis or output and is not. Each example runs in its own copy of
a folder where ``myotrial demo -o demo-output`` has run, with ``MYOTRIAL_DB`` set to the
demo's database, and must exit with status 0. A block preceded by the comment
``<!-- not run: REASON -->`` (installing, the test suite itself, a network server) is
skipped with that reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?:<!-- not run: (?P<reason>[^\n]+?) -->\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)^```[ \t]*$",
    flags=re.S | re.M,
)
RUN = ("sh", "console", "python")
TIMEOUT_S = 600

pytestmark = pytest.mark.slow


def _examples() -> list[object]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match["lang"] not in RUN:
                continue
            line = text.count("\n", 0, match.start("lang")) + 1
            marks = [pytest.mark.skip(reason=match["reason"])] if match["reason"] else []
            found.append(
                pytest.param(match["lang"], match["body"], id=f"{path.name}:{line}", marks=marks)
            )
    return found


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("docs")
    done = _run([sys.executable, "-m", "myotrial", "demo", "-o", "demo-output"], base)
    assert done.returncode == 0, done.stderr
    shim = base / ".bin" / "myotrial"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m myotrial "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return base


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{folder / '.bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "MYOTRIAL_DB": f"sqlite:///{folder / 'demo-output' / 'myotrial.db'}",
    }


def _run(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=folder,
        env=_environment(folder),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _script(lang: str, body: str) -> list[str]:
    if lang == "python":
        return [sys.executable, "-c", body]
    if lang == "console":  # the commands are the lines after "$ "; the rest is output
        body = "\n".join(line[2:] for line in body.splitlines() if line.startswith("$ "))
    return ["bash", "-e", "-o", "pipefail", "-c", body]


def test_the_documents_have_examples() -> None:
    assert len(_examples()) >= 20


@pytest.mark.parametrize(("lang", "body"), _examples())
def test_example_runs(lang: str, body: str, demo_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    shutil.copytree(demo_folder, folder, symlinks=True)
    done = _run(_script(lang, body), folder)
    assert done.returncode == 0, f"{body}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
