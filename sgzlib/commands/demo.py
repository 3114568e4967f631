"""``sgz demo``: build the seeded demo district into the database."""

from __future__ import annotations

from ..cli import add_db_argument
from ..demo import district as demo
from ..demo.photos import write_photos
from ..store import storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("demo", help=summary("demo"),
                       description="用固定随机种子生成示范区演示数据（1 个县区总站、7 个乡镇街道站及村社区室，"
                                   "2025 年全年台账），写入数据库；重复运行结果相同。")
    add_db_argument(p)
    p.add_argument("--photos", metavar="DIR", help="同时生成示范区的照片文件夹（DIR/YL02/2025-MM/…，含故意埋的照片问题），"
                                                  "之后用 sgz photos scan DIR 建立索引")
    p.set_defaults(func=run)


def run(args) -> int:
    engine = storage.connect(args.db)
    ds = demo.build()
    summary = storage.write_dataset(engine, ds, prune=True, scope=None)
    counts = summary.counts()
    print(f"示范区「{demo.DISTRICT}」已写入 {storage.database_url(args.db)}")
    print(counts.to_string(index=False))
    if not summary.changed_anything:
        print("数据库已是最新，未做任何修改。")
    if args.photos:
        done = write_photos(ds, args.photos)
        print(f"照片文件夹 {args.photos}：写入 {done['written']} 张，未变 {done['unchanged']} 张")
    return 0
