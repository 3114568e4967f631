"""Display frames shared by the reports: indicator results and outcome lists with Chinese headers."""

from __future__ import annotations

import pandas as pd

from ..domain import figures
from ..domain.labels import MANDATORY, PERIOD_WHOLE, RESULT_HEADERS, STATUS_ORDER
from ..indicators import RESULT_COLUMNS

INDICATOR_COLUMNS = list(RESULT_COLUMNS)


def sort_by_status(rows: pd.DataFrame) -> pd.DataFrame:
    """Most urgent status first (``STATUS_ORDER``), then in catalogue order."""
    rank = rows["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}).fillna(len(STATUS_ORDER))
    return rows.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def indicator_table(results: pd.DataFrame, with_period: bool = False) -> pd.DataFrame:
    """Indicator rows as shown in reports: 指标编号, 指标 (the full name: the charts' labels are the number and a
    short name), 领域, 类型, 实际, 目标, 截至评估日应达, 单位, 状态, 说明 (behind first; figures rounded by
    ``domain.figures``)."""
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
    for col in ("unit", "status", "note"):
        out[h[col]] = rows[col]
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


def count_verdict(rows: pd.DataFrame) -> pd.Series:
    """The engine's verdict on each case or group of an attention list: 计入, or 不计入 and why."""
    return pd.Series([("计入" if counted else f"不计入：{why}") if isinstance(counted, bool) else why
                      for counted, why in zip(rows["counted"], rows["count_reason"])], index=rows.index, dtype=object)
