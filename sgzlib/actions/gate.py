"""One upload at a time per database: a second one waits its turn (queued, and told so), or gives up clearly.

The import itself is safe side by side (it locks its stations, ``ledger.importer``); the gate is for the
people: checking a workbook and importing it read and write a lot, and two at once on a small server make
both slow and their summaries confusing. ``turn(url)`` holds the database's upload lock for as long as its
block runs: PostgreSQL's session advisory lock ``UPLOAD_LOCK`` (every role may take it), or for SQLite an
exclusive ``flock`` on ``<database file>.upload.lock`` next to it. While another upload holds it,
``waiting(seconds)`` is called every second, up to ``limit`` seconds; then ``UploadBusy`` says so in Chinese.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from ..errors import SgzError
from ..store import storage

UPLOAD_LOCK = 0x73677A2D75706C64  # "sgz-upld"
QUEUE_SECONDS = 300.0
POLL_SECONDS = 1.0


class UploadBusy(SgzError):
    """Another upload held the database's lock for longer than this one would wait."""


def busy_text(seconds: float) -> str:
    return (f"另一份台账正在检查或导入（同一数据库一次只处理一份，以免互相穿插）：本次已排队等候 {seconds:.0f} 秒，"
            "轮到后自动开始，请不要关闭页面。")


@contextlib.contextmanager
def turn(url: str, waiting: Callable[[float], None] | None = None,
         limit: float = QUEUE_SECONDS) -> Iterator[None]:
    """Hold the database's upload lock while the block runs; wait for it (up to ``limit`` seconds) first."""
    engine = storage.connect(url, upgrade=False)
    try:
        if engine.dialect.name == "postgresql":
            with _pg_lock(engine, waiting, limit):
                yield
        else:
            with _file_lock(engine, waiting, limit):
                yield
    finally:
        engine.dispose()


def _wait(try_once: Callable[[], bool], waiting, limit: float) -> None:
    started = time.monotonic()
    while not try_once():
        waited = time.monotonic() - started
        if waited >= limit:
            raise UploadBusy(f"另一份台账正在检查或导入，已等候 {waited:.0f} 秒仍未轮到：本次未做任何处理，请稍后再上传。")
        if waiting is not None:
            waiting(waited)
        time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def _pg_lock(engine: sa.Engine, waiting, limit: float) -> Iterator[None]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        take = sa.text("SELECT pg_try_advisory_lock(:k)")
        _wait(lambda: bool(conn.execute(take, {"k": UPLOAD_LOCK}).scalar()), waiting, limit)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": UPLOAD_LOCK})


def lock_path(engine: sa.Engine) -> str | None:
    path = engine.url.database
    return None if not path or path == ":memory:" else f"{path}.upload.lock"


@contextlib.contextmanager
def _file_lock(engine: sa.Engine, waiting, limit: float) -> Iterator[None]:
    path = lock_path(engine)
    if path is None:  # an in-memory database has one user
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(take, waiting, limit)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
