"""``myotrial design``: JSON contract, readable output, HTML page, input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.report.design_section import render_design_section

RESPONSE = [
    "design",
    "--endpoint",
    "response",
    "--p-control",
    "0.44",
    "--p-treatment",
    "0.79",
    "--n-per-arm",
    "30",
    "--sims",
    "600",
    "--seed",
    "11",
]


def test_json_has_the_contract_keys() -> None:
    result = CliRunner().invoke(main, [*RESPONSE, "--json", "--no-curve"])
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    for key in (
        "power",
        "mc_se",
        "analytic_power",
        "n_per_arm",
        "sims",
        "seed",
        "type1_error",
        "block_size",
        "parameters",
    ):
        assert key in design
    assert design["n_per_arm"] == 30 and design["sims"] == 600 and design["seed"] == 11
    assert design["parameters"]["p_treatment"]["value"] == 0.79


def test_log_ck_has_no_closed_form() -> None:
    result = CliRunner().invoke(
        main,
        [
            "design",
            "--endpoint",
            "log_ck",
            "--n-per-arm",
            "5",
            "--sims",
            "500",
            "--json",
            "--no-curve",
        ],
    )
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    assert design["analytic_power"] is None
    assert "Tang" in design["parameters"]["ck_rate_treatment"]["source"]


def test_readable_table_and_files(tmp_path: Path) -> None:
    out, page = tmp_path / "design.json", tmp_path / "design.html"
    result = CliRunner().invoke(main, [*RESPONSE, "-o", str(out), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "power" in result.output and "Assumptions" in result.output
    design = json.loads(out.read_text())
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert render_design_section(design) in html


def test_unknown_parameter_exits_2_and_names_it() -> None:
    result = CliRunner().invoke(main, [*RESPONSE, "--param", "ck_platoo=3"])
    assert result.exit_code == 2
    assert "ck_platoo" in result.output


def test_assurance_without_prior_exits_2_with_a_hint() -> None:
    result = CliRunner().invoke(main, [*RESPONSE, "--assurance"])
    assert result.exit_code == 2
    assert "--prior-sd" in result.output


def test_assurance_with_normal_prior_is_reported() -> None:
    result = CliRunner().invoke(
        main, [*RESPONSE, "--assurance", "--prior-sd", "0.1", "--json", "--no-curve"]
    )
    assert result.exit_code == 0, result.output
    assurance = json.loads(result.output)["assurance"]
    assert 0 < assurance["assurance"] < 1 and assurance["prior"] == "normal"


@pytest.mark.parametrize(
    ("endpoint", "extra", "has_formula"),
    [
        ("mmrm", ["--dropout", "0.1"], False),
        ("mmrm", [], True),
        ("relapse", ["--hazard-ratio", "0.5"], True),
        ("response", ["--test", "logistic"], False),
        ("response", ["--test", "fisher", "--ratio", "2:1"], True),
    ],
)
def test_every_endpoint_runs_from_the_command_line(
    endpoint: str, extra: list[str], has_formula: bool
) -> None:
    args = ["design", "--endpoint", endpoint, "--n-per-arm", "20", "--sims", "400"]
    result = CliRunner().invoke(main, [*args, *extra, "--json", "--no-curve"])
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    assert 0 <= design["power"] <= 1 and 0 <= design["type1_error"] <= 1
    assert (design["analytic_power"] is not None) == has_formula
