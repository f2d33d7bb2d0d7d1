"""Trial configuration (``trial.toml``), read once at the edge.

The configuration itself and the rules of its values are part of the domain
(:mod:`myotrial.domain.config`, re-exported here); this module reads the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from myotrial.domain.config import Timepoint, TrialConfig
from myotrial.errors import ConfigError
from myotrial.files import file_problem, read_text

__all__ = ["Timepoint", "TrialConfig", "load_config", "parse_config"]


def load_config(path: Path) -> TrialConfig:
    """Read ``trial.toml``; a missing file means every default.

    Raises
    ------
    ConfigError
        If the file cannot be read or parsed, or a value breaks its rule.
    """
    if not path.exists():
        return TrialConfig()
    text = read_text(path, "check the file exists and is UTF-8 text", error=ConfigError)
    return parse_config(text, path.name)


def parse_config(text: str, source: str = "trial.toml") -> TrialConfig:
    """The configuration ``text`` (TOML) declares.

    Raises
    ------
    ConfigError
        If the text is not TOML, or a value breaks its rule (every one listed).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = "compare with the example in docs/trial-format.md"
        raise ConfigError([file_problem(source, f"is not valid TOML: {exc}", hint)]) from exc
    return TrialConfig.from_dict(data, source=source)
