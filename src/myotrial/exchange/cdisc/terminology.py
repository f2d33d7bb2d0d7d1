"""The CDISC Controlled Terminology (CT) myotrial uses, and its sponsor-defined codelists.

Each codelist carries its NCI code (the ``C`` code CDISC CT publishes it under, cited in
docs/exchange.md); a codelist without one is sponsor-defined. myotrial holds the terms
it writes, not whole codelists: a value outside a held codelist is reported by the
conformance check (``CT2001`` for a non-extensible codelist, ``CT2002`` for an extensible
one) and, for an extensible codelist, a term CDISC does not publish is written to
define.xml as an extended value (``def:ExtendedValue="Yes"``). Term codes are given where
they are cited in docs/exchange.md; define.xml writes an ``Alias`` only for those.
"""

from __future__ import annotations

from dataclasses import dataclass

from myotrial.domain.cdisc import BLINDING, CONTROL_TYPES, PHASES, RACES

CT_VERSION = "2024-03-29"
"""The CDISC CT package (SDTM and ADaM) whose submission values myotrial writes."""


@dataclass(frozen=True)
class Term:
    """One term: the submission value, its NCI code (empty when not cited) and whether
    it extends an extensible CDISC codelist."""

    value: str
    code: str = ""
    extended: bool = False


@dataclass(frozen=True)
class Codelist:
    """A codelist: short name (``SEX``), name, NCI code, terms, extensibility.

    ``code`` is empty for a sponsor-defined codelist; ``dictionary`` names an external
    dictionary (ISO 3166, MedDRA) whose values are not enumerated here.
    """

    short: str
    name: str
    code: str
    terms: tuple[Term, ...] = ()
    extensible: bool = False
    dictionary: str = ""

    @property
    def values(self) -> frozenset[str]:
        """The submission values held."""
        return frozenset(t.value for t in self.terms)

    @property
    def sponsor_defined(self) -> bool:
        """No CDISC codelist: the trial's own list of values."""
        return not self.code and not self.dictionary


def _terms(*values: str) -> tuple[Term, ...]:
    return tuple(Term(v) for v in values)


def _coded(pairs: dict[str, str]) -> tuple[Term, ...]:
    return tuple(Term(v, c) for v, c in pairs.items())


PHASE_CODES: dict[str, str] = {
    "PHASE I TRIAL": "C15600",
    "PHASE I/II TRIAL": "C15693",
    "PHASE II TRIAL": "C15601",
    "PHASE II/III TRIAL": "C15694",
    "PHASE III TRIAL": "C15602",
    "PHASE IV TRIAL": "C49686",
    "NOT APPLICABLE": "C48660",
}
"""NCI codes of the trial phases ``[cdisc] phase`` may take (TPHASE, C66737)."""
# TSPARMCD (C66738) -> TSPARM (C67152)
TS_PARAMETERS: dict[str, str] = {
    "ACTSUB": "Actual Number of Subjects",
    "ADAPT": "Adaptive Design",
    "AGEMAX": "Planned Maximum Age of Subjects",
    "AGEMIN": "Planned Minimum Age of Subjects",
    "FCNTRY": "Planned Country of Investigational Sites",
    "HLTSUBJI": "Healthy Subject Indicator",
    "INDIC": "Trial Disease/Condition Indication",
    "INTTYPE": "Intervention Type",
    "LENGTH": "Trial Length",
    "NARMS": "Planned Number of Arms",
    "PLANSUB": "Planned Number of Subjects",
    "RANDOM": "Trial is Randomized",
    "REGID": "Registry Identifier",
    "SDTIGVER": "SDTM IG Version",
    "SDTMVER": "SDTM Version",
    "SEXPOP": "Sex of Participants",
    "SPONSOR": "Clinical Study Sponsor",
    "SSTDTC": "Study Start Date",
    "STYPE": "Study Type",
    "TBLIND": "Trial Blinding Schema",
    "TCNTRL": "Control Type",
    "TINDTP": "Trial Intent Type",
    "TITLE": "Trial Title",
    "TPHASE": "Trial Phase Classification",
    "TRT": "Investigational Therapy or Treatment",
    "TTYPE": "Trial Type",
}

NOT_ASSIGNED_ARM = "ASSIGNED, NOT TREATED"
"""ARMNRS (C142179) of a patient allocated to the cell therapy who received none."""

