"""The trial report: one self-contained HTML file (and optionally a PDF).

``render_report(trial, result)`` returns the HTML; ``write_report`` writes it.
Figures are matplotlib (Agg) drawings embedded as inline SVG; templates live in
``templates/``.
"""

from __future__ import annotations

from myotrial.report.document import render_report, write_report

__all__ = ["render_report", "write_report"]
