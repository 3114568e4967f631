"""Seed 000's spending rules over the 经费支出 sheet: one test per rule, and their place in sgz evaluate."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sgzlib.cli import main
from sgzlib.domain.dataset import Dataset
from sgzlib.indicators import evaluate
from sgzlib.indicators.spending import FLAGGED, OK
from sgzlib.store import storage

D = dt.date.fromisoformat
STATION = {"code": "S1", "name": "灵泉街道社会工作服务站", "level": "乡镇街道站", "parent_code": None,
           "district": "扎赉诺尔区"}
PROJECT = {"code": "P1", "station_code": "S1", "year": 2026, "start": D("2026-01-01"), "end": D("2026-12-31"),
           "budget": 100000, "catalogue": "zhalainuoer-2026"}


def _expense(code, category, amount=100.0, item=None, place=None, receipt=None, photos=None, date="2026-03-05"):
    return {"code": code, "station_code": "S1", "date": D(date), "amount": amount, "category": category, "item": item,
            "place": place, "receipt": receipt, "photos": photos}


def _ds(*expenses):
    return Dataset({"stations": pd.DataFrame([STATION]), "projects": pd.DataFrame([PROJECT]),
                    "expenses": pd.DataFrame(list(expenses))})


def _flags(*expenses):
    sp = evaluate(_ds(*expenses), "2026-12-31").spending
    return sorted(zip(sp.records["check_id"], sp.records["record_id"])), sp


def test_fixed_assets_by_category_and_by_item_word():
    flags, sp = _flags(_expense("E1", "设备购置", 3200, "档案柜"), _expense("E2", "办公耗材", 4500, "笔记本电脑一台"),
                       _expense("E3", "办公耗材", 80, "A4 纸"))
    assert flags == [("ZL-JF-01", "E1"), ("ZL-JF-01", "E2")]
    line = sp.checks.set_index("check_id").loc["ZL-JF-01"]
    assert (line["status"], line["n_flagged"], line["amount_flagged"]) == (FLAGGED, 2, 7700.0)  # 3200 + 4500
    assert line["source_text"] == "购买服务项目经费，不得购置固定资产"


def test_rice_flour_oil_by_category_and_by_item_word_not_by_single_characters():
    flags, _ = _flags(_expense("E1", "米面油", 300, "慰问"), _expense("E2", "发放物品", 260, "食用油 5L×4", receipt=True,
                                                                     photos="p.jpg"),
                      _expense("E3", "活动物资", 40, "油画棒"), _expense("E4", "活动物资", 30, "面巾纸"))
    assert [f for f in flags if f[0] == "ZL-JF-02"] == [("ZL-JF-02", "E1"), ("ZL-JF-02", "E2")]


@pytest.mark.parametrize(("place", "item", "flagged"), [
    ("灵泉街道", "入户走访加油", False),          # the station's own name (without 社会工作服务站)
    ("扎赉诺尔区", "加油", False),                # the district
    ("辖区各社区", "加油", False),                # a 本地 word
    ("海拉尔", "加油", True),                     # another place
    ("扎赉诺尔—海拉尔往返", "加油", True),        # 往返 even though the district is named
    (None, "加油", True),                         # no place: cannot be checked
])
def test_fuel_only_for_local_work(place, item, flagged):
    flags, sp = _flags(_expense("E1", "交通燃油", 200, item, place))
    assert (("ZL-JF-03", "E1") in flags) is flagged


def test_distributed_items_need_a_receipt():
    flags, sp = _flags(_expense("E1", "发放物品", 900, "棉被", receipt=False, photos="a.jpg"),
                       _expense("E2", "发放物品", 900, "棉被", receipt=None, photos="a.jpg"),
                       _expense("E3", "发放物品", 900, "棉被", receipt=True, photos="a.jpg"),
                       _expense("E4", "活动物资", 900, "横幅", receipt=False))
    assert [f for f in flags if f[0] == "ZL-JF-04"] == [("ZL-JF-04", "E1"), ("ZL-JF-04", "E2")]
    reasons = sp.records.set_index("record_id")["reason"]
    assert reasons["E1"] == "发放物品「棉被」没有领取单据"


def test_small_items_need_a_group_or_receipt_photo():
    flags, sp = _flags(_expense("E1", "发放物品", 120, "文具", receipt=True),
                       _expense("E2", "发放物品", 500, "文具", receipt=True),             # 500 ≤ 500: small
                       _expense("E3", "发放物品", 500.01, "保温杯", receipt=True),        # above: not small
                       _expense("E4", "发放物品", 120, "文具", receipt=True, photos="合影.jpg"))
    assert [f for f in flags if f[0] == "ZL-JF-05"] == [("ZL-JF-05", "E1"), ("ZL-JF-05", "E2")]
    assert sp.records.set_index("record_id").at["E1", "reason"] == \
        "发放物品「文具」120.00 元（≤500 元，按小型物品核查）没有合照或领取照片"


def test_a_clean_ledger_shows_every_check_as_met():
    _, sp = _flags(_expense("E1", "活动物资", 60, "彩纸"))
    assert list(sp.checks["status"]) == [OK] * 5
    assert list(sp.checks["check_id"]) == ["ZL-JF-01", "ZL-JF-02", "ZL-JF-03", "ZL-JF-04", "ZL-JF-05"]


def test_expenses_outside_the_project_period_are_not_checked():
    flags, _ = _flags(_expense("E1", "米面油", 300, "大米", date="2025-12-20"))
    assert flags == []


def test_sgz_evaluate_lists_the_checks_with_the_seed_text(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    storage.write_dataset(storage.connect(url), _ds(_expense("E1", "米面油", 300, "大米")))
    assert main(["evaluate", "--db", url, "--as-of", "2026-12-31"]) == 0
    out = capsys.readouterr().out
    assert "☒ ZL-JF-02 不得购置米面油（原文：“不得购置米面油”）：需核查，1 笔 共 300.00 元" in out
    assert "    E1 2026-03-05 300.00 元：类别为「米面油」：大米" in out
    assert "☑ ZL-JF-01 不得购置固定资产" in out
    assert main(["evaluate", "--db", url, "--as-of", "2026-12-31", "--format", "xlsx",
                 "--out", str(tmp_path / "e.xlsx")]) == 0
    sheets = pd.read_excel(tmp_path / "e.xlsx", sheet_name=None)
    assert list(sheets["经费需核查的支出"]["记录编号"]) == ["E1"]


def test_the_expense_sheet_round_trips_through_the_workbook(tmp_path):
    from sgzlib.ledger import export_workbook, read_workbook

    ds = _ds(_expense("E1", "发放物品", 120.5, "文具", "灵泉社区", True, "a.jpg、b.jpg"))
    ds.stations.loc[0, ["longitude", "latitude"]] = [117.7536, 49.4561]
    export_workbook(ds, tmp_path / "l.xlsx")
    ledger = read_workbook(tmp_path / "l.xlsx")
    ledger.finish()
    back = ledger.dataset()
    row = back.expenses.iloc[0]
    assert (row["category"], float(row["amount"]), bool(row["receipt"]), row["photos"]) == ("发放物品", 120.5, True,
                                                                                           "a.jpg、b.jpg")
    assert (back.stations.at[0, "longitude"], back.stations.at[0, "latitude"]) == (117.7536, 49.4561)


def test_expenses_and_station_position_flow_through_the_scoped_import(any_engine, tmp_path):
    # Two stations in the database; a later workbook of S1 alone changes one expense, adds one and prunes one:
    # S2's expense stays, and the bulk read of S1 gives back exactly the values typed (经度/纬度 to 6 places).
    from sgzlib.ledger import export_workbook, import_workbook

    s2 = {**STATION, "code": "S2", "name": "第二街道社会工作服务站"}
    first = Dataset({"stations": pd.DataFrame([{**STATION, "longitude": 117.7536, "latitude": 49.4561}, s2]),
                     "projects": pd.DataFrame([PROJECT]),
                     "expenses": pd.DataFrame([_expense("E1", "发放物品", 120.5, "文具", "灵泉社区", True, "a.jpg"),
                                               _expense("E2", "办公耗材", 30.0),
                                               {**_expense("E9", "交通燃油", 80.0, place="本地"), "station_code": "S2"}])})
    export_workbook(first, tmp_path / "first.xlsx")
    import_workbook(any_engine, tmp_path / "first.xlsx")
    later = Dataset({"stations": pd.DataFrame([{**STATION, "longitude": 117.7536, "latitude": 49.4562}]),
                     "projects": pd.DataFrame([PROJECT]),
                     "expenses": pd.DataFrame([_expense("E1", "发放物品", 99.9, "文具", "灵泉社区", False, "a.jpg"),
                                               _expense("E3", "米面油", 50.0, "大米")])})
    export_workbook(later, tmp_path / "later.xlsx")
    result = import_workbook(any_engine, tmp_path / "later.xlsx", prune=True)
    changes = {s.table: s for s in result.sheets}
    assert changes["expenses"].changed == [("E1",)] and changes["expenses"].new == [("E3",)]
    assert changes["expenses"].removed == [("E2",)]
    one = storage.load_dataset(any_engine, "S1")
    got = one.expenses.set_index("code")
    assert sorted(got.index) == ["E1", "E3"]
    assert (float(got.at["E1", "amount"]), bool(got.at["E1", "receipt"]), got.at["E3", "category"]) == (99.9, False,
                                                                                                      "米面油")
    assert (one.stations.at[0, "longitude"], one.stations.at[0, "latitude"]) == (117.7536, 49.4562)
    assert list(storage.load_dataset(any_engine, "S2").expenses["code"]) == ["E9"]


def test_checks_of_many_projects_count_each_projects_own_expenses():
    # 130 projects (more than an int8 category code holds): the spending checks once failed with an
    # OverflowError here. Only P007 buys a fixed asset: ZL-JF-01 flags it once (1 record, 3200 元),
    # every other project reads 0 and 0.0.
    stations = [{**STATION, "code": f"S{i:03d}", "name": f"第{i}街道社会工作服务站"} for i in range(130)]
    projects = [{**PROJECT, "code": f"P{i:03d}", "station_code": f"S{i:03d}"} for i in range(130)]
    expense = {**_expense("E1", "设备购置", 3200, "档案柜"), "station_code": "S007"}
    ds = Dataset({"stations": pd.DataFrame(stations), "projects": pd.DataFrame(projects),
                  "expenses": pd.DataFrame([expense])})
    checks = evaluate(ds, "2026-12-31").spending.checks
    assets = checks[checks["check_id"] == "ZL-JF-01"].set_index("project_code")
    assert len(assets) == 130
    assert (assets.loc["P007", "status"], assets.loc["P007", "n_flagged"], assets.loc["P007", "amount_flagged"]) == \
        (FLAGGED, 1, 3200.0)
    others = assets.drop(index="P007")
    assert set(others["status"]) == {OK} and others["n_flagged"].sum() == 0 and others["amount_flagged"].sum() == 0.0
