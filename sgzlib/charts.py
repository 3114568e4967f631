"""Plotly figures for reports and dashboards, with Chinese titles, axes and legends.

Each function takes plain DataFrames (indicator results, outcome pairs, monthly
counts) and returns a ``plotly.graph_objects.Figure``; nothing here reads the
database or displays anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .labels import BEHIND, MET, MISSED, NOT_STARTED, ON_TRACK, PERIOD_WHOLE, STATUS_ORDER, TO_VERIFY

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


def _layout(fig: go.Figure, title: str, height: int | None = None, **kw) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, template="plotly_white",
                      font={"family": FONT, "size": 12}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      height=height, legend={"orientation": "h", "y": -0.15}, **kw)
    return fig


def _short(text: str, n: int = 14) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def status_heatmap(summary: pd.DataFrame, title: str = "各站点指标状态") -> go.Figure:
    """Station × indicator status, one cell per (station_name, indicator_name) of the 全期 rows."""
    rows = summary[summary["period"] == PERIOD_WHOLE] if "period" in summary else summary
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
    fig = go.Figure(go.Heatmap(
        z=z, x=[_short(i) for i in indicators], y=stations, zmin=-0.5, zmax=n - 0.5, colorscale=scale,
        text=text.fillna("无此指标").to_numpy(), hovertemplate="%{y}<br>%{text}<extra></extra>", xgap=1, ygap=1,
        colorbar={"title": {"text": "状态"}, "tickvals": list(range(n)), "ticktext": list(HEAT_ORDER)}))
    crowded = len(indicators) > 20
    fig.update_xaxes(tickangle=-90 if crowded else -45, title_text="指标", dtick=1,
                     tickfont={"size": 8 if crowded else 11})
    fig.update_yaxes(autorange="reversed", title_text="站点")
    return _layout(fig, title, height=max(260, 60 + 34 * len(stations)) + 120)


def _hover(row) -> str:
    unit = row.get("unit") or ""
    return (f"{row['indicator_name']}<br>状态：{row['status']}<br>实际：{_num(row['actual'])}{unit}"
            f"　目标：{_num(row['target'])}{unit}　应达：{_num(row.get('expected'))}{unit}")


def _num(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def progress_bullets(results: pd.DataFrame, title: str = "指标完成进度（占目标百分比）") -> go.Figure:
    """One bar per indicator: actual as % of target, a marker at the expected-by-date share, a line at 100%."""
    rows = results[(results["period"] == PERIOD_WHOLE) & (results["target"].fillna(0) > 0)].copy()
    rows = rows.iloc[::-1]
    share = (100 * rows["actual"].fillna(0) / rows["target"]).clip(upper=150)
    expected = 100 * rows["expected"] / rows["target"]
    labels = [_short(n, 18) for n in rows["indicator_name"]]
    fig = go.Figure()
    fig.add_bar(x=share, y=labels, orientation="h", name="实际完成", text=[f"{v:.0f}%" for v in share],
                textposition="auto", marker_color=[STATUS_COLORS.get(s, "#90a4ae") for s in rows["status"]],
                customdata=rows[["indicator_name", "status"]].to_numpy(),
                hovertext=rows.apply(_hover, axis=1), hoverinfo="text")
    fig.add_scatter(x=expected, y=labels, mode="markers", name="按时间进度应达",
                    marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": "#37474f"}},
                    hovertemplate="应达 %{x:.0f}%<extra></extra>")
    fig.add_vline(x=100, line_dash="dash", line_color="#c62828", annotation_text="目标", annotation_position="top")
    fig.update_xaxes(title_text="占目标百分比（%）", range=[0, max(110, float(share.max() if len(share) else 0) + 10)])
    fig.update_yaxes(title_text="")
    return _layout(fig, title, height=max(240, 90 + 26 * len(rows)), showlegend=True)


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
    fig.update_xaxes(title_text="期间", type="category")
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return _layout(fig, title, height=320)


def trend_lines(frame: pd.DataFrame, x: str, y: str, color: str, title: str, y_title: str,
                x_title: str = "月份") -> go.Figure:
    """One line per value of ``color`` (e.g. station) over ``x`` (e.g. month)."""
    fig = go.Figure()
    for name, part in frame.groupby(color, sort=False):
        part = part.sort_values(x)
        fig.add_scatter(x=part[x].astype(str), y=part[y], mode="lines+markers", name=str(name),
                        hovertemplate=f"{name} %{{x}}：%{{y}}<extra></extra>")
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return _layout(fig, title, height=380)


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
    fig.update_xaxes(title_text="占指标数百分比（%）", range=[0, 100])
    fig.update_yaxes(autorange="reversed", title_text="站点")
    return _layout(fig, title, height=max(260, 100 + 32 * len(shares)))


def prepost_dumbbell(pairs: pd.DataFrame, by: str = "scale", title: str = "前后测平均分对比") -> go.Figure:
    """Mean pre-test and post-test score per ``by`` value, joined by a line (one row per pair in ``pairs``)."""
    means = pairs.groupby(by).agg(pre=("pre", "mean"), post=("post", "mean"), n=("pre", "size")).reset_index()
    labels = [f"{v}（n={n}）" for v, n in zip(means[by], means["n"])]
    fig = go.Figure()
    for label, pre, post in zip(labels, means["pre"], means["post"]):
        fig.add_scatter(x=[pre, post], y=[label, label], mode="lines", line={"color": "#b0bec5", "width": 4},
                        showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=means["pre"], y=labels, mode="markers", name="前测", marker={"size": 12, "color": "#90a4ae"},
                    hovertemplate="%{y} 前测均分 %{x:.1f}<extra></extra>")
    fig.add_scatter(x=means["post"], y=labels, mode="markers", name="后测", marker={"size": 12, "color": "#1565c0"},
                    hovertemplate="%{y} 后测均分 %{x:.1f}<extra></extra>")
    fig.update_xaxes(title_text="平均得分")
    fig.update_yaxes(title_text="量表")
    return _layout(fig, title, height=max(220, 100 + 40 * len(means)))


def score_bars(results: pd.DataFrame, by: str = "domain", title: str = "各领域得分") -> go.Figure:
    """Points earned against points available, summed per ``by`` (the 全期 rows)."""
    rows = results[results["period"] == PERIOD_WHOLE]
    sums = rows.groupby(by, sort=False)[["points", "score"]].sum()
    fig = go.Figure()
    fig.add_bar(x=list(sums.index), y=sums["points"], name="满分", marker_color="#cfd8dc")
    fig.add_bar(x=list(sums.index), y=sums["score"], name="得分", marker_color="#2e7d32")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="领域")
    fig.update_yaxes(title_text="分值", rangemode="tozero")
    return _layout(fig, title, height=340)
