"""Plotly figures of the analysis gallery (``notebooks/gallery``), with Chinese titles, axes and legends.

Each function takes a frame of ``sgzlib.analysis.casework`` (through ``sgzlib.api``)
and returns a ``plotly.graph_objects.Figure`` a supervisor can paste into a
report; nothing here computes a figure or reads the database.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .plots import FONT

RCI_COLORS = {"改善": "#2e7d32", "无可靠变化": "#bdbdbd", "恶化": "#c62828", "无法计算": "#ffd54f"}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 420) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, template="plotly_white",
                      font={"family": FONT, "size": 12}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      height=height, legend={"orientation": "h", "y": -0.2}, xaxis_title=x, yaxis_title=y)
    return fig


def still_open_chart(curve: pd.DataFrame, title: str = "接案后仍在服务中的个案比例（Kaplan–Meier）") -> go.Figure:
    """Step curves of ``still_open_curve``, one per group."""
    fig = go.Figure()
    for name, g in curve.groupby("group", sort=False):
        fig.add_trace(go.Scatter(x=g["days"], y=g["still_open"], mode="lines", line_shape="hv", name=str(name),
                                 hovertemplate="%{x} 天：%{y:.0%} 仍未结案<extra>" + str(name) + "</extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, "接案后天数", "仍未结案的比例")


def stage_duration_chart(durations: pd.DataFrame, by: str = "domain",
                         title: str = "接案到各阶段的天数（中位数）") -> go.Figure:
    """Grouped bars of ``stage_durations``: median days to each stage, one colour per ``by`` value."""
    fig = go.Figure()
    for name, g in durations.groupby(by, sort=True):
        fig.add_trace(go.Bar(x=g["stage"], y=g["median_days"], name=str(name), customdata=g["n"],
                             hovertemplate="%{x}：中位数 %{y} 天（%{customdata} 个案）<extra>" + str(name) + "</extra>"))
    fig.update_layout(barmode="group")
    return _layout(fig, title, "阶段", "天数（中位数）")


def closure_chart(reasons: pd.DataFrame, by: str = "domain", title: str = "结案原因") -> go.Figure:
    """Stacked bars of ``closure_reasons``: closed cases per ``by`` value and reason."""
    fig = go.Figure()
    for reason, g in reasons.groupby("close_reason", sort=True):
        fig.add_trace(go.Bar(x=g[by], y=g["cases"], name=str(reason)))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "", "结案个案数")


def attendance_chart(attendance: pd.DataFrame, groups=None, title: str = "各小组每节签到人数") -> go.Figure:
    """One line per group (only ``groups``, in their order, when given): attendance by session number."""
    fig = go.Figure()
    if groups is not None:
        order = list(groups)
        attendance = attendance[attendance["group_code"].isin(order)]
        parts = sorted(attendance.groupby("group_code"), key=lambda kv: order.index(kv[0]))
    else:
        parts = attendance.groupby("group_code", sort=True)
    for code, g in parts:
        label = f"{g['group_name'].iloc[0]}（{code}）"
        fig.add_trace(go.Scatter(x=g["seq"], y=g["attendance"], mode="lines+markers", name=label,
                                 hovertemplate="第 %{x} 节：%{y} 人<extra>" + label + "</extra>"))
    fig.update_xaxes(dtick=1)
    return _layout(fig, title, "节次", "签到人数", height=460)


def dropoff_chart(dropoff: pd.DataFrame, top: int = 15, title: str = "首节到末节流失比例最高的小组") -> go.Figure:
    """Horizontal bars: the ``top`` groups losing the largest share from the first to the last session."""
    rows = dropoff.dropna(subset=["dropoff_share"]).head(top).iloc[::-1]
    labels = rows["group_name"] + "（" + rows["group_code"] + "）"
    fig = go.Figure(go.Bar(x=rows["dropoff_share"], y=labels, orientation="h",
                           customdata=rows[["first_attendance", "last_attendance", "biggest_drop_seq"]],
                           hovertemplate="首节 %{customdata[0]} 人 → 末节 %{customdata[1]} 人；"
                                         "第 %{customdata[2]} 节流失最多<extra></extra>"))
    fig.update_xaxes(tickformat=".0%")
    return _layout(fig, title, "流失比例（首节−末节）/首节", "", height=max(300, 28 * len(rows) + 120))


def change_chart(change: pd.DataFrame, label: str = "scale_name",
                 title: str = "各量表平均改善及 95% 置信区间（正值表示改善）") -> go.Figure:
    """Forest plot of ``outcome_change``: mean improvement with its confidence interval, per row."""
    rows = change.iloc[::-1]
    labels = rows[label].astype(str) + ("（" + rows["domain"].astype(str) + "）" if "domain" in rows else "")
    fig = go.Figure(go.Scatter(
        x=rows["mean_improvement"], y=labels, mode="markers", marker={"size": 10, "color": "#1565c0"},
        error_x={"type": "data", "symmetric": False, "array": rows["ci_high"] - rows["mean_improvement"],
                 "arrayminus": rows["mean_improvement"] - rows["ci_low"]},
        customdata=rows[["n", "ci_low", "ci_high"]],
        hovertemplate="平均改善 %{x:.2f}（95% CI %{customdata[1]:.2f}～%{customdata[2]:.2f}，n=%{customdata[0]}）"
                      "<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#757575")
    return _layout(fig, title, "平均改善（分）", "", height=max(300, 60 * len(rows) + 120))


def rci_chart(change: pd.DataFrame, label: str = "scale_name", title: str = "可靠变化（RCI）人数") -> go.Figure:
    """Stacked horizontal bars of the RCI classes per row of ``outcome_change``."""
    rows = change.iloc[::-1]
    labels = rows[label].astype(str)
    fig = go.Figure()
    for column, name in (("improved", "改善"), ("unchanged", "无可靠变化"), ("deteriorated", "恶化"),
                         ("rci_unavailable", "无法计算")):
        fig.add_trace(go.Bar(x=rows[column], y=labels, orientation="h", name=name,
                             marker_color=RCI_COLORS[name]))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "人数", "", height=max(300, 60 * len(rows) + 120))


def indicator_heatmap(track: pd.DataFrame, value: str = "actual", title: str | None = None) -> go.Figure:
    """Station × month of ``indicator_track``: the cumulative actual (or ``value``) in each cell."""
    grid = track.pivot_table(index="station_name", columns="month", values=value, aggfunc="sum")
    status = track.pivot_table(index="station_name", columns="month", values="status", aggfunc="first")
    name = track["indicator_name"].iloc[0] if len(track) else ""
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=list(grid.columns), y=list(grid.index),
                               text=grid.round(1).astype(str).to_numpy(), texttemplate="%{text}",
                               customdata=status.reindex_like(grid).to_numpy(), colorscale="Blues",
                               hovertemplate="%{y} %{x}：%{z}（%{customdata}）<extra></extra>",
                               colorbar={"title": "累计实际值"}))
    fig.update_xaxes(type="category")  # 2025-01 stays a label, not a date axis with English month names
    return _layout(fig, title or f"{name}：各站点逐月累计", "月份", "", height=max(300, 50 * len(grid) + 150))
