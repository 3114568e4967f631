"""``sgz explain``: for one indicator of one project, what counted and what did not, and why."""

from __future__ import annotations

import json
import sys

import pandas as pd

from ..cli import add_db_argument, json_records
from ..domain import asof
from ..domain.dates import require_date
from ..domain.labels import EXPLAIN_HEADERS, MANDATORY, PERIOD_WHOLE, SPENDING_HEADERS
from ..errors import NotFoundError
from ..indicators import load_catalogue
from ..indicators.spending import SpendingResult, spending_text
from . import summary
from .evaluate import HEADERS, display, run_evaluation


def register(sub) -> None:
    p = sub.add_parser(
        "explain", help=summary("explain"),
        description="列出某项目某指标的评估结果、原文依据、每期情况，以及逐条记录是否计入；"
                    "未计入的记录给出原因（无水印照片、照片重复使用、未上传、签到不足、文书不全等）。")
    add_db_argument(p)
    p.add_argument("--project", metavar="CODE", required=True, help="项目编码")
    p.add_argument("--indicator", metavar="ID", required=True,
                   help="指标编号或经费核查编号（如 ZL-JF-02，见 sgz evaluate 输出）")
    p.add_argument("--as-of", metavar="DATE", help=f"评估日期（默认：{asof.DEFAULT_TEXT}）")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="输出格式（默认 table）")
    p.set_defaults(func=run)


def run(args) -> int:
    as_of = require_date(args.as_of, "评估日期") if args.as_of else None
    ev = run_evaluation(args.db, as_of, project=args.project)
    rows = ev.results[ev.results["indicator_id"].str.upper() == args.indicator.upper()]
    spending = ev.spending.only({args.project})
    if rows.empty and (spending.checks["check_id"].str.upper() == args.indicator.upper()).any():
        return _explain_spending(args, ev, spending)
    if rows.empty:
        known = "、".join([*ev.summary["indicator_id"], *spending.checks["check_id"]])
        raise NotFoundError(f"项目 {args.project} 没有指标「{args.indicator}」（本项目的指标：{known}）")
    detail = ev.explain(args.project, rows["indicator_id"].iloc[0])
    if args.format == "json":
        payload = {"as_of": ev.as_of.date().isoformat(), "results": json_records(rows), "records": json_records(detail)}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(display(detail, EXPLAIN_HEADERS).to_csv(index=False))
    else:
        sys.stdout.write(report(rows, detail))
    return 0


def _explain_spending(args, ev, spending) -> int:
    """A spending check (``--indicator ZL-JF-02``): its line, each flagged expense with the word or reading that
    decided it and any evaluator's decision, and what the evaluator and the station do."""
    check_id = spending.checks.loc[spending.checks["check_id"].str.upper() == args.indicator.upper(), "check_id"].iloc[0]
    checks = spending.checks[spending.checks["check_id"] == check_id]
    records = spending.records[spending.records["check_id"] == check_id]
    if args.format == "json":
        payload = {"as_of": ev.as_of.date().isoformat(), "spending": {"checks": json_records(checks),
                                                                      "records": json_records(records)}}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(display(records, SPENDING_HEADERS).to_csv(index=False))
    else:
        only = SpendingResult(checks, records)
        lines = [f"项目 {args.project}  经费使用核查（「经费支出」表逐笔核对，不计分）"] + spending_text(only, args.project)
        lines += ["", "评估方核实后可记录结论：sgz spending overrule 记录编号 核查编号 撤销|维持 --note 说明"]
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def report(rows: pd.DataFrame, detail: pd.DataFrame) -> str:
    """Plain-text explanation: the result, the source text, each period, then records counted and not."""
    head = rows[rows["period"] == PERIOD_WHOLE].iloc[0]
    cat = load_catalogue(head["catalogue"])
    ind = cat.indicator(head["indicator_id"])
    lines = [f"项目 {head['project_code']}  {head['station_name']}  指标清单 {cat.title}"
             + (f"（{head['tier']}）" if isinstance(head["tier"], str) else ""),
             f"指标 {ind.id} {ind.name}（{ind.domain}，{MANDATORY[ind.mandatory]}）",
             f"原文：{ind.source_text}", f"佐证要求：{ind.evidence}", f"结果：{head['note']}"]
    periods = rows[rows["period"] != PERIOD_WHOLE]
    if len(periods):
        lines += ["", "各期："] + [f"  {n}（{s}）" for n, s in zip(periods["note"], periods["status"])]
    counted, refused = detail[detail["counted"]], detail[~detail["counted"]]
    lines += ["", f"计入的记录（{len(counted)} 条）："]
    lines += [f"  {_where(r)}{r.record_table} {r.record_id}" + (f"：{r.reason}" if isinstance(r.reason, str) else "")
              for r in counted.itertuples()]
    lines += ["", f"未计入的记录（{len(refused)} 条）："]
    lines += [f"  {_where(r)}{r.record_table} {r.record_id}：{r.reason}" for r in refused.itertuples()]
    return "\n".join(lines) + "\n"


def _where(r) -> str:
    return "" if r.period == PERIOD_WHOLE else f"[{r.period}] "


__all__ = ["HEADERS", "register", "run"]
