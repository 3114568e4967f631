"""Sign-offs (签字确认): an evaluator freezes a project's figures on an as-of date; a later import that would
change them is caught in the import's own transaction.

The table ``signoffs`` is append-only, one row per event, the latest per project holds (``labels.SIGNOFF_STATES``):

- ``signed``: the evaluator, the as-of date and the figures (the engine's 全期 rows of the project, as JSON);
- ``stale`` (已失效): an import changed the figures; the row names the file (name, SHA-256), the account, and
  holds the figures that changed (indicator, figure, before, after);
- ``revoked`` (已撤销): the evaluator withdrew the sign-off (to verify or score again), with a note.

How an import is told (``import_changes``): in the import's transaction, after its checks and before it
writes, every project signed off (latest event ``signed``) whose station is, or is above, a station of the
import is evaluated on its signed as-of date twice: on the database as it is and as it will be after the
import. The indicators whose 实际 / 目标 / 截至评估日应达 / 状态 differ are the change. The importer
(``ledger.importer``) refuses the import with every changed figure listed, unless the person importing has
confirmed that the sign-off may lapse; then the import is written and a ``stale`` row added in the same
transaction, and the evaluator sees it (``actions.signoff.notices``) and signs again. A dry run lists the
changes without refusing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from ..domain.dataset import Dataset
from ..domain.labels import PERIOD_WHOLE, SIGNOFF_FIGURES, SIGNOFF_STATES
from ..errors import DataError, Problem
from ..indicators import RESULT_COLUMNS, evaluate
from . import evaluation_records, photo_index, spending_overrules
from .db import SIGNOFFS, connected
from .storage import read_scope, read_station_tree, subtree

EVENT_COLUMNS = ["id", "at", "login", "station_code", "project_code", "event", "as_of", "figures", "note",
                 "file_name", "sha256"]
DIFF_COLUMNS = ["indicator_id", "indicator_name", "figure", "before", "after"]
TOLERANCE = 1e-6
SIGNED, STALE, REVOKED = "signed", "stale", "revoked"


# -- figures ----------------------------------------------------------------------------------------------

def figures(ds: Dataset, project: str, as_of) -> pd.DataFrame:
    """The project's 全期 rows on ``as_of`` (``indicators.RESULT_COLUMNS``), in catalogue order."""
    ev = evaluate(ds, as_of, projects=[project])
    rows = ev.results[(ev.results["project_code"] == project) & (ev.results["period"] == PERIOD_WHOLE)]
    return rows[RESULT_COLUMNS].reset_index(drop=True)


def to_json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def from_json(text: str | None) -> pd.DataFrame:
    return pd.DataFrame(json.loads(text)) if text else pd.DataFrame()


