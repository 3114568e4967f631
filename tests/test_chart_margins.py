"""The margins the charts reserve for their axes' labels (``charts.reserve_margins``).

Plotly's ``automargin`` is the judge: every chart the three dashboards draw on the demo district (each
board's default, then every option of its main filters) is drawn in Chromium with the margin it
carries, and again with the base margin of 10 px, where plotly finds the room its labels need. A
reserve that is short makes plotly widen the margin and draw the whole figure a second time (the
cost the reserve is there to save); one far too wide wastes the chart's width.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from figure_json import decoded
from test_chart_js import chart_page

from sgzlib.charts import plots as charts
from sgzlib.dashboards import cases, data, outcomes, progress
from sgzlib.dashboards.chart import Chart

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_text_px_counts_chinese_as_one_em_and_latin_as_at_most_0_62():
    # 4 CJK characters at 12 px: 4 × 12; "a1" is two narrow characters: 2 × 0.62 × 12
    assert charts.text_px("阵地建设") == 48
    assert charts.text_px("a1") == pytest.approx(14.88)
    assert charts.text_px("服务…", size=10) == 30  # … is ambiguous-width: one em


def _charts(widget):
    if isinstance(widget, Chart):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _charts(child)


def _control(widget, name):
    if f"sgz-filter-{name}" in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = _control(child, name)
        if found is not None:
            return found
    return None


def _keep(specs: dict, board, view: str) -> None:
    for k, chart in enumerate(_charts(board)):
        if chart.spec:
            specs.setdefault(json.dumps(chart.spec, sort_keys=True), (f"{view}:{k}", chart.spec))


def board_figures(ds) -> dict[str, dict]:
    """Every distinct chart the boards draw: the default view, then each option of the main filters."""
    specs: dict[str, tuple[str, dict]] = {}
    for module, filters in [(progress, ["catalogue", "station", "indicator"]), (cases, ["station"]),
                            (outcomes, ["scale", "station"])]:
        board = module.build(data.Source("sqlite://", ds))
        board_name = module.__name__.rsplit(".", 1)[-1]
        _keep(specs, board, f"{board_name}:默认")
        for name in filters:
            control = _control(board, name)
            for label, value in list(control.options):
                control.value = value
                _keep(specs, board, f"{board_name}:{name}={label}")
    return dict(specs.values())


def reserved_sides(spec: dict) -> list[str]:
    """The margins (``l``, ``b``) ``reserve_margins`` sets for this figure: wider than a 10 px base."""
    fig = go.Figure(decoded({"data": spec["data"], "layout": spec["layout"]}))
    fig.layout.margin.l = fig.layout.margin.b = 10
    charts.reserve_margins(fig)
    return [side for side in ("l", "b") if fig.layout.margin[side] > 10]


def test_every_dashboard_chart_reserves_the_margins_plotly_needs(chromium, demo_ds):
    figures = board_figures(demo_ds)
    assert len(figures) >= 20  # 7 stations' bullets and series, catalogues' heatmaps, cases, outcomes
    sides = {name: reserved_sides(spec) for name, spec in figures.items()}
    # Every chart has its left margin reserved; the bottom one where no legend is drawn under the plot and
    # the x labels are foreseeable (the pipeline, the score distribution, a catalogue's heatmap).
    assert all("l" in s for s in sides.values()), sides
    assert sum("b" in s for s in sides.values()) >= 5, sides
    measure = """async ([spec, side]) => { const div = document.getElementById('el'); const out = [];
      for (const base of [null, 10]) {
        const layout = JSON.parse(JSON.stringify(spec.layout));
        if (base !== null) layout.margin = Object.assign({}, layout.margin, { [side]: base });
        await Plotly.newPlot(div, spec.data, layout);
        out.push([layout.margin[side], div._fullLayout._size[side]]);
        Plotly.purge(div);
      }
      return out; }"""
    short, wide = [], []
    with chart_page(chromium, 1360, 1600) as page:
        page.evaluate("document.getElementById('el').style.width = '1290px'")  # a panel of the 1360 px page
        for name, spec in figures.items():
            for side in sides[name]:
                (reserved, drawn), (_, needed) = page.evaluate(measure, [spec, side])
                if drawn != reserved:
                    short.append((name, side, reserved, needed))
                if reserved - needed > 24:
                    wide.append((name, side, reserved, needed))
    assert short == [], short  # plotly kept every reserved margin: no figure drawn twice for it
    assert wide == [], wide
