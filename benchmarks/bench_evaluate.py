"""Benchmark: evaluate every catalogue over a synthetic province (1,000 stations, ~2 million service records).

Also the yardstick: the engine on the heaviest rule kinds alone (photo-rule
period counts, per-person visits, qualified groups, coverage) against the
hand-written DuckDB implementation of the same rules (``duckdb_reference``),
in the same run, and the check that both give the same per-project values.
The tables reach DuckDB through Arrow; that hand-over is timed apart.

Run with ``python -m benchmarks evaluate`` or ``python -m benchmarks.bench_evaluate [N_STATIONS]``.
Goals on a 2-core machine: full evaluation ≤ 6 s and ≤ 2 GiB peak memory; engine ≤ 1.5 × DuckDB on the same rules;
every row the reference computes equals the engine's (``SGZ_BENCH_TAMPER=1`` changes one engine value first, to
see the benchmark fail).
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time

from .judge import Judge

GOAL_SECONDS, GOAL_GIB, GOAL_RATIO = 6.0, 2.0, 1.5
AS_OF = dt.date(2025, 12, 31)
MID_YEAR = dt.date(2025, 11, 20)
TAMPER_ENV = "SGZ_BENCH_TAMPER"
STATIONS_ENV = "SGZ_BENCH_STATIONS"  # a smaller province for a quick run (the goals are set for 1,000 stations)


def peak_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def timed(func, *args, **kwargs):
    t, c = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t, time.process_time() - c


def evaluated(ds, as_of, **kwargs):
    """``evaluate`` with its explanations put together (they are built when first read): the whole work."""
    from sgzlib.indicators import evaluate

    ev = evaluate(ds, as_of, **kwargs)
    ev.explanations  # noqa: B018
    return ev


def tampered(results, ref):
    """The engine's results, with one compared value changed when ``SGZ_BENCH_TAMPER=1``: shows that the
    comparison (and so ``make bench``) fails when the engine gives another value."""
    if os.environ.get(TAMPER_ENV) != "1":
        return results
    project, indicator, period = next(iter(ref.rows))
    at = results.index[(results["project_code"] == project) & (results["indicator_id"] == indicator)
                       & (results["period"] == period)][0]
    results = results.copy()
    results.loc[at, "actual"] += 1
    print(f"  （{TAMPER_ENV}=1：故意把引擎的 {project} {indicator} {period} 实际值改为 {results.loc[at, 'actual']:g}）")
    return results


def main(n_stations: int | None = None) -> None:
    n_stations = n_stations or int(os.environ.get(STATIONS_ENV, "1000"))
    from . import duckdb_reference
    from .synthetic import province

    t0 = time.perf_counter()
    ds = province(n_stations)
    t1 = time.perf_counter()
    sizes = ds.sizes()
    print(f"合成省份：{n_stations} 个乡镇站，服务记录 {sizes['services']:,} 条，个案 {sizes['cases']:,} 个，"
          f"小组 {sizes['groups']:,} 个，服务对象 {sizes['beneficiaries']:,} 人；生成 {t1 - t0:.1f} 秒，"
          f"内存峰值 {peak_gib():.2f} GiB", flush=True)
    judge = Judge()
    ev, seconds, cpu = timed(evaluated, ds, AS_OF)
    gib = peak_gib()
    judge.note(f"全量评估：{len(ev.summary):,} 个指标结果（含分期共 {len(ev.results):,} 行），"
               f"解释记录 {len(ev.explanations):,} 条；CPU {cpu:.1f} 秒；机器负载 {os.getloadavg()[0]:.1f}")
    judge.at_most("全量评估耗时", seconds, GOAL_SECONDS, "秒", 1)
    judge.at_most("进程内存峰值（含生成数据）", gib, GOAL_GIB, "GiB")

    catalogues = duckdb_reference.engine_catalogues(ds, AS_OF)
    n_ind = sum(len(c.indicators) for c in catalogues)
    _, engine_s, engine_cpu = timed(evaluated, ds, AS_OF, catalogues=catalogues)
    ref = duckdb_reference.run(ds, AS_OF)
    ratio = engine_s / ref.query_seconds
    judge.note(f"同一组规则（{n_ind} 个指标：照片规则下的月/季度次数、慈善救助次数、每人每季度回访、合格小组、覆盖率）："
               f"引擎 {engine_s:.1f} 秒（CPU {engine_cpu:.1f}），DuckDB 参照 {ref.query_seconds:.1f} 秒"
               f"（CPU {ref.query_cpu:.1f}，两个线程；另有 Arrow 交接 {ref.handover_seconds:.1f} 秒）；"
               f"按 CPU 秒 {engine_cpu / ref.query_cpu:.2f} 倍")
    judge.at_most("同一组规则 引擎/DuckDB", ratio, GOAL_RATIO, "倍")
    differences = duckdb_reference.compare(ref, tampered(ev.results, ref))
    judge.note("引擎与 DuckDB 参照逐行核对：每个项目的全期行与每月/季度行，实际、目标、截至评估日应达、状态")
    judge.agrees(f"逐行核对 {AS_OF}", differences, len(ref.rows))
    # In the middle of a month and a quarter: current periods, expected-by-date and 进度正常 / 落后 are compared too.
    mid = duckdb_reference.run(ds, MID_YEAR)
    mid_results = evaluated(ds, MID_YEAR, catalogues=duckdb_reference.engine_catalogues(ds, MID_YEAR)).results
    judge.agrees(f"逐行核对 {MID_YEAR}（年中，含未结束的月和季度）", duckdb_reference.compare(mid, mid_results),
                 len(mid.rows))
    judge.finish()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
