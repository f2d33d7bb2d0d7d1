"""The fields of the visit entry form, grouped as the page shows them."""

from __future__ import annotations

ENTRY_FIELDS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Core set measures",
        [
            ("phga", "Physician global (VAS)"),
            ("ptga", "Patient global (VAS)"),
            ("extramuscular", "Extramuscular global (VAS)"),
            ("mmt8", "MMT-8 total"),
            ("haq", "HAQ-DI (0-3)"),
        ],
    ),
    (
        "Muscle enzymes",
        [
            ("ck", "CK"),
            ("ck_mb", "CK-MB"),
            ("aldolase", "Aldolase"),
            ("ldh", "LDH"),
            ("ast", "AST"),
            ("alt", "ALT"),
        ],
    ),
    (
        "Lung, skin, steroids",
        [
            ("fvc_pct", "FVC % predicted"),
            ("dlco_pct", "DLCO % predicted"),
            ("ulcers", "Active skin ulcers"),
            ("cdasi_activity", "CDASI activity"),
            ("prednisone_mg", "Prednisone mg/day"),
        ],
    ),
]
"""(group title, [(visits column, label), ...]) in the order of the form."""
