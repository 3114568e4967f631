"""评估核验: the evaluator sees every checklist item of the projects in scope and marks it 已核验 or 不符合.

- ``items(wb, as_of)``: every item of every checklist indicator (the engine's 检查项 rule, the only rule
  whose status can be 待核验) of the projects the read model holds, on ``as_of``: the indicator, its
  source text (the catalogue's ``source_text``) and the evidence it asks for, what the station ticked, the
  evaluator's latest verdict, and where the item stands (``labels``: 待核验, 站点已勾选, 已核验, 不符合).
- ``verify(engine, user, …)``: one verdict with its date, note and an optional evidence file (stored once
  per station by its SHA-256, type and size checked: ``store.evaluation_records``), in one locked write
  transaction with its audit row (``verify``). The next evaluation reads it: the counting rule is the
  checklist rule's (``indicators.rules.station``), 已核验 counts and 不符合 does not, with the note as the
  reason. A verdict's date is the day the finding holds for (within the project period): it counts in every
  evaluation of that project on or after that day.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..domain.labels import CHECK_PENDING, CHECK_TICKED, VERDICTS
from ..domain.vocab import fold
from ..errors import DataError, Problem
from ..indicators import load_catalogue
from ..store import audit, evaluation_records, storage
from ..store.access import User
from ..store.evaluation_records import EvidenceFile
from . import projects

ITEM_COLUMNS = ["station_code", "station_name", "project_code", "indicator_id", "indicator_name", "status", "item",
                "state", "source_text", "evidence_wanted", "ticked_on", "station_evidence", "verdict_date",
                "verdict_note", "verdict_by", "evidence_sha256", "evidence_name"]
VERDICT_WORDS = {**{v: k for k, v in VERDICTS.items()}, **{k: k for k in VERDICTS}}


def items(wb, as_of=None, evidence_names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every checklist item of the read model's projects on ``as_of`` (``ITEM_COLUMNS``), 待核验 first."""
    ev = wb.evaluation(as_of)
    summary = ev.summary[ev.summary["rule"] == "checklist"]
    if summary.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    ex = ev.explanations
    ex = ex[ex["indicator_id"].isin(set(summary["indicator_id"])) & ex["project_code"].isin(set(summary["project_code"]))]
    out = ex.merge(summary[["project_code", "indicator_id", "station_code", "station_name", "indicator_name", "status",
                            "catalogue"]], on=["project_code", "indicator_id"])
    out = out.rename(columns={"record_id": "item"})
    wanted = {(c, i.id): (i.source_text, i.evidence) for c in set(out["catalogue"])
              for i in load_catalogue(c).indicators}
    out["source_text"] = [wanted[(c, i)][0] for c, i in zip(out["catalogue"], out["indicator_id"])]
    out["evidence_wanted"] = [wanted[(c, i)][1] for c, i in zip(out["catalogue"], out["indicator_id"])]
    out = _with_ticks(out, wb.ds.checklist)
    out = _with_verdicts(out, wb.ds.frames.get("checklist_verifications"), ev.as_of, evidence_names)
    out["state"] = [_state(c, v) for c, v in zip(out["counted"], out["verdict"])]
    order = {CHECK_PENDING: 0, VERDICTS["rejected"]: 1, CHECK_TICKED: 2, VERDICTS["verified"]: 3}
    out["_o"] = out["state"].map(order)
    return out.sort_values(["_o", "station_code", "project_code", "indicator_id"], kind="stable",
                           ignore_index=True)[ITEM_COLUMNS]


def _state(counted: bool, verdict) -> str:
    if isinstance(verdict, str):
        return VERDICTS[verdict]
    return CHECK_TICKED if counted else CHECK_PENDING


def _with_ticks(out: pd.DataFrame, checklist: pd.DataFrame) -> pd.DataFrame:
    c = checklist[checklist["done"].fillna(False).astype(bool)].assign(key=lambda f: f["item"].map(fold))
    ticks = c.drop_duplicates(["station_code", "key"]).set_index(["station_code", "key"])
    keys = list(zip(out["station_code"], out["item"].map(fold)))
    out["ticked_on"] = [ticks["done_date"].get(k) for k in keys]
    out["station_evidence"] = [ticks["evidence"].get(k) for k in keys]
    return out


