"""MedDRA coding of reported adverse-event terms against a user's MedDRA distribution.

MedDRA is licensed by the ICH MSSO; myotrial ships none of it. It reads the ASCII files of
a distribution the user holds (the ``MedAscii`` folder), in the layout of MedDRA's
distribution file format document: ``$``-delimited records, each ending with ``$``.

========================  ============================================================
file                      fields used (position: name)
========================  ============================================================
``llt.asc``               1 llt_code, 2 llt_name, 3 pt_code, 10 llt_currency (Y/N)
``pt.asc``                1 pt_code, 2 pt_name, 4 pt_soc_code (the primary SOC)
``hlt_pt.asc``            1 hlt_code, 2 pt_code
``hlgt_hlt.asc``          1 hlgt_code, 2 hlt_code
``soc_hlgt.asc``          1 soc_code, 2 hlgt_code
``mdhier.asc``            1 pt_code, 2 hlt_code, 3 hlgt_code, 4 soc_code, 5 pt_name,
                          6 hlt_name, 7 hlgt_name, 8 soc_name, 12 primary_soc_fg (Y/N)
========================  ============================================================

A reported term is coded to the *current* lowest level term (``llt_currency = Y``) of the
same name: an exact match first, then one ignoring case; the preferred term is the LLT's,
and HLT, HLGT and SOC are the PT's primary path (``mdhier.asc`` row with
``primary_soc_fg = Y``), which must agree with the link files and with ``pt.asc``'s
primary SOC. Everything is read and joined with pandas, a handful of vectorised merges.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from myotrial.domain.tables import MEDDRA_COLUMNS, MEDDRA_LEVELS
from myotrial.errors import InvalidInputError, Problem
from myotrial.files import READ_ERRORS, reading

# file: (fields per record, {position (0-based): name}); codes are whole numbers.
FILES: dict[str, tuple[int, dict[int, str]]] = {
    "llt.asc": (11, {0: "llt_code", 1: "llt_name", 2: "pt_code", 9: "llt_currency"}),
    "pt.asc": (11, {0: "pt_code", 1: "pt_name", 3: "pt_soc_code"}),
    "hlt_pt.asc": (2, {0: "hlt_code", 1: "pt_code"}),
    "hlgt_hlt.asc": (2, {0: "hlgt_code", 1: "hlt_code"}),
    "soc_hlgt.asc": (2, {0: "soc_code", 1: "hlgt_code"}),
    "mdhier.asc": (
        12,
        {
            0: "pt_code",
            1: "hlt_code",
            2: "hlgt_code",
            3: "soc_code",
            4: "pt_name",
            5: "hlt_name",
            6: "hlgt_name",
            7: "soc_name",
            11: "primary_soc_fg",
        },
    ),
}
HINT = "give the MedAscii folder of a MedDRA distribution (llt.asc, pt.asc, mdhier.asc ...)"
NOT_FOUND = "no current lowest level term has this name"
AMBIGUOUS = "names several current lowest level terms that differ only in case"


@dataclass(frozen=True)
class MeddraDictionary:
    """A MedDRA distribution, read: every LLT with its PT and primary path.

    ``terms`` has one row per LLT (current or not), columns ``llt_currency`` and the
    names of :data:`~myotrial.domain.tables.MEDDRA_COLUMNS`, codes as ``float64``.
    """

    terms: pd.DataFrame
    folder: str

    @property
    def current(self) -> pd.DataFrame:
        """The current LLTs (``llt_currency = Y``), the only ones a term is coded to."""
        return self.terms[self.terms["llt_currency"] == "Y"]

    def code_terms(self, reported: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        """The coding of each reported term, and why a term was left uncoded.

        Parameters
        ----------
        reported : pandas.Series
            Verbatim terms (text; missing allowed).

        Returns
        -------
        coded : pandas.DataFrame
            Same index as ``reported``; the columns of
            :data:`~myotrial.domain.tables.MEDDRA_COLUMNS`, missing where uncoded.
        reasons : pandas.Series
            Same index; empty for a coded term, else why it was not coded.
        """
        current = self.current
        text = reported.astype(object).where(reported.notna(), "").astype(str).str.strip()
        exact = current.drop_duplicates("meddra_llt", keep=False).set_index("meddra_llt")
        folded = current.assign(key=current["meddra_llt"].str.casefold())
        ambiguous = set(folded.loc[folded["key"].duplicated(keep=False), "key"])
        by_case = folded.drop_duplicates("key", keep=False).set_index("key")
        codes = text.map(exact["meddra_llt_code"])
        keys = text.str.casefold()
        codes = codes.fillna(keys.map(by_case["meddra_llt_code"]))
        coded = self.by_llt_code(codes)
        coded.index = reported.index
        reasons = pd.Series("", index=reported.index, dtype=object)
        uncoded = codes.isna() & text.ne("")
        reasons[uncoded] = np.where(keys[uncoded].isin(ambiguous), AMBIGUOUS, NOT_FOUND)
        return coded, reasons

    def by_llt_code(self, codes: pd.Series) -> pd.DataFrame:
        """The coded columns for each LLT code (missing for a missing code)."""
        table = self.terms.drop_duplicates("meddra_llt_code").set_index("meddra_llt_code")
        looked_up = table.reindex(codes.astype("float64").to_numpy())[list(MEDDRA_COLUMNS[1:])]
        looked_up.insert(0, "meddra_llt_code", codes.astype("float64").to_numpy())
        looked_up.loc[looked_up["meddra_llt"].isna(), "meddra_llt_code"] = np.nan
        return looked_up.reset_index(drop=True)

    def current_code(self, code: str) -> float | None:
        """``code`` as a number when it names a current LLT, else ``None``."""
        text = code.strip()
        if not text.isdigit():
            return None
        number = float(text)
        known = self.current["meddra_llt_code"].to_numpy() == number
        return number if known.any() else None


def read_meddra(folder: Path | str) -> MeddraDictionary:
    """Read the MedDRA ASCII distribution in ``folder``.

    Raises
    ------
    InvalidInputError
        Naming each missing file, short record, non-numeric code and each inconsistency
        of the primary paths (file, line, field, rule).
    """
    folder = Path(folder)
    problems: list[Problem] = []
    frames = {name: _read_file(folder / name, problems) for name in FILES}
    if problems:
        raise InvalidInputError(problems)
    terms = _terms(frames, problems)
    if problems:
        raise InvalidInputError(problems)
    return MeddraDictionary(terms, str(folder))


def _read_file(path: Path, problems: list[Problem]) -> pd.DataFrame:
    fields, wanted = FILES[path.name]
    if not path.is_file():
        problems.append(Problem(path.name, None, None, None, "is missing", HINT))
        return pd.DataFrame(columns=list(wanted.values()))
    hint = "the file is one of a MedDRA distribution's MedAscii files"
    wrong_length = _length_problems(path, fields, hint)
    if wrong_length:  # a record of another length would shift its fields: read no further
        problems += wrong_length
        return pd.DataFrame(columns=list(wanted.values()))
    with reading(path.name, hint, catch=(*READ_ERRORS, pd.errors.ParserError)):
        # every record ends with "$", so a record has one empty field more than it holds;
        # blank lines are kept so that row numbers are line numbers
        raw = pd.read_csv(
            path,
            sep="$",
            header=None,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            encoding="utf-8",
            names=range(fields + 1),
            index_col=False,
            skip_blank_lines=False,
        )
    raw = raw[(raw.fillna("") != "").any(axis=1)]  # blank lines hold no record
    frame = raw[list(wanted)].rename(columns=wanted).fillna("")
    for column in (c for c in frame.columns if c.endswith("_code")):
        problems += _code_problems(path.name, frame[column], column)
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _length_problems(path: Path, fields: int, hint: str) -> list[Problem]:
    """Records without exactly ``fields`` fields (each field is followed by ``$``)."""
    with reading(path.name, hint):
        lines = pd.Series(path.read_text(encoding="utf-8").splitlines(), dtype=object)
    # a blank line (a file's last line break) holds no record
    counts = lines.str.count(r"\$").to_numpy()
    counts[lines.str.strip().eq("").to_numpy()] = fields
    return [
        Problem(
            path.name,
            int(i) + 1,
            None,
            None,
            f"has {'fewer' if counts[i] < fields else 'more'} than {fields} fields",
            hint,
        )
        for i in np.flatnonzero(counts != fields)
    ]


def _code_problems(file: str, values: pd.Series, column: str) -> list[Problem]:
    bad = ~values.str.fullmatch(r"[1-9][0-9]*")
    return [
        Problem(file, int(i) + 1, column, values[i], "is not a MedDRA code", "codes are numbers")
        for i in values.index[bad]
    ]


def _terms(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> pd.DataFrame:
    """Every LLT joined to its PT and the PT's primary path."""
    primary = frames["mdhier.asc"]
    primary = primary[primary["primary_soc_fg"] == "Y"]
    problems += _path_problems(frames, primary)
    pts = frames["pt.asc"].merge(primary.drop(columns="pt_name"), on="pt_code", how="left")
    llts = frames["llt.asc"].merge(pts, on="pt_code", how="left", indicator=True)
    orphan = (llts["_merge"] == "left_only").to_numpy()
    orphans = zip(llts.index[orphan], llts.loc[orphan, "pt_code"].to_numpy(), strict=True)
    problems += [
        Problem(
            "llt.asc",
            int(i) + 1,
            "pt_code",
            f"{code:.0f}",
            "is not a preferred term of pt.asc",
            "use llt.asc and pt.asc of the same MedDRA version",
        )
        for i, code in orphans
    ]
    names = {"llt_code": "meddra_llt_code", "llt_name": "meddra_llt"}
    for level, _ in MEDDRA_LEVELS[1:]:
        names |= {f"{level}_code": f"meddra_{level}_code", f"{level}_name": f"meddra_{level}"}
    terms = llts.rename(columns=names)
    return terms[["llt_currency", *MEDDRA_COLUMNS]].reset_index(drop=True)


