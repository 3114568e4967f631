"""The committed workbooks of tests/data: one re-saved by LibreOffice, one with WPS-style merged title rows.

Every expected value below is what tests/data/make_workbooks.py typed into the cell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sgzlib.domain.dataset import Dataset
from sgzlib.ledger import import_workbook
from sgzlib.store import storage

DATA = Path(__file__).resolve().parent / "data"


def test_libreoffice_saved_station_ledger(sqlite_engine):
    result = import_workbook(sqlite_engine, DATA / "libreoffice_station.xlsx")
    assert [(s.table, len(s.new)) for s in result.sheets] == [("stations", 1), ("projects", 1),
                                                               ("beneficiaries", 2), ("services", 2)]
    assert "工作表「2025年服务记录台账」第6行是合计行，已跳过" in result.notes
    ds = storage.load_dataset(sqlite_engine)
    assert ds.stations.loc[0, "level"] == "乡镇街道站"  # typed 街道站
    assert ds.projects.loc[0, "budget"] == 200000.0  # 20 in a 合同金额（万元） column
    people = ds.beneficiaries.set_index("code")
    # 1 and 2 shown as 0001 and 0002 through the "0000" number format
    assert list(people.index) == ["0001", "0002"]
    assert people.loc["0001", ["birth_date", "phone", "category", "follow_up"]].tolist() == [
        pd.Timestamp("1948-05-06"), "13900001111", "困难老人", True]
    # ２０１５年６月１日 in full-width digits; serial 45659 = 1899-12-30 + 45659 days = 2025-01-02
    assert people.loc["0002", ["birth_date", "joined", "follow_up"]].tolist() == [
        pd.Timestamp("2015-06-01"), pd.Timestamp("2025-01-02"), False]
    services = ds.services.set_index("code")
    assert services.loc["LO-S001", ["date", "domain", "attendance", "place", "photos", "uploaded"]].tolist() == [
        pd.Timestamp("2025-03-05"), "养老服务", 2, "社区", "a.jpg、b.jpg", True]  # attendance =1+1 computed by LibreOffice
    assert services.loc["LO-S002", ["date", "domain", "beneficiary_codes", "attendance"]].tolist() == [
        pd.Timestamp("2025-04-08"), "儿童关爱保护", "0001、0002", 3]


def test_wps_style_merged_title_rows(sqlite_engine):
    station = pd.DataFrame([{"code": "WP01", "name": "丁镇社会工作服务站", "level": "乡镇街道站", "district": "测试区"}])
    storage.write_dataset(sqlite_engine, Dataset({"stations": station}))
    result = import_workbook(sqlite_engine, DATA / "wps_merged_titles.xlsx")
    assert [(s.table, len(s.new)) for s in result.sheets] == [("groups", 1), ("group_sessions", 3)]
    assert "工作表「小组活动」第8行是表尾（填表人：赵六），已跳过" in result.notes
    sessions = storage.load_dataset(sqlite_engine).group_sessions.sort_values("seq")
    # the group code merged down B4:B6 reaches all three sessions
    assert sessions[["group_code", "seq", "attendance", "process_record", "sign_in"]].values.tolist() == [
        ["WG1", 1, 8, True, True], ["WG1", 2, 7, True, False], ["WG1", 3, 9, False, True]]
    again = import_workbook(sqlite_engine, DATA / "wps_merged_titles.xlsx")
    assert not again.changed_anything
