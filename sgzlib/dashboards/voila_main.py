"""Voila as sgz serves it: ``python -m sgzlib.dashboards.voila_main`` (Voila's own command line, plus what follows).

**Pools filled one kernel at a time, a dashboard someone waits for first** (``FillLine``). Voila 0.5
fills every dashboard's pool at once when it starts.
On this 2-core machine, with the three dashboards preheating together, about one visit in five stalled
for good: the page stopped after the first cell because the pooled render never got its cell's reply
(seen with 8 servers of one dashboard: no stall; 8 servers of three: stalls). Filling the pools one
after another (start a kernel, run its notebook, then the next) removed the stall, and each notebook
runs alone on the cores, so the pools are ready no later than before.

**A cap on kernels.** At most ``SGZ_DASHBOARD_MAX_KERNELS`` kernels run at once (pool kernels
included). A visit beyond the cap first frees a kernel whose page was closed (no connection, idle for
``EVICT_IDLE`` seconds), else waits in line; after ``SGZ_DASHBOARD_QUEUE_SECONDS`` it gets a 503
page saying the dashboards are busy. Kernels of closed pages are also culled after the
``--MappingKernelManager.cull_idle_timeout`` the server sets.

**Pages only talk to widgets.** The websocket passes widget (comm) messages and kernel info only:
no ``execute_request`` (Voila's own rule), no ``shutdown_request``, interrupt or debug. The kernel
REST endpoint answers GET only; the shutdown beacon a page sends when it closes ends its kernel only
once no page is connected to it any more.

**Stalled renders retired.** Now and then a pool kernel's render stops for good: the kernel is idle
(its last message said so) but the render still waits for a cell's reply that never comes. A visitor
handed that kernel would wait for ever. A pool render whose kernel has been idle for ``STALL_SECONDS``
while the render is unfinished is cut: the kernel is shut down and the pool starts another
(``STALL_RETRIES`` times at most).

**Only the user's pages.** ``/`` and Voila's tree lead to the home page (``home.ipynb``); the pages the
server's user may not use (``SGZ_REFUSED_PAGES``, set by the server from the registry ``pages``) are refused
with 403 and a Chinese page, and their notebooks are not in the served folder at all (``pages.prepare_root``).
``sgz/files/<path>`` serves the user's own reports (``SGZ_REPORTS_DIR``) as downloads: HTML (the folder's
shared plotly.js inlined, so the one file opens offline), PDF and Excel only, inside that folder only (symlinks resolved first), never shown in the page's origin. Websocket
messages may be as large as the upload limit needs (``actions.upload_limit_bytes``: the workbook travels
over the page's websocket).

**Only our host names.** A request whose ``Host`` is not ``127.0.0.1``, ``localhost`` or a name in
``SGZ_DASHBOARD_HOSTS`` is refused with 403 (DNS rebinding).

**A token, as Jupyter has.** ``sgz dashboard`` starts Voila with a random token in ``JUPYTER_TOKEN``
(read once, then removed from the environment the kernels inherit): a page opens only with
``?token=…`` in its address (which sets a login cookie) or after the token is typed into the Chinese
login page (``TokenLoginHandler``); any other local process or user gets that page.

**Stopping.** SIGTERM, SIGHUP and SIGINT shut every kernel down, then stop; so does the loss of the
parent process (``sgz dashboard`` killed outright). Jupyter's routine warnings are kept out of the log
and what remains is prefixed in Chinese (``server._copy_console`` drops the kernels' routine lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import signal
import tempfile
import time
import urllib.parse
from html import escape as htmlescape
from pathlib import Path

import tornado.escape
import tornado.ioloop
import tornado.web
import voila.app
from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.utils import url_path_join
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.voila_identity_provider import VoilaLoginHandler
from voila.voila_kernel_manager import voila_kernel_manager_factory

from ..actions import upload_limit_bytes
from ..reports.html import standalone
from . import REFUSED_ENV, REPORTS_ENV

MAX_KERNELS_ENV = "SGZ_DASHBOARD_MAX_KERNELS"
QUEUE_SECONDS_ENV = "SGZ_DASHBOARD_QUEUE_SECONDS"
HOSTS_ENV = "SGZ_DASHBOARD_HOSTS"
DEFAULT_MAX_KERNELS = 8
DEFAULT_QUEUE_SECONDS = 120.0
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# What a page may send its kernel: widget traffic and the kernel's info.
PAGE_MESSAGES = ("comm_open", "comm_close", "comm_msg", "comm_info_request", "kernel_info_request")
# How long one pool kernel may hold up the next (a notebook that never finishes must not starve the others).
RENDER_WAIT = 120.0
# A pool render whose kernel has said nothing (and is idle) for this long has stalled; how often to start over.
STALL_SECONDS = 20.0
STALL_RETRIES = 2
STALL_POLL = 2.0
CPU_MOVED = 0.05  # CPU seconds between two looks that mean a kernel is still computing
# A kernel handed to a visitor whose page has not connected yet (a slow browser) is neither culled
# nor evicted for this long.
HANDOUT_GRACE = 300.0
# A kernel with no page connected, idle this long, may be stopped to make room for a new visit.
EVICT_IDLE = 15.0
# After a page's shutdown beacon, how long to wait for its websocket to close before looking again.
BEACON_GRACE = 3.0
PARENT_CHECK_MS = 2000
# Jupyter's routine warnings, of no use to a dashboard user.
# The kernels' own lines (TCP warning, parent gone at shutdown) are dropped by ``server._copy_console``.
ROUTINE = re.compile(r"is not trusted|without encryption|websocket.*ping|ping.*websocket|"
                     r"Parent appears to have exited|Kernel pool of .* is filled|Using pre-heated kernel",
                     re.IGNORECASE)
BUSY = "看板访问人数较多，暂时没有空闲的内核：请稍后刷新页面。"
HOME_PAGE = "home.ipynb"
# What sgz/files/ serves: the reports' HTML, PDF and Excel workbooks (scores, supervision records).
DOWNLOADS = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
             ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def refused_pages() -> list[str]:
    return [n.strip() for n in os.environ.get(REFUSED_ENV, "").split(",") if n.strip()]


def max_kernels() -> int:
    return max(1, int(os.environ.get(MAX_KERNELS_ENV) or DEFAULT_MAX_KERNELS))


def queue_seconds() -> float:
    return float(os.environ.get(QUEUE_SECONDS_ENV) or DEFAULT_QUEUE_SECONDS)


def allowed_hosts() -> list[str]:
    extra = [h.strip().lower() for h in os.environ.get(HOSTS_ENV, "").split(",") if h.strip()]
    return list(dict.fromkeys([*LOCAL_HOSTS, *extra]))


def render_stalled(execution_state: str | None, last_activity: dt.datetime | None, now: dt.datetime,
                   stall_seconds: float = STALL_SECONDS) -> bool:
    """True when an unfinished render's kernel is idle and has sent nothing for ``stall_seconds``.

    A render in progress keeps its kernel busy (one cell after another); a kernel starting up is not
    idle yet. Idle and silent while the render still waits means the render lost a reply.
    """
    if execution_state != "idle" or last_activity is None:
        return False
    return (now - last_activity).total_seconds() >= stall_seconds


def kernel_cpu(kernel) -> float | None:
    """CPU seconds the kernel's process has used (None when it has no local process)."""
    import psutil

    pid = getattr(getattr(kernel, "provisioner", None), "pid", None)
    if pid is None:
        return None
    try:
        t = psutil.Process(pid).cpu_times()
    except (psutil.Error, OSError):
        return None
    return t.user + t.system


