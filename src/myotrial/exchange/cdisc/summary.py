"""TS, the trial summary: one record per parameter (SDTMIG 3.4 §7.6).

The parameters are those the FDA's Study Data Technical Conformance Guide expects of
every study (SSTDTC among them: a TS without it is rejected at the gateway, FDA
technical rejection criterion 1734), filled from ``trial.toml`` (``[trial]``,
``[blinding]`` and ``[cdisc]``) and from the data (study start, actual subjects, arms).
A parameter with a CDISC codelist carries its code (TSVALCD) and the terminology
(TSVCDREF/TSVCDVER).
"""

from __future__ import annotations

import pandas as pd

from myotrial.analysis.arms import allocated_arm
from myotrial.domain.cdisc import BLINDING
from myotrial.exchange.cdisc.common import Dataset, cdisc_settings, iso_date, study_id
from myotrial.exchange.cdisc.metadata import SDTM_VERSION, SDTMIG_VERSION, labels
from myotrial.exchange.cdisc.sdtm import DIAGNOSES
from myotrial.exchange.cdisc.terminology import CT_VERSION, PHASE_CODES, TS_PARAMETERS
from myotrial.trialdata import TrialData

CDISC_CT = "CDISC CT"
# Parameters whose value is a CDISC CT term (TSVCDREF "CDISC CT")
CODED = {"ADAPT", "HLTSUBJI", "INTTYPE", "RANDOM", "SEXPOP", "STYPE", "TBLIND", "TCNTRL",
         "TINDTP", "TPHASE", "TTYPE"}  # fmt: skip
AGE_LIMITS = {"adult": (("AGEMIN", "P18Y"), ("AGEMAX", "P100Y")), "juvenile": (("AGEMAX", "P17Y"),)}


def _values(trial: TrialData) -> list[tuple[str, str]]:
    """(TSPARMCD, TSVAL) in parameter order; a parameter may repeat (TTYPE)."""
    settings = cdisc_settings(trial)
    settings.require("sponsor", "title", "phase")
    p = trial.patients
    arms = sorted(allocated_arm(p).astype(str).unique())
    conditions = sorted({DIAGNOSES.get(d, d) for d in p["diagnosis"].dropna().astype(str)})
    last = max(trial.config.timepoints, key=lambda t: t.day) if trial.config.timepoints else None
    values: list[tuple[str, str]] = [
        ("ACTSUB", str(len(p))),
        ("ADAPT", "N"),
        *AGE_LIMITS[trial.config.population],
        ("FCNTRY", str(settings.country or "")),
        ("HLTSUBJI", "N"),
        ("INDIC", "; ".join(conditions)),
        ("INTTYPE", "BIOLOGIC"),
        ("LENGTH", f"P{last.day}D" if last else ""),
        ("NARMS", str(len(arms))),
        ("PLANSUB", str(settings.planned_subjects or "")),
        ("RANDOM", "Y" if len(arms) > 1 else "N"),
        ("REGID", settings.registry_id or ""),
        ("SDTIGVER", SDTMIG_VERSION),
        ("SDTMVER", SDTM_VERSION),
        ("SEXPOP", "BOTH"),
        ("SPONSOR", str(settings.sponsor)),
        ("SSTDTC", str(iso_date(pd.Series([pd.to_datetime(p["enrolment_date"]).min()]))[0])),
        ("STYPE", "INTERVENTIONAL"),
        ("TBLIND", BLINDING[trial.config.blinding.mode]),
        ("TCNTRL", settings.control_type),
        ("TINDTP", "TREATMENT"),
        ("TITLE", str(settings.title)),
        ("TPHASE", str(settings.phase)),
        ("TRT", "MESENCHYMAL STEM CELLS"),
        ("TTYPE", "EFFICACY"),
        ("TTYPE", "SAFETY"),
    ]
    return [(code, value) for code, value in values if value]


def ts(trial: TrialData) -> Dataset:
    """Trial summary: one row per parameter value.

    Raises
    ------
    ConfigError
        When ``[cdisc]`` lacks the sponsor, protocol title or phase.
    """
    rows = pd.DataFrame(_values(trial), columns=["TSPARMCD", "TSVAL"])
    coded = rows["TSPARMCD"].isin(CODED)
    frame = pd.DataFrame(
        {
            "STUDYID": study_id(trial),
            "DOMAIN": "TS",
            "TSSEQ": (rows.groupby("TSPARMCD").cumcount() + 1).astype("float64"),
            "TSPARMCD": rows["TSPARMCD"],
            "TSPARM": rows["TSPARMCD"].map(TS_PARAMETERS),
            "TSVAL": rows["TSVAL"],
            "TSVALNF": "",
            "TSVALCD": rows["TSVAL"]
            .map(PHASE_CODES)
            .where(rows["TSPARMCD"].eq("TPHASE"), "")
            .fillna(""),
            "TSVCDREF": pd.Series(CDISC_CT, index=rows.index).where(coded, ""),
            "TSVCDVER": pd.Series(CT_VERSION, index=rows.index).where(coded, ""),
        }
    )
    frame.loc[frame["TSPARMCD"].isin(["SSTDTC"]), "TSVCDREF"] = "ISO 8601"
    frame.loc[frame["TSPARMCD"].eq("FCNTRY"), "TSVCDREF"] = "ISO 3166-1 alpha-3"
    return Dataset(
        "TS",
        "Trial Summary",
        frame,
        labels("TS", list(frame.columns)),
        ("STUDYID", "TSPARMCD", "TSSEQ"),
    )
