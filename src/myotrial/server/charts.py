"""The patient timeline chart: CK (log scale) and MMT-8 over time, as inline SVG."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd


def timeline_chart_svg(visits: list[dict[str, Any]], infusions: list[dict[str, Any]]) -> str:
    """An SVG chart of CK and MMT-8 by visit date with infusions marked ('' if no data).

    The SVG carries a <title> and <desc> so screen readers can describe it.
    """
    frame = pd.DataFrame(visits)
    if frame.empty or not {"ck", "mmt8"} & set(frame.columns):
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    figure, ck_axis = plt.subplots(figsize=(7, 3), dpi=96)
    try:
        _plot(frame, infusions, ck_axis)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    label = "CK (U/L, log scale) and MMT-8 at each visit; dashed lines mark infusions"
    return svg.replace(">", f' role="img" aria-label="{label}"><title>{label}</title>', 1)


def _plot(frame: pd.DataFrame, infusions: list[dict[str, Any]], ck_axis: Any) -> None:
    if "ck" in frame and frame["ck"].notna().any():
        ck = frame.dropna(subset=["ck"])
        ck_axis.plot(ck["visit_date"], ck["ck"], "o-", color="#b03a2e", label="CK")
        ck_axis.set_yscale("log")
    ck_axis.set_ylabel("CK (U/L)")
    if "mmt8" in frame and frame["mmt8"].notna().any():
        mmt_axis = ck_axis.twinx()
        mmt = frame.dropna(subset=["mmt8"])
        mmt_axis.plot(mmt["visit_date"], mmt["mmt8"], "s-", color="#1f618d", label="MMT-8")
        mmt_axis.set_ylabel("MMT-8")
    for infusion in infusions:
        ck_axis.axvline(
            pd.Timestamp(infusion["infusion_date"]), color="#7d7d7d", linestyle="--", linewidth=1
        )
    ck_axis.figure.autofmt_xdate()
