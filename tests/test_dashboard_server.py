"""The dashboard server under stress and attack: signals, host names, kernel cap and culling, page messages.

Real Voila processes on free loopback ports over the demo district (no browser needed: plain HTTP and
the kernel websocket a page would use). Slow; CI runs them all.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import http.client
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from sgzlib.dashboards import session, voila_main
from sgzlib.dashboards.server import DashboardServer, free_port, port_free
from sgzlib.runtime import processes
from sgzlib.store import storage

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('dash-server') / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, demo_ds, prune=True, scope=None)
    engine.dispose()
    return url


TOKEN = f"t-{uuid.uuid4().hex}"  # the servers of this module's tests are started with it


def _request(port: int, path: str, method: str = "GET", host: str | None = None, timeout: float = 240,
             token: str | None = TOKEN):
    if token:
        path += ("&" if "?" in path else "?") + f"token={token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, headers={"Host": host or f"127.0.0.1:{port}"})
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, body


def _kernels(pid: int) -> list[psutil.Process]:
    try:
        family = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for p in family:
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def _alive(procs) -> list[int]:
    left = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_stops_server_and_kernels_without_traceback(demo_url, tmp_path, signum):
    port = free_port()
    with open(tmp_path / "out.txt", "wb") as out, open(tmp_path / "err.txt", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "sgzlib.cli", "dashboard", "--db", demo_url,
                                 "--port", str(port)], stdout=out, stderr=err, start_new_session=True)
    family = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not ("按 Ctrl+C 停止" in (tmp_path / "out.txt").read_text("utf-8")
                                                   and _kernels(proc.pid)):
            assert proc.poll() is None, (tmp_path / "err.txt").read_text("utf-8")
            time.sleep(0.5)
        family = psutil.Process(proc.pid).children(recursive=True)
        assert _kernels(proc.pid), "no kernel started"
        proc.send_signal(signum)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:  # the test failed before the server stopped: stop it and its kernels, as a user would
            kernels = family + processes.children(proc)
            processes.stop_tree(proc, 30, group=True)
            for kernel in kernels:
                with contextlib.suppress(psutil.Error):
                    kernel.kill()
    stderr = (tmp_path / "err.txt").read_text("utf-8")
    assert "Traceback" not in stderr, stderr
    printed = (tmp_path / "out.txt").read_text("utf-8")
    assert "看板已停止" in printed
    # the address printed carries the token (as Jupyter prints it): 24 random bytes, url-safe; then who is served
    # (without an access file: this computer's login, as 管理员)
    login = re.escape(session.local_login())
    assert re.search(rf"在浏览器中打开（地址中带令牌，请勿外传）：http://127\.0\.0\.1:{port}/\?token=[\w-]{{32}}"
                     rf"（{login}，管理员）\n", printed)
    deadline = time.monotonic() + 10  # the kernels end a moment after the server: wait for that, not a fixed second
    while time.monotonic() < deadline and _alive(family):
        time.sleep(0.1)
    assert _alive(family) == []
    assert port_free(port)


def _ws_message(msg_type: str, channel: str, content: dict | None = None) -> str:
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "test",
                                  "session": uuid.uuid4().hex, "date": dt.datetime.now(dt.UTC).isoformat(),
                                  "version": "5.3"},
                       "parent_header": {}, "metadata": {}, "content": content or {}, "channel": channel,
                       "buffers": []})


async def _talk_to_kernel(port: int, kernel_id: str, hold: float = 0.0) -> dict:
    """Send what a hostile page might (shutdown, interrupt, execute), then ask for the kernel's info."""
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id=t&token={TOKEN}")
    ws.write_message(_ws_message("shutdown_request", "control", {"restart": False}))
    ws.write_message(_ws_message("interrupt_request", "control"))
    ws.write_message(_ws_message("execute_request", "shell", {"code": "import os; os._exit(3)", "silent": False}))
    ws.write_message(_ws_message("kernel_info_request", "shell"))
    seen = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "kernel_info_reply" not in seen:
        raw = await ws.read_message()
        if raw is None:
            break
        if isinstance(raw, str):
            msg = json.loads(raw)
            seen[msg["header"]["msg_type"]] = msg
    import asyncio

    await asyncio.sleep(hold)
    ws.close()
    return seen


