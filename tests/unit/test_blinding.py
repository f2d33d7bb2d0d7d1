"""The blinding rule of docs/server.md (*Blinding*) on hand-made rows, without a store."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrial.config import parse_config
from myotrial.errors import ConfigError
from myotrial.services.access import Caller
from myotrial.services.blinding import BLINDED, audit_for, frame_for, rows_for, sees_arm

ASSESSOR = Caller("asa", "assessor", "A")
INVESTIGATOR = Caller("ivo", "investigator", "A")
HOLDER = Caller("uma", "unblinded_statistician", None)


@pytest.mark.parametrize(
    ("mode", "blinded"),
    [
        ("open", set()),
        ("assessor", {"assessor"}),
        ("double", {"admin", "investigator", "assessor", "monitor", "statistician"}),
    ],
)
def test_each_mode_blinds_its_default_roles(mode: str, blinded: set[str]) -> None:
    config = parse_config(f'[blinding]\nmode = "{mode}"\n')
    roles = ("admin", "investigator", "assessor", "monitor", "statistician")
    assert {r for r in roles if not sees_arm(Caller("x", r, "A"), config)} == blinded
    assert sees_arm(HOLDER, config)


def test_a_blinded_role_that_is_no_role_stops_every_answer() -> None:
    config = parse_config(
        '[blinding]\nmode = "assessor"\nblinded_roles = ["assessor", "asessor"]\n'
    )
    with pytest.raises(ConfigError, match="asessor"):
        sees_arm(INVESTIGATOR, config)


def test_the_arm_is_left_out_of_rows_and_frames_for_a_blinded_role() -> None:
    config = parse_config('[blinding]\nmode = "assessor"\n')
    rows = [{"patient_id": "A-1", "arm": "MSCT", "site": "A"}]
    assert rows_for(ASSESSOR, config, rows) == [{"patient_id": "A-1", "site": "A"}]
    assert rows_for(INVESTIGATOR, config, rows) == rows
    frame = pd.DataFrame(rows)
    assert list(frame_for(ASSESSOR, config, frame).columns) == ["patient_id", "site"]


def test_the_audit_trail_shows_the_arm_blinded() -> None:
    config = parse_config('[blinding]\nmode = "assessor"\n')
    audit = pd.DataFrame(
        {
            "table": ["patients", "patients", "visits"],
            "field": [None, "arm", "phga"],
            "old_value": [None, None, "4"],
            "new_value": ['{"patient_id": "A-1", "arm": "control", "site": "A"}', "MSCT", "5"],
        }
    )
    blinded = audit_for(ASSESSOR, config, audit)
    assert blinded["new_value"].tolist() == [
        '{"patient_id": "A-1", "arm": "' + BLINDED + '", "site": "A"}',
        BLINDED,
        "5",
    ]
    assert blinded["old_value"].tolist()[2] == "4"
    assert audit_for(INVESTIGATOR, config, audit).equals(audit)


def test_a_page_of_the_audit_trail_shows_the_arm_blinded() -> None:
    from myotrial.services.blinding import audit_rows_for

    config = parse_config('[blinding]\nmode = "double"\n')
    rows = [
        {"field": None, "old_value": None, "new_value": '{"arm": "MSCT", "site": "A"}'},
        {"field": "arm", "old_value": None, "new_value": "control"},
        {"field": "phga", "old_value": "4", "new_value": "5"},
    ]
    blinded = audit_rows_for(INVESTIGATOR, config, rows)
    assert [r["new_value"] for r in blinded] == [
        '{"arm": "' + BLINDED + '", "site": "A"}',
        BLINDED,
        "5",
    ]
    assert audit_rows_for(HOLDER, config, rows) == rows
