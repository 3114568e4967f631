"""Supervision records as data: sessions, the action items' history and its state machine, who supervises where.

- ``sessions``: a station's supervision sessions, from the 督导记录 ledger sheet (``supervisions``, one row
  per action item; a session is a station and a date) and from recorded agendas (``supervision_items``).
- ``history``: every recorded status of every action item. Statuses follow the state machine
  ``labels.ACTION_TRANSITIONS``; the history (``action_history``) only grows.
- ``record_problems``: recorded sessions that cannot be right (part of the dataset's checks).
- ``supervisor_stations``: the stations each supervisor covers: named in the 社工站 sheet's 督导者, else the
  stations whose sessions they led.
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import NotFoundError, Problem
from . import schema
from .dataset import split_list
from .labels import ACTION_NOT_STARTED, ACTION_TRANSITIONS

__all__ = ["ITEMS", "HISTORY", "session_code", "update_code", "is_update", "sessions", "history", "transition_problem",
           "record_problems", "derived_history", "supervisor_stations", "stations_of_supervisor", "assigned_supervisors",
           "ASSIGNED", "INFERRED"]

ITEMS = schema.TABLE_BY_NAME["supervision_items"]
HISTORY = schema.TABLE_BY_NAME["action_history"]
def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def session_code(station: str, date) -> str:
    """The code of a station's session on ``date`` (``YL01-S20251031``)."""
    return f"{station}-S{_ts(date):%Y%m%d}"


def update_code(station: str, date, n: int) -> str:
    """The code under which the ``n``-th status change of an action item on ``date`` between sessions is kept
    in the history (``YL01-U20251105-01``): after that day's session (``S`` < ``U``), in the order made."""
    return f"{station}-U{_ts(date):%Y%m%d}-{n:02d}"


_UPDATE = re.compile(r"-U\d{8}-\d{2}$")


def is_update(code) -> bool:
    """Whether a history row's session code is a change between sessions (``update_code``), not a session."""
    return isinstance(code, str) and bool(_UPDATE.search(code))


def _mine(ds, frame: pd.DataFrame, station) -> pd.Series:
    return frame["station_code"].isin(ds.descendants(station)) if station is not None else \
        pd.Series(True, index=frame.index)


def sessions(ds, station=None, as_of=None) -> pd.DataFrame:
    """Sessions up to ``as_of``: station_code, session_code, date, supervisor; oldest first."""
    sup, items = ds.supervisions, ds.supervision_items
    if as_of is not None:
        sup, items = sup[sup["date"] <= _ts(as_of)], items[items["date"] <= _ts(as_of)]
    sup, items = sup[_mine(ds, sup, station)], items[_mine(ds, items, station)]
    legacy = sup.groupby(["station_code", "date"], as_index=False)["supervisor"].first()
    legacy["session_code"] = [session_code(s, d) for s, d in zip(legacy["station_code"], legacy["date"])]
    recorded = items.groupby("session_code", as_index=False).agg(
        station_code=("station_code", "first"), date=("date", "first"), supervisor=("supervisor", "first"))
    out = pd.concat([recorded, legacy], ignore_index=True).drop_duplicates(["station_code", "date"])
    columns = ["station_code", "session_code", "date", "supervisor"]
    return out[columns].sort_values(["date", "station_code"], ignore_index=True) if len(out) else \
        pd.DataFrame(columns=columns)


def history(ds, station=None, as_of=None) -> pd.DataFrame:
    """Every recorded status of every action item: action_code, session_code, station_code, date, status, item_no,
    note; per item in the order recorded (by date; on one day the session, then changes between sessions).

    A 督导记录 ledger row is its action item's status at its session; ``action_history`` holds the rest.
    """
    sup = ds.supervisions[ds.supervisions["action"].notna()]
    legacy = pd.DataFrame({
        "action_code": sup["code"], "session_code": [session_code(s, d) for s, d in zip(sup["station_code"], sup["date"])],
        "station_code": sup["station_code"], "date": sup["date"],
        "status": sup["action_status"].fillna(ACTION_NOT_STARTED), "item_no": pd.NA, "note": pd.NA})
    out = pd.concat([legacy, ds.action_history[legacy.columns]], ignore_index=True)
    out = out[_mine(ds, out, station)]
    if as_of is not None:
        out = out[out["date"] <= _ts(as_of)]
    return out.drop_duplicates(["action_code", "session_code"], keep="last") \
        .sort_values(["action_code", "date", "session_code"], ignore_index=True)


