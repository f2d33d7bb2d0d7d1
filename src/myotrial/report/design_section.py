"""The design section of the trial report: power curve, operating characteristics,
assumptions with their sources.

:func:`render_design_section` takes the design JSON written by ``myotrial design -o`` and
returns an HTML fragment; :func:`render_design_page` wraps it in a standalone page.
Numbers are rounded here, never in the design itself.
"""

from __future__ import annotations

import io
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

_SECTION = """\
<section class="design" id="design">
<h2>Trial design: {{ d.endpoint }}</h2>
<p>{{ summary }}</p>
<figure>
<div role="img" aria-label="{{ alt }}">{{ svg }}</div>
<figcaption>Figure: simulated power (points, ± 2 Monte Carlo SE){% if has_analytic %}
and closed-form power (line){% endif %} by patients per arm; dashed line: 80 %.
{{ alt }}</figcaption>
</figure>
<table class="curve">
<caption>Power curve (text alternative of the figure)</caption>
<thead><tr><th scope="col">n per arm (control / MSCT)</th><th scope="col">simulated power</th>
<th scope="col">MC SE</th><th scope="col">closed-form power</th></tr></thead>
<tbody>{% for p in d.curve %}
<tr><td>{{ p.n_per_arm }} / {{ p.n_treatment }}</td><td>{{ pct(p.power) }}</td>
<td>{{ pct(p.mc_se) }}</td><td>{{ pct(p.analytic_power) }}</td></tr>{% endfor %}
</tbody></table>
<table class="operating">
<caption>Operating characteristics</caption>
<tbody>{% for label, value in rows %}
<tr><th scope="row">{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}
</tbody></table>
{% if d.search %}<table class="search">
<caption>Sample-size search, every evaluated point (target {{ pct(d.search.target_power) }})
</caption>
<thead><tr><th scope="col">order</th><th scope="col">n per arm</th>
<th scope="col">simulated power</th><th scope="col">MC SE</th>
<th scope="col">closed-form power</th></tr></thead>
<tbody>{% for p in d.search.points %}
<tr><td>{{ loop.index }}</td><td>{{ p.n_per_arm }}</td><td>{{ pct(p.power) }}</td>
<td>{{ pct(p.mc_se) }}</td><td>{{ pct(p.analytic_power) }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
<table class="assumptions">
<caption>Assumptions and their sources</caption>
<thead><tr><th scope="col">parameter</th><th scope="col">value</th><th scope="col">unit</th>
<th scope="col">meaning</th><th scope="col">source</th></tr></thead>
<tbody>{% for name, p in d.parameters.items() %}
<tr><td>{{ name }}</td><td>{{ "%g" % p.value }}</td><td>{{ p.unit }}</td>
<td>{{ p.description }}</td><td>{{ p.source }}</td></tr>{% endfor %}
</tbody></table>
<p class="reproducibility">Reproducible: seed {{ d.seed }}, {{ d.sims }} simulated trials per
scenario in blocks of {{ d.block_size }}; {{ d.random_streams }}; myotrial
{{ d.myotrial_version }}.</p>
</section>
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Trial design: {{ endpoint }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       color: #111; line-height: 1.4; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; }
caption { font-weight: bold; text-align: left; }
figure { margin: 1rem 0; }
</style></head>
<body>
{{ section }}
</body></html>
"""

_ENV = Environment(autoescape=True, trim_blocks=False)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("analysis", d["analysis"] + (f" ({d['test']})" if d.get("test") else "")),
        ("patients per arm (control / MSCT)", f"{d['n_per_arm']} / {d['n_treatment']}"),
        ("two-sided alpha", f"{d['alpha']:g}"),
        ("simulated power", f"{_pct(d['power'])} (MC SE {_pct(d['mc_se'])})"),
        ("closed-form power", f"{_pct(d['analytic_power'])} ({d['analytic_method']})"),
        (
            "type I error under the null",
            f"{_pct(d['type1_error'])} (MC SE {_pct(d['type1_mc_se'])})",
        ),
    ]
    if d.get("assurance"):
        a = d["assurance"]
        rows.append(
            ("assurance", f"{_pct(a['assurance'])} (MC SE {_pct(a['mc_se'])}); {a['source']}")
        )
    if d.get("expected_events") is not None:
        rows.append(("expected relapses", f"{d['expected_events']:.1f}"))
    return rows


def power_curve_svg(design: dict[str, Any]) -> str:
    """The power curve as an inline SVG string (no XML header, stable ids)."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "myotrial-design"
    curve = design["curve"]
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    n = [p["n_per_arm"] for p in curve]
    ax.errorbar(
        n,
        [p["power"] for p in curve],
        yerr=[2 * p["mc_se"] for p in curve],
        fmt="o",
        color="#1f4e79",
        label="simulated",
    )
    if any(p["analytic_power"] is not None for p in curve):
        ax.plot(n, [p["analytic_power"] for p in curve], "-", color="#c0504d", label="closed form")
    ax.axhline(0.8, linestyle="--", color="#777", linewidth=1)
    ax.set(xlabel="control patients per arm", ylabel="power", ylim=(0, 1.02))
    ax.legend(loc="lower right")
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_design_section(design: dict[str, Any]) -> str:
    """HTML fragment: power curve (SVG with caption and text alternative), operating
    characteristics and the assumptions with their sources.

    Parameters
    ----------
    design
        The design JSON of ``myotrial design`` (as a dict).

    Returns
    -------
    str
    """
    d = design
    summary = (
        f"With {d['n_per_arm']} control and {d['n_treatment']} MSCT patients, "
        f"the {d['analysis']} has simulated power {_pct(d['power'])} at two-sided "
        f"alpha {d['alpha']:g}; the type I error under the null is "
        f"{_pct(d['type1_error'])}."
    )
    alt = (
        "Power by patients per arm: "
        + "; ".join(f"{p['n_per_arm']}: {_pct(p['power'])}" for p in d["curve"])
        + "."
    )
    return _ENV.from_string(_SECTION).render(
        d=d,
        summary=summary,
        alt=alt,
        svg=Markup(power_curve_svg(d)),
        pct=_pct,
        rows=_rows(d),
        has_analytic=d.get("analytic_power") is not None,
    )


def render_design_page(design: dict[str, Any]) -> str:
    """A standalone, self-contained HTML page holding the design section."""
    return _ENV.from_string(_PAGE).render(
        endpoint=design["endpoint"], section=Markup(render_design_section(design))
    )
