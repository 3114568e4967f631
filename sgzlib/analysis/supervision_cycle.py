"""The supervision cycle: prepare a session, record it, follow its action items up, see what changed.

- ``sessions``: the station's supervision sessions, from the 督导记录 ledger sheet (``supervisions``, one row
  per action item; a session is a station and a date) and from recorded agendas (``supervision_items``).
- ``history`` / ``action_register``: every action item with its status over the sessions. Statuses follow
  the state machine ``labels.ACTION_TRANSITIONS``; the history (``action_history``) only grows: each session
  that reviews an item appends one row. Items carried over ``carry_limit`` sessions or more and items past
  their due date are flagged.
- ``write_session_workbook`` / ``add_history``: the pre-filled 督导记录 workbook of the coming session (one
  row per agenda item and per open action item) and the import hook that turns its rows into history.
- ``since_last``: what changed since the previous session (cases, sessions, indicators, outcomes, actions).
- caseload per worker lives in ``caseload`` (one home for the report, the dashboard and the lab API).

Counting rules stay in ``indicators``: indicator figures come from the engine evaluated at both dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..domain import schema
from ..domain.labels import (
    ACTION_FLAG_CARRIED,
    ACTION_FLAG_OVERDUE,
    ACTION_NOT_STARTED,
    ACTION_OPEN,
    ACTION_TRANSITIONS,
    PERIOD_WHOLE,
)
from ..domain.lifecycle import CaseRules, case_overview
from ..errors import Problem

__all__ = ["CARRY_LIMIT", "session_code", "sessions", "history", "action_register",
           "transition_problem", "record_problems", "add_history", "session_rows", "write_session_workbook",
           "SinceLast", "since_last", "supervisor_stations", "stations_of_supervisor"]

CARRY_LIMIT = 3  # an open item carried over this many sessions or more is flagged
ITEMS = schema.TABLE_BY_NAME["supervision_items"]
HISTORY = schema.TABLE_BY_NAME["action_history"]
ACTION_TOPIC = "督导行动项"


def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def session_code(station: str, date) -> str:
    """The code of a station's session on ``date`` (``YL01-S20251031``)."""
    return f"{station}-S{_ts(date):%Y%m%d}"


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
    """Every recorded status of every action item: action_code, session_code, station_code, date, status, item_no.

    A 督导记录 ledger row is its action item's status at its session; ``action_history`` holds the rest.
    """
    sup = ds.supervisions[ds.supervisions["action"].notna()]
    legacy = pd.DataFrame({
        "action_code": sup["code"], "session_code": [session_code(s, d) for s, d in zip(sup["station_code"], sup["date"])],
        "station_code": sup["station_code"], "date": sup["date"],
        "status": sup["action_status"].fillna(ACTION_NOT_STARTED), "item_no": pd.NA})
    out = pd.concat([legacy, ds.action_history[legacy.columns]], ignore_index=True)
    out = out[_mine(ds, out, station)]
    if as_of is not None:
        out = out[out["date"] <= _ts(as_of)]
    return out.drop_duplicates(["action_code", "session_code"], keep="last") \
        .sort_values(["action_code", "date"], ignore_index=True)


