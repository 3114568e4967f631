"""``sgz outcomes``: before/after outcomes of beneficiaries (前后测成效) from the database.

Only assembles arguments and calls ``sgzlib.domain.outcomes``; names are joined
masked: the dataset is loaded through the read model (``sgzlib.workbench.open_workbench``, masked), never in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys

import pandas as pd

from ..cli import add_db_argument, json_records
from ..domain import asof, outcomes
from ..domain.dates import require_date
from ..domain.labels import EXPLAIN_HEADERS, YES_NO, reason_labels
from ..domain.scales import load_scales
from ..errors import ConfigError
from ..workbench import open_workbench
from . import summary

VIEWS = ("all", "summary", "worsened", "missing-post", "pairs", "unpaired", "follow-ups")
VIEW_TITLES = {
    "summary": "汇总（站点 × 领域 × 量表 × 服务方式）",
    "worsened": "得分变差的服务对象（按量表方向判断）",
    "missing-post": "服务已结束但缺后测",
    "pairs": "前后测配对明细",
    "unpaired": "未配对的测评记录及原因",
    "follow-ups": "跟踪测：后测之后的成效是否保持",
}
HEADERS = {
    "station_code": "站点", "domain": "领域", "scale": "量表", "scale_name": "量表名称", "work_type": "服务方式",
    "n": "配对数", "mean_improvement": "平均改善", "median_improvement": "中位改善", "t": "t", "p_t": "p(t)",
    "w": "W", "p_w": "p(W)", "p_w_method": "W检验方法", "d_z": "d_z", "r_rb": "r_rb", "improved": "可靠改善",
    "unchanged": "无可靠变化", "deteriorated": "可靠恶化", "rci_unavailable": "RCI无法计算", "worse_raw": "变差人数",
    "note": "说明", "beneficiary_code": "对象编码", "name": "姓名", "case_code": "个案", "group_code": "小组",
    "project_code": "项目", "pre_date": "前测日期", "pre": "前测", "post_date": "后测日期", "post": "后测",
    "change": "原始变化", "improvement": "改善量", "rci": "RCI", "rci_class": "可靠变化判定", "rci_note": "RCI依据",
    "ended": "结束日期", "days_since_end": "已过天数", "reason": "原因", "reason_code": EXPLAIN_HEADERS["reason_code"],
    "scale_as_recorded": "登记的量表名", "phase": "阶段", "date": "测评日期", "score": "得分",
    "follow_date": "跟踪日期", "follow": "跟踪", "improvement_at_follow": "跟踪时改善量",
    "change_since_post": "后测后变化", "maintained": "成效保持",
}
METHODS = {"exact": "精确", "permutation": "精确(含同分)", "normal": "正态近似", "": ""}
PERSON_COLUMNS = ("beneficiary_code", "name")


def register(sub) -> None:
    p = sub.add_parser(
        "outcomes", help=summary("outcomes"),
        description="按站点、领域、量表和服务方式（个案/小组/其他）汇总前测→后测的改善（正数=变好，"
                    "已按量表方向换算），给出配对 t 检验、Wilcoxon 符号秩检验（Pratt 法处理零差）、d_z、"
                    "配对秩二列相关 r 和 Jacobson–Truax 可靠变化指数；并列出得分变差的服务对象和服务已结束"
                    "却缺后测的服务对象。姓名一律脱敏。")
    add_db_argument(p)
    p.add_argument("--station", metavar="CODE", help="只看该站点及其下属站点")
    p.add_argument("--scale", metavar="NAME", help="只看该量表（编码、简称、中文或英文名均可）")
    p.add_argument("--as-of", metavar="DATE", help=f"截至日期（默认：{asof.DEFAULT_TEXT}）：只用此前的测评，并据此判断服务是否已结束")
    p.add_argument("--view", choices=VIEWS, help="输出哪个视图（表格和 JSON 默认 all：汇总+变差+缺后测；CSV 默认 summary）")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="输出格式（默认 table）")
    p.set_defaults(func=run)


def run(args) -> int:
    as_of = require_date(args.as_of, "截至日期") if args.as_of else None
    view = args.view or ("summary" if args.format == "csv" else "all")
    if args.format == "csv" and view == "all":
        raise ConfigError("CSV 一次只能输出一个视图，请用 --view 指定（summary / worsened / missing-post / …）")
    scale = load_scales().require(args.scale) if args.scale else None
    wb = open_workbench(args.db, stations=args.station, as_of=as_of, output="outcomes")
    as_of = wb.as_of
    frames = build_views(wb.ds, as_of, scale.id if scale else None)
    wanted = list(VIEW_TITLES)[:3] if view == "all" else [view]
    if args.format == "json":
        payload = {"as_of": as_of.isoformat(), "station": args.station, "scale": scale.id if scale else None}
        payload.update({v.replace("-", "_"): json_records(frames[v]) for v in wanted})
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        _display(frames[view]).to_csv(sys.stdout, index=False)
    else:
        print(_table_report(frames, wanted, as_of, args.station, scale))
    return 0


def build_views(ds, as_of: dt.date, scale_id: str | None) -> dict[str, pd.DataFrame]:
    """Every view as a DataFrame, filtered to one scale if asked, with the dataset's names joined.

    ``ds`` must already be masked (a masked workbench's ``ds``) for anything shown outside the station.
    """
    analysis = outcomes.analyse(ds, as_of)
    if scale_id:
        def keep(frame):
            return frame[(frame["scale"] == scale_id) | frame["scale"].str.startswith(scale_id + ".").fillna(False)]
        analysis.pairs, analysis.unpaired = keep(analysis.pairs), keep(analysis.unpaired)
        analysis.follow_ups = keep(analysis.follow_ups)
    names = ds.beneficiaries.set_index("code")["name"]
    frames = {
        "summary": outcomes.summary(ds, analysis=analysis),
        "worsened": outcomes.worsened(ds, analysis=analysis),
        "missing-post": outcomes.missing_post(ds, as_of, analysis=analysis),
        "pairs": analysis.pairs, "unpaired": analysis.unpaired, "follow-ups": analysis.follow_ups,
    }
    for key in ("worsened", "missing-post", "pairs", "unpaired", "follow-ups"):
        frame = frames[key].copy()
        frame.insert(1, "name", frame["beneficiary_code"].map(names))
        frames[key] = frame
    return frames


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """Chinese headers, rounded numbers, ISO dates, RCI counts 无法计算 where there is no RCI."""
    out = outcomes.rci_cells(frame) if "rci_unavailable" in frame else frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif col in ("p_t", "p_w"):
            out[col] = out[col].map(_p)
        elif col == "p_w_method":
            out[col] = out[col].map(METHODS)
        elif col in ("mean_improvement", "median_improvement", "t", "d_z", "r_rb", "rci"):
            out[col] = out[col].astype(float).round(2)
        elif col == "maintained":
            out[col] = out[col].map(YES_NO)
        elif col == "reason_code":
            out[col] = reason_labels(out[col])
    out = out.astype(object).where(out.notna(), "")
    return out.rename(columns=HEADERS)


def _p(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table_report(frames: dict, wanted: list[str], as_of: dt.date, station: str | None, scale) -> str:
    scope = "、".join(filter(None, [f"站点 {station}" if station else "全部站点", scale.label if scale else ""]))
    lines = [f"服务对象前后测成效（截至 {as_of:%Y-%m-%d}，{scope}）",
             "改善量 = 后测 − 前测，“越低越好”的量表已换算方向：正数表示变好，负数表示变差。"]
    for number, view in enumerate(wanted, 1):
        frame = frames[view]
        lines += ["", f"{_ordinal(number)}、{VIEW_TITLES[view]}（{len(frame)} 条）"]
        lines.append(_display(frame).to_string(index=False) if len(frame) else "（无）")
    pairs = frames["pairs"]
    if len(pairs) and "summary" in wanted:
        lines += ["", "可靠变化指数（RCI）依据："]
        for sid, note in pairs.drop_duplicates("scale")[["scale", "rci_note"]].itertuples(index=False):
            lines.append(f"  {sid}：{note}")
    return "\n".join(lines)


def _ordinal(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if n <= 10 else str(n)
