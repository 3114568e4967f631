"""Plotly figures for reports and dashboards, with Chinese titles, axes and legends.

Each function takes plain DataFrames (indicator results, outcome pairs, monthly
counts) and returns a ``plotly.graph_objects.Figure``; nothing here reads the
database or displays anything.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..domain import figures
from ..domain.labels import (
    BEHIND,
    IN_PROGRESS,
    MET,
    MISSED,
    NOT_STARTED,
    ON_TRACK,
    PERIOD_WHOLE,
    STATUS_ORDER,
    TO_VERIFY,
)
from ..domain.scope import short_station_names
from ..indicators import indicator_labels

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
STATUS_COLORS = {
    MET: "#2e7d32",
    ON_TRACK: "#81c784",
    NOT_STARTED: "#bdbdbd",
    TO_VERIFY: "#ffd54f",
    BEHIND: "#fb8c00",
    MISSED: "#c62828",
}
# Heatmap rows: worst to best, so the colour scale reads from red to green.
HEAT_ORDER = STATUS_ORDER
# Smallest font of any chart text, in CSS px: charts are laid out at the printable A4 width
# (``reports.pdf.PRINT_WIDTH_PX``), so 12 px prints at 9 pt.
MIN_FONT_PX = 12


def _layout(fig: go.Figure, title: str, height: int | None = None, **kw) -> go.Figure:
    legend = {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "font": {"size": MIN_FONT_PX}}
    legend.update(kw.pop("legend", {}))
    kw.setdefault("margin", {"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
                      template="plotly_white", font={"family": FONT, "size": MIN_FONT_PX},
                      height=height, legend=legend, **kw)
    fig.update_xaxes(tickfont={"size": MIN_FONT_PX}, title_font={"size": MIN_FONT_PX}, automargin=True)
    fig.update_yaxes(tickfont={"size": MIN_FONT_PX}, title_font={"size": MIN_FONT_PX}, automargin=True)
    return reserve_margins(fig)


def text_px(text: str, size: float = MIN_FONT_PX) -> float:
    """About how wide ``text`` is drawn at ``size`` px in the charts' font, erring wide.

    Chinese and other full-width characters (and the ambiguous ones: …, ×, ①) take one em; Latin
    letters, digits and punctuation at most 0.62 em in Noto Sans CJK SC.
    """
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.62 for c in str(text))


# The room plotly asks for, measured with 12 px labels in Chromium. Left: the widest label, the y axis
# title's room (kept even for an empty title) and 10 px (18 Chinese characters, 216 px, and an empty
# title: 250 px, whatever margin below that was given). Bottom: the labels' height (a line, 16 px; at
# -45° the rotated box, (width + 17) × 0.707 + 1; at -90° the width + 3), the title's room and 10 px.
# The estimate keeps a few px of slack.
TITLE_ROOM_PX = 24
AXIS_ROOM_PX = 10
LINE_PX = 16
SLACK_PX = 4


def _tick_labels(fig: go.Figure, axis_name: str) -> list[str] | None:
    """The tick labels an axis (``yaxis``, ``xaxis2``) will show, or None where plotly's own choice cannot be foreseen."""
    axis = fig.layout[axis_name]
    letter, ref = axis_name[0], axis_name[0] + axis_name[5:]
    if axis.ticktext is not None:
        return [str(t) for t in axis.ticktext]
    if axis.type == "date":
        return None
    mine = (None, letter) if ref == letter else (ref,)
    values: list = []
    for trace in fig.data:
        if getattr(trace, f"{letter}axis", None) not in mine:
            continue
        if getattr(trace, letter, None) is not None:
            values += [v for v in np.asarray(trace[letter], dtype=object).ravel() if v is not None and v == v]
        elif trace.type == "box" and (trace.orientation == "h") == (letter == "y") and trace.name:
            values.append(trace.name)  # a box without positions stands at its name
    if not values:
        return None
    if axis.type == "category" or all(isinstance(v, str) for v in values):
        return [str(v) for v in dict.fromkeys(values)]
    numbers = np.asarray([v for v in values if isinstance(v, (int, float, np.number))], dtype=float)
    if axis.type not in (None, "-", "linear") or not len(numbers):
        return None
    ends = [numbers.min(), numbers.max(), 0.0]
    if axis.range is not None:
        ends += [float(r) for r in axis.range if r is not None]
    top = max(abs(e) for e in ends) * 1.06  # autorange pads the data by about 5 %
    # the widest tick label: 0.25, 2.5, then the integer digits of the top tick; plotly writes 25k, 1.5M
    chars = 4 if top < 1 else 3 if top < 5 else 4 if top >= 10_000 else len(f"{top:.0f}")
    return ["-" * bool(min(ends) < 0) + "8" * chars]