async def await_render(task: asyncio.Future, kernel_of, timeout: float = RENDER_WAIT,
                       stall_seconds: float = STALL_SECONDS, poll: float = STALL_POLL, cpu_of=kernel_cpu) -> bool:
    """Wait for a pool render to finish (or ``timeout`` to pass); False as soon as it has stalled.

    ``kernel_of()`` gives the render's kernel (with Jupyter's ``execution_state`` and ``last_activity``),
    or None when it has ended (then waiting is over: Voila reports the failed render to its visitor).
    ``cpu_of(kernel)``: the CPU seconds its process has used; while they grow the kernel is computing, not
    stalled, whatever its last status message said (a long silent cell at 100 stations was cut as stalled:
    the server had seen the kernel's ``idle`` but missed the ``busy`` that followed).
    """
    deadline = time.monotonic() + timeout
    cpu_seen, cpu_moved = None, None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True  # slow, not stalled: hand it out as it is
        done, _ = await asyncio.wait([task], timeout=min(poll, left))
        if done:
            return True
        kernel = kernel_of()
        if kernel is None:
            return True
        now = dt.datetime.now(dt.UTC)
        cpu = cpu_of(kernel)
        if cpu is not None and (cpu_seen is None or cpu - cpu_seen > CPU_MOVED):
            cpu_seen, cpu_moved = cpu, now
        activity = max((t for t in (getattr(kernel, "last_activity", None), cpu_moved) if t is not None), default=None)
        if render_stalled(getattr(kernel, "execution_state", None), activity, now, stall_seconds):
            return False


