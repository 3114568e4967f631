"""What reports and score sheets show, read as their users read them (issue 13): no empty charts, cards that
add up, scores only under a declared scheme, stated and consistent rules, one default date, printable sheets."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sgzlib import cli
from sgzlib.charts import plots as charts
from sgzlib.dashboards import data as dash_data
from sgzlib.domain import asof
from sgzlib.errors import DefinitionError
from sgzlib.indicators import scoring
from sgzlib.reports import assessment, district, jobs, station
from sgzlib.reports.display import table_html
from sgzlib.store import storage

EXAMPLE = scoring.Path(scoring.__file__).parents[1] / "data" / "scoring-example.yaml"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('look') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


# Built once per module: several tests read the same report (same database, target and date). The reports
# are read-only views (their methods build new frames), so sharing them checks the same as building each time.
@pytest.fixture(scope="module")
def yl01_station(demo_url):
    return station.build(demo_url, "YL01", "2025-10-31")


@pytest.fixture(scope="module")
def yunling_district(demo_url):
    return district.build(demo_url, "云岭区", "2025-10-31")


@pytest.fixture(scope="module")
def scored_assessment(demo_url):
    return assessment.build(demo_url, "P2025-YL03", "2025-12-31", scoring_path=str(EXAMPLE))


# -- scoring: only under a declared scheme -----------------------------------------------------------

SCHEME = """\
title: 测试评分细则
catalogue: jiuyuan-2024
to_verify: {to_verify}
indicators:
  - {{id: JY-M01-SA, points: 5, credit: all_or_nothing}}
  - {{id: JY-M02-SA, points: 10, credit: proportional}}
  - {{id: JY-M03-SA, points: 4, credit: steps, steps: [{{at: 1.0, credit: 1.0}}, {{at: 0.75, credit: 0.5}}]}}
  - {{id: JY-M04-SA, points: 6, credit: all_or_nothing}}
  - {{id: JY-M05, points: 2, credit: all_or_nothing}}
