"""Caseload per social worker on a date: what each worker carries, and what is falling behind.

Computed from the lifecycles (``lifecycle.case_overview`` / ``group_overview``)
so that "stalled" and "records missing" mean exactly what they mean in the
attention lists. A case belongs to its 负责社工 (``cases.worker_code``), a
group to its 带领社工 (``groups.leader_code``).

- **open cases**: opened on or before ``as_of`` and not closed by then;
- **active groups**: at stage 开展中 (sessions held, no 评估总结报告 yet);
- **sessions this month**: case sessions of the worker's cases plus sessions of
  the worker's groups, dated in the calendar month of ``as_of`` up to ``as_of``;
- **stalled cases**: open cases with no activity for more than
  ``CaseRules.stalled_days`` days;
- **overdue records**: records that the stage a case or group has reached
  already requires and that are missing (``missing_records``), summed over the
  worker's cases and groups.

A worker with more than ``max_open_cases`` open cases (``MAX_OPEN_CASES`` unless
configured: ``sgz report station --max-open-cases``, the report notebook's
parameter) is flagged ``overloaded``. This is the one computation of caseload:
the station report, the cases dashboard and the lab API (``Workbench.caseload``)
all call ``caseload``; ``table`` gives the shown form with the headers of
``labels.CASELOAD_HEADERS``.

Names are whatever the dataset holds: mask it first for anything shown (or pass
``table`` a mask).
"""

from __future__ import annotations

import pandas as pd

from .labels import CASELOAD_HEADERS, YES_NO
from .lifecycle import CaseRules, GroupRules, case_overview, group_overview

COLUMNS = ["worker_code", "worker_name", "station_code", "role", "open_cases", "active_groups", "case_sessions_month",
           "group_sessions_month", "sessions_month", "stalled_cases", "overdue_records", "overloaded"]
MAX_OPEN_CASES = 15  # a worker with more open cases than this is flagged (a threshold, not a counting rule)


def caseload(ds, station: str | list[str], as_of, case_rules: CaseRules = CaseRules(),
             group_rules: GroupRules = GroupRules(), max_open_cases: int = MAX_OPEN_CASES) -> pd.DataFrame:
    """One row per worker of the station (and the stations below it) on ``as_of``; columns ``COLUMNS``.

    ``overloaded``: more than ``max_open_cases`` open cases.

    Workers who left before the month of ``as_of`` are listed only while they still hold an open case or an
    active group. Sorted by station, then most open cases first.
    """
    when = pd.Timestamp(as_of).normalize()
    month_start = when.replace(day=1)
    codes = set(ds.descendants(station))
    staff = ds.staff[ds.staff["station_code"].isin(codes)].set_index("code")

    cases = case_overview(ds, when, case_rules)
    cases = cases[cases["station_code"].isin(codes)]
    is_open = cases["closed"].isna()
    groups = group_overview(ds, when, group_rules)
    groups = groups[groups["station_code"].isin(codes)]

    def per(frame, key, mask=None):
        picked = frame if mask is None else frame[mask]
        return picked.groupby(key).size()

    cs = ds.case_sessions[(ds.case_sessions["date"] >= month_start) & (ds.case_sessions["date"] <= when)]
    cs = cs.merge(cases[["code", "worker_code"]], left_on="case_code", right_on="code")
    gs = ds.group_sessions[(ds.group_sessions["date"] >= month_start) & (ds.group_sessions["date"] <= when)]
    gs = gs.merge(groups[["code", "leader_code"]], left_on="group_code", right_on="code")
    missing = pd.concat([cases.assign(n=cases["missing_records"].map(len)).groupby("worker_code")["n"].sum(),
                         groups.assign(n=groups["missing_records"].map(len)).groupby("leader_code")["n"].sum()])
    counts = pd.DataFrame({
        "open_cases": per(cases, "worker_code", is_open),
        "active_groups": per(groups, "leader_code", groups["stage"] == "开展中"),
        "case_sessions_month": cs.groupby("worker_code").size(),
        "group_sessions_month": gs.groupby("leader_code").size(),
        "stalled_cases": per(cases, "worker_code", cases["stalled"].astype(bool)),
        "overdue_records": missing.groupby(level=0).sum(),
    })
    out = counts.reindex(staff.index).fillna(0).astype(int)
    out["sessions_month"] = out["case_sessions_month"] + out["group_sessions_month"]
    out["worker_name"] = staff["name"].reindex(out.index)
    out["station_code"] = staff["station_code"].reindex(out.index)
    out["role"] = staff["role"].reindex(out.index)
    out["overloaded"] = out["open_cases"] > max_open_cases
    gone = staff["left"].reindex(out.index) < month_start
    out = out[~gone.fillna(False).astype(bool) | (out["open_cases"] + out["active_groups"] > 0)]
    out = out.reset_index(names="worker_code")[COLUMNS]
    return out.sort_values(["station_code", "open_cases", "worker_code"], ascending=[True, False, True]) \
        .reset_index(drop=True)


def table(load: pd.DataFrame, mask=None) -> pd.DataFrame:
    """``caseload``'s rows as shown (report, dashboard): the headers of ``labels.CASELOAD_HEADERS``.

    ``mask``: applied to the names (``privacy.mask_name``) when the dataset was not masked already.
    """
    names = load["worker_name"].map(mask) if mask is not None else load["worker_name"]
    out = load.assign(worker_name=names, overloaded=load["overloaded"].map(YES_NO))
    return out[list(CASELOAD_HEADERS)].rename(columns=CASELOAD_HEADERS).reset_index(drop=True)
