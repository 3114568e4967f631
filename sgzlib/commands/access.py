"""``sgz access apply FILE``: users, roles, row-level security and masked views in PostgreSQL (``sgzlib.store.access``)."""

from __future__ import annotations

from pathlib import Path

from ..cli import add_db_argument
from ..errors import ConfigError
from ..store import access, audit, storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("access", help=summary("access"),
                       description="按用户与角色文件（YAML，示例见 data/access-example.yaml）在 PostgreSQL 中为每个用户"
                                   "建立登录账号、按角色建立组角色，对每张表按站点范围启用行级安全，脱敏用户只能通过脱敏视图"
                                   "读取姓名、电话、身份证号等个人信息。重复执行结果相同；从文件中删去的用户被停用。"
                                   "须由数据库所有者执行；SQLite 不支持。")
    actions = p.add_subparsers(dest="access_action", metavar="操作", title="操作")
    a = actions.add_parser("apply", help="按文件建立或更新账号与权限（同一事务，全部成功或全部不做）")
    a.add_argument("file", metavar="FILE.yaml", help="用户与角色文件")
    add_db_argument(a)
    a.set_defaults(func=run_apply)
    c = actions.add_parser("check", help="只检查用户与角色文件，不连接数据库")
    c.add_argument("file", metavar="FILE.yaml", help="用户与角色文件")
    c.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: p.print_help() or 0)


def run_check(args) -> int:
    spec = access.load(args.file)
    print(f"{args.file}：{len(spec.users)} 个用户，格式正确。")
    for u in spec.users:
        print(f"  {_line(u)}")
    return 0


def run_apply(args) -> int:
    spec = access.load(args.file)
    engine = storage.connect(args.db)
    if engine.dialect.name != "postgresql":
        raise ConfigError("访问控制需要 PostgreSQL：SQLite 数据库只在一台电脑上使用，没有数据库账号可分配。"
                          "请用 --db postgresql+psycopg://… 指定 PostgreSQL 数据库")
    summary = access.apply(engine, spec, Path(args.file).name, audit.file_sha256(args.file))
    print(f"已按 {args.file} 设置访问权限：{summary.describe()}")
    for u in spec.users:
        print(f"  {_line(u)}")
    if summary.added:
        print("新账号没有密码：请由管理员设置（如 psql 中 \\password 登录名），或按服务器的认证方式登录。")
    return 0


def _line(u: access.User) -> str:
    scope = "全部站点" if u.all_stations else "、".join(
        [f"站点 {s}（含下属）" for s in u.stations] + [f"区县 {d}" for d in u.districts])
    return f"{u.login}  {u.role}  {scope}  {'脱敏' if u.masked else '不脱敏'}{'  只读' if not u.writes else ''}"
