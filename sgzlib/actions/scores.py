"""评估打分: the evaluator uploads a scoring scheme (评分细则) and enters a score per indicator of a project.

- ``upload_scheme(engine, user, text, file_name, project=None)``: the YAML of ``indicators.scoring`` (checked
  by ``parse_scheme``: every problem at once), stored in the database for one project or, without a project,
  for every project of its catalogue; the latest upload holds (``store.evaluation_records.scheme_for``).
- ``sheet(wb, engine, project, as_of)``: the project's scheme items with the indicator's result, the score the
  scheme gives (系统得分) and the score entered so far: what the page shows.
- ``enter_scores(engine, user, project, scores)``: the scores (0 … the item's points) and notes, all or none,
  in one locked write transaction with one audit row. The assessment's score sheet (``reports.scoresheet``)
  writes them in its 评估员得分 and 评估员意见 columns.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import sqlalchemy as sa

from ..errors import DataError, DefinitionError, Problem
from ..indicators import load_catalogue, scoring
from ..store import audit, evaluation_records, storage
from ..store.access import User
from ..store.evaluation_records import StoredScheme, stored_scheme
from . import guard, projects

MAX_SCHEME_BYTES = 1024 * 1024
SHEET_COLUMNS = ["indicator_id", "indicator_name", "status", "actual", "target", "unit", "points", "rule", "system",
                 "score", "note", "scored_by", "scored_at"]


def upload_scheme(engine: sa.Engine, user: User, content: bytes | str, file_name: str,
                  project: str | None = None) -> int:
    """Store a scoring scheme; its id. ``DefinitionError`` listing every problem of the file, ``DataError`` for
    a project of another catalogue."""
    guard.require_role(user, "score")
    text = _text(content, file_name)
    scheme = scoring.parse_scheme(text, file_name)
    row = projects.acting_on(engine, user, project, "score") if project else None
    title = load_catalogue(scheme.catalogue).title
    if row is not None and row["catalogue_id"] != scheme.catalogue:
        raise DataError([Problem("other_catalogue", f"评分细则《{scheme.title}》适用于指标清单《{title}》，"
                                 f"项目 {project} 用的是《{row['catalogue_title']}》：请选择该清单的项目，或上传该清单的"
                                 "评分细则", where=file_name)], title="评分细则未保存")
    station = row["station_code"] if row is not None else None
    with storage.write_transaction(engine) as conn:
        login = audit.acting_login(conn, user.login)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        new_id = evaluation_records.add_scheme(
            conn, at=evaluation_records.now(), login=login, catalogue=scheme.catalogue, project_code=project,
            station_code=station, title=scheme.title, file_name=file_name, sha256=digest, text=text)
        whom = f"项目 {project}" if project else f"指标清单《{title}》的全部项目"
        audit.record(conn, "scoring_scheme", login=login, file_name=file_name, sha256=digest,
                     stations=[station] if station else (), detail=f"《{scheme.title}》适用于{whom}，"
                     f"{len(scheme.items)} 项指标，满分 {scheme.max_points:g}")
    return new_id


def _text(content: bytes | str, file_name: str) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(raw) > MAX_SCHEME_BYTES:
        raise DefinitionError([Problem("too_large", f"文件 {len(raw) // 1024} KB，评分细则不应超过 "
                                       f"{MAX_SCHEME_BYTES // 1024} KB：请确认选的是评分细则（YAML 文本文件）",
                                       where=file_name)], title="评分细则有误")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DefinitionError([Problem("not_utf8", "不是 UTF-8 编码的文本文件：评分细则应为 YAML 文本（用记事本另存为 "
                                       "UTF-8）", where=file_name)], title="评分细则有误") from None


def sheet(summary: pd.DataFrame, stored: StoredScheme, entered: pd.DataFrame) -> pd.DataFrame:
    """Per item of the scheme (``SHEET_COLUMNS``): the indicator's result, the scheme's score, the entered one."""
    project = summary["project_code"].iloc[0] if len(summary) else None
    system = stored.scheme.score(summary).set_index("indicator_id")
    rows = summary.set_index("indicator_id")
    mine = entered[entered["scheme_id"] == stored.id].set_index("indicator_id") if len(entered) else pd.DataFrame()
    out = []
    for item in stored.scheme.items:
        i = item.indicator_id
        r = rows.loc[i] if i in rows.index else None
        out.append({"indicator_id": i, "indicator_name": r["indicator_name"] if r is not None else None,
                    "status": r["status"] if r is not None else None,
                    "actual": r["actual"] if r is not None else None, "target": r["target"] if r is not None else None,
                    "unit": r["unit"] if r is not None else None, "points": item.points,
                    "rule": system["rule"].get(i, item.describe()), "system": system["score"].get(i),
                    "score": mine["score"].get(i) if len(mine) else None,
                    "note": mine["note"].get(i) if len(mine) else None,
                    "scored_by": mine["login"].get(i) if len(mine) else None,
                    "scored_at": mine["at"].get(i) if len(mine) else None})
    frame = pd.DataFrame(out, columns=SHEET_COLUMNS)
    frame.attrs["project"] = project
    return frame


def enter_scores(engine: sa.Engine, user: User, project: str, scores: dict[str, tuple[float | None, str | None]]) -> int:
    """Save the scores (``indicator → (score, note)``; a None score is left out); how many were saved."""
    row = projects.acting_on(engine, user, project, "score")
    stored = stored_scheme(engine, row)
    if stored is None:
        raise DataError([Problem("no_scheme", f"项目 {project} 的指标清单《{row['catalogue_title']}》还没有评分细则：请先上传评分细则",
                                 where=project)], title="得分未保存")
    items = {i.indicator_id: i for i in stored.scheme.items}
    problems, rows = [], []
    for ind, (value, note) in scores.items():
        if value is None or (isinstance(value, float) and value != value):
            continue
        item = items.get(ind)
        if item is None:
            problems.append(Problem("not_in_scheme", f"评分细则《{stored.scheme.title}》没有这项指标", where=project,
                                    value=ind))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append(Problem("not_a_number", "得分应为数字", where=project, column=ind, value=value))
            continue
        if not 0 <= number <= item.points:
            problems.append(Problem("out_of_range", f"得分应在 0 到该指标分值 {item.points:g} 之间", where=project,
                                    column=ind, value=value))
            continue
        rows.append({"indicator_id": ind, "score": round(number, 2), "note": (note or "").strip() or None})
    if problems:
        raise DataError(problems, title="得分有误，未保存任何一项")
    if not rows:
        raise DataError([Problem("nothing", "没有填写任何得分", where=project)], title="得分未保存")
    station = row["station_code"]
    with storage.write_transaction(engine) as conn:
        storage.lock_stations(conn, [station])
        projects.require_not_signed(conn, project, "评估打分")
        login = audit.acting_login(conn, user.login)
        at = evaluation_records.now()
        evaluation_records.add_scores(conn, [{**r, "at": at, "login": login, "station_code": station,
                                              "project_code": project, "scheme_id": stored.id} for r in rows])
        audit.record(conn, "scores", login=login, stations=[station], new=len(rows),
                     detail=f"{project} 按《{stored.scheme.title}》打分 {len(rows)} 项，合计 "
                            f"{sum(r['score'] for r in rows):g} 分")
    return len(rows)
