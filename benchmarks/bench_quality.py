"""Benchmark: every data-quality check on the 1,000-station synthetic province, within 5 seconds.

The synthetic province (``synthetic.province``) is made for the indicator engine: its people and workers
are all called 某某 and carry no ID number, phone or birth date, its services no summary, and it has no
first-seen dates. Here, before the clock starts, every person gets a distinct ID number, name, birth date
and phone, every worker a distinct name, every service a summary (one of 40,000 texts), and every dated
row a first-seen date (a week after its date at most) — with problems planted for each check: 50 people
on two stations' rosters, 10 workers named on two stations' staff lists, one station-month entered 90 days
late at 20 stations, one 600-minute case session at 10 stations, 12 copies of one summary at 10 stations.

Timed: the cross-station index (``quality.build_index``) and every check on every station
(``quality.findings``), as ``sgz quality`` runs them over a whole database; the indicator engine's
evaluation, which the duplicate-person check reads for the indicators that count a person, is made before
the clock starts (every report has it already). The planted problems must all be found.
Run with ``python -m benchmarks quality`` or ``python -m benchmarks.bench_quality [N_STATIONS]``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import numpy as np
import pandas as pd

GOAL_SECONDS = 5.0
AS_OF = dt.date(2025, 12, 31)
FRAGMENTS = ("入户走访困难老人", "开展政策宣传", "链接慈善资源", "组织志愿者上门", "协助办理救助申请", "陪同就医复诊",
             "开展心理疏导", "组织亲子活动", "开展康复训练指导", "召开居民议事会")


def people_and_texts(ds, rng) -> dict[str, set]:
    """Personal data, workers on cases and groups, summaries and first-seen dates for the province, with the
    planted problems; returns, per check, what must be found (station codes, or people's codes)."""
    from sgzlib.domain import dated as first_seen

    towns = ds.projects["station_code"].to_numpy(dtype=object)
    n_towns = len(towns)
    b = ds.frames["beneficiaries"]
    n = len(b)
    b["id_number"] = pd.array((150000000000000000 + rng.choice(10 ** 11, n, replace=False)).astype(str), dtype="string")
    b["name"] = pd.array([f"张{i:06d}" for i in range(n)], dtype="string")
    b["birth_date"] = (np.datetime64("1940-01-01") + rng.integers(0, 20000, n)).astype("datetime64[s]")
    b["phone"] = pd.array((13000000000 + rng.choice(10 ** 9, n, replace=False)).astype(str), dtype="string")
    home = b["station_code"].str[:5].to_numpy()
    twins = set()
    for i in rng.choice(n, 50, replace=False):  # someone on another township's roster gets i's ID, name, birth
        j = int(rng.integers(0, n))
        while home[j] == home[i]:
            j = int(rng.integers(0, n))
        b.loc[j, ["id_number", "name", "birth_date"]] = b.loc[i, ["id_number", "name", "birth_date"]].to_numpy()
        twins |= {b.at[i, "code"], b.at[j, "code"]}
    s = ds.frames["staff"]
    s["name"] = pd.array([f"李{i:05d}" for i in range(len(s))], dtype="string")
    for table, column, owner in (("cases", "worker_code", "station_code"), ("groups", "leader_code", "station_code")):
        f = ds.frames[table]
        f[column] = pd.array(f[owner].astype(str) + "-W" + (np.arange(len(f)) % 3).astype(str), dtype="string")
    counties = max(1, n_towns // 20)
    shared = [(towns[k * 2 * counties], towns[k * 2 * counties + counties]) for k in range(10)]  # same county
    for a, b_ in shared:  # the worker W1 of b_ has the name of a's W1: one person on two staff lists
        s.loc[s["code"] == f"{b_}-W1", "name"] = s.loc[s["code"] == f"{a}-W1", "name"].iloc[0]
    services = ds.frames["services"]
    texts = np.array([f"{x}，{y}，服务{k}人" for x in FRAGMENTS for y in FRAGMENTS for k in range(400)], dtype=object)
    summary = texts[rng.integers(0, len(texts), len(services))]
    copied = set(towns[::max(1, n_towns // 10)][:10])
    for town in copied:
        rows = np.flatnonzero(services["station_code"].to_numpy() == town)[:12]
        summary[rows] = "为辖区困难老人开展冬季取暖补贴政策宣传并协助填写申请表"
    services["summary"] = pd.array(summary, dtype="string")
    cs = ds.frames["case_sessions"]
    cs["minutes"] = pd.array(rng.choice([45, 60, 90], len(cs)), dtype="Int64")
    long = set(towns[3::max(1, n_towns // 10)][:10])
    for town in long:
        cs.loc[np.flatnonzero(cs["case_code"].str.startswith(f"{town}-").to_numpy())[3], "minutes"] = 600
    rows = first_seen.dated_records(ds)
    seen = pd.to_datetime(rows["date"]) + pd.to_timedelta(rng.integers(0, 7, len(rows)), unit="D")
    late = set(towns[5::max(1, n_towns // 20)][:20])
    entered_late = (rows["record_table"] == "services") & rows["station_code"].isin(late) & \
        (pd.to_datetime(rows["date"]).dt.month == 5)
    seen = seen.where(~entered_late, pd.to_datetime(rows["date"]) + pd.Timedelta(days=90))
    ds.frames["first_seen"] = first_seen.tidy(rows[["record_table", "record_key", "station_code"]].assign(
        first_seen=seen, record_date=rows["date"]))
    return {"duplicate_person": twins, "worker_two_places": {a for a, _ in shared} | {b_ for _, b_ in shared},
            "late_entry": late, "peer_outlier": long, "copied_summary": copied}


def missing(found: pd.DataFrame, planted: dict[str, set]) -> dict[str, set]:
    """What was planted and not found, per check (people by code, the rest by station)."""
    out = {}
    for check, wanted in planted.items():
        rows = found[found["check"] == check]
        if check == "duplicate_person":
            got = set(rows["records"].str.split(" ").str[1]) | set(rows["other_records"].dropna().str.split(" ").str[1])
        elif check == "late_entry":
            got = set(rows.loc[rows["month"] == "2025-05", "station_code"])
        elif check == "peer_outlier":
            got = set(rows.loc[rows["why"].str.contains("600 分钟"), "station_code"])
        else:
            got = set(rows["station_code"]) | set(rows["other_station"].dropna())
        out[check] = wanted - got
    return out


def main(n_stations: int = 1000) -> None:
    from sgzlib.analysis import quality
    from sgzlib.indicators import evaluate

    from .synthetic import province

    t0 = time.perf_counter()
    ds = province(n_stations)
    planted = people_and_texts(ds, np.random.default_rng(3))
    ev = evaluate(ds, AS_OF)
    ev.explanations  # noqa: B018  (put together before the clock starts, as a report has it)
    print(f"合成省份：{n_stations} 个乡镇站，服务记录 {len(ds.services):,} 条，服务对象 {len(ds.beneficiaries):,} 人，"
          f"个案与小组节次 {len(ds.case_sessions) + len(ds.group_sessions):,} 节；准备 {time.perf_counter() - t0:.0f} 秒",
          flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    index = quality.build_index(ds, AS_OF)
    t1 = time.perf_counter()
    found = quality.findings(ds, index, ev)
    t2 = time.perf_counter()
    seconds, cpu = t2 - t0, time.process_time() - c0
    counts = found["check"].value_counts()
    print(f"跨站索引 {t1 - t0:.1f} 秒（人员键 {len(index.people):,} 个，社工节次 {len(index.workers):,} 条，"
          f"站点月指标 {len(index.metrics):,} 行），全部核查 {t2 - t1:.1f} 秒")
    lost = missing(found, planted)
    for check, words in quality_words().items():
        print(f"  {words}：{int(counts.get(check, 0))} 条；埋入 {len(planted[check])} 处"
              + ("，全部找到" if not lost[check] else f"，未找到 {len(lost[check])} 处：{sorted(lost[check])[:5]}"))
    ok_found = not any(lost.values())
    ok = seconds <= GOAL_SECONDS
    print(f"全部核查用时 {seconds:.1f} 秒（CPU {cpu:.1f} 秒；机器负载 {os.getloadavg()[0]:.1f}；目标 ≤{GOAL_SECONDS:.0f} 秒）"
          f"——{'达到' if ok else '未达到'}")
    print("结论：" + ("达到目标" if ok and ok_found else "未达到目标"))
    if not (ok and ok_found):
        raise SystemExit(1)


def quality_words() -> dict:
    from sgzlib.domain.labels import QUALITY_CHECKS

    return QUALITY_CHECKS


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
