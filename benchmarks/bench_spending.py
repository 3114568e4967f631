"""Spending checks against hand-labelled expense rows: precision and recall per check.

Two sets in ``tests/data``: ``spending_labelled.csv`` (165 rows, the one the lexicon was tuned on) and
``spending_heldback.csv`` (50 rows, written after the lexicon and before any tuning; it estimates how the
checks do on ledgers never seen). Each row carries the station it belongs to (ZL: 灵泉镇, 扎赉诺尔区;
JY: 沙河街道, 九原区; PZ: 攀莲镇, 米易县), the expense as a bookkeeper wrote it, and per check 1 (should be
flagged) or 0, with the reason. Every row goes through ``sgzlib.indicators.evaluate`` under the
zhalainuoer-2026 catalogue (seed 000's five spending checks). Goal: precision and recall ≥ 0.95 per check on
the labelled set; the held-back figures are printed, judged the same way, and reported as they are.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from sgzlib.domain.dataset import Dataset
from sgzlib.indicators import evaluate

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {"标注集": DATA / "spending_labelled.csv", "留出集": DATA / "spending_heldback.csv"}
GOAL = 0.95
CHECKS = {"fixed_asset": "ZL-JF-01", "grain_oil": "ZL-JF-02", "fuel_outside": "ZL-JF-03", "no_receipt": "ZL-JF-04",
          "small_item_no_photo": "ZL-JF-05"}
NAMES = {"fixed_asset": "固定资产", "grain_oil": "米面油", "fuel_outside": "燃油费异地", "no_receipt": "发放无领取单据",
         "small_item_no_photo": "小型物品无照片"}
STATIONS = {"ZL": ("灵泉镇社会工作服务站", "扎赉诺尔区"), "JY": ("沙河街道社会工作服务站", "九原区"),
            "PZ": ("攀莲镇社会工作服务站", "米易县")}


def dataset(rows: pd.DataFrame) -> Dataset:
    """The labelled rows as one year's 经费支出 of three stations under the zhalainuoer-2026 catalogue."""
    stations = [{"code": c, "name": n, "level": "乡镇街道站", "parent_code": None, "district": d}
                for c, (n, d) in STATIONS.items()]
    projects = [{"code": f"P-{c}", "station_code": c, "year": 2026, "start": dt.date(2026, 1, 1),
                 "end": dt.date(2026, 12, 31), "budget": 100000, "catalogue": "zhalainuoer-2026"} for c in STATIONS]
    receipt = rows["receipt"].map({"是": True, "否": False})
    expenses = pd.DataFrame({"code": rows["id"], "station_code": rows["station"], "date": dt.date(2026, 6, 1),
                             "amount": rows["amount"].astype(float), "category": rows["category"],
                             "item": rows["item"], "place": rows["place"], "receipt": receipt,
                             "photos": rows["photos"]})
    return Dataset({"stations": pd.DataFrame(stations), "projects": pd.DataFrame(projects), "expenses": expenses})


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"receipt": "string", "photos": "string", "place": "string", "item": "string"})


def score(path: Path) -> pd.DataFrame:
    """Per check: true/false positives, false negatives, precision, recall, and the rows it got wrong."""
    rows = read(path)
    flagged = evaluate(dataset(rows), "2026-12-31").spending.records
    out = []
    for check, check_id in CHECKS.items():
        said = set(flagged.loc[flagged["check_id"] == check_id, "record_id"])
        truth = set(rows.loc[rows[check] == 1, "id"])
        tp, fp, fn = len(said & truth), sorted(said - truth), sorted(truth - said)
        out.append({"check": check, "tp": tp, "fp": len(fp), "fn": len(fn),
                    "precision": tp / (tp + len(fp)) if said else 1.0, "recall": tp / len(truth) if truth else 1.0,
                    "wrong": "、".join(fp + fn)})
    return pd.DataFrame(out)


def main() -> None:
    missed = 0
    for name, path in SETS.items():
        table = score(path)
        print(f"\n{name}（{path.name}，{len(read(path))} 行）：")
        for r in table.itertuples():
            for figure, value in (("精确率", r.precision), ("召回率", r.recall)):
                ok = value >= GOAL
                missed += name == "标注集" and not ok
                print(f"  {NAMES[r.check]} {figure} {value:.3f}（目标 ≥ {GOAL}）{'达到' if ok else '未达到'}"
                      + (f"  命中 {r.tp}，误报 {r.fp}，漏报 {r.fn}" if figure == "召回率" else ""))
            if r.wrong:
                print(f"    判错的行：{r.wrong}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