def _path_problems(frames: dict[str, pd.DataFrame], primary: pd.DataFrame) -> list[Problem]:
    """Primary paths of mdhier.asc that the link files or pt.asc contradict."""
    problems: list[Problem] = []
    links = (
        ("hlt_pt.asc", ("hlt_code", "pt_code")),
        ("hlgt_hlt.asc", ("hlgt_code", "hlt_code")),
        ("soc_hlgt.asc", ("soc_code", "hlgt_code")),
    )
    for file, pair in links:
        known = frames[file].merge(primary[list(pair)], on=list(pair), how="right", indicator=True)
        missing = known["_merge"] == "right_only"
        problems += _mdhier_problems(
            primary.index[missing.to_numpy()], pair, f"is not a link of {file}"
        )
    pts = primary.merge(frames["pt.asc"], on="pt_code", how="left", suffixes=("", "_pt"))
    wrong = pts["pt_soc_code"].to_numpy() != pts["soc_code"].to_numpy()
    problems += _mdhier_problems(
        primary.index[wrong], ("soc_code",), "is not the primary SOC pt.asc gives this PT"
    )
    twice = primary["pt_code"].duplicated(keep="first")
    problems += _mdhier_problems(
        primary.index[twice.to_numpy()], ("pt_code",), "has two primary paths"
    )
    return problems


