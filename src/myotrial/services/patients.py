"""What a site reads: its patients, one patient's records and scores, the audit trail.

Every read goes through the access rules of :mod:`myotrial.services.access`: an
investigator sees their own site, a statistician no identified data at all.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.prepared import prepare
from myotrial.analysis.scoring import score_visits
from myotrial.errors import NotFoundError
from myotrial.services.access import Caller, require
from myotrial.services.uow import UseCases
from myotrial.services.visibility import visible_ids, visible_site
from myotrial.services.visit_rules import patient_trial
from myotrial.trialdata import TrialData


class PatientRecords(UseCases):
    """The reading use cases of the sites over one store."""

    def patients(self, caller: Caller) -> list[dict[str, Any]]:
        """The patients the caller may see, with their number of visits.

        Returns
        -------
        list of dict
            One per patient, by patient_id: patient_id, site, arm, diagnosis, sex, age,
            enrolment_date, n_visits.

        Raises
        ------
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        require(caller.reads_identified, "this role reads pseudonymised exports only")
        with self.uow() as uow:
            frame = uow.patients.list(caller.site_filter)
        return _rows(frame)

    def patient(self, caller: Caller, patient_id: str) -> dict[str, Any]:
        """One patient with visits and infusions.

        Returns
        -------
        dict
            The patient's row, plus ``visits`` (by date, only the columns that hold a
            value), ``visit_columns`` (those columns) and ``infusions``.

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            found = uow.patients.records(patient_id)
        patient = found["patients"]
        if patient.empty or not caller.sees_site(str(patient["site"].iloc[0])):
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        visits = found["visits"].sort_values("visit_date")
        shown = [c for c in visits.columns if visits[c].notna().any() and c != "patient_id"]
        return {
            **_rows(patient)[0],
            "visits": _rows(visits[shown]),
            "visit_columns": shown,
            "infusions": _rows(found["infusions"]),
        }

    def scores(self, caller: Caller, patient_id: str) -> list[dict[str, Any]]:
        """TIS of every follow-up visit against its episode baseline, computed now.

        Returns
        -------
        list of dict
            The rows of :func:`visit_scores` for the patient.

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            trial = patient_trial(uow, patient_id)
        return _rows(visit_scores(trial))

    def audit(self, caller: Caller, patient_id: str | None) -> list[dict[str, Any]]:
        """Audit rows the caller may see (investigators: their site's patients).

        Returns
        -------
        list of dict
            Rows of :meth:`myotrial.store.TrialStore.audit`, oldest first.

        Raises
        ------
        NotFoundError
            If ``patient_id`` names a patient the caller may not see.
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        with self.uow() as uow:
            if patient_id is not None:
                visible_site(uow, caller, patient_id)
                frame = uow.patients.audit(patient_id)
            else:
                frame = uow.patients.audit(None)
                allowed = visible_ids(uow, caller)
                if allowed is not None:
                    frame = frame[frame["patient_id"].isin(allowed)]
        return _rows(frame)


def visit_scores(trial: TrialData) -> pd.DataFrame:
    """TIS of every follow-up visit of each course against that course's baseline.

    The same episode, baseline and scoring rules as ``myotrial analyze``; unlike the
    analysis tables, visits outside every time-point window are scored too.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`myotrial.analysis.scoring.score_visits`, by course and date.
    """
    options, notes = AnalysisOptions(), Notes()
    prep = prepare(trial, options, notes)
    keys = ["patient_id", "episode", "visit_date"]
    followup = prep.followup[prep.followup["episode"] > 0]
    timepoints = prep.mapped[[*keys, "timepoint"]].drop_duplicates(keys)
    followup = followup.drop(columns=["timepoint"], errors="ignore").merge(
        timepoints, on=keys, how="left"
    )
    scores = score_visits(followup, prep.baseline, trial.config, options)
    return scores.sort_values(["episode", "visit_date"]).reset_index(drop=True)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
