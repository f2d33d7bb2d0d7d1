"""Commands of this group (registered in :mod:`myotrial.cli`)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
