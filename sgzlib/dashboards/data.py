"""What the dashboards read: one cached ``Source`` per database URL, and the choices offered in filters.

A dashboard kernel loads the database once (``source()``), and keeps each
derived table (case overview, indicator evaluation, outcome pairs) per
as-of date, so changing a filter back and forth costs nothing after the first
time. ``Source.refresh()`` drops everything, for the 刷新数据 button.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import os

import pandas as pd

from ..domain import asof
from ..domain.dataset import Dataset
from ..domain.dates import parse_date
from ..store import privacy, storage
from . import AS_OF_ENV_VAR

TOWNSHIP = "乡镇街道站"
ALL = "全部"


class Source:
    """The dataset of one database and the tables derived from it, computed once each."""

    def __init__(self, url: str, dataset: Dataset | None = None):
        self.url = url
        self._dataset = dataset
        self._memo: dict[tuple, object] = {}

    @property
    def ds(self) -> Dataset:
        if self._dataset is None:
            self._dataset = privacy.shared_dataset(storage.connect(self.url, upgrade=False))
            release_memory()
        return self._dataset

    def refresh(self) -> None:
        """Forget the data and everything derived from it (the next read goes to the database)."""
        self._dataset = None
        self._memo.clear()

    def has(self, key: tuple) -> bool:
        """Whether ``memo`` already holds ``key``."""
        return key in self._memo

    def memo(self, key: tuple, compute):
        """``compute()`` once per ``key`` for this source."""
        if key not in self._memo:
            self._memo[key] = compute()
            release_memory()
        return self._memo[key]


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


def default_as_of(ds: Dataset, today: dt.date | None = None) -> dt.date:
    """``SGZ_DASHBOARD_AS_OF`` when set, else the default the CLI and reports use (``asof.default_as_of``)."""
    fixed = os.environ.get(AS_OF_ENV_VAR)
    if fixed:
        return parse_date(fixed)
    return asof.default_as_of(ds, today)


def station_label(row) -> str:
    return f"{row['name']}（{row['code']}）"


def short_name(name: str) -> str:
    """东湖街道社会工作服务站 → 东湖街道 (for chart axes)."""
    for suffix in ("社会工作服务站", "社工站"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def townships(ds: Dataset, district: str | None = None) -> pd.DataFrame:
    """The township stations (of one district), in code order."""
    st = ds.stations[ds.stations["level"] == TOWNSHIP]
    if district and district != ALL:
        st = st[st["district"] == district]
    return st.sort_values("code")


def station_options(ds: Dataset, district: str | None = None) -> list[tuple[str, str]]:
    """(label, code) pairs of the township stations, for a dropdown."""
    return [(station_label(r), r["code"]) for _, r in townships(ds, district).iterrows()]


def district_options(ds: Dataset) -> list[str]:
    return sorted(ds.stations["district"].dropna().unique().tolist())
