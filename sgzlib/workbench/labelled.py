"""The Chinese column labels a ``Workbench`` frame carries (``frame.attrs["sgz_labels"]``).

A frame keeps its English column names, which code uses (``res["status"]``); the labels (``domain.labels``:
``API_LABELS``, and a ledger table's own sheet headers from ``domain.schema``) travel with it through
filtering and selection, and ``sgzlib.api`` shows them as the headers in JupyterLab.
"""

from __future__ import annotations

import functools

import pandas as pd

from ..domain import schema
from ..domain.labels import API_LABELS, API_LABELS_OF, STATUS_ORDER

ATTR = "sgz_labels"
SHEET_HEADERS = {t.name: {c.name: c.header for c in t.columns} for t in schema.TABLES}


def carry(frame: pd.DataFrame, kind: str | None = None, table: str | None = None) -> pd.DataFrame:
    """``frame`` with the Chinese label of each of its columns in ``frame.attrs`` (a ledger ``table``'s sheet
    headers, else ``API_LABELS`` with what the columns mean in a ``kind`` of frame); returns ``frame``."""
    own = SHEET_HEADERS.get(table, {}) if table else API_LABELS_OF.get(kind, {})
    labels = {}
    for column in frame.columns:
        label = own.get(column) or (None if table else API_LABELS.get(column))
        if label is None and column in STATUS_ORDER:
            label = column
        if label:
            labels[column] = label
    frame.attrs[ATTR] = labels
    return frame


def labelled(kind: str | None = None):
    """Decorator: the frame a ``Workbench`` method returns carries its labels (``carry``)."""
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            out = method(self, *args, **kwargs)
            return carry(out, kind) if isinstance(out, pd.DataFrame) else out
        return inner
    return wrap


def labels_of(frame: pd.DataFrame) -> dict[str, str]:
    """The labels ``frame`` carries, for the columns it has (empty for a frame that carries none)."""
    carried = frame.attrs.get(ATTR) or {}
    return {c: carried[c] for c in frame.columns if isinstance(c, str) and c in carried}
