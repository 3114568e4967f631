"""Files shipped inside the package, found with ``importlib.resources``: the same in a checkout, an editable
install, ``pip install .`` and a wheel.

    resources.path("reports", "notebooks", "station_supervision.ipynb")
    resources.path("catalogues")

What is shipped (``pyproject.toml``, ``[tool.setuptools.package-data]``): the report notebooks
(``reports/notebooks``), the analysis gallery (``reports/notebooks/gallery``), the dashboards
(``dashboards/notebooks``) and their Voila template (``dashboards/share``), the report template
(``reports/templates``), the catalogues and their source texts (``catalogues``), scales, scoring and word
lists (``data``) and the database migrations (``store/migrations``). Papermill, Voila and Alembic need real
files: an installed package is a folder, and a zipped one is extracted once per process.
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

_EXTRACTED = contextlib.ExitStack()
atexit.register(_EXTRACTED.close)


def path(*parts: str) -> Path:
    """The file or folder ``parts`` inside the ``sgzlib`` package, as a path on disk."""
    found = resources.files("sgzlib").joinpath(*parts)
    if isinstance(found, Path):
        return found
    return _EXTRACTED.enter_context(resources.as_file(found))  # a zipped package: a temporary copy