def _mdhier_problems(rows: Iterable[int], fields: tuple[str, ...], rule: str) -> list[Problem]:
    return [
        Problem(
            "mdhier.asc",
            int(i) + 1,
            ", ".join(fields),
            None,
            rule,
            "use the files of one MedDRA version, unchanged",
        )
        for i in rows
    ]


@dataclass(frozen=True)
class UncodedTerm:
    """A reported term left for manual coding: how many events report it, and why."""

    term: str
    events: int
    reason: str


def code_adverse_events(
    events: pd.DataFrame, dictionary: MeddraDictionary, assigned: dict[str, float] | None = None
) -> tuple[pd.DataFrame, list[UncodedTerm]]:
    """``events`` with their MedDRA columns filled, and the terms left uncoded.

    An event already coded keeps its coding; ``assigned`` (term to LLT code, the
    manual coding) codes every event reporting that term, ignoring case, whatever it
    held. The others are coded by :meth:`MeddraDictionary.code_terms`.

    Parameters
    ----------
    events : pandas.DataFrame
        Adverse events with ``term`` (and the MedDRA columns, when present).
    dictionary : MeddraDictionary
        The distribution to code against.
    assigned : dict of str to float, optional
        Manual coding, each code a current LLT (see :func:`parse_assignments`).

    Returns
    -------
    events : pandas.DataFrame
        A copy, the MedDRA columns set (codes ``float64``, names text or ``None``).
    uncoded : list of UncodedTerm
        Each term still uncoded, with its number of events, in order of first report.
    """
    events = events.copy()
    for column in MEDDRA_COLUMNS:
        if column not in events.columns:
            events[column] = np.nan if column.endswith("_code") else None
    done = events["meddra_llt_code"].notna().to_numpy()
    fresh, reasons = dictionary.code_terms(events["term"])
    keys = events["term"].astype(object).where(events["term"].notna(), "").astype(str)
    keys = keys.str.strip().str.casefold()
    chosen = {term.strip().casefold(): code for term, code in (assigned or {}).items()}
    manual = keys.isin(list(chosen)).to_numpy()
    if manual.any():
        by_hand = dictionary.by_llt_code(keys[manual].map(chosen))
        fresh.loc[manual, list(MEDDRA_COLUMNS)] = by_hand.to_numpy()
        reasons[manual] = ""
    write = manual | ~done
    for column in MEDDRA_COLUMNS:
        values = fresh[column].to_numpy()
        if column.endswith("_code"):
            events[column] = np.where(write, values.astype("float64"), events[column])
        else:
            kept = events[column].astype(object).to_numpy()
            new = pd.Series(values, dtype=object).where(pd.notna(values), None).to_numpy()
            events[column] = pd.Series(np.where(write, new, kept), index=events.index, dtype=object)
    left = reasons.ne("") & ~pd.Series(done & ~manual, index=events.index)
    return events, _uncoded(events.loc[left, "term"], reasons[left])


