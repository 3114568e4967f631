"""The public API (its docstring examples), caseload per worker, the gallery analyses and ``sgz lab``'s workspace.

Figures come from the hand-built station of ``lab_builders`` (worked out next to each assertion) or from an
independent computation.
"""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pandas as pd
import pytest
from lab_builders import AS_OF, analysis_station
from scipy import stats as sp

import sgzlib as sgz
from sgzlib import api
from sgzlib.analysis import casework as analysis
from sgzlib.cli import build_parser
from sgzlib.dashboards import lab
from sgzlib.domain import caseload, stats
from sgzlib.domain.validation import validate


@pytest.fixture(scope="module")
def ds():
    return validate(analysis_station())


@pytest.fixture(scope="module")
def timeline(ds):
    return analysis.case_timeline(ds, AS_OF).set_index("code")


@pytest.mark.slow
def test_api_docstring_examples_run():
    from sgzlib.workbench import analyses, foresight, model

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    results = [doctest.testmod(m, optionflags=flags) for m in (api, model, analyses, foresight)]
    assert sum(r.attempted for r in results) >= 44
    assert [r.failed for r in results] == [0, 0, 0, 0]


def test_package_reexports_the_api():
    assert sgz.open is api.open and sgz.demo_workbench is api.demo_workbench and sgz.Workbench is api.Workbench
    with pytest.raises(AttributeError):
        sgz.no_such_thing  # noqa: B018


def test_api_masks_names_by_default(ds):
    wb = api.Workbench(ds, as_of=AS_OF)
    # 王小明 → 王*明, 李四 → 李* (privacy.mask_name); unmasked only when asked for.
    assert wb.caseload()["worker_name"].tolist() == ["王*明", "李*"]
    assert api.Workbench(ds, as_of=AS_OF, masked=False).caseload()["worker_name"].tolist() == ["王小明", "李四"]


def test_open_reads_the_cli_default_database(tmp_path, monkeypatch, ds):
    from sgzlib.store import storage

    url = f"sqlite:///{tmp_path / 'x.db'}"
    storage.write_dataset(storage.connect(url), ds)
    monkeypatch.setenv(storage.ENV_VAR, url)
    wb = sgz.open(as_of="2025-06-30")
    assert wb.url == url and wb.stations()["code"].tolist() == ["S1"]
    assert len(wb.table("cases")) == 6


def test_caseload_by_hand(ds):
    load = caseload.caseload(ds, "S1", AS_OF).set_index("worker_code")
    # Open on 06-30: W1 has C4 (C1–C3 closed); W2 has C6 (C5 closed).
    assert load["open_cases"].to_dict() == {"W1": 1, "W2": 1}
    # G1 (W2) has sessions and no report → 开展中; G2 (W1) reported 04-15 → 已结束.
    assert load["active_groups"].to_dict() == {"W1": 0, "W2": 1}
    # June: C4 sessions 06-10 and 06-20 (W1); G1 sessions 06-02, 06-09, 06-16, 06-23, 06-30 (W2).
    assert load["case_sessions_month"].to_dict() == {"W1": 2, "W2": 0}
    assert load["group_sessions_month"].to_dict() == {"W1": 0, "W2": 5}
    assert load["sessions_month"].to_dict() == {"W1": 2, "W2": 5}
    # Stalled (> 30 days idle): C4 last session 06-20 → 10 days; C6 last session 04-05 → 86 days.
    assert load["stalled_cases"].to_dict() == {"W1": 0, "W2": 1}
    # No case records at all. Closed cases expect all 7; C1 has its 过程记录表 (its one session has it) → 6,
    # C2, C3, C5 (no sessions) → 7 each. Open C4, C6 at 介入 expect 接案记录表 预估表 服务协议 工作计划表
    # 过程记录表 and have the last → 4 each. Groups: plans present, every session with unit plan and
    # process record, G2 reported, G1 still running → 0. W1: 6 + 7 + 7 + 4 = 24; W2: 7 + 4 = 11.
    assert load["overdue_records"].to_dict() == {"W1": 24, "W2": 11}
    assert list(load.reset_index().columns) == caseload.COLUMNS


