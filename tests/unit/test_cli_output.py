"""Output that is not a terminal: every field whole, one record per line, a header row;
``--format`` chooses; ``--csv -`` writes to standard output; repeated problems grouped."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from myotrial.cli import main
from myotrial.cli._output import grouped_problem_lines, records_text
from myotrial.errors import Problem
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot

AUDIT_HEADER = (
    "changed_at\tuser\ttable\tkey\tpatient_id\taction\tfield\told_value\tnew_value\treason"
    "\timport_id"
)


def _unescape(field: str) -> str:
    """Read a TSV field back: ``\\t`` tab, ``\\n`` line break, ``\\\\`` backslash."""
    names = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: names[m.group(1)], field)


def _invoke(*args: str, stdin: str | None = None) -> Result:
    # CliRunner's standard output is not a terminal, as in `myotrial audit | cat`.
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("output") / "pilot"
    write_trial_folder(make_pilot(2011), folder)
    return folder


@pytest.fixture(scope="module")
def pilot_db(pilot_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'trial.db'}"
    assert _invoke("import", str(pilot_folder), "--db", url, "--user", "ana").exit_code == 0
    return url


def test_piped_audit_is_tab_separated_with_every_field_whole(pilot_db: str, tmp_path: Path) -> None:
    piped = _invoke("audit", "--db", pilot_db)
    assert piped.exit_code == 0, piped.output
    lines = piped.stdout.splitlines()
    assert lines[0] == AUDIT_HEADER
    # pandas writes the same trail as CSV: the piped records hold the same fields, whole.
    _invoke("audit", "--db", pilot_db, "--csv", str(tmp_path / "audit.csv"))
    with (tmp_path / "audit.csv").open(newline="", encoding="utf-8") as handle:
        expected = list(csv.reader(handle))
    assert [[_unescape(f) for f in line.split("\t")] for line in lines] == expected
    assert max(len(line) for line in lines) > 200  # a whole inserted record, not 80 columns


def test_audit_csv_dash_writes_to_standard_output_not_a_file(
    pilot_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dash = _invoke("audit", "--db", pilot_db, "--csv", "-")
    assert dash.exit_code == 0
    assert not (tmp_path / "-").exists()
    assert dash.stdout.splitlines()[0] == AUDIT_HEADER.replace("\t", ",")
    assert dash.stdout == _invoke("audit", "--db", pilot_db, "--format", "csv").stdout


def test_audit_json_is_one_object_per_change(pilot_db: str) -> None:
    rows = json.loads(_invoke("audit", "--db", pilot_db, "--format", "json").stdout)
    assert len(rows) == 139  # the settings, 129 rows of the pilot, 2 donors and 7 lots
    assert rows[1]["table"] == "patients" and rows[1]["key"] == "P01"


def test_audit_table_is_chosen_explicitly_and_cuts_nothing(pilot_db: str) -> None:
    table = _invoke("audit", "--db", pilot_db, "--patient", "P01", "--format", "table")
    assert "audit trail (" in table.stdout
    assert "…" not in table.stdout


def test_tsv_escapes_tabs_and_line_breaks_inside_a_field() -> None:
    text = records_text(["a", "b"], [("x\ty", "1\n2\\3")], "tsv")
    assert text == "a\tb\nx\\ty\t1\\n2\\\\3\n"


def test_same_problem_on_many_rows_is_one_line_with_a_count() -> None:
    problems = [
        Problem("visits.csv", row, "ck_uln", None, "no upper limit of normal", "give [uln] ck")
        for row in (2, 3, 4, 9)
    ] + [Problem("visits.csv", 5, "ck", "-3", "is below 0")]
    assert grouped_problem_lines(problems) == [
        "visits.csv rows 2-4, 9 (4 rows), column ck_uln: no upper limit of normal (give [uln] ck)",
        "visits.csv row 5, column ck: '-3' is below 0",
    ]


def _broken_copy(pilot_folder: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    for path in pilot_folder.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    visits = (folder / "visits.csv").read_text(encoding="utf-8").splitlines()
    header = visits[0].split(",")
    for number in (1, 2):
        row = visits[number].split(",")
        row[header.index("ck")] = "-3"
        visits[number] = ",".join(row)
    (folder / "visits.csv").write_text("\n".join(visits) + "\n", encoding="utf-8")
    return folder


def test_piped_validate_prints_problem_records_and_counts_on_stderr(
    pilot_folder: Path, tmp_path: Path
) -> None:
    result = _invoke("validate", str(_broken_copy(pilot_folder, tmp_path)))
    assert result.exit_code == 2
    rule = "is below 0\tenzyme activity cannot be negative"
    assert result.stdout == (
        "file\trow\tcolumn\tvalue\trule\thint\n"
        f"visits.csv\t2\tck\t-3\t{rule}\n"
        f"visits.csv\t3\tck\t-3\t{rule}\n"
    )
    assert "2 problems found:" in result.stderr
    assert "visits: 79 rows" in result.stderr


def test_validate_table_groups_the_repeated_problem(pilot_folder: Path, tmp_path: Path) -> None:
    result = _invoke("validate", str(_broken_copy(pilot_folder, tmp_path)), "--format", "table")
    assert (
        "  visits.csv rows 2-3 (2 rows), column ck: '-3' is below 0 "
        "(enzyme activity cannot be negative)\n"
    ) in result.stdout


def test_piped_import_summary_is_tab_separated(pilot_folder: Path, tmp_path: Path) -> None:
    result = _invoke("import", str(pilot_folder), "--db", f"sqlite:///{tmp_path / 't.db'}")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "table\tinserted\tupdated\tdeleted\tunchanged"
    assert "visits\t79\t0\t0\t0" in lines
    assert "import 1 recorded in" in result.stderr


def test_piped_user_list_is_tab_separated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    added = _invoke(
        "user", "add", "bob", "--role", "investigator", "--site", "A", "--password-stdin",
        "--db", url, stdin="a long passphrase\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    lines = _invoke("user", "list", "--db", url).stdout.splitlines()
    assert lines[0] == "user\trole\tsite\tactive\tcreated_utc"
    assert lines[1].split("\t")[:4] == ["bob", "investigator", "A", "yes"]
    csv_rows = list(
        csv.reader(io.StringIO(_invoke("user", "list", "--db", url, "--format", "csv").stdout))
    )
    assert csv_rows[1][:4] == ["bob", "investigator", "A", "yes"]
