"""Imports at the same moment (released together by a barrier) on SQLite and PostgreSQL: nothing lost.

Every import here pauses for half a second inside its transaction after it
has read the database (fault point ``import-read``), so two imports that did
not lock each other out would both read before either wrote, and the second
would write back what it read: the lost update of issue 12. The expected
database is the one the same imports give one after the other (an
independent run), compared by a fingerprint of every row.
"""

from __future__ import annotations

import threading

import pytest
from ledger_books import BASE, rows, write_book
from rel_helpers import dump_hash, row_counts, station_book, station_sheets

from sgzlib.ledger import import_workbook
from sgzlib.store import storage


@pytest.fixture(autouse=True)
def _pause_after_read(monkeypatch):
    monkeypatch.setenv("SGZ_FAULT_AT", "import-read")
    monkeypatch.setenv("SGZ_FAULT_ACTION", "sleep:0.5")


def together(*jobs):
    """Run the jobs in threads released at once; return their results, raising the first error."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for exc in errors:
        if exc is not None:
            raise exc
    return results


def importer(url, book, **kw):
    def job():
        engine = storage.connect(url)
        try:
            return import_workbook(engine, book, **kw)
        finally:
            engine.dispose()
    return job


def sequential(url, *steps):
    for book, kw in steps:
        importer(url, book, **kw)()
    return dump_hash(url)


def test_two_stations_imported_at_once_both_land_in_full(db_url, second_url, tmp_path):
    """Two first imports into a database that does not exist yet: the migration races too."""
    a, b = station_book(tmp_path, "S1"), station_book(tmp_path, "S2")
    first, second = together(importer(db_url, a), importer(db_url, b))
    assert first.stations == ["S1"] and second.stations == ["S2"]
    assert dump_hash(db_url) == sequential(second_url, (a, {}), (b, {}))
    counts = row_counts(db_url)
    # BASE: 2 stations, 3 people (B9 is S2's), 2 services, 2 case sessions: every row of both books is there.
    assert (counts["stations"], counts["beneficiaries"], counts["services"], counts["case_sessions"]) == (2, 3, 2, 2)


def test_same_workbook_twice_at_once_one_writer_one_nothing_changed(db_url, second_url, tmp_path):
    base = station_book(tmp_path, "S1", "base.xlsx")
    importer(db_url, base)()
    services = [dict(r, place="社区活动室") for r in BASE["services"]]  # two rows changed
    sheets = station_sheets("S1")
    sheets["服务记录"] = rows("services", services)
    edited = write_book(tmp_path / "edited.xlsx", sheets)
    results = together(importer(db_url, edited), importer(db_url, edited))
    changed = sorted(len(next(s for s in r.sheets if s.table == "services").changed) for r in results)
    assert changed == [0, 2]
    assert sorted(r.changed_anything for r in results) == [False, True]
    assert dump_hash(db_url) == sequential(second_url, (base, {}), (edited, {}))


def test_prunes_of_two_stations_at_once_delete_only_their_own_rows(db_url, second_url, tmp_path):
    s1, s2 = station_book(tmp_path, "S1"), station_book(tmp_path, "S2")
    importer(db_url, s1)()
    importer(db_url, s2)()
    less = station_sheets("S1")
    less["服务记录"] = rows("services", BASE["services"][:1])  # S002 no longer in S1's ledger
    less_book = write_book(tmp_path / "s1-less.xlsx", less)
    more = station_sheets("S2")
    people = [r for r in BASE["beneficiaries"] if r["station_code"] == "S2"]
    more["服务对象"] = rows("beneficiaries", people + [dict(people[0], code="B10", name="钱十")])
    more_book = write_book(tmp_path / "s2-more.xlsx", more)
    r1, r2 = together(importer(db_url, less_book, prune=True), importer(db_url, more_book, prune=True))
    removed = {s.table: s.removed for s in r1.sheets if s.removed}
    assert removed == {"services": [("S002",)]}  # the true count: one row, S1's
    assert not any(s.removed for s in r2.sheets)
    assert dump_hash(db_url) == sequential(second_url, (s1, {}), (s2, {}), (less_book, {"prune": True}),
                                           (more_book, {"prune": True}))
    counts = row_counts(db_url)
    assert (counts["services"], counts["beneficiaries"]) == (1, 4)  # 2 - S002; 3 + B10
