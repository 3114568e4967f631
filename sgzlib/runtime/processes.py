"""Servers we start and stop: is it answering, and stop it with everything it started.

``sgz dashboard`` (Voila) and ``sgz lab`` (JupyterLab) run their kernels in sessions of their own, so
stopping the server's process (or its process group) can leave a kernel behind when it does not answer
its shutdown request. ``stop_tree`` ends those too, by process id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import urllib.error
import urllib.request


class Served:
    """``with server:`` starts it and waits until it answers (stopping it if it never does); the block's end stops it.

    For classes with ``start()``, ``wait_ready()`` and ``stop()``: ``DashboardServer`` and ``LabServer``.
    """

    def __enter__(self):
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def answers(url: str) -> bool:
    """True when ``url`` answers 200 within two seconds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def children(process: subprocess.Popen | None) -> list:
    """Every process ``process`` started that still runs (kernels included, whatever their session)."""
    import psutil

    if process is None:
        return []
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def stop_tree(process: subprocess.Popen | None, timeout: float, group: bool = False) -> None:
    """SIGTERM ``process`` (its whole process group when ``group``), SIGKILL it after ``timeout``;
    then terminate, and after five seconds kill, whatever it had started and left running."""
    import psutil

    if process is None or process.poll() is not None:
        return
    family = children(process)

    def send(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout)
    alive = [p for p in family if _running(p)]
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, still = psutil.wait_procs(alive, timeout=5)
    for proc in still:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(still, timeout=5)


def _running(proc) -> bool:
    try:
        return proc.is_running() and proc.status() != "zombie"
    except Exception:  # gone meanwhile
        return False