def transition_problem(before: str, after: str) -> str | None:
    """The refusal of a status change the state machine does not allow (``None`` when it does)."""
    if after in ACTION_TRANSITIONS.get(before, ()):
        return None
    return f"不能从「{before}」改为「{after}」"


def record_problems(ds) -> list[Problem]:
    """Recorded sessions that cannot be right: a refused status change, an owner from another station,
    one session code with two stations or dates, an action item without its code."""
    out: list[Problem] = []
    items = ds.supervision_items
    if items.empty and ds.action_history.empty:
        return out
    sheet = ITEMS.sheet

    def key(row):
        return (row["session_code"], row["item_no"])

    staff = ds.staff.set_index("code")["station_code"]
    for _, row in items[items["owner_code"].notna() & items["owner_code"].isin(staff.index)].iterrows():
        home = staff[row["owner_code"]]
        if home not in ds.descendants(row["station_code"]) and row["station_code"] not in ds.descendants(home):
            out.append(Problem("owner_elsewhere", f"责任人编码「{row['owner_code']}」是站点 {home} 的驻站人员，"
                               f"不是本站（{row['station_code']}）的", where=sheet, column=ITEMS.column("owner_code").header,
                               value=row["owner_code"], key=key(row)))
    for _, row in items[items["action"].notna() & items["action_code"].isna()].iterrows():
        out.append(Problem("action_without_code", "填写了行动项但行动项编号为空：请保留预填的编号",
                           where=sheet, column=ITEMS.column("action_code").header, value=row["action"], key=key(row)))
    for col in ("station_code", "date", "form", "participants"):  # blanks aside: a session's own facts
        spread = items.groupby("session_code")[col].nunique()
        for code in spread[spread > 1].index:
            row = items[items["session_code"] == code].iloc[-1]
            out.append(Problem("session_mixed", f"同一督导编号「{code}」的各行{ITEMS.column(col).header}不一致",
                               where=sheet, column=ITEMS.column(col).header, value=str(row[col]), key=key(row)))
    hist = history(ds)
    set_on = pd.concat([hist[["action_code", "date"]], items[["action_code", "date"]].dropna()]) \
        .groupby("action_code")["date"].min()
    new_items = items[items["action_code"].notna() & items["due"].notna()]
    for _, row in new_items[new_items["date"].to_numpy() <= new_items["action_code"].map(set_on).to_numpy()].iterrows():
        if row["due"] < row["date"]:
            out.append(Problem("dates_out_of_order", f"期限（{row['due']:%Y-%m-%d}）早于督导日期（{row['date']:%Y-%m-%d}）",
                               where=sheet, column=ITEMS.column("due").header, value=f"{row['due']:%Y-%m-%d}",
                               key=key(row)))
    places = set(zip(items["session_code"], items["item_no"]))
    for code, rows in hist.groupby("action_code"):
        prev = None  # ``history`` is in the order recorded
        for _, r in rows.iterrows():
            if prev is not None:
                refused = transition_problem(prev["status"], r["status"])
                if refused:
                    k = (r["session_code"], r["item_no"])
                    on_item = pd.notna(r["item_no"]) and k in places
                    out.append(Problem("status_refused", f"行动项 {code}：{refused}（{prev['date']:%Y-%m-%d} 已记录为"
                                       f"「{prev['status']}」）", where=sheet if on_item else HISTORY.sheet,
                                       column=ITEMS.column("status").header, value=r["status"],
                                       key=k if on_item else (code, r["session_code"])))
            prev = r
    return out