def _left_room(fig: go.Figure) -> int | None:
    axis = fig.layout.yaxis
    labels = _tick_labels(fig, "yaxis")
    if not labels or axis.side == "right":
        return None
    room = max(text_px(t, axis.tickfont.size or MIN_FONT_PX) for t in labels) + AXIS_ROOM_PX + SLACK_PX
    return math.ceil(room + (TITLE_ROOM_PX if axis.title.text is not None else 0))


def _legend_below(fig: go.Figure) -> bool:
    """Whether a legend is drawn under the plot (it needs room plotly finds only as it draws it)."""
    layout = fig.layout
    if layout.showlegend is False:
        return False
    shown = sum(1 for t in fig.data if t.showlegend is not False)
    if layout.showlegend is None and shown < 2:
        return False
    legend = layout.legend
    return (legend.y is not None and legend.y < 0) or (legend.orientation == "h" and legend.y is None)


def _bottom_room(fig: go.Figure) -> int | None:
    """Room under the plot for the x axes' labels and title; None with a legend below, or labels unforeseen."""
    if _legend_below(fig):
        return None
    rooms = []
    for name in [k for k in fig.layout if k.startswith("xaxis")] or ["xaxis"]:
        axis = fig.layout[name]
        if axis.side == "top" or axis.visible is False:
            continue
        labels = _tick_labels(fig, name)
        if not labels:
            return None
        widest = max(text_px(t, axis.tickfont.size or MIN_FONT_PX) for t in labels)
        angle = axis.tickangle
        if angle in (None, 0):
            if widest > 60:  # long labels: plotly may turn them on its own
                return None
            height = LINE_PX
        elif angle in (-45, 45):
            height = (widest + 17) * 0.7071 + 1
        elif angle in (-90, 90):
            height = widest + 3
        else:
            return None
        rooms.append(height + AXIS_ROOM_PX + SLACK_PX + (TITLE_ROOM_PX if axis.title.text is not None else 0))
    return math.ceil(max(rooms)) if rooms else None


def reserve_margins(fig: go.Figure) -> go.Figure:
    """Make the left and bottom margins wide enough for the axes' labels and titles before plotly lays the figure out.

    With ``automargin`` plotly draws a figure, finds the labels need more room than the margin gives,
    and draws it all again: half of a chart's drawing time. A margin already wide enough is kept
    (``automargin`` only ever widens it), so the figure is drawn once. Where the labels cannot be
    foreseen (dates, labels plotly may turn itself, a legend under the plot), or the estimate falls
    short, plotly still widens the margin itself.
    """
    margin = fig.layout.margin
    left, bottom = _left_room(fig), _bottom_room(fig)
    if left is not None:
        margin.l = max(margin.l or 0, left)
    if bottom is not None:
        margin.b = max(margin.b or 0, bottom)
    return fig


NOT_APPLICABLE = "不适用"  # a station whose project has no such indicator (an optional task not chosen, another tier)
NOT_APPLICABLE_COLOR = "#ffffff"
# Text on a cell of each status: light on the dark colours, dark on the light ones.
TEXT_ON = {MET: "#ffffff", MISSED: "#ffffff", BEHIND: "#212121", ON_TRACK: "#212121", NOT_STARTED: "#212121",
           TO_VERIFY: "#212121"}
ROW_PX = 22  # one indicator row of a status grid


