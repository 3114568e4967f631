"""Writing output files safely: atomically, and only inside the folder they were asked for.

- ``atomic(path)`` yields a temporary path in the same folder; when the block succeeds the file is flushed
  to disk and renamed over ``path`` in one step, otherwise it is removed. A command killed while saving
  leaves the previous file as it was (never a half-written workbook, notebook, HTML or PDF); the hidden
  temporary file it leaves (``.name.xxxx.tmp.xlsx``) is removed by the next write of the same file once an
  hour old.
- ``contained(root, *parts)`` builds a path below ``root`` from data values (station codes, district
  names …) and refuses, in Chinese, any that would leave ``root`` even when the data is hostile.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import ConfigError

# Characters never put into a file name made from data: path separators, Windows-reserved ones.
_UNSAFE = re.compile(r'[\\/:*?"<>|]')
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file next to ``path`` that replaces ``path`` when the ``with`` block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


STALE_SECONDS = 3600


def _remove_stale(path: Path) -> None:
    """Temporary files of ``path`` left by a killed run (untouched for an hour: no writer is using them)."""
    now = time.time()
    for old in path.parent.glob(f".{glob.escape(path.name)}.*.tmp{glob.escape(path.suffix)}"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > STALE_SECONDS:
                old.unlink()


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """``path.write_text`` done atomically."""
    with atomic(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def safe_name(value: str) -> str:
    """``value`` usable as one file name: separators, reserved and control characters become ``_``,
    leading dots are dropped (``../../x`` → ``_.._x``)."""
    text = "".join("_" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(value))
    text = _UNSAFE.sub("_", text).strip()
    text = text.lstrip(".")
    return text or "_"


def contained(root: str | os.PathLike, *parts: str) -> Path:
    """``root/part/…`` with each part made a safe file name, checked to stay inside ``root`` once resolved."""
    base = Path(root).resolve()
    path = base.joinpath(*(safe_name(p) for p in parts))
    resolved = path.resolve()
    if resolved != base and base not in resolved.parents:
        raise ConfigError(f"输出路径「{resolved}」不在输出目录「{base}」之内，已拒绝写入")
    return path