def test_case_timeline_by_hand(timeline):
    # C1: opened 01-10 → 预估 01-15 (5), 计划 01-20 (10), first session 01-25 (15), 评估 02-20 (41), 结案 02-24 (45).
    c1 = timeline.loc["C1"]
    assert [c1["days_assessed"], c1["days_planned"], c1["days_first_session"], c1["days_evaluated"],
            c1["days_closed"]] == [5, 10, 15, 41, 45]
    # Observed: closed ones to closure (C2 60, C3 90, C5 20), open ones to 06-30 (C4 from 03-01: 121, C6 from 04-01: 90).
    assert timeline["days_observed"].to_dict() == {"C1": 45, "C2": 60, "C3": 90, "C4": 121, "C5": 20, "C6": 90}
    assert timeline["is_closed"].to_dict() == {"C1": True, "C2": True, "C3": True, "C4": False, "C5": True,
                                               "C6": False}


def test_stage_durations_median_by_hand(timeline):
    d = analysis.stage_durations(timeline.reset_index(), "domain").set_index(["domain", "stage"])
    # 社会救助 closed after 45, 60, 90 days → median 60, mean 65; 介入 C1 15 and C4 4 (03-01 → 03-05) → 9.5.
    assert d.loc[("社会救助", "结案"), ["n", "median_days", "mean_days"]].tolist() == [3, 60, 65]
    assert d.loc[("社会救助", "介入"), ["n", "median_days"]].tolist() == [2, 9.5]
    assert d.loc[("养老服务", "结案"), ["n", "median_days"]].tolist() == [1, 20]
    assert list(d.loc["社会救助"].index) == ["预估", "计划", "介入", "评估", "结案"]


def test_kaplan_meier_by_hand(timeline):
    curve = analysis.still_open_curve(timeline.reset_index(), "domain")
    sa = curve[curve["group"] == "社会救助"]
    # Durations 45, 60, 90 closed, 121 still open: S(45) = 3/4, S(60) = 3/4·2/3 = 1/2, S(90) = 1/2·1/2 = 1/4,
    # 121 censored (S stays 1/4).
    assert sa["days"].tolist() == [0, 45, 60, 90, 121]
    assert sa["at_risk"].tolist() == [4, 4, 3, 2, 1]
    assert np.allclose(sa["still_open"], [1, 0.75, 0.5, 0.25, 0.25])
    assert sa["censored"].tolist() == [0, 0, 0, 0, 1]
    # 养老服务: C5 closed at 20 of 2 at risk → 1/2; C6 censored at 90.
    med = analysis.median_open_days(curve)
    assert med.to_dict() == {"养老服务": 20.0, "社会救助": 60.0}


def test_kaplan_meier_against_lifetable_without_censoring():
    # With no censoring the KM curve is the empirical share still open: 4 cases closing at 10, 10, 20, 30.
    tl = pd.DataFrame({"days_observed": [10, 10, 20, 30], "is_closed": [True] * 4})
    curve = analysis.still_open_curve(tl)
    assert np.allclose(curve["still_open"], [1, 0.5, 0.25, 0])
    assert math.isnan(analysis.median_open_days(analysis.still_open_curve(
        pd.DataFrame({"days_observed": [5], "is_closed": [False]}))).iloc[0])


def test_closures_referrals_reopened_by_hand(ds, timeline):
    reasons = analysis.closure_reasons(timeline.reset_index()).set_index(["domain", "close_reason"])
    # 社会救助: 目标达成 C1, C3; 转介 C2 → 2/3 and 1/3. 养老服务: C5 目标达成.
    assert reasons["cases"].to_dict() == {("养老服务", "目标达成"): 1, ("社会救助", "目标达成"): 2,
                                          ("社会救助", "转介"): 1}
    assert np.isclose(reasons.loc[("社会救助", "转介"), "share"], 1 / 3)
    ref = analysis.referrals(timeline.reset_index())
    assert ref[["code", "referral_to", "days_closed"]].values.tolist() == [["C2", "区残联", 60]]
    reopened = analysis.reopened_cases(ds, AS_OF)
    # C6 (B1, 养老服务, opened 04-01) after C5 closed 01-30: 1 + 28 + 31 + 1 = 61 days.
    assert reopened[["code", "previous_case", "days_between"]].values.tolist() == [["C6", "C5", 61]]


def test_group_attendance_and_dropoff_by_hand(ds):
    att = analysis.group_attendance(ds, AS_OF)
    g1 = att[att["group_code"] == "G1"]
    assert np.allclose(g1["share_of_first"], [1, 0.8, 0.8, 0.6, 0.4])  # 10, 8, 8, 6, 4 over 10
    drop = analysis.group_dropoff(att).set_index("group_code")
    # G1: 10 → 4, lost 6 = 60 %; falls 2, 0, 2, 2 → the first largest fall is session 2 (−2).
    assert drop.loc["G1", ["first_attendance", "last_attendance", "dropoff", "dropoff_share", "biggest_drop_seq",
                           "biggest_drop"]].tolist() == [10, 4, 6, 0.6, 2, 2]
    assert drop.loc["G2", "dropoff"] == 0 and math.isnan(drop.loc["G2", "biggest_drop_seq"])
    assert drop.index.tolist() == ["G1", "G2"]  # largest share lost first