def indicator_heatmap(results: pd.DataFrame, title: str = "各站点指标状态") -> go.Figure:
    """Indicator × station status of the 全期 rows: one row per indicator (its number and short name,
    ``Indicator.label``; the full name on hover), one column per station, each cell coloured by its status and
    showing 实际/目标 (rounded by ``domain.figures``). Cells of a station without the indicator are white and
    say 不适用, with a legend entry of their own.
    """
    rows = results[results["period"] == PERIOD_WHOLE] if "period" in results else results
    rows = rows.assign(_row=indicator_labels(rows).to_numpy(), _col=rows["station_name"].to_numpy())
    cols = list(dict.fromkeys(rows["_col"]))
    return _status_grid(rows, cols, short_station_names(cols), title, "站点", _cell_figures(rows))


def period_heatmap(results: pd.DataFrame, title: str) -> go.Figure:
    """Per-period indicators of one station: one row per indicator, one column per month or quarter, each cell
    coloured by the period's status and showing its actual value."""
    rows = results.assign(_row=indicator_labels(results).to_numpy(), _col=results["period"].to_numpy())
    cols = list(dict.fromkeys(rows.sort_values("period")["_col"]))
    actual = [figures.text(a, u, "down") + ("%" if figures.step(u) == 0.1 else "")
              for a, u in zip(rows["actual"], rows["unit"])]
    return _status_grid(rows, cols, cols, title, "期间", actual)


def _cell_figures(rows: pd.DataFrame) -> list[str]:
    """实际/目标 of each row, written as everywhere (``domain.figures``); a share as one figure (57.1%)."""
    out = []
    for a, t, u in zip(rows["actual"], rows["target"], rows["unit"]):
        if figures.step(u) == 1.0:
            out.append(f"{figures.text(a, u, 'down')}/{figures.text(t, u)}")
        else:
            out.append(figures.text(a, u, "down") + ("%" if u == "%" else ""))
    return out


def _status_grid(rows: pd.DataFrame, cols: list, col_labels: list[str], title: str, col_title: str,
                 texts: list[str]) -> go.Figure:
    """The grid of ``rows`` (columns _row, _col, status and the result figures): rows in their order, ``cols``."""
    row_keys = list(dict.fromkeys(rows["_row"]))
    code = {s: i for i, s in enumerate(HEAT_ORDER)}
    first = rows.assign(_t=texts).drop_duplicates(["_row", "_col"])
    pivot = first.pivot(index="_row", columns="_col", values="status").reindex(index=row_keys, columns=cols)
    z = pivot.map(lambda v: code.get(v, np.nan)).to_numpy(dtype=float)
    hover = first.assign(_h=[_hover(r) for r in first.to_dict("records")]).pivot(
        index="_row", columns="_col", values="_h").reindex(index=row_keys, columns=cols)
    n = len(HEAT_ORDER)
    scale = []
    for i, status in enumerate(HEAT_ORDER):
        scale += [(i / n, STATUS_COLORS[status]), ((i + 1) / n, STATUS_COLORS[status])]
    x_of = dict(zip(cols, col_labels))
    fig = go.Figure(go.Heatmap(
        z=z, x=col_labels, y=row_keys, zmin=-0.5, zmax=n - 0.5, colorscale=scale, showscale=False, xgap=2, ygap=2,
        text=hover.fillna(NOT_APPLICABLE).to_numpy(), hovertemplate="%{x}<br>%{text}<extra></extra>", name="状态"))
    # the figures in the cells: a text trace, so that each cell's text contrasts with its colour
    shown = first
    missing = [(x_of[c], r) for r in row_keys for c in cols if pd.isna(pivot.at[r, c])]
    fig.add_scatter(x=[x_of[c] for c in shown["_col"]] + [m[0] for m in missing],
                    y=list(shown["_row"]) + [m[1] for m in missing], mode="text", hoverinfo="skip", showlegend=False,
                    text=list(shown["_t"]) + [NOT_APPLICABLE] * len(missing),
                    textfont={"size": MIN_FONT_PX, "color": [TEXT_ON.get(s, "#212121") for s in shown["status"]]
                              + ["#9e9e9e"] * len(missing)})
    for status in HEAT_ORDER:
        if status in set(rows["status"]):
            fig.add_scatter(x=[None], y=[None], mode="markers", name=status, hoverinfo="skip",
                            marker={"symbol": "square", "size": 13, "color": STATUS_COLORS[status]})
    if missing:
        fig.add_scatter(x=[None], y=[None], mode="markers", name=f"{NOT_APPLICABLE}（本站没有此指标）", hoverinfo="skip",
                        marker={"symbol": "square", "size": 13, "color": NOT_APPLICABLE_COLOR,
                                "line": {"color": "#9e9e9e", "width": 1}})
    widest = max((text_px(c) for c in col_labels), default=0)
    angle = 0 if widest <= max(40.0, 480 / max(len(cols), 1) - 8) else -45
    fig.update_xaxes(side="top", type="category", title_text=None, tickangle=angle, categoryorder="array",
                     categoryarray=col_labels)
    fig.update_yaxes(autorange="reversed", type="category", title_text=None, categoryorder="array",
                     categoryarray=row_keys)
    top = 78 + (LINE_PX if angle == 0 else math.ceil((widest + 17) * 0.7071 + 1))
    height = top + ROW_PX * len(row_keys) + 40
    return _layout(fig, title, height=height, margin={"l": 10, "r": 10, "t": top, "b": 40},
                   legend={"orientation": "h", "yanchor": "top", "y": -8 / height, "x": 0})


