"""One station report on a 100-station database: its time, its HTML's size, and what its photo page reads.

Issue 33, part 3 ("a report costs its station"). The synthetic province (``benchmarks.synthetic``) gets a
photo index: one file per photo name of its services, in its township's folder, and every 50th file the same
picture (same SHA-256) as a file of the next township, so re-use crosses stations. Figures:

- the photo page (``photo_evidence.build``) against the whole-database path it replaced: the same findings,
  the seconds of each and the service rows each reads;
- one station report (notebook and HTML) on a warm kernel, the second of two in one batch: ≤ 4 s (the issue's
  goal, set for a 1,000-station database);
- the report's HTML ≤ 1.5 MB, and plotly.js once in the folder.

``SGZ_BENCH_REPORT_STATIONS`` changes the number of stations (default 100).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from sgzlib.domain.dataset import split_list
from sgzlib.reports import batch, jobs, photo_evidence
from sgzlib.reports.html import plotly_file
from sgzlib.store import storage
from sgzlib.store.db import PHOTO_FILES
from sgzlib.workbench import open_workbench

from . import synthetic
from .judge import Judge

GOAL_REPORT_SECONDS = 4.0
GOAL_HTML_BYTES = 1_500_000
SHARED_EVERY = 50
AS_OF = "2025-10-31"


def photo_rows(ds) -> list[dict]:
    """The synthetic index: a file per photo name of the services, in its township's folder; the files whose
    number n in their folder is a multiple of ``SHARED_EVERY`` hold the picture of the next township's file n+1."""
    names = split_list(ds.services["photos"])
    town = ds.services["station_code"].loc[names.index].str.split("-V").str[0]
    files = pd.DataFrame({"station_code": town.to_numpy(), "path": names.to_numpy()}).drop_duplicates()
    files["n"] = files.groupby("station_code").cumcount()
    towns = sorted(files["station_code"].unique())
    after = dict(zip(towns, towns[1:] + towns[:1]))
    rows = []
    for station, path, n in zip(files["station_code"], files["path"], files["n"]):
        key = f"{after[station]}#{n + 1}" if n % SHARED_EVERY == 0 else f"{station}#{n}"
        rows.append({"station_code": station, "path": path, "size": 10_000, "mtime": 0.0,
                     "sha256": hashlib.sha256(key.encode()).hexdigest(), "readable": True})
    return rows


def build_database(url: str, stations: int) -> None:
    ds = synthetic.province(stations)
    engine = storage.connect(url)
    storage.write_dataset(engine, ds, prune=True, scope=None)
    rows = photo_rows(ds)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(PHOTO_FILES.insert(), rows[i:i + 5000])
    engine.dispose()
    print(f"（{stations} 个站，{len(ds.services):,} 条服务记录，照片索引 {len(rows):,} 个文件）", flush=True)


def photo_page(judge: Judge, url: str, station: str) -> None:
    started = time.perf_counter()
    whole = open_workbench(url, masked=True, output="photo_evidence").ds
    old = photo_evidence.from_dataset(whole, station, AS_OF)
    old_seconds = time.perf_counter() - started
    started = time.perf_counter()
    new = photo_evidence.build(url, station, AS_OF)
    new_seconds = time.perf_counter() - started
    engine = storage.connect(url)
    part, _ = photo_evidence.related(engine, station)
    engine.dispose()
    compared = old.findings.drop(columns="row").astype(str).reset_index(drop=True)
    found = new.findings.drop(columns="row").astype(str).reset_index(drop=True)
    differences = [] if compared.equals(found) else [f"读全库 {len(compared)} 条发现，只读相关站点 {len(found)} 条"]
    reuse = int((new.findings["finding"] == "reused_content").sum())
    judge.agrees(f"照片核查页（{station}）：只读相关站点与读全库的发现", differences, compared.size)
    judge.note(f"其中跨站或站内重复使用 {reuse} 处；读全库 {old_seconds:.2f} 秒、{len(whole.services):,} 条服务记录；"
               f"只读相关站点 {new_seconds:.2f} 秒（含缩略图）、{len(part.services):,} 条服务记录")


def one_report(judge: Judge, url: str, stations: list[str], out: Path) -> None:
    started = time.perf_counter()
    results = batch.run_jobs(jobs.station_jobs(url, stations, AS_OF), out, formats=("ipynb", "html"), workers=1,
                             progress=False)
    wall = time.perf_counter() - started
    judge.agrees("两份督导报告全部写成", [f"{r.job.target}：{r.error}" for r in results if not r.ok], len(results))
    if not all(r.ok for r in results):
        return
    judge.note(f"两份共 {wall:.1f} 秒（含内核启动）；第一份 {results[0].seconds:.2f} 秒")
    judge.at_most(f"单份督导报告（内核已启动，{stations[1]}，ipynb+HTML）", results[1].seconds, GOAL_REPORT_SECONDS, "秒")
    html = results[1].files["html"]
    judge.at_most("督导报告 HTML 大小", html.stat().st_size / 1e6, GOAL_HTML_BYTES / 1e6, "MB")
    scripts = sorted(p.name for p in html.parent.glob("*.js"))
    judge.agrees("报告文件夹中的 plotly.js", [] if scripts == [plotly_file()] else [f"实际：{scripts}"], 1)


def main() -> None:
    stations = int(os.environ.get("SGZ_BENCH_REPORT_STATIONS", "100"))
    print(f"系统负载 {os.getloadavg()[0]:.1f}", flush=True)
    judge = Judge()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = f"sqlite:///{tmp / 'province.db'}"
        build_database(url, stations)
        photo_page(judge, url, "T0001")
        one_report(judge, url, ["T0002", "T0001"], tmp / "out")
    print(f"结束时系统负载 {os.getloadavg()[0]:.1f}")
    judge.finish()


if __name__ == "__main__":
    main()
