"""``sgz report station|assessment|district|digest``: run the report notebooks through papermill."""

from __future__ import annotations

import sys

from ..cli import add_db_argument
from ..domain.asof import DEFAULT_TEXT
from ..errors import ConfigError
from ..reports import batch, index, jobs
from ..reports.batch import FORMATS, default_formats
from ..reports.jobs import KIND_NAMES, kernel_env
from ..runtime.browser import CHROMIUM_ENV_VAR
from . import summary

KINDS = {
    "station": ("督导报告：每个社工站一份（指标进度、需关注个案与小组、服务成效、佐证问题、行动项、建议议程）",
                "STATION", "站点编码（可写多个）"),
    "assessment": ("年终评估：每个项目一份（逐项评分、佐证与未计入记录、前后测统计），另附可批注的 Excel 评分表",
                   "PROJECT", "项目编码，或站点编码（取其截至日期所在年度的项目）"),
    "district": ("区县概览：站点 × 指标状态热力图、站点排名、月度趋势、建议走访站点", "DISTRICT",
                 "区县名称（所属区县）或县区总站编码"),
    "digest": ("督导简报：一位督导者所督导的各站每站一页（最需讨论的议程、逾期行动项、自上次督导以来的变化）",
               "STATION", "站点编码（可写多个，合成一份简报；或用 --supervisor 按督导者）"),
}


def register(sub) -> None:
    p = sub.add_parser("report", help=summary("report"),
                       description="用 papermill 运行报告笔记本，为一个或全部站点生成报告：执行后的 .ipynb、"
                                   "可离线打开的 HTML（不访问任何外部网址；图表脚本 plotly.js 每个文件夹只存一份，"
                                   "复制报告时连同所在文件夹一起复制）和 PDF。多份报告按 CPU 核数并行。"
                                   "离开站点的报告（区县概览、年终评估）中的姓名、电话、身份证号一律脱敏。")
    kinds = p.add_subparsers(dest="kind", metavar="报告类型", title="报告类型", required=True)
    for kind, (help_text, metavar, target_help) in KINDS.items():
        k = kinds.add_parser(kind, help=help_text, description=help_text)
        k.add_argument("targets", nargs="*", metavar=metavar, help=target_help)
        k.add_argument("--all", action="store_true",
                       help="全部" + {"station": "乡镇（街道）社工站", "assessment": "项目", "district": "区县",
                                     "digest": "督导者（每人一份）"}[kind])
        if kind != "district":
            k.add_argument("--district", metavar="区县", help="与 --all 同用：只取该区县（名称或县区总站编码）")
        k.add_argument("--as-of", metavar="日期", help="截至日期（默认：" + (
            "各项目的结束日期" if kind == "assessment" else DEFAULT_TEXT) + "）；可写 2025-10-31 或 2025年10月31日")
        if kind == "assessment":
            k.add_argument("--scoring", metavar="FILE",
                           help="评估方的评分细则（YAML，示例见 sgzlib/data/scoring-example.yaml）；"
                                "不给时只报告达标 / 未达标 / 待核验与各领域完成情况，不计总分")
        if kind == "digest":
            k.add_argument("--supervisor", action="append", metavar="姓名",
                           help="督导者姓名（督导记录中的「督导者」）：简报包括其督导过的全部站点；可写多次，每人一份")
        if kind == "station":
            k.add_argument("--period", choices=("month", "quarter"), default="month",
                           help="督导周期：month 按月（默认）或 quarter 按季度")
            k.add_argument("--unmasked", action="store_true",
                           help="不脱敏（仅限站点自用的督导报告；报告上会醒目标明）")
            k.add_argument("--max-open-cases", type=int, metavar="N",
                           help="社工个案负荷：在案个案超过 N 个的社工标为个案过多（默认 15）")
        add_db_argument(k)
        k.add_argument("--out", metavar="目录", default="out", help="输出目录（默认 out/，按报告类型分子目录）")
        k.add_argument("--format", metavar="格式",
                       help="输出格式，逗号分隔：ipynb、html、pdf（默认全部；找不到 Chromium 时不生成 PDF）")
        k.add_argument("--jobs", type=int, metavar="N", help="并行数（默认为 CPU 核数）")
        k.add_argument("--quiet", action="store_true", help="不显示进度条")
        k.set_defaults(func=run)


def formats(text: str | None) -> tuple[str, ...]:
    if text is None:
        return default_formats()
    chosen = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise ConfigError(f"输出格式「{text}」无效：可选 {'、'.join(FORMATS)}，用逗号分隔")
    return chosen


def build_jobs(args) -> list:
    if args.kind == "digest":
        chosen = [bool(args.targets), bool(args.supervisor), bool(args.all)]
        if sum(chosen) != 1:
            raise ConfigError("督导简报：请给出站点编码、--supervisor 督导者姓名或 --all（三者选一）")
        if args.district and not args.all:
            raise ConfigError("--district 只能与 --all 同用")
        return jobs.digest_jobs(args.db, args.targets or None, args.as_of, args.supervisor, args.district)
    if bool(args.targets) == bool(args.all):
        raise ConfigError("请给出要生成报告的编码，或使用 --all（二者选一）")
    targets = None if args.all else args.targets
    if args.kind == "station":
        if args.max_open_cases is not None and args.max_open_cases < 0:
            raise ConfigError(f"--max-open-cases 应为不小于 0 的整数（现为 {args.max_open_cases}）")
        return jobs.station_jobs(args.db, targets, args.as_of, args.period, args.unmasked, args.district,
                                 args.max_open_cases)
    if args.kind == "assessment":
        return jobs.assessment_jobs(args.db, targets, args.as_of, args.district, scoring=args.scoring)
    return jobs.district_jobs(args.db, targets, args.as_of)


def run(args) -> int:
    chosen = formats(args.format)
    if args.format is None and "pdf" not in chosen:
        print(f"未找到 Chromium 浏览器（或 {CHROMIUM_ENV_VAR} 指定的路径不存在）：本次只生成 ipynb 和 HTML，不生成 PDF；"
              "运行 sgz doctor 查看如何启用 PDF。", file=sys.stderr)
    todo = build_jobs(args)
    if not todo:
        print(f"没有可生成{KIND_NAMES[args.kind]}的对象。", file=sys.stderr)
        return 1
    if args.kind == "station" and args.unmasked:
        print("注意：--unmasked 生成的督导报告含未脱敏个人信息，仅限站内使用。", file=sys.stderr)
    results = batch.run_jobs(todo, args.out, formats=chosen, workers=args.jobs, progress=not args.quiet,
                             env=kernel_env(args.db))
    for r in results:
        if r.ok and "record" in r.files:
            print(f"督导记录工作簿（预填本次议程，督导后填写并用 sgz import 导入）：{r.files['record']}")
    failed = [r for r in results if not r.ok]
    batch.record_batch(args.db, todo, results, args.out, masked=not (args.kind == "station" and args.unmasked))
    page = index.record(args.out, index.entries_for(results, args.out, args.db))
    for r in results:
        if r.ok:
            print(r.describe())
    for r in failed:
        print(r.describe(), file=sys.stderr)
    print(f"{KIND_NAMES[args.kind]}：成功 {len(results) - len(failed)} 份，失败 {len(failed)} 份；输出目录 {args.out}；"
          f"目录页 {page}", file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
