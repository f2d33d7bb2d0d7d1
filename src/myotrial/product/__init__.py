"""The cell product: lots released against their specification, traced to patients.

- :mod:`myotrial.product.release`: every release rule as a vectorised mask over the lots
  table, and the reasons an infusion's lot may not be infused;
- :mod:`myotrial.product.trace`: the chain of identity from donor and lot to patients
  and the adverse events after their infusions.

Pure pandas, like :mod:`myotrial.measures`: no files, no database.
"""
