"""``sgz evaluate``: every project's indicators on a date (actual, target, expected, status, score).

Only assembles arguments and calls ``sgzlib.indicators.evaluate``. Table and
xlsx output have Chinese headers; csv has the same Chinese headers (the
column list is documented in the README and stable); codes in cells (rule,
reason, period kind) are shown by their Chinese labels (``sgzlib.domain.labels``).
json uses the English column names of ``Evaluation.results`` and keeps the
codes as they are, for programs.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..cli import add_db_argument, json_records
from ..domain import asof, figures
from ..domain.dates import require_date
from ..domain.labels import (
    EXPLAIN_HEADERS,
    FORECAST_HEADERS,
    PERIOD_KIND_LABELS,
    PERIOD_WHOLE,
    RESULT_HEADERS,
    SPENDING_HEADERS,
    STATUS_ORDER,
    WILL_MISS,
    YES_NO,
    reason_labels,
)
from ..errors import ConfigError
from ..indicators import RESULT_COLUMNS, RULES, catalogue_title, scoring
from ..indicators.spending import DECISIONS, spending_text
from ..store import outputs
from ..workbench import open_workbench
from . import summary

HEADERS = RESULT_HEADERS
# The forecast's columns beside the status (``with_forecast``), in words of ``labels.FORECAST_HEADERS``.
FORECAST_SHOWN = {"will_miss": FORECAST_HEADERS["will_miss"], "projected": FORECAST_HEADERS["projected"],
                  "needed_text": FORECAST_HEADERS["needed_text"], "forecast_note": FORECAST_HEADERS["note"]}
SCORE_COLUMNS = ["points", "score", "credit_rule"]
TABLE_COLUMNS = ["indicator_id", "indicator_name", "actual", "target", "expected", "unit", "status", "note"]
FORMATS = ("table", "csv", "json", "xlsx")


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help=summary("evaluate"),
        description=f"按各项目的指标清单和档位评估全部指标：每个指标一行“{PERIOD_WHOLE}”汇总，按月/季度考核的指标另有每期一行。"
                    "状态：达标、进度正常、落后、未开始、未达标（周期已结束未达到）、待核验（检查项尚未勾选）。")
    add_db_argument(p)
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--station", metavar="CODE", help="只评估该站点（含下属站点）的项目")
    scope.add_argument("--project", metavar="CODE", help="只评估该项目")
    scope.add_argument("--all", action="store_true", help="评估数据库中的全部项目（默认）")
    p.add_argument("--as-of", metavar="DATE", help=f"评估日期（默认：{asof.DEFAULT_TEXT}），如 2025-10-31")
    p.add_argument("--scoring", metavar="FILE",
                   help="评估方的评分细则（YAML，见 sgzlib/data/scoring-example.yaml）；不给时只报告达标 / 未达标 / 待核验，不计分")
    p.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    p.add_argument("--periods", action="store_true", help="表格中也列出每月/每季度的明细行（csv/json/xlsx 总是包含）")
    p.add_argument("--out", metavar="FILE", help="写入文件而不是屏幕（xlsx 必须指定）")
    p.set_defaults(func=run)


def run(args) -> int:
    as_of = require_date(args.as_of, "评估日期") if args.as_of else None
    if args.format == "xlsx" and not args.out:
        raise ConfigError("xlsx 格式需要用 --out 指定输出文件，例如 --out 评估结果.xlsx")
    scheme = scoring.load_scheme(args.scoring) if args.scoring else None
    wb, projects = workbench_of(args.db, as_of, station=args.station, project=args.project)
    ev = wb.evaluation(projects=projects)
    forecast = wb.forecast(projects=projects) if args.format != "csv" else None  # csv: its documented columns
    write(ev, args.format, args.out, periods=args.periods, scheme=scheme, forecast=forecast)
    return 0


def workbench_of(db: str | None, as_of: dt.date | None, station: str | None = None, project: str | None = None):
    """The read model of the data in scope, masked, on ``as_of`` (default: the workbench's date), and the
    projects asked for (None: all in scope)."""
    wb = open_workbench(db, stations=station, as_of=as_of, output="evaluate")
    if project:
        wb.project_row(project)
        return wb, [project]
    return wb, None


def run_evaluation(db: str | None, as_of: dt.date | None, station: str | None = None, project: str | None = None):
    """The read model's evaluation of the data in scope, masked, on ``as_of`` (default: the workbench's date)."""
    wb, projects = workbench_of(db, as_of, station, project)
    return wb.evaluation(projects=projects)


def with_forecast(frame: pd.DataFrame, forecast: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` (results in English columns) with the forecast beside the status of each 全期 row: will_miss
    (shown as 按当前进度年底无法达标), projected, needed_text, and forecast_note after the note."""
    if forecast is None:
        return frame
    keys = ["project_code", "indicator_id"]
    f = forecast.drop_duplicates(keys).set_index(keys)
    at = pd.MultiIndex.from_frame(frame[keys])
    whole = (frame["period"] == PERIOD_WHOLE).to_numpy()
    extra = {"will_miss": f["will_miss"].reindex(at).map({True: WILL_MISS, False: ""}).to_numpy(dtype=object),
             "projected": f["projected"].reindex(at).round(1).to_numpy(),
             "needed_text": f["needed_text"].reindex(at).to_numpy(dtype=object),
             "forecast_note": f["note"].reindex(at).to_numpy(dtype=object)}
    out = frame.copy()
    place = list(out.columns).index("status") + 1
    for k, (name, values) in enumerate(extra.items()):
        values = np.where(whole, values, None) if values.dtype == object else np.where(whole, values, np.nan)
        if name == "forecast_note":
            out[name] = values
        else:
            out.insert(place + k, name, values)
    return out


