"""``sgz dashboard``: serve the three dashboards with Voila on this computer."""

from __future__ import annotations

import sys

import sqlalchemy as sa

from .. import storage
from ..cli import add_db_argument
from ..dashboards.server import DASHBOARDS, DEFAULT_POOL_SIZE, DEFAULT_PORT, DashboardServer, absolute_url
from ..dates import require_date
from ..db import SQL_TABLES


def register(sub) -> None:
    p = sub.add_parser(
        "dashboard", help="打开看板（项目进度、服务成效、个案与小组督导），在浏览器中查看",
        description="在本机 127.0.0.1 上启动看板服务（Voila），用浏览器打开显示的地址即可。看板只显示图表和筛选控件，"
                    "不显示也不执行代码；服务对象姓名已遮蔽。按 Ctrl+C 停止。")
    add_db_argument(p)
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    p.add_argument("--as-of", metavar="日期", help="看板默认的截至日期（默认：正在进行的项目周期内最近一次有记录的日期，与报告和命令行相同）")
    p.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE, metavar="N",
                   help=f"每个看板预先启动的内核数（默认 {DEFAULT_POOL_SIZE}；多人同时使用时可调大，0 表示不预热）")
    p.set_defaults(func=run)


def run(args) -> int:
    as_of = require_date(args.as_of, "截至日期").isoformat() if args.as_of else None
    url = absolute_url(args.db)
    engine = storage.connect(url)  # migrate now, so a bad address fails here in Chinese, not inside a kernel
    with engine.connect() as conn:
        empty = not conn.execute(sa.select(sa.func.count()).select_from(SQL_TABLES["stations"])).scalar()
    engine.dispose()
    server = DashboardServer(url, port=args.port, as_of=as_of, pool_size=args.pool_size)
    server.start()
    try:
        server.wait_ready()
        print(f"看板已启动，数据库：{storage.database_url(args.db)}")
        print(f"在浏览器中打开：{server.url}")
        for d in DASHBOARDS:
            print(f"  {d.title}：{server.page_url(d.path)}")
        if empty:
            print("提示：数据库中还没有站点数据，请先导入台账，或运行 sgz demo 生成演示数据。")
        print("按 Ctrl+C 停止。", flush=True)
        server.process.wait()
    except KeyboardInterrupt:
        print("\n看板已停止。")
        return 0
    finally:
        server.stop()
    print(f"看板服务意外退出（退出码 {server.process.returncode}），请查看上面的日志。", file=sys.stderr)
    return 1
