"""Cross-sheet data rules: dates that cannot be right given the other tables.

Each rule is a small pure function of a ``Dataset`` returning ``Problem``s
that name the sheet (``where``), the column, the value and the row's natural
key (``key``), so the importer can send each back to its Excel row.
``data_problems`` runs them all; ``validation.problems`` includes it.

- A record of a station's work (service, case session, group session,
  charity money in or out, supervision) must fall inside a project period of
  its station, or of the nearest station above it that has projects.
  Stations with no project above them are not checked.
- A service, case, pre/post measurement or charity aid for a beneficiary
  cannot be dated before the beneficiary joined (纳入日期). A needs
  assessment may precede joining: it is how people are taken in.
- A row's own dates must be in order: a project ending before it starts,
  leaving before joining, being born after being taken in, a group's
  evaluation report before its plan, an action item due before the
  supervision that set it (for recorded sessions, ``supervision_records.record_problems``).
"""

from __future__ import annotations

import pandas as pd

from ..errors import Problem
from . import schema
from .dataset import split_list
from .supervision_records import record_problems

# (table, date column) of the records that are project work.
PROJECT_WORK = (("services", "date"), ("case_sessions", "date"), ("group_sessions", "date"),
                ("charity_funds", "date"), ("charity_aid", "date"), ("supervisions", "date"))
# (table, beneficiary column, date column) of the records about a beneficiary.
ABOUT_BENEFICIARY = (("services", "beneficiary_codes", "date"), ("cases", "beneficiary_code", "opened"),
                     ("measurements", "beneficiary_code", "date"), ("charity_aid", "beneficiary_code", "date"))
# (table, earlier column, later column): the later date may not come before the earlier one.
ORDERED_DATES = (("projects", "start", "end"), ("staff", "joined", "left"), ("beneficiaries", "joined", "left"),
                 ("beneficiaries", "birth_date", "joined"), ("groups", "plan_date", "report_date"),
                 ("supervisions", "date", "action_due"))


def data_problems(ds) -> list[Problem]:
    """Every problem of the rules of this module."""
    return project_period_problems(ds) + before_joined_problems(ds) + date_order_problems(ds) + record_problems(ds)


def _fmt(value) -> str:
    return f"{value:%Y-%m-%d}"


def _key(frame: pd.DataFrame, t: schema.Table, idx) -> tuple:
    return tuple(frame.at[idx, k] for k in t.key)


def project_periods(ds) -> pd.DataFrame:
    """For every station, the project periods that cover it: its own, else its nearest ancestor's.

    Columns: station_code, start, end (one row per station and covering project).
    """
    projects = ds.projects.dropna(subset=["station_code", "start", "end"])
    own = projects.groupby("station_code").size()
    parent = ds.stations.set_index("code")["parent_code"].to_dict()
    rows = []
    for code in ds.stations["code"].dropna():
        owner, seen = code, set()
        while owner is not None and owner not in own.index and owner not in seen:
            seen.add(owner)
            owner = parent.get(owner)
            owner = None if owner is None or pd.isna(owner) else owner
        if owner in own.index:
            rows.append(projects.loc[projects["station_code"] == owner, ["start", "end"]].assign(station_code=code))
    if not rows:
        return pd.DataFrame({"station_code": pd.Series(dtype="string"), "start": pd.Series(dtype="datetime64[s]"),
                             "end": pd.Series(dtype="datetime64[s]")})
    return pd.concat(rows, ignore_index=True)


def project_period_problems(ds) -> list[Problem]:
    """Work dated outside every project period of its station."""
    periods = project_periods(ds)
    if periods.empty:
        return []
    spans = periods.groupby("station_code").apply(
        lambda g: "、".join(f"{_fmt(s)} 至 {_fmt(e)}" for s, e in zip(g["start"], g["end"])), include_groups=False)
    out = []
    for table, column in PROJECT_WORK:
        t = schema.TABLE_BY_NAME[table]
        frame = ds[table]
        stations = ds.station_column(table)
        dated = pd.DataFrame({"station_code": stations, "date": frame[column]}).dropna()
        dated = dated[dated["station_code"].isin(spans.index)]
        if dated.empty:
            continue
        joined = dated.reset_index().merge(periods, on="station_code")
        inside = joined[(joined["date"] >= joined["start"]) & (joined["date"] <= joined["end"])]["index"]
        for idx in dated.index.difference(pd.Index(inside.unique())):
            station, date = dated.at[idx, "station_code"], dated.at[idx, "date"]
            out.append(Problem("outside_project_period", f"日期 {_fmt(date)} 不在站点 {station} 的项目周期"
                               f"（{spans[station]}）内", where=t.sheet, column=t.column(column).header,
                               value=_fmt(date), key=_key(frame, t, idx)))
    return out


def before_joined_problems(ds) -> list[Problem]:
    """Records about a beneficiary dated before the beneficiary joined."""
    joined = ds.beneficiaries.dropna(subset=["code", "joined"]).drop_duplicates("code").set_index("code")["joined"]
    out = []
    for table, who, column in ABOUT_BENEFICIARY:
        t = schema.TABLE_BY_NAME[table]
        frame = ds[table]
        people = split_list(frame[who]) if t.column(who).kind == "list" else frame[who].dropna()
        if people.empty:
            continue
        dates = frame[column].reindex(people.index)
        since = pd.Series(joined.reindex(people.to_numpy()).to_numpy(), index=people.index)
        early = (dates < since).fillna(False).to_numpy(dtype=bool)
        for idx, person, date, start in zip(people.index[early], people[early], dates[early], since[early]):
            out.append(Problem("before_joined", f"日期 {_fmt(date)} 早于服务对象 {person} 的纳入日期（{_fmt(start)}）",
                               where=t.sheet, column=t.column(column).header, value=_fmt(date),
                               key=_key(frame, t, idx)))
    return out


def date_order_problems(ds) -> list[Problem]:
    """A row's own dates out of order."""
    out = []
    for table, first, then in ORDERED_DATES:
        t = schema.TABLE_BY_NAME[table]
        frame = ds[table]
        bad = frame[(frame[then] < frame[first]).fillna(False).to_numpy(dtype=bool)]
        a, b = t.column(first).header, t.column(then).header
        for idx, row in bad.iterrows():
            out.append(Problem("dates_out_of_order", f"{b}（{_fmt(row[then])}）早于{a}（{_fmt(row[first])}）",
                               where=t.sheet, column=b, value=_fmt(row[then]), key=_key(frame, t, idx)))
    return out
