"""Outputs that read right on paper and on screen (issue 30): one rounding, indicator labels, 0 % bars,
RCI, words for users, the score sheet, the index, one date, digests, the district overview, the workbench.

Each test reads what a user reads (a CSV cell, a table cell, a board cell, a chart's labels, a workbook
cell) on the demo district, and fails on the outputs of issue 30's first reading. The checks that need
Chromium or pdftotext are in ``test_visual.py`` (they share its rendered reports); the score sheet printed
through LibreOffice is at the end of this file.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pdfplumber
import pytest
from openpyxl import load_workbook

import sgzlib as sgz
from sgzlib.api import labelled_html
from sgzlib.charts import plots as charts
from sgzlib.commands import evaluate as evaluate_cmd
from sgzlib.dashboards import lab, progress, ui
from sgzlib.demo import district as demo
from sgzlib.domain import figures, outcomes
from sgzlib.domain.supervision_records import INFERRED, supervisor_stations
from sgzlib.errors import DefinitionError, Problem
from sgzlib.indicators import evaluate, indicator_labels
from sgzlib.indicators.catalogue import SHORT_MAX, all_catalogues, parse_catalogue
from sgzlib.ledger.errors_out import write_errors
from sgzlib.reports import assessment, digest, district, index, jobs, sheets, station
from sgzlib.reports.display import _cell
from sgzlib.store import storage

ROOT = Path(__file__).resolve().parent.parent
AS_OF = demo.AS_OF
EXAMPLE = ROOT / "sgzlib" / "data" / "scoring-example.yaml"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('readright') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


@pytest.fixture(scope="module")
def district_eval(demo_ds):
    return evaluate(demo_ds, AS_OF)


@pytest.fixture(scope="module")
def yl04(demo_url):
    return station.build(demo_url, "YL04", AS_OF)


@pytest.fixture(scope="module")
def overview(demo_url):
    return district.build(demo_url, "云岭区", AS_OF)


# -- 2. one rounding rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, unit, how, text", [
    (9.99, "个", "up", "10"),  # 12 × 83.29 % of the year: 10 cases are due by then
    (12 * 365 / 365 + 1e-12, "个", "up", "12"),  # float noise on the step: not 13
    (83.2877, "%", "up", "83.3"),
    (99.96, "%", "down", "99.9"),  # never 100 % before it is
    (6000.0, "元", "nearest", "6000"),
    (1234.567, "元", "nearest", "1234.57"),
    (2.0, "个季度", "nearest", "2"),
])
def test_one_rounding_rule(value, unit, how, text):
    assert figures.text(value, unit, how) == text


def test_expected_by_date_is_rounded_up_in_the_engine(district_eval):
    s = district_eval.summary
    whole = s[s["unit"].map(figures.is_whole) & s["expected"].notna()]
    # every 应达 of whole things is a whole number, and no smaller than target × elapsed share: on 10-31
    # 304 of 365 days have gone, so a target of 12 is due at 12 × 304/365 = 9.99 → 10
    assert len(whole) > 100 and (whole["expected"] == np.floor(whole["expected"])).all()
    row = s[(s["indicator_id"] == "JY-M02-SA") & (s["station_code"] == "YL04")].iloc[0]
    assert (row["target"], row["expected"]) == (12, math.ceil(12 * 304 / 365)) == (12, 10)
    assert "应达 10个" in row["note"]


def _csv_rows(district_eval) -> pd.DataFrame:
    text = __import__("sgzlib.store.outputs", fromlist=["csv_text"]).csv_text(
        evaluate_cmd.display(evaluate_cmd.scored(district_eval.summary, None), evaluate_cmd.HEADERS))
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_each_figure_is_rounded_once_across_csv_report_board_and_note(demo_url, district_eval, yl04):
    """实际, 目标 and 截至评估日应达 of YL04 read the same in the CSV, the report table, the board's table and the
    engine's 说明 (issue 30: 9.99 / 10.0 / 10 and 83.29 / 83.30 / 83.3 before)."""
    csv = _csv_rows(district_eval)
    csv = csv[csv["站点编码"] == "YL04"].set_index("指标编号")
    report = yl04.indicators().set_index("指标编号")
    board = progress.action_list(district_eval.summary[district_eval.summary["station_code"] == "YL04"])
    board = board.set_index("指标编号")
    checked = 0
    for ind, row in board.iterrows():
        for column in ("实际", "截至评估日应达", "目标"):
            shown = {csv.at[ind, column], _cell(report.at[ind, column]), ui._fmt(row[column])}
            assert len(shown) == 1, (ind, column, shown)
        note = csv.at[ind, "说明"]
        expected = re.search(r"应达 ([\d.]+)", note)
        if expected:
            assert expected[1] == csv.at[ind, "截至评估日应达"], (ind, note)
        checked += 1
    assert checked >= 20  # YL04 is behind on many indicators


