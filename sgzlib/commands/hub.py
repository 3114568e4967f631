"""``sgz hub password LOGIN --file FILE``: set a dashboard user's password, kept as an argon2 hash (``dashboards.hub``)."""

from __future__ import annotations

import getpass
import sys

from ..errors import ConfigError
from . import summary


def register(sub) -> None:
    p = sub.add_parser("hub", help=summary("hub"),
                       description="多用户看板（JupyterHub）的设置。")
    actions = p.add_subparsers(dest="action", metavar="操作", title="操作", required=True)
    pw = actions.add_parser(
        "password", help="设置一个用户的看板登录密码（只保存哈希，不保存明文）",
        description="设置一个用户的看板登录密码：输入两次，看板密码文件中只保存其 argon2 哈希（文件权限 600）。"
                    "登录名须是用户与角色文件中的；文件不存在时新建，已有该用户时替换。")
    pw.add_argument("login", metavar="登录名", help="用户与角色文件中的 login")
    pw.add_argument("--file", required=True, metavar="文件", help="看板密码文件（YAML，SGZ_HUB_PASSWORDS 指向它）")
    pw.add_argument("--stdin", action="store_true", help="从标准输入读一行作为密码（用于脚本；默认交互输入两次）")
    pw.set_defaults(func=run)


def run(args) -> int:
    from ..dashboards import hub  # JupyterHub (the hub extra) only for this command: keeps start-up fast

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"{args.login} 的看板密码（至少 {hub.MIN_PASSWORD} 个字符）：")
        if getpass.getpass("再输入一次：") != password:
            raise ConfigError("两次输入的密码不一致，没有修改密码文件")
    hub.set_password(args.file, args.login, password)
    print(f"已设置 {args.login} 的看板密码（{args.file} 中只保存哈希）。")
    return 0