class FillLine:
    """Pool fills one at a time, a dashboard someone is waiting for first.

    ``turn(name)`` waits until no other fill runs and ``name`` is next: the first waiting fill of a
    dashboard a visitor waits for (``wanted(name)``), else the fill that has waited longest.
    """

    def __init__(self):
        self._cond = asyncio.Condition()
        self._waiting: list[str] = []
        self._wanted: dict[str, int] = {}
        self._busy = False

    def next(self) -> str | None:
        for name in self._waiting:
            if self._wanted.get(name):
                return name
        return self._waiting[0] if self._waiting else None

    @contextlib.asynccontextmanager
    async def turn(self, name: str):
        async with self._cond:
            self._waiting.append(name)
            try:
                await self._cond.wait_for(lambda: not self._busy and self.next() == name)
            finally:
                self._waiting.remove(name)
            self._busy = True
        try:
            yield
        finally:
            async with self._cond:
                self._busy = False
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def wanted(self, name: str):
        async with self._cond:
            self._wanted[name] = self._wanted.get(name, 0) + 1
            self._cond.notify_all()
        try:
            yield
        finally:
            async with self._cond:
                self._wanted[name] -= 1
                self._cond.notify_all()


def sgz_kernel_manager_factory(base_class, preheat_kernel: bool, default_pool_size: int, **kwargs):
    """Voila's kernel manager class with the cap, the message rule and (preheated) serial pool fills."""
    cls = voila_kernel_manager_factory(base_class, preheat_kernel, default_pool_size, **kwargs)

    class SgzKernelManager(cls):
        _reserved = 0
        _fills: FillLine | None = None
        _rendering: set | None = None  # pool kernels still running their notebook
        _handed: dict | None = None  # kernel id → when it was handed to a visitor whose page has not connected yet

        def __init__(self, **kw):
            kw["allowed_message_types"] = [t for t in kw.get("allowed_message_types") or PAGE_MESSAGES
                                           if t in PAGE_MESSAGES]
            super().__init__(**kw)

        # -- the cap ----------------------------------------------------------
        def _pooled_ids(self) -> set[str]:
            ids = set(self._rendering or ())
            for pool in getattr(self, "_pools", {}).values():
                for item in pool:
                    with contextlib.suppress(Exception):
                        if item.done():
                            ids.add(item.result()["kernel_id"])
            return ids

        def _awaiting_page(self, kid: str) -> bool:
            """True while ``kid`` was handed to a visitor less than ``HANDOUT_GRACE`` ago and no page connected yet."""
            handed = self._handed if self._handed is not None else {}
            if kid not in handed:
                return False
            if self._kernel_connections.get(kid, 0) > 0 or time.monotonic() - handed[kid] >= HANDOUT_GRACE:
                del handed[kid]
                return False
            return True

        async def cull_kernel_if_idle(self, kernel_id: str):
            if self._awaiting_page(kernel_id):
                return None
            return await ensure_async(super().cull_kernel_if_idle(kernel_id))

        async def _evict_one(self) -> bool:
            """Stop the longest-idle kernel no page is connected to (never a pool kernel); False if none."""
            now = dt.datetime.now(dt.UTC)
            pooled = self._pooled_ids()
            idle = []
            for kid in self.list_kernel_ids():
                kernel = self._kernels.get(kid)
                last = getattr(kernel, "last_activity", None)
                if kid in pooled or self._kernel_connections.get(kid, 0) > 0 or last is None:
                    continue
                if self._awaiting_page(kid):
                    continue
                if getattr(kernel, "execution_state", "idle") != "idle":  # running a cell: a page is rendering
                    continue
                if (now - last).total_seconds() >= EVICT_IDLE:
                    idle.append((last, kid))
            if not idle:
                return False
            kid = min(idle)[1]
            self.log.warning("看板内核已满（%d 个）：停止一个页面已关闭的空闲内核 %s", max_kernels(), kid)
            await ensure_async(self.shutdown_kernel(kid))
            return True

        async def _reserve(self, timeout: float | None) -> None:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if len(self.list_kernel_ids()) + self._reserved < max_kernels():
                    self._reserved += 1
                    return
                if await self._evict_one():
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    raise tornado.web.HTTPError(503, BUSY, reason="Busy")
                await asyncio.sleep(0.5)

        async def start_kernel(self, *args, **kw):
            """A visit's own kernel (no pool): wait for room first."""
            await self._reserve(queue_seconds())
            try:
                return await ensure_async(super().start_kernel(*args, **kw))
            finally:
                self._reserved -= 1

        if preheat_kernel:
            async def get_rendered_notebook(self, notebook_name: str, *args, **kw):
                """Wait (up to the queue time) for the pool's next kernel, leaving it in the pool when it is late.

                A pool kernel that died while rendering leaves the pool; then a new one is started and waited for.
                """
                deadline = time.monotonic() + queue_seconds()
                async with self._fill_line().wanted(notebook_name):
                    return await self._pooled_render(notebook_name, deadline, *args, **kw)

            async def _pooled_render(self, notebook_name: str, deadline: float, *args, **kw):
                while True:
                    pool = self._pools.setdefault(notebook_name, [])
                    if not pool:
                        self.fill_if_needed(delay=0, notebook_name=notebook_name)
                    item = pool[0]
                    await asyncio.wait([item], timeout=max(0.0, deadline - time.monotonic()))
                    if not item.done():
                        raise tornado.web.HTTPError(503, BUSY, reason="Busy")
                    if pool and pool[0] is item:
                        result = await super().get_rendered_notebook(notebook_name, *args, **kw)
                        # Handed to a visitor now: not idle, whenever it was rendered (its page is connecting).
                        kernel = self._kernels.get(result[2])
                        if kernel is not None:
                            kernel.last_activity = dt.datetime.now(dt.UTC)
                        if self._handed is None:
                            self._handed = {}
                        self._handed[result[2]] = time.monotonic()
                        return result
                    if time.monotonic() >= deadline:
                        raise tornado.web.HTTPError(503, BUSY, reason="Busy")

            def _fill_line(self) -> FillLine:
                if self._fills is None:
                    self._fills = FillLine()
                return self._fills

            async def _initialize(self, notebook_path: str, kernel_id: str | None = None, **kw):
                if kernel_id is not None:  # a restart of a kernel in use: not a pool fill
                    return await super()._initialize(notebook_path, kernel_id, **kw)
                for attempt in range(STALL_RETRIES + 1):
                    await self._reserve(None)  # a pool fill holds its place in line for as long as it takes
                    async with self._fill_line().turn(notebook_path):
                        try:
                            content = await super()._initialize(notebook_path, kernel_id, **kw)
                        finally:
                            self._reserved -= 1
                        # Let the notebook finish rendering before the next kernel starts; a failed render
                        # is Voila's to report when the page is visited, not ours to raise here.
                        kid = content["kernel_id"]
                        if self._rendering is None:
                            self._rendering = set()
                        self._rendering.add(kid)
                        try:
                            finished = await await_render(content["task"], lambda kid=kid: self._kernels.get(kid))
                        finally:
                            self._rendering.discard(kid)
                    if finished or attempt == STALL_RETRIES:
                        return content
                    self.log.warning("看板预热渲染停滞（%s，内核 %s）：停止该内核，重新预热", notebook_path, kid)
                    content["task"].cancel()
                    with contextlib.suppress(Exception):
                        await ensure_async(self.shutdown_kernel(kid))

    SgzKernelManager.__name__ = cls.__name__
    return SgzKernelManager


