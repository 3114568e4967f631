"""Report speed: one station report with its kernel start, ``--all`` for the demo district and a 100-station one.

Targets (issue 6): a single report (notebook, HTML and PDF, kernel start included) ≤ 10 s; a batch ≤ 4 s a
report amortised on 2 cores. The 100-station district is the demo district copied until it has 100 township
stations (codes and station names made unique per copy).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from sgzlib.demo import district as demo
from sgzlib.domain import schema
from sgzlib.domain.dataset import Dataset
from sgzlib.domain.validation import validate
from sgzlib.reports import batch, jobs
from sgzlib.store import storage


def big_district(stations: int = 100) -> Dataset:
    """The demo district repeated until it has ``stations`` township stations, all under the demo's hub."""
    base = demo.build()
    towns = list(base.stations.loc[base.stations["level"] == "乡镇街道站", "code"])
    frames: dict[str, list[pd.DataFrame]] = {t.name: [] for t in schema.TABLES}
    for k in range(math.ceil(stations / len(towns))):
        for t in schema.TABLES:
            frame = base[t.name].copy()
            if k:
                for c in t.columns:
                    if c.kind in ("code", "list") or c.name == "photos":
                        frame[c.name] = frame[c.name].str.replace("YL0", f"K{k:02d}-", regex=False)
                if t.name == "stations":
                    frame = frame[frame["level"] != "县区总站"]
                    frame["parent_code"] = frame["parent_code"].where(frame["level"] != "乡镇街道站", demo.HUB)
                    frame["name"] = frame["name"] + f"（{k + 1}）"
            frames[t.name].append(frame)
    ds = Dataset({name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()})
    kept = list(ds.stations.loc[ds.stations["level"] == "乡镇街道站", "code"])[:stations]
    small = ds.subset(kept)
    small.frames["stations"] = pd.concat([ds.stations[ds.stations["code"] == demo.HUB], small.stations],
                                         ignore_index=True)
    return validate(Dataset(small.frames))


def timed(label: str, todo: list, out: Path, workers: int | None = None) -> float:
    started = time.perf_counter()
    results = batch.run_jobs(todo, out, workers=workers, progress=False)
    wall = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    print(f"{label}: {len(todo)} 份，用时 {wall:.1f} 秒，平均每份 {wall / len(todo):.2f} 秒"
          + (f"，失败 {len(failed)} 份：{failed[0].error}" if failed else ""), flush=True)
    return wall


def main() -> None:
    workers = batch.default_workers()
    print(f"并行数 {workers}；系统负载 {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = f"sqlite:///{tmp / 'demo.db'}"
        storage.write_dataset(storage.connect(url), demo.build(), prune=True, scope=None)
        as_of = demo.AS_OF.isoformat()
        timed("单份督导报告（含内核与浏览器启动，ipynb+HTML+PDF）", jobs.station_jobs(url, ["YL01"], as_of), tmp / "one")
        timed("示范区 --all 督导报告", jobs.station_jobs(url, None, as_of), tmp / "all", workers)
        timed("示范区区县概览", jobs.district_jobs(url, ["云岭区"], as_of), tmp / "district")
        big_url = f"sqlite:///{tmp / 'big.db'}"
        started = time.perf_counter()
        storage.write_dataset(storage.connect(big_url), big_district(100), prune=True, scope=None)
        print(f"（生成并写入 100 站区县：{time.perf_counter() - started:.1f} 秒）", flush=True)
        timed("100 站区县 --all 督导报告", jobs.station_jobs(big_url, None, as_of), tmp / "big", workers)
        timed("100 站区县概览", jobs.district_jobs(big_url, ["云岭区"], as_of), tmp / "bigdistrict")
    print(f"结束时系统负载 {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
