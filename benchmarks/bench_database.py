"""End to end on a database: import, ``load_dataset``, evaluation and ``sgz evaluate --all`` as one command.

For 100 and 1,000 stations of the synthetic province, on SQLite and on
PostgreSQL in a throwaway schema (of ``SGZ_TEST_POSTGRES_URL``'s server, else
of a throwaway server when this machine has the server programs):

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

from .judge import Judge

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


def report(judge: Judge, what: str, clock: Clock, goal_key: tuple | None = None, extra: str = "") -> None:
    goal = GOALS.get(goal_key) if goal_key else None
    detail = f"；CPU {clock.cpu:.1f} 秒，负载 {os.getloadavg()[0]:.1f}{extra}"
    if goal is None:
        judge.note(f"{what}：{clock.wall:.1f} 秒{detail}")
    else:
        judge.at_most(what, clock.wall, goal, "秒", 1, detail)


def databases(folder: Path, server: str | None):
    """(name, URL) of an empty SQLite file, and of a throwaway PostgreSQL schema on ``server``."""
    yield "sqlite", f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    if not server:
        print("  （没有 PostgreSQL：未设置 SGZ_TEST_POSTGRES_URL，本机也没有可启动的服务器程序；跳过 PostgreSQL）")
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


def run_size(judge: Judge, n_stations: int, folder: Path, server: str | None) -> None:
    from sgzlib.ledger import import_workbook
    from sgzlib.store import storage

    from .bench_evaluate import evaluated
    from .synthetic import province

    ds = province(n_stations)
    sizes = ds.sizes()
    print(f"\n{n_stations:,} 个乡镇站：服务记录 {sizes['services']:,} 条，服务对象 {sizes['beneficiaries']:,} 人，"
          f"个案 {sizes['cases']:,} 个，小组 {sizes['groups']:,} 个", flush=True)
    books = county_workbooks(ds, folder) if n_stations <= 100 else None
    for backend, url in databases(folder, server):
        print(f" {backend}，{n_stations:,} 个站：", flush=True)
        engine = storage.connect(url)
        clock = Clock()
        if books:
            with clock.run():
                for book in books:
                    import_workbook(engine, book)
            report(judge, f"导入 {len(books)} 个县区台账工作簿（如 sgz import）", clock)
        else:
            with clock.run():
                storage.write_dataset(engine, ds)
            report(judge, "写入（storage.write_dataset，准备数据）", clock)
        with clock.run():
            loaded = storage.load_dataset(engine)
        report(judge, f"load_dataset 全库（{n_stations:,} 个站，{backend}）", clock, ("load", n_stations, backend))
        assert loaded.sizes() == sizes, (loaded.sizes(), sizes)
        with clock.run():
            ev = evaluated(loaded, AS_OF)
        report(judge, f"内存中评估（{n_stations:,} 个站，{backend}）", clock, ("evaluate", n_stations, backend), f"，{len(ev.results):,} 行结果")
        del loaded, ev
        out = folder / "evaluate.csv"
        command = [sys.executable, "-c", "import sys; from sgzlib.cli import main; sys.exit(main())", "evaluate",
                   "--all", "--format", "csv", "--as-of", AS_OF.isoformat(), "--db", url, "--out", str(out)]
        with clock.run(child=True):
            subprocess.run(command, check=True, capture_output=True)
        rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        report(judge, f"sgz evaluate --all --format csv（{n_stations:,} 个站，{backend}；新进程，含启动）", clock, ("cli", n_stations, backend), f"，{rows:,} 行")
        engine.dispose()


def main(sizes: tuple[int, ...] = (100, 1000)) -> None:
    from .__main__ import machine

    print(f"机器：{machine()}")
    judge = Judge()
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        for n in sizes:
            run_size(judge, n, Path(tmp), server)
    judge.finish()


@contextmanager
def postgres_server():
    """``SGZ_TEST_POSTGRES_URL``, else a throwaway server when this machine has one (as the tests do), else None."""
    from sgzlib.errors import ConfigError
    from sgzlib.runtime import throwaway_postgres

    if os.environ.get("SGZ_TEST_POSTGRES_URL") or throwaway_postgres.bindir() is None:
        yield os.environ.get("SGZ_TEST_POSTGRES_URL")
        return
    try:
        server = throwaway_postgres.start()
    except ConfigError as exc:
        print(f"  （{exc}；跳过 PostgreSQL）")
        yield None
        return
    with server:
        yield server.url


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (100, 1000))
