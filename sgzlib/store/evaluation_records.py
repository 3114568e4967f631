"""What an evaluator decides in the browser, as rows: checklist verdicts and their evidence files, scoring
schemes (评分细则) and scores. Every table is append-only: a later row supersedes an earlier one.

Reading works on an engine or inside a writer's transaction (``db.connected``): ``verifications`` (the frame
the checklist rule reads, ``ds.frames["checklist_verifications"]``), ``evidence`` (a stored file),
``schemes`` / ``scheme_for`` (the scheme that holds for a project) and ``scores`` (the latest score per
indicator). Writing (``add_*``) takes the caller's connection: the ``actions`` write the row and its audit
row in one locked transaction. The rules of what may be written (role, scope, values) live in ``actions``;
the file checks (type and size) live here, with the table that holds the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..errors import DataError, Problem
from ..indicators import load_catalogue, scoring
from .db import CHECKLIST_VERIFICATIONS, EVIDENCE_FILES, INDICATOR_SCORES, SCORING_SCHEMES, connected
from .session import readable

VERIFICATION_COLUMNS = ["id", "at", "login", "station_code", "project_code", "indicator_id", "item", "verdict",
                        "date", "note", "evidence_sha256"]
SCORE_COLUMNS = ["id", "at", "login", "station_code", "project_code", "scheme_id", "indicator_id", "score", "note"]
SCHEME_COLUMNS = ["id", "at", "login", "catalogue", "project_code", "station_code", "title", "file_name", "sha256",
                  "text"]

# Evidence files: what may be stored, and how large.
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_KINDS = {"pdf": "PDF 文件", "jpg": "JPEG 图片", "png": "PNG 图片", "docx": "Word 文档（.docx）",
                  "xlsx": "Excel 工作簿（.xlsx）"}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".docx": "docx", ".xlsx": "xlsx"}
MIME = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _frame(conn: sa.Connection, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).fetchall(), columns=columns)


def _where_station(query: sa.Select, table: sa.Table, stations) -> sa.Select:
    return query if stations is None else query.where(table.c.station_code.in_(sorted(stations)))


# -- checklist verdicts ---------------------------------------------------------------------------------

def verifications(bind, stations=None) -> pd.DataFrame:
    """Every verdict on a checklist item (oldest first), for the given stations or all (a masked user: with
    the note masked)."""
    with connected(bind) as conn:
        t = readable(conn, "checklist_verifications")
        query = _where_station(sa.select(*[t.c[c] for c in VERIFICATION_COLUMNS]).order_by(t.c.id), t, stations)
        frame = _frame(conn, query, VERIFICATION_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[s]")
    frame["id"] = frame["id"].astype("int64")
    return frame


def add_verification(conn: sa.Connection, **row) -> int:
    """Append one verdict (``VERIFICATION_COLUMNS`` but id); its id."""
    t = CHECKLIST_VERIFICATIONS
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


# -- evidence files ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceFile:
    """A file as uploaded: its name and bytes."""

    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def evidence_kind(file: EvidenceFile) -> str:
    """The file's kind (``EVIDENCE_KINDS``) after checking its name, size and content; ``DataError`` otherwise."""
    where = file.name or "佐证文件"
    suffix = "." + file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    kind = EXTENSIONS.get(suffix)
    allowed = "、".join(EVIDENCE_KINDS.values())
    if kind is None:
        raise _refused(where, "bad_type", f"不支持这种文件（{suffix or '无扩展名'}）：佐证文件只能是 {allowed}")
    if not file.content:
        raise _refused(where, "empty_file", "文件是空的（0 字节），请重新选择文件")
    if len(file.content) > MAX_EVIDENCE_BYTES:
        raise _refused(where, "too_large", f"文件 {len(file.content) / 1048576:.1f} MB，超过上限 "
                       f"{MAX_EVIDENCE_BYTES // 1048576} MB：请压缩图片或只上传相关页")
    if not _content_is(kind, file.content):
        raise _refused(where, "content_mismatch", f"文件内容不是{EVIDENCE_KINDS[kind]}（扩展名与内容不符，或文件已损坏），"
                       "请用原始文件重新上传")
    return kind


def _content_is(kind: str, content: bytes) -> bool:
    if kind == "pdf":
        return content.startswith(b"%PDF-")
    if kind == "jpg":
        return content.startswith(b"\xff\xd8\xff")
    if kind == "png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    part = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    return "[Content_Types].xml" in names and part in names


