"""One loader for every command: folder, workbook, REDCap export or database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import myotrial
from myotrial.errors import ConfigError
from myotrial.exchange.redcap import write_redcap
from myotrial.ingest.writer import write_trial_folder, write_workbook
from myotrial.services.loading import is_database_url, load_trial
from myotrial.store import open_store
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

SOURCE = Path(myotrial.__file__).parent
READERS = {"read_trial", "read_redcap", "read_redcap_export", "load_trial"}


@pytest.fixture(scope="module")
def registry() -> TrialData:
    """A synthetic two-arm registry with missing values."""
    return make_registry(30, seed=7)


def _codes(trial: TrialData) -> list[str]:
    return sorted(trial.patients["patient_id"].astype(str))


def test_folder_and_workbook_give_the_same_trial(registry: TrialData, tmp_path: Path) -> None:
    write_trial_folder(registry, tmp_path / "trial")
    workbook = write_workbook(registry, tmp_path / "trial.xlsx")
    from_folder, from_workbook = load_trial(tmp_path / "trial"), load_trial(workbook)
    assert _codes(from_folder) == _codes(from_workbook) == _codes(registry)
    assert len(from_folder.visits) == len(from_workbook.visits) == len(registry.visits)


def test_redcap_export_is_recognised_without_being_named(
    registry: TrialData, tmp_path: Path
) -> None:
    write_redcap(registry, tmp_path / "redcap")
    trial = load_trial(tmp_path / "redcap")
    assert _codes(trial) == _codes(registry)
    assert len(trial.visits) == len(registry.visits)


def test_database_is_read_from_db_url_or_from_a_url_given_as_the_source(
    registry: TrialData, db_url: str
) -> None:
    store = open_store(db_url)
    store.save_trial(registry, user="tester", reason="loader test")
    store.close()
    by_option, by_source = load_trial(None, db_url), load_trial(db_url)
    assert _codes(by_option) == _codes(by_source) == _codes(registry)
    assert by_option.source  # where the trial came from is always named


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqlite:///trial.db", True),
        ("postgresql://u@h:5432/db", True),
        ("postgresql+psycopg://u@h/db", True),
        ("trial-folder", False),
        ("sqlite.xlsx", False),
    ],
)
def test_database_urls_are_told_from_paths(text: str, expected: bool) -> None:
    assert is_database_url(text) is expected


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"source": None, "db_url": None}, "db"),
        ({"source": "folder", "format": "csv"}, "format"),
        ({"source": "folder", "format": "folder", "mapping": "map.toml"}, "mapping"),
    ],
)
def test_unusable_options_are_refused_naming_the_option(
    kwargs: dict[str, str | None], column: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_trial(**kwargs)  # type: ignore[arg-type]
    assert [p.column for p in caught.value.problems] == [column]


def test_only_the_loader_reads_a_trial_in_commands_services_and_server() -> None:
    # Every command gets its trial through myotrial.services.loading.load_trial.
    callers = []
    for folder in ("cli", "services", "server"):
        for path in (SOURCE / folder).rglob("*.py"):
            if path == SOURCE / "services" / "loading.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module != "myotrial.services.loading":
                    names = {a.name for a in node.names} & READERS
                    callers += [f"{path.relative_to(SOURCE)} imports {n}" for n in names]
                if isinstance(node, ast.Attribute) and node.attr == "load_trial":
                    callers.append(f"{path.relative_to(SOURCE)}:{node.lineno} .load_trial")
    assert callers == []
