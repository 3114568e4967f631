"""Chart figures: the numbers drawn are the numbers given, the words are Chinese."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sgzlib.charts import plots as charts


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "station_name": ["甲站", "甲站", "乙站", "乙站"], "indicator_id": ["A-1", "A-2", "A-1", "A-2"],
        "indicator_name": ["个案数", "小组数", "个案数", "小组数"],
        "period": "全期", "status": ["达标", "落后", "未达标", "进度正常"],
        "actual": [12.0, 3.0, 4.0, 6.0], "target": [12.0, 9.0, 12.0, 9.0], "expected": [10.0, 6.0, 12.0, 6.0],
        "unit": "个", "domain": ["社会救助", "养老服务", "社会救助", "养老服务"]})


def test_indicator_heatmap_cells():
    fig = charts.indicator_heatmap(_results())
    heat, text = fig.data[0], fig.data[1]
    code = {s: i for i, s in enumerate(charts.HEAT_ORDER)}
    # One row per indicator (number and short name), one column per station, as they first appear.
    assert list(heat.y) == ["A-1 个案数", "A-2 小组数"] and list(heat.x) == ["甲站", "乙站"]
    assert heat.z.tolist() == [[code["达标"], code["未达标"]], [code["落后"], code["进度正常"]]]
    # the figures in the cells (实际/目标), light text on the dark cells
    assert list(text.text) == ["12/12", "3/9", "4/12", "6/9"]
    assert list(text.textfont.color) == ["#ffffff", "#212121", "#ffffff", "#212121"]
    # a legend entry per status drawn, in HEAT_ORDER (worst first); no 不适用 entry when every cell has a status
    assert [t.name for t in fig.data[2:]] == ["未达标", "落后", "进度正常", "达标"]
    assert "实际：4个" in heat.text[0][1] and fig.layout.title.text == "各站点指标状态"


def test_indicator_heatmap_marks_a_station_without_the_indicator():
    rows = _results().iloc[:3]  # 乙站 has no A-2
    fig = charts.indicator_heatmap(rows)
    assert np.isnan(np.asarray(fig.data[0].z, dtype=float)[1][1])
    assert charts.NOT_APPLICABLE in list(fig.data[1].text)
    assert fig.data[-1].name.startswith(charts.NOT_APPLICABLE) and fig.data[-1].marker.color == "#ffffff"


def test_progress_bullets_shares():
    fig = charts.progress_bullets(_results()[:2])
    met, behind, expected = fig.data
    # One bar trace per status, named by it (the legend shows the statuses): 个案数 达标 12/12 = 100 %,
    # 小组数 落后 3/9 = 33.3 %; the indicators are reversed so the first is on top.
    assert (met.name, behind.name, expected.name) == ("达标", "落后", "截至日期应达")
    assert list(met.y) == ["A-1 个案数"] and met.x == pytest.approx([100.0])
    assert list(behind.y) == ["A-2 小组数"] and behind.x == pytest.approx([100 * 3 / 9])
    assert list(behind.text) == ["33%"]  # a share of the target, rounded down
    assert met.marker.color == charts.STATUS_COLORS["达标"] and behind.marker.color == charts.STATUS_COLORS["落后"]
    assert list(fig.layout.yaxis.categoryarray) == ["A-2 小组数", "A-1 个案数"]
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