def action_register(ds, station=None, as_of=None, carry_limit: int = CARRY_LIMIT) -> pd.DataFrame:
    """One row per action item set up to ``as_of``, with its current status and flags.

    Columns: code, station_code, date (the session that set it), session_code, supervisor, topic, action,
    owner_code, due, status, status_date, trail (list of (date, status)), carried_over (later sessions at
    which it was still open), overdue, days_overdue, carried (carried_over ≥ ``carry_limit``), flags (list),
    last_session (set at the station's latest session). Overdue first, then by date.
    """
    when = _ts(as_of) if as_of is not None else pd.Timestamp.max
    sup = ds.supervisions[ds.supervisions["action"].notna() & _mine(ds, ds.supervisions, station)
                          & (ds.supervisions["date"] <= when)]
    legacy = pd.DataFrame({
        "code": sup["code"], "station_code": sup["station_code"], "date": sup["date"],
        "session_code": [session_code(s, d) for s, d in zip(sup["station_code"], sup["date"])],
        "supervisor": sup["supervisor"], "topic": sup["topic"], "action": sup["action"], "owner_code": pd.NA,
        "due": sup["action_due"]})
    items = ds.supervision_items
    items = items[items["action"].notna() & items["action_code"].notna() & _mine(ds, items, station)
                  & (items["date"] <= when)].sort_values(["date", "item_no"])
    first = items.drop_duplicates("action_code", keep="first")
    latest = items.drop_duplicates("action_code", keep="last")[["action_code", "action", "owner_code", "due"]]
    recorded = first[["action_code", "station_code", "date", "session_code", "supervisor", "topic"]] \
        .rename(columns={"action_code": "code"}) \
        .merge(latest.rename(columns={"action_code": "code"}), on="code", how="left")
    # an item of the ledger sheet followed up in recorded sessions keeps its first (ledger) row, with later owner/due
    known = set(legacy["code"])
    later = legacy[["code"]].merge(latest.rename(columns={"action_code": "code"}), on="code", how="left")
    for col in ("owner_code", "due", "action"):
        legacy[col] = later[col].where(later[col].notna(), legacy[col].to_numpy()).to_numpy() if len(legacy) else legacy[col]
    reg = pd.concat([legacy, recorded[~recorded["code"].isin(known)]], ignore_index=True)
    hist = history(ds, station, as_of)
    trails = hist.groupby("action_code")[["date", "status"]].apply(lambda f: list(f.itertuples(index=False, name=None)))
    reg["trail"] = [trails.get(c, []) for c in reg["code"]]
    reg["status"] = [t[-1][1] if t else ACTION_NOT_STARTED for t in reg["trail"]]
    reg["status_date"] = [t[-1][0] if t else pd.NaT for t in reg["trail"]]
    reg["carried_over"] = [sum(1 for d, s in t if d > set_on and s in ACTION_OPEN)
                           for t, set_on in zip(reg["trail"], reg["date"])]
    open_ = reg["status"].isin(ACTION_OPEN)
    reg["overdue"] = (open_ & (reg["due"] < when)).fillna(False).astype(bool) if as_of is not None else False
    reg["days_overdue"] = (when - reg["due"]).dt.days.where(reg["overdue"]) if as_of is not None else pd.NA
    reg["carried"] = open_ & (reg["carried_over"] >= carry_limit)
    reg["flags"] = [[f for f, on in ((ACTION_FLAG_OVERDUE, o), (ACTION_FLAG_CARRIED, c)) if on]
                    for o, c in zip(reg["overdue"], reg["carried"])]
    last = sessions(ds, station, as_of).groupby("station_code")["date"].max()
    reg["last_session"] = reg["date"].to_numpy() == reg["station_code"].map(last).to_numpy()
    columns = ["code", "station_code", "date", "session_code", "supervisor", "topic", "action", "owner_code", "due",
               "status", "status_date", "trail", "carried_over", "overdue", "days_overdue", "carried", "flags",
               "last_session"]
    return reg.sort_values(["overdue", "days_overdue", "date", "code"], ascending=[False, False, True, True],
                           ignore_index=True)[columns]


# -- checks and the import hook ----------------------------------------------------------------

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
    for col in ("station_code", "date"):
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
        rows = rows.sort_values("date")
        prev = None
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


def add_history(ledger, current) -> None:
    """Import hook: a workbook with a 督导议程记录 sheet also appends to the action item history.

    The history of the workbook's stations already in the database is carried along (so ``--prune`` never
    drops it); a session that already recorded a status for an item cannot record another (append-only).
    """
    if "supervision_items" not in ledger.frames:
        return
    items = ledger.frames["supervision_items"]
    known = history(current)
    new = derived_history(items, known)
    stations = set(items["station_code"].dropna())
    kept = current.action_history[current.action_history["station_code"].isin(stations)]
    old = current.action_history.set_index(["action_code", "session_code"])["status"]
    for _, r in new.iterrows():
        k = (r["action_code"], r["session_code"])
        if k in old.index and old[k] != r["status"]:
            title, row = ledger.rowmap("supervision_items").get(_norm((r["session_code"], r["item_no"])), (ITEMS.sheet, None))
            ledger.problems.append(Problem(
                "history_append_only", f"行动项 {k[0]} 在督导 {k[1]} 中已记录为「{old[k]}」，行动项历史只增不改："
                "如情况有变，请在下一次督导中记录", where=title, row=row, column=ITEMS.column("status").header,
                value=r["status"], key=(r["session_code"], r["item_no"])))
    parts = [kept, new] + ([ledger.frames["action_history"]] if "action_history" in ledger.frames else [])
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else new
    merged = merged.drop_duplicates(["action_code", "session_code"], keep="first")
    ledger.frames["action_history"] = schema.coerce_frame(HISTORY, merged)
    ledger.places.setdefault("action_history", [])


