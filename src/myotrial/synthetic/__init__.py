"""Synthetic trials for demonstrations, tests and benchmarks: simulated patients only.

- :func:`make_pilot` builds ten simulated patients shaped like the published MSCT pilot in
  refractory PM/DM (Wang D et al. Ann Rheum Dis 2011;70:1285-8).
- :func:`make_registry` builds a large multi-site, two-arm registry from the same disease
  model, vectorised for benchmarks.

Both take a seed (or a ``numpy.random.Generator``); the same integer seed always gives
the same trial. :func:`synthetic_readme` is the notice written next to a synthetic folder.
"""

from __future__ import annotations

from myotrial.synthetic.notice import synthetic_readme
from myotrial.synthetic.pilot import make_pilot
from myotrial.synthetic.registry import make_registry

__all__ = ["make_pilot", "make_registry", "synthetic_readme"]