def test_foreign_host_refused_and_page_cannot_stop_or_run_code_in_its_kernel(demo_url, tmp_path):
    import asyncio

    port = free_port()
    srv = DashboardServer(demo_url, port=port, pool_size=0, max_kernels=1, queue_seconds=20, cull_seconds=600,
                          host_names=("sgz.example.org",), log_path=tmp_path / "voila.log", token=TOKEN)
    with srv:
        status, body = _request(port, "/", host="evil.example")
        assert status == 403 and "拒绝访问" in body
        assert _request(port, "/voila/render/cases.ipynb", host="rebind.attacker.test")[0] == 403
        assert _request(port, "/sgz/ready", host=f"localhost:{port}")[0] == 200
        assert _request(port, "/sgz/ready", host="sgz.example.org")[0] == 200
        assert _request(port, "/")[0] == 302  # to the home page (only a visit starts a kernel)

        status, page = _request(port, "/voila/render/cases.ipynb")
        assert status == 200
        kernel_id = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)
        [kernel] = _kernels(srv.process.pid)
        assert _request(port, f"/api/kernels/{kernel_id}", method="DELETE")[0] == 403
        seen = asyncio.run(_talk_to_kernel(port, kernel_id))
        assert "kernel_info_reply" in seen
        assert "shutdown_reply" not in seen and "execute_reply" not in seen
        time.sleep(2)
        assert kernel.is_running() and _kernels(srv.process.pid) == [kernel]
        assert _request(port, f"/api/kernels/{kernel_id}")[0] == 200

        # The page closes: its beacon (no XSRF token, as navigator.sendBeacon sends it) ends the kernel
        # once no page is connected (after BEACON_GRACE seconds), long before the 600 s cull.
        assert _request(port, f"/voila/api/shutdown/{kernel_id}", method="POST")[0] == 204
        deadline = time.monotonic() + voila_main.BEACON_GRACE + 30
        while time.monotonic() < deadline and (_kernels(srv.process.pid)
                                               or _request(port, f"/api/kernels/{kernel_id}")[0] != 404):
            time.sleep(1)  # the process ends a moment before the server forgets the kernel
        assert _kernels(srv.process.pid) == [] and _request(port, f"/api/kernels/{kernel_id}")[0] == 404


def test_kernel_cap_queues_then_frees_a_closed_page_and_culls_idle_kernels(demo_url, tmp_path):
    import asyncio

    port = free_port()
    # Timings kept short but in the same order as before: the page holds its kernel (16 s) longer than the
    # queue waits (10 s) plus the time to connect, and at least EVICT_IDLE (15 s), so the next visit can evict
    # it at once; cull_seconds=10 makes the server check every 5 s (voila_argv).
    queue, hold = 10, 16
    assert hold >= voila_main.EVICT_IDLE
    srv = DashboardServer(demo_url, port=port, pool_size=0, max_kernels=1, queue_seconds=queue, cull_seconds=10,
                          log_path=tmp_path / "voila.log", token=TOKEN)
    with srv:
        status, page = _request(port, "/voila/render/cases.ipynb")
        assert status == 200
        first = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)

        # While a page holds the only kernel, a second visit waits its queue time in line and is told to come back.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            page_open = pool.submit(asyncio.run, _talk_to_kernel(port, first, hold=hold))
            deadline = time.monotonic() + 10  # the page's websocket is connected (was: a fixed 3 s sleep)
            while time.monotonic() < deadline and json.loads(_request(port, f"/api/kernels/{first}")[1]).get(
                    "connections", 0) < 1:
                time.sleep(0.1)
            started = time.monotonic()
            status, body = _request(port, "/voila/render/progress.ipynb")
            waited = time.monotonic() - started
            assert status == 503 and waited >= queue - 1, (status, waited)
            assert len(_kernels(srv.process.pid)) == 1
            page_open.result()

        # The page closed: the next visit stops its idle kernel (after EVICT_IDLE seconds) and gets one.
        status, page = _request(port, "/voila/render/progress.ipynb")
        assert status == 200
        second = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)
        assert second != first and _request(port, f"/api/kernels/{first}")[0] == 404
        assert len(_kernels(srv.process.pid)) <= 1  # the cap held (the new one may already be culled on a slow machine)

        # Nobody opens the page: the culler stops its kernel after 10 s idle (checked every 5 s).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (_kernels(srv.process.pid)
                                               or _request(port, f"/api/kernels/{second}")[0] != 404):
            time.sleep(2)  # the process ends a moment before the server forgets the kernel
        assert _kernels(srv.process.pid) == []
        assert _request(port, f"/api/kernels/{second}")[0] == 404


