"""Optional dependencies: which extra of ``pyproject.toml`` installs which package.

A command that needs an optional package calls :func:`require` before it writes
anything, so a missing package costs the user one line naming the extra to install,
never a traceback and never an empty output folder.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from myotrial.errors import MissingDependencyError

#: Import names per extra, as declared in ``[project.optional-dependencies]``.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "server": ("fastapi", "uvicorn", "argon2", "multipart", "jwt"),
    "exchange": ("pyreadstat", "fhir.resources", "jsonschema", "lxml"),
    "dask": ("dask.distributed",),
    "pdf": ("weasyprint",),
}


def import_optional(module: str, extra: str, needed_for: str = "this command") -> ModuleType:
    """Import ``module``, or say which extra installs it.

    Parameters
    ----------
    module
        The import name, e.g. ``"pyreadstat"``.
    extra
        The myotrial extra that declares it, e.g. ``"exchange"``.
    needed_for
        What needs it, for the message (``"myotrial serve"``).

    Returns
    -------
    ModuleType
        The imported module.

    Raises
    ------
    MissingDependencyError
        If the module (or a package it imports) cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module, extra, needed_for) from exc


def require(extra: str, *modules: str, needed_for: str = "this command") -> None:
    """Check that ``modules`` (default: every module of ``extra``) can be imported.

    Raises
    ------
    MissingDependencyError
        For the first module that cannot be imported.
    """
    for module in modules or EXTRA_MODULES[extra]:
        import_optional(module, extra, needed_for)
