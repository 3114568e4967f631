"""Serving the dashboards with Voila: the command line, the environment, start, wait and stop.

``sgz dashboard``, the browser tests and the benchmark all start Voila the
same way, through ``DashboardServer``: on 127.0.0.1 only, on exactly the port
asked for (``port_retries=0``), with the notebook source stripped, tracebacks
hidden, template and theme fixed (no override from the address bar), and a
pool of preheated kernels per dashboard so a visit gets an already-rendered
page. Voila itself refuses execute requests from the browser: the page can
only talk to the widgets.

The dashboards read the database named by ``SGZ_DATABASE_URL`` (made
absolute here, since kernels run in another folder) and look from the
date in ``SGZ_DASHBOARD_AS_OF`` when it is set.

A server serves one user (``session``): ``--user`` looked up in ``--access``, or this computer's user as
管理员. It serves the pages of that user's role only: their notebooks are copied into a folder of the
server's own (``pages.prepare_root``), the boards and the home page preheated, the action pages started on
visit; the others' addresses are refused (``voila_main``). Reports written from the pages go to the user's
report folder (``--out``, default ``out/``, the same folder as ``sgz report``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import ConfigError
from ..runtime import processes, resources
from ..store.access import User
from ..store.storage import ENV_VAR as DB_ENV_VAR
from ..store.storage import database_url
from . import ACCESS_ENV, AS_OF_ENV_VAR, REFUSED_ENV, REPORTS_ENV, USER_ENV, pages
from .session import DEFAULT_REPORTS_DIR, resolve_user
from .voila_main import (
    DEFAULT_MAX_KERNELS,
    DEFAULT_QUEUE_SECONDS,
    HOSTS_ENV,
    MAX_KERNELS_ENV,
    QUEUE_SECONDS_ENV,
    ROUTINE,
)

HOST = "127.0.0.1"
TOKEN_ENV = "JUPYTER_TOKEN"
NO_TOKEN_WARNING = ("警告：看板没有令牌（--no-token）。这台电脑上的任何程序、任何登录的用户都能打开看板，"
                    "看到各站点的数据。只在一个人使用、没有其他账号的电脑上这样做；否则去掉 --no-token。")
DEFAULT_PORT = 8866
DEFAULT_POOL_SIZE = 1
DEFAULT_CULL_SECONDS = 120
TEMPLATE = "sgz"
# Lab extensions dashboard pages leave out: jupyterlab-plotly, whose 4.8 MB bundle of the full plotly.js would
# load before the first widget shows (the charts bring their own plotly.js, chart.py); jupyterlab_pygments,
# the colours of code cells, which dashboard pages do not show (strip_sources).
LAB_EXTENSIONS_LEFT_OUT = ("jupyterlab-plotly", "jupyterlab_pygments")
SHARE_DIR = resources.path("dashboards", "share")  # package data: the Voila template
DASHBOARD_DIR = resources.path("dashboards", "notebooks")


@dataclass(frozen=True)
class Dashboard:
    """One dashboard notebook and its Chinese title."""

    path: str
    title: str


DASHBOARDS = (
    Dashboard("progress.ipynb", "项目进度看板"),
    Dashboard("outcomes.ipynb", "服务成效看板"),
    Dashboard("cases.ipynb", "个案与小组督导看板"),
)


def absolute_url(url: str | None = None) -> str:
    """The database URL with a relative SQLite path made absolute (kernels do not share our folder)."""
    url = database_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"数据库地址无效：{url}（{exc}）") from exc
    path = parsed.database
    if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" and not Path(path).is_absolute():
        return parsed.set(database=str(Path(path).resolve())).render_as_string(hide_password=False)
    return url


def voila_argv(port: int, pool_size: int = DEFAULT_POOL_SIZE, root: Path = DASHBOARD_DIR,
               log_level: str = "WARN", fill_delay: float = 4.0, cull_seconds: int = DEFAULT_CULL_SECONDS,
               unpooled: tuple[str, ...] = (), token: bool = False) -> list[str]:
    """The Voila command line serving every page notebook in ``root`` (``unpooled`` ones are not preheated);
    ``token``: pages need the token in ``JUPYTER_TOKEN`` (``voila_env``), never written on the command line, where
    any local user could read it."""
    preheat = pool_size > 0
    login = ["--Voila.auto_token=True",
             "--Voila.identity_provider_class=sgzlib.dashboards.voila_main.TokenIdentityProvider"] if token else []
    return [
        sys.executable, "-m", "sgzlib.dashboards.voila_main", str(root),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        f"--Voila.log_level={log_level}",
        f"--template={TEMPLATE}",
        "--theme=light",
        "--VoilaConfiguration.classic_tree=True",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in LAB_EXTENSIONS_LEFT_OUT),
        f"--VoilaConfiguration.preheat_kernel={preheat}",
        f"--VoilaConfiguration.default_pool_size={max(pool_size, 0)}",
        # Voila matches these against the notebook's whole path when it fills the pools at start-up
        # (/tmp/sgz-pages-…/upload.ipynb), and against the name relative to root elsewhere: match either.
        *(f"--VoilaKernelManager.preheat_denylist=^(?:.*/)?{re.escape(name)}$" for name in unpooled),
        # Kernels of closed pages (no connection) idle for cull_seconds are stopped; pooled kernels are kept.
        f"--MappingKernelManager.cull_idle_timeout={cull_seconds}",
        f"--MappingKernelManager.cull_interval={max(5, min(60, cull_seconds // 2))}",
        # Refill a pool only after the page that took its kernel has rendered (both compete for the cores).
        f"--VoilaKernelManager.fill_delay={fill_delay:g}",
        *login,
    ]


def voila_env(db_url: str | None = None, as_of: str | None = None, base: dict | None = None,
              max_kernels: int = DEFAULT_MAX_KERNELS, queue_seconds: float = DEFAULT_QUEUE_SECONDS,
              host_names: tuple[str, ...] = (), token: str | None = None) -> dict[str, str]:
    """The environment of the Voila process (inherited by its kernels, but for the token: ``voila_main``)."""
    env = dict(os.environ if base is None else base)
    env.pop(TOKEN_ENV, None)
    if token:
        env[TOKEN_ENV] = token
    env[MAX_KERNELS_ENV] = str(max_kernels)
    env[QUEUE_SECONDS_ENV] = f"{queue_seconds:g}"
    env[HOSTS_ENV] = ",".join(host_names)
    env[DB_ENV_VAR] = absolute_url(db_url)
    if as_of:
        env[AS_OF_ENV_VAR] = str(as_of)
    else:
        env.pop(AS_OF_ENV_VAR, None)
    paths = [str(SHARE_DIR)] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def user_env(user: User, access_file: str | os.PathLike | None, reports_dir: str | os.PathLike) -> dict[str, str]:
    """What the server and its kernels know of their user: login, access file, report folder, refused pages."""
    env = {USER_ENV: user.login, REPORTS_ENV: str(Path(reports_dir).resolve()),
           REFUSED_ENV: ",".join(p.name for p in pages.refused(user.role))}
    if access_file:
        env[ACCESS_ENV] = str(Path(access_file).resolve())
    return env


def served_pages(role: str) -> tuple[list[pages.Page], tuple[str, ...]]:
    """The pages a role's server serves, and the notebooks of those not preheated."""
    mine = pages.allowed(role)
    return mine, tuple(p.notebook for p in mine if not p.pooled)


