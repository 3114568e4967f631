"""Benchmark: evaluate every catalogue over a synthetic province (1,000 stations, ~2 million service records).

Run with ``python -m benchmarks evaluate`` or ``python -m benchmarks.bench_evaluate [N_STATIONS]``.
Goal on a 2-core machine: full evaluation ≤ 10 s and ≤ 2 GiB peak memory.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time

GOAL_SECONDS, GOAL_GIB = 10.0, 2.0


def peak_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main(n_stations: int = 1000) -> None:
    from sgzlib.indicators import evaluate

    from .synthetic import province

    t0 = time.perf_counter()
    ds = province(n_stations)
    t1 = time.perf_counter()
    sizes = ds.sizes()
    print(f"合成省份：{n_stations} 个乡镇站，服务记录 {sizes['services']:,} 条，个案 {sizes['cases']:,} 个，"
          f"小组 {sizes['groups']:,} 个，服务对象 {sizes['beneficiaries']:,} 人；生成 {t1 - t0:.1f} 秒，"
          f"内存峰值 {peak_gib():.2f} GiB")
    t2, c2 = time.perf_counter(), time.process_time()
    ev = evaluate(ds, dt.date(2025, 12, 31))
    t3, c3 = time.perf_counter(), time.process_time()
    seconds, gib = t3 - t2, peak_gib()
    print(f"全量评估：{len(ev.summary):,} 个指标结果（含分期共 {len(ev.results):,} 行），"
          f"解释记录 {len(ev.explanations):,} 条")
    print(f"评估耗时 {seconds:.1f} 秒（CPU {c3 - c2:.1f} 秒；目标 ≤{GOAL_SECONDS:.0f} 秒）；"
          f"进程内存峰值 {gib:.2f} GiB（含生成数据；目标 ≤{GOAL_GIB:.0f} GiB）；机器负载 {os.getloadavg()[0]:.1f}")
    print("结论：" + ("达到目标" if seconds <= GOAL_SECONDS and gib <= GOAL_GIB else "未达到目标"))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
