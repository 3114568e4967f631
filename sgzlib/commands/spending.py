"""``sgz spending``: an evaluator's decision on a spending flag (``overrule``) and the decisions so far (``list``).

Only assembles arguments and calls ``sgzlib.spending_overrules``.
"""

from __future__ import annotations

import sys

from ..cli import add_db_argument
from ..indicators.spending import DECISIONS
from ..store import spending_overrules, storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("spending", help=summary("spending"),
                       description="经费使用核查（sgz evaluate 的“经费使用核查”）提示的每一笔支出，评估方核实后可记录结论："
                                   "“撤销”（核实无问题，撤销提示，不再计入需核查）或“维持”（核实确有问题）。每条结论记录"
                                   "谁、何时、哪笔支出、哪项核查和说明，写入操作记录（sgz audit），并在评估结果和报告中显示。")
    cmds = p.add_subparsers(dest="spending_command", metavar="子命令", required=True)
    o = cmds.add_parser("overrule", help="记录一条复核结论", description="记录评估方对一笔支出某项经费核查提示的复核结论。")
    add_db_argument(o)
    o.add_argument("record", metavar="记录编号", help="经费支出的记录编号，如 YL01-E03")
    o.add_argument("check_id", metavar="核查编号", help="经费核查编号，如 ZL-JF-01")
    o.add_argument("decision", metavar="结论", help="撤销（核实无问题）或 维持（核实确有问题）")
    o.add_argument("--note", metavar="说明", required=True, help="核实了什么，如“已核对发票，为打印机租赁费”")
    o.add_argument("--who", metavar="评估人", help="评估人（默认：数据库登录名或系统用户名）")
    o.set_defaults(func=run_overrule)
    ls = cmds.add_parser("list", help="列出复核结论", description="按时间列出全部复核结论（同一笔支出同一核查以最后一条为准）。")
    add_db_argument(ls)
    ls.add_argument("--station", metavar="CODE", help="只看该站点")
    ls.set_defaults(func=run_list)


def run_overrule(args) -> int:
    done = spending_overrules.overrule(storage.connect(args.db), who=args.who, record=args.record,
                                       check_id=args.check_id, decision=args.decision, note=args.note)
    print(done.text)
    return 0


def run_list(args) -> int:
    rows = spending_overrules.load(storage.connect(args.db), [args.station] if args.station else None)
    if rows.empty:
        print("还没有复核结论。")
        return 0
    for r in rows.itertuples():
        sys.stdout.write(f"{r.at:%Y-%m-%d %H:%M}  {r.login}  {r.station_code}  {r.expense_code}  {r.check_id}  "
                         f"{DECISIONS.get(r.decision, r.decision)}：{r.note}\n")
    return 0