"""
SUMMARY = pd.DataFrame({
    "project_code": "P1", "catalogue": "jiuyuan-2024", "period": "全期",
    "indicator_id": ["JY-M01-SA", "JY-M02-SA", "JY-M03-SA", "JY-M04-SA", "JY-M05", "JY-M06"],
    "status": ["达标", "未达标", "未达标", "待核验", "未达标", "未达标"],
    "actual": [100.0, 3.0, 8.0, 1.0, 1.0, 0.0], "target": [100.0, 4.0, 10.0, 3.0, 2.0, 5.0]})


@pytest.mark.parametrize("to_verify, total, maximum", [
    # M01 met 5; M02 10 × 3/4 = 7.5; M03 8/10 = 0.8 ≥ 0.75 → 4 × 0.5 = 2; M05 all-or-nothing unmet 0;
    # M06 is not in the scheme (not scored, not in the maximum). M04 待核验 (1 of 3 ticked):
    ("zero", 5 + 7.5 + 2 + 0 + 0, 5 + 10 + 4 + 6 + 2),          # 0 of 6
    ("proportional", 5 + 7.5 + 2 + 2 + 0, 5 + 10 + 4 + 6 + 2),  # 6 × 1/3 = 2
    ("exclude", 5 + 7.5 + 2 + 0, 5 + 10 + 4 + 2),               # M04 out of total and maximum
])
def test_score_total_is_the_sum_under_the_stated_rule(to_verify, total, maximum):
    scheme = scoring.parse_scheme(SCHEME.format(to_verify=to_verify), "t.yaml")
    scores = scheme.score(SUMMARY)
    assert "JY-M06" not in set(scores["indicator_id"])
    assert scheme.total(scores) == pytest.approx((total, maximum))
    assert scores["score"].sum() == pytest.approx(total)
    assert scoring.TO_VERIFY[to_verify] in scheme.describe() and "测试评分细则" in scheme.describe()


def test_a_wrong_scheme_lists_every_problem():
    text = textwrap.dedent("""\
        title: 坏细则
        catalogue: jiuyuan-2024
        to_verify: maybe
        colour: red
        indicators:
          - {id: JY-M01-SA, points: -1}
          - {id: NO-SUCH, points: 3}
          - {id: JY-M02-SA, points: 3, credit: generous}
          - {id: JY-M03-SA, points: 3, credit: steps}
          - {id: JY-M04-SA, points: 3, steps: [{at: 1, credit: 1}]}
          - {id: JY-M01-SA, points: 2}
          - {id: JY-M05, points: 2, credit: steps, steps: [{at: 2, credit: 1}]}
        """)
    with pytest.raises(DefinitionError) as err:
        scoring.parse_scheme(text, "bad.yaml")
    found = {(p.where, p.column, p.code) for p in err.value.problems}
    assert found == {
        ("bad.yaml", "to_verify", "bad_to_verify"),
        ("bad.yaml", "colour", "unknown_field"),
        ("bad.yaml 指标 JY-M01-SA", "points", "bad_points"),
        ("bad.yaml 指标 NO-SUCH", "id", "unknown_indicator"),
        ("bad.yaml 指标 JY-M02-SA", "credit", "bad_credit"),
        ("bad.yaml 指标 JY-M03-SA", "steps", "missing_steps"),
        ("bad.yaml 指标 JY-M04-SA", "steps", "steps_without_steps_credit"),
        ("bad.yaml 指标 JY-M01-SA", "id", "duplicate_indicator"),
        ("bad.yaml 指标 JY-M05", "steps", "bad_step"),
    }
    assert "评分细则 bad.yaml 有误（共 9 处）" in str(err.value)


def test_shipped_example_says_it_is_an_example():
    scheme = scoring.load_scheme(EXAMPLE)
    assert "示例" in scheme.title and scheme.catalogue == "jiuyuan-2024"


def test_assessment_without_scheme_has_no_total_and_cards_add_up(demo_url):
    rep = assessment.build(demo_url, "P2025-YL03", "2025-12-31")
    cards = dict((label, value) for label, value, _ in rep.headline())
    s = rep.summary
    # 指标数 = 达标 + 未达标 + 待核验 (+ 进行中): every indicator in exactly one card
    parts = [cards[k] for k in ("达标", "未达标", "待核验")] + [cards.get("进行中（周期未结束）", 0)]
    assert cards["指标数"] == len(s) == sum(parts)
    assert cards["达标"] == int((s["status"] == "达标").sum())
    assert not any("得分" in k for k in cards) and rep.total() is None
    assert "不计算总分" in rep.scoring_note()
    assert "分值" not in rep.score_table() and "得分" not in rep.score_table()
    domains = rep.domain_table()
    assert domains["指标数"].sum() == len(s)
    assert (domains[["达标", "未达标", "待核验", "进行中"]].sum(axis=1) == domains["指标数"]).all()


def test_assessment_with_scheme_prints_rule_next_to_total(scored_assessment):
    rep = scored_assessment
    table = rep.score_table()
    label, value, _ = rep.headline()[0]
    score, maximum = rep.total()
    # the card is the sum of the per-indicator scores under the scheme, out of the sum of their points
    assert label == "得分（按评分细则）" and value == f"{round(score, 1):g} / {round(maximum, 1):g}"
    assert table["得分"].sum() == pytest.approx(score, abs=0.01) and table["分值"].sum() == maximum
    assert rep.scoring_note().startswith("按《示例评分细则")
    # an unmet checklist item still 待核验 at year end gets 0 under the example (to_verify: zero), never a share
    pending = table[table["状态"] == "待核验"]
    assert len(pending) and (pending["得分"] == 0).all() and (pending["计分规则"] == "待核验计 0 分").all()


def test_evaluate_cli_scores_only_with_scoring(capsys, demo_url):
    code = cli.main(["evaluate", "--db", demo_url, "--as-of", "2025-12-31", "--project", "P2025-YL03"])
    out = capsys.readouterr().out
    assert code == 0 and "得分" not in out
    code = cli.main(["evaluate", "--db", demo_url, "--as-of", "2025-12-31", "--project", "P2025-YL03",
                     "--scoring", str(EXAMPLE), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    rows = pd.DataFrame(payload["results"])
    whole = rows[rows["period"] == "全期"]
    assert code == 0 and payload["scoring"]["rule"].startswith("按《示例评分细则")
    assert whole["score"].notna().all() and rows.loc[rows["period"] != "全期", "score"].isna().all()


def test_evaluate_cli_refuses_a_wrong_scheme(capsys, demo_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\ncatalogue: jiuyuan-2024\nindicators:\n  - {id: NOPE, points: 0}\n", encoding="utf-8")
    code = cli.main(["evaluate", "--db", demo_url, "--scoring", str(bad)])
    err = capsys.readouterr().err
    assert code != 0 and "NOPE" in err and "分值必须是大于 0 的数" in err


# -- station report -----------------------------------------------------------------------------------

def test_per_period_heatmap_has_a_cell_per_period_row(yl01_station):
    rep = yl01_station
    rows = rep.results[rep.results["period_kind"] == "month"]
    fig = rep.period_figure()
    z = np.asarray(fig.data[0].z, dtype=float)
    # one coloured cell per (indicator, month) row; on main the 全期 filter left z empty
    assert len(rows) > 0 and int(np.isfinite(z).sum()) == len(rows)
    assert z.shape == (rows["indicator_name"].nunique(), rows["period"].nunique())


def test_station_report_names_the_catalogue_by_title_and_splits_long_progress(yl01_station):
    rep = yl01_station
    assert "扎赉诺尔区" in rep.subtitle and "zhalainuoer-2026" not in rep.subtitle
    figs = rep.progress_figures()
    n = int(((rep.results["period"] == "全期") & (rep.results["target"].fillna(0) > 0)).sum())
    bars = [sum(len(t.y) for t in f.data if t.type == "bar") for f in figs]
    # 60-indicator catalogue: parts of at most 30 bars (each fits an A4 page), together every indicator once
    assert sum(bars) == n and max(bars) <= station.PROGRESS_ROWS and len(figs) == -(-n // station.PROGRESS_ROWS)


def test_progress_chart_labels_zero_and_notes_the_cut():
    rows = pd.DataFrame({"indicator_id": ["X-1", "X-2", "X-3"], "indicator_name": ["甲", "乙", "丙"], "period": "全期",
                         "status": ["未开始", "达标", "达标"],
                         "actual": [0.0, 30.0, 10.0], "target": [10.0, 10.0, 10.0], "expected": [5.0, 5.0, 5.0],
                         "unit": "个"})
    fig = charts.progress_bullets(rows)
    text = {y: t for tr in fig.data if tr.type == "bar" for y, t in zip(tr.y, tr.text)}
    # 0/10 = 0 % labelled (and drawn as a stub of its colour); 30/10 = 300 % drawn at 150 %, labelled with the
    # real share; each named by its number and (derived) short name
    assert text == {"X-1 甲": "0%", "X-2 乙": "300%↑", "X-3 丙": "100%"}
    bar = next(tr for tr in fig.data if tr.name == "达标")
    assert max(bar.x) == charts.PROGRESS_CAP and "截断在 150%" in fig.layout.xaxis.title.text
    assert [tr.name for tr in fig.data if tr.type == "bar"] == ["达标", "未开始"]


def test_table_text_left_numbers_right():
    html = table_html(pd.DataFrame({"指标": ["个案", "小组"], "实际": [3, 4.5], "单位": ["个", "个"]}))
    assert '<th>指标</th><th class="sgz-num">实际</th><th>单位</th>' in html
    assert '<td>个案</td><td class="sgz-num">3</td><td>个</td>' in html


# -- district overview ----------------------------------------------------------------------------------

def test_visit_order_follows_the_stated_rule(yunling_district):
    rep = yunling_district
    visits = rep.visits()
    share = visits["达标及进度正常占比"].str.rstrip("%").astype(float)
    # shares rise down the list (the ranking read backwards), and 优先 exactly below the stated threshold
    assert share.is_monotonic_increasing
    assert ((share < 100 * district.VISIT_BELOW) == (visits["建议"] == "优先督导走访")).all()
    ranking = rep.ranking()
    assert list(visits["站点"]) == list(ranking["站点"])[::-1] or \
        list(visits["站点"])[0] == list(ranking["站点"])[-1]
    assert visits["站点"].iloc[0] == "北岭街道社会工作服务站"
    assert f"{district.VISIT_BELOW:.0%}" in district.VISIT_RULE and "占比" in district.RANKING_RULE


def test_district_heatmaps_are_readable_on_a4(yunling_district):
    rep = yunling_district
    maps = rep.heatmaps()
    cells = 0
    for title, fig in maps:
        heat = fig.data[0]
        assert len(heat.y) <= district.HEATMAP_ROWS  # one indicator per row, at most a page of them
        assert "-20" not in title  # catalogue titles, not ids such as jiuyuan-2024
        assert fig.layout.yaxis.tickfont.size >= charts.MIN_FONT_PX
        cells += int(np.isfinite(np.asarray(heat.z, dtype=float)).sum())
    # every station × indicator result is drawn exactly once across the split heatmaps
    assert cells == len(rep.summary)


@pytest.mark.parametrize("fig, room", [
    (charts.ranking_bars(pd.DataFrame({"达标": [0.5], "落后": [0.5]}, index=["甲站"])), 60),
    (charts.trend_lines(pd.DataFrame({"m": ["2025-01", "2025-02"], "v": [1, 2], "s": "甲站"}), "m", "v", "s", "t", "y"),
     100),  # angled month labels take about 45 px more
    (charts.monthly_series(pd.Series([1, 2], index=["2025-01", "2025-02"]), target=2), 100),
])
def test_legends_clear_the_axis_title(fig, room):
    # the legend's top sits below the plot area by at least the x-axis labels and title
    assert fig.layout.legend.yanchor == "top" and -fig.layout.legend.y * fig.layout.height >= room


# -- one default date ---------------------------------------------------------------------------------------

def test_default_as_of_is_the_latest_data_date_of_the_running_period(demo_ds, demo_url, monkeypatch):
    services = demo_ds.services["date"]
    # after the demo year: the 2025 period is the latest; its last recorded day (services run to the end)
    last = max(services.max(), demo_ds.measurements["date"].max()).date()
    assert asof.default_as_of(demo_ds, dt.date(2026, 12, 1)) == last
    # mid-year: the last recorded day on or before today
    mid = dt.date(2025, 6, 15)
    expected = max(d for d in pd.concat([services, demo_ds.case_sessions["date"]]).dt.date if d <= mid)
    assert asof.default_as_of(demo_ds, mid) == expected
    # the same default in reports and dashboards
    monkeypatch.delenv("SGZ_DASHBOARD_AS_OF", raising=False)
    today = asof.default_as_of(demo_ds)
    assert dash_data.Source("sqlite://", dataset=demo_ds).as_of == today
    assert jobs.station_jobs(demo_url, ["YL01"])[0].parameters["as_of"] == today.isoformat()
    assert jobs.district_jobs(demo_url, ["云岭区"])[0].parameters["as_of"] == today.isoformat()


# -- score sheet ---------------------------------------------------------------------------------------------

def test_scoresheet_prints_and_filters(scored_assessment, tmp_path):
    rep = scored_assessment
    path = tmp_path / "s.xlsx"
    rep.write_scoresheet(path)
    wb = load_workbook(path)
    ws = wb["评分表"]
    header = [c.value for c in ws[4]]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert ws.auto_filter.ref.startswith("A4:") and ws.freeze_panes == ws.cell(5, col["指标"] + 1).coordinate
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4 in the OOXML paper-size table
    assert ws.print_title_rows == "$4:$4" and ws.sheet_properties.pageSetUpPr.fitToPage
    score = ws.cell(5, col["系统得分"])
    assert isinstance(score.value, float) and score.number_format == "0.00"
    name = ws.cell(4, col["指标"]).column_letter
    assert ws.column_dimensions[name].width >= 20 and ws.column_dimensions["A"].width < 10
    assert "按《示例评分细则" in ws["A3"].value
    outcomes = wb["前后测"]
    head = [c.value for c in outcomes[3]]
    p = outcomes.cell(4, head.index("t 检验 p") + 1)
    assert isinstance(p.value, float) and p.number_format == "0.000"
    assert outcomes.auto_filter.ref.startswith("A3:") and outcomes.print_title_rows == "$3:$3"


def test_station_and_district_cards_add_up(yl01_station, yunling_district):
    rep = yl01_station
    cards = {label: value for label, value, _ in rep.headline()}
    statuses = ("达标", "进度正常", "落后", "未达标", "待核验", "未开始")
    assert cards["指标总数"] == sum(cards[s] for s in statuses)
    overview = yunling_district
    cards = {label: value for label, value, _ in overview.headline()}
    assert cards["指标结果数（站 × 指标）"] == cards["达标及进度正常"] + cards["落后或未达标"] + cards["待核验或未开始"]
