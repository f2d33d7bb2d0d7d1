"""Structural checks of an HTML document, shared by the report tests."""

from __future__ import annotations

import re
from typing import Any

import html5lib

NS = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
LINKS = ("src", "href", "{http://www.w3.org/1999/xlink}href", "action", "srcset", "data")
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)[^)]*\)", re.IGNORECASE)


def parse(html: str) -> tuple[Any, list[Any]]:
    """Parse strictly: return the tree and html5lib's parse errors."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=True)
    tree = parser.parse(html)
    return tree, list(parser.errors)


def external_references(tree: Any, html: str) -> list[str]:
    """Every src/href/xlink:href/url() that leaves the document."""
    found = []
    for element in tree.iter():
        for name, value in element.attrib.items():
            # Anything but an in-page anchor (#id) would make the browser fetch something.
            if name in LINKS and not value.startswith("#"):
                found.append(f"{element.tag} {name}={value}")
    found += [m.group(0) for m in CSS_URL.finditer(html)]
    return found


def heading_levels(tree: Any) -> list[int]:
    """Levels of the h1-h6 headings in document order."""
    return [
        int(e.tag[-1]) for e in tree.iter() if re.fullmatch(f"{re.escape(NS)}h[1-6]", str(e.tag))
    ]


def text_of(element: Any) -> str:
    return "".join(element.itertext()).strip()