def _hover(row) -> str:
    unit = row.get("unit") or ""
    return (f"{row['indicator_name']}<br>状态：{row['status']}<br>实际：{figures.text(row['actual'], unit, 'down')}{unit}"
            f"　目标：{figures.text(row['target'], unit)}{unit}　应达：{figures.text(row.get('expected'), unit, 'up')}{unit}")


PROGRESS_CAP = 150  # bars stop at 150 % of target; the label still gives the real share
ZERO_STUB = 1.5  # a bar at 0 % is drawn this wide (in % of target), so its status colour shows


def progress_bullets(results: pd.DataFrame, title: str = "指标完成进度（占目标百分比）") -> go.Figure:
    """One bar per indicator: actual as % of target, a marker at the expected-by-date share, a line at 100%.

    Indicators are named by their number and short name (the full name on hover, and in the table of the
    report). Bars are coloured by status, with one legend entry per status shown; a bar above 150 % is cut
    there and its label says the real share (“210%↑”); a bar at 0 % is a stub of its status colour labelled
    “0%”, so its status is seen too.
    """
    rows = results[(results["period"] == PERIOD_WHOLE) & (results["target"].fillna(0) > 0)].copy()
    rows = rows.iloc[::-1]
    real = 100 * rows["actual"].fillna(0) / rows["target"]
    share = real.clip(upper=PROGRESS_CAP).clip(lower=ZERO_STUB)
    expected = 100 * rows["expected"] / rows["target"]
    labels = list(indicator_labels(rows))
    fig = go.Figure()
    for status in [s for s in STATUS_COLORS if s in set(rows["status"])]:
        mine = (rows["status"] == status).to_numpy()
        text = [figures.share_text(a, t) + ("↑" if v > PROGRESS_CAP else "")
                for a, t, v in zip(rows["actual"].fillna(0)[mine], rows["target"][mine], real[mine])]
        fig.add_bar(x=share[mine], y=[lab for lab, m in zip(labels, mine) if m], orientation="h", name=status,
                    text=text, textposition="outside", cliponaxis=False, marker_color=STATUS_COLORS[status],
                    textfont={"size": MIN_FONT_PX}, hovertext=[_hover(r) for r in rows[mine].to_dict("records")],
                    hoverinfo="text")
    fig.add_scatter(x=expected, y=labels, mode="markers", name="截至日期应达",
                    marker={"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": "#37474f"}},
                    hovertemplate="应达 %{x:.0f}%<extra></extra>")
    fig.add_vline(x=100, line_dash="dash", line_color="#c62828", annotation_text="目标 100%",
                  annotation_position="top", annotation_font_size=MIN_FONT_PX)
    cut = bool((real > PROGRESS_CAP).any())
    x_title = "占目标百分比（%）" + ("；超过 150% 的条形截断在 150%，标注为实际百分比并加 ↑" if cut else "")
    fig.update_xaxes(title_text=x_title, range=[0, PROGRESS_CAP + 25], tickvals=[0, 25, 50, 75, 100, 125, 150])
    fig.update_yaxes(title_text="", type="category", categoryorder="array", categoryarray=labels)
    fig.update_layout(barmode="overlay", bargap=0.25, uniformtext={"minsize": MIN_FONT_PX, "mode": "show"})
    return _layout(fig, title, height=max(240, 130 + 22 * len(rows)), showlegend=True,
                   legend={"y": -60 / max(240, 130 + 22 * len(rows)) - 0.02})


