"""The ``myotrial`` command line: thin, each command parses, calls one service, prints.

Exit status: 0 success, 2 invalid input (nothing written), 1 unexpected failure.
Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import click

from myotrial import __version__
from myotrial.cli import analysis, design, exchange, score, server, trial


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="myotrial")
def main() -> None:
    """myotrial: run and analyse cell-therapy trials in refractory myositis."""


for _module in (trial, score, analysis, design, exchange, server):
    for _command in _module.COMMANDS:
        main.add_command(_command)
