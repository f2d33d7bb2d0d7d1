"""The fields of the visit entry form, grouped as the page shows them.

Only the grouping is kept here: each field's label and unit come from
:func:`myotrial.services.labels.form_fields`, as on every other form.
"""

from __future__ import annotations

from typing import Any

ENTRY_FIELDS: list[tuple[str, list[str]]] = [
    ("Core set measures", ["phga", "ptga", "extramuscular", "mmt8", "haq"]),
    ("Muscle enzymes", ["ck", "ck_mb", "aldolase", "ldh", "ast", "alt"]),
    ("Lung, skin, steroids", ["fvc_pct", "dlco_pct", "ulcers", "cdasi_activity", "prednisone_mg"]),
]
"""(group title, [visits column, ...]) in the order of the form."""


def entry_groups(fields: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The visit form's groups, each with its fields as :func:`form_fields` describes them."""
    by_name = {f["name"]: f for f in fields}
    return [(title, [by_name[name] for name in names]) for title, names in ENTRY_FIELDS]
