"""``sgz lab``: open JupyterLab on a workspace folder, with the analysis gallery and the sgz kernel."""

from __future__ import annotations

import signal
import sys
import webbrowser
from pathlib import Path

from ..cli import add_db_argument
from ..dashboards.lab import DEFAULT_PORT, DEFAULT_WORKSPACE, LabServer, prepare_workspace
from ..store import storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser(
        "lab", help=summary("lab"),
        description="在本机 127.0.0.1 上启动 JupyterLab，打开工作台文件夹（默认当前目录下的「工作台」）。"
                    "第一次使用时把分析范例（个案分析、小组分析、成效分析、指标追踪）复制进去，已有的文件不会被覆盖。"
                    "笔记本中用 import sgzlib as sgz; wb = sgz.open() 读取数据库（地址由本命令通过环境变量传给内核，"
                    "不写入笔记本）；姓名默认遮蔽。按 Ctrl+C 停止。")
    add_db_argument(p)
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    p.add_argument("--workspace", metavar="DIR", default=str(DEFAULT_WORKSPACE),
                   help=f"工作台文件夹（默认 {DEFAULT_WORKSPACE}/）")
    p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器，只显示地址")
    p.set_defaults(func=run)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def run(args) -> int:
    engine = storage.connect(args.db)  # migrate now, so a bad address fails here in Chinese, not in a kernel
    engine.dispose()
    workspace = Path(args.workspace)
    copy = prepare_workspace(workspace)
    server = LabServer(args.db, port=args.port, workspace=workspace)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.start()
        server.wait_ready()
        print(f"JupyterLab 已启动，数据库：{storage.database_url(args.db)}")
        print(f"工作台文件夹：{server.workspace}")
        if copy.copied:
            print(f"已复制分析范例：{'、'.join(copy.copied)}")
        print(f"在浏览器中打开：{server.url}")
        print("按 Ctrl+C 停止。", flush=True)
        if not args.no_browser:
            webbrowser.open(server.url)
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
        print("\nJupyterLab 已停止。", flush=True)
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print(f"JupyterLab 意外退出（退出码 {server.process.returncode}）。", file=sys.stderr)
    return 1