def test_page_messages_exclude_control():
    assert "shutdown_request" not in voila_main.PAGE_MESSAGES and "execute_request" not in voila_main.PAGE_MESSAGES


def test_routine_warnings_are_dropped_and_the_rest_marked_in_chinese():
    import logging

    quiet = voila_main.RoutineFilter()

    def record(level, msg, *args):
        return logging.LogRecord("Voila", level, __file__, 1, msg, args, None)

    assert not quiet.filter(record(logging.WARNING, "Notebook %s is not trusted", "cases.ipynb"))
    assert not quiet.filter(record(logging.WARNING, "Kernel is running over TCP without encryption."))
    assert not quiet.filter(record(logging.WARNING, "WebSocket ping timeout after 90000 ms."))
    kept = record(logging.ERROR, "Kernel died while waiting for execute reply.")
    assert quiet.filter(kept) and kept.getMessage() == "看板错误：Kernel died while waiting for execute reply."


def test_console_copy_keeps_errors_and_drops_the_kernels_routine_lines(capsys):
    import io

    from sgzlib.dashboards import server

    stream = io.BytesIO("[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All …\n"
                        "[SgzVoila] WARNING | Notebook cases.ipynb is not trusted\n"
                        "[SgzVoila] ERROR | 看板错误：出错了\n"
                        "[IPKernelApp] WARNING | Parent appears to have exited, shutting down.\n".encode())
    server._copy_console(stream)
    assert capsys.readouterr().err == "[SgzVoila] ERROR | 看板错误：出错了\n"


class _Kernel:
    def __init__(self, state, silent_seconds):
        self.execution_state = state
        self.last_activity = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=silent_seconds)


def test_render_stalled_only_when_idle_and_silent():
    now = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)
    ago = lambda s: now - dt.timedelta(seconds=s)  # noqa: E731
    assert voila_main.render_stalled("idle", ago(20), now, stall_seconds=20)       # 20 s silent, idle: stalled
    assert not voila_main.render_stalled("idle", ago(19.9), now, stall_seconds=20)
    assert not voila_main.render_stalled("busy", ago(300), now, stall_seconds=20)  # a long cell is not a stall
    assert not voila_main.render_stalled("starting", ago(300), now, stall_seconds=20)
    assert not voila_main.render_stalled("idle", None, now, stall_seconds=20)


def test_await_render_cuts_a_stalled_render_and_waits_out_a_busy_one():
    import asyncio

    async def run(kernel, finish_after=None, timeout=1.0):
        loop = asyncio.get_running_loop()
        task = loop.create_future()
        if finish_after is not None:
            loop.call_later(finish_after, task.set_result, None)
        start = time.monotonic()
        result = await voila_main.await_render(task, lambda: kernel, timeout=timeout, stall_seconds=5, poll=0.05)
        task.cancel()
        return result, time.monotonic() - start

    stalled, took = asyncio.run(run(_Kernel("idle", 6)))          # idle and silent 6 s > 5 s
    assert stalled is False and took < 0.5                        # found at the first poll, not at the timeout
    busy, took = asyncio.run(run(_Kernel("busy", 60), timeout=0.3))
    assert busy is True and took >= 0.3                           # still computing: handed out after the timeout
    done, took = asyncio.run(run(_Kernel("idle", 6), finish_after=0.01))
    assert done is True                                           # finished before the first look
    gone, _ = asyncio.run(run(None))
    assert gone is True                                           # kernel ended: Voila reports it


