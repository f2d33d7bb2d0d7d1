"""Treatment arms.

A single-arm trial gives every patient the cell therapy; a randomised trial adds a
control arm. The ``arm`` column of ``patients.csv`` says which (default: the treated arm).
"""

from __future__ import annotations

TREATED_ARM = "MSCT"
"""The arm receiving mesenchymal stem cell transplantation (the default arm)."""
CONTROL_ARM = "control"
"""The comparison arm of a randomised trial."""
ARMS: tuple[str, str] = (TREATED_ARM, CONTROL_ARM)
"""The two arms of a randomised trial, treated arm first."""
