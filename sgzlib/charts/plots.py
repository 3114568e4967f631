"""Plotly figures for reports and dashboards, with Chinese titles, axes and legends.

Each function takes plain DataFrames (indicator results, outcome pairs, monthly
counts) and returns a ``plotly.graph_objects.Figure``; nothing here reads the
database or displays anything.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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


def _short(text: str, n: int = 14) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _distinct_short(names: list[str], n: int) -> list[str]:
    """``_short`` of each name; names whose short forms coincide keep their first 4 characters and then what
    follows their common beginning (为社会救助对象提供服务：个案服务… → 为社会救…个案服务不少于12个), numbered if still equal."""
    labels = [_short(name, n) for name in names]
    for label in set(labels):
        same = [i for i, other in enumerate(labels) if other == label]
        if len(same) > 1:
            start = len(os.path.commonprefix([names[i] for i in same]))
            for i in same:
                labels[i] = names[i][:4] + "…" + _short(names[i][start:], n - 2)
    counts = Counter(labels)
    seen: Counter = Counter()
    for i, label in enumerate(labels):
        if counts[label] > 1:
            seen[label] += 1
            labels[i] = f"{label}（{seen[label]}）"
    return labels


def status_heatmap(summary: pd.DataFrame, title: str = "各站点指标状态", per_period: bool = False,
                   drop_prefix: str = "") -> go.Figure:
    """Station × indicator status, one cell per (station_name, indicator_name).

    By default only the 全期 rows are drawn; ``per_period=True`` keeps every
    row given (the per-period rows of a station report, already relabelled).
    Long indicator lists are split by the caller (the district overview draws
    one heatmap per domain of at most 12 indicators) so every label prints readably.
    """
    rows = summary[summary["period"] == PERIOD_WHOLE] if "period" in summary and not per_period else summary
    stations = list(dict.fromkeys(rows["station_name"]))
    indicators = list(dict.fromkeys(rows["indicator_name"]))
    code = {s: i for i, s in enumerate(HEAT_ORDER)}
    pivot = rows.pivot_table(index="station_name", columns="indicator_name", values="status", aggfunc="first")
    pivot = pivot.reindex(index=stations, columns=indicators)
    z = pivot.map(lambda s: code.get(s, np.nan)).to_numpy(dtype=float)
    text = rows.assign(t=rows.apply(_hover, axis=1)).pivot_table(
        index="station_name", columns="indicator_name", values="t", aggfunc="first").reindex_like(pivot)
    n = len(HEAT_ORDER)
    scale = []
    for i, status in enumerate(HEAT_ORDER):
        scale += [(i / n, STATUS_COLORS[status]), ((i + 1) / n, STATUS_COLORS[status])]
    # ``drop_prefix`` (a domain named in the title) is left out of the labels, not the hover text
    # The cells are placed by the full names (two indicators with the same short label stay two columns);
    # the axes show short labels, told apart where they would coincide.
    x = _distinct_short([i.removeprefix(f"{drop_prefix}：") if drop_prefix else i for i in indicators], 12)
    fig = go.Figure(go.Heatmap(
        z=z, x=indicators, y=stations, zmin=-0.5, zmax=n - 0.5, colorscale=scale,
        text=text.fillna("无此指标").to_numpy(), hovertemplate="%{y}<br>%{text}<extra></extra>", xgap=1, ygap=1,
        showscale=False, name="状态"))
    # A legend of the statuses drawn (a colour bar is unreadable on a short heatmap)
    shown = set(rows["status"])
    for status in HEAT_ORDER:
        if status in shown:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=status, hoverinfo="skip",
                            marker={"symbol": "square", "size": 13, "color": STATUS_COLORS[status]})
    fig.update_xaxes(tickangle=-45, title_text="指标", type="category", tickmode="array", tickvals=indicators, ticktext=x)
    fig.update_yaxes(autorange="reversed", title_text="站点", type="category", tickmode="array", tickvals=stations,
                     ticktext=_distinct_short(stations, 16))
    # room under the cells for the turned labels and the axis title (what plotly would take from the cells)
    label_room = _bottom_room(fig) or 8 * max((len(v) for v in x), default=4) + 30
    return _layout(fig, title, height=max(200, 90 + 30 * len(stations) + label_room),
                   margin={"l": 10, "r": 10, "t": 78, "b": 10},
                   legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": {"text": "状态："}})


def _hover(row) -> str:
    unit = row.get("unit") or ""
    return (f"{row['indicator_name']}<br>状态：{row['status']}<br>实际：{_num(row['actual'])}{unit}"
            f"　目标：{_num(row['target'])}{unit}　应达：{_num(row.get('expected'))}{unit}")


def _num(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


PROGRESS_CAP = 150  # bars stop at 150 % of target; the label still gives the real share


def progress_bullets(results: pd.DataFrame, title: str = "指标完成进度（占目标百分比）") -> go.Figure:
    """One bar per indicator: actual as % of target, a marker at the expected-by-date share, a line at 100%.

    Bars are coloured by status, with one legend entry per status shown; a bar
    above 150 % is cut there and its label says the real share (“210%↑”);
    0 % rows are labelled “0%”.
    """
    rows = results[(results["period"] == PERIOD_WHOLE) & (results["target"].fillna(0) > 0)].copy()
    rows = rows.iloc[::-1]
    real = 100 * rows["actual"].fillna(0) / rows["target"]
    share = real.clip(upper=PROGRESS_CAP)
    expected = 100 * rows["expected"] / rows["target"]
    labels = [_short(n, 18) for n in rows["indicator_name"]]
    fig = go.Figure()
    for status in [s for s in STATUS_COLORS if s in set(rows["status"])]:
        mine = (rows["status"] == status).to_numpy()
        text = [f"{v:.0f}%↑" if v > PROGRESS_CAP else f"{v:.0f}%" for v in real[mine]]
        fig.add_bar(x=share[mine], y=[lab for lab, m in zip(labels, mine) if m], orientation="h", name=status,
                    text=text, textposition="outside", cliponaxis=False, marker_color=STATUS_COLORS[status],
                    textfont={"size": MIN_FONT_PX}, hovertext=rows[mine].apply(_hover, axis=1), hoverinfo="text")
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