def monthly_series(counts: pd.Series, target: float | None = None, title: str = "每月服务次数",
                   y_title: str = "次数", expected: pd.Series | None = None) -> go.Figure:
    """Bars of a per-period series (index: period labels such as 2025-03), with the target as a line."""
    fig = go.Figure()
    fig.add_bar(x=[str(i) for i in counts.index], y=counts.to_numpy(), name="实际",
                marker_color="#1565c0", hovertemplate="%{x}：%{y}<extra></extra>")
    if target is not None and not pd.isna(target):
        fig.add_scatter(x=[str(i) for i in counts.index], y=[target] * len(counts), mode="lines", name="目标",
                        line={"dash": "dash", "color": "#c62828"})
    if expected is not None:
        fig.add_scatter(x=[str(i) for i in expected.index], y=expected.to_numpy(), mode="lines+markers",
                        name="应达", line={"dash": "dot", "color": "#37474f"})
    fig.update_xaxes(title_text="期间", type="category", tickangle=-45)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return _layout(fig, title, height=360, legend={"y": -(115 / 360)}, margin={"l": 10, "r": 10, "t": 50, "b": 40})


def trend_lines(frame: pd.DataFrame, x: str, y: str, color: str, title: str, y_title: str,
                x_title: str = "月份") -> go.Figure:
    """One line per value of ``color`` (e.g. station) over ``x`` (e.g. month)."""
    fig = go.Figure()
    for name, part in frame.groupby(color, sort=False):
        part = part.sort_values(x)
        fig.add_scatter(x=part[x].astype(str), y=part[y], mode="lines+markers", name=str(name),
                        hovertemplate=f"{name} %{{x}}：%{{y}}<extra></extra>")
    fig.update_xaxes(title_text=x_title, type="category", tickangle=-45)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    # below the angled month labels and the axis title, never over them
    return _layout(fig, title, height=420, legend={"y": -(115 / 420)}, margin={"l": 10, "r": 10, "t": 50, "b": 40})


