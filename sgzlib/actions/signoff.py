"""签字确认: the evaluator freezes a project's as-of date, their name and the figures; a later import that would
change the figures is caught (``store.signoffs``: the import is refused unless the person importing confirms,
then the sign-off is marked 已失效 with what changed, in the import's own transaction).

- ``sign(engine, user, project, as_of)``: evaluates the project on ``as_of`` from the database inside a locked
  write transaction and stores its 全期 rows with the evaluator and the date; audit row ``signoff``.
- ``revoke(engine, user, project, note)``: withdraws a sign-off (to verify or score again; verifying and
  scoring are refused while a sign-off holds); audit row ``signoff_revoke``.
- ``status(engine, projects)``: each project's sign-off as it stands, and for a lapsed one what changed:
  ``notices`` lists the lapsed ones for the evaluator's pages.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..domain.labels import SIGNOFF_STATES
from ..errors import DataError, Problem
from ..store import access, audit, signoffs, storage
from ..store.access import User
from . import projects

STATUS_COLUMNS = ["project_code", "station_code", "state", "as_of", "signed_by", "signed_at", "event_at", "login",
                  "file_name", "note", "changes"]


def sign(engine: sa.Engine, user: User, project: str, as_of) -> int:
    """Sign the project off on ``as_of`` (within the project period, not after today); the event's id."""
    row = projects.acting_on(engine, user, project, "signoff")
    when = projects.require_date(as_of, row, "评估截至日期")
    station = row["station_code"]
    with storage.write_transaction(engine) as conn:
        storage.lock_stations(conn, [station])
        state = signoffs.current(conn, projects=[project])
        if len(state) and state["event"].iloc[0] == signoffs.SIGNED:
            r = state.iloc[0]
            raise DataError([Problem("signed_already", f"项目 {project} 已由 {r['login']} 于 {signoffs.local_time(r['at'])} "
                                     f"签字确认（评估截至 {r['as_of']:%Y-%m-%d}），仍然有效：如需重新签字，请先撤销",
                                     where=project)], title="未签字")
        me = access.session(conn)
        codes = storage.subtree(storage.read_station_tree(conn), station)
        frozen = signoffs.figures(signoffs.station_dataset(conn, codes, masked=bool(me and me.masked)), project, when)
        login = audit.acting_login(conn, user.login)
        counts = frozen["status"].value_counts()
        summary = "、".join(f"{k} {int(v)} 项" for k, v in counts.items())
        new_id = signoffs.add_event(conn, login=login, station_code=station, project_code=project,
                                    event=signoffs.SIGNED, as_of=when, figures=signoffs.to_json(frozen),
                                    note=f"{len(frozen)} 项指标：{summary}")
        audit.record(conn, "signoff", login=login, stations=[station],
                     detail=f"{project} 签字确认，评估截至 {when:%Y-%m-%d}：{len(frozen)} 项指标（{summary}）")
    return new_id


def revoke(engine: sa.Engine, user: User, project: str, note: str) -> int:
    """Withdraw the project's sign-off, saying why; the event's id."""
    row = projects.acting_on(engine, user, project, "signoff")
    if not (note or "").strip():
        raise DataError([Problem("required", "请写明撤销的原因（如：需要补充核验）", where=project)], title="未撤销签字确认")
    station = row["station_code"]
    with storage.write_transaction(engine) as conn:
        storage.lock_stations(conn, [station])
        state = signoffs.current(conn, projects=[project])
        if state.empty or state["event"].iloc[0] == signoffs.REVOKED:
            raise DataError([Problem("not_signed", f"项目 {project} 没有签字确认可撤销", where=project)],
                            title="未撤销签字确认")
        r = state.iloc[0]
        login = audit.acting_login(conn, user.login)
        new_id = signoffs.add_event(conn, login=login, station_code=station, project_code=project,
                                    event=signoffs.REVOKED, as_of=r["as_of"].date(), note=note.strip())
        audit.record(conn, "signoff_revoke", login=login, stations=[station],
                     detail=f"{project} 撤销签字确认（原为{r['state']}）：{note.strip()}")
    return new_id


def status(bind, project_codes) -> pd.DataFrame:
    """Per project with a sign-off event: where it stands (``STATUS_COLUMNS``); ``changes`` holds, for a lapsed
    one, the figures the import changed (``signoffs.DIFF_COLUMNS``), for a valid one the frozen 全期 rows."""
    cur = signoffs.current(bind, projects=list(project_codes))
    if cur.empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    out = pd.DataFrame({
        "project_code": cur["project_code"], "station_code": cur["station_code"], "state": cur["state"],
        "as_of": cur["as_of"].dt.date, "signed_by": cur["signed_by"], "signed_at": cur["signed_at"],
        "event_at": cur["at"], "login": cur["login"], "file_name": cur["file_name"], "note": cur["note"]})
    out["changes"] = [signoffs.from_json(f) if e == signoffs.STALE else signoffs.from_json(s)
                      for e, f, s in zip(cur["event"], cur["figures"], cur["signed_figures"])]
    return out


def notices(bind, project_codes) -> pd.DataFrame:
    """The lapsed sign-offs (已失效) among ``project_codes``: the evaluator is told which import changed what."""
    st = status(bind, project_codes)
    return st[st["state"] == SIGNOFF_STATES[signoffs.STALE]].reset_index(drop=True)


def lapsed_text(row: pd.Series) -> str:
    """One sentence for a lapsed sign-off."""
    return (f"项目 {row['project_code']} 的签字确认（{row['signed_by']} 签于 {when_text(row['signed_at'])}，评估截至 "
            f"{row['as_of']:%Y-%m-%d}）已失效：{row['login']} 于 {when_text(row['event_at'])} 导入 {row['file_name'] or ''}，"
            f"改变了 {row['changes']['indicator_id'].nunique() if len(row['changes']) else 0} 项指标的数字。"
            "请核对后重新签字。")


def when_text(value) -> str:
    return signoffs.local_time(value)