def test_counts_of_whole_things_are_whole_everywhere(district_eval, tmp_path):
    csv = _csv_rows(district_eval)
    whole = csv[csv["单位"].map(figures.is_whole)]
    for column in ("实际", "目标", "截至评估日应达"):
        assert not whole[column].str.contains(r"\.", regex=True).any(), column  # "0.83 个", "35.00 人" before
    path = tmp_path / "评估.xlsx"
    evaluate_cmd.write(district_eval, "xlsx", str(path))
    ws = load_workbook(path)["汇总"]
    head = [c.value for c in ws[1]]
    unit, actual, expected = head.index("单位"), head.index("实际"), head.index("截至评估日应达")
    for row in ws.iter_rows(min_row=2):
        if figures.is_whole(row[unit].value):
            assert row[actual].number_format == "0" and row[expected].number_format == "0", row[unit].value


# -- 3. indicator labels -------------------------------------------------------------------------------

def test_every_indicator_has_a_number_and_a_short_name():
    for cat in all_catalogues():
        labels = [ind.label for ind in cat.indicators]
        assert len(set(labels)) == len(labels), cat.id
        for ind in cat.indicators:
            short = ind.label.removeprefix(f"{ind.id} ")
            assert ind.short and short == ind.short and len(short) <= SHORT_MAX, ind.id


def test_a_catalogue_with_a_bad_or_repeated_short_name_is_refused():
    text = (ROOT / "sgzlib" / "catalogues" / "panzhihua-2021.yaml").read_text(encoding="utf-8")
    text = text.replace('short: "设站长"', 'short: "功能服务型组织"').replace('short: "消防设施"', 'short: "一个太长太长的简称名字"')
    with pytest.raises(DefinitionError) as err:
        parse_catalogue(text)
    codes = {p.code for p in err.value.problems}
    assert codes == {"duplicate_short", "bad_short"}


def _category_labels(fig, axis: str) -> list[str]:
    layout_axis = fig.layout[axis]
    if layout_axis.categoryarray is not None:
        return [str(v) for v in layout_axis.categoryarray]
    return [str(v) for v in dict.fromkeys(v for t in fig.data for v in (t[axis[0]] or ()) if v is not None)]


def test_no_two_labels_on_one_chart_are_the_same(yl04, overview, district_eval):
    figs = [*yl04.progress_figures(), yl04.period_figure()]
    figs += [f for _, f in overview.heatmaps()]
    cat = district_eval.summary[district_eval.summary["catalogue"] == "jiuyuan-2024"]
    figs.append(charts.indicator_heatmap(cat))
    for fig in figs:
        labels = _category_labels(fig, "yaxis")
        assert len(labels) == len(set(labels)), fig.layout.title.text
        # each indicator named by its number and short name: "JY-M02-SA 救助个案≥12", not a cut full name
        assert all(re.match(r"^[A-Z]{2}-[A-Z0-9-]+ \S{1,10}$", lab) for lab in labels), labels[:3]


def test_district_heatmaps_are_one_per_catalogue_with_figures_and_a_white_legend(overview):
    maps = overview.heatmaps()
    catalogues = overview.summary["catalogue"].nunique()
    # four catalogues: at most two charts each (the 60-indicator one split between domains), not 15 small ones
    assert catalogues == 4 and len(maps) <= 2 * catalogues
    cells = 0
    for title, fig in maps:
        heat, text = fig.data[0], fig.data[1]
        cells += int(np.isfinite(np.asarray(heat.z, dtype=float)).sum())
        assert len(heat.y) <= district.HEATMAP_ROWS and "-20" not in title
        # a figure in every cell: 实际/目标 (or the share), 不适用 where the station has no such indicator
        z = np.asarray(heat.z, dtype=float)
        assert len(text.text) == z.size and all(t for t in text.text)
        if np.isnan(z).any():
            assert any(charts.NOT_APPLICABLE in (t.name or "") for t in fig.data[2:])
    assert cells == len(overview.summary)


