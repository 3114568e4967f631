"""The widget layer shared by the dashboards: filters, panels, and redrawing only what changed.

A ``Board`` holds named filter widgets and panels. Each panel names the
filters it depends on; when a filter changes, only those panels are redrawn.
Filters that depend on other filters (the station list of a district, the
cases of a station) are refreshed by ``link`` hooks first, in one batch, so a
single user action redraws each affected panel once.

A panel's render function returns a plotly figure, a DataFrame (shown as a
table), an HTML string or a widget; errors become a Chinese message in the
panel instead of a traceback.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging
from collections.abc import Callable, Iterable

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..domain import figures
from ..errors import SgzError
from .chart import Chart, spec_json

log = logging.getLogger(__name__)


def dropdown(label: str, options, value=None, width: str = "320px") -> w.Dropdown:
    options = list(options)
    if value is None and options:
        first = options[0]
        value = first[1] if isinstance(first, tuple) else first
    return w.Dropdown(description=label, options=options, value=value,
                      style={"description_width": "initial"}, layout=w.Layout(width=width))


def date_picker(label: str, value: dt.date) -> w.DatePicker:
    return w.DatePicker(description=label, value=value, style={"description_width": "initial"},
                        layout=w.Layout(width="220px"))


def toggles(label: str, options, value=None) -> w.ToggleButtons:
    options = list(options)
    first = options[0][1] if isinstance(options[0], tuple) else options[0]
    return w.ToggleButtons(description=label, options=options, value=value or first,
                           style={"description_width": "initial", "button_width": "auto"})


class Panel:
    """One area of a dashboard, redrawn from the board's state by ``render``.

    A ``figure`` panel shows a plotly figure in a ``Chart`` (redrawn in place when the figure
    changes) or, when there is nothing to draw, a message under its title; a ``html`` panel is a
    single HTML widget showing a table, key figures or a message, under its title.
    """

    def __init__(self, name: str, title: str, render: Callable[[dict], object], depends: Iterable[str],
                 kind: str = "html"):
        self.name = name
        self.title = title
        self.render = render
        self.depends = frozenset(depends)
        self.kind = kind
        self.draws = 0
        self._shown: str | None = None  # what a figure panel shows now: the figure's JSON or the message's HTML
        self._chart: Chart | None = None  # made with the first figure, then kept: Plotly.react redraws it
        self._note: w.HTML | None = None
        self.widget = w.Box(layout=w.Layout(display="block")) if kind == "figure" else w.HTML()
        self.widget.add_class("sgz-panel")
        self.widget.add_class(f"sgz-panel-{name}")

    def draw(self, state: dict) -> None:
        try:
            content = self.render(state)
        except SgzError as exc:
            content = message(str(exc))
        except Exception as exc:  # a panel must never leave a traceback on the page
            log.exception("panel %s failed", self.name)
            content = message(f"这一部分没能显示（{type(exc).__name__}：{exc}）。请联系管理员并附上当时的筛选条件。")
        self.draws += 1
        if isinstance(content, pd.DataFrame):
            content = table(content, name=self.title or self.name)
        if self.kind != "figure":
            self.widget.value = self._titled(content or "")
            return
        key = spec_json(content) if isinstance(content, go.Figure) else self._titled(content or "")
        if key == self._shown:  # what the page shows already: the browser need not draw it again
            return
        self._shown = key
        if isinstance(content, go.Figure):
            if self._chart is None:
                self._chart = Chart()
            self._chart.show(key)
            shown = self._chart
        else:
            if self._note is None:
                self._note = w.HTML()
            self._note.value = key
            shown = self._note
        if self.widget.children != (shown,):
            self.widget.children = (shown,)

    def _titled(self, body: str) -> str:
        head = f'<div class="sgz-title">{html.escape(self.title)}</div>' if self.title else ""
        return head + body


class Board:
    """Named filters and the panels that depend on them."""

    def __init__(self, title: str = ""):
        self.title = title
        self.controls: dict[str, w.ValueWidget] = {}
        self.panels: list[Panel] = []
        self.links: list[tuple[frozenset, Callable[[dict], None]]] = []
        self._pending: set[str] | None = None

    def control(self, name: str, widget: w.ValueWidget) -> w.ValueWidget:
        self.controls[name] = widget
        widget.add_class(f"sgz-filter-{name}")
        widget.observe(lambda change, name=name: self._changed(name), names="value")
        return widget

    def panel(self, name: str, title: str, render: Callable[[dict], object], depends: Iterable[str],
              kind: str = "html") -> Panel:
        panel = Panel(name, title, render, depends, kind)
        self.panels.append(panel)
        return panel

    def link(self, depends: Iterable[str], update: Callable[[dict], None]) -> None:
        """Run ``update(state)`` (which may reset other filters) before redrawing when ``depends`` change."""
        self.links.append((frozenset(depends), update))

    @property
    def state(self) -> dict:
        return {name: widget.value for name, widget in self.controls.items()}

    def _changed(self, name: str) -> None:
        if self._pending is not None:  # inside a batch: remember, redraw once at the end
            self._pending.add(name)
            return
        self.update({name})

    def update(self, changed: set[str] | None = None) -> None:
        """Apply the links, then redraw the panels that depend on what changed (all when ``None``)."""
        self._pending = set(changed or ())
        try:
            for depends, hook in self.links:  # in the order registered: upstream filters first
                if changed is None or depends & self._pending:
                    hook(self.state)
            changed_now = None if changed is None else set(self._pending)
        finally:
            self._pending = None
        for panel in self.panels:
            if changed_now is None or panel.depends & changed_now:
                panel.draw(self.state)

    def set_options(self, name: str, options: list, default=None) -> None:
        """Replace a dropdown's options, keeping the current value when it is still offered.

        Otherwise the value becomes ``default`` (when offered) or the first option.
        """
        widget = self.controls[name]
        if tuple(widget.options) == tuple(options):
            return
        current = widget.value
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        widget.options = options
        fallback = default if default in values else (values[0] if values else None)
        widget.value = current if current in values else fallback


def side_by_side(*widgets: w.Widget) -> w.HBox:
    """Panels in one row, sharing its width equally.

    Each panel's width comes from the row, not from what it shows, so a chart in it is laid out once at
    its final width (a panel as wide as its content gets plotly's default 700 px first, is squeezed to
    fit the row, and its chart is drawn again).
    """
    for widget in widgets:
        widget.layout.flex = "1 1 0%"
        widget.layout.min_width = "0"
    return w.HBox(list(widgets), layout=w.Layout(width="100%"))


def message(text: str, kind: str = "empty") -> str:
    return f'<div class="sgz-{kind}">{html.escape(text)}</div>'


def kpis(items: Iterable[tuple[str, object, bool]]) -> str:
    """A row of key figures: (label, value, warn)."""
    cells = "".join(
        f'<div class="sgz-kpi{" warn" if warn else ""}" data-label="{html.escape(label)}">'
        f'<div class="label">{html.escape(label)}</div><div class="value">{html.escape(str(value))}</div></div>'
        for label, value, warn in items)
    return f'<div class="sgz-kpis">{cells}</div>'


def downloads(frame: pd.DataFrame, name: str = "表格") -> str:
    """Links that save ``frame`` as CSV (UTF-8 with BOM, opens in Excel and WPS) and as an Excel workbook."""
    csv = base64.b64encode(frame.to_csv(index=False).encode("utf-8-sig")).decode("ascii")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name="数据", engine="openpyxl")
    xlsx = base64.b64encode(buffer.getvalue()).decode("ascii")
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    safe = html.escape(name)
    return (f'<div class="sgz-downloads">下载本表：<a download="{safe}.csv" href="data:text/csv;base64,{csv}">CSV</a>'
            f' · <a download="{safe}.xlsx" href="data:{mime};base64,{xlsx}">Excel</a></div>')


# A table longer than this shows its first rows and says how many there are (the downloads hold every row):
# thousands of rows made the progress board of a 100-station district slow to draw.
MAX_ROWS = 200


def table(frame: pd.DataFrame, empty: str = "没有符合条件的记录。", scroll: bool = True, name: str | None = None,
          limit: int | None = MAX_ROWS) -> str:
    """An HTML table of ``frame`` (columns already in Chinese), numbers right-aligned.

    ``name``: offer CSV and Excel downloads of the (whole) table under this file name. ``limit``: show at most
    this many rows, the first ones, with a note saying how many there are (``None``: all).
    """
    if frame.empty:
        return message(empty)
    whole = frame
    cut = limit is not None and len(frame) > limit
    if cut:
        frame = frame.head(limit)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    numeric = [figures.is_number_column(frame[c]) for c in frame.columns]
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{_fmt(v)}</td>' if num else f"<td>{html.escape(_fmt(v))}</td>"
            for v, num in zip(values, numeric))
        rows.append(f"<tr>{cells}</tr>")
    body = f'<table class="sgz-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    body = f'<div class="sgz-scroll">{body}</div>' if scroll else body
    if cut:
        rest = "下载本表可得全部" if name else "请缩小筛选范围"
        body = message(f"共 {len(whole)} 行，这里列出前 {limit} 行；{rest}。", "note") + body
    return body + (downloads(whole, name) if name else "")


def _fmt(value) -> str:
    if value is None or (not isinstance(value, (str, tuple, list)) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float):
        return figures.number_text(value)  # as the reports and the CSV write it (domain.figures)
    if isinstance(value, pd.Timestamp | dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, tuple | list):
        return "、".join(map(str, value))
    return str(value)


def header(title: str, subtitle: str = "") -> w.HTML:
    """A page's title and what it is for (the way home is in the page's frame, ``shell``)."""
    sub = f'<div class="sgz-note">{html.escape(subtitle)}</div>' if subtitle else ""
    return w.HTML(f'<h2 class="sgz-page-title" style="margin:4px 0">{html.escape(title)}</h2>{sub}')


def dated_header(title: str, subtitle: str, as_of: w.DatePicker) -> w.VBox:
    """The board's title and, in large type under it, the date its figures are for, following the date picker:
    a board read next to a report shows which day it is about."""
    date = w.HTML(as_of_line(as_of.value))
    date.add_class("sgz-asof")
    as_of.observe(lambda change: setattr(date, "value", as_of_line(change["new"])), names="value")
    return w.VBox([header(title, subtitle), date])


def as_of_line(day) -> str:
    when = f"{day:%Y-%m-%d}" if day else "（未选择日期）"
    return (f'<div style="font-size:20px;font-weight:700;color:#0d47a1;margin:2px 0 6px">数据截至 {when}</div>')
