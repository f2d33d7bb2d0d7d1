"""Turn a matplotlib figure into accessible inline SVG.

Figures are embedded in the HTML as ``<svg role="img">`` with ``<title>`` and ``<desc>``
(WAI-ARIA graphics: the title is the short name, the description the text alternative)
so that a screen reader and a search of the page both find what the figure shows.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_SIZE_ATTR = re.compile(r'\s(width|height)="[^"]*"')
_ID_USES = re.compile(r'(\bid="|url\(#|href="#)')


def _prefix_ids(svg: str, prefix: str) -> str:
    """Give every id of one figure a prefix so ids stay unique among inline figures.

    matplotlib names its groups ``figure_1``, ``axes_1``... in every figure; inline SVG
    shares the page's id space, so without the prefix clip paths would cross figures.
    """
    return _ID_USES.sub(lambda m: m.group(1) + prefix, svg)


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: inline SVG (or ``None`` when there is nothing to draw).

    ``caption`` goes under the figure; ``alt`` is the text alternative read by screen
    readers; ``empty_message`` replaces the figure when ``svg`` is ``None``.
    """

    key: str
    title: str
    caption: str
    alt: str
    svg: str | None
    empty_message: str = ""


def figure_to_svg(figure: Figure, key: str, title: str, alt: str) -> str:
    """Serialise ``figure`` as an inline ``<svg>`` element with a title and description.

    Parameters
    ----------
    figure
        A matplotlib figure (made with ``matplotlib.figure.Figure``).
    key
        Short identifier, unique in the document (used for element ids).
    title, alt
        The accessible name and the text alternative of the figure.

    Returns
    -------
    str
        The ``<svg>`` element, without XML declaration or DOCTYPE.
    """
    import matplotlib

    buffer = io.StringIO()
    # A salt per figure keeps the generated clip-path ids unique across the document
    # and the output reproducible; Date=None keeps the file free of a timestamp.
    # The figure was made with matplotlib.figure.Figure, not pyplot: no GUI backend, no
    # global figure registry to leak into, so nothing needs closing.
    with matplotlib.rc_context({"svg.hashsalt": f"myotrial-{key}", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _accessible(buffer.getvalue(), key, title, alt)


def _accessible(text: str, key: str, title: str, alt: str) -> str:
    start = text.index("<svg")
    body = _prefix_ids(text[start:], f"fig-{key}-")
    match = _SVG_OPEN.match(body)
    if match is None:  # pragma: no cover - matplotlib always writes an <svg> element
        raise ValueError("matplotlib did not produce an <svg> element")
    # Drop the fixed point size so the figure scales with the page (CSS sets width).
    opening = _SIZE_ATTR.sub("", match.group(0))
    opening = opening[:-1] + (
        f' role="img" aria-labelledby="fig-{key}-title fig-{key}-desc"'
        f' class="figure-svg" focusable="false">'
    )
    label = (
        f'<title id="fig-{key}-title">{escape(title)}</title>'
        f'<desc id="fig-{key}-desc">{escape(alt)}</desc>'
    )
    return opening + label + body[match.end() :]
