"""Writing output files safely: atomically, and only inside the folder they were asked for.

- ``atomic(path)`` yields a temporary path in the same folder; when the block succeeds the file is flushed
  to disk and renamed over ``path`` in one step, otherwise it is removed. A command killed while saving
  leaves the previous file as it was (never a half-written workbook, notebook, HTML or PDF); the hidden
  temporary file it leaves (``.name.xxxx.tmp.xlsx``) is removed by the next write of the same file once an
  hour old.
- ``csv_text(frame)`` is ``frame.to_csv(index=False)``, the same text, each column's distinct values
  formatted once instead of every cell passing through the csv module.
- ``contained(root, *parts)`` builds a path below ``root`` from data values (station codes, district
  names …) and refuses, in Chinese, any that would leave ``root`` even when the data is hostile.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError

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


def csv_text(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False)``: the same text, each text column's distinct values formatted once.

    pandas hands every cell to the csv module (2.7 million for a province's results, which have a few
    thousand distinct values). Here a cell is written as pandas writes it — text as it is, numbers as
    numpy's ``str``, a blank as nothing, quoted by the csv module itself when it holds a comma, a quote or
    a line break — and the rows are joined. Frames this does not cover (one column, other dtypes, text
    columns holding other objects) go to ``to_csv``.
    """
    columns = [_csv_cells(frame.iloc[:, i]) for i in range(frame.shape[1])] if frame.shape[1] > 1 else [None]
    if any(c is None for c in columns):
        return frame.to_csv(index=False)
    header = _csv_fields(np.array([str(c) for c in frame.columns], dtype=object))
    return os.linesep.join([",".join(header), *map(",".join, zip(*columns))]) + os.linesep


def _csv_cells(values: pd.Series) -> list[str] | None:
    """The column's cells as ``to_csv`` writes them (``na_rep=""``, ``QUOTE_MINIMAL``), or ``None``."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "if":
        # distinct bit patterns, not values: 0.0 and -0.0 are equal but print differently
        numbers = values.to_numpy()
        codes, uniques = pd.factorize(numbers.view(f"i{numbers.itemsize}"))
        uniques = uniques.view(dtype)
        texts = uniques.astype(str).astype(object)  # what pandas writes: ``values.astype(str)``
        if dtype.kind == "f":
            texts[np.isnan(uniques)] = ""
        return texts[codes].tolist()
    if not (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)):
        return None
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    if not all(isinstance(u, str) for u in uniques):  # equal objects of other types may print differently
        return None
    texts = np.append(_csv_fields(uniques.astype(object)), "")  # code -1 (blank) takes the last: ""
    return texts[codes].tolist()


def _csv_fields(texts: np.ndarray) -> np.ndarray:
    """Texts as csv fields: those holding a delimiter, quote or line break quoted by the csv module."""
    special = np.fromiter((any(c in t for c in ',"\r\n') for t in texts), dtype=bool, count=len(texts))
    if special.any():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL)  # as pandas writes
        texts = texts.copy()
        for i in np.flatnonzero(special):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([texts[i]])
            texts[i] = buffer.getvalue()[:-len(os.linesep)]
    return texts


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
