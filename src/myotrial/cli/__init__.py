"""The ``myotrial`` command line: thin, each command parses, calls one service, prints.

Exit status: 0 success, 2 invalid input (nothing written), 1 unexpected failure.
Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import click

from myotrial.cli import (
    analysis,
    coding,
    design,
    exchange,
    interim,
    product,
    score,
    server,
    trial,
)
from myotrial.version import __version__

#: Spellings that run the same command; left out of ``--help`` so it lists each once.
ALIASES: dict[str, str] = {"analyse": "analyze", "randomize": "randomise"}


class _Commands(click.Group):
    """The command group, with British and American spellings of the same command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # The canonical name, so usage lines and errors name the documented command.
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="myotrial")
def main() -> None:
    """myotrial: run and analyse cell-therapy trials in refractory myositis."""


for _module in (trial, score, analysis, design, interim, exchange, coding, product, server):
    for _command in _module.COMMANDS:
        main.add_command(_command)