def test_mean_ci_by_hand_and_outcome_change():
    # Improvements 2, 4, 6: mean 4, SD 2, SE 2/√3; t(0.975, df 2) = 4.302653 → half-width 4.968.
    mean, low, high = stats.mean_ci([2, 4, 6])
    assert mean == 4 and np.isclose(high - mean, 4.302653 * 2 / math.sqrt(3), atol=1e-5) and np.isclose(low, 8 - high)
    # Independent: scipy's own interval.
    assert np.allclose((low, high), sp.t.interval(0.95, 2, loc=4, scale=sp.sem([2, 4, 6])))
    assert math.isnan(stats.mean_ci([3])[1])
    pairs = pd.DataFrame({"scale_name": ["甲"] * 3 + ["乙"], "domain": ["养老服务"] * 4,
                          "improvement": [2.0, 4.0, 6.0, -1.0], "rci_class": ["改善", "无可靠变化", "改善", "恶化"]})
    out = analysis.outcome_change(pairs).set_index("scale_name")
    assert out.loc["甲", ["n", "mean_improvement", "improved", "unchanged", "deteriorated"]].tolist() == [3, 4, 2, 1, 0]
    assert np.isclose(out.loc["甲", "improved_share"], 2 / 3)
    assert out.loc["乙", ["worse_raw", "deteriorated"]].tolist() == [1, 1]


def test_prepare_workspace_copies_once_and_never_overwrites(tmp_path):
    ws = tmp_path / "工作台"
    names = [p.name for p in lab.gallery_notebooks()]
    assert names == ["个案分析.ipynb", "小组分析.ipynb", "成效分析.ipynb", "指标追踪.ipynb"]
    first = lab.prepare_workspace(ws)
    assert sorted(first.copied) == sorted(names)
    edited = ws / "个案分析.ipynb"
    edited.write_text("我的修改", encoding="utf-8")
    (ws / "小组分析.ipynb").unlink()
    again = lab.prepare_workspace(ws)
    assert again.copied == () and edited.read_text(encoding="utf-8") == "我的修改"
    assert not (ws / "小组分析.ipynb").exists()  # deleted by the user: not brought back
    assert set(json.loads((ws / lab.MARKER).read_text(encoding="utf-8"))["copied"]) == set(names)


def test_gallery_notebooks_are_thin_chinese_and_hold_no_database_address():
    import nbformat

    for path in lab.gallery_notebooks():
        nb = nbformat.read(path, as_version=4)
        text = path.read_text(encoding="utf-8")
        assert "sqlite" not in text and "postgresql" not in text
        assert nb.metadata["kernelspec"]["name"] == "sgz"
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert all("def " not in c and "groupby" not in c for c in code), path.name  # computations live in sgzlib


def test_lab_command_line_and_environment(tmp_path):
    argv = lab.lab_argv(9999, tmp_path, "tok", allow_root=True)
    assert "--ServerApp.ip=127.0.0.1" in argv and "--ServerApp.port=9999" in argv
    assert "--ServerApp.port_retries=0" in argv and "--allow-root" in argv
    assert "--MappingKernelManager.default_kernel_name=sgz" in argv
    assert "--allow-root" not in lab.lab_argv(9999, tmp_path, "tok", allow_root=False)
    env = lab.lab_env("sqlite:///data/x.db", base={})
    assert env["SGZ_DATABASE_URL"] == f"sqlite:///{(tmp_path.cwd() / 'data' / 'x.db').resolve()}"
    argv = ["lab", "--port", "9000", "--workspace", "w", "--no-browser"]
    args = build_parser(argv).parse_args(argv)
    assert (args.port, args.workspace, args.no_browser, args.db) == (9000, "w", True, None)


def test_unknown_names_get_chinese_errors(ds):
    from sgzlib.errors import NotFoundError

    wb = api.Workbench(ds, as_of=AS_OF)
    with pytest.raises(NotFoundError, match="站点编码不存在：NOPE"):
        wb.station("NOPE")
    with pytest.raises(NotFoundError, match="区县不存在：某区（已有：测试区）"):
        wb.district("某区")
    with pytest.raises(NotFoundError, match="没有哪个项目的指标清单包含指标「XX-01」"):
        wb.indicator_track("XX-01")