class ReadOnlyKernelHandler(KernelHandler):
    """``/api/kernels/<id>``: a page may read its kernel's model, never delete it."""

    async def delete(self, kernel_id):
        raise tornado.web.HTTPError(403, "kernel shutdown from a page refused")


class ClosedPageShutdownHandler(VoilaShutdownKernelHandler):
    """The beacon of a closing page: end its kernel once no page is connected to it (else do nothing).

    The beacon (``navigator.sendBeacon``) cannot carry Jupyter's XSRF token, so Jupyter refused every one
    with 403 and closed pages' kernels lived on until culled. It is accepted without the token: at worst
    a forged beacon ends a kernel no page uses, which is what culling does anyway.
    """

    def check_xsrf_cookie(self):
        return None

    @tornado.web.authenticated
    async def post(self, kernel_id):
        manager = self.kernel_manager
        if kernel_id in manager.list_kernel_ids():
            tornado.ioloop.IOLoop.current().call_later(BEACON_GRACE, _end_if_unused, manager, kernel_id)
        self.set_status(204)
        self.finish()


async def _end_if_unused(manager, kernel_id: str) -> None:
    if kernel_id in manager.list_kernel_ids() and manager._kernel_connections.get(kernel_id, 0) == 0:
        with contextlib.suppress(Exception):
            await ensure_async(manager.shutdown_kernel(kernel_id))