def port_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on ``host:port`` and we may bind it.

    Bound as Voila (tornado) binds, with ``SO_REUSEADDR``: connections of a stopped server left in
    TIME_WAIT do not hold the port, only a listening socket does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A loopback port nobody uses right now (``processes.free_port``)."""
    return processes.free_port(host)


class DashboardServer(processes.Served):
    """A Voila process serving the dashboards; a context manager that stops it on exit."""

    def __init__(self, db_url: str | None = None, port: int = DEFAULT_PORT, as_of: str | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE, root: Path = DASHBOARD_DIR, log_path: Path | None = None,
                 log_level: str = "WARN", fill_delay: float = 4.0, cull_seconds: int = DEFAULT_CULL_SECONDS,
                 max_kernels: int = DEFAULT_MAX_KERNELS, queue_seconds: float = DEFAULT_QUEUE_SECONDS,
                 host_names: tuple[str, ...] = (), token: str | None = None, no_token: bool = False,
                 user: str | None = None, access_file: str | None = None,
                 reports_dir: str | os.PathLike = DEFAULT_REPORTS_DIR):
        if no_token and host_names:
            raise ConfigError("--no-token 只能用于只在本机 127.0.0.1 上打开的看板：给了 --host-name，"
                              "看板会经反向代理被其他电脑访问，必须使用令牌（去掉 --no-token）")
        if not port_free(port):
            raise ConfigError(f"端口 {port} 已被占用：请关闭占用它的程序，或用 --port 换一个端口")
        self.user = resolve_user(user, access_file)
        mine, unpooled = served_pages(self.user.role)
        missing = [p.notebook for p in mine if not (root / p.notebook).exists()]
        if missing:
            raise ConfigError(f"找不到页面文件：{'、'.join(missing)}（应在 {root} 中）")
        self.served = mine
        self.pooled = [p for p in mine if p.pooled]
        if max_kernels < len(self.pooled) * pool_size + 1:
            raise ConfigError(f"内核上限 {max_kernels} 太小：{len(self.pooled)} 个页面各预热 {pool_size} 个内核，"
                              f"上限至少应为 {len(self.pooled) * pool_size + 1}（--max-kernels 调大或 --pool-size 调小）")
        bad = [h for h in host_names if not re.fullmatch(r"[A-Za-z0-9.-]+", h)]
        if bad:
            raise ConfigError(f"主机名无效：{'、'.join(bad)}（只能含字母、数字、点和连字符）")
        self.port = port
        self.pool_size = pool_size
        self.token = None if no_token else (token or secrets.token_urlsafe(24))
        self.source_root = root
        self.root = Path(tempfile.gettempdir()) / f"sgz-pages-{uuid.uuid4().hex[:12]}"  # made by start()
        self.argv = voila_argv(port, pool_size, self.root, log_level, fill_delay, cull_seconds, unpooled,
                               token=bool(self.token))
        self.env = voila_env(db_url, as_of, max_kernels=max_kernels, queue_seconds=queue_seconds,
                             host_names=tuple(host_names), token=self.token)
        self.env.update(user_env(self.user, access_file, reports_dir))
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        """The server's address without the token."""
        return f"http://{HOST}:{self.port}/"

    @property
    def query(self) -> str:
        """``?token=…`` (empty without a token): what an address needs to be let in."""
        return f"?token={self.token}" if self.token else ""

    @property
    def url(self) -> str:
        """The landing page's address, with the token."""
        return self.base_url + self.query

    def page_url(self, dashboard: str) -> str:
        """The address of one page (``home``, ``upload``, ``progress`` …), with the token."""
        name = dashboard if dashboard.endswith(".ipynb") else f"{dashboard}.ipynb"
        return f"{self.base_url}voila/render/{name}{self.query}"

    def start(self) -> DashboardServer:
        """Start Voila; its output (and its kernels') goes to ``log_path``, else to our stderr, routine lines dropped."""
        pages.prepare_root(self.user.role, self.source_root, self.root)
        out = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 (closed in stop)
        self._log = out
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=out or subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._copier = None
        if out is None:
            self._copier = threading.Thread(target=_copy_console, args=(self.process.stdout,), daemon=True,
                                            name="sgz-dashboard-log")
            self._copier.start()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the landing page answers; raise ``ConfigError`` if Voila exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ConfigError(f"看板服务未能启动（Voila 退出码 {self.process and self.process.returncode}）"
                                  + (f"，日志见 {self.log_path}" if self.log_path else ""))
            if processes.answers(f"{self.base_url}sgz/ready{self.query}"):  # not a page: that would start a kernel
                return
            time.sleep(0.2)
        raise ConfigError(f"看板服务在 {timeout:.0f} 秒内没有响应：{self.url}")

    def wait_preheated(self, timeout: float = 120.0, quiet: float = 3.0) -> None:
        """Block until every dashboard's pool kernel exists and has finished running its notebook.

        Done means: the expected number of kernels is running and neither they nor Voila used
        any CPU to speak of for ``quiet`` seconds. For tests and benchmarks, which measure a
        visit to a preheated pool.
        """
        wait_preheated(self.process.pid, len(self.pooled) * self.pool_size, timeout, quiet)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop Voila and every process it started: its process group, and the kernels in their own sessions.

        Voila shuts its kernels down on SIGTERM; whatever is still running after that (a kernel that did
        not answer) is terminated, then killed.
        """
        processes.stop_tree(self.process, timeout, group=True)
        if getattr(self, "_copier", None) is not None:
            self._copier.join(5)
            self._copier = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        shutil.rmtree(self.root, ignore_errors=True)


def wait_preheated(pid: int, expected: int, timeout: float = 120.0, quiet: float = 3.0) -> None:
    """Block until the Voila process ``pid`` runs ``expected`` kernels and it and they have been idle ``quiet`` seconds."""
    import psutil

    server = psutil.Process(pid)
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        procs = [server, *server.children(recursive=True)]
        kernels = [p for p in procs[1:] if _is_kernel(p)]
        used = 0.0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                used += t.user + t.system + t.children_user + t.children_system
        if len(kernels) < expected or last is None or used - last > 0.1:
            last, since = used, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.5)
    raise ConfigError(f"看板内核在 {timeout:.0f} 秒内没有预热完成")


def _copy_console(stream) -> None:
    """Voila's and its kernels' output to our stderr, without Jupyter's routine warnings."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        if not ROUTINE.search(line):
            sys.stderr.write(line)
            sys.stderr.flush()
    stream.close()


def _is_kernel(proc) -> bool:
    try:
        return "ipykernel_launcher" in " ".join(proc.cmdline())
    except Exception:  # the process ended meanwhile
        return False
