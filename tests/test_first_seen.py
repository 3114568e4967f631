"""First-seen dates (``store.first_seen``): written by an import with the rows it adds, kept afterwards, read
back with the data, and what the 补录 check compares."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from ledger_books import BASE, D, base_sheets, rows, write_book

from sgzlib.analysis import quality
from sgzlib.errors import DataError
from sgzlib.ledger import import_workbook
from sgzlib.store import storage
from sgzlib.store.db import FIRST_SEEN


def seen(engine) -> dict[tuple[str, str], tuple[str | None, dt.date]]:
    t = FIRST_SEEN
    with engine.connect() as conn:
        return {(a, k): (s, d) for a, k, s, d in conn.execute(
            sa.select(t.c.record_table, t.c.record_key, t.c.station_code, t.c.first_seen))}


def record_dates(engine) -> dict[tuple[str, str], dt.date]:
    t = FIRST_SEEN
    with engine.connect() as conn:
        return {(a, k): d for a, k, d in conn.execute(sa.select(t.c.record_table, t.c.record_key, t.c.record_date))}


@pytest.fixture
def engine(tmp_path):
    engine = storage.connect(f"sqlite:///{tmp_path / 'sgz.db'}")
    yield engine
    engine.dispose()


def test_an_import_records_when_each_dated_row_was_first_seen(engine, tmp_path):
    import_workbook(engine, write_book(tmp_path / "a.xlsx", base_sheets()), seen_on=D("2025-07-01"))
    got = seen(engine)
    # BASE: 2 services, 2 case sessions, 2 group sessions, 2 measurements; stations, people and cases are not dated
    assert got == {("services", "S001"): ("S1", D("2025-07-01")), ("services", "S002"): ("S1", D("2025-07-01")),
                   ("case_sessions", "C1/1"): ("S1", D("2025-07-01")), ("case_sessions", "C1/2"): ("S1", D("2025-07-01")),
                   ("group_sessions", "G1/1"): ("S1", D("2025-07-01")), ("group_sessions", "G1/2"): ("S1", D("2025-07-01")),
                   ("measurements", "B1/SSRS/前测/2025-02-01"): ("S1", D("2025-07-01")),  # B1's station
                   ("measurements", "B1/SSRS/后测/2025-06-30"): ("S1", D("2025-07-01"))}


def test_a_later_import_keeps_the_first_date_and_dates_only_new_rows(engine, tmp_path):
    import_workbook(engine, write_book(tmp_path / "a.xlsx", base_sheets()), seen_on=D("2025-07-01"))
    services = [dict(BASE["services"][0], date=D("2025-03-06")), BASE["services"][1],
                dict(BASE["services"][1], code="S003", date=D("2025-08-01"))]
    import_workbook(engine, write_book(tmp_path / "b.xlsx", base_sheets(services=rows("services", services))),
                    seen_on=D("2025-08-03"))
    got = seen(engine)
    assert got[("services", "S001")][1] == D("2025-07-01")  # changed, not new: its first date stays
    assert record_dates(engine)[("services", "S001")] == D("2025-03-06")  # and it follows the row's own date
    assert got[("services", "S003")][1] == D("2025-08-03")
    ds = storage.load_dataset(engine)
    f = quality.findings(ds, quality.build_index(ds, D("2025-10-31")))
    late = f[f["check"] == "late_entry"]
    # S001 is now dated 2025-03-06 and was first seen 2025-07-01: 117 days; S002 (2025-04-01): 91 days;
    # S003 two days after its date is not late. Case sessions of February and March, group sessions of March
    # and measurements are late too.
    assert late.loc[late["records"].str.startswith("服务记录"), "records"].tolist() == ["服务记录 S001", "服务记录 S002"]
    assert "晚 117 天" in late.loc[late["records"] == "服务记录 S001", "why"].iloc[0]


def test_a_refused_import_records_nothing(engine, tmp_path):
    bad = [dict(BASE["services"][0], station_code="S7")]
    with pytest.raises(DataError):
        import_workbook(engine, write_book(tmp_path / "bad.xlsx", base_sheets(services=rows("services", bad))))
    assert seen(engine) == {}


def test_write_dataset_takes_the_dates_the_dataset_carries(engine, demo_ds):
    storage.write_dataset(engine, demo_ds)
    back = storage.load_dataset(engine, "YL05")
    mine = demo_ds.frames["first_seen"]
    mine = mine[mine["station_code"] == "YL05"].set_index(["record_table", "record_key"])["first_seen"]
    loaded = back.frames["first_seen"].set_index(["record_table", "record_key"])["first_seen"]
    assert len(loaded) == len(mine) > 0
    assert (loaded.sort_index() == mine.sort_index()).all()
    assert (back.frames["first_seen"]["first_seen"] == pd.Timestamp("2025-06-20")).sum() == \
        (mine == pd.Timestamp("2025-06-20")).sum()