CODELISTS: dict[str, Codelist] = {
    c.short: c
    for c in (
        Codelist("SEX", "Sex", "C66731", _terms("F", "M")),
        Codelist("AGEU", "Age Unit", "C66781", _terms("YEARS"), extensible=True),
        Codelist("NY", "No Yes Response", "C66742", _terms("Y", "N")),
        Codelist("RACE", "Race", "C74457", _terms(*RACES), extensible=True),
        Codelist("ARMNULRS", "Arm Null Reason", "C142179", _terms(NOT_ASSIGNED_ARM), True),
        Codelist("COUNTRY", "Country", "", dictionary="ISO 3166-1 alpha-3"),
        Codelist("ROUTE", "Route of Administration", "C66729", _terms("INTRAVENOUS"), True),
        Codelist("FRM", "Pharmaceutical Dosage Form", "C66726", _terms("SUSPENSION"), True),
        Codelist(
            "UNIT",
            "Unit",
            "C71620",
            (
                Term("mg", "C28253"),
                Term("g"),
                Term("ug"),
                Term("mL"),
                Term("mg/kg"),
                Term("g/kg"),
                Term("IU"),
                Term("U/L"),
                Term("ukat/L"),
                Term("kg"),
                Term("cm"),
                Term("%"),
                Term("cells/kg", extended=True),
            ),
            extensible=True,
        ),
        Codelist("FREQ", "Frequency", "C71113", _terms("QD", "QS", "QM", "ONCE"), True),
        Codelist(
            "ACN",
            "Action Taken with Study Treatment",
            "C66767",
            _coded({"NOT APPLICABLE": "C48660", "UNKNOWN": "C17998"}),
        ),
        Codelist(
            "OUT",
            "Outcome of Event",
            "C66768",
            _terms(
                "RECOVERED/RESOLVED",
                "RECOVERING/RESOLVING",
                "NOT RECOVERED/NOT RESOLVED",
                "RECOVERED/RESOLVED WITH SEQUELAE",
                "FATAL",
                "UNKNOWN",
            ),
        ),
        Codelist("NRIND", "Reference Range Indicator", "C78736", _terms("HIGH", "NORMAL"), True),
        Codelist(
            "LBTESTCD",
            "Laboratory Test Code",
            "C65047",
            _terms("CK", "CKMB", "ALDOLASE", "LDH", "AST", "ALT"),
            True,
        ),
        Codelist(
            "LBTEST",
            "Laboratory Test Name",
            "C67154",
            _terms(
                "Creatine Kinase",
                "Creatine Kinase MB",
                "Aldolase",
                "Lactate Dehydrogenase",
                "Aspartate Aminotransferase",
                "Alanine Aminotransferase",
            ),
            True,
        ),
        Codelist("VSTESTCD", "Vital Signs Test Code", "C66741", _terms("WEIGHT", "HEIGHT"), True),
        Codelist("VSTEST", "Vital Signs Test Name", "C67153", _terms("Weight", "Height"), True),
        Codelist(
            "NCOMPLT",
            "Completion/Reason for Non-Completion",
            "C66727",
            _terms("COMPLETED", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "DEATH"),
            True,
        ),
        Codelist(
            "DSCAT",
            "Category for Disposition Event",
            "C74558",
            _terms("DISPOSITION EVENT", "PROTOCOL MILESTONE"),
            True,
        ),
        Codelist(
            "PROTMLST",
            "Protocol Milestone",
            "C114118",
            _terms("INFORMED CONSENT OBTAINED", "RANDOMIZED"),
            True,
        ),
        Codelist(
            "TPHASE", "Trial Phase", "C66737", _coded({p: PHASE_CODES[p] for p in PHASES}), True
        ),
        Codelist("TBLIND", "Trial Blinding Schema", "C66735", _terms(*BLINDING.values()), True),
        Codelist("TCNTRL", "Control Type", "C66785", _terms(*CONTROL_TYPES), True),
        Codelist("DOMAIN", "SDTM Domain Abbreviation", "C66734", (), True),
        Codelist("EPOCH", "Epoch", "C99079", _terms("TREATMENT", "FOLLOW-UP"), True),
        # Sponsor-defined (no CDISC codelist): docs/exchange.md lists each.
        Codelist(
            "AEREL",
            "Causality",
            "",
            _terms(
                "NOT RELATED",
                "UNLIKELY RELATED",
                "POSSIBLY RELATED",
                "PROBABLY RELATED",
                "RELATED",
            ),
        ),
        Codelist("TOXGR", "CTCAE Grade", "", _terms("1", "2", "3", "4", "5")),
        Codelist("EXCAT", "Donor", "", _terms("ALLOGENEIC", "AUTOLOGOUS")),
        Codelist(
            "EXSCAT",
            "Tissue of Origin",
            "",
            _terms("BONE MARROW", "UMBILICAL CORD", "ADIPOSE TISSUE", "OTHER"),
        ),
        Codelist(
            "QSTESTCD",
            "Core Set Measure Code",
            "",
            _terms("PHGA", "PTGA", "EXTRAGLB", "MMT8TOT", "HAQDI", "CDASIACT"),
        ),
        Codelist("RETESTCD", "Pulmonary Function Test Code", "", _terms("FVCPP", "DLCOPP")),
        Codelist("FATESTCD", "Findings About Test Code", "", _terms("HRCTSCR", "ULCERCNT")),
        Codelist(
            "MHCAT",
            "Medical History Category",
            "",
            _terms("MYOSITIS", "MYOSITIS ORGAN INVOLVEMENT"),
        ),
        Codelist(
            "TSPARMCD", "Trial Summary Parameter Code", "C66738", _terms(*TS_PARAMETERS), True
        ),
        Codelist("MEDDRA", "MedDRA", "", dictionary="MedDRA"),
        Codelist("LOINC", "LOINC", "", dictionary="LOINC"),
        Codelist("ISO8601", "ISO 8601", "", dictionary="ISO 8601"),
    )
}
"""Every codelist a myotrial dataset refers to, by short name."""
