"""The trial.toml examples of the documents are complete and valid configurations.

A fenced ``toml`` block of docs/server.md or docs/trial-format.md that holds one of the
sections of the controlled trial (``[eligibility]``, ``[randomisation]``,
``[blinding]``) must parse as ``trial.toml`` does, every value within its rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from myotrial.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```toml\n(?P<body>.*?)^```", flags=re.S | re.M)
SECTIONS = ("[eligibility]", "[randomisation]", "[blinding]")


def _blocks() -> list[object]:
    found = []
    for name in ("server.md", "trial-format.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if any(section in match["body"] for section in SECTIONS):
                line = text.count("\n", 0, match.start()) + 1
                found.append(pytest.param(match["body"], id=f"{name}:{line}"))
    return found


def test_the_documents_show_every_section() -> None:
    shown = "".join(str(p.values[0]) for p in _blocks())  # type: ignore[attr-defined]
    assert all(section in shown for section in SECTIONS)


@pytest.mark.parametrize("body", _blocks())
def test_toml_example_is_a_valid_trial_configuration(body: str) -> None:
    config = parse_config(body, "example")  # a value breaking its rule: ConfigError
    shown = {section.strip("[]") for section in SECTIONS if section in body}
    assert shown <= config.written
    if "[randomisation]" in body:
        assert config.randomisation.factors == ("site", "diagnosis")
