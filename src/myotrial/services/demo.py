"""The demonstration: build the synthetic pilot trial and run the pipeline on it.

Each step is one call to the library and reports what it wrote, so the command line can
show a new user what happened and where to look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from myotrial.analysis.result import AnalysisResult
from myotrial.ingest.writer import write_trial_folder, write_workbook
from myotrial.report import write_report
from myotrial.services.analysis import run_analysis
from myotrial.services.loading import load_trial
from myotrial.services.trial import import_trial
from myotrial.store import ImportSummary
from myotrial.synthetic import make_pilot, synthetic_readme
from myotrial.text import CSV_FLOAT_FORMAT, plural
from myotrial.trialdata import TrialData

DEMO_SEED = 2011
DEMO_USER = "myotrial demo"


@dataclass(frozen=True)
class DemoStep:
    """One finished step of the demonstration and the files it wrote."""

    name: str
    summary: str
    paths: tuple[Path, ...] = ()


Progress = Callable[[DemoStep], None]


def run_demo(
    out_dir: Path | str, progress: Progress | None = None, seed: int = DEMO_SEED
) -> list[DemoStep]:
    """Build the synthetic pilot and run every available step of the pipeline on it.

    Writes ``out_dir/trial`` (the trial folder, with a README saying it is synthetic) and
    ``out_dir/trial.xlsx`` (the same trial as one workbook), then reads the folder back
    (validating it), imports it into the SQLite database ``out_dir/myotrial.db``, writes
    the analysis tables into ``out_dir/analysis`` and the report to
    ``out_dir/report.html``. Running it again with the same
    seed changes nothing in the database; another seed is recorded there as audited
    changes.

    Parameters
    ----------
    out_dir
        Folder for everything the demonstration writes; created if missing.
    progress
        Called with each step as it finishes (for printing).
    seed
        Seed of the synthetic pilot; the same seed gives the same files.

    Returns
    -------
    list of DemoStep
        The steps run, in order.
    """
    out_dir = Path(out_dir)
    steps: list[DemoStep] = []

    def done(step: DemoStep) -> None:
        steps.append(step)
        if progress is not None:
            progress(step)

    trial = make_pilot(seed)
    done(DemoStep("generate", f"synthetic pilot (seed {seed}): {_counts(trial)}"))
    done(write_folder_step(trial, out_dir / "trial"))
    done(write_workbook_step(trial, out_dir / "trial.xlsx"))
    # From here on the trial is the folder as the reader sees it: validated, checksummed.
    trial = load_trial(out_dir / "trial")
    done(DemoStep("validate", f"no problems found (input checksum {trial.checksum[:16]}...)"))
    done(import_step(out_dir / "trial", out_dir / "myotrial.db"))
    result = run_analysis(trial, out_dir / "analysis")
    done(analysis_step(result, out_dir / "analysis"))
    done(pairs_step(trial, out_dir / "pairs.csv"))
    # The report comes last: its path is the demo's last line, the file to open.
    done(report_step(trial, result, out_dir / "report.html"))
    return steps


def write_folder_step(trial: TrialData, folder: Path) -> DemoStep:
    """Write the trial folder with its synthetic-data notice."""
    paths = write_trial_folder(trial, folder, readme=synthetic_readme(trial))
    return DemoStep("write folder", f"trial folder {folder}", tuple(paths))


def write_workbook_step(trial: TrialData, path: Path) -> DemoStep:
    """Write the same trial as one workbook."""
    return DemoStep("write workbook", f"workbook {path}", (write_workbook(trial, path),))


def import_step(folder: Path, database: Path) -> DemoStep:
    """Import the trial folder, validated and audited, into a SQLite database file."""
    url = f"sqlite:///{database}"
    summary = import_trial(folder, url, user=DEMO_USER, reason="synthetic pilot demonstration")
    return DemoStep("import", f"{_import_counts(summary)} into {url}", (database,))


def _import_counts(summary: ImportSummary) -> str:
    if not summary.changed:
        return "no change (the same trial is already stored)"
    rows = summary.as_frame()[["inserted", "updated", "deleted"]].sum()
    return (
        f"import {summary.import_id}: {plural(int(rows['inserted']), 'row')} inserted, "
        f"{rows['updated']} updated, {rows['deleted']} deleted"
    )


def analysis_step(result: AnalysisResult, folder: Path) -> DemoStep:
    """What the analysis wrote into ``folder``."""
    counts = result.summary["counts"]
    summary = (
        f"analysis {folder}: {plural(counts['episodes'], 'episode')} "
        f"({plural(counts['retreatments'], 're-treatment')}), "
        f"{plural(len(result.summary['notes']), 'note')}"
    )
    paths = [folder / f"{name}.csv" for name in result.tables()] + [folder / "summary.json"]
    return DemoStep("analyse", summary, tuple(paths))


def report_step(trial: TrialData, result: AnalysisResult, path: Path) -> DemoStep:
    """Write the HTML report of the trial and its analysis."""
    written = write_report(trial, result, path)
    return DemoStep("report", f"report {path} (open it in a web browser)", tuple(written))


SAMPLE_TIMEPOINT = "month3"


def pairs_step(trial: TrialData, path: Path) -> DemoStep:
    """A sample PAIRS file for ``myotrial score``: each first course's baseline and
    month-3 visit side by side (docs/measures.md §2, "Input and output")."""
    from myotrial import measures
    from myotrial.analysis.options import AnalysisOptions, Notes
    from myotrial.analysis.prepared import prepare

    prep = prepare(trial, AnalysisOptions(), Notes())
    keys = ["patient_id", "episode"]
    # episode 1 is the first course; episode 0 is the since-entry view of the same visits
    mapped = prep.mapped
    chosen = mapped[(mapped["episode"] == 1) & (mapped["timepoint"] == SAMPLE_TIMEPOINT)]
    followup = chosen.reset_index(drop=True)
    reference = followup[keys].merge(prep.baseline, on=keys, how="left", validate="1:1")
    pairs = measures.make_pairs(reference, followup, trial.config)
    pairs.to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT, date_format="%Y-%m-%d")
    summary = f"{plural(len(pairs), 'pair')} (baseline and {SAMPLE_TIMEPOINT}) for myotrial score"
    return DemoStep("pairs", summary, (path,))


def _counts(trial: TrialData) -> str:
    return (
        f"{plural(len(trial.patients), 'patient')}, {plural(len(trial.infusions), 'infusion')}, "
        f"{plural(len(trial.visits), 'visit')}, "
        f"{plural(len(trial.adverse_events), 'adverse event')}"
    )