def display(frame: pd.DataFrame, headers: dict[str, str], dates_as_text: bool = True) -> pd.DataFrame:
    """Chinese headers, ISO dates, 是/否, codes shown by their Chinese labels; indicator figures rounded by the
    one rule (``domain.figures``: whole things whole, 实际 down, 应达 up), other numbers to two places; the
    catalogue by its Chinese title."""
    out = figures.result_figures(frame) if {"actual", "unit"} <= set(frame.columns) else frame.copy()
    if "catalogue" in out:
        out["catalogue"] = out["catalogue"].map(catalogue_title)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d") if dates_as_text else out[col].dt.date.astype(object)
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
    if "decision" in out:
        out["decision"] = out["decision"].map(lambda d: DECISIONS.get(d, d))
    return out.rename(columns=headers)


def scored(results: pd.DataFrame, scheme) -> pd.DataFrame:
    """``results`` with 分值 / 得分 / 计分规则 under ``scheme`` (全期 rows it lists; blank elsewhere)."""
    if scheme is None:
        return results[RESULT_COLUMNS]
    s = scheme.score(results).rename(columns={"rule": "credit_rule"})
    whole = results["period"] == PERIOD_WHOLE
    out = results[RESULT_COLUMNS].merge(s.drop(columns="credit"), on=["project_code", "indicator_id"], how="left")
    out.loc[~whole.to_numpy(), SCORE_COLUMNS] = None
    return out