def test_district_headline_does_not_pool_catalogues_and_the_monthly_chart_says_who_is_missing(overview):
    cards = {label: value for label, value, _ in overview.headline()}
    shares = overview.shares()["good"]
    assert cards["各站达标及进度正常占比的中位数"] == figures.percent(shares.median())
    assert "占比最低：北岭街道" in cards and cards["占比最低：北岭街道"] == figures.percent(shares.min())
    assert cards["指标结果数（站 × 指标）"] == cards["达标及进度正常"] + cards["落后或未达标"] + cards["待核验或未开始"]
    shown = set(overview.monthly_met()["station"])
    missing = [n for n in overview.stations["name"] if n not in shown]
    assert missing == ["桃源镇社会工作服务站"] and "桃源镇社会工作服务站" in overview.met_note()


# -- 4. 0 % bars ----------------------------------------------------------------------------------------

def test_a_zero_bar_shows_its_status(yl04):
    fig = yl04.progress_figures()[0]
    zero = 0
    for trace in fig.data:
        if trace.type != "bar":
            continue
        for x, text in zip(trace.x, trace.text):
            assert x >= charts.ZERO_STUB  # drawn, in its status colour (the trace's)
            zero += text == "0%"
        assert trace.marker.color == charts.STATUS_COLORS[trace.name]
    assert zero >= 10  # YL04: many indicators at 0 %


# -- 5. RCI ------------------------------------------------------------------------------------------------

def test_rci_reads_cannot_be_computed_wherever_no_pair_has_one(demo_url):
    rep = assessment.build(demo_url, "P2025-YL04", "2025-12-31")
    raw = outcomes.summary(rep.ds, by=("domain", "scale", "work_type"), analysis=rep.analysis)
    none = raw["rci_unavailable"] == raw["n"]
    assert none.any()
    for numeric in (False, True):  # the report table and the score sheet's 前后测
        shown = rep.outcome_summary(numeric=numeric)
        assert (shown.loc[none.to_numpy(), ["可靠改善", "可靠恶化"]] == outcomes.RCI_CANNOT).all().all()
        assert not (shown.loc[~none.to_numpy(), "可靠改善"] == outcomes.RCI_CANNOT).any()


# -- 6. the agenda, action items and names -------------------------------------------------------------------

def test_each_agenda_item_is_one_line(yl04):
    agenda = yl04.agenda()
    for what, refs in zip(agenda["内容"], agenda["涉及"]):
        assert len(what) <= 30 and len(refs) <= 60, (what, refs)  # 16 names, 300 characters, before
    indicators = agenda[agenda["议题"] == "指标进度"].iloc[0]
    # 16 indicators behind: three numbers, how many, and where the report lists them
    assert re.fullmatch(r"\S+、\S+、\S+ 等 \d+ 项（见三）", indicators["涉及"])


def test_action_items_are_listed_once_with_the_owner_by_name(yl04):
    listed = list(yl04.actions()["行动项编号"]) + list(yl04.since_actions().get("行动项编号", []))
    assert len(listed) == len(set(listed))  # 八 and 九 share none
    staff = yl04.ds.staff.set_index("code")["name"]
    owners = yl04.actions()["责任人"]
    assert not owners.str.match(r"^YL\d\d-W\d$").any()  # a name, not the code YL04-W1
    assert set(owners) - {"—"} <= set(staff)


# -- 7. words for users ------------------------------------------------------------------------------------

def test_the_assessment_speaks_to_its_reader(demo_url):
    note = assessment.build(demo_url, "P2025-YL04", "2025-12-31").scoring_note()
    assert "种子文件" not in note and "--" not in note and "scoring" not in note


def test_the_evaluation_names_catalogues_by_title(district_eval):
    csv = _csv_rows(district_eval)
    titles = {c.title for c in all_catalogues()}
    assert set(csv["指标清单"]) <= titles and len(set(csv["指标清单"])) == 4


def test_the_errors_workbook_gives_a_chinese_category(tmp_path):
    problems = [Problem("unknown_reference", "站点编码「S7」在「社工站」中不存在", where="服务记录", row=2, column="站点编码"),
                Problem("bad_date", "日期无法识别", where="服务记录", row=3, column="服务日期"),
                Problem("bad_enum", "不在可选值中", where="服务记录", row=4, column="领域")]
    ws = load_workbook(write_errors(problems, tmp_path / "错误.xlsx"))["错误清单"]
    assert [c.value for c in ws[1]][-1] == "问题类别"
    assert [r[-1].value for r in ws.iter_rows(min_row=2)] == ["引用的编码不存在", "日期无法识别", "不在可选值中"]