def ranking_bars(shares: pd.DataFrame, title: str = "各站点指标状态占比（按进度正常及达标占比排序）") -> go.Figure:
    """Stacked horizontal bars: per station (index = station name) the share of indicators in each status.

    ``shares`` has one column per status (values 0–1); rows come in ranking order, best first.
    """
    fig = go.Figure()
    for status in reversed(STATUS_ORDER):
        if status not in shares:
            continue
        fig.add_bar(y=list(shares.index), x=100 * shares[status], name=status, orientation="h",
                    marker_color=STATUS_COLORS[status], hovertemplate=f"%{{y}} {status}：%{{x:.0f}}%<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="占指标数百分比（%）", range=[0, 100], title_standoff=6)
    fig.update_yaxes(autorange="reversed", title_text="站点")
    height = max(300, 150 + 32 * len(shares))
    # the legend sits below the axis title (not over it): offset in figure heights
    return _layout(fig, title, height=height, legend={"y": -(70 / height)})


def prepost_dumbbell(pairs: pd.DataFrame, by: str = "scale", title: str = "前后测平均分对比",
                     lower_better: set[str] | frozenset = frozenset()) -> go.Figure:
    """Mean pre-test and post-test score per ``by`` value, joined by a line (one row per pair in ``pairs``).

    Raw means are plotted; every row's label says which way is better
    (``lower_better`` holds the ``by`` values of lower-is-better scales), and the
    line is green when the mean moved the better way, red when it moved the worse way.
    """
    means = pairs.groupby(by).agg(pre=("pre", "mean"), post=("post", "mean"), n=("pre", "size")).reset_index()
    lower = means[by].isin(set(lower_better)).to_numpy()
    labels = [f"{v}（n={n}，{'越低越好' if low else '越高越好'}）" for v, n, low in zip(means[by], means["n"], lower)]
    fig = go.Figure()
    for label, pre, post, low in zip(labels, means["pre"], means["post"], lower):
        better = (post < pre) if low else (post > pre)
        fig.add_scatter(x=[pre, post], y=[label, label], mode="lines", showlegend=False, hoverinfo="skip",
                        line={"color": "#81c784" if better else "#e57373", "width": 4})
    fig.add_scatter(x=means["pre"], y=labels, mode="markers", name="前测", marker={"size": 12, "color": "#90a4ae"},
                    hovertemplate="%{y} 前测均分 %{x:.1f}<extra></extra>")
    fig.add_scatter(x=means["post"], y=labels, mode="markers", name="后测", marker={"size": 12, "color": "#1565c0"},
                    hovertemplate="%{y} 后测均分 %{x:.1f}<extra></extra>")
    fig.add_scatter(x=[None], y=[None], mode="lines", name="向好的方向变化", line={"color": "#81c784", "width": 4})
    fig.add_scatter(x=[None], y=[None], mode="lines", name="向差的方向变化", line={"color": "#e57373", "width": 4})
    fig.update_xaxes(title_text="平均得分（原始分；每行注明越高越好或越低越好）")
    fig.update_yaxes(title_text="量表", type="category")
    height = max(240, 140 + 40 * len(means))
    return _layout(fig, title, height=height, legend={"y": -(70 / height)})


def domain_outcome_bars(summary: pd.DataFrame, title: str = "各领域指标达标情况") -> go.Figure:
    """Per domain, the number of indicators 达标 / 未达标 / 待核验 / other (stacked; they add up to the indicators)."""
    rows = summary[summary["period"] == PERIOD_WHOLE] if "period" in summary else summary
    status = rows["status"].where(rows["status"].isin([MET, MISSED, TO_VERIFY]), IN_PROGRESS)
    counts = pd.crosstab(rows["domain"], status).reindex(list(dict.fromkeys(rows["domain"])))
    colours = {MET: STATUS_COLORS[MET], MISSED: STATUS_COLORS[MISSED], TO_VERIFY: STATUS_COLORS[TO_VERIFY],
               IN_PROGRESS: STATUS_COLORS[ON_TRACK]}
    fig = go.Figure()
    for name, colour in colours.items():
        if name in counts:
            fig.add_bar(y=list(counts.index), x=counts[name], name=name, orientation="h", marker_color=colour,
                        text=counts[name].where(counts[name] > 0, None), textposition="inside",
                        hovertemplate=f"%{{y}} {name}：%{{x}} 项<extra></extra>")
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title_text="指标数（项）", dtick=1 if counts.to_numpy().sum(axis=1).max(initial=0) <= 12 else None)
    fig.update_yaxes(autorange="reversed", title_text="领域", type="category")
    height = max(240, 140 + 34 * len(counts))
    return _layout(fig, title, height=height, legend={"y": -(70 / height)})


def score_bars(scores: pd.DataFrame, by: str = "domain", title: str = "各领域得分") -> go.Figure:
    """Points earned against points available, summed per ``by`` (``scoring.Scheme.score`` rows with ``by``)."""
    sums = scores.groupby(by, sort=False)[["points", "score"]].sum()
    fig = go.Figure()
    fig.add_bar(x=list(sums.index), y=sums["points"], name="满分", marker_color="#cfd8dc")
    fig.add_bar(x=list(sums.index), y=sums["score"], name="得分", marker_color="#2e7d32")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="领域", type="category")
    fig.update_yaxes(title_text="分值", rangemode="tozero")
    return _layout(fig, title, height=360)
