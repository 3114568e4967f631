"""上传台账 as a library: save an uploaded workbook, check it as ``sgz import --dry-run`` does, import it.

``save`` keeps the upload in a folder of its own under its own name (the audit row names the file) after
checking its size against the stated limit (``actions.upload_limit_mb``) and its type. ``check`` runs the
import's dry run: the same reading, the same checks against the database, in the same locked transaction,
as the user (``ledger.import_workbook(user=…)``: their role and scope are held to it; on PostgreSQL their
own login is, by the database). It gives the per-sheet change summary (新增 / 修改 / 未变 / 已删除), the
rows behind each count (``rows_behind``), or every problem (``DataError``), with personal values masked
for a masked user (``mask_problems``) and the errors workbook (``errors_workbook``). ``commit`` imports it
(``prune``: delete the rows the workbook no longer has, in the same transaction), the audit row naming the
user. Both wait their turn at the database's upload gate (``gate.turn``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..domain import schema
from ..errors import DataError, Problem, SgzError
from ..ledger import ImportResult, import_workbook, write_errors
from ..ledger.errors_out import COLUMNS, error_rows
from ..ledger.ledger import norm_key
from ..ledger.reader import Progress
from ..store import privacy, storage
from ..store.access import User, masked_columns
from ..store.outputs import safe_name
from . import gate, upload_limit_mb

SUFFIXES = (".xlsx",)
KINDS = {"new": "新增", "changed": "修改", "removed": "已删除"}
ROW_COLUMN = "Excel 行号"
# The errors workbook's columns, all in Chinese: the problem's category is a Chinese label (问题类别), not a code.
ERROR_COLUMNS = list(COLUMNS)


class UploadRefused(SgzError):
    """The file itself cannot be taken: too large, empty, or not an Excel workbook."""


def limit_text() -> str:
    return f"文件须为 Excel 工作簿（.xlsx），大小不超过 {upload_limit_mb()} MB。"


def save(name: str, content: bytes, folder: str | Path | None = None) -> Path:
    """The uploaded ``content`` saved as ``folder/<name>`` (a new temporary folder when None), checked first."""
    name = str(name or "").strip()
    size_mb = len(content) / (1024 * 1024)
    if not name.lower().endswith(SUFFIXES):
        raise UploadRefused(f"「{name}」不是 Excel 工作簿（.xlsx）：请用 Excel、WPS 或 LibreOffice 另存为 .xlsx 后再上传。")
    if len(content) > upload_limit_mb() * 1024 * 1024:
        raise UploadRefused(f"「{name}」有 {size_mb:.1f} MB，超过上限 {upload_limit_mb()} MB：请删去不需要的工作表"
                            "或按站点分成几个工作簿分别上传。")
    if not content:
        raise UploadRefused(f"「{name}」是空文件：请重新选择台账工作簿。")
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="sgz-upload-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_name(name)
    path.write_bytes(content)
    return path


@dataclass
class Checked:
    """A workbook checked against the database: its changes, or its problems."""

    path: Path
    prune: bool
    result: ImportResult | None = None
    error: DataError | None = None
    letters: dict | None = None
    at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def file_name(self) -> str:
        return self.path.name


def check(url: str, user: User, path: Path, *, prune: bool = False, progress: Progress | None = None,
          waiting=None) -> Checked:
    """The dry run of ``sgz import`` as ``user``: what would change, or every problem (masked for a masked user)."""
    with gate.turn(url, waiting):
        engine = storage.connect(url, upgrade=False)
        try:
            result = import_workbook(engine, path, prune=prune, dry_run=True, progress=progress, user=user)
        except DataError as exc:
            masked = DataError(mask_problems(exc.problems, user.masked), title=exc.title)
            return Checked(path, prune, error=masked, letters=getattr(exc, "letters", {}), at=_now())
        finally:
            engine.dispose()
    return Checked(path, prune, result=result, at=_now())


def commit(url: str, user: User, checked: Checked, *, progress: Progress | None = None, waiting=None,
           accept_signoff_changes: bool = False) -> ImportResult:
    """Import the checked workbook as ``user`` (one locked transaction with its audit row); ``DataError`` if the
    database changed since the check so that it no longer fits (then nothing is written). A workbook that
    changes signed-off figures (``checked.result.signoff_changes``) is refused unless ``accept_signoff_changes``
    (``store.signoffs``)."""
    if not checked.ok:
        raise UploadRefused("这份工作簿有错误，不能导入：请按错误清单改正后重新上传。")
    with gate.turn(url, waiting):
        engine = storage.connect(url, upgrade=False)
        try:
            return import_workbook(engine, checked.path, prune=checked.prune, progress=progress, user=user,
                                   accept_signoff_changes=accept_signoff_changes)
        finally:
            engine.dispose()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# -- what the page shows ---------------------------------------------------------------------------------

def changes(result: ImportResult) -> pd.DataFrame:
    """One row per sheet: 读入, 新增, 修改, 未变, and 已删除 (with prune) or 库中有而本次没有."""
    return result.counts()


def rows_behind(result: ImportResult, sheet: str, kind: str, masked: bool) -> pd.DataFrame:
    """The rows behind one count of one sheet: the workbook's rows (with their Excel row) for 新增 and 修改,
    the keys of the database rows for 已删除; Chinese headers; personal columns masked for a masked user."""
    summary = next(s for s in result.sheets if s.sheet == sheet)
    t = schema.TABLE_BY_NAME[summary.table]
    keys = getattr(summary, kind)
    headers = {c.name: c.header for c in t.columns}
    if kind == "removed" or result.ledger is None:
        return pd.DataFrame([list(k) for k in keys], columns=[headers[c] for c in t.key])
    frame = result.ledger.frames[t.name]
    wanted = {norm_key(k) for k in keys}
    found = [norm_key(k) in wanted for k in frame[list(t.key)].itertuples(index=False, name=None)]
    rows = frame[pd.Series(found, index=frame.index, dtype=bool)]
    if masked:
        rows = privacy.mask_frame(rows, masked_columns(t.name))
    places = result.ledger.rowmap(t.name)
    excel = [places.get(norm_key(k), ("", None))[1] for k in rows[list(t.key)].itertuples(index=False, name=None)]
    shown = rows.rename(columns=headers)
    shown.insert(0, ROW_COLUMN, excel)
    return shown.sort_values(ROW_COLUMN).reset_index(drop=True)


def errors_frame(error: DataError, letters: dict | None) -> pd.DataFrame:
    """Every problem: 序号, 工作表, 行号, 单元格, 列, 填写的值, 问题及改法, 问题类别."""
    frame = pd.DataFrame(error_rows(error.problems, letters), columns=list(COLUMNS))
    frame["行号"] = frame["行号"].astype("Int64")
    return frame[ERROR_COLUMNS]


def errors_workbook(error: DataError, letters: dict | None) -> bytes:
    """The errors workbook of ``sgz import --errors-out`` (its values already masked for a masked user)."""
    with tempfile.TemporaryDirectory(prefix="sgz-errors-") as folder:
        path = write_errors(error.problems, Path(folder) / "错误清单.xlsx", letters)
        return path.read_bytes()


# -- masking --------------------------------------------------------------------------------------------

def _column_kinds() -> dict:
    """(sheet, header) → masking kind, for every personal or free-text column of the ledger; and header → kind
    where every sheet's column of that header is masked alike (a sheet titled a little differently)."""
    out: dict = {}
    by_header: dict[str, set] = {}
    for t in schema.TABLES:
        kinds = masked_columns(t.name)
        for c in t.columns:
            kind = kinds.get(c.name)
            by_header.setdefault(c.header, set()).add(kind)
            if kind:
                out[(t.sheet, c.header)] = kind
    out.update({h: next(iter(k)) for h, k in by_header.items() if len(k) == 1 and None not in k})
    return out


def mask_problems(problems: list[Problem], masked: bool) -> list[Problem]:
    """The problems as a masked user may see them: values of personal columns masked as the masked views
    mask them (names, phones, ID numbers), and phone and ID numbers in any value or message masked too."""
    if not masked:
        return list(problems)
    kinds = _column_kinds()
    out = []
    for p in problems:
        kind = kinds.get((p.where, p.column)) or kinds.get(p.column)
        value = p.value
        if isinstance(value, str) and value:
            value = privacy.MASKERS[kind](value) if kind in privacy.MASKERS else privacy.mask_text(value)
        out.append(replace(p, value=value, message=privacy.mask_text(p.message)))
    return out
