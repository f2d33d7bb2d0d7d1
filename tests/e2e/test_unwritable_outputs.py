"""Outputs that cannot be written: ``cannot write PATH: REASON``, exit 1, no traceback,
nothing written; and the shape of the target is checked before any work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot

# A pair with every core set measure and CK (docs/getting-started.md, "Score response").
PAIRS = (
    "phga_0,phga_1,ptga_0,ptga_1,mmt8_0,mmt8_1,haq_0,haq_1,extramuscular_0,extramuscular_1,"
    "ck_0,ck_1,ck_uln\n6,3,7,4,60,70,1.5,1.0,4,2,900,300,200\n"
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("inputs")
    write_trial_folder(make_pilot(2011), base / "pilot")
    (base / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    (base / "plan.json").write_text("{}\n", encoding="utf-8")  # never read: -o fails first
    db = f"sqlite:///{base / 'trial.db'}"
    assert CliRunner().invoke(main, ["import", str(base / "pilot"), "--db", db]).exit_code == 0
    return {
        "pilot": str(base / "pilot"),
        "pairs": str(base / "pairs.csv"),
        "plan": str(base / "plan.json"),
        "db": db,
    }


@pytest.fixture
def read_only() -> Iterator[Path]:
    """A folder nobody may write into: sysfs refuses new files even to root."""
    if os.geteuid() != 0:
        import tempfile

        with tempfile.TemporaryDirectory() as name:
            folder = Path(name) / "read-only"
            folder.mkdir()
            folder.chmod(0o555)
            yield folder
            folder.chmod(0o755)
        return
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no read-only folder available for root (sysfs is not mounted)")
    yield Path("/sys")


FILE_COMMANDS = {
    "report": ["report", "{pilot}", "-o", "{out}"],
    "score tis": ["score", "tis", "{pairs}", "-o", "{out}"],
    "score doi": ["score", "doi", "{pairs}", "-o", "{out}"],
    "classify": ["classify", "{pilot}/patients.csv", "-o", "{out}"],
    "randomise": ["randomise", "--n-per-stratum", "4", "--seed", "1", "-o", "{out}"],
    "design": ["design", "--sims", "200", "--no-curve", "-o", "{out}"],
    "export fhir": ["export", "fhir", "{pilot}", "-o", "{out}"],
    "validate --csv": ["validate", "{pilot}", "--csv", "{out}"],
    "audit --csv": ["audit", "--db", "{db}", "--csv", "{out}"],
}
FOLDER_COMMANDS = {
    "analyze": ["analyze", "{pilot}", "-o", "{out}"],
    "export redcap": ["export", "redcap", "{pilot}", "-o", "{out}"],
    "export sdtm": ["export", "sdtm", "{pilot}", "-o", "{out}"],
    "export adam": ["export", "adam", "{pilot}", "-o", "{out}"],
    "demo": ["demo", "-o", "{out}"],
    "interim": ["interim", "--plan", "{plan}", "{pilot}", "-o", "{out}"],
}


def _run(template: list[str], inputs: dict[str, str], out: Path) -> tuple[int, str]:
    args = [a.format(out=out, **inputs) for a in template]
    result = CliRunner().invoke(main, args)
    assert not isinstance(result.exception, OSError | TypeError), result.output
    return result.exit_code, result.stderr


@pytest.mark.parametrize("command", [c for c in FILE_COMMANDS if c != "export fhir"])
def test_folder_given_for_a_file(command: str, inputs: dict[str, str], tmp_path: Path) -> None:
    code, stderr = _run(FILE_COMMANDS[command], inputs, tmp_path)
    assert (code, stderr) == (1, f"error: cannot write {tmp_path}: is a folder, not a file\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", FILE_COMMANDS)
def test_missing_parent_folder(command: str, inputs: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "absent" / "out.csv"
    code, stderr = _run(FILE_COMMANDS[command], inputs, out)
    expected = f"error: cannot write {out}: the folder {out.parent} does not exist\n"
    assert (code, stderr) == (1, expected)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_file_given_for_a_folder(command: str, inputs: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("mine\n", encoding="utf-8")
    code, stderr = _run(FOLDER_COMMANDS[command], inputs, out)
    assert (code, stderr) == (1, f"error: cannot write {out}: is a file, not a folder\n")
    assert out.read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize(
    "command", ["report", "score tis", "export fhir", "validate --csv", "audit --csv"]
)
def test_read_only_folder_for_a_file(command: str, inputs: dict[str, str], read_only: Path) -> None:
    out = read_only / "myotrial-out.csv"
    code, stderr = _run(FILE_COMMANDS[command], inputs, out)
    # Found only when writing: validate has printed its summary by then.
    assert code == 1
    assert stderr.endswith(f"error: cannot write {out}: Permission denied\n")
    assert "Traceback" not in stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["analyze", "export sdtm", "demo"])
def test_read_only_folder_for_a_folder(
    command: str, inputs: dict[str, str], read_only: Path
) -> None:
    out = read_only / "myotrial-out"
    code, stderr = _run(FOLDER_COMMANDS[command], inputs, out)
    # mkdir in sysfs is refused with EPERM, in a read-only folder with EACCES.
    reasons = ("Operation not permitted", "Permission denied")
    assert code == 1
    assert stderr in {f"error: cannot write {out}: {reason}\n" for reason in reasons}
    assert not out.exists()