def _norm(key):
    from ..ledger.ledger import norm_key

    return norm_key(key)


# -- the pre-filled workbook ------------------------------------------------------------------

def session_rows(ds, station: str, as_of, agenda: pd.DataFrame, supervisor: str | None = None) -> pd.DataFrame:
    """The rows of the coming session's workbook: the agenda items, then every open action item to review."""
    date = _ts(as_of)
    code = session_code(station, date)
    past = sessions(ds, station, date)
    if supervisor is None:
        supervisor = past["supervisor"].iloc[-1] if len(past) else None
    rows = []
    for _, a in agenda[agenda["topic"] != ACTION_TOPIC].iterrows():
        n = len(rows) + 1
        rows.append({"item_no": n, "level": a["level"], "topic": a["topic"], "item": a.get("what", a["item"]),
                     "why": a.get("why"), "records": a.get("records"), "action_code": f"{code}-{n:02d}"})
    for _, r in action_register(ds, station, date).iterrows():
        if r["status"] not in ACTION_OPEN:
            continue
        why = "、".join(r["flags"]) or "上次督导的行动项"
        rows.append({"item_no": len(rows) + 1, "level": "复核", "topic": ACTION_TOPIC,
                     "item": f"复核行动项（{r['date']:%Y-%m-%d} 督导提出，现为「{r['status']}」）", "why": why,
                     "records": r["code"], "action_code": r["code"], "action": r["action"], "owner_code": r["owner_code"],
                     "due": r["due"], "status": r["status"]})
    frame = pd.DataFrame(rows, columns=[c for c in ITEMS.names if c not in ("session_code", "station_code", "date",
                                                                            "supervisor")])
    frame.insert(0, "session_code", code)
    frame.insert(2, "station_code", station)
    frame.insert(3, "date", date)
    frame.insert(4, "supervisor", supervisor)
    return schema.coerce_frame(ITEMS, frame)


