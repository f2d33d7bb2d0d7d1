"""The exception tree: every error in myotrial.errors, one exit status and HTTP status each."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from myotrial import errors
from myotrial.cli._common import report_errors
from myotrial.errors import (
    AccessDeniedError,
    AnalysisError,
    ConfigError,
    ConflictError,
    ExportError,
    InvalidInputError,
    LoginRequiredError,
    MissingDependencyError,
    MyotrialError,
    NotFoundError,
    OutputError,
    PdfError,
    Problem,
    StoreError,
    TokenError,
)

SOURCE = Path(errors.__file__).parent
PROBLEM = Problem("visits.csv", 2, "ck", "-3", "is below 0")


def _tree() -> list[type[MyotrialError]]:
    found: list[type[MyotrialError]] = []
    todo: list[type[MyotrialError]] = [MyotrialError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _example(cls: type[MyotrialError]) -> MyotrialError:
    if issubclass(cls, InvalidInputError):
        return cls([PROBLEM])
    if cls is OutputError:
        return OutputError("out.csv", "Permission denied")
    if cls is MissingDependencyError:
        return MissingDependencyError("uvicorn", "server")
    return cls("it failed")


def _base_name(base: ast.expr) -> str:
    if isinstance(base, ast.Name):
        return base.id
    return base.attr if isinstance(base, ast.Attribute) else ""


def test_every_exception_class_is_defined_in_the_errors_module() -> None:
    defined_elsewhere = []
    for path in SOURCE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == SOURCE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                _base_name(base).endswith(("Error", "Exception")) for base in node.bases
            ):
                defined_elsewhere.append(f"{path.relative_to(SOURCE)}: {node.name}")
    assert defined_elsewhere == []


def test_tree_holds_the_errors_every_layer_raises() -> None:
    assert {c.__name__ for c in _tree()} == {
        "MyotrialError",
        "InvalidInputError",
        "ConfigError",
        "ConflictError",
        "UnconfirmedError",
        "AnalysisError",
        "ExportError",
        "AccessDeniedError",
        "TokenError",
        "LoginRequiredError",
        "StoreError",
        "NotFoundError",
        "PdfError",
        "OutputError",
        "MissingDependencyError",
    }


@pytest.mark.parametrize("cls", _tree(), ids=lambda c: c.__name__)
def test_exit_status_is_2_for_invalid_input_and_1_otherwise(cls: type[MyotrialError]) -> None:
    # README, "Exit status: 0 success, 2 invalid input (nothing written), 1 any other failure."
    assert cls.exit_code == (2 if issubclass(cls, InvalidInputError) else 1)


# docs/server.md, "Errors": the status of each kind of failure.
@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (MyotrialError, 400),
        (InvalidInputError, 422),
        (ConfigError, 422),
        (ConflictError, 409),
        (AnalysisError, 422),
        (ExportError, 422),
        (AccessDeniedError, 403),
        (TokenError, 401),
        (LoginRequiredError, 401),
        (StoreError, 503),
        (NotFoundError, 404),
        (PdfError, 503),
        (OutputError, 500),
        (MissingDependencyError, 503),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_each_error_names_its_http_status(cls: type[MyotrialError], status: int) -> None:
    assert cls.http_status == status


def test_only_database_and_output_failures_hide_their_text_from_remote_users() -> None:
    # A StoreError may quote SQL; an OutputError names a path on the server.
    hidden = {c.__name__ for c in _tree() if not c.public}
    assert hidden == {"StoreError", "OutputError"}
    assert "SQL" not in StoreError.public_message


@pytest.mark.parametrize("cls", _tree(), ids=lambda c: c.__name__)
def test_a_command_exits_with_the_status_of_its_error(cls: type[MyotrialError]) -> None:
    @click.command()
    @report_errors
    def failing() -> None:
        raise _example(cls)

    result = CliRunner().invoke(failing, [])
    assert result.exit_code == cls.exit_code
    assert isinstance(result.exception, SystemExit)


def test_a_message_with_brackets_is_printed_as_written() -> None:
    @click.command()
    @report_errors
    def failing() -> None:
        raise StoreError("cannot read the trial: [SQL: SELECT 1] [/tmp]")

    result = CliRunner().invoke(failing, [])
    assert "[SQL: SELECT 1] [/tmp]" in result.output
