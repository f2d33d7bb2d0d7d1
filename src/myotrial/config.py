"""Trial configuration (``trial.toml``), read once at the edge.

The configuration itself and the rules of its values are part of the domain
(:mod:`myotrial.domain.config`, re-exported here); this module reads the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from myotrial.domain.config import Timepoint, TrialConfig
from myotrial.errors import ConfigError, Problem

__all__ = ["Timepoint", "TrialConfig", "load_config"]


def load_config(path: Path) -> TrialConfig:
    """Read ``trial.toml``; a missing file means every default.

    Raises
    ------
    ConfigError
        If the file cannot be read or parsed, or a value breaks its rule.
    """
    if not path.exists():
        return TrialConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"cannot be read: {exc}",
                    "check the file exists and is UTF-8 text",
                )
            ]
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"is not valid TOML: {exc}",
                    "compare with the example in docs/trial-format.md",
                )
            ]
        ) from exc
    return TrialConfig.from_dict(data, source=path.name)
