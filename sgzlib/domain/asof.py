"""The default 截至 date: the latest data date within the running project period.

One function used by the CLI (``sgz evaluate``, ``explain``, ``outcomes``), the
station and district reports, and the dashboards, so that all of them open on
the same day. ``today`` is kept within the projects' periods: before the first
project it is the first start; after the last, the last period is "running".
Within that period the default is the latest date on which anything was
recorded (a service, a session, a measurement, …), never later than today.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from . import schema

# Ledger dates that say "something happened on this day" (not planned or birth dates).
ACTIVITY_DATES = tuple((t.name, "date") for t in schema.TABLES if "date" in t.names)


def running_period(projects: pd.DataFrame, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the projects running on ``today`` (else of the latest ones started before it)."""
    if projects.empty:
        return None
    when = pd.Timestamp(today)
    running = projects[(projects["start"] <= when) & (projects["end"] >= when)]
    if running.empty:
        started = projects[projects["start"] <= when]
        if started.empty:
            first = projects["start"].min()
            running = projects[projects["start"] == first]
        else:
            last_end = started["end"].max()
            running = started[started["end"] == last_end]
    return running["start"].min().date(), running["end"].max().date()


def activity_dates(ds) -> pd.Series:
    """Every recorded activity date of the dataset (services, sessions, measurements, …)."""
    parts = [ds[table][col] for table, col in ACTIVITY_DATES if not ds[table].empty]
    if not parts:
        return pd.Series([], dtype="datetime64[s]")
    return pd.concat([p.dropna().astype("datetime64[s]") for p in parts], ignore_index=True)


def default_as_of(ds, today: dt.date | None = None) -> dt.date:
    """The latest activity date within the running project period (capped at ``today``)."""
    today = today or dt.date.today()
    period = running_period(ds.projects, today)
    if period is None:
        return today
    start, end = period
    cap = min(today, end)
    if cap < start:
        return start
    dates = activity_dates(ds)
    dates = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(cap))]
    return dates.max().date() if not dates.empty else cap


DEFAULT_TEXT = "正在进行的项目周期内最近一次有记录的日期"
