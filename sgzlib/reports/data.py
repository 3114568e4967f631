"""What every report shares about its data: dates as reports take and print them, catalogue titles, and
the notice for a station without records. The data itself comes from the read model (``sgzlib.workbench``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..domain.dataset import Dataset
from ..domain.dates import require_date
from ..domain.labels import PERIOD_KIND_LABELS
from ..errors import ConfigError
from ..indicators import catalogue_title  # noqa: F401  (reports name a catalogue by its title)

LEDGER_ONLY = ("stations", "projects")  # a station with rows only here has no records yet


def no_records_note(ds: Dataset, who: str) -> str:
    """A Chinese notice when the loaded stations have nothing but station and project rows, else ""."""
    if any(len(frame) for name, frame in ds.frames.items() if name not in LEDGER_ONLY):
        return ""
    return (f"{who}还没有任何台账记录（服务对象、服务记录、个案、小组、前后测等均为空）：以下各部分都是空的，"
            "各项指标的实际值均为 0。导入台账后重新生成本报告即可。")


def as_date(value, what: str = "截至日期") -> dt.date:
    """A report date from a parameter (ISO or Chinese form)."""
    return require_date(value, what)


def fmt_date(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def period_bounds(as_of: dt.date, period: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The calendar month or quarter holding ``as_of``: (first day, ``as_of``, label such as 2025-10 / 2025Q4)."""
    kind = {"month": "M", "quarter": "Q", PERIOD_KIND_LABELS["month"]: "M", PERIOD_KIND_LABELS["quarter"]: "Q"}.get(period)
    if kind is None:
        raise ConfigError(f"督导周期「{period}」无效，应为 month（月）或 quarter（季度）")
    p = pd.Period(pd.Timestamp(as_of), freq=kind)
    label = str(p) if kind == "M" else f"{p.year}Q{p.quarter}"
    return p.start_time.normalize(), pd.Timestamp(as_of), label
