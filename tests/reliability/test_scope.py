"""An import reads and checks only its stations and the rows that link them to others.

Station S2's rows are outside an import of S1's workbook: a problem that is
S2's own does not block S1 (the whole-database check did), but a change of
S1 that breaks an S2 row is refused, naming the S2 row: a person S2's case
refers to now joining after that case opened, or pruning that person.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from ledger_books import BASE, rows, write_book
from rel_helpers import dump_hash, station_sheets

from sgzlib.errors import DataError
from sgzlib.ledger import import_workbook
from sgzlib.ledger.ledger import DB_PREFIX
from sgzlib.store import storage
from sgzlib.store.db import SQL_TABLES

B3 = {"code": "B3", "name": "孙三", "station_code": "S1", "category": "困难老人", "joined": dt.date(2025, 1, 1)}


def s1_sheets(b3: dict | None = B3) -> dict:
    sheets = station_sheets("S1")
    people = [r for r in BASE["beneficiaries"] if r["station_code"] == "S1"] + ([b3] if b3 else [])
    sheets["服务对象"] = rows("beneficiaries", people)
    return sheets


@pytest.fixture
def two_stations(db_url, tmp_path):
    """S1 (with person B3) and S2 imported; S2's case C2 is for S1's person B3, opened 2025-02-01."""
    engine = storage.connect(db_url)
    import_workbook(engine, write_book(tmp_path / "s1.xlsx", s1_sheets()))
    s2 = station_sheets("S2")
    s2["个案"] = rows("cases", [{"code": "C2", "station_code": "S2", "beneficiary_code": "B3", "domain": "养老服务",
                                 "opened": dt.date(2025, 2, 1)}])
    import_workbook(engine, write_book(tmp_path / "s2.xlsx", s2))
    engine.dispose()
    return db_url


def refused(url, book, **kw):
    before = dump_hash(url)
    engine = storage.connect(url)
    with pytest.raises(DataError) as info:
        import_workbook(engine, book, **kw)
    engine.dispose()
    assert dump_hash(url) == before
    return info.value.problems


def test_change_that_breaks_another_stations_row_is_refused(two_stations, tmp_path):
    """B3 now joins 2025-03-01, after S2's case C2 opened (2025-02-01); S1 has no row about B3."""
    book = write_book(tmp_path / "late.xlsx", s1_sheets(dict(B3, joined=dt.date(2025, 3, 1))))
    problems = refused(two_stations, book)
    assert [(p.where, p.code, p.key[:1]) for p in problems] == [("个案", "before_joined", ("C2",))]
    assert problems[0].message.startswith(DB_PREFIX)


def test_prune_of_a_person_another_station_refers_to_is_refused(two_stations, tmp_path):
    book = write_book(tmp_path / "gone.xlsx", {"服务对象": s1_sheets(None)["服务对象"]})
    problems = refused(two_stations, book, prune=True)
    assert [(p.where, p.code, p.value) for p in problems] == [("个案", "unknown_reference", "B3")]


def test_another_stations_own_problem_does_not_block_an_import(two_stations, tmp_path):
    """A broken S2 row (a service for a person nobody has) is S2's business: S1's correction goes in."""
    engine = sa.create_engine(two_stations)
    with engine.begin() as conn:
        conn.execute(SQL_TABLES["services"].insert(), [{
            "code": "S9", "station_code": "S2", "date": dt.date(2025, 5, 1), "domain": "养老服务",
            "category": "关爱帮扶", "beneficiary_codes": "B77"}])
    engine.dispose()
    sheets = s1_sheets()
    sheets["服务记录"] = rows("services", [dict(BASE["services"][0], place="社区活动室"), BASE["services"][1]])
    engine = storage.connect(two_stations)
    result = import_workbook(engine, write_book(tmp_path / "fix.xlsx", sheets))
    engine.dispose()
    assert next(s for s in result.sheets if s.table == "services").changed == [("S001",)]
    assert result.stations == ["S1"]