class ReadyHandler(tornado.web.RequestHandler):
    """``sgz/ready``: 200 once the server answers (a start-up check that starts no kernel, unlike a page)."""

    def get(self):
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok")


class HomeHandler(JupyterHandler):
    """``/`` and Voila's tree: the user's home page."""

    @tornado.web.authenticated
    def get(self, *args):
        self.redirect(url_path_join(self.base_url, "voila", "render", HOME_PAGE))


REFUSED_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权使用此页面</title></head>
<body style="font-family: sans-serif; max-width: 720px; margin: 48px auto; color: #1d2733">
<h1 style="font-size: 22px">无权使用此页面</h1>
<p>您的角色不能使用「{name}」页面，本服务不提供它。如需使用，请联系管理员在访问权限文件中调整您的角色。</p>
<p><a href="{home}">返回首页</a></p></body></html>"""


class RefusedPageHandler(JupyterHandler):
    """A page the server's user may not use: 403, in Chinese, whatever follows in the address."""

    @tornado.web.authenticated
    def get(self, name, *args):
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        home = url_path_join(self.base_url, "voila", "render", HOME_PAGE)
        self.finish(REFUSED_PAGE.format(name=tornado.escape.xhtml_escape(name), home=home))


def report_file(root: str | os.PathLike, relative: str) -> Path | None:
    """The file ``relative`` names inside ``root``, if it is a report download there; None otherwise.

    Symlinks are resolved before the check, so neither ``..`` nor a link leads outside; hidden parts (the
    manifest, temporary files) and other suffixes are not served.
    """
    base = Path(root).resolve()
    parts = Path(relative).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    target = (base / Path(*parts)).resolve()
    if not target.is_relative_to(base) or target.suffix.lower() not in DOWNLOADS or not target.is_file():
        return None
    return target


def download_bytes(target: Path) -> bytes:
    """What a download of ``target`` sends: an HTML report with the folder's shared plotly.js inlined (it travels alone)."""
    if target.suffix.lower() != ".html":
        return target.read_bytes()
    return standalone(target.read_text(encoding="utf-8"), target.parent).encode("utf-8")


class ReportFileHandler(JupyterHandler):
    """``sgz/files/<path>``: one of the user's reports, as a download (never rendered in this origin)."""

    @tornado.web.authenticated
    def get(self, path):
        root = os.environ.get(REPORTS_ENV)
        target = report_file(root, urllib.parse.unquote(path)) if root else None
        if target is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", DOWNLOADS[target.suffix.lower()])
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{urllib.parse.quote(target.name)}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox")
        self.set_header("Cache-Control", "no-store")
        self.finish(download_bytes(target))


class ForeignHostHandler(tornado.web.RequestHandler):
    """Every request whose Host is not one of ours."""

    def prepare(self):
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("拒绝访问：看板只接受本机地址（127.0.0.1、localhost）或 sgz dashboard --host-name 配置的主机名。\n")


