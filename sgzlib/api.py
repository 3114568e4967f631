"""The public analysis API of sgz: a short, stable entry point for JupyterLab.

Everything a supervisor, project manager or evaluator needs in a notebook, as
DataFrames with documented English column names, each carrying its Chinese labels (shown as the headers in
JupyterLab, ``sgzlib.workbench.labelled``)::

    import sgzlib as sgz
    wb = sgz.open()                  # --db → $SGZ_DATABASE_URL → data/sgz.db, like the CLI
    yl01 = wb.station("YL01")        # one station (and the rooms below it)
    yl01.evaluate()                  # indicator results on the as-of date
    yl01.cases_needing_attention()   # attention lists
    yl01.caseload()                  # caseload per worker

Names, phone numbers and ID numbers are masked (``sgzlib.store.privacy``) unless
``open(..., masked=False)`` is asked for explicitly. Every method takes an
optional ``as_of`` (a date or ``YYYY-MM-DD``); without it the workbench's own
date is used (``Workbench.as_of``: the same default as the CLI and the reports, ``sgzlib.domain.asof``).

The ``Workbench`` is the product's one read model (``sgzlib.workbench``): the CLI, the reports and the
dashboards open the data through it too. This module only re-exports it. The examples run on the seeded
demo district (``demo_workbench()``) and are executed by the test suite.
"""

from __future__ import annotations

import functools
import html

import pandas as pd

from .demo import district as demo
from .domain.dataset import Dataset
from .workbench import Workbench, default_as_of, open_workbench
from .workbench.labelled import labels_of

__all__ = ["Workbench", "open", "demo_workbench", "default_as_of"]


def show_labels() -> None:
    """In IPython or JupyterLab, show a frame that carries Chinese labels (every frame of a ``Workbench``) with
    them as its headers; the English column name, which code uses, shows on hover. Nothing outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, labelled_html)


def labelled_html(frame: pd.DataFrame) -> str:
    """The HTML of ``frame`` with its carried labels as headers (each with its column name as a tooltip)."""
    labels = labels_of(frame)
    if not labels:
        return frame._repr_html_()
    page = frame.rename(columns=labels)._repr_html_()
    head, _, body = page.partition("</thead>")
    for column, label in labels.items():
        head = head.replace(f"<th>{html.escape(label)}</th>", f'<th title="{html.escape(column)}">{html.escape(label)}</th>',
                            1)
    return head + ("</thead>" + body if body else "")


def open(url: str | None = None, *, masked: bool = True, as_of=None) -> Workbench:  # noqa: A001 (sgz.open)
    """Open the database at ``url`` (default ``$SGZ_DATABASE_URL``, else ``data/sgz.db``) as a ``Workbench``.

    The whole database is read once; ``station`` and ``district`` narrow it without reading again.
    ``masked`` (default) masks every person's name, phone and ID number.

    >>> import os, tempfile, sgzlib as sgz
    >>> from sgzlib.demo import district as demo
    >>> from sgzlib.store import storage
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "sgz.db")
    >>> _ = storage.write_dataset(storage.connect(url), demo.build())
    >>> wb = sgz.open(url, as_of="2025-10-31")
    >>> wb.stations()["code"].tolist()[:3]
    ['YL00', 'YL01', 'YL01-V1']
    >>> wb.as_of
    datetime.date(2025, 10, 31)
    """
    show_labels()
    return open_workbench(url, masked=masked, as_of=as_of)


@functools.lru_cache(maxsize=1)
def _demo_dataset() -> Dataset:
    return demo.build()


def demo_workbench() -> Workbench:
    """The seeded demo district (云岭区) in memory, looked at on ``demo.AS_OF`` (2025-10-31); names masked.

    >>> import sgzlib as sgz
    >>> wb = sgz.demo_workbench()
    >>> wb.as_of, len(wb.stations())
    (datetime.date(2025, 10, 31), 22)
    """
    show_labels()
    return Workbench(_demo_dataset(), masked=True, as_of=demo.AS_OF)
