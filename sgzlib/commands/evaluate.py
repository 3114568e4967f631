"""``sgz evaluate``: every project's indicators on a date (actual, target, expected, status, score).

Only assembles arguments and calls ``sgzlib.indicators.evaluate``. Table and
xlsx output have Chinese headers; csv has the same Chinese headers (the
column list is documented in the README and stable); json uses the English
column names of ``Evaluation.results``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from .. import storage
from ..cli import add_db_argument, json_records
from ..dates import require_date
from ..errors import ConfigError, NotFoundError
from ..indicators import RESULT_COLUMNS, STATUS_ORDER, evaluate
from ..indicators.spending import spending_text

HEADERS = {
    "station_code": "站点编码", "station_name": "站点名称", "project_code": "项目编码", "catalogue": "指标清单",
    "tier": "档位", "indicator_id": "指标编号", "indicator_name": "指标名称", "domain": "领域", "mandatory": "必选",
    "rule": "计算规则", "period": "周期", "period_kind": "周期类型", "period_end": "周期结束日", "actual": "实际",
    "target": "目标", "expected": "截至评估日应达", "unit": "单位", "status": "状态", "points": "分值",
    "score": "得分", "note": "说明",
}
EXPLAIN_HEADERS = {
    "project_code": "项目编码", "indicator_id": "指标编号", "period": "周期", "record_table": "记录所在表",
    "record_id": "记录编号", "counted": "是否计入", "reason_code": "原因代码", "reason": "原因",
}
SPENDING_HEADERS = {
    "project_code": "项目编码", "check_id": "核查编号", "name": "核查项", "source_text": "原文", "status": "结果",
    "n_flagged": "需核查笔数", "amount_flagged": "需核查金额(元)", "record_id": "记录编号", "date": "日期",
    "amount": "金额(元)", "category": "类别", "item": "物品", "place": "地点", "reason": "原因",
}
PERIOD_KINDS = {"whole": "全期", "month": "月", "quarter": "季度"}
TABLE_COLUMNS = ["indicator_id", "indicator_name", "actual", "target", "expected", "unit", "status", "note"]
FORMATS = ("table", "csv", "json", "xlsx")


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="按指标清单评估项目：实际值、目标、截至评估日应达、状态、得分",
        description="按各项目的指标清单和档位评估全部指标：每个指标一行“全期”汇总，按月/季度考核的指标另有每期一行。"
                    "状态：达标、进度正常、落后、未开始、未达标（周期已结束未达到）、待核验（检查项尚未勾选）。")
    add_db_argument(p)
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--station", metavar="CODE", help="只评估该站点（含下属站点）的项目")
    scope.add_argument("--project", metavar="CODE", help="只评估该项目")
    scope.add_argument("--all", action="store_true", help="评估数据库中的全部项目（默认）")
    p.add_argument("--as-of", metavar="DATE", help="评估日期（默认今天），如 2025-10-31")
    p.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    p.add_argument("--periods", action="store_true", help="表格中也列出每月/每季度的明细行（csv/json/xlsx 总是包含）")
    p.add_argument("--out", metavar="FILE", help="写入文件而不是屏幕（xlsx 必须指定）")
    p.set_defaults(func=run)


def run(args) -> int:
    as_of = require_date(args.as_of, "评估日期") if args.as_of else dt.date.today()
    if args.format == "xlsx" and not args.out:
        raise ConfigError("xlsx 格式需要用 --out 指定输出文件，例如 --out 评估结果.xlsx")
    ev = run_evaluation(args.db, as_of, station=args.station, project=args.project)
    write(ev, args.format, args.out, periods=args.periods)
    return 0


def run_evaluation(db: str | None, as_of: dt.date, station: str | None = None, project: str | None = None):
    """Load the data in scope and evaluate it (used by ``evaluate`` and ``explain``)."""
    ds = storage.load_dataset(storage.connect(db), stations=station)
    if project:
        if not ds.projects["code"].eq(project).any():
            raise NotFoundError(f"项目编码不存在：{project}")
        return evaluate(ds, as_of, projects=[project])
    return evaluate(ds, as_of)


def display(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """Chinese headers, ISO dates, 是/否, numbers rounded to two places."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "是", False: "否"})
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2)
    if "period_kind" in out:
        out["period_kind"] = out["period_kind"].map(PERIOD_KINDS)
    return out.rename(columns=headers)


def write(ev, fmt: str, out: str | None, periods: bool = False) -> None:
    if fmt == "xlsx":
        _write_xlsx(ev, Path(out))
        print(f"已写入 {out}（{len(ev.summary)} 个指标结果）")
        return
    if fmt == "csv":
        text = display(ev.results[RESULT_COLUMNS], HEADERS).to_csv(index=False)
    elif fmt == "json":
        text = json.dumps({"as_of": ev.as_of.date().isoformat(), "results": json_records(ev.results[RESULT_COLUMNS]),
                           "spending": {"checks": json_records(ev.spending.checks),
                                        "records": json_records(ev.spending.records)}},
                          ensure_ascii=False, indent=2)
    else:
        text = table(ev, periods)
    if out:
        Path(out).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        print(f"已写入 {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def table(ev, periods: bool = False) -> str:
    """A terminal report: one block per project, indicators in catalogue order, and a status tally."""
    if ev.results.empty:
        return f"评估日期 {ev.as_of:%Y-%m-%d}：没有可评估的项目。"
    lines = [f"评估日期：{ev.as_of:%Y-%m-%d}"]
    rows = ev.results if periods else ev.summary
    with pd.option_context("display.unicode.east_asian_width", True, "display.max_colwidth", 80,
                           "display.width", 250, "display.max_rows", None):
        for (code, station, cat, tier), block in rows.groupby(
                ["project_code", "station_name", "catalogue", "tier"], sort=False, dropna=False):
            summary = block[block["period"] == "全期"]
            tally = summary["status"].value_counts()
            tier_text = f"（{tier}）" if isinstance(tier, str) else ""
            lines += ["", f"项目 {code}  {station}  指标清单 {cat}{tier_text}",
                      "  " + "  ".join(f"{s} {tally.get(s, 0)}" for s in STATUS_ORDER)
                      + f"  得分 {summary['score'].sum():.1f} / {summary['points'].sum():.0f}"]
            shown = block.assign(indicator_id=block["indicator_id"].where(block["period"] == "全期",
                                                                          "  " + block["period"]))
            lines.append(display(shown[TABLE_COLUMNS], HEADERS).to_string(index=False))
            spending = spending_text(ev.spending, code)
            if spending:
                lines += ["", "  经费使用核查（「经费支出」表逐笔核对，不计分）："] + [f"  {s}" for s in spending]
    return "\n".join(lines) + "\n"


def _write_xlsx(ev, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        display(ev.summary[RESULT_COLUMNS], HEADERS).to_excel(xl, sheet_name="汇总", index=False)
        display(ev.results[RESULT_COLUMNS], HEADERS).to_excel(xl, sheet_name="明细", index=False)
        display(ev.explanations, EXPLAIN_HEADERS).to_excel(xl, sheet_name="计入与未计入的记录", index=False)
        if len(ev.spending.checks):
            display(ev.spending.checks, SPENDING_HEADERS).to_excel(xl, sheet_name="经费使用核查", index=False)
            display(ev.spending.records, SPENDING_HEADERS).to_excel(xl, sheet_name="经费需核查的支出", index=False)
