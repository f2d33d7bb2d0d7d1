"""Benchmark the trial report: the pilot and a 1,000-patient trial, end to end.

Also times two choices inside the report against their naive alternative, in the same
process on the same data:

- patient lines of the spaghetti plot as one ``LineCollection`` vs one ``plot`` call per
  patient (what a per-patient loop does);
- figures as inline SVG vs PNG (base64 in the page), for size and time.

Run: ``python benchmarks/bench_report.py`` (prints rates and ratios; see
docs/performance.md, section "Report").
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from typing import Any

from myotrial import analyze
from myotrial.report import render_report
from myotrial.report.figures import GREY, new_figure
from myotrial.report.timeline import patient_series, split_by_patient
from myotrial.synthetic import make_pilot, make_registry


def timed(function: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def cpu_timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one run (CPU time is steadier on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def report_seconds(n_patients: int | None) -> str:
    """Time analysis and report of the pilot (``None``) or a registry; describe it."""
    trial = make_pilot() if n_patients is None else make_registry(n_patients, seed=7)
    analysis_wall, analysis_cpu, result = cpu_timed(lambda: analyze(trial))
    render_wall, render_cpu, html = cpu_timed(lambda: render_report(trial, result))
    total = analysis_wall + render_wall
    return (
        f"analyse {analysis_wall:.2f} s (CPU {analysis_cpu:.2f} s), report {render_wall:.2f} s "
        f"(CPU {render_cpu:.2f} s), together {total:.2f} s; HTML "
        f"{len(html.encode('utf-8')) / 1e6:.2f} MB"
    )


def spaghetti(series: Any, one_collection: bool, fmt: str) -> bytes:
    """Draw CK per patient on a log axis and save it; return the file bytes."""
    from matplotlib.collections import LineCollection

    figure, axes = new_figure()
    if one_collection:
        axes.add_collection(LineCollection(split_by_patient(series), colors=GREY, linewidths=0.8))
        axes.autoscale_view()
    else:
        for _patient, rows in series.groupby("patient_id", sort=False):
            axes.plot(rows["day"], rows["value"], color=GREY, linewidth=0.8)
    axes.set_yscale("log")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    data = buffer.getvalue()
    return base64.b64encode(data) if fmt == "png" else data


def main() -> None:
    """Print every timing and ratio."""
    for label, n in (("pilot (10 patients)", None), ("1,000-patient trial", 1000)):
        print(f"{label}: {report_seconds(n)}")

    series = patient_series(make_registry(1000, seed=7), "ck")
    patients = series["patient_id"].nunique()
    loop_s, _ = timed(lambda: spaghetti(series, False, "svg"))
    lines_s, svg = timed(lambda: spaghetti(series, True, "svg"))
    print(
        f"spaghetti, {patients} patients: one LineCollection {lines_s:.2f} s "
        f"({patients / lines_s:,.0f} patients/s), per-patient plot loop {loop_s:.2f} s "
        f"({patients / loop_s:,.0f} patients/s); ratio {loop_s / lines_s:.1f}x"
    )
    png_s, png = timed(lambda: spaghetti(series, True, "png"))
    print(
        f"same figure as PNG (base64): {png_s:.2f} s, {len(png) / 1e3:.0f} kB; "
        f"as SVG: {lines_s:.2f} s, {len(svg) / 1e3:.0f} kB; "
        f"time ratio PNG/SVG {png_s / lines_s:.2f}, size ratio {len(png) / len(svg):.2f}"
    )


if __name__ == "__main__":
    main()
