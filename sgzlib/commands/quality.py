"""``sgz quality``: the evaluator's list of data-quality findings (同一人在两站名单, 社工同日在两站, 补录,
与同清单站点相比异常, 内容摘要雷同), each with why and which records.

Only assembles arguments and calls the read model (``Workbench.quality``, ``sgzlib.analysis.quality``).
Table and xlsx have Chinese headers and words; json keeps the English column names and check codes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from ..analysis.quality import Settings
from ..cli import add_db_argument, json_records
from ..domain import asof
from ..domain.dates import require_date
from ..domain.labels import QUALITY_CHECKS, QUALITY_HEADERS
from ..errors import ConfigError
from ..store import outputs
from ..workbench import open_workbench
from ..workbench.foresight import quality_labels
from . import summary

FORMATS = ("table", "json", "xlsx")
DEFAULTS = Settings()


def register(sub) -> None:
    p = sub.add_parser(
        "quality", help=summary("quality"),
        description="逐站列出指标引擎看不出的台账问题，每条写明原因和涉及的记录："
                    "同一服务对象在两个站点的名单上（身份证号、姓名 + 出生日期或姓名 + 电话相同）及两站各计入了哪些指标；"
                    "同一社工同一天在两个乡镇（街道）站点都有个案或小组节次；导入日期比记录日期晚许多天的补录；"
                    "月服务记录数、小组签到人数、个案时长与同清单站点相比异常（稳健 z）；"
                    "多条服务记录的内容摘要完全相同。跨站点的比较总是对照数据库中本账号可见的全部站点。")
    add_db_argument(p)
    p.add_argument("--station", metavar="CODE", help="只列出该站点（含下属村社区室）的问题")
    p.add_argument("--as-of", metavar="DATE", help=f"截至日期（默认：{asof.DEFAULT_TEXT}）；比较同清单站点时只用已结束的月份")
    p.add_argument("--late-days", type=int, default=DEFAULTS.late_days, metavar="N",
                   help=f"首次导入比记录日期晚多少天以上算补录（默认 {DEFAULTS.late_days}）")
    p.add_argument("--copies", type=int, default=DEFAULTS.copies, metavar="N",
                   help=f"同一内容摘要出现多少条及以上列出（默认 {DEFAULTS.copies}）")
    p.add_argument("--summary-chars", type=int, default=DEFAULTS.summary_chars, metavar="N",
                   help=f"少于多少个字的内容摘要不比较（默认 {DEFAULTS.summary_chars}）")
    p.add_argument("--z", type=float, default=DEFAULTS.z_limit, metavar="Z",
                   help=f"与同清单站点比较时，稳健 z 的绝对值达到多少列出（默认 {DEFAULTS.z_limit:g}）")
    p.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    p.add_argument("--out", metavar="FILE", help="写入文件而不是屏幕（xlsx 必须指定）")
    p.set_defaults(func=run)


def settings_of(args) -> Settings:
    """The thresholds the arguments ask for (each a positive number: a Chinese error otherwise)."""
    for value, what in ((args.late_days, "--late-days（补录天数）"), (args.copies, "--copies（摘要条数）"),
                        (args.summary_chars, "--summary-chars（摘要字数）"), (args.z, "--z（稳健 z）")):
        if value <= 0:
            raise ConfigError(f"{what} 应为正数，收到 {value:g}")
    return Settings(late_days=args.late_days, copies=args.copies, summary_chars=args.summary_chars,
                    z_limit=args.z)


def run(args) -> int:
    as_of = require_date(args.as_of, "截至日期") if args.as_of else None
    if args.format == "xlsx" and not args.out:
        raise ConfigError("xlsx 格式需要用 --out 指定输出文件，例如 --out 数据质量.xlsx")
    settings = settings_of(args)
    wb = open_workbench(args.db, stations=args.station, as_of=as_of)
    found = wb.quality(settings=settings)
    write(found, args.format, args.out, wb.as_of, settings)
    return 0


def write(found: pd.DataFrame, fmt: str, out: str | None, as_of, settings: Settings) -> None:
    if fmt == "xlsx":
        with outputs.atomic(Path(out)) as partial, pd.ExcelWriter(partial, engine="openpyxl") as xl:
            tally(found).to_excel(xl, sheet_name="汇总", index=False)
            quality_labels(found).to_excel(xl, sheet_name="数据质量问题", index=False)
        print(f"已写入 {out}（{len(found)} 条数据质量问题）")
        return
    if fmt == "json":
        text = json.dumps({"as_of": f"{as_of:%Y-%m-%d}", "settings": settings.__dict__,
                           "findings": json_records(found)}, ensure_ascii=False, indent=2)
    else:
        text = table(found, as_of, settings)
    if out:
        outputs.write_text(out, text)
        print(f"已写入 {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def tally(found: pd.DataFrame) -> pd.DataFrame:
    """Findings per station and check (a column per check, in the checks' order)."""
    counts = pd.crosstab([found["station_code"], found["station_name"]], found["check"]) if len(found) else \
        pd.DataFrame()
    counts = counts.reindex(columns=list(QUALITY_CHECKS), fill_value=0).rename(columns=QUALITY_CHECKS)
    counts["合计"] = counts.sum(axis=1)
    return counts.reset_index().rename(columns={"station_code": QUALITY_HEADERS["station_code"],
                                                "station_name": QUALITY_HEADERS["station_name"]})


def table(found: pd.DataFrame, as_of, settings: Settings) -> str:
    """Per check, every finding: station, month, why and the records (long record lists shortened)."""
    lines = [f"数据质量核查（截至 {as_of:%Y-%m-%d}；补录：晚于记录日期 {settings.late_days} 天以上；"
             f"摘要雷同：{settings.copies} 条及以上、{settings.summary_chars} 字及以上；稳健 z ≥ {settings.z_limit:g}）"]
    if found.empty:
        return "\n".join(lines + ["", "没有发现问题。"]) + "\n"
    for check, words in QUALITY_CHECKS.items():
        rows = found[found["check"] == check]
        lines += ["", f"【{words}】{len(rows)} 条" if len(rows) else f"【{words}】无"]
        for r in rows.itertuples(index=False):
            where = f"{r.station_name}（{r.station_code}）" + (f" {r.month}" if r.month else "")
            lines += [f"- {where}：{r.why}", f"  涉及记录（{r.n_records} 条）：{shorten(r.records)}"]
            if r.other_records:
                lines.append(f"  另一站点的记录：{shorten(r.other_records)}")
    return "\n".join(lines) + "\n"


def shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "……（完整列表见 --format xlsx）"
