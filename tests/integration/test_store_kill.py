"""A process killed (SIGKILL) in the middle of an import leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from store_trials import database_snapshot, small_trial

from myotrial.store import open_store

# The child imports a large synthetic registry and says WRITING once its first rows are
# in the open transaction; the parent then kills it while it keeps writing.
CHILD = textwrap.dedent(
    """
    import sys
    from myotrial.store import open_store
    from myotrial.store.repository import SqlTrialRepository
    from myotrial.synthetic import make_registry

    trial = make_registry(3000, seed=7)
    insert_rows = SqlTrialRepository.insert_rows

    def announcing(self, table, stored):
        insert_rows(self, table, stored)
        print("WRITING", table, flush=True)

    SqlTrialRepository.insert_rows = announcing
    store = open_store(sys.argv[1])
    store.save_trial(trial, user="killed", reason="interrupted import", allow_deletions=True)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.slow
def test_killed_import_leaves_the_database_as_it_was(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.close()
    before = database_snapshot(db_url)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert first.startswith("WRITING")
    assert child.returncode == -signal.SIGKILL
    store = open_store(db_url)  # SQLite rolls its journal back on this first read
    loaded = store.load_trial()
    trail = store.audit()
    store.close()
    pd.testing.assert_frame_equal(loaded.visits, small_trial().visits)
    assert set(trail["user"]) == {"tester"}
    assert database_snapshot(db_url) == before
