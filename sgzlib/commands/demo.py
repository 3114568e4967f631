"""``sgz demo``: build the seeded demo district into the database."""

from __future__ import annotations

from .. import demo, storage
from ..cli import add_db_argument


def register(sub) -> None:
    p = sub.add_parser("demo", help="生成示范区（云岭区）演示数据并写入数据库",
                       description="用固定随机种子生成示范区演示数据（1 个县区总站、7 个乡镇街道站及村社区室，"
                                   "2025 年全年台账），写入数据库；重复运行结果相同。")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    engine = storage.connect(args.db)
    summary = storage.write_dataset(engine, demo.build(), prune=True, scope=None)
    counts = summary.counts()
    print(f"示范区「{demo.DISTRICT}」已写入 {storage.database_url(args.db)}")
    print(counts.to_string(index=False))
    if not summary.changed_anything:
        print("数据库已是最新，未做任何修改。")
    return 0
