"""The version of myotrial, recorded in every result, report and export it writes."""

from __future__ import annotations

__version__ = "0.1.0"
