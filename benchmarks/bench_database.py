"""End to end on a database: import, ``load_dataset``, evaluation and ``sgz evaluate --all`` as one command.

For 100 and 1,000 stations of the synthetic province, on SQLite and (when
``SGZ_TEST_POSTGRES_URL`` names a server, as in CI) on PostgreSQL in a
throwaway schema:

- 100 stations are imported as ``sgz import`` does, from ledger workbooks
  (one per county, 20 townships each, written by ``sgz export``'s writer);
  1,000 stations are written with ``storage.write_dataset`` (setting up, not a goal);
- ``load_dataset`` of the whole database (goal at 1,000: ≤ 4 s SQLite, ≤ 6 s PostgreSQL);
- the evaluation of the loaded province in memory (goal at 1,000: ≤ 6 s);
- ``sgz evaluate --all --format csv`` in a new process, start-up included
  (goal at 1,000 on SQLite: ≤ 12 s).

Wall and CPU seconds are printed for each step; on a shared machine the
wall time moves with the load (printed too), the CPU time much less.

Run: ``python -m benchmarks database`` or ``python -m benchmarks.bench_database [N ...]``.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

AS_OF = dt.date(2025, 12, 31)
GOALS = {("load", 1000, "sqlite"): 4.0, ("load", 1000, "postgresql"): 6.0, ("evaluate", 1000, "sqlite"): 6.0,
         ("evaluate", 1000, "postgresql"): 6.0, ("cli", 1000, "sqlite"): 12.0}


class Clock:
    """Wall and CPU seconds of a block (CPU of this process, or of a finished child)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    @contextmanager
    def run(self, child: bool = False):
        who = resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF
        start, usage = time.perf_counter(), resource.getrusage(who)
        yield self
        end = resource.getrusage(who)
        self.wall = time.perf_counter() - start
        self.cpu = (end.ru_utime - usage.ru_utime) + (end.ru_stime - usage.ru_stime)


def report(what: str, clock: Clock, goal_key: tuple | None = None, extra: str = "") -> None:
    goal = GOALS.get(goal_key) if goal_key else None
    verdict = "" if goal is None else f"；目标 ≤{goal:.0f} 秒，{'达标' if clock.wall <= goal else '未达标'}"
    print(f"  {what}：{clock.wall:.1f} 秒（CPU {clock.cpu:.1f} 秒{verdict}；负载 {os.getloadavg()[0]:.1f}）{extra}",
          flush=True)


def databases(folder: Path):
    """(name, URL) of an empty SQLite file, and of a throwaway PostgreSQL schema when a server is named."""
    yield "sqlite", f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    server = os.environ.get("SGZ_TEST_POSTGRES_URL")
    if not server:
        print("  （未设置 SGZ_TEST_POSTGRES_URL：跳过 PostgreSQL）")
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        sep = "&" if "?" in server else "?"
        yield "postgresql", f"{server}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def county_workbooks(ds, folder: Path) -> list[Path]:
    """One ledger workbook per county station (its townships and village rooms), as stations hand them in."""
    from sgzlib.ledger import export_workbook

    counties = ds.stations.loc[ds.stations["level"] == "县区总站", "code"].tolist()
    return [export_workbook(ds.subset(code), folder / f"{code}.xlsx") for code in counties]


def run_size(n_stations: int, folder: Path) -> None:
    from sgzlib.ledger import import_workbook
    from sgzlib.store import storage

    from .bench_evaluate import evaluated
    from .synthetic import province

    ds = province(n_stations)
    sizes = ds.sizes()
    print(f"\n{n_stations:,} 个乡镇站：服务记录 {sizes['services']:,} 条，服务对象 {sizes['beneficiaries']:,} 人，"
          f"个案 {sizes['cases']:,} 个，小组 {sizes['groups']:,} 个", flush=True)
    books = county_workbooks(ds, folder) if n_stations <= 100 else None
    for backend, url in databases(folder):
        print(f" {backend}：", flush=True)
        engine = storage.connect(url)
        clock = Clock()
        if books:
            with clock.run():
                for book in books:
                    import_workbook(engine, book)
            report(f"导入 {len(books)} 个县区台账工作簿（如 sgz import）", clock)
        else:
            with clock.run():
                storage.write_dataset(engine, ds)
            report("写入（storage.write_dataset，准备数据）", clock)
        with clock.run():
            loaded = storage.load_dataset(engine)
        report("load_dataset 全库", clock, ("load", n_stations, backend))
        assert loaded.sizes() == sizes, (loaded.sizes(), sizes)
        with clock.run():
            ev = evaluated(loaded, AS_OF)
        report("内存中评估", clock, ("evaluate", n_stations, backend), f"，{len(ev.results):,} 行结果")
        del loaded, ev
        out = folder / "evaluate.csv"
        command = [sys.executable, "-c", "import sys; from sgzlib.cli import main; sys.exit(main())", "evaluate",
                   "--all", "--format", "csv", "--as-of", AS_OF.isoformat(), "--db", url, "--out", str(out)]
        with clock.run(child=True):
            subprocess.run(command, check=True, capture_output=True)
        rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        report("sgz evaluate --all --format csv（新进程，含启动）", clock, ("cli", n_stations, backend), f"，{rows:,} 行")
        engine.dispose()


def main(sizes: tuple[int, ...] = (100, 1000)) -> None:
    from .__main__ import machine

    print(f"机器：{machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            run_size(n, Path(tmp))


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (100, 1000))