def _with_verdicts(out: pd.DataFrame, v: pd.DataFrame | None, as_of, names: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["verdict", "verdict_date", "verdict_note", "verdict_by", "evidence_sha256"]
    if v is None or v.empty:
        return out.assign(**{c: None for c in cols}, evidence_name=None)
    v = v[v["date"] <= pd.Timestamp(as_of)].sort_values(["date", "id"], kind="stable")
    latest = v.assign(key=v["item"].map(fold)).drop_duplicates(["project_code", "key"], keep="last") \
        .set_index(["project_code", "key"])
    keys = list(zip(out["project_code"], out["item"].map(fold)))
    for col, src in zip(cols, ("verdict", "date", "note", "login", "evidence_sha256")):
        out[col] = [latest[src].get(k) for k in keys]
    if names is not None and len(names):
        by_hash = names.drop_duplicates("sha256").set_index("sha256")["name"]
        out["evidence_name"] = out["evidence_sha256"].map(by_hash)
    else:
        out["evidence_name"] = None
    return out


def verify(engine: sa.Engine, user: User, project: str, indicator_id: str, item: str, verdict: str, date,
           note: str, evidence: EvidenceFile | None = None) -> int:
    """Record the evaluator's verdict on one checklist item of ``project``; its id.

    Refused (``DataError``, nothing written) for an unknown indicator or item, a verdict other than 已核验 /
    不符合, a date outside the project period or after today, an empty note, a file of the wrong type or too
    large, or a project whose figures are signed off; ``NotAllowedError`` for the wrong role or station.
    """
    row = projects.acting_on(engine, user, project, "verify")
    item = checklist_item(row, indicator_id, item)
    code = VERDICT_WORDS.get(str(verdict).strip())
    problems = []
    if code is None:
        problems.append(Problem("bad_verdict", f"核验结论只能是 {'、'.join(VERDICTS.values())}", where=item, value=verdict))
    if not (note or "").strip():
        problems.append(Problem("required", "请写明核验说明（看了什么、在哪里看的；不符合时写明原因）", where=item))
    if problems:
        raise DataError(problems, title="核验结论未保存")
    when = projects.require_date(date, row, "核验日期")
    kind = evaluation_records.evidence_kind(evidence) if evidence is not None else None
    station = row["station_code"]
    with storage.write_transaction(engine) as conn:
        storage.lock_stations(conn, [station])
        projects.require_not_signed(conn, project, "核验")
        login = audit.acting_login(conn, user.login)
        digest = evaluation_records.store_evidence(conn, station, evidence, kind, login) if evidence else None
        new_id = evaluation_records.add_verification(
            conn, at=evaluation_records.now(), login=login, station_code=station, project_code=project,
            indicator_id=indicator_id, item=item, verdict=code, date=when, note=note.strip(), evidence_sha256=digest)
        audit.record(conn, "verify", login=login, stations=[station], file_name=evidence.name if evidence else None,
                     sha256=digest, detail=f"{project} {indicator_id}「{item}」：{VERDICTS[code]}（{when:%Y-%m-%d}）："
                                           f"{note.strip()}")
    return new_id


def checklist_item(row: pd.Series, indicator_id: str, item: str) -> str:
    """The item as the catalogue spells it; ``DataError`` when the project's catalogue has no such checklist item."""
    cat = load_catalogue(row["catalogue"])
    ind = next((i for i in cat.indicators if i.id == indicator_id), None)
    if ind is None or ind.rule != "checklist":
        raise DataError([Problem("unknown_indicator", f"项目 {row['code']} 的指标清单中没有检查项指标「{indicator_id}」",
                                 where=row["code"], value=indicator_id)], title="核验结论未保存")
    listed = list(ind.params_for(row["tier"] if pd.notna(row["tier"]) else None)["items"])
    match = next((i for i in listed if fold(i) == fold(item)), None)
    if match is None:
        raise DataError([Problem("unknown_item", f"指标「{ind.name}」的检查项只有：{'、'.join(listed)}",
                                 where=row["code"], value=item)], title="核验结论未保存")
    return match