def _refused(where: str, code: str, message: str) -> DataError:
    return DataError([Problem(code, message, where=where)], title="佐证文件不能保存，未写入任何内容")


def store_evidence(conn: sa.Connection, station: str, file: EvidenceFile, kind: str, login: str) -> str:
    """Keep ``file`` for ``station`` once by its SHA-256 (a file stored before is not stored again); the hash."""
    t = EVIDENCE_FILES
    digest = file.sha256
    there = conn.execute(sa.select(t.c.sha256).where(t.c.station_code == station, t.c.sha256 == digest)).first()
    if there is None:
        conn.execute(t.insert().values(station_code=station, sha256=digest, name=file.name, kind=kind,
                                       size=len(file.content), content=file.content, at=now(), login=login))
    return digest


def evidence(bind, station: str, sha256: str) -> tuple[str, str, bytes] | None:
    """(file name, kind, bytes) of a stored evidence file, or None."""
    t = EVIDENCE_FILES
    with connected(bind) as conn:
        row = conn.execute(sa.select(t.c.name, t.c.kind, t.c.content).where(
            t.c.station_code == station, t.c.sha256 == sha256)).first()
    return None if row is None else (row.name, row.kind, bytes(row.content))


def evidence_names(bind, stations=None) -> pd.DataFrame:
    """station_code, sha256, name, kind, size of the stored files (no contents)."""
    t = EVIDENCE_FILES
    cols = ["station_code", "sha256", "name", "kind", "size"]
    with connected(bind) as conn:
        return _frame(conn, _where_station(sa.select(*[t.c[c] for c in cols]), t, stations), cols)


# -- scoring schemes and scores --------------------------------------------------------------------------

def schemes(bind, catalogues=None) -> pd.DataFrame:
    """Every uploaded scheme (oldest first), of the given catalogues or all."""
    t = SCORING_SCHEMES
    query = sa.select(*[t.c[c] for c in SCHEME_COLUMNS]).order_by(t.c.id)
    if catalogues is not None:
        query = query.where(t.c.catalogue.in_(sorted(catalogues)))
    with connected(bind) as conn:
        return _frame(conn, query, SCHEME_COLUMNS)


def scheme_for(bind, project: str, catalogue: str) -> pd.Series | None:
    """The scheme that holds for ``project``: its latest own scheme, else the latest for its whole catalogue."""
    rows = schemes(bind, [catalogue])
    own = rows[rows["project_code"] == project]
    shared = rows[rows["project_code"].isna()]
    chosen = own if len(own) else shared
    return chosen.iloc[-1] if len(chosen) else None


@dataclass(frozen=True)
class StoredScheme:
    """A scheme as stored: its row id, the checked scheme, for which project (None: its whole catalogue), and
    who uploaded it when."""

    id: int
    scheme: scoring.Scheme
    project: str | None
    file_name: str
    login: str
    at: object


def stored_scheme(bind, project: pd.Series) -> StoredScheme | None:
    """The scheme that holds for ``project`` (a project row: code, catalogue), parsed, or None."""
    row = scheme_for(bind, project["code"], load_catalogue(str(project["catalogue"])).id)  # the column may hold a title
    if row is None:
        return None
    scheme = scoring.parse_scheme(row["text"], row["file_name"])
    return StoredScheme(int(row["id"]), scheme, row["project_code"], row["file_name"], row["login"], row["at"])


def add_scheme(conn: sa.Connection, **row) -> int:
    t = SCORING_SCHEMES
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


def scores(bind, projects, scheme_id: int | None = None) -> pd.DataFrame:
    """The latest score per project, scheme and indicator (of one scheme when ``scheme_id`` is given)."""
    t = INDICATOR_SCORES
    query = sa.select(*[t.c[c] for c in SCORE_COLUMNS]).where(t.c.project_code.in_(sorted(projects))).order_by(t.c.id)
    if scheme_id is not None:
        query = query.where(t.c.scheme_id == int(scheme_id))
    with connected(bind) as conn:
        frame = _frame(conn, query, SCORE_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    return frame.drop_duplicates(["project_code", "scheme_id", "indicator_id"], keep="last").reset_index(drop=True)


def add_scores(conn: sa.Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(INDICATOR_SCORES.insert(), rows)
