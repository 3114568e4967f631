"""Chart figures: the numbers drawn are the numbers given, the words are Chinese."""

from __future__ import annotations

import pandas as pd
import pytest

from sgzlib.charts import plots as charts


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "station_name": ["甲站", "甲站", "乙站", "乙站"],
        "indicator_name": ["个案数", "小组数", "个案数", "小组数"],
        "period": "全期", "status": ["达标", "落后", "未达标", "进度正常"],
        "actual": [12.0, 3.0, 4.0, 6.0], "target": [12.0, 9.0, 12.0, 9.0], "expected": [10.0, 6.0, 12.0, 6.0],
        "unit": "个", "domain": ["社会救助", "养老服务", "社会救助", "养老服务"]})


def test_status_heatmap_cells():
    fig = charts.status_heatmap(_results())
    heat = fig.data[0]
    code = {s: i for i, s in enumerate(charts.HEAT_ORDER)}
    # Rows 甲站, 乙站; columns 个案数, 小组数, as they first appear.
    assert list(heat.y) == ["甲站", "乙站"] and list(heat.x) == ["个案数", "小组数"]
    assert heat.z.tolist() == [[code["达标"], code["落后"]], [code["未达标"], code["进度正常"]]]
    # a legend entry per status drawn, in HEAT_ORDER (worst first)
    assert [t.name for t in fig.data[1:]] == ["未达标", "落后", "进度正常", "达标"]
    assert "实际：4个" in heat.text[1][0] and fig.layout.title.text == "各站点指标状态"


def test_progress_bullets_shares():
    fig = charts.progress_bullets(_results()[:2])
    met, behind, expected = fig.data
    # One bar trace per status, named by it (the legend shows the statuses): 个案数 达标 12/12 = 100 %,
    # 小组数 落后 3/9 = 33.3 %; the indicators are reversed so the first is on top.
    assert (met.name, behind.name, expected.name) == ("达标", "落后", "截至日期应达")
    assert list(met.y) == ["个案数"] and met.x == pytest.approx([100.0])
    assert list(behind.y) == ["小组数"] and behind.x == pytest.approx([100 * 3 / 9])
    assert met.marker.color == charts.STATUS_COLORS["达标"] and behind.marker.color == charts.STATUS_COLORS["落后"]
    assert list(fig.layout.yaxis.categoryarray) == ["小组数", "个案数"]
    assert expected.x == pytest.approx([100 * 6 / 9, 100 * 10 / 12])
    assert fig.layout.shapes[0].x0 == 100  # the target line


def test_monthly_series_target_line():
    fig = charts.monthly_series(pd.Series([2, 0, 3], index=["2025-01", "2025-02", "2025-03"]), target=2)
    bars, target = fig.data
    assert list(bars.y) == [2, 0, 3] and list(target.y) == [2, 2, 2] and target.name == "目标"


def test_prepost_dumbbell_means():
    pairs = pd.DataFrame({"scale": ["SDQ", "SDQ", "UCLA-3"], "pre": [20.0, 24.0, 50.0], "post": [16.0, 22.0, 44.0]})
    fig = charts.prepost_dumbbell(pairs, lower_better={"SDQ"})
    by_name = {t.name: t for t in fig.data if t.name}
    pre, post = by_name["前测"], by_name["后测"]
    # SDQ: (20 + 24) / 2 = 22 → (16 + 22) / 2 = 19; UCLA-3: 50 → 44.
    assert list(pre.y) == ["SDQ（n=2，越低越好）", "UCLA-3（n=1，越高越好）"]
    assert list(pre.x) == [22.0, 50.0] and list(post.x) == [19.0, 44.0]
    # SDQ fell and lower is better: the better way (green); UCLA-3 fell but was declared higher-is-better: red
    lines = [t for t in fig.data if t.mode == "lines" and t.showlegend is False]
    assert [t.line.color for t in lines] == ["#81c784", "#e57373"]
    assert {"向好的方向变化", "向差的方向变化"} <= set(by_name)


def test_ranking_and_scores():
    shares = pd.DataFrame({"达标": [0.5, 0.25], "落后": [0.5, 0.75]}, index=["甲站", "乙站"])
    fig = charts.ranking_bars(shares)
    assert [t.name for t in fig.data] == ["达标", "落后"] and list(fig.data[0].x) == [50.0, 25.0]
    scores = charts.score_bars(_results().assign(points=[10.0, 5.0, 10.0, 5.0], score=[10.0, 2.0, 3.0, 5.0]))
    # 社会救助: points 10 + 10 = 20, score 10 + 3 = 13; 养老服务: 5 + 5 = 10, 2 + 5 = 7.
    assert list(scores.data[0].y) == [20.0, 10.0] and list(scores.data[1].y) == [13.0, 7.0]


def test_status_heatmap_keeps_indicators_whose_short_labels_coincide_apart():
    """Two names alike in their first 11 characters: two columns, each its own status, labels told apart."""
    a, b = "为社会救助对象提供服务：个案服务不少于12个", "为社会救助对象提供服务：小组服务不少于9个"
    rows = pd.DataFrame({"station_name": ["甲站", "甲站"], "indicator_name": [a, b], "period": "全期",
                         "status": ["达标", "落后"], "actual": [12.0, 3.0], "target": [12.0, 9.0],
                         "expected": [10.0, 6.0], "unit": "个"})
    fig = charts.status_heatmap(rows)
    heat, code = fig.data[0], {s: i for i, s in enumerate(charts.HEAT_ORDER)}
    assert list(heat.x) == [a, b] and heat.z.tolist() == [[code["达标"], code["落后"]]]
    # the first 4 characters, …, then what follows the common beginning 为社会救助对象提供服务： (10 characters ≤ 12 - 2)
    assert list(fig.layout.xaxis.ticktext) == ["为社会救…个案服务不少于12个", "为社会救…小组服务不少于9个"]
    assert list(fig.layout.xaxis.tickvals) == [a, b]


def test_short_labels_that_coincide_show_what_tells_them_apart():
    names = ["甲类对象提供服务：服务对象全部入户评估", "乙类对象提供服务：服务对象全部入户评估", "甲类对象提供服务：服务记录上传"]
    # first and third both cut to 甲类对象提供服务：服务… (11 characters + …); their common beginning is those 11
    # characters, so they show 甲类对象 + … + 对象全部入户评估 / 记录上传; the second stands alone.
    assert charts._distinct_short(names, 12) == ["甲类对象…对象全部入户评估", "乙类对象提供服务：服务…", "甲类对象…记录上传"]
    assert charts._distinct_short(["同名站点", "同名站点"], 16) == ["同名站点…（1）", "同名站点…（2）"]
