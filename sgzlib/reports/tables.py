"""Display frames shared by the reports: indicator results and outcome lists with Chinese headers."""

from __future__ import annotations

import pandas as pd

from ..domain import figures
from ..domain.labels import (
    FORECAST_HEADERS,
    MANDATORY,
    PERIOD_WHOLE,
    QUALITY_CHECKS,
    QUALITY_HEADERS,
    RESULT_HEADERS,
    STATUS_ORDER,
    WILL_MISS,
)
from ..indicators import RESULT_COLUMNS
from ..indicators.catalogue import indicator_labels

INDICATOR_COLUMNS = list(RESULT_COLUMNS)


def sort_by_status(rows: pd.DataFrame) -> pd.DataFrame:
    """Most urgent status first (``STATUS_ORDER``), then in catalogue order."""
    rank = rows["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}).fillna(len(STATUS_ORDER))
    return rows.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def indicator_table(results: pd.DataFrame, with_period: bool = False, forecast: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Indicator rows as shown in reports: 指标编号, 指标 (the full name: the charts' labels are the number and a
    short name), 领域, 类型, 实际, 目标, 截至评估日应达, 单位, 状态, 说明 (behind first; figures rounded by
    ``domain.figures``).

    With ``forecast`` (``Workbench.forecast``), beside the status: 预测 (按当前进度年底无法达标 or blank) and
    还需 (what each remaining month needs).
    """
    if results is None or results.empty:
        return pd.DataFrame()
    rows = results if with_period else results[results["period"] == PERIOD_WHOLE]
    rows = figures.result_figures(sort_by_status(rows))
    h = RESULT_HEADERS
    out = pd.DataFrame({h["indicator_id"]: rows["indicator_id"], "指标": rows["indicator_name"],
                        h["domain"]: rows["domain"], "类型": rows["mandatory"].map(MANDATORY)})
    if with_period:
        out[h["period"]] = rows["period"]
    for col in ("actual", "target", "expected"):
        out[h[col]] = rows[col]
    for col in ("unit", "status"):
        out[h[col]] = rows[col]
    if forecast is not None and not with_period:
        f = _forecast_of(rows, forecast)
        out[FORECAST_HEADERS["will_miss"]] = f["will_miss"].map({True: WILL_MISS}).fillna("").to_numpy()
        out[FORECAST_HEADERS["needed_text"]] = f["needed_text"].fillna("").to_numpy()
    out[h["note"]] = rows["note"]
    return out.reset_index(drop=True)


def _forecast_of(rows: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """The forecast of each of ``rows`` (project × indicator), blank where there is none."""
    keys = ["project_code", "indicator_id"]
    return forecast.drop_duplicates(keys).set_index(keys).reindex(pd.MultiIndex.from_frame(rows[keys]))


def forecast_table(results: pd.DataFrame, forecast: pd.DataFrame, with_station: bool = False,
                   brief: bool = False, labels: bool = False) -> pd.DataFrame:
    """The indicators flagged 按当前进度年底无法达标, mandatory first: actual, target, what the end of the project
    will see at this pace, the months or quarters projected to be missed, when the target is reached, what each
    remaining month needs, and how it was worked out (``brief``: without the type and the explanation;
    ``labels``: each indicator by its number and short name, as the charts name it). Figures are rounded as
    everywhere (``domain.figures``: 实际 down, the others to the nearest step of the unit)."""
    if results is None or results.empty or forecast is None or forecast.empty:
        return pd.DataFrame()
    rows = results[results["period"] == PERIOD_WHOLE]
    f = _forecast_of(rows, forecast)
    flagged = f["will_miss"].fillna(False).to_numpy(dtype=bool)
    rows, f = rows[flagged], f[flagged]
    if rows.empty:
        return pd.DataFrame()
    h, fh = RESULT_HEADERS, FORECAST_HEADERS
    out = pd.DataFrame({h["station_name"]: rows["station_name"].to_numpy()} if with_station else {})
    out["指标"] = (indicator_labels(rows) if labels else rows["indicator_name"]).to_numpy()
    out["类型"] = rows["mandatory"].map(MANDATORY).to_numpy()
    shown = figures.result_figures(rows[["actual", "target", "unit"]])
    # the projected value is rounded like a target: to the nearest step of its unit
    projected = figures.result_figures(pd.DataFrame({"target": f["projected"].to_numpy(dtype=float),
                                                     "unit": rows["unit"].to_numpy(dtype=object)}))
    out[h["actual"]] = shown["actual"].to_numpy()
    out[h["target"]] = shown["target"].to_numpy()
    out[h["unit"]] = rows["unit"].to_numpy()
    out[fh["projected"]] = projected["target"].to_numpy()
    out[fh["projected_missed"]] = f["projected_missed"].fillna("").to_numpy()
    out[fh["met_by"]] = pd.to_datetime(f["met_by"]).dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    out[fh["needed_text"]] = f["needed_text"].fillna("").to_numpy()
    out[fh["note"]] = f["note"].to_numpy()
    out = out.sort_values("类型", key=lambda s: s.map({MANDATORY[True]: 0, MANDATORY[False]: 1}),
                          kind="stable").reset_index(drop=True)
    return out.drop(columns=["类型", fh["note"]]) if brief else out


RECORDS_SHOWN = 120  # characters of a finding's record list in a report (the evaluator's list has them all)


def quality_table(findings: pd.DataFrame, with_station: bool = False) -> pd.DataFrame:
    """Data-quality findings as shown in reports: 问题, (站点,) 月份, 说明, 记录数, 涉及记录 (shortened)."""
    if findings is None or findings.empty:
        return pd.DataFrame()
    q = QUALITY_HEADERS
    out = pd.DataFrame({q["check"]: findings["check"].map(QUALITY_CHECKS).to_numpy()})
    if with_station:
        out[q["station_name"]] = findings["station_name"].to_numpy()
    out[q["month"]] = findings["month"].fillna("").to_numpy()
    out[q["why"]] = findings["why"].to_numpy()
    out[q["n_records"]] = findings["n_records"].to_numpy()
    out[q["records"]] = [r if len(r) <= RECORDS_SHOWN else r[:RECORDS_SHOWN - 1] + "…" for r in findings["records"]]
    return out


def outcome_people(ds, frame: pd.DataFrame, worsened: bool, phone: bool = False) -> pd.DataFrame:
    """People from ``outcomes.worsened`` / ``outcomes.missing_post`` with their (possibly masked) names."""
    if frame is None or frame.empty:
        return pd.DataFrame()
    people = ds.beneficiaries.set_index("code")
    out = pd.DataFrame({"对象编码": frame["beneficiary_code"],
                        "姓名": frame["beneficiary_code"].map(people["name"])})
    if phone:
        out["联系电话"] = frame["beneficiary_code"].map(people["phone"])
    for col, label in (("scale", "量表"), ("domain", "领域"), ("case_code", "个案"), ("group_code", "小组"),
                       ("pre_date", "前测日期"), ("pre", "前测"), ("post_date", "后测日期"), ("post", "后测"),
                       ("improvement", "改善值"), ("rci_class", "可靠变化"), ("reason", "说明")):
        if col in frame:
            out[label] = frame[col].to_numpy()
    return out.reset_index(drop=True)


def count_verdict(rows: pd.DataFrame) -> pd.Series:
    """The engine's verdict on each case or group of an attention list: 计入, or 不计入 and why."""
    return pd.Series([("计入" if counted else f"不计入：{why}") if isinstance(counted, bool) else why
                      for counted, why in zip(rows["counted"], rows["count_reason"])], index=rows.index, dtype=object)
