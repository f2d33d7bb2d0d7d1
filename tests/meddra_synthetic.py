"""A small SYNTHETIC dictionary in the file layout of a MedDRA ASCII distribution.

Every code, hierarchy name and link here is invented for the tests (codes 9xxxxxxx, names
marked "(synthetic)"); only the lowest level terms borrow the plain words the synthetic
trials report, so that they can be coded. No MedDRA content is used.

Records are ``$``-delimited and end with ``$``, with the fields of the MedDRA
distribution file format document (llt.asc 11 fields, pt.asc 11, mdhier.asc 12, the
link files 2).
"""

from __future__ import annotations

from pathlib import Path

SOCS = {
    91000001: "General conditions (synthetic)",
    91000002: "Infections (synthetic)",
    91000003: "Nervous conditions (synthetic)",
    91000004: "Gut conditions (synthetic)",
}
HLGTS = {
    92000001: ("Temperature states (synthetic)", 91000001),
    92000002: ("Airway infections (synthetic)", 91000002),
    92000003: ("Head pains (synthetic)", 91000003),
    92000004: ("Stool changes (synthetic)", 91000004),
    92000005: ("Tiredness states (synthetic)", 91000001),
}
HLTS = {
    93000001: ("Febrile states (synthetic)", 92000001),
    93000002: ("Upper airway infections (synthetic)", 92000002),
    93000003: ("Headaches NEC (synthetic)", 92000003),
    93000004: ("Loose stools (synthetic)", 92000004),
    93000005: ("Asthenic states (synthetic)", 92000005),
}
# PT: name, primary HLT; PT 94000002 also sits under a secondary path (not primary).
PTS = {
    94000001: ("Pyrexia (synthetic)", 93000001),
    94000002: ("Upper airway infection (synthetic)", 93000002),
    94000003: ("Headache (synthetic)", 93000003),
    94000004: ("Diarrhoea (synthetic)", 93000004),
    94000005: ("Fatigue (synthetic)", 93000005),
    94000006: ("Rash wheals (synthetic)", 93000001),
}
SECONDARY = {94000002: 93000001}
# LLT: name, PT, current. "fatigue" differs from the reported "Fatigue" in case only;
# "Urticaria" is not current, so it is never coded to.
LLTS = {
    95000001: ("Fever", 94000001, "Y"),
    95000002: ("Chills", 94000001, "Y"),
    95000003: ("Upper respiratory tract infection", 94000002, "Y"),
    95000004: ("Headache", 94000003, "Y"),
    95000005: ("Diarrhoea", 94000004, "Y"),
    95000006: ("fatigue", 94000005, "Y"),
    95000007: ("Urticaria", 94000006, "N"),
    95000008: ("Wheals", 94000006, "Y"),
}


def _record(*fields: object) -> str:
    return "$".join("" if f is None else str(f) for f in fields) + "$"


def _path(pt: int, hlt: int, primary: str) -> str:
    pt_name = PTS[pt][0]
    hlt_name, hlgt = HLTS[hlt]
    hlgt_name, soc = HLGTS[hlgt]
    primary_soc = HLGTS[HLTS[PTS[pt][1]][1]][1]
    abbrev = "S" + str(soc)[-2:]
    return _record(
        pt,
        hlt,
        hlgt,
        soc,
        pt_name,
        hlt_name,
        hlgt_name,
        SOCS[soc],
        abbrev,
        None,
        primary_soc,
        primary,
    )


def synthetic_files() -> dict[str, list[str]]:
    """The lines of each file of the synthetic distribution."""
    primary_soc = {pt: HLGTS[HLTS[hlt][1]][1] for pt, (_, hlt) in PTS.items()}
    return {
        "llt.asc": [
            _record(code, name, pt, None, None, None, None, None, None, current, None)
            for code, (name, pt, current) in LLTS.items()
        ],
        "pt.asc": [
            _record(code, name, None, primary_soc[code], None, None, None, None, None, None, None)
            for code, (name, _) in PTS.items()
        ],
        "hlt_pt.asc": [_record(hlt, pt) for pt, (_, hlt) in PTS.items()]
        + [_record(hlt, pt) for pt, hlt in SECONDARY.items()],
        "hlgt_hlt.asc": [_record(hlgt, hlt) for hlt, (_, hlgt) in HLTS.items()],
        "soc_hlgt.asc": [_record(soc, hlgt) for hlgt, (_, soc) in HLGTS.items()],
        "mdhier.asc": [_path(pt, hlt, "Y") for pt, (_, hlt) in PTS.items()]
        + [_path(pt, hlt, "N") for pt, hlt in SECONDARY.items()],
    }


def write_synthetic_meddra(folder: Path) -> Path:
    """Write the synthetic distribution's six files into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in synthetic_files().items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
