"""Plotly figures of the dashboards (Chinese titles, axes and legends).

Each function takes the frame a view already prepared and only draws it;
figures the reports share live in ``sgzlib.charts.plots``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..charts.plots import reserve_margins
from ..domain.labels import BEHIND, MET, MISSED, NOT_STARTED, ON_TRACK, TO_VERIFY
from ..domain.vocab import CASE_STAGES, GROUP_STAGES, REFERRAL_STAGE

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
BLUE, RED, GREEN, GREY, ORANGE = "#1f6fb2", "#c0392b", "#2e8b57", "#9aa5b1", "#e67e22"
STATUS_COLOURS = {
    MISSED: "#c0392b", BEHIND: "#e67e22", TO_VERIFY: "#f1c40f",
    NOT_STARTED: "#bdc3c7", ON_TRACK: "#5dade2", MET: "#27ae60",
}
EVENT_COLOURS = {"节点": BLUE, "服务": GREEN, "文书": GREY, "测评": ORANGE, "督导": "#8e44ad"}


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0, "font": {"size": 15}}, height=height,
                      font={"family": FONT, "size": 12}, margin={"l": 10, "r": 10, "t": 48, "b": 10},
                      plot_bgcolor="#fff", paper_bgcolor="#fff", separators=".,")
    return reserve_margins(fig)


def pipeline(case_stages: pd.Series, group_stages: pd.Series) -> go.Figure:
    """Cases and groups by stage, side by side (stages in process order, empty stages shown as 0)."""
    cases = case_stages.value_counts().reindex([*CASE_STAGES, REFERRAL_STAGE], fill_value=0)
    groups = group_stages.value_counts().reindex(list(GROUP_STAGES), fill_value=0)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.12,
                        subplot_titles=(f"个案（共 {int(cases.sum())} 个）", f"小组（共 {int(groups.sum())} 个）"))
    fig.add_bar(x=cases.index.tolist(), y=cases.tolist(), text=cases.tolist(), textposition="outside",
                marker_color=BLUE, name="个案", hovertemplate="%{x}：%{y} 个<extra></extra>", row=1, col=1)
    fig.add_bar(x=groups.index.tolist(), y=groups.tolist(), text=groups.tolist(), textposition="outside",
                marker_color=GREEN, name="小组", hovertemplate="%{x}：%{y} 个<extra></extra>", row=1, col=2)
    top = max(int(cases.max()), int(groups.max()), 1)
    fig.update_yaxes(title_text="数量", range=[0, top * 1.25], gridcolor="#eef2f6", rangemode="tozero")
    fig.update_layout(showlegend=False)
    return _layout(fig, "个案与小组所处阶段", 320)


def timeline(events: pd.DataFrame, title: str) -> go.Figure:
    """A case's events on a date axis, one row per kind of event (节点, 服务, 文书, 测评, 督导)."""
    fig = go.Figure()
    kinds = [k for k in EVENT_COLOURS if k in set(events["kind"])]
    for kind in kinds:
        part = events[events["kind"] == kind].sort_values("date")
        fig.add_scatter(x=part["date"], y=[kind] * len(part), mode="markers+text", name=kind,
                        text=part["event"], textposition=label_positions(part["date"]), customdata=part[["detail"]],
                        marker={"size": 12, "color": EVENT_COLOURS[kind], "symbol": "diamond" if kind == "节点"
                                else "circle"},
                        hovertemplate="%{x|%Y-%m-%d} %{text}<br>%{customdata[0]}<extra></extra>")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(kinds)), gridcolor="#eef2f6")
    fig.update_xaxes(tickformat="%Y-%m-%d", gridcolor="#eef2f6")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, 160 + 80 * max(len(kinds), 1))


LABEL_GAP_DAYS = 21  # labels of events closer than this take turns above, below, and to the side
LABEL_SPOTS = ("top center", "bottom center", "top right", "bottom right")


def label_positions(dates: pd.Series) -> list[str]:
    """Text positions for events on one row (sorted by date): a label whose event is within
    ``LABEL_GAP_DAYS`` of the previous one takes the next spot, so 接案 / 预估 / 协议 / 计划 do not overlap."""
    out, previous, side = [], None, 0
    for when in pd.to_datetime(dates):
        close = previous is not None and (when - previous).days < LABEL_GAP_DAYS
        side = (side + 1) % len(LABEL_SPOTS) if close else 0
        out.append(LABEL_SPOTS[side])
        previous = when
    return out


