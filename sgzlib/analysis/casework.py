"""Case, group, outcome and indicator analyses for the JupyterLab gallery (``notebooks/gallery``).

Everything here is computed over a ``Dataset`` (and, for outcomes and
indicators, over the frames of ``outcomes`` and ``indicators``), so the
gallery notebooks stay thin: they call ``sgzlib.api`` and draw. Nothing here
counts an indicator: indicator figures come from the engine
(``sgzlib.indicators.evaluate``) evaluated on each month end.

Frames carry codes and English column names; the chart functions of
``sgzlib.charts.gallery`` put the Chinese labels on.

Time-to-event ("still open after N days"): a case opened on day 0 and closed
on day t is an event at t; a case still open on ``as_of`` is censored at
``as_of − opened``. ``still_open_curve`` is the Kaplan–Meier estimate
S(t) = ∏ over event times tᵢ ≤ t of (1 − dᵢ / nᵢ), with nᵢ the cases still
open (and not censored) just before tᵢ and dᵢ the cases closed at tᵢ.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..domain import stats
from ..domain.lifecycle import case_milestones
from ..errors import NotFoundError
from ..indicators import evaluate, load_catalogue

# Stages timed from intake, as (column of the timeline, Chinese stage name).
STAGE_COLUMNS = (("days_assessed", "预估"), ("days_planned", "计划"), ("days_first_session", "介入"),
                 ("days_evaluated", "评估"), ("days_closed", "结案"))
STAGE_LABELS = dict(STAGE_COLUMNS)
REFERRAL = "转介"


def _ts(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


# -- cases ------------------------------------------------------------------------

def case_timeline(ds, as_of) -> pd.DataFrame:
    """One row per case opened by ``as_of``: days from intake (接案) to each stage reached by ``as_of``.

    Columns: code, station_code, beneficiary_code, domain, worker_code, opened, closed, close_reason,
    referral_to, days_assessed, days_planned, days_first_session, days_evaluated, days_closed (NaN when the
    stage is not reached by ``as_of``), is_closed, days_observed (to closure, or to ``as_of`` when still open).
    """
    when = _ts(as_of)
    cases = ds.cases[ds.cases["opened"] <= when].set_index("code")
    ms = case_milestones(ds, when).reindex(cases.index)
    out = cases[["station_code", "beneficiary_code", "domain", "worker_code"]].copy()
    out["opened"] = ms["opened"]
    out["closed"] = ms["closed"]
    closed = out["closed"].notna()
    out["close_reason"] = cases["close_reason"].where(closed)
    out["referral_to"] = cases["referral_to"].where(closed)
    planned = ms[["agreement", "planned"]].min(axis=1)
    for column, source in (("days_assessed", ms["assessed"]), ("days_planned", planned),
                           ("days_first_session", ms["first_session"]), ("days_evaluated", ms["evaluated"]),
                           ("days_closed", ms["closed"])):
        out[column] = (source - out["opened"]).dt.days.astype(float)
    out["is_closed"] = closed
    out["days_observed"] = ((out["closed"].fillna(when)) - out["opened"]).dt.days.astype(int)
    return out.reset_index(names="code")


def stage_durations(timeline: pd.DataFrame, by: str | list[str] = "domain") -> pd.DataFrame:
    """Per group (``by``: domain, worker_code, station_code …) and stage: cases that reached it, median and mean days.

    Columns: the ``by`` columns, stage (预估/计划/介入/评估/结案), n, median_days, mean_days.
    Only cases that reached the stage count (a still-open case has no closure time yet: see
    ``still_open_curve`` for closure with open cases taken into account).
    """
    by = [by] if isinstance(by, str) else list(by)
    long = timeline.melt(id_vars=by, value_vars=[c for c, _ in STAGE_COLUMNS], var_name="column",
                         value_name="days").dropna(subset=["days"])
    long["stage"] = long["column"].map(STAGE_LABELS)
    order = {label: i for i, (_, label) in enumerate(STAGE_COLUMNS)}
    out = long.groupby([*by, "stage"], dropna=False)["days"].agg(n="size", median_days="median", mean_days="mean")
    out = out.reset_index()
    out["_order"] = out["stage"].map(order)
    return out.sort_values([*by, "_order"]).drop(columns="_order").reset_index(drop=True)


def still_open_curve(timeline: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Kaplan–Meier estimate of the share of cases still open after N days (see the module docstring).

    Columns: group (the ``by`` value, or 全部), days, at_risk, closed, censored, still_open. The first row of
    each group is day 0 with still_open 1.0; then one row per day on which a case closed or was censored.
    """
    parts = []
    groups = [("全部", timeline)] if by is None else list(timeline.groupby(by, sort=True))
    for name, frame in groups:
        parts.append(_kaplan_meier(frame["days_observed"].to_numpy(), frame["is_closed"].to_numpy(bool))
                     .assign(group=name))
    cols = ["group", "days", "at_risk", "closed", "censored", "still_open"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def _kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    rows = [{"days": 0, "at_risk": len(durations), "closed": 0, "censored": 0, "still_open": 1.0}]
    s = 1.0
    for t in np.unique(durations):
        at = durations == t
        n = int((durations >= t).sum())
        d = int((at & events).sum())
        c = int((at & ~events).sum())
        if d:
            s *= 1 - d / n
        if t == 0:
            rows[0].update(closed=d, censored=c, still_open=s)
        else:
            rows.append({"days": int(t), "at_risk": n, "closed": d, "censored": c, "still_open": s})
    return pd.DataFrame(rows)


def median_open_days(curve: pd.DataFrame) -> pd.Series:
    """Per group of ``still_open_curve``: the first day on which at most half the cases are still open (NaN if never)."""
    out = {}
    for name, frame in curve.groupby("group", sort=False):
        hit = frame[frame["still_open"] <= 0.5]
        out[name] = float(hit["days"].iloc[0]) if len(hit) else math.nan
    return pd.Series(out, name="median_days", dtype=float)


def closure_reasons(timeline: pd.DataFrame, by: str = "domain") -> pd.DataFrame:
    """Closed cases per ``by`` value and close reason (结案原因; 未填写 when blank), with each reason's share.

    Columns: the ``by`` column, close_reason, cases, share (of that ``by`` value's closed cases).
    """
    closed = timeline[timeline["is_closed"]].copy()
    closed["close_reason"] = closed["close_reason"].astype("string").fillna("未填写")
    out = closed.groupby([by, "close_reason"]).size().rename("cases").reset_index()
    out["share"] = out["cases"] / out.groupby(by)["cases"].transform("sum")
    return out.sort_values([by, "cases"], ascending=[True, False]).reset_index(drop=True)


def referrals(timeline: pd.DataFrame) -> pd.DataFrame:
    """Cases closed by referral (转介), with where to, newest first.

    Columns: code, station_code, domain, worker_code, opened, closed, days_closed, referral_to.
    """
    out = timeline[timeline["is_closed"] & (timeline["close_reason"] == REFERRAL)]
    return out[["code", "station_code", "domain", "worker_code", "opened", "closed", "days_closed", "referral_to"]] \
        .sort_values(["closed", "code"], ascending=[False, True]).reset_index(drop=True)


def reopened_cases(ds, as_of) -> pd.DataFrame:
    """Cases opened for a beneficiary whose earlier case in the same domain had already been closed.

    Columns: code, station_code, beneficiary_code, domain, worker_code, opened, previous_case, previous_closed,
    previous_close_reason, days_between (previous closure → this intake).
    """
    tl = case_timeline(ds, as_of)
    later = tl[["code", "station_code", "beneficiary_code", "domain", "worker_code", "opened"]]
    earlier = tl[tl["is_closed"]][["code", "beneficiary_code", "domain", "closed", "close_reason"]].rename(
        columns={"code": "previous_case", "closed": "previous_closed", "close_reason": "previous_close_reason"})
    both = later.merge(earlier, on=["beneficiary_code", "domain"])
    both = both[(both["previous_case"] != both["code"]) & (both["previous_closed"] <= both["opened"])]
    both = both.sort_values("previous_closed").groupby("code").tail(1)  # the latest earlier closure
    both["days_between"] = (both["opened"] - both["previous_closed"]).dt.days
    return both.sort_values(["opened", "code"]).reset_index(drop=True)


# -- groups -----------------------------------------------------------------------

def group_attendance(ds, as_of) -> pd.DataFrame:
    """One row per group session held by ``as_of``: attendance and its share of the first session's.

    Columns: group_code, station_code, group_name, domain, seq, date, attendance, first_attendance,
    share_of_first, change_from_previous.
    """
    when = _ts(as_of)
    s = ds.group_sessions[ds.group_sessions["date"] <= when]
    groups = ds.groups.rename(columns={"code": "group_code", "name": "group_name"})
    s = s.merge(groups[["group_code", "station_code", "group_name", "domain"]], on="group_code")
    s = s.sort_values(["group_code", "seq"]).reset_index(drop=True)
    s["attendance"] = s["attendance"].astype(float)
    s["first_attendance"] = s.groupby("group_code")["attendance"].transform("first")
    s["share_of_first"] = s["attendance"] / s["first_attendance"].where(s["first_attendance"] > 0)
    s["change_from_previous"] = s.groupby("group_code")["attendance"].diff()
    return s[["group_code", "station_code", "group_name", "domain", "seq", "date", "attendance", "first_attendance",
              "share_of_first", "change_from_previous"]]


def group_dropoff(attendance: pd.DataFrame) -> pd.DataFrame:
    """Per group: attendance at the first and the last session, the drop, and the session that lost most.

    Columns: group_code, station_code, group_name, domain, sessions, first_attendance, last_attendance, dropoff
    (first − last, people), dropoff_share (dropoff / first), biggest_drop_seq (the session with the largest
    fall from the one before; NaN when attendance never fell), biggest_drop. Largest share lost first.
    """
    rows = []
    for code, g in attendance.groupby("group_code", sort=True):
        first, last = float(g["attendance"].iloc[0]), float(g["attendance"].iloc[-1])
        falls = -g["change_from_previous"]
        worst = falls.idxmax() if (falls > 0).any() else None
        rows.append({"group_code": code, "station_code": g["station_code"].iloc[0], "group_name": g["group_name"].iloc[0],
                     "domain": g["domain"].iloc[0], "sessions": len(g), "first_attendance": first,
                     "last_attendance": last, "dropoff": first - last,
                     "dropoff_share": (first - last) / first if first > 0 else math.nan,
                     "biggest_drop_seq": float(g.at[worst, "seq"]) if worst is not None else math.nan,
                     "biggest_drop": float(falls[worst]) if worst is not None else 0.0})
    cols = ["group_code", "station_code", "group_name", "domain", "sessions", "first_attendance", "last_attendance",
            "dropoff", "dropoff_share", "biggest_drop_seq", "biggest_drop"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["dropoff_share", "group_code"], ascending=[False, True]).reset_index(drop=True)


# -- outcomes ---------------------------------------------------------------------

def outcome_change(pairs: pd.DataFrame, by=("scale_name", "domain"), level: float = 0.95) -> pd.DataFrame:
    """Per group of paired pre/post tests: mean improvement with its confidence interval, and reliable change.

    ``pairs`` is ``outcomes.pairs``; improvement is direction-aware (positive is better). Columns: the ``by``
    columns, n, mean_improvement, ci_low, ci_high (t interval at ``level``), improved, unchanged, deteriorated,
    rci_unavailable (RCI classes), worse_raw (improvement < 0), improved_share (reliably improved / n).
    """
    by = list(by)
    rows = []
    for key, g in pairs.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        mean, low, high = stats.mean_ci(g["improvement"].to_numpy(), level)
        classes = g["rci_class"].value_counts()
        n = len(g)
        rows.append({**dict(zip(by, key, strict=True)), "n": n, "mean_improvement": mean, "ci_low": low,
                     "ci_high": high, "improved": int(classes.get("改善", 0)),
                     "unchanged": int(classes.get("无可靠变化", 0)), "deteriorated": int(classes.get("恶化", 0)),
                     "rci_unavailable": int(classes.get("无法计算", 0)),
                     "worse_raw": int((g["improvement"] < 0).sum()),
                     "improved_share": classes.get("改善", 0) / n if n else math.nan})
    cols = [*by, "n", "mean_improvement", "ci_low", "ci_high", "improved", "unchanged", "deteriorated",
            "rci_unavailable", "worse_raw", "improved_share"]
    return pd.DataFrame(rows, columns=cols)


# -- indicators -------------------------------------------------------------------

def month_ends(ds, as_of) -> list[pd.Timestamp]:
    """The last day of every month from the earliest project start to ``as_of`` (``as_of`` itself last)."""
    when = _ts(as_of)
    if ds.projects.empty:
        return [when]
    start = ds.projects["start"].min()
    ends = [p.end_time.normalize() for p in pd.period_range(start, when, freq="M")]
    return [min(e, when) for e in ends]


def indicator_projects(ds, indicator_id: str, as_of) -> list[str]:
    """The projects of ``ds`` whose catalogue has ``indicator_id`` (case-insensitive)."""
    started = ds.projects[ds.projects["start"] <= _ts(as_of)]
    out = []
    for code, catalogue in zip(started["code"], started["catalogue"], strict=True):
        try:
            load_catalogue(catalogue).indicator(indicator_id)
        except NotFoundError:
            continue
        out.append(code)
    return sorted(out)


def indicator_track(ds, indicator_id: str, as_of) -> pd.DataFrame:
    """One indicator across every station that has it and every month end up to ``as_of``, from the engine.

    For each month end the engine evaluates the projects carrying the indicator, and the indicator's
    全期 row is kept: the cumulative ``actual`` by that date, the ``expected`` pace, the ``target`` and the
    ``status``. Columns: month (YYYY-MM), month_end, station_code, station_name, project_code, indicator_id,
    indicator_name, actual, expected, target, unit, status.
    """
    projects = indicator_projects(ds, indicator_id, as_of)
    if not projects:
        raise NotFoundError(f"没有哪个项目的指标清单包含指标「{indicator_id}」（指标编号见 sgz evaluate 的输出）")
    rows = []
    for end in month_ends(ds, as_of):
        ev = evaluate(ds, end.date(), projects=projects)
        s = ev.summary
        s = s[s["indicator_id"].str.upper() == indicator_id.upper()]
        rows.append(s.assign(month=f"{end:%Y-%m}", month_end=end))
    cols = ["month", "month_end", "station_code", "station_name", "project_code", "indicator_id", "indicator_name",
            "actual", "expected", "target", "unit", "status"]
    return pd.concat(rows, ignore_index=True)[cols]


def indicator_records(ds, indicator_id: str, station_code: str, month: str, as_of) -> pd.DataFrame:
    """The records behind one cell of ``indicator_track``: what counted (and what not) by that month's end.

    ``month`` is ``YYYY-MM``. Columns: the engine's explanation columns (project_code, indicator_id, period,
    record_table, record_id, counted, reason_code, reason), counted first.
    """
    ends = {f"{e:%Y-%m}": e for e in month_ends(ds, as_of)}
    if month not in ends:
        raise NotFoundError(f"月份「{month}」不在可选范围内（{'、'.join(ends)}）")
    projects = [p for p in indicator_projects(ds, indicator_id, as_of)
                if ds.projects.set_index("code").at[p, "station_code"] == station_code]
    if not projects:
        raise NotFoundError(f"站点 {station_code} 没有包含指标「{indicator_id}」的项目")
    ev = evaluate(ds, ends[month].date(), projects=projects)
    rows = ev.summary[ev.summary["indicator_id"].str.upper() == indicator_id.upper()]
    return pd.concat([ev.explain(p, rows["indicator_id"].iloc[0]) for p in projects], ignore_index=True)
