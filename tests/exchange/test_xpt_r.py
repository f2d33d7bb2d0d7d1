"""Every SDTM transport file reads the same in R (``haven`` and ``foreign``) as in pandas.

Skipped where R or either package is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.services.exchange import export_sdtm
from myotrial.synthetic import make_registry

R_SCRIPT = """
args <- commandArgs(trailingOnly = TRUE)
for (path in list.files(args[1], pattern = "[.]xpt$", full.names = TRUE)) {
  name <- sub("[.]xpt$", "", basename(path))
  a <- as.data.frame(haven::read_xpt(path))
  b <- foreign::read.xport(path)
  write.csv(a, file.path(args[2], paste0(name, ".haven.csv")), row.names = FALSE, na = "")
  write.csv(b, file.path(args[2], paste0(name, ".foreign.csv")), row.names = FALSE, na = "")
}
"""


def _have_r() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "library(haven); library(foreign)"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _have_r(), reason="R with haven and foreign is not installed")
def test_r_reads_every_dataset_as_pandas_does(tmp_path: Path) -> None:
    sdtm = tmp_path / "sdtm"
    export_sdtm(make_registry(30, seed=4, n_sites=2), sdtm, "xpt")
    out = tmp_path / "r"
    out.mkdir()
    script = tmp_path / "read.R"
    script.write_text(R_SCRIPT)
    subprocess.run(["Rscript", str(script), str(sdtm), str(out)], check=True, capture_output=True)
    files = sorted(sdtm.glob("*.xpt"))
    assert len(files) >= 15
    for path in files:
        mine = pd.read_sas(path, format="xport", encoding="utf-8")
        for reader in ("haven", "foreign"):
            theirs = pd.read_csv(
                out / f"{path.stem}.{reader}.csv", keep_default_na=False, dtype=str
            )
            assert list(theirs.columns) == list(mine.columns), (path.name, reader)
            assert len(theirs) == len(mine), (path.name, reader)
            for column in mine.columns:
                if mine[column].dtype == object:
                    expected = mine[column].fillna("").astype(str).str.rstrip().tolist()
                    assert theirs[column].astype(str).str.rstrip().tolist() == expected
                else:
                    got = pd.to_numeric(theirs[column].replace("", np.nan), errors="coerce")
                    assert np.allclose(got, mine[column], equal_nan=True), (path.name, column)
