"""Data-quality findings (``sgzlib.analysis.quality``): hand-built cases for each check, and the demo district,
whose planted problems are found and whose clean parts give none."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sgzlib.analysis import quality
from sgzlib.analysis.quality.index import QualityIndex
from sgzlib.analysis.quality.outliers import robust_z, weighted_median
from sgzlib.analysis.quality.summaries import normalise
from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset

D = dt.date.fromisoformat
AS_OF = D("2025-10-31")


def town(code, name, district="测试区"):
    return [{"code": code, "name": name, "level": "乡镇街道站", "parent_code": None, "district": district},
            {"code": f"{code}-V1", "name": f"{name}一村", "level": "村社区室", "parent_code": code, "district": district}]


def two_towns(**frames) -> Dataset:
    """Townships A (甲镇) and B (乙镇) of one district, each with a 2025 project of the same catalogue."""
    base = {"stations": town("A", "甲镇") + town("B", "乙镇"),
            "projects": [{"code": f"P-{t}", "station_code": t, "year": 2025, "start": D("2025-01-01"),
                          "end": D("2025-12-31"), "budget": 100000.0, "catalogue": "zhalainuoer-2026"} for t in "AB"]}
    base.update(frames)
    return Dataset({k: pd.DataFrame(v) for k, v in base.items()})


def person(code, station, **extra):
    return {"code": code, "name": "某人", "station_code": station, "category": "社会救助", "joined": D("2025-01-01"),
            **extra}


def found(ds, check, evaluation=None, settings=quality.Settings(), index_ds=None):
    index = quality.build_index(index_ds if index_ds is not None else ds, AS_OF)
    out = quality.findings(ds, index, evaluation, settings)
    return out[out["check"] == check].reset_index(drop=True)


# -- the same person on two rosters ------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, words", [
    # full-width digits, a space and a lower-case x are the same ID number
    ({"id_number": "15070219800101123X"}, {"id_number": "１５０７０２ 19800101123x"}, "身份证号相同"),
    # a full-width space inside the name
    ({"name": "武红", "birth_date": D("1950-03-02")}, {"name": "武　红", "birth_date": D("1950-03-02")},
     "姓名和出生日期相同"),
    # +86, dashes and spaces around the same mobile number
    ({"name": "张小三", "phone": "13800001234"}, {"name": "张小三", "phone": "+86 138-0000-1234"}, "姓名和联系电话相同"),
])
def test_same_person_on_two_rosters_is_found_by_each_key(a, b, words):
    ds = two_towns(beneficiaries=[person("A-B1", "A", **a), person("B-B7", "B-V1", **b)])
    f = found(ds, "duplicate_person")
    assert len(f) == 1  # one problem, seen from both stations, merged
    assert words in f.at[0, "why"]
    assert {f.at[0, "station_code"], f.at[0, "other_station"]} == {"A", "B"}  # B-V1 belongs to township B
    assert {f.at[0, "records"], f.at[0, "other_records"]} == {"服务对象 A-B1", "服务对象 B-B7"}


@pytest.mark.parametrize("a, b", [
    ({"name": "武红", "birth_date": D("1950-03-02")}, {"name": "武红", "birth_date": D("1951-03-02")}),  # namesakes
    ({"name": "张小三", "phone": "13800001234"}, {"name": "张小四", "phone": "13800001234"}),  # a family's phone
    ({"id_number": "150702198001011"}, {"id_number": "150702198001011"}),  # same township: below
])
def test_namesakes_shared_phones_and_one_townships_rooms_are_not_duplicates(a, b):
    same_town = a.get("id_number") is not None
    ds = two_towns(beneficiaries=[person("A-B1", "A", **a), person("X-B2", "A-V1" if same_town else "B", **b)])
    assert found(ds, "duplicate_person").empty


def test_a_duplicate_names_the_indicators_that_count_the_person_at_each_station():
    ds = two_towns(beneficiaries=[person("A-B1", "A", id_number="150702198001011"),
                                  person("B-B1", "B", id_number="150702198001011")],
                   services=[{"code": "A-S1", "station_code": "A", "date": D("2025-03-01"), "domain": "社会救助",
                              "category": "关爱帮扶", "beneficiary_codes": "A-B1、A-B9"},
                             {"code": "B-S1", "station_code": "B", "date": D("2025-03-01"), "domain": "社会救助",
                              "category": "关爱帮扶", "beneficiary_codes": "B-B1"}])
    # the engine's explanations, by hand: A counts the person on its roster (I-1) and through a service (I-2);
    # I-3 looked at the service and refused it; B counts the person through its service (I-2)
    expl = pd.DataFrame([
        ("P-A", "I-1", "服务对象", "A-B1", True), ("P-A", "I-2", "服务记录", "A-S1", True),
        ("P-A", "I-3", "服务记录", "A-S1", False), ("P-B", "I-2", "服务记录", "B-S1", True),
        ("P-B", "I-4", "服务对象", "B-B2", True)],  # someone else
        columns=["project_code", "indicator_id", "record_table", "record_id", "counted"])
    f = found(ds, "duplicate_person", SimpleNamespace(explanations=expl))
    assert len(f) == 1
    assert f.at[0, "indicators"] == "甲镇：I-1、I-2；乙镇：I-2"
    assert "两站都计入（同一指标重复计数）：I-2" in f.at[0, "why"]


def test_the_check_runs_one_station_at_a_time_on_an_index_of_parts():
    ds = two_towns(beneficiaries=[person("A-B1", "A", id_number="150702198001011"),
                                  person("B-B1", "B", id_number="150702198001011")])
    index = QualityIndex.concat([quality.build_index(ds.subset(t), AS_OF) for t in "AB"])
    one = quality.findings(ds.subset("A"), index)  # station A loaded alone, masked or not: the index holds the keys
    assert one["check"].tolist() == ["duplicate_person"]
    assert one.at[0, "other_records"] == "服务对象 B-B1"
    assert index.people.columns.tolist() == ["key", "kind", "station_code", "station_name", "beneficiary_code"]
    assert index.people["key"].dtype == np.uint64  # hashed: no name or number is kept


# -- a worker in two places -----------------------------------------------------------------------------

def worker_data(a_name="张三", b_name="张　三", b_day="2025-03-05", b_station="B", extra_staff=()):
    staff = [{"code": "A-W1", "name": a_name, "station_code": "A", "certificate": "无"},
             {"code": "B-W1", "name": b_name, "station_code": "B", "certificate": "无"}, *extra_staff]
    return two_towns(
        staff=staff, beneficiaries=[person("A-B1", "A")],
        cases=[{"code": "A-C1", "station_code": "A", "beneficiary_code": "A-B1", "domain": "社会救助",
                "worker_code": "A-W1", "opened": D("2025-02-01")}],
        case_sessions=[{"case_code": "A-C1", "seq": 1, "date": D("2025-03-05")},
                       {"case_code": "A-C1", "seq": 2, "date": D("2025-03-12")}],
        groups=[{"code": "B-G1", "station_code": b_station, "domain": "养老服务", "name": "乐龄小组",
                 "leader_code": "B-W1"}],
        group_sessions=[{"group_code": "B-G1", "seq": 1, "date": D(b_day), "attendance": 8}])


def test_a_worker_named_on_two_staff_lists_with_sessions_at_both_on_one_day():
    f = found(worker_data(), "worker_two_places")
    assert len(f) == 1
    assert f.at[0, "records"] == "个案服务 A-C1/1" and f.at[0, "other_records"] == "小组活动 B-G1/1"
    assert "2025-03-05" in f.at[0, "why"] and "姓名相同" in f.at[0, "why"] and "没有服务时间" in f.at[0, "why"]


@pytest.mark.parametrize("change", [
    {"b_day": "2025-03-06"},  # another day
    {"b_station": "A-V1"},  # a village room of the same township: an ordinary day
    {"b_name": "李四"},  # someone else
    # three staff rows of the district named 张三: too common a name to say who is who
    {"extra_staff": ({"code": "B-W2", "name": "张三", "station_code": "B", "certificate": "无"},)},
])
def test_other_days_rooms_of_one_township_other_people_and_common_names_are_not_listed(change):
    assert found(worker_data(**change), "worker_two_places").empty


def test_the_same_staff_code_on_two_townships_sessions_on_one_day():
    ds = worker_data(b_name="李四")
    ds.groups.loc[0, "leader_code"] = "A-W1"  # 甲镇's worker leads 乙镇's group
    f = found(ds, "worker_two_places")
    assert len(f) == 1 and f.at[0, "why"].startswith("社工 A-W1有 1 天")


# -- 补录 ------------------------------------------------------------------------------------------------

def late_data():
    services = [{"code": c, "station_code": s, "date": D(d), "domain": "社会救助", "category": "关爱帮扶"}
                for c, s, d in (("A-S1", "A", "2025-03-01"), ("A-S2", "A-V1", "2025-03-02"), ("A-S3", "A", "2025-04-10"),
                                ("A-S4", "A", "2025-05-01"))]
    ds = two_towns(services=services)
    ds.frames["first_seen"] = pd.DataFrame({
        "record_table": "services", "record_key": ["A-S1", "A-S2", "A-S3"], "station_code": ["A", "A-V1", "A"],
        # 35 days, 29 days, 40 days after the row's date; A-S4 was imported before dates were kept
        "first_seen": pd.to_datetime(["2025-04-05", "2025-03-31", "2025-05-20"]).astype("datetime64[s]")})
    return ds


def test_rows_first_seen_long_after_their_date_are_listed_per_station_and_month():
    f = found(late_data(), "late_entry")
    assert f["month"].tolist() == ["2025-03", "2025-04"]
    assert f["records"].tolist() == ["服务记录 A-S1", "服务记录 A-S3"]  # A-S2: 29 days is not more than 30
    assert "晚 35 天" in f.at[0, "why"] and "2025-04-05" in f.at[0, "why"]


def test_the_number_of_days_is_a_setting():
    f = found(late_data(), "late_entry", settings=quality.Settings(late_days=20))
    assert f["records"].tolist() == ["服务记录 A-S1、A-S2", "服务记录 A-S3"]  # 35 and 29 > 20; one village room, one township
    assert f.at[0, "n_records"] == 2


# -- peer outliers ------------------------------------------------------------------------------------

def metrics(values, metric="minutes", stations=None, month=None):
    n = len(values)
    return pd.DataFrame({"station_code": stations or [("A", "B")[i % 2] for i in range(n)], "station_name": None,
                         "catalogue": "X", "month": month or [f"2025-{i % 12 + 1:02d}" for i in range(n)],
                         "metric": metric, "value": [float(v) for v in values], "n": 1})


def test_robust_z_by_hand():
    # sorted: 50 55 55 60 60 60 60 65 65 70 200 → median 60; |deviations| sorted 0 0 0 0 5 5 5 5 10 10 140 → MAD 5
    z = robust_z(metrics([50, 55, 60, 60, 65, 70, 60, 55, 65, 60, 200]), same_month_peers=8, min_values=10)
    assert z["z"].iloc[-1] == pytest.approx(0.6745 * 140 / 5)  # 18.886
    assert z["z"].iloc[0] == pytest.approx(0.6745 * -10 / 5)  # -1.349
    assert not z["same_month"].any() and (z["peers"] == 2).all()


def test_a_zero_mad_falls_back_to_the_mean_absolute_deviation():
    # ten 60s and one 90: median 60, MAD 0; mean absolute deviation 30 / 11
    z = robust_z(metrics([60] * 10 + [90]), same_month_peers=8, min_values=10)
    assert z["z"].iloc[-1] == pytest.approx(30 / (1.253314 * 30 / 11))  # 8.777


def test_weighted_median_equals_the_median_of_the_repeated_values():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x, w = rng.integers(0, 20, 7).astype(float), rng.integers(1, 5, 7)
        assert weighted_median(x, w) == np.median(np.repeat(x, w))


def test_counts_are_held_to_the_spread_of_chance():
    # monthly service counts of 10 stations that agree closely: 100 ± 1; a month of 80 is 20 below.
    # Without a floor, MAD on log(1 + n) is tiny and 80 would be z ≈ -15; chance alone spreads a count of
    # 100 by 1/√100 = 0.1 on the log scale: z = (ln 81 − ln 101) / 0.1 = -2.21, not listed.
    values = [100, 101, 99, 100, 101, 99, 100, 101, 99, 80]
    z = robust_z(metrics(values, "services", stations=[f"T{i}" for i in range(10)], month=["2025-03"] * 10), 8, 10)
    assert z["same_month"].all()
    assert z["z"].iloc[-1] == pytest.approx((np.log(81) - np.log(101)) / 0.1)


def test_an_outlier_finding_names_its_sessions():
    sessions = [{"case_code": "A-C1", "seq": i + 1, "date": D(f"2025-{i + 1:02d}-10"), "minutes": m}
                for i, m in enumerate([60, 45, 60, 90, 60, 300])]
    sessions += [{"case_code": "B-C1", "seq": i + 1, "date": D(f"2025-{i + 1:02d}-10"), "minutes": m}
                 for i, m in enumerate([60, 45, 60, 90, 60, 45])]
    ds = two_towns(beneficiaries=[person("A-B1", "A"), person("B-B1", "B")],
                   cases=[{"code": f"{t}-C1", "station_code": t, "beneficiary_code": f"{t}-B1", "domain": "社会救助",
                           "opened": D("2025-01-02")} for t in "AB"], case_sessions=sessions)
    f = found(ds, "peer_outlier")
    # 12 sessions: median 60, MAD 7.5 → z(300) = 0.6745 × 240 / 7.5 = 21.6
    assert f["records"].tolist() == ["个案服务 A-C1/6"] and f.at[0, "month"] == "2025-06"
    assert "300 分钟（z = 21.6）" in f.at[0, "why"]


# -- copied summaries ------------------------------------------------------------------------------

def test_normalise_drops_spaces_and_punctuation():
    assert normalise("讲解 冬季取暖补贴政策。") == normalise("讲解冬季取暖补贴政策") == "讲解冬季取暖补贴政策"
    assert normalise("Ａ１，ｂ") == "A1b"


def summary_data(texts):
    return two_towns(services=[{"code": f"A-S{i}", "station_code": "A", "date": D("2025-03-01"), "domain": "养老服务",
                                "category": "关爱帮扶", "summary": t} for i, t in enumerate(texts)])


def test_the_same_long_summary_in_ten_records_is_listed_once():
    text = "入户走访困难老人，了解近期生活情况，讲解冬季取暖补贴政策"
    f = found(summary_data([text] * 6 + [text.replace("，", " ")] * 4 + ["另一次服务的记录内容完全不同的摘要"]),
              "copied_summary")
    assert len(f) == 1 and f.at[0, "n_records"] == 10


@pytest.mark.parametrize("texts", [["入户走访困难老人了解近期生活情况"] * 9, ["关爱帮扶"] * 30])
def test_nine_copies_or_short_summaries_are_not_listed(texts):
    assert found(summary_data(texts), "copied_summary").empty


# -- the demo district ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_findings(demo_ds):
    from sgzlib.indicators import evaluate

    return quality.findings(demo_ds, quality.build_index(demo_ds, demo.AS_OF), evaluate(demo_ds, demo.AS_OF))


def test_the_demo_gives_its_planted_problems_and_nothing_else(demo_findings):
    p = demo.PLANTED.quality
    got = {(r.check, r.station_code) for r in demo_findings.itertuples()}
    assert got == {("duplicate_person", "YL01"), ("worker_two_places", "YL01"), ("late_entry", p.late_entry[0]),
                   ("peer_outlier", p.peer_outlier[0]), ("copied_summary", p.copied_summary[0])}
    by = demo_findings.set_index("check")
    assert by.at["duplicate_person", "records"] == f"服务对象 {p.duplicate_person[0]}"
    assert by.at["duplicate_person", "other_records"] == f"服务对象 {p.duplicate_person[1]}"
    assert by.at["worker_two_places", "why"].startswith(f"社工 {p.worker_two_places[0]} 与")
    assert by.at["late_entry", "month"] == p.late_entry[1]
    assert by.at["peer_outlier", "records"] == f"个案服务 {p.peer_outlier[1]}"
    assert by.at["copied_summary", "n_records"] == p.copied_summary[1]


@pytest.mark.parametrize("as_of", ["2025-06-30", "2025-12-31"])
def test_the_planted_problems_are_the_ones_found_on_other_dates_too(demo_ds, demo_findings, as_of):
    other = quality.findings(demo_ds, quality.build_index(demo_ds, D(as_of)))
    assert sorted(other["check"]) == sorted(demo_findings["check"])


def test_the_demo_without_its_planted_problems_gives_no_finding():
    clean = demo.build(quality_problems=False)
    for as_of in ("2025-06-30", "2025-10-31", "2025-12-31"):
        assert quality.findings(clean, quality.build_index(clean, D(as_of))).empty, as_of