CHANGE_COLOURS = {"变好": GREEN, "无变化": GREY, "变差": RED}


def change_class(improvement: pd.Series) -> pd.Series:
    """变好 / 无变化 / 变差 from the direction-aware improvement (positive = better)."""
    return pd.Series(["变好" if v > 0 else "变差" if v < 0 else "无变化" for v in improvement], index=improvement.index)


# Above this many pairs the slope chart merges pairs with the same 前测 and 后测 into one line (its width and
# hover text give how many people it stands for), and the box plots draw only their outliers as points:
# thousands of SVG lines and points made the outcomes board slow to draw and to redraw.
MANY_PAIRS = 300


def slopes(pairs: pd.DataFrame, scale_name: str, higher_is_better: bool) -> go.Figure:
    """One line per beneficiary from 前测 to 后测, green when better, red when worse (the scale's direction).

    ``pairs`` needs pre, post, improvement, label (masked name and code) and rci_class. With more than
    ``MANY_PAIRS`` pairs, the pairs with the same scores share one line, as wide as the number of
    people it stands for allows (the legend and title still count every pair).
    """
    fig = go.Figure()
    cls = change_class(pairs["improvement"])
    merged = len(pairs) > MANY_PAIRS
    for name, colour in CHANGE_COLOURS.items():
        part = pairs[cls == name]
        if part.empty:
            continue
        legend = f"{name}（{len(part)} 人）"
        if merged:
            _merged_slopes(fig, part, legend, colour)
            continue
        xs, ys, text = [], [], []
        for r in part.itertuples(index=False):
            hover = f"{r.label}<br>前测 {r.pre:g} → 后测 {r.post:g}（{r.rci_class}）"
            xs += ["前测", "后测", None]
            ys += [r.pre, r.post, None]
            text += [hover, hover, None]
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=legend, text=text,
                        hovertemplate="%{text}<extra></extra>", line={"color": colour, "width": 1.5},
                        marker={"size": 6, "color": colour}, opacity=0.75)
    better = "越高越好" if higher_is_better else "越低越好"
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=["前测", "后测"])
    fig.update_yaxes(title_text=f"得分（{better}）", gridcolor="#eef2f6")
    fig.update_layout(legend={"orientation": "h", "y": -0.12})
    how = "；同分合并，线越粗人越多" if merged else ""
    return _layout(fig, f"{scale_name}：每位服务对象的前测与后测（{len(pairs)} 人次{how}）", 460)


def _merged_slopes(fig: go.Figure, part: pd.DataFrame, legend: str, colour: str) -> None:
    """One line per distinct (前测, 后测) of ``part``, its width growing with the people on it; one legend entry."""
    same = part.groupby(["pre", "post"]).size().rename("n").reset_index().sort_values("n")
    top = int(same["n"].max())
    for k, r in enumerate(same.itertuples(index=False)):
        hover = f"前测 {r.pre:g} → 后测 {r.post:g}：{int(r.n)} 人次"
        fig.add_scatter(x=["前测", "后测"], y=[r.pre, r.post], mode="lines", name=legend, legendgroup=legend,
                        showlegend=k == 0, text=[hover, hover], hovertemplate="%{text}<extra></extra>",
                        line={"color": colour, "width": 1 + 7 * r.n / top}, opacity=0.6)


def before_after(pairs: pd.DataFrame, scale_name: str, higher_is_better: bool) -> go.Figure:
    """Distribution of the scores before and after: box plots with every point (outliers only above ``MANY_PAIRS``)."""
    many = len(pairs) > MANY_PAIRS
    fig = go.Figure()
    for column, label, colour in (("pre", "前测", GREY), ("post", "后测", BLUE)):
        fig.add_box(y=pairs[column], name=label, boxpoints="outliers" if many else "all", jitter=0.4, pointpos=0,
                    marker_color=colour, boxmean=True, hovertemplate=f"{label}：%{{y}}<extra></extra>")
    better = "越高越好" if higher_is_better else "越低越好"
    fig.update_yaxes(title_text=f"得分（{better}）", gridcolor="#eef2f6")
    fig.update_layout(showlegend=False)
    points = f"{len(pairs)} 人次，只画离群点" if many else "每点一人次"
    return _layout(fig, f"{scale_name}：前测与后测得分分布（虚线为均值；{points}）", 460)