def write(ev, fmt: str, out: str | None, periods: bool = False, scheme=None, forecast=None) -> None:
    if fmt == "xlsx":
        _write_xlsx(ev, Path(out), scheme, forecast)
        print(f"已写入 {out}（{len(ev.summary)} 个指标结果）")
        return
    if fmt == "csv":
        text = outputs.csv_text(display(scored(ev.results, scheme), HEADERS))
    elif fmt == "json":
        payload = {"as_of": ev.as_of.date().isoformat(), "results": json_records(scored(ev.results, scheme)),
                   "spending": {"checks": json_records(ev.spending.checks),
                                "records": json_records(ev.spending.records)}}
        if scheme is not None:
            payload["scoring"] = {"title": scheme.title, "rule": scheme.describe()}
        if forecast is not None:
            payload["forecast"] = json_records(forecast)
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    else:
        text = table(ev, periods, scheme, forecast)
    if out:
        outputs.write_text(out, text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        print(f"已写入 {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def table(ev, periods: bool = False, scheme=None, forecast=None) -> str:
    """A terminal report: one block per project, indicators in catalogue order, and a status tally."""
    if ev.results.empty:
        return f"评估日期 {ev.as_of:%Y-%m-%d}：没有可评估的项目。"
    lines = [f"评估日期：{ev.as_of:%Y-%m-%d}"]
    scores = scheme.score(ev.summary) if scheme is not None else None
    if scheme is not None:
        lines.append(scheme.describe())
    rows = ev.results if periods else ev.summary
    with pd.option_context("display.unicode.east_asian_width", True, "display.max_colwidth", 80,
                           "display.width", 250, "display.max_rows", None):
        for (code, station, cat, tier), block in rows.groupby(
                ["project_code", "station_name", "catalogue", "tier"], sort=False, dropna=False):
            summary = block[block["period"] == PERIOD_WHOLE]
            tally = summary["status"].value_counts()
            tier_text = f"（{tier}）" if isinstance(tier, str) else ""
            lines += ["", f"项目 {code}  {station}  指标清单 {catalogue_title(cat)}{tier_text}",
                      "  " + "  ".join(f"{s} {tally.get(s, 0)}" for s in STATUS_ORDER)
                      + _total_text(scores, code, cat, scheme)]
            shown = block.assign(indicator_id=block["indicator_id"].where(block["period"] == PERIOD_WHOLE,
                                                                          "  " + block["period"]))
            columns = TABLE_COLUMNS if forecast is None else [*TABLE_COLUMNS[:-1], "will_miss", TABLE_COLUMNS[-1]]
            shown = with_forecast(shown, forecast)
            lines.append(display(shown[columns].fillna({"will_miss": ""}), {**HEADERS, **FORECAST_SHOWN})
                         .to_string(index=False))
            spending = spending_text(ev.spending, code)
            if spending:
                lines += ["", "  经费使用核查（「经费支出」表逐笔核对，不计分）："] + [f"  {s}" for s in spending]
    return "\n".join(lines) + "\n"


def _total_text(scores, project: str, catalogue: str, scheme) -> str:
    if scheme is None:
        return ""
    if catalogue != scheme.catalogue:
        return f"  （评分细则只适用于指标清单「{catalogue_title(scheme.catalogue)}」，本项目不计分）"
    mine = scores[scores["project_code"] == project]
    return f"  得分 {mine['score'].sum():.1f} / {mine['points'].sum():g}"


def _write_xlsx(ev, path: Path, scheme=None, forecast=None) -> None:
    """The manager's evaluation workbook: each sheet a printable table (``reports.sheets``: frozen header,
    filter, A4 landscape, real dates, figures formatted by their unit)."""
    from openpyxl import Workbook

    from ..reports import sheets  # only for xlsx: keeps the start-up of csv, json and table output fast

    wb = Workbook()
    sheets.set_properties(wb, f"指标评估（截至 {ev.as_of:%Y-%m-%d}）")
    wb.remove(wb.active)
    with_year_end = {**HEADERS, **FORECAST_SHOWN}
    tables = [("汇总", with_forecast(scored(ev.summary, scheme), forecast), with_year_end),
              ("明细", with_forecast(scored(ev.results, scheme), forecast), with_year_end),
              ("计入与未计入的记录", ev.explanations, EXPLAIN_HEADERS)]
    if len(ev.spending.checks):
        tables += [("经费使用核查", ev.spending.checks, SPENDING_HEADERS),
                   ("经费需核查的支出", ev.spending.records, SPENDING_HEADERS)]
    for name, frame, headers in tables:
        units = frame["unit"].reset_index(drop=True) if "unit" in frame else None
        figures_shown = tuple(headers[c] for c in ("actual", "target", "expected") if c in frame)
        sheets.write_table(wb.create_sheet(name), display(frame, headers, dates_as_text=False), units=units,
                           unit_columns=figures_shown, widths={headers["note"]: 40} if "note" in frame else None)
    with outputs.atomic(path) as partial:
        wb.save(partial)