LOGIN_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>看板需要令牌</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:36em;margin:4em auto;color:#222}}
input[type=password]{{width:100%;padding:.4em;font-size:1em}}button{{margin-top:.8em;padding:.4em 1.2em;font-size:1em}}
.error{{color:#b00}}</style></head><body><h1>看板需要令牌</h1>
<p>请打开启动看板时 <code>sgz dashboard</code> 显示的完整地址（末尾带 <code>?token=…</code>），
或把地址中 <code>token=</code> 后面的令牌粘贴到这里：</p>{error}
<form method="post" action="{action}">{xsrf}<input type="password" name="password" autofocus
 aria-label="令牌"><br><button type="submit">进入看板</button></form></body></html>"""


class TokenLoginHandler(VoilaLoginHandler):
    """The login page of a dashboard server with a token: Chinese, one field for the token."""

    def _render(self, message=None):
        error = '<p class="error">令牌不对，请重新粘贴。</p>' if message else ""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(LOGIN_PAGE.format(error=error, action=htmlescape(self.request.uri), xsrf=self.xsrf_form_html()))


class TokenIdentityProvider(PasswordIdentityProvider):
    """Jupyter's token login (``JUPYTER_TOKEN``) with our Chinese login page."""

    def __init__(self, **kwargs):
        kwargs["login_handler_class"] = TokenLoginHandler
        super().__init__(**kwargs)


class RoutineFilter(logging.Filter):
    """Drops Jupyter's routine warnings and says, in Chinese, that what remains comes from the dashboards."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if ROUTINE.search(message):
            return False
        if record.levelno >= logging.WARNING and not getattr(record, "sgz_marked", False):
            record.msg, record.args = f"看板{'错误' if record.levelno >= logging.ERROR else '提示'}：{message}", ()
            record.sgz_marked = True
        return True


class SgzVoila(voila.app.Voila):
    """Voila with our handlers, host check, signals and log."""

    def initialize(self, argv=None):
        super().initialize(argv)
        quiet = RoutineFilter()
        for name in (self.log.name, "tornado.access", "tornado.application", "tornado.general", "traitlets"):
            logging.getLogger(name).addFilter(quiet)
        for handler in self.log.handlers:
            handler.addFilter(quiet)

    def init_handlers(self):
        swap = {KernelHandler: ReadOnlyKernelHandler, VoilaShutdownKernelHandler: ClosedPageShutdownHandler}
        voila_own = [(h[0], swap.get(h[1], h[1]), *h[2:]) for h in super().init_handlers()]
        return self.sgz_handlers() + voila_own

    def sgz_handlers(self) -> list[tuple]:
        """Ours, ahead of Voila's: home, refused pages, report downloads."""
        base = self.base_url
        out = [(base, HomeHandler), (url_path_join(base, "voila", "tree") + r"(/.*)?", HomeHandler),
               (url_path_join(base, "voila") + "/?", HomeHandler),
               (url_path_join(base, "sgz", "files", "(.+)"), ReportFileHandler),
               (url_path_join(base, "sgz", "ready"), ReadyHandler)]
        refused = "|".join(re.escape(name) for name in refused_pages())
        if refused:
            out.insert(0, (url_path_join(base, "voila") + rf"/(?:render|files|static|notebooks)/.*?\b({refused})\.ipynb(.*)",
                           RefusedPageHandler))
        return out

    def start(self):
        # Voila.start, with the handlers bound to our host names and everything else refused.
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        settings = self.init_settings()
        _ = self.identity_provider.token  # read from JUPYTER_TOKEN now; the kernels do not inherit it
        os.environ.pop("JUPYTER_TOKEN", None)
        self.app = tornado.web.Application(**settings)
        self.app.settings.update(self.tornado_settings)
        # An uploaded workbook travels in one websocket message (as bytes, with the widget's JSON beside them).
        self.app.settings["websocket_max_message_size"] = 2 * upload_limit_bytes() + (1 << 20)
        hosts = "|".join(re.escape(h) for h in allowed_hosts())
        self.app.add_handlers(rf"^({hosts})$", self.init_handlers())
        self.app.add_handlers(r".*$", [(r".*", ForeignHostHandler)])
        loop = tornado.ioloop.IOLoop.current().asyncio_loop
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(self._stop_all()))
        parent = os.getppid()
        tornado.ioloop.PeriodicCallback(lambda: self._parent_gone(parent), PARENT_CHECK_MS).start()
        self.listen()

    def _parent_gone(self, parent: int) -> None:
        if os.getppid() != parent:
            self.log.warning("启动看板的进程已退出：看板停止。")
            tornado.ioloop.IOLoop.current().add_callback(self._stop_all)

    async def _stop_all(self):
        # Renders cut short by the shutdown log "Kernel died" with a traceback: nothing a user must read.
        # Pool renders still starting end with an exception nobody retrieves; asyncio would print it.
        for name in (self.log.name, "tornado.application", "tornado.general", "asyncio"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.log.setLevel(logging.CRITICAL)
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ensure_async(self.kernel_manager.shutdown_all(now=True)), 10)
        tornado.ioloop.IOLoop.current().stop()


def main() -> None:
    voila.app.voila_kernel_manager_factory = sgz_kernel_manager_factory
    SgzVoila.launch_instance()


if __name__ == "__main__":
    main()
