"""Rows of another station in a workbook imported with pruning (``import_workbook(prune=True)``).

Pruning makes the workbook the whole truth of every station it names. A
station named only by a stray row (another station's record copied in) would
lose its station row and all its other records; before this check the user
was told instead that other rows referred to a station that did not exist.
When the workbook has a 社工站 sheet, every station its rows belong to must be
listed there; each row of a station that is not is refused, saying whose it
is and what to do.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from ..errors import Problem
from ..store import storage
from .ledger import Ledger


def stray_rows(conn: sa.Connection, ledger: Ledger, scope: set[str]) -> list[Problem]:
    """With ``prune``, the rows of stations that the workbook's 社工站 sheet does not list.

    Pruning makes the workbook the whole truth of every station it names: a station named only by a
    stray row (another station's record copied in) would lose its station row and everything else. The
    rows are refused one by one, saying whose they are, before any other check.
    """
    if "stations" not in ledger.tables:
        return []
    stray = scope - set(ledger.frames["stations"]["code"].dropna())
    if not stray:
        return []
    out = []
    sheet = schema.TABLE_BY_NAME["stations"].sheet
    for name, frame in ledger.frames.items():
        t = schema.TABLE_BY_NAME[name]
        if name == "stations" or not len(frame):
            continue
        owners = _owners(conn, ledger, name)
        header = t.column(t.station_column).header if t.station_column else t.column(schema.STATION_VIA[name][1]).header
        for i, owner in enumerate(owners.tolist()):
            if owner not in stray:
                continue
            title, row = ledger.places[name][i]
            value = owner if t.station_column else frame.iloc[i][schema.STATION_VIA[name][1]]
            out.append(Problem(
                "stray_station", f"这一行属于站点「{owner}」，但本工作簿的「{sheet}」表中没有这个站点：像是另一个站点的记录"
                f"混进了本台账。选择删除工作簿里已没有的行时，工作簿涉及的每个站点都以本工作簿为准，站点「{owner}」在数据库中"
                f"其余的记录（连同站点本身）都会被删除，所以整个工作簿没有导入。请删去这一行，或把它移到「{owner}」的台账中；"
                f"如果本工作簿确实包括「{owner}」，请在「{sheet}」表中加上它",
                where=title, row=row, column=header, value=value))
    return out


def _owners(conn: sa.Connection, ledger: Ledger, name: str) -> pd.Series:
    """The station of every row of one of the workbook's tables (through the parent row for 个案服务 and the like)."""
    t = schema.TABLE_BY_NAME[name]
    frame = ledger.frames[name]
    if t.station_column:
        return frame[t.station_column].astype(object)
    parent, local = schema.STATION_VIA[name]
    lookup = storage.read_by_values(conn, parent, "code", set(frame[local].dropna()))
    lookup = lookup.set_index("code")["station_code"]
    if parent in ledger.frames:
        mine = ledger.frames[parent].set_index("code")["station_code"]
        lookup = pd.concat([lookup[~lookup.index.isin(mine.index)], mine])
    return frame[local].map(lookup).astype(object)
