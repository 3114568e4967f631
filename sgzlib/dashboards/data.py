"""What the dashboards read: one cached ``Source`` per database URL, and the choices offered in filters.

A dashboard kernel reads the database once through the read model (``sgzlib.workbench``: masked, without
migrating the schema) and keeps each derived table (case overview, indicator evaluation, outcome pairs) per
as-of date in the workbench, so changing a filter back and forth costs nothing after the first time.
``Source.refresh()`` forgets the data so the next use reads the database again; ``stale()`` says whether the
database may have changed since it was read (``storage.data_stamp``), which every page asks when a visitor's
page connects (``shell``); ``loaded_at`` says when it was read. A source may be limited to some stations (the
user's scope, ``session``), and may hold only the stations and projects (``index=True``: what the home, upload
and reports pages need, without a board's memory). ``SGZ_DASHBOARD_AS_OF``, set by the server, fixes the date the boards open on.
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
from ..workbench import Workbench, open_index, open_workbench
from . import AS_OF_ENV_VAR

TOWNSHIP = scope.TOWNSHIP
ALL = "全部"


def fixed_as_of() -> dt.date | None:
    """The date the server fixed for every board (``SGZ_DASHBOARD_AS_OF``), or None."""
    fixed = os.environ.get(AS_OF_ENV_VAR)
    return parse_date(fixed) if fixed else None


class Source:
    """The workbench of one database for a dashboard kernel, and the tables derived from it, computed once each."""

    def __init__(self, url: str, dataset: Dataset | None = None, stations: list[str] | None = None,
                 index: bool = False):
        self.url = url
        self.stations = stations
        self.index = index
        self.stamp = None
        self._wb = None if dataset is None else Workbench._wrap(dataset, masked=True, as_of=fixed_as_of(), url=url,
                                                                scope=None)

    @property
    def wb(self) -> Workbench:
        if self._wb is None:
            self.stamp = self._stamp()  # taken before reading: a write meanwhile makes the next look read again
            if self.index:
                ds = open_index(self.url).ds
                self._wb = Workbench._wrap(ds.subset(self.stations) if self.stations else ds, masked=False,
                                           as_of=fixed_as_of() or dt.date.today(), url=self.url, scope=self.stations)
            else:
                self._wb = open_workbench(self.url, stations=self.stations, masked=True, upgrade=False,
                                          as_of=fixed_as_of(), output="dashboard")
            release_memory()
        return self._wb

    def _stamp(self) -> tuple:
        engine = storage.connect(self.url, upgrade=False)
        try:
            return storage.data_stamp(engine)
        finally:
            engine.dispose()

    @property
    def loaded(self) -> bool:
        return self._wb is not None

    def stale(self) -> bool:
        """Whether the database may have changed since the data was read (False when built in memory)."""
        if self._wb is None or self.stamp is None:
            return False
        return self._stamp() != self.stamp

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
        self.stamp = None

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
