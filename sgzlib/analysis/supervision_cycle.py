"""The supervision cycle: prepare a session, record it, follow its action items up, see what changed.

- ``action_register``: every action item with its status over the sessions (the sessions and the history
  themselves are data: ``domain.supervision_records``). Items carried over ``carry_limit`` sessions or more
  and items past their due date are flagged.
- the pre-filled 督导记录 workbook of the coming session and the import hook that turns its rows into
  history live with the ledger (``ledger.supervision_book``).
- ``since_last``: what changed since the previous session (cases, sessions, indicators, outcomes, actions).
- caseload per worker lives in ``caseload`` (one home for the report, the dashboard and the lab API).

Counting rules stay in ``indicators``: indicator figures come from the engine evaluated at both dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ..domain.labels import (
    ACTION_FLAG_CARRIED,
    ACTION_FLAG_OVERDUE,
    ACTION_NOT_STARTED,
    ACTION_OPEN,
    PERIOD_WHOLE,
)
from ..domain.lifecycle import CaseRules, case_overview
from ..domain.supervision_records import _mine, _ts, history, is_update, session_code, sessions
from ..indicators import evaluate_stations

__all__ = ["CARRY_LIMIT", "action_register", "SinceLast", "since_last"]

CARRY_LIMIT = 3  # an open item carried over this many sessions or more is flagged


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
    at_sessions = hist[~hist["session_code"].map(is_update).astype(bool)]  # changes between sessions carry nothing over
    seen = at_sessions.groupby("action_code")[["date", "status"]].apply(
        lambda f: list(f.itertuples(index=False, name=None)))
    reg["carried_over"] = [sum(1 for d, s in seen.get(c, []) if d > set_on and s in ACTION_OPEN)
                           for c, set_on in zip(reg["code"], reg["date"])]
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

# -- the pre-filled workbook ------------------------------------------------------------------

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
    def whole(results, date):
        if results is None:
            ev = evaluate_stations(ds, station, date)
            results = ev.results if ev is not None else None
        if results is None or results.empty:
            return pd.DataFrame(columns=["indicator_id", "indicator_name", "unit", "status", "actual", "expected",
                                         "target"])
        rows = results[results["period"] == PERIOD_WHOLE]
        if "station_code" in rows:
            rows = rows[rows["station_code"].isin(ds.descendants(station))]
        return rows.reindex(columns=["indicator_id", "indicator_name", "unit", "status", "actual", "expected", "target"])

    b, a = whole(before, prev), whole(after, when)
    both = b.merge(a, on=["indicator_id", "indicator_name", "unit"], suffixes=("_before", "_after"))
    return both[both["status_before"] != both["status_after"]].reset_index(drop=True)


# -- who supervises which station --------------------------------------------------------------

