"""The two terminals every command writes to: results on stdout, messages on stderr."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)
