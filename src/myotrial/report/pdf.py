"""Print the HTML report to PDF.

Two engines, tried in this order:

1. WeasyPrint (``pip install 'myotrial[pdf]'``), pure Python over Pango; follows the
   report's print CSS (A4, no navigation, figures kept whole).
2. Headless Chromium (``chromium --headless --print-to-pdf``), when WeasyPrint is not
   installed; Debian package ``chromium``.

If neither is available the error says how to install one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from myotrial.errors import PdfError

CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
)
CHROMIUM_TIMEOUT_S = 120
NO_ENGINE = (
    "no PDF engine: install WeasyPrint (pip install 'myotrial[pdf]') or Chromium "
    "(apt-get install chromium), or print the HTML report from a browser"
)


def html_to_pdf(html_path: Path, pdf_path: Path, engine: str = "auto") -> Path:
    """Print ``html_path`` to ``pdf_path`` and return ``pdf_path``.

    Parameters
    ----------
    html_path
        The report written by :func:`myotrial.report.write_report`.
    pdf_path
        Where to write the PDF.
    engine
        ``"weasyprint"``, ``"chromium"`` or ``"auto"`` (WeasyPrint when installed, else
        Chromium).

    Raises
    ------
    PdfError
        If the engine asked for (or, with ``auto``, both) is missing, or fails.
    """
    if engine not in ("auto", "weasyprint", "chromium"):
        raise ValueError(f"engine must be auto, weasyprint or chromium, not {engine!r}")
    if engine in ("auto", "weasyprint") and _weasyprint_available():
        return _with_weasyprint(html_path, pdf_path)
    if engine == "weasyprint":
        raise PdfError("WeasyPrint is not installed; install it with pip install 'myotrial[pdf]'")
    return _with_chromium(html_path, pdf_path)


def check_pdf_engine(engine: str = "auto") -> None:
    """Raise :class:`PdfError` now if ``engine`` cannot run, before anything is written."""
    if engine in ("auto", "weasyprint") and _weasyprint_available():
        return
    if engine == "weasyprint":
        raise PdfError("WeasyPrint is not installed; install it with pip install 'myotrial[pdf]'")
    if chromium_executable() is None:
        raise PdfError(NO_ENGINE)


def _weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: Pango or its fonts are missing
        return False
    return True


def _with_weasyprint(html_path: Path, pdf_path: Path) -> Path:
    import weasyprint

    # base_url is the report's folder: the report refers to nothing outside itself.
    weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(
        str(pdf_path)
    )
    return pdf_path


def chromium_executable() -> str | None:
    """The first Chromium found on ``PATH``, or ``None``."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _with_chromium(html_path: Path, pdf_path: Path) -> Path:
    executable = chromium_executable()
    if executable is None:
        raise PdfError(NO_ENGINE)
    command = [
        executable,
        *CHROMIUM_FLAGS,
        f"--print-to-pdf={pdf_path.resolve()}",
        html_path.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PdfError(f"Chromium could not print {html_path.name} to PDF: {exc}") from exc
    if done.returncode != 0 or not pdf_path.exists():
        raise PdfError(
            f"Chromium could not print {html_path.name} to PDF (exit "
            f"{done.returncode}): {done.stderr.strip()[-500:]}"
        )
    return pdf_path
