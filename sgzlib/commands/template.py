"""``sgz template OUT.xlsx``: write the blank ledger workbook."""

from __future__ import annotations

from .. import ledger
from . import summary


def register(sub) -> None:
    p = sub.add_parser("template", help=summary("template"),
                       description="生成空白台账工作簿：第一个工作表「说明」逐表逐列说明填写要求，其后每类台账一个工作表，"
                                   "表头冻结，枚举列和是/否列带下拉列表，日期列为日期格式，编码列为文本格式。")
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")
    p.set_defaults(func=run)


def run(args) -> int:
    path = ledger.write_template(args.out)
    print(f"空白台账模板已写入 {path}")
    return 0
