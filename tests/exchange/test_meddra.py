"""MedDRA coding against the synthetic distribution of tests/meddra_synthetic.py.

Expected codes and names are read off the synthetic dictionary's definition by hand
(LLTS, PTS, HLTS, HLGTS, SOCS there), never from the coder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.errors import InvalidInputError
from myotrial.exchange.cdisc.sdtm import ae
from myotrial.exchange.meddra import (
    AMBIGUOUS,
    NOT_FOUND,
    code_adverse_events,
    parse_assignments,
    read_meddra,
)
from myotrial.ingest import read_trial
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.coding import code_trial_file
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

FEVER = {
    "meddra_llt_code": 95000001.0,
    "meddra_llt": "Fever",
    "meddra_pt_code": 94000001.0,
    "meddra_pt": "Pyrexia (synthetic)",
    "meddra_hlt_code": 93000001.0,
    "meddra_hlt": "Febrile states (synthetic)",
    "meddra_hlgt_code": 92000001.0,
    "meddra_hlgt": "Temperature states (synthetic)",
    "meddra_soc_code": 91000001.0,
    "meddra_soc": "General conditions (synthetic)",
}


def _events(*terms: str) -> pd.DataFrame:
    return pd.DataFrame({"term": pd.Series(terms, dtype=object)})


def test_exact_name_codes_the_whole_primary_path(meddra_dir: Path) -> None:
    coded, uncoded = code_adverse_events(_events("Fever"), read_meddra(meddra_dir))
    assert coded.iloc[0][list(FEVER)].to_dict() == FEVER
    assert uncoded == []


def test_a_name_differing_in_case_codes_to_the_dictionary_spelling(meddra_dir: Path) -> None:
    coded, _ = code_adverse_events(_events("Fatigue", " FEVER "), read_meddra(meddra_dir))
    assert coded["meddra_llt_code"].tolist() == [95000006.0, 95000001.0]
    assert coded["meddra_llt"].tolist() == ["fatigue", "Fever"]


def test_the_primary_soc_path_is_taken_not_a_secondary_one(meddra_dir: Path) -> None:
    # PT 94000002 sits under HLT 93000002 (primary) and HLT 93000001 (secondary).
    coded, _ = code_adverse_events(
        _events("Upper respiratory tract infection"), read_meddra(meddra_dir)
    )
    row = coded.iloc[0]
    assert (row["meddra_hlt_code"], row["meddra_soc_code"]) == (93000002.0, 91000002.0)


def test_a_non_current_llt_is_never_coded_to(meddra_dir: Path) -> None:
    coded, uncoded = code_adverse_events(_events("Urticaria"), read_meddra(meddra_dir))
    assert coded[list(FEVER)].isna().all(axis=None)
    assert [(u.term, u.events, u.reason) for u in uncoded] == [("Urticaria", 1, NOT_FOUND)]


def test_names_differing_only_in_case_are_ambiguous(meddra_dir: Path) -> None:
    llt = meddra_dir / "llt.asc"
    llt.write_text(llt.read_text() + "95000099$FEVER$94000001$$$$$$$Y$$\n")
    dictionary = read_meddra(meddra_dir)
    coded, uncoded = code_adverse_events(_events("Fever", "fever"), dictionary)
    assert coded["meddra_llt_code"].tolist()[0] == 95000001.0  # the exact match wins
    assert np.isnan(coded["meddra_llt_code"].tolist()[1])
    assert [(u.term, u.reason) for u in uncoded] == [("fever", AMBIGUOUS)]


def test_a_coded_event_keeps_its_coding(meddra_dir: Path) -> None:
    dictionary = read_meddra(meddra_dir)
    once, _ = code_adverse_events(_events("Urticaria"), dictionary, {"Urticaria": 95000008.0})
    again, uncoded = code_adverse_events(once, dictionary)
    assert again["meddra_llt_code"].tolist() == [95000008.0]
    assert uncoded == []


def test_manual_assignment_codes_every_event_of_the_term(meddra_dir: Path) -> None:
    dictionary = read_meddra(meddra_dir)
    events = _events("Urticaria", "urticaria", "Fever")
    assigned = parse_assignments(["Urticaria=95000008"], dictionary, events["term"])
    coded, uncoded = code_adverse_events(events, dictionary, assigned)
    assert coded["meddra_llt"].tolist() == ["Wheals", "Wheals", "Fever"]
    assert coded["meddra_pt_code"].tolist() == [94000006.0, 94000006.0, 94000001.0]
    assert uncoded == []


@pytest.mark.parametrize(
    ("pair", "column", "rule"),
    [
        ("Urticaria=95000007", "Urticaria", "is not a current lowest level term"),
        ("Urticaria=12345", "Urticaria", "is not a current lowest level term"),
        ("Urticaria=abc", "Urticaria", "is not a current lowest level term"),
        ("Stroke=95000001", "Stroke", "is not the term of any adverse event"),
        ("95000001", None, "is not TERM=LLTCODE"),
    ],
)
def test_a_wrong_assignment_is_refused(
    meddra_dir: Path, pair: str, column: str | None, rule: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_assignments([pair], read_meddra(meddra_dir), _events("Urticaria")["term"])
    problem = caught.value.problems[0]
    assert problem.file == "--assign"
    assert problem.column == column
    assert problem.rule.startswith(rule)


def test_a_missing_file_is_named(meddra_dir: Path) -> None:
    (meddra_dir / "mdhier.asc").unlink()
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    assert [(p.file, p.rule) for p in caught.value.problems] == [("mdhier.asc", "is missing")]


def test_a_path_the_link_files_lack_is_named_with_its_line(meddra_dir: Path) -> None:
    links = meddra_dir / "hlt_pt.asc"
    lines = links.read_text().splitlines()
    links.write_text("\n".join(lines[1:]) + "\n")  # drops HLT 93000001 - PT 94000001
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("mdhier.asc", 1, "hlt_code, pt_code")
    assert problem.rule == "is not a link of hlt_pt.asc"


def test_a_code_that_is_not_a_number_is_named(meddra_dir: Path) -> None:
    llt = meddra_dir / "llt.asc"
    llt.write_text(llt.read_text().replace("95000002$", "95O00002$"))
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "llt.asc",
        2,
        "llt_code",
        "95O00002",
    )


def test_registry_terms_are_coded_and_the_others_listed(meddra_dir: Path) -> None:
    trial = make_registry(300, seed=3)
    coded, uncoded = code_adverse_events(trial.adverse_events, read_meddra(meddra_dir))
    in_dictionary = {"Fever", "Chills", "Upper respiratory tract infection", "Headache"}
    in_dictionary |= {"Diarrhoea", "Fatigue"}
    counts = trial.adverse_events["term"].value_counts()
    expected = {t: int(n) for t, n in counts.items() if t not in in_dictionary}
    assert {u.term: u.events for u in uncoded} == expected
    known = trial.adverse_events["term"].isin(in_dictionary).to_numpy()
    assert coded.loc[known, "meddra_llt_code"].notna().all()
    assert coded.loc[~known, "meddra_pt"].isna().all()


def test_sdtm_ae_carries_the_coding_and_leaves_uncoded_rows_null(
    small_trial: TrialData, meddra_dir: Path
) -> None:
    coded, _ = code_adverse_events(small_trial.adverse_events, read_meddra(meddra_dir))
    first = coded.index[0]
    coded.loc[first, list(FEVER)] = pd.Series({c: np.nan for c in FEVER}).to_numpy()
    frame = ae(small_trial.with_tables(adverse_events=coded)).frame.set_index("AETERM")
    fever, uri = frame.loc["Fever"], frame.loc["Upper respiratory tract infection"]
    assert (fever["AEDECOD"], fever["AEBODSYS"], fever["AELLT"]) == ("", "", "")
    assert np.isnan(fever["AELLTCD"]) and np.isnan(fever["AESOCCD"])
    assert uri["AEDECOD"] == "Upper airway infection (synthetic)"
    assert uri["AELLTCD"] == 95000003.0
    assert (uri["AEHLTCD"], uri["AEHLGTCD"]) == (93000002.0, 92000002.0)
    assert uri["AEBODSYS"] == uri["AESOC"] == "Infections (synthetic)"
    assert uri["AEBDSYCD"] == uri["AESOCCD"] == 91000002.0


def test_a_coded_trial_folder_reads_back_with_its_coding(
    small_trial: TrialData, meddra_dir: Path, tmp_path: Path
) -> None:
    write_trial_folder(small_trial, tmp_path / "trial")
    result = code_trial_file(meddra_dir, tmp_path / "trial", tmp_path / "coded")
    assert (result.coded, result.events, result.uncoded) == (2, 2, ())
    back = read_trial(tmp_path / "coded").adverse_events.set_index("term")
    assert back.loc["Fever", list(FEVER)].to_dict() == FEVER
    result = code_trial_file(meddra_dir, tmp_path / "trial", tmp_path / "coded.xlsx")
    book = read_trial(tmp_path / "coded.xlsx").adverse_events.set_index("term")
    assert book.loc["Fever", list(FEVER)].to_dict() == FEVER


def test_code_ae_command_codes_the_database_and_lists_uncoded_terms(
    meddra_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from myotrial.cli import main
    from myotrial.store import open_store

    url = f"sqlite:///{tmp_path / 'trial.db'}"
    trial = make_registry(60, seed=5)
    store = open_store(url)
    store.save_trial(trial, user="setup", reason="import")
    store.close()
    runner = CliRunner()
    args = ["code-ae", "--meddra", str(meddra_dir), url, "--user", "coder", "--format", "tsv"]
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows[0] == ["term", "events", "reason"]
    in_dictionary = {"Fever", "Chills", "Upper respiratory tract infection", "Headache"}
    in_dictionary |= {"Diarrhoea", "Fatigue"}
    terms = trial.adverse_events["term"]
    expected = terms[~terms.isin(in_dictionary)].value_counts()
    assert {r[0]: int(r[1]) for r in rows[1:]} == expected.to_dict()
    refused = runner.invoke(main, [*args, "--assign", "Herpes zoster=99999999"])
    assert refused.exit_code == 2
    assert "is not a current lowest level term" in refused.output


def test_an_llt_of_an_unknown_preferred_term_is_named(meddra_dir: Path) -> None:
    llt = meddra_dir / "llt.asc"
    llt.write_text(llt.read_text() + "95000050$Rigors$94000077$$$$$$$Y$$\n")
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.value) == ("llt.asc", 9, "94000077")
    assert problem.rule == "is not a preferred term of pt.asc"


@pytest.mark.parametrize(
    ("record", "rule"),
    [
        ("94000009$Extra (synthetic)$$91000001$$$$$$$$X$", "has more than 11 fields"),
        ("94000009$Short (synthetic)$$91000001$", "has fewer than 11 fields"),
    ],
)
def test_a_record_of_the_wrong_length_is_named(meddra_dir: Path, record: str, rule: str) -> None:
    pt = meddra_dir / "pt.asc"
    pt.write_text(pt.read_text() + record + "\n")
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.rule) == ("pt.asc", 7, rule)


def test_a_blank_line_is_no_record_and_rows_stay_line_numbers(meddra_dir: Path) -> None:
    llt = meddra_dir / "llt.asc"
    lines = llt.read_text().splitlines()
    lines.insert(1, "")
    lines[2] = lines[2].replace("95000002$", "95O00002$")
    llt.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInputError) as caught:
        read_meddra(meddra_dir)
    assert [(p.row, p.value) for p in caught.value.problems] == [(3, "95O00002")]