# -- 8. the score sheet --------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", [None, str(EXAMPLE)])
def test_score_sheet(demo_url, tmp_path, scheme):
    rep = assessment.build(demo_url, "P2025-YL03", "2025-12-31", scoring_path=scheme)
    path = tmp_path / "评分表.xlsx"
    rep.write_scoresheet(path)
    wb = load_workbook(path)
    assert wb.properties.title == f"{rep.title}：评分表" and wb.properties.creator == sheets.CREATOR
    ws = wb["评分表"]
    head = [c.value for c in ws[4]]
    ids = [ws.cell(r, head.index("指标编号") + 1).value for r in range(5, 5 + len(rep.summary))]
    evidence = wb["证据明细"]
    assert [c.value for c in evidence[3]][0] == "指标编号"
    assert {r[0].value for r in evidence.iter_rows(min_row=4)} <= set(ids)  # the key both sheets share
    units = list(rep.summary["unit"])
    for r, unit in zip(range(5, 5 + len(units)), units):
        if figures.is_whole(unit):
            assert ws.cell(r, head.index("实际") + 1).number_format == "0"
    total = [c.value for c in ws[5 + len(units)]]
    if scheme is None:  # no points: no 分值, no total of nothing
        assert "分值" not in head and all(v is None for v in total)
    else:
        assert "分值" in head and any(isinstance(v, str) and v.startswith("合计") for v in total)


# -- 9. the index ------------------------------------------------------------------------------------------

def test_index_shows_each_station_at_a_glance(demo_url, tmp_path):
    out = tmp_path / "out"
    todo = jobs.station_jobs(demo_url, ["YL04"], AS_OF.isoformat()) + jobs.assessment_jobs(demo_url, ["P2025-YL04"])
    results = []
    for job in todo:  # what a report's executed notebook records: its headline cards
        result = __import__("sgzlib.reports.batch", fromlist=["ReportResult"]).ReportResult(job)
        for fmt in ("ipynb", "html"):
            p = job.path(out, f".{fmt}")
            p.parent.mkdir(parents=True, exist_ok=True)
            cards = {"落后": 16, "未达标": 0} if job.kind == "station" else {"达标": 8, "未达标": 18, "待核验": 11}
            nb = {"cells": [{"outputs": [{"metadata": {"sgz_kpis": cards}}]}]}
            p.write_text(json.dumps(nb, ensure_ascii=False) if fmt == "ipynb" else "x", encoding="utf-8")
            result.files[fmt] = p
        results.append(result)
    page = index.record(out, index.entries_for(results, out, demo_url)).read_text(encoding="utf-8")
    glance = page.split("<h2>各站一览</h2>", 1)[1].split("<h2", 1)[0]
    assert "落后 16" in glance and "未达标 0" in glance and "达标 8" in glance and "待核验 11" in glance
    assert index.KIND_PURPOSE["station"] in page and index.KIND_PURPOSE["assessment"] in page
    assert index.DASHBOARD_URL in page
    # the ipynb files only under the folded "for technical staff" list
    before, _, folded = page.partition("<details>")
    assert ".ipynb" not in before and ".ipynb" in folded and "sgz report" not in page


# -- 10. one date ----------------------------------------------------------------------------------------------

def test_the_demo_tells_one_date_and_the_boards_say_theirs():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo_recipe = make.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    dates = re.findall(r"--as-of (\S+)", demo_recipe)
    assert dates.count("$(DEMO_AS_OF)") == 4 and dates.count("$(DEMO_YEAR_END)") == 1
    assert f"DEMO_AS_OF := {AS_OF.isoformat()}" in make
    assert "sgz dashboard --as-of $(DEMO_AS_OF)" in make.split("\ndashboard:", 1)[1].split("\n\n", 1)[0]
    picker = ui.date_picker("截至日期", AS_OF)
    head = ui.dated_header("项目进度看板", "", picker)
    date = head.children[1]
    assert "数据截至 2025-10-31" in date.value
    picker.value = pd.Timestamp("2025-12-31").date()
    assert "数据截至 2025-12-31" in date.value


# -- 11. digests ---------------------------------------------------------------------------------------------------

def test_supervisors_cover_the_stations_the_ledger_names(demo_ds):
    cover = supervisor_stations(demo_ds, AS_OF)
    mine = cover.groupby("supervisor")["station_code"].apply(list).to_dict()
    assert mine == {"王督导": ["YL01", "YL02", "YL03", "YL04"], "李督导": ["YL05", "YL06", "YL07"]}
    unnamed = demo_ds.subset(list(demo_ds.stations["code"]))
    unnamed.stations["supervisors"] = None
    inferred = supervisor_stations(unnamed, AS_OF)
    assert set(inferred["source"]) == {INFERRED} and len(inferred) == 14  # both led sessions everywhere


