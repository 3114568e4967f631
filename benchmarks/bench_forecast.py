"""Benchmark: which forecast method sees the year end coming — a back-test on the synthetic province.

The province (``synthetic.province(n, history=True)``) has every station's 2024 and 2025 contracts, with
seasons (Spring Festival, National Day, summer, year-end push; see ``synthetic.day_weights``). At the end of
June and of September 2025 every running project × indicator gets a forecast from the data up to that day;
the engine's year-end values of 2025 are the truth. Candidates (``sgzlib.indicators.forecast``):

- 按当前进度 (pace): today's value over the elapsed share of the year; a month to come gets the mean count
  of the ended months;
- 近三个月进度 (recent): the last three months' gain carried on; a month to come gets the mean of the
  last three ended months;
- 计入季节规律 (seasonal): today's value over the share of their year-end value that the other stations of
  the same catalogue had reached at the same point of 2024 (leave-one-station-out median); a month to come
  gets the pace times its 2024 seasonal factor. Only last year's data is used: the other stations' 2025
  months after the forecast date are in the future too.

and, for the flag, the naive rule 落后 = will miss ("behind today means will miss"). Figures: the mean
absolute error of the projected year-end value, as a share of the larger of target and year-end value (so
counts, yuan, percentages and months weigh alike, and a target of 1 against 20 records does not outweigh
the rest), and the precision and recall of the flag 按当前进度年底无法达标 against the year-end
verdict 未达标. Indicators that accumulate over time are back-tested (whole-period totals and per-period
indicators); state indicators keep today's state under every method, checklist items get no forecast.

Goals at month 9 (issue 32): seasonal error below pace; the seasonal flag's precision and recall both above
the naive rule's. Run with ``python -m benchmarks forecast`` or ``python -m benchmarks.bench_forecast [N]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
import pandas as pd

CHECKPOINTS = {6: dt.date(2025, 6, 30), 9: dt.date(2025, 9, 30)}
RECENT = {6: dt.date(2025, 3, 31), 9: dt.date(2025, 6, 30)}
YEAR_END = dt.date(2025, 12, 31)
CANDIDATES = {"pace": "按当前进度", "recent": "近三个月进度", "seasonal": "计入季节规律"}
N_STATIONS = 500


def recent_forecast(ds, ev, earlier, pace: pd.DataFrame) -> pd.DataFrame:
    """The pace forecast with the last three months' pace in place of the whole year's."""
    from sgzlib.domain.labels import PERIOD_WHOLE
    from sgzlib.indicators.forecast import EPS, period_chances, period_grid

    out = pace.copy()
    as_of = pd.Timestamp(ev.as_of)
    days = (as_of - pd.Timestamp(earlier.as_of)).days
    end = ds.projects.set_index("code")["end"]
    keys = ["project_code", "indicator_id"]
    now = ev.summary.set_index(keys)
    before = earlier.summary.set_index(keys)["actual"]
    whole = out["method"].eq("pace") & out["missed_periods"].isna() & out["projected_missed"].isna()
    periods = ev.results[ev.results["period"] != PERIOD_WHOLE]
    per_period = pd.MultiIndex.from_frame(periods[keys]).unique()
    idx = pd.MultiIndex.from_frame(out[keys])
    whole &= ~idx.isin(per_period)
    w = idx[whole.to_numpy()]
    actual = now["actual"].reindex(w).to_numpy(dtype=float)
    gain = actual - before.reindex(w).fillna(0).to_numpy(dtype=float)
    left = (out.loc[whole, "project_code"].map(end) - as_of).dt.days.to_numpy(dtype=float)
    projected = actual + np.maximum(gain, 0) / days * left
    projected = np.where(out.loc[whole, "unit"].to_numpy(dtype=object) == "%", np.minimum(projected, 100), projected)
    met = now["status"].reindex(w).eq("达标").to_numpy() | (actual >= out.loc[whole, "target"].to_numpy() - EPS)
    out.loc[whole, "projected"] = projected
    out.loc[whole, "will_miss"] = ~met & (projected < out.loc[whole, "target"].to_numpy() - EPS)
    rows = now.reset_index()
    rows = rows[pd.MultiIndex.from_frame(rows[keys]).isin(per_period)]
    rows = rows.assign(start=rows["project_code"].map(ds.projects.set_index("code")["start"]),
                       end=rows["project_code"].map(end))
    grid = period_grid(rows, periods[periods["project_code"].isin(rows["project_code"])], as_of)
    last = grid[grid["ended"]].groupby(keys)["k"].max().reindex(pd.MultiIndex.from_frame(grid[keys])).to_numpy()
    factors = np.where(grid["ended"].to_numpy() & (grid["k"].to_numpy() < last - 2), 0.0, 1.0)
    grid["chance"] = period_chances(grid, factors)
    doubt = grid[~grid["ended"]].assign(doubt=lambda g: g["chance"] < 0.5).groupby(keys)["doubt"].sum()
    missed = grid.assign(m=grid["ended"] & ~grid["met"]).groupby(keys)["m"].sum()
    size = grid.groupby(keys).size()
    sel = idx.isin(per_period)
    k = idx[sel]
    out.loc[sel, "projected"] = (size.reindex(k) - missed.reindex(k) - doubt.reindex(k).fillna(0)).to_numpy(float)
    out.loc[sel, "will_miss"] = ((missed.reindex(k) + doubt.reindex(k).fillna(0)) > 0).to_numpy()
    return out


def scores(forecasts: pd.DataFrame, truth: pd.DataFrame, flag_column: str = "will_miss", close: bool = False) -> dict:
    """Error and flag figures; ``close``: only the indicators whose year-end value is within 30% of the target
    (the ones a forecast can get wrong: most others are met or missed by far)."""
    keys = ["project_code", "indicator_id"]
    f = forecasts.merge(truth, on=keys, suffixes=("", "_end"))
    if close:
        f = f[f["close"]]
    scale = np.maximum(f["target"].to_numpy(float), f["actual_end"].to_numpy(float))
    error = np.abs(f["projected"].to_numpy(float) - f["actual_end"].to_numpy(float)) / scale
    flag, missed = f[flag_column].to_numpy(bool), f["missed_end"].to_numpy(bool)
    tp = (flag & missed).sum()
    return {"n": len(f), "mae": float(np.mean(error)) if len(f) else float("nan"),
            "precision": tp / flag.sum() if flag.sum() else float("nan"),
            "recall": tp / missed.sum() if missed.sum() else float("nan"), "flagged": int(flag.sum()),
            "missed": int(missed.sum())}


def backtest(ds, month: int, truth: pd.DataFrame, current: list[str]) -> dict[str, dict]:
    from sgzlib.indicators import evaluate
    from sgzlib.indicators.forecast import forecast, reference, running_projects

    ev = evaluate(ds, CHECKPOINTS[month], projects=current)
    earlier = evaluate(ds, RECENT[month], projects=current)
    t0 = time.perf_counter()
    ref = reference(ds, ev.as_of, running_projects(ds, ev.as_of, current))
    learned = time.perf_counter() - t0
    t0 = time.perf_counter()
    seasonal = forecast(ds, ev, ref)
    took = time.perf_counter() - t0
    pace = forecast(ds, ev, method="pace")
    tested = pace["method"] != "state"
    candidates = {"pace": pace, "recent": recent_forecast(ds, ev, earlier, pace), "seasonal": seasonal}
    naive = pace.merge(ev.summary[["project_code", "indicator_id", "status"]], on=["project_code", "indicator_id"])
    candidates["naive"] = naive.assign(will_miss=naive["status"].isin(["落后", "未达标"]).to_numpy())
    out = {name: scores(f[tested.to_numpy()], truth) for name, f in candidates.items()}
    out.update({f"{name}_close": scores(f[tested.to_numpy()], truth, close=True) for name, f in candidates.items()})
    out["_seconds"] = {"reference": learned, "forecast": took, "seasonal_rows": int((seasonal["method"] == "seasonal").sum())}
    return out


def main(n_stations: int = N_STATIONS) -> None:
    from sgzlib.indicators import evaluate

    from .synthetic import province

    t0 = time.perf_counter()
    ds = province(n_stations, history=True)
    current = ds.projects.loc[ds.projects["year"] == 2025, "code"].tolist()
    print(f"合成省份（含 2024 年项目作参照）：{n_stations} 个乡镇站，服务记录 {len(ds.services):,} 条；"
          f"生成 {time.perf_counter() - t0:.1f} 秒", flush=True)
    final = evaluate(ds, YEAR_END, projects=current).summary
    truth = final[["project_code", "indicator_id", "actual", "status"]].rename(columns={"actual": "actual_end"})
    truth["missed_end"] = truth["status"] != "达标"
    ratio = truth["actual_end"] / final["target"].where(final["target"] > 0)
    truth["close"] = ((ratio >= 0.7) & (ratio <= 1.3)).to_numpy()
    truth = truth.drop(columns="status")
    results = {}
    for month in CHECKPOINTS:
        t0 = time.perf_counter()
        results[month] = backtest(ds, month, truth, current)
        r = results[month]
        print(f"\n第 {month} 个月末（{CHECKPOINTS[month]:%Y-%m-%d}）预测，与年底实际比较：{r['pace']['n']:,} 个站点×指标，"
              f"年底未达标 {r['pace']['missed']:,} 个；学习参照 {r['_seconds']['reference']:.1f} 秒，"
              f"预测 {r['_seconds']['forecast']:.1f} 秒，其中 {r['_seconds']['seasonal_rows']:,} 行用上了季节规律"
              f"（本月共 {time.perf_counter() - t0:.0f} 秒）")
        for suffix, title in (("", "全部"), ("_close", f"其中年底值在目标 ±30% 以内的 {r['pace_close']['n']:,} 个"
                                                     f"（年底未达标 {r['pace_close']['missed']:,} 个）")):
            print(f"{title}：")
            print(f"{'方法':<10}{'平均绝对误差（相对）':>14}{'标记数':>8}{'精确率':>8}{'召回率':>8}")
            for name, words in [*CANDIDATES.items(), ("naive", "落后即无法达标")]:
                s = r[name + suffix]
                mae = "—" if name == "naive" else f"{s['mae']:.1%}"
                print(f"{words:<10}{mae:>22}{s['flagged']:>10,}{s['precision']:>10.1%}{s['recall']:>10.1%}")
    r9 = results[9]
    goals = [
        ("第 9 个月：计入季节规律的平均绝对误差小于按当前进度", r9["seasonal"]["mae"], r9["pace"]["mae"],
         r9["seasonal"]["mae"] < r9["pace"]["mae"], "{:.1%}"),
        ("第 9 个月：“无法达标”标记的精确率高于“落后即无法达标”", r9["seasonal"]["precision"], r9["naive"]["precision"],
         r9["seasonal"]["precision"] > r9["naive"]["precision"], "{:.1%}"),
        ("第 9 个月：“无法达标”标记的召回率高于“落后即无法达标”", r9["seasonal"]["recall"], r9["naive"]["recall"],
         r9["seasonal"]["recall"] > r9["naive"]["recall"], "{:.1%}"),
    ]
    print()
    for text, value, bar, ok, fmt in goals:
        print(f"{text}：{fmt.format(value)}（对照 {fmt.format(bar)}）——{'达到' if ok else '未达到'}")
    met = all(ok for *_, ok, _ in goals)
    print("结论：" + ("达到目标" if met else "未达到目标"))
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_STATIONS)
