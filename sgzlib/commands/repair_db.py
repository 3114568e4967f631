"""``sgz repair-db``: complete a database whose first creation was interrupted."""

from __future__ import annotations

from ..cli import add_db_argument
from ..store import storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("repair-db", help=summary("repair-db"),
                       description="第一次建库时被中断、表中已有数据而无法自动补全的数据库：补建缺少的表并记下结构版本。"
                                   "已建好的数据库不做任何修改。执行前请先备份数据库。")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    engine = storage.connect(args.db, upgrade=False)
    created = storage.repair_schema(engine)
    storage.upgrade_schema(engine)
    if created:
        print(f"已补建：{'、'.join(created)}；数据库结构已是最新。")
    else:
        print("数据库结构已是最新，未做修改。")
    return 0
