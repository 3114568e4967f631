"""Display frames shared by the reports: indicator results and outcome lists with Chinese headers."""

from __future__ import annotations

import pandas as pd

from ..supervision import STATUS_ORDER

INDICATOR_COLUMNS = ["station_code", "station_name", "project_code", "catalogue", "tier", "indicator_id",
                     "indicator_name", "domain", "mandatory", "rule", "period", "period_kind", "period_end", "actual",
                     "target", "expected", "unit", "status", "note"]


def sort_by_status(rows: pd.DataFrame) -> pd.DataFrame:
    """Most urgent status first (``STATUS_ORDER``), then in catalogue order."""
    rank = rows["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}).fillna(len(STATUS_ORDER))
    return rows.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def indicator_table(results: pd.DataFrame, with_period: bool = False) -> pd.DataFrame:
    """Indicator rows as shown in reports: 指标, 领域, 实际, 目标, 应达, 单位, 状态, 说明 (behind first)."""
    if results is None or results.empty:
        return pd.DataFrame()
    rows = results if with_period else results[results["period"] == "全期"]
    rows = sort_by_status(rows)
    out = pd.DataFrame({"指标": rows["indicator_name"], "领域": rows["domain"],
                        "类型": rows["mandatory"].map({True: "必选", False: "自选"})})
    if with_period:
        out["期间"] = rows["period"]
    out["实际"] = rows["actual"].round(2)
    out["目标"] = rows["target"].round(2)
    out["截至日期应达"] = rows["expected"].round(2)
    out["单位"] = rows["unit"]
    out["状态"] = rows["status"]
    out["说明"] = rows["note"]
    return out.reset_index(drop=True)


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
