"""Design the controlled trial: virtual patients, batched analyses, power, assurance,
sample size and randomisation lists (docs/design.md).

Typical use::

    from myotrial.design import make_spec, run_design
    spec = make_spec("mmt8_change", {"mean_treatment": 12, "sd": 10}, sims=40_000, seed=11)
    design = run_design(spec, n_per_arm=30)          # JSON-ready dict
"""

from __future__ import annotations

from myotrial.design.parameters import DEFAULTS, Parameter
from myotrial.design.power import Runner, make_spec, run_design, search_sample_size
from myotrial.design.randomise import balance_report, randomisation_list
from myotrial.design.simulate import DesignSpec, Prior, run_tasks

__all__ = [
    "DEFAULTS",
    "DesignSpec",
    "Parameter",
    "Prior",
    "Runner",
    "balance_report",
    "make_spec",
    "randomisation_list",
    "run_design",
    "run_tasks",
    "search_sample_size",
]
