"""``sgz privacy check``: the linkage audit of every masked output (``reports.privacy_check``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..cli import add_db_argument
from ..dashboards import privacy_outputs
from ..domain import personal
from ..reports import privacy_check
from ..store import privacy_audit, storage
from . import summary

AUDIENCES = {label: key for key, label in personal.AUDIENCE_LABELS.items() if key != personal.STATION}


def register(sub) -> None:
    p = sub.add_parser("privacy", help=summary("privacy"),
                       description="个人信息保护的检查。")
    actions = p.add_subparsers(dest="action", metavar="操作", title="操作", required=True)
    c = actions.add_parser(
        "check", help="像一个执意还原的读者那样读取全部脱敏输出，查找可还原的身份证号、电话、姓名和出生日期",
        description="生成数据库的全部脱敏输出（脱敏导出、督导报告、年终评估及评分表、区县概览、督导简报、看板下载，"
                    "以及 --masked-db 给出的脱敏账号在 PostgreSQL 中能读到的视图和列），然后逐一尝试还原："
                    "原样出现的号码和姓名（含空格、全角空格、零宽字符、间隔点写法，全库所有站点的人）、"
                    "地区码＋出生日期（或年份）＋末位拼出身份证号并核对校验码、同一人在各输出中显示的部分合起来。"
                    "发现任何一项即以退出码 1 结束，并列出输出、人员编码和还原方式（不显示真实值）。"
                    "也可用 --files 只检查给定的文件。")
    add_db_argument(c)
    c.add_argument("--out", metavar="目录", help="生成的输出放在这里（默认：临时目录，检查后删除）")
    c.add_argument("--as-of", metavar="日期", help="报告和看板的截至日期（默认与报告相同）")
    c.add_argument("--masked-db", metavar="URL", help="一个脱敏账号（如评估方）的 PostgreSQL 地址：一并检查它能读到的一切")
    c.add_argument("--no-reports", action="store_true", help="不生成报告（只检查导出、看板和脱敏账号，较快）")
    c.add_argument("--station", action="append", metavar="CODE",
                   help="只为这些乡镇（街道）站单独导出和生成报告（可写多次；默认全部；全库导出和看板数据总是包括全部站点）")
    c.add_argument("--files", nargs="+", metavar="文件", help="只检查这些文件（xlsx、html、csv、json、txt），不生成输出")
    c.add_argument("--audience", choices=list(AUDIENCES), default=personal.AUDIENCE_LABELS[personal.EXTERNAL],
                   help="与 --files 同用：这些文件的读者（对外：任何人的姓名都应遮蔽；督导：驻站人员和督导者可显示姓名）")
    c.add_argument("--jobs", type=int, metavar="N", help="生成报告的并行数（默认为 CPU 核数）")
    c.set_defaults(func=run)


def run(args) -> int:
    if args.files:
        engine = storage.connect(args.db)
        try:
            secrets = privacy_audit.Secrets.of(storage.load_dataset(engine))
        finally:
            engine.dispose()
        outputs = [privacy_audit.read_file(Path(f), AUDIENCES[args.audience]) for f in args.files]
        findings = privacy_audit.audit(outputs, secrets)
        tried = privacy_audit.Tried.of(outputs, secrets)
    else:
        url = storage.database_url(args.db)
        with tempfile.TemporaryDirectory(prefix="sgz-privacy-") as scratch:
            out = Path(args.out) if args.out else Path(scratch)
            result = privacy_check.check(url, out, args.as_of, args.masked_db, not args.no_reports, args.jobs,
                                         args.station, boards=privacy_outputs.downloads)
        findings, tried = result.findings, result.tried
    print(f"隐私关联检查：{tried.describe()}。")
    if not findings:
        print("结果：没有发现可还原的身份证号、电话、姓名或出生日期。")
        return 0
    print(f"结果：发现 {len(findings)} 处可还原的个人信息：")
    for f in findings:
        print(f"  {f.describe()}")
    return 1
