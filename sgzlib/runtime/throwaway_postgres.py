"""A throwaway PostgreSQL server for the tests and benchmarks: a new cluster in a temporary folder, a free port.

    server = throwaway_postgres.start()     # ConfigError (in Chinese) when it cannot
    ... server.url ...                      # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
    server.stop()                           # the server stopped and its folder removed

The server programs are found on the ``PATH`` (``initdb`` and ``pg_ctl``), or else, where Debian's
postgresql-common is on the ``PATH`` (``pg_ctlcluster``), in its newest ``/usr/lib/postgresql/N/bin``: that
is where ``apt-get install postgresql`` puts them, off the ``PATH``. The cluster trusts local connections
and listens on 127.0.0.1 only. ``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` user (through ``runuser``), whom the Debian package creates.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .processes import free_port

DEBIAN_ROOT = Path("/usr/lib/postgresql")
TIMEOUT = 120  # seconds for initdb or a start on a loaded machine


def bindir() -> Path | None:
    """The folder of the PostgreSQL server programs, or ``None`` when this machine has no server."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    if shutil.which("pg_ctlcluster") and DEBIAN_ROOT.is_dir():
        found = [p.parent for p in DEBIAN_ROOT.glob("*/bin/initdb") if re.fullmatch(r"\d+", p.parent.parent.name)]
        if found:
            return max(found, key=lambda p: int(p.parent.name))
    return None


@dataclass
class Server:
    """A running throwaway cluster: its URL, and what ``stop`` needs."""

    url: str
    folder: Path
    pg_ctl: Path
    as_user: tuple[str, ...]
    env: dict

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended) and remove its folder."""
        try:
            subprocess.run([*self.as_user, str(self.pg_ctl), "-D", str(self.folder / "data"), "-m", "fast", "-w",
                            "stop"], capture_output=True, env=self.env, timeout=TIMEOUT, check=False)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(env: dict | None = None) -> Server:
    """Create and start a cluster; ``env``: the environment of the server's processes (default ours)."""
    programs = bindir()
    if programs is None:
        raise ConfigError("找不到 PostgreSQL 服务器程序（PATH 中没有 initdb 和 pg_ctl，也没有 Debian 的 pg_ctlcluster）："
                          "请安装 postgresql（Debian / Ubuntu：sudo apt-get install -y postgresql）")
    env = dict(os.environ if env is None else env)
    folder = Path(tempfile.mkdtemp(prefix="sgz-pg-"))
    as_user: tuple[str, ...] = ()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        as_user = _as_postgres(folder)
    data, port = folder / "data", free_port()
    server = Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", folder, programs / "pg_ctl", as_user,
                    env)
    try:
        _run([*as_user, str(programs / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8"], env, "initdb")
        _run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
              "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {folder}", "-w", "start"], env, "pg_ctl start")
    except BaseException:
        server.stop()
        raise
    return server


def _as_postgres(folder: Path) -> tuple[str, ...]:
    import pwd

    runuser = shutil.which("runuser")
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        user = None
    if runuser is None or user is None:
        shutil.rmtree(folder, ignore_errors=True)
        raise ConfigError("以 root 运行时 PostgreSQL 须以 postgres 用户启动，但找不到 runuser 或 postgres 用户："
                          "请安装 postgresql（Debian / Ubuntu 的软件包会建立该用户），或以普通用户运行")
    os.chown(folder, user.pw_uid, user.pw_gid)
    return (runuser, "-u", "postgres", "--")


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"临时 PostgreSQL 的 {what} 未能完成：{exc}") from exc
    if done.returncode != 0:
        raise ConfigError(f"临时 PostgreSQL 的 {what} 失败（退出码 {done.returncode}）："
                          f"{(done.stderr or done.stdout).strip()[-500:]}")