def _uncoded(terms: pd.Series, reasons: pd.Series) -> list[UncodedTerm]:
    text = terms.astype(str).str.strip()
    counts = text.value_counts(sort=False)
    first = reasons.groupby(text, sort=False).first()
    return [UncodedTerm(str(t), int(counts[t]), str(first[t])) for t in counts.index]


def parse_assignments(
    pairs: Iterable[str], dictionary: MeddraDictionary, reported: pd.Series
) -> dict[str, float]:
    """Manual coding given as ``TERM=LLTCODE``: each code a current LLT, each term reported.

    Raises
    ------
    InvalidInputError
        Naming each pair without ``=``, each code that is no current LLT of the
        distribution and each term no adverse event reports.
    """
    terms = set(reported.dropna().astype(str).str.strip().str.casefold())
    assigned: dict[str, float] = {}
    problems: list[Problem] = []
    for pair in pairs:
        term, sep, code = pair.rpartition("=")
        if not sep or not term.strip():
            problems.append(
                Problem(
                    "--assign",
                    None,
                    None,
                    pair,
                    "is not TERM=LLTCODE",
                    "the term as reported, '=', then an LLT code of llt.asc",
                )
            )
            continue
        number = dictionary.current_code(code)
        if number is None:
            problems.append(
                Problem(
                    "--assign",
                    None,
                    term.strip(),
                    code.strip(),
                    f"is not a current lowest level term of the MedDRA distribution in "
                    f"{dictionary.folder}",
                    "give the code of a current LLT (llt.asc, llt_currency Y)",
                )
            )
        if term.strip().casefold() not in terms:
            problems.append(
                Problem(
                    "--assign",
                    None,
                    term.strip(),
                    None,
                    "is not the term of any adverse event",
                    "give the term as reported (the uncoded terms are listed without --assign)",
                )
            )
        if number is not None:
            assigned[term.strip()] = number
    if problems:
        raise InvalidInputError(problems)
    return assigned