def test_two_supervisors_two_different_digests_without_cut_text(demo_url):
    pages = {}
    for name in ("王督导", "李督导"):
        d = digest.build(demo_url, None, AS_OF, supervisor=name)
        pages[name] = d
        assert "按「社工站」表填写的督导者" in d.subtitle and "…" not in d.html()
    assert [p.code for p in pages["王督导"].pages] == ["YL01", "YL02", "YL03", "YL04"]
    assert [p.code for p in pages["李督导"].pages] == ["YL05", "YL06", "YL07"]


# -- 13. the workbench speaks Chinese --------------------------------------------------------------------------------

def test_jupyterlab_is_set_to_chinese_without_news_and_logs_to_a_file(tmp_path):
    import jupyterlab_language_pack_zh_CN  # noqa: F401  (installed with sgz)

    settings = json.loads((lab.LAB_SETTINGS_DIR / "overrides.json").read_text(encoding="utf-8"))
    assert settings["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    argv = lab.lab_argv(8888, tmp_path, "t")
    assert f"--LabApp.app_settings_dir={lab.LAB_SETTINGS_DIR}" in argv and "--LabApp.log_level=WARN" in argv
    assert lab.default_log_path().name == lab.LOG_NAME


def test_api_frames_carry_chinese_labels():
    wb = sgz.demo_workbench()
    y = wb.station("YL01")
    frames = [y.evaluate(), wb.explain("P2025-YL01", "ZL-JS-02"), y.caseload(), y.cases_needing_attention(),
              y.groups_at_risk(), y.action_items(), y.outcome_pairs(), wb.outcome_summary(), wb.stations(),
              y.table("cases"), wb.stage_durations(), y.group_dropoff()]
    for frame in frames:
        labels = frame.attrs["sgz_labels"]
        assert set(labels) == set(frame.columns), set(frame.columns) - set(labels)
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels.values())
    res = y.evaluate()
    behind = res[res["status"] == "达标"]  # filtering keeps them
    assert behind.attrs["sgz_labels"]["status"] == "状态"
    page = labelled_html(res.head(2))
    assert '<th title="status">状态</th>' in page and '<th title="expected">截至评估日应达</th>' in page
    assert res["expected"].map(float.is_integer)[res["unit"].map(figures.is_whole)].all()


# -- 8. the score sheet printed ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_score_sheet_prints_legibly(demo_url, tmp_path, libreoffice, pdftotext):
    rep = assessment.build(demo_url, "P2025-YL03", "2025-12-31", scoring_path=str(EXAMPLE))
    book = tmp_path / "评分表.xlsx"
    rep.write_scoresheet(book)
    subprocess.run([libreoffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)], check=True, capture_output=True,
                   timeout=240)
    pdf = tmp_path / "评分表.pdf"
    small = []
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            small += [(number, c["text"], round(c["size"], 1)) for c in page.chars
                      if c["text"].strip() and c["size"] < 8.95 and abs(c["matrix"][1]) < 1e-3]
    assert not small, sorted({(n, s) for n, _, s in small})  # every sheet, 前后测 too, at 9 pt or larger
    text = re.sub(r"\s+", "", subprocess.run([pdftotext, "-raw", str(pdf), "-"], capture_output=True,
                                             text=True).stdout)
    # every indicator's full name prints whole: it wraps in its cell (the lines of the next cells may come in
    # between in the text), it is not cut at the cell's edge
    cut = [name for name in rep.summary["indicator_name"] if not _printed(re.sub(r"\s+", "", name), text)]
    assert not cut, cut


def _printed(name: str, text: str) -> bool:
    """``name``'s characters in order in ``text``, within four times its length (wrapped lines of a cell)."""
    for start in (m.start() for m in re.finditer(re.escape(name[0]), text)):
        at = start
        for ch in name[1:]:
            at = text.find(ch, at + 1)
            if at < 0 or at - start > 4 * len(name):
                break
        else:
            return True
    return False


def test_chart_labels_come_from_the_catalogues(district_eval):
    rows = district_eval.summary[district_eval.summary["station_code"] == "YL01"].head(3)
    assert list(indicator_labels(rows)) == ["ZL-JS-01 阵地标识与着装", "ZL-JS-02 办公场所", "ZL-JS-03 办公设备"]
