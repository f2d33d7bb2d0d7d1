"""Write the plain mappings of ``trial.toml`` back as TOML text.

The standard library reads TOML (``tomllib``) but does not write it; the trial settings
are small (tables of scalars, the time points as inline tables), so this writer covers
exactly that: strings, booleans, numbers, lists of those, and nested tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def _key(key: object) -> str:
    text = str(key)
    bare = text.replace("_", "").replace("-", "").isalnum() and text.isascii()
    return text if bare else json.dumps(text)


def _is_flat(value: Mapping[str, Any]) -> bool:
    return not any(
        isinstance(v, Mapping) and any(isinstance(w, Mapping) for w in v.values())
        for v in value.values()
    )


def dump_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """TOML text for ``data`` (top-level scalars first, then one ``[table]`` per mapping).

    A table whose values are mappings of scalars (``[timepoints]``) writes them as
    inline tables, as ``trial.toml`` does.
    """
    lines = [f"{_key(k)} = {_scalar(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    for key, value in data.items():
        if not isinstance(value, Mapping):
            continue
        name = f"{prefix}{_key(key)}"
        if _is_flat(value):
            lines += ["", f"[{name}]"]
            lines += [f"{_key(k)} = {_scalar(v)}" for k, v in value.items()]
        else:
            lines += ["", f"[{name}]", dump_toml(value, prefix=f"{name}.").strip("\n")]
    return "\n".join(lines).lstrip("\n") + "\n"
