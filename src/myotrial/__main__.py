"""``python -m myotrial``: the same command line as ``myotrial``."""

from myotrial.cli import main

main()
