"""``sgz evaluate``: every project's indicators on a date (actual, target, expected, status, score).

Only assembles arguments and calls ``sgzlib.indicators.evaluate``. Table and
xlsx output have Chinese headers; csv has the same Chinese headers (the
column list is documented in the README and stable); codes in cells (rule,
reason, period kind) are shown by their Chinese labels (``sgzlib.labels``).
json uses the English column names of ``Evaluation.results`` and keeps the
codes as they are, for programs.
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
from ..indicators import RESULT_COLUMNS, RULES, evaluate
from ..labels import (
    EXPECTED,
    EXPLAIN_HEADERS,
    PERIOD_KIND_LABELS,
    PERIOD_WHOLE,
    RESULT_HEADERS,
    STATUS_ORDER,
    YES_NO,
    reason_labels,
)

HEADERS = RESULT_HEADERS
TABLE_COLUMNS = ["indicator_id", "indicator_name", "actual", "target", "expected", "unit", "status", "note"]
FORMATS = ("table", "csv", "json", "xlsx")


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help=f"按指标清单评估项目：实际值、目标、{EXPECTED}、状态、得分",
        description=f"按各项目的指标清单和档位评估全部指标：每个指标一行“{PERIOD_WHOLE}”汇总，按月/季度考核的指标另有每期一行。"
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
    """Chinese headers, ISO dates, 是/否, numbers rounded to two places, codes shown by their Chinese labels."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(YES_NO)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2)
    if "period_kind" in out:
        out["period_kind"] = out["period_kind"].map(PERIOD_KIND_LABELS)
    if "rule" in out:
        out["rule"] = out["rule"].map(lambda r: RULES[r].label if r in RULES else r)
    if "reason_code" in out:
        out["reason_code"] = reason_labels(out["reason_code"])
    return out.rename(columns=headers)


def write(ev, fmt: str, out: str | None, periods: bool = False) -> None:
    if fmt == "xlsx":
        _write_xlsx(ev, Path(out))
        print(f"已写入 {out}（{len(ev.summary)} 个指标结果）")
        return
    if fmt == "csv":
        text = display(ev.results[RESULT_COLUMNS], HEADERS).to_csv(index=False)
    elif fmt == "json":
        text = json.dumps({"as_of": ev.as_of.date().isoformat(), "results": json_records(ev.results[RESULT_COLUMNS])},
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
            summary = block[block["period"] == PERIOD_WHOLE]
            tally = summary["status"].value_counts()
            tier_text = f"（{tier}）" if isinstance(tier, str) else ""
            lines += ["", f"项目 {code}  {station}  指标清单 {cat}{tier_text}",
                      "  " + "  ".join(f"{s} {tally.get(s, 0)}" for s in STATUS_ORDER)
                      + f"  得分 {summary['score'].sum():.1f} / {summary['points'].sum():.0f}"]
            shown = block.assign(indicator_id=block["indicator_id"].where(block["period"] == PERIOD_WHOLE,
                                                                          "  " + block["period"]))
            lines.append(display(shown[TABLE_COLUMNS], HEADERS).to_string(index=False))
    return "\n".join(lines) + "\n"


def _write_xlsx(ev, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        display(ev.summary[RESULT_COLUMNS], HEADERS).to_excel(xl, sheet_name="汇总", index=False)
        display(ev.results[RESULT_COLUMNS], HEADERS).to_excel(xl, sheet_name="明细", index=False)
        display(ev.explanations, EXPLAIN_HEADERS).to_excel(xl, sheet_name="计入与未计入的记录", index=False)
