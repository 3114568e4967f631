"""What the dashboards read: one cached ``Source`` per database URL, and the choices offered in filters.

A dashboard kernel reads the database once through the read model (``sgzlib.workbench``: masked, without
migrating the schema) and keeps each derived table (case overview, indicator evaluation, outcome pairs) per
as-of date in the workbench, so changing a filter back and forth costs nothing after the first time.
``Source.refresh()`` reads the database again (the 刷新数据 button); ``loaded_at`` says when it was read.
``SGZ_DASHBOARD_AS_OF``, set by the server, fixes the date the boards open on.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import os

import pandas as pd

from ..domain import scope
from ..domain.dataset import Dataset
from ..domain.dates import parse_date
from ..store import storage
from ..workbench import Workbench, open_workbench
from . import AS_OF_ENV_VAR

TOWNSHIP = scope.TOWNSHIP
ALL = "全部"


def fixed_as_of() -> dt.date | None:
    """The date the server fixed for every board (``SGZ_DASHBOARD_AS_OF``), or None."""
    fixed = os.environ.get(AS_OF_ENV_VAR)
    return parse_date(fixed) if fixed else None


class Source:
    """The workbench of one database for a dashboard kernel, and the tables derived from it, computed once each."""

    def __init__(self, url: str, dataset: Dataset | None = None):
        self.url = url
        self._wb = None if dataset is None else Workbench._wrap(dataset, masked=True, as_of=fixed_as_of(), url=url,
                                                                scope=None)

    @property
    def wb(self) -> Workbench:
        if self._wb is None:
            self._wb = open_workbench(self.url, masked=True, upgrade=False, as_of=fixed_as_of(), output="dashboard")
            release_memory()
        return self._wb

    @property
    def ds(self) -> Dataset:
        return self.wb.ds

    @property
    def as_of(self) -> dt.date:
        """The date the boards open on: the server's, else the read model's default."""
        return self.wb.as_of

    @property
    def loaded_at(self) -> dt.datetime:
        return self.wb.loaded_at

    def refresh(self) -> None:
        """Forget the data and everything derived from it (the next read goes to the database)."""
        self._wb = None

    def has(self, key: tuple) -> bool:
        """Whether ``memo`` already holds ``key``."""
        return key in self.wb._memo

    def memo(self, key: tuple, compute):
        """``compute()`` once per ``key`` for this source."""
        if not self.has(key):
            self.wb.cached(key, compute)
            release_memory()
        return self.wb.cached(key, compute)


def release_memory() -> None:
    """Give the memory freed by a load or a derived table back to the system (a kernel lives for hours).

    glibc and Arrow keep freed memory for reuse; at 100 stations that is about 30 MB per kernel. A few ms.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(ImportError):
        import pyarrow as pa

        pa.default_memory_pool().release_unused()


@functools.lru_cache(maxsize=4)
def source(url: str | None = None) -> Source:
    """The cached source of the database at ``url`` (default: ``SGZ_DATABASE_URL``, else data/sgz.db)."""
    return Source(storage.database_url(url))


def station_label(row) -> str:
    return f"{row['name']}（{row['code']}）"


def townships(ds: Dataset, district: str | None = None) -> pd.DataFrame:
    """The township stations (of one district, unless 全部), in code order."""
    return scope.townships(ds, None if district == ALL else district)


def station_options(ds: Dataset, district: str | None = None) -> list[tuple[str, str]]:
    """(label, code) pairs of the township stations, for a dropdown."""
    return [(station_label(r), r["code"]) for _, r in townships(ds, district).iterrows()]


def district_options(ds: Dataset) -> list[str]:
    return scope.districts(ds)