def write_session_workbook(ds, station: str, as_of, agenda: pd.DataFrame, path: str | Path,
                           supervisor: str | None = None) -> Path:
    """The pre-filled 督导记录 workbook of ``station``'s session on ``as_of`` at ``path``.

    The 督导议程记录 sheet has the table's headers (so ``sgz import`` reads it back); the 责任人编码 column has a
    drop-down of the station's current staff, 完成情况 one of the statuses.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..domain.vocab import VOCABS
    from ..ledger import layout

    rows = session_rows(ds, station, as_of, agenda, supervisor)
    when = _ts(as_of)
    staff = ds.staff[ds.staff["station_code"].isin(ds.descendants(station)) & (ds.staff["joined"].isna() | (ds.staff["joined"] <= when))
                     & (ds.staff["left"].isna() | (ds.staff["left"] > when))]
    wb = Workbook()
    guide = wb.active
    guide.title = "说明"
    name = ds.stations.set_index("code")["name"].get(station, station)
    for line in (f"{name}督导记录（{when:%Y-%m-%d}）", f"督导编号 {rows['session_code'].iloc[0] if len(rows) else session_code(station, when)}",
                 "议程已按督导报告预填。督导时或督导后填写：讨论情况、决定、行动项、责任人编码（下拉选择）、期限、完成情况（下拉选择）。",
                 "复核上次行动项：在原行上改完成情况即可（未开始 → 进行中 → 已完成 / 已取消，已完成或已取消的不能再改回）。",
                 "填好后用 sgz import 导入；有任何错误时整体不写入，并列出工作表、行、列。重复导入同一文件不会重复记录。",
                 "督导日期和督导者已预填，如实际不同请改正。"):
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 100
    ws = wb.create_sheet(ITEMS.sheet)
    filled = PatternFill("solid", fgColor="FFF2CC")
    head = PatternFill("solid", fgColor="DDEBF7")
    ws.append([c.header for c in ITEMS.columns])
    for i, c in enumerate(ITEMS.columns, 1):
        cell = ws.cell(1, i)
        cell.font = Font(bold=True, color="C00000" if c.required else "000000")
        cell.fill = filled if c.name in _FILLED else head
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(c.name, 12)
    for _, r in rows.iterrows():
        ws.append([_cell(r[c.name]) for c in ITEMS.columns])
    last = max(len(rows) + 1, 2) + 20
    for i, c in enumerate(ITEMS.columns, 1):
        if c.kind == "date":
            for n in range(2, last + 1):
                ws.cell(n, i).number_format = "yyyy-mm-dd"
        if layout.holds_codes(c):
            for n in range(2, last + 1):
                ws.cell(n, i).number_format = "@"
        for n in range(2, len(rows) + 2):
            ws.cell(n, i).alignment = Alignment(wrap_text=True, vertical="top")
    status = ITEMS.column("status")
    _dropdown(ws, DataValidation, get_column_letter(ITEMS.names.index("status") + 1), last,
              '"' + ",".join(VOCABS[status.vocab].values) + '"')
    lists = wb.create_sheet("可选责任人")
    for _, s in staff.sort_values("code").iterrows():
        lists.append([s["code"], s["name"]])
    lists.sheet_state = "hidden"
    if len(staff):
        _dropdown(ws, DataValidation, get_column_letter(ITEMS.names.index("owner_code") + 1), last,
                  f"'可选责任人'!$A$1:$A${len(staff)}")
    ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


_FILLED = ("discussion", "decision", "action", "owner_code", "due", "status")
_WIDTHS = {"session_code": 16, "item": 40, "why": 24, "records": 30, "discussion": 30, "decision": 24, "action": 30,
           "action_code": 18, "owner_code": 14, "due": 12, "status": 10, "topic": 12, "level": 8, "item_no": 8}


def _cell(value):
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _dropdown(ws, DataValidation, letter: str, last: int, formula: str) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                        errorTitle="不在可选范围内", error="请从下拉列表中选择")
    dv.add(f"{letter}2:{letter}{last}")
    ws.data_validations.append(dv)


# -- since the last supervision ------------------------------------------------------------------

@dataclass
class SinceLast:
    """What changed at a station between its previous session and ``as_of``."""

    station: str
    as_of: dt.date
    previous: dt.date | None
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)  # change, code, worker_code, date
    case_sessions: pd.DataFrame = field(default_factory=pd.DataFrame)  # case_code, sessions
    group_sessions: pd.DataFrame = field(default_factory=pd.DataFrame)  # group_code, name, sessions
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)  # indicator_id, name, before/after status, actual
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)  # scale, phase, measured
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)  # the previous session's action items

    def counts(self) -> dict[str, int]:
        c = self.cases["change"].value_counts() if len(self.cases) else pd.Series(dtype=int)
        return {k: int(c.get(k, 0)) for k in ("opened", "closed", "stalled", "unstalled")}


def since_last(ds, station: str, as_of, case_rules: CaseRules = CaseRules(), before_results: pd.DataFrame | None = None,
               after_results: pd.DataFrame | None = None) -> SinceLast:
    """What changed since the station's last session before ``as_of`` (a session on ``as_of`` is the coming one).

    Cases opened / closed in (previous, as_of], and open cases that became stalled or came back; case and
    group sessions held in that window; indicators (全期) whose status differs between the two dates, with
    actual and expected figures on both (from the engine, or the given results); measurements taken; and the
    action items the previous session set or reviewed, with their status then and now.
    """
    when = _ts(as_of)
    past = sessions(ds, station, when - pd.Timedelta(days=1))
    if past.empty:
        return SinceLast(station, when.date(), None)
    prev = past["date"].iloc[-1]
    codes = ds.descendants(station)
    in_window = lambda s: (s > prev) & (s <= when)  # noqa: E731
    cases = ds.cases[ds.cases["station_code"].isin(codes)]
    changes = [pd.DataFrame({"change": "opened", "code": cases.loc[in_window(cases["opened"]), "code"],
                             "date": cases.loc[in_window(cases["opened"]), "opened"]}),
               pd.DataFrame({"change": "closed", "code": cases.loc[in_window(cases["closed"]), "code"],
                             "date": cases.loc[in_window(cases["closed"]), "closed"]})]
    before = case_overview(ds, prev, case_rules).set_index("code")
    after = case_overview(ds, when, case_rules).set_index("code")
    mine = [c for c in after.index if c in set(cases["code"])]
    was = before["stalled"].reindex(mine).fillna(False).astype(bool)
    now = after["stalled"].reindex(mine).fillna(False).astype(bool)
    still_open = after["closed"].reindex(mine).isna() | (after["closed"].reindex(mine) > when)
    changes.append(pd.DataFrame({"change": "stalled", "code": [c for c in mine if now[c] and not was[c]], "date": pd.NaT}))
    changes.append(pd.DataFrame({"change": "unstalled", "code": [c for c in mine if was[c] and not now[c] and still_open[c]],
                                 "date": pd.NaT}))
    changed = pd.concat(changes, ignore_index=True)
    changed["worker_code"] = changed["code"].map(cases.set_index("code")["worker_code"])
    cs = ds.case_sessions[ds.case_sessions["case_code"].isin(cases["code"]) & in_window(ds.case_sessions["date"])]
    case_sessions = cs.groupby("case_code").size().rename("sessions").reset_index()
    groups = ds.groups[ds.groups["station_code"].isin(codes)]
    gs = ds.group_sessions[ds.group_sessions["group_code"].isin(groups["code"]) & in_window(ds.group_sessions["date"])]
    group_sessions = gs.groupby("group_code").size().rename("sessions").reset_index()
    group_sessions["name"] = group_sessions["group_code"].map(groups.set_index("code")["name"])
    people = ds.beneficiaries.loc[ds.beneficiaries["station_code"].isin(codes), "code"]
    m = ds.measurements[ds.measurements["beneficiary_code"].isin(people) & in_window(ds.measurements["date"])]
    outcomes = m.groupby(["scale", "phase"]).agg(measured=("beneficiary_code", "size"),
                                                  people=("beneficiary_code", "nunique")).reset_index()
    indicators = _indicator_changes(ds, station, prev, when, before_results, after_results)
    register = action_register(ds, station, when)
    hist = history(ds, station, when)
    reviewed = set(hist.loc[hist["date"] == prev, "action_code"])
    actions = register[register["code"].isin(reviewed)].copy()
    actions["status_then"] = actions["code"].map(hist[hist["date"] == prev].set_index("action_code")["status"])
    actions = actions.sort_values(["date", "code"], ignore_index=True)
    return SinceLast(station, when.date(), prev.date(), changed, case_sessions, group_sessions, indicators, outcomes,
                     actions)


def _indicator_changes(ds, station, prev, when, before, after) -> pd.DataFrame:
    from .supervision import station_evaluation

    def whole(results, date):
        if results is None:
            ev = station_evaluation(ds, station, date)
            results = ev.results if ev is not None else None
        if results is None or results.empty:
            return pd.DataFrame(columns=["indicator_id", "indicator_name", "status", "actual", "expected", "target"])
        rows = results[results["period"] == PERIOD_WHOLE]
        if "station_code" in rows:
            rows = rows[rows["station_code"].isin(ds.descendants(station))]
        return rows[["indicator_id", "indicator_name", "status", "actual", "expected", "target"]]

    b, a = whole(before, prev), whole(after, when)
    both = b.merge(a, on=["indicator_id", "indicator_name"], suffixes=("_before", "_after"))
    return both[both["status_before"] != both["status_after"]].reset_index(drop=True)


# -- who supervises which station --------------------------------------------------------------

def supervisor_stations(ds, as_of=None) -> pd.DataFrame:
    """The stations each supervisor has led a session at up to ``as_of`` (督导记录 and 督导议程记录 alike).

    The ledgers name no supervisor of a station; the sessions do: a supervisor covers the stations whose
    sessions they led. Columns: supervisor, station_code, sessions, last (their latest session there);
    by supervisor, then station code.
    """
    columns = ["supervisor", "station_code", "sessions", "last"]
    s = sessions(ds, None, as_of)
    s = s[s["supervisor"].notna()]
    if s.empty:
        return pd.DataFrame(columns=columns)
    out = s.groupby(["supervisor", "station_code"], as_index=False).agg(sessions=("date", "size"), last=("date", "max"))
    return out.sort_values(["supervisor", "station_code"], ignore_index=True)[columns]


def stations_of_supervisor(ds, supervisor: str, as_of=None) -> list[str]:
    """The station codes ``supervisor`` covers (``supervisor_stations``); a Chinese ``NotFoundError`` naming the
    known supervisors when the name led no session up to ``as_of``."""
    from ..errors import NotFoundError

    cover = supervisor_stations(ds, as_of)
    mine = cover.loc[cover["supervisor"] == supervisor.strip(), "station_code"].tolist()
    if mine:
        return mine
    known = "、".join(dict.fromkeys(cover["supervisor"])) or "（无：还没有任何督导记录）"
    when = f"在 {_ts(as_of):%Y-%m-%d} 之前" if as_of is not None else ""
    raise NotFoundError(f"督导者「{supervisor}」{when}没有带领过任何督导（按督导记录和督导议程记录中的「督导者」）；"
                        f"已知的督导者：{known}")
