"""A file that cannot be read is reported the same way by every reader."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from myotrial import ingest
from myotrial.cli.score import read_table
from myotrial.config import load_config
from myotrial.errors import ConfigError, InvalidInputError
from myotrial.exchange.redcap.dictionary import read_dictionary
from myotrial.exchange.redcap.mapping import load_mapping
from myotrial.files import read_text
from myotrial.services.analysis import read_design

LATIN1 = "café".encode("latin-1")  # é as one byte 0xE9: not UTF-8


def test_a_missing_file_names_the_file_and_the_reason(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_text(tmp_path / "notes.txt", "give the notes file")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("notes.txt", None, None)
    assert problem.rule == "cannot be read: No such file or directory"
    assert problem.hint == "give the notes file"
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_text_that_is_not_utf8_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(LATIN1)
    with pytest.raises(InvalidInputError) as caught:
        read_text(path, "save as UTF-8")
    assert caught.value.problems[0].rule.startswith("cannot be read: 'utf-8' codec")


@pytest.mark.parametrize(
    ("reader", "name", "error"),
    [
        (load_config, "trial.toml", ConfigError),
        (read_design, "design.json", ConfigError),
        (load_mapping, "mapping.toml", ConfigError),
        (read_dictionary, "dictionary.csv", InvalidInputError),
        (read_table, "pairs.csv", InvalidInputError),
    ],
)
def test_every_reader_reports_an_undecodable_file_alike(
    tmp_path: Path, reader: Callable[[Path], object], name: str, error: type[Exception]
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xff\xfe\x00" + LATIN1)
    with pytest.raises(error) as caught:
        reader(path)
    (problem,) = caught.value.problems  # type: ignore[attr-defined]
    assert problem.file == name
    assert problem.rule.startswith("cannot be read: ")


def test_ingest_imports_nothing_of_myotrial_inside_a_function() -> None:
    # A function-level import is how a cycle is hidden; optional packages may be lazy.
    lazy = []
    for path in sorted(Path(ingest.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "myotrial"
                    ):
                        lazy.append(f"{path.name}: {inner.module}")
    assert lazy == []
