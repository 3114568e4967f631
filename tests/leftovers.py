"""Nothing a test run starts may outlive it: the processes of a run, found and ended at its close.

Every process a test starts inherits the environment variable ``SGZ_TEST_RUN``: the controller sets it
to a token of the run, each pytest-xdist worker to that token and its own id. A server that stops while
its kernel lives on leaves the kernel to the init process, out of its parent's tree, but not without the
variable. At the end of a worker's session (``conftest._nothing_left_running``) the worker looks for the
processes with its own value, besides its descendants; at the end of the run the controller looks for
every process of the run, the workers' included. Whatever still runs after a grace period is ended, and
the run fails, naming it.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import psutil

RUN_ENV = "SGZ_TEST_RUN"
GRACE_SECONDS = 10  # what stops at the end of its test (a browser, a kernel) may take a moment to exit


def mark_run(worker: str | None) -> str:
    """Set ``SGZ_TEST_RUN`` for this process and what it starts; returns the value."""
    if worker is None:
        os.environ[RUN_ENV] = uuid.uuid4().hex[:12]
    else:
        os.environ[RUN_ENV] = f"{os.environ.get(RUN_ENV) or uuid.uuid4().hex[:12]}-{worker}"
    return os.environ[RUN_ENV]


def without_mark(env: dict | None = None) -> dict:
    """An environment without the run's mark: for what outlives a test on purpose (the run's PostgreSQL)."""
    env = dict(os.environ if env is None else env)
    env.pop(RUN_ENV, None)
    return env


def _mark_of(proc: psutil.Process) -> str | None:
    with contextlib.suppress(psutil.Error, OSError):
        return proc.environ().get(RUN_ENV)
    return None


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def still_running(mark: str, prefix: bool = False, descendants: bool = True) -> list[psutil.Process]:
    """The processes of this run besides this one: this process's descendants (unless not ``descendants``),
    and every process whose ``SGZ_TEST_RUN`` is ``mark`` (or, with ``prefix``, starts with it)."""
    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)} if descendants else {}
    for proc in psutil.process_iter():
        if proc.pid == me.pid or proc.pid in found:
            continue
        value = _mark_of(proc)
        if value == mark or (prefix and value and value.startswith(mark)):
            found[proc.pid] = proc
    return [p for p in found.values() if _alive(p)]


def describe(proc: psutil.Process) -> str:
    try:
        return f"{proc.pid} {' '.join(proc.cmdline())[:160] or proc.name()}"
    except psutil.Error:
        return f"{proc.pid}（已结束）"


def end_leftovers(mark: str, prefix: bool = False, descendants: bool = True) -> list[str]:
    """Wait up to ``GRACE_SECONDS`` for the run's processes (``still_running``) to end; end those still
    running (SIGTERM, then SIGKILL) and return their descriptions (empty: nothing was left running)."""
    procs = still_running(mark, prefix, descendants)
    if not procs:
        return []
    _, alive = psutil.wait_procs(procs, timeout=GRACE_SECONDS)
    alive = [p for p in alive if _alive(p)]
    names = [describe(p) for p in alive]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, stubborn = psutil.wait_procs(alive, timeout=5)
    for proc in stubborn:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return names
