"""``sgz audit [--since DATE] [--station CODE]``: the audit trail (imports, exports, report batches, access changes)."""

from __future__ import annotations

from ..cli import add_db_argument
from ..domain.dates import require_date
from ..store import audit, storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("audit", help=summary("audit"),
                       description="列出操作记录（导入、导出、报告批次、权限变更）：时间、账号、文件及其 SHA-256、"
                                   "涉及站点、新增/修改/删除行数、是否试运行、是否脱敏。记录与所记的操作在同一事务中写入，"
                                   "只增不改。")
    add_db_argument(p)
    p.add_argument("--since", metavar="DATE", help="只列出该日期（含）以后的记录，如 2026-01-01")
    p.add_argument("--station", metavar="CODE", help="只列出涉及该站点的记录")
    p.set_defaults(func=run)


def run(args) -> int:
    since = require_date(args.since, "起始日期") if args.since else None
    frame = audit.read(storage.connect(args.db), since, args.station)
    if frame.empty:
        print("没有符合条件的操作记录。")
        return 0
    print(audit.display(frame).to_string(index=False))
    print(f"共 {len(frame)} 条记录。")
    return 0