def differences(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and figure (实际, 目标, 截至评估日应达, 状态) that differs: before and after (``DIFF_COLUMNS``).

    An indicator present on one side only differs in every figure (the other side is empty)."""
    b = before.set_index("indicator_id") if len(before) else pd.DataFrame(columns=list(SIGNOFF_FIGURES))
    a = after.set_index("indicator_id") if len(after) else pd.DataFrame(columns=list(SIGNOFF_FIGURES))
    names = pd.concat([b.get("indicator_name", pd.Series(dtype=object)),
                       a.get("indicator_name", pd.Series(dtype=object))])
    names = names[~names.index.duplicated()]
    out = []
    for ind in list(dict.fromkeys([*b.index, *a.index])):
        for col, label in SIGNOFF_FIGURES.items():
            old = b[col].get(ind) if ind in b.index else None
            new = a[col].get(ind) if ind in a.index else None
            if not _same(old, new):
                out.append((ind, names.get(ind), label, _shown(old), _shown(new)))
    return pd.DataFrame(out, columns=DIFF_COLUMNS)


def _same(x, y) -> bool:
    if _blank(x) or _blank(y):
        return _blank(x) and _blank(y)
    if isinstance(x, str) or isinstance(y, str):
        return str(x) == str(y)
    return abs(float(x) - float(y)) <= TOLERANCE


def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _shown(v):
    if _blank(v):
        return None
    if isinstance(v, str):
        return v
    v = float(v)
    return int(v) if v.is_integer() else round(v, 2)


# -- the table ------------------------------------------------------------------------------------------

def events(bind, projects=None, stations=None) -> pd.DataFrame:
    """Every sign-off event (oldest first), of the given projects or stations, or all."""
    t = SIGNOFFS
    query = sa.select(*[t.c[c] for c in EVENT_COLUMNS]).order_by(t.c.id)
    if projects is not None:
        query = query.where(t.c.project_code.in_(sorted(projects)))
    if stations is not None:
        query = query.where(t.c.station_code.in_(sorted(stations)))
    with connected(bind) as conn:
        frame = pd.DataFrame(conn.execute(query).fetchall(), columns=EVENT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


def current(bind, projects=None, stations=None) -> pd.DataFrame:
    """Per project its latest event, with ``state`` (有效 / 已失效 / 已撤销) and the sign-off it is about
    (``signed_id``, ``signed_by``, ``signed_at``, ``figures`` of the latest ``signed`` row)."""
    ev = events(bind, projects, stations)
    if ev.empty:
        return ev.assign(state=pd.Series(dtype=object), signed_id=pd.Series(dtype="int64"),
                         signed_by=pd.Series(dtype=object), signed_at=pd.Series(dtype="datetime64[ns, UTC]"),
                         signed_figures=pd.Series(dtype=object))
    signed = ev[ev["event"] == SIGNED].drop_duplicates("project_code", keep="last").set_index("project_code")
    last = ev.drop_duplicates("project_code", keep="last").reset_index(drop=True)
    last["state"] = last["event"].map(SIGNOFF_STATES)
    last["signed_id"] = last["project_code"].map(signed["id"])
    last["signed_by"] = last["project_code"].map(signed["login"])
    last["signed_at"] = last["project_code"].map(signed["at"])
    last["signed_figures"] = last["project_code"].map(signed["figures"])
    return last


def add_event(conn: sa.Connection, **row) -> int:
    t = SIGNOFFS
    row.setdefault("at", dt.datetime.now(dt.UTC))
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


# -- reading a station's data inside a transaction --------------------------------------------------------

def station_dataset(conn: sa.Connection, stations: list[str], masked: bool = False) -> Dataset:
    """Everything the engine reads for these stations (ledger tables, photo index, evaluators' decisions),
    read on ``conn`` (inside a writer's transaction). ``masked``: a masked account reads the masked views."""
    frames = read_scope(conn, stations, masked=masked)
    return _with_extras(frames, conn, stations)


def _with_extras(frames: dict, conn: sa.Connection, stations: list[str]) -> Dataset:
    ds = Dataset(frames)
    ds.frames["photo_files"] = photo_index.load_index(conn, stations)
    ds.frames["spending_overrules"] = spending_overrules.load(conn, stations)
    ds.frames["checklist_verifications"] = evaluation_records.verifications(conn, stations)
    return ds


def _above(tree: pd.DataFrame, codes) -> set[str]:
    parent = tree.set_index("code")["parent_code"].to_dict()
    out = set()
    for c in codes:
        while c is not None and not (isinstance(c, float) and c != c) and c not in out:
            out.add(c)
            c = parent.get(c)
    return out


# -- an import against the sign-offs ---------------------------------------------------------------------

@dataclass
class SignoffChange:
    """A signed-off project whose figures an import would change."""

    project: str
    station: str
    as_of: dt.date
    signed_by: str
    signed_at: dt.datetime
    signed_id: int
    changes: pd.DataFrame  # DIFF_COLUMNS

    @property
    def headline(self) -> str:
        return (f"项目 {self.project} 已由 {self.signed_by} 于 {local_time(self.signed_at)} 签字确认（评估截至 "
                f"{self.as_of:%Y-%m-%d}）；本次导入会改变其中 {self.changes['indicator_id'].nunique()} 项指标的数字")

    def problems(self) -> list[Problem]:
        """One problem per changed figure, for the errors table of an import."""
        return [Problem("signed_off_changed", f"{self.headline}：{r.indicator_name}「{r.figure}」"
                        f"{_text(r.before)} → {_text(r.after)}", where=f"签字确认（项目 {self.project}）",
                        column=r.figure, value=r.indicator_id, key=(self.project, r.indicator_id))
                for r in self.changes.itertuples(index=False)]


def local_time(value) -> str:
    """A stored moment (UTC) as this computer's local time, to the minute; "" when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(dt.datetime.now().astimezone().tzinfo)
    return f"{stamp:%Y-%m-%d %H:%M}"


def _text(v) -> str:
    return "（无）" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


class SignoffConflict(DataError):
    """An import would change the figures of a signed-off project and nobody confirmed that it may."""

    title = ("导入会改变已签字确认的评估数字，未写入任何内容。请先与评估方核对；确需导入时，在导入时确认"
             "“使签字确认失效”，评估方会看到改变了哪些数字并重新签字")

    def __init__(self, changes: list[SignoffChange]):
        self.changes = changes
        super().__init__([p for c in changes for p in c.problems()])


def import_changes(conn: sa.Connection, scope: set[str], after: dict[str, pd.DataFrame]) -> list[SignoffChange]:
    """The signed-off projects whose figures change when the scope's rows become ``after`` (the import's
    ``Plan.after``): each evaluated on its signed date before and after, in this transaction."""
    tree = read_station_tree(conn)
    live = current(conn, stations=_above(tree, scope))
    live = live[live["event"] == SIGNED] if len(live) else live
    out = []
    for r in live.itertuples(index=False):
        codes = subtree(tree, r.station_code)
        before = station_dataset(conn, codes)
        changed = differences(figures(before, r.project_code, r.as_of),
                              figures(_replaced(before, after, scope), r.project_code, r.as_of))
        if len(changed):
            out.append(SignoffChange(r.project_code, r.station_code, r.as_of.date(), r.login, r.at, int(r.id),
                                     changed))
    return out


def _replaced(ds: Dataset, after: dict[str, pd.DataFrame], scope: set[str]) -> Dataset:
    """``ds`` with the rows of the scope's stations replaced by ``after``."""
    frames = {}
    for t in schema.TABLES:
        mine = ds.station_column(t.name).isin(scope).fillna(False).to_numpy(dtype=bool)
        frames[t.name] = pd.concat([ds[t.name][~mine], after[t.name]], ignore_index=True)
    out = Dataset(frames)
    for name in ("photo_files", "spending_overrules", "checklist_verifications"):
        out.frames[name] = ds.frames[name]
    return out


def mark_stale(conn: sa.Connection, changes: list[SignoffChange], file_name: str | None, sha256: str | None,
               login: str) -> None:
    """The ``stale`` row of each changed sign-off, naming the import and holding what changed."""
    for c in changes:
        add_event(conn, login=login, station_code=c.station, project_code=c.project, event=STALE, as_of=c.as_of,
                  figures=to_json(c.changes), file_name=file_name, sha256=sha256,
                  note=f"导入 {file_name or ''} 改变了 {c.changes['indicator_id'].nunique()} 项指标的数字")