def derived_history(items: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """The history rows a recorded agenda adds: one per action item row; a blank status keeps the last one."""
    rows = items[items["action"].notna() & items["action_code"].notna()]
    out = []
    for _, r in rows.iterrows():
        status = r["status"]
        if pd.isna(status):
            before = known[(known["action_code"] == r["action_code"]) & (known["date"] < r["date"])]
            status = before.sort_values("date")["status"].iloc[-1] if len(before) else ACTION_NOT_STARTED
        out.append({"action_code": r["action_code"], "session_code": r["session_code"],
                    "station_code": r["station_code"], "date": r["date"], "item_no": r["item_no"], "status": status})
    return schema.coerce_frame(HISTORY, pd.DataFrame(out, columns=HISTORY.names))


ASSIGNED = "台账指定"  # the station's 督导者 in the 社工站 sheet names the supervisor
INFERRED = "按督导记录"  # the station names no supervisor: those who led its sessions


def assigned_supervisors(ds) -> pd.DataFrame:
    """The 督导者 the 社工站 sheet names for each station (names separated by 、 , ; or spaces).

    Columns: supervisor, station_code (one row per name and station; none for a station naming nobody).
    """
    stations = ds.stations
    if "supervisors" not in stations:
        return pd.DataFrame(columns=["supervisor", "station_code"])
    names = split_list(stations["supervisors"].astype("string"))
    out = pd.DataFrame({"supervisor": names.to_numpy(), "station_code": stations.loc[names.index, "code"].to_numpy()})
    return out[out["supervisor"].astype(str).str.len() > 0].reset_index(drop=True)


def supervisor_stations(ds, as_of=None) -> pd.DataFrame:
    """The stations each supervisor covers on ``as_of``.

    A station whose 督导者 (社工站 sheet) names its supervisors is covered by them (source ``ASSIGNED``); a
    station that names nobody is covered by whoever led its sessions up to ``as_of`` (督导记录 and 督导议程记录
    alike; source ``INFERRED``). Columns: supervisor, station_code, source, sessions, last (their latest session
    there, if any); by supervisor, then station code.
    """
    columns = ["supervisor", "station_code", "source", "sessions", "last"]
    s = sessions(ds, None, as_of)
    s = s[s["supervisor"].notna()]
    led = s.groupby(["supervisor", "station_code"], as_index=False).agg(sessions=("date", "size"), last=("date", "max")) \
        if len(s) else pd.DataFrame(columns=["supervisor", "station_code", "sessions", "last"])
    assigned = assigned_supervisors(ds)
    named = set(assigned["station_code"])
    parts = [assigned.merge(led, on=["supervisor", "station_code"], how="left").assign(source=ASSIGNED),
             led[~led["station_code"].isin(named)].assign(source=INFERRED)]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=columns)
    out["sessions"] = out["sessions"].fillna(0).astype(int)
    return out.sort_values(["supervisor", "station_code"], ignore_index=True)[columns]


def stations_of_supervisor(ds, supervisor: str, as_of=None) -> list[str]:
    """The station codes ``supervisor`` covers (``supervisor_stations``); a Chinese ``NotFoundError`` naming the
    known supervisors when the 社工站 sheet names them for no station and they led no session up to ``as_of``."""
    cover = supervisor_stations(ds, as_of)
    mine = cover.loc[cover["supervisor"] == supervisor.strip(), "station_code"].tolist()
    if mine:
        return mine
    known = "、".join(dict.fromkeys(cover["supervisor"])) or "（无：社工站表没有填写督导者，也还没有任何督导记录）"
    when = f"在 {_ts(as_of):%Y-%m-%d} 之前" if as_of is not None else ""
    raise NotFoundError(f"督导者「{supervisor}」既不是哪个站点「社工站」表中的督导者，{when}也没有带领过任何督导"
                        f"（督导记录和督导议程记录中的「督导者」）；已知的督导者：{known}")