def test_await_render_does_not_cut_a_kernel_that_is_still_using_cpu():
    import asyncio
    import itertools

    async def run(cpu_of, timeout=0.4):
        task = asyncio.get_running_loop().create_future()
        start = time.monotonic()
        result = await voila_main.await_render(task, lambda: _Kernel("idle", 60), timeout=timeout, stall_seconds=0.2,
                                               poll=0.05, cpu_of=cpu_of)
        task.cancel()
        return result, time.monotonic() - start

    # the server believes "idle, silent 60 s", but the process used 0.1 CPU second between looks (> 0.05): computing
    ticks = itertools.count(step=0.1)
    computing, took = asyncio.run(run(lambda kernel: next(ticks)))
    assert computing is True and took >= 0.4                      # waited until the timeout, never cut
    # the CPU stands still (1.0 s at every look): cut once the 0.2 s stall window has passed since it last moved
    stalled, took = asyncio.run(run(lambda kernel: 1.0))
    assert stalled is False and 0.2 <= took < 0.4


def test_fill_line_runs_one_fill_at_a_time_and_a_wanted_dashboard_first():
    import asyncio

    async def run():
        line, order = voila_main.FillLine(), []

        async def fill(name, hold=0.02):
            async with line.turn(name):
                order.append(name)
                assert line._busy
                await asyncio.sleep(hold)

        first = asyncio.create_task(fill("cases.ipynb", hold=0.2))   # running when the others line up
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(fill(n)) for n in ("outcomes.ipynb", "progress.ipynb", "cases.ipynb")]
        await asyncio.sleep(0.05)
        async with line.wanted("progress.ipynb"):                     # a visitor waits for progress
            await asyncio.gather(first, *rest)
        return order

    # progress jumps the line once cases' running fill is done; the others keep their order
    assert asyncio.run(run()) == ["cases.ipynb", "progress.ipynb", "outcomes.ipynb", "cases.ipynb"]


def test_every_page_and_kernel_needs_the_token(demo_url, tmp_path):
    import asyncio

    from tornado.httpclient import HTTPClientError
    from tornado.websocket import websocket_connect

    port = free_port()
    srv = DashboardServer(demo_url, port=port, pool_size=0, max_kernels=2, cull_seconds=600,
                          log_path=tmp_path / "voila.log", token=TOKEN)
    with srv:
        assert srv.url == f"http://127.0.0.1:{port}/?token={TOKEN}"
        assert srv.page_url("cases") == f"http://127.0.0.1:{port}/voila/render/cases.ipynb?token={TOKEN}"
        for path in ("/", "/voila/render/cases.ipynb"):  # no token: to the login page, nothing rendered
            status, body = _request(port, path, token=None)
            assert status == 302 and "kernelId" not in body
        status, body = _request(port, "/login", token=None)
        assert status == 200 and "看板需要令牌" in body and "password" in body
        assert _request(port, "/voila/render/cases.ipynb", token="not-the-token")[0] == 302
        status, page = _request(port, "/voila/render/cases.ipynb")
        assert status == 200
        kernel_id = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)
        assert _request(port, f"/api/kernels/{kernel_id}", token=None)[0] == 403
        assert _request(port, f"/voila/api/shutdown/{kernel_id}", method="POST", token=None)[0] == 403

        async def connect_without_token():
            await websocket_connect(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id=t")

        with pytest.raises(HTTPClientError) as refused:
            asyncio.run(connect_without_token())
        assert refused.value.code == 403
        # the token is not handed down to the kernels (they run the notebooks, never need it)
        [kernel] = _kernels(srv.process.pid)
        assert b"JUPYTER_TOKEN" not in Path(f"/proc/{kernel.pid}/environ").read_bytes()
