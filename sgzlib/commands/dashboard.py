"""``sgz dashboard``: serve the three dashboards with Voila on this computer."""

from __future__ import annotations

import signal
import sys

import sqlalchemy as sa

from ..cli import add_db_argument
from ..dashboards.server import (
    DASHBOARDS,
    DEFAULT_CULL_SECONDS,
    DEFAULT_POOL_SIZE,
    DEFAULT_PORT,
    NO_TOKEN_WARNING,
    DashboardServer,
    absolute_url,
)
from ..dashboards.voila_main import DEFAULT_MAX_KERNELS, DEFAULT_QUEUE_SECONDS
from ..domain.dates import require_date
from ..errors import ConfigError
from ..store import storage
from ..store.db import SQL_TABLES
from . import summary


def register(sub) -> None:
    p = sub.add_parser(
        "dashboard", help=summary("dashboard"),
        description="在本机 127.0.0.1 上启动看板服务（Voila），用浏览器打开显示的地址（带令牌 ?token=…）即可。"
                    "看板只显示图表和筛选控件，不显示也不执行代码；服务对象姓名已遮蔽。按 Ctrl+C 停止。")
    add_db_argument(p)
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    p.add_argument("--as-of", metavar="日期", help="看板默认的截至日期（默认：正在进行的项目周期内最近一次有记录的日期，与报告和命令行相同）")
    p.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE, metavar="N",
                   help=f"每个看板预先启动的内核数（默认 {DEFAULT_POOL_SIZE}；多人同时使用时可调大，0 表示不预热）")
    p.add_argument("--max-kernels", type=int, default=DEFAULT_MAX_KERNELS, metavar="N",
                   help=f"同时运行的内核上限（含预热的；默认 {DEFAULT_MAX_KERNELS}，每个约占 200 MB 内存）；"
                        "超出时新访问先腾出已关闭页面的内核，否则排队等候")
    p.add_argument("--queue-seconds", type=float, default=DEFAULT_QUEUE_SECONDS, metavar="秒",
                   help=f"内核已满时一次访问最多等候的秒数（默认 {DEFAULT_QUEUE_SECONDS:g}），之后提示稍后再试")
    p.add_argument("--cull-seconds", type=int, default=DEFAULT_CULL_SECONDS, metavar="秒",
                   help=f"页面关闭后，其内核空闲多少秒即停止（默认 {DEFAULT_CULL_SECONDS}）")
    p.add_argument("--host-name", action="append", default=[], metavar="主机名",
                   help="除 127.0.0.1 和 localhost 外，允许访问看板时使用的主机名（可写多次；如经反向代理访问）")
    p.add_argument("--no-token", action="store_true",
                   help="不用令牌（本机任何程序和用户都能打开看板；只在一人使用的电脑上、且不用 --host-name 时可以）")
    p.set_defaults(func=run)


class _Stop(Exception):
    """SIGTERM or SIGHUP reached ``sgz dashboard``: stop like Ctrl+C."""


def _raise_stop(signum, frame):
    raise _Stop(signum)


def run(args) -> int:
    as_of = require_date(args.as_of, "截至日期").isoformat() if args.as_of else None
    url = absolute_url(args.db)
    engine = storage.connect(url)  # migrate now, so a bad address fails here in Chinese, not inside a kernel
    with engine.connect() as conn:
        empty = not conn.execute(sa.select(sa.func.count()).select_from(SQL_TABLES["stations"])).scalar()
    engine.dispose()
    if args.cull_seconds < 10:
        raise ConfigError("--cull-seconds 至少为 10 秒（页面打开后要先连上内核）")
    server = DashboardServer(url, port=args.port, as_of=as_of, pool_size=args.pool_size,
                             cull_seconds=args.cull_seconds, max_kernels=args.max_kernels,
                             queue_seconds=args.queue_seconds, host_names=tuple(args.host_name),
                             no_token=args.no_token)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        server.start()
        server.wait_ready()
        print(f"看板已启动，数据库：{storage.database_url(args.db)}")
        print(f"在浏览器中打开（地址中带令牌，请勿外传）：{server.url}" if server.token else f"在浏览器中打开：{server.url}")
        for d in DASHBOARDS:
            print(f"  {d.title}：{server.page_url(d.path)}")
        if empty:
            print("提示：数据库中还没有站点数据，请先导入台账，或运行 sgz demo 生成演示数据。")
        if not server.token:
            print(NO_TOKEN_WARNING, file=sys.stderr)
        print("按 Ctrl+C 停止。", flush=True)
        server.process.wait()
    except (KeyboardInterrupt, _Stop):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        server.stop()
        print("\n看板已停止。", flush=True)
        return 0
    finally:
        server.stop()
        for sig, handler in (*previous.items(), (signal.SIGINT, signal.default_int_handler)):
            signal.signal(sig, handler)
    print(f"看板服务意外退出（退出码 {server.process.returncode}），请查看上面的日志。", file=sys.stderr)
    return 1
