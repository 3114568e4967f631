"""What notebook cells call to show things: tables, figures, headline figures, banners.

Figures go out as HTML without plotly.js (the report's ``<head>`` names the
folder's shared copy, ``html.write_plotly``) and as plotly JSON for JupyterLab; tables as plain escaped HTML with
Chinese headers. Nothing here computes anything.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..domain import personal
from ..domain.figures import is_number_column, number_text

LONG_COLUMNS = {"说明", "原因", "内容", "计分规则", "未计入原因（条数）", "计入记录（前 10 条）", "关注原因", "缺少的文书"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def header(title: str, subtitle: str = "") -> None:
    """The report's title (also the HTML page title) and a line saying what it covers."""
    display(Markdown(f"# {title}\n\n{subtitle}"), metadata={"sgz_title": title})


def figure(fig) -> None:
    """Show a plotly figure that renders offline in the exported HTML and in JupyterLab (``None``: nothing)."""
    if fig is None:
        return
    title = fig.layout.title.text or "图表"
    html_div = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, config=PLOTLY_CONFIG)
    display({"text/html": html_div, "application/vnd.plotly.v1+json": fig.to_plotly_json(),
             "text/plain": f"〔图表：{title}〕"}, raw=True)


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


is_numeric_column = is_number_column


def _is_code(column) -> bool:
    """A column of codes (指标编号, 个案编号, 人员编码 …): kept on one line, broken only at its hyphens."""
    return str(column).endswith(("编号", "编码"))


def note(text: str) -> None:
    """A boxed sentence saying how to read what follows (a rule, a scheme, a caveat); nothing when empty."""
    if text:
        display(HTML(f'<div class="sgz-note">{html.escape(text)}</div>'))


def table_html(frame: pd.DataFrame, empty: str = "无", status_column: str | None = "状态") -> str:
    """An escaped HTML table of ``frame`` (columns already in Chinese); ``empty`` when it has no rows."""
    if frame is None or frame.empty:
        return f'<p class="sgz-empty">{html.escape(empty)}</p>'
    numeric = {c for c in frame.columns if is_numeric_column(frame[c])}
    num_class = ' class="sgz-num"'
    head = "".join(f"<th{num_class if c in numeric else ''}>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, values):
            text = html.escape(_cell(value))
            classes = (["sgz-num"] if col in numeric else []) + (["sgz-long"] if col in LONG_COLUMNS else []) + \
                (["sgz-code"] if _is_code(col) else []) + ([f"sgz-status-{text}"] if col == status_column and text else [])
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="sgz-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def figures(figs) -> None:
    """Show several figures (e.g. one heatmap per catalogue), given as figures or (name, figure) pairs."""
    for item in figs:
        figure(item[1] if isinstance(item, tuple) else item)


def table(frame: pd.DataFrame, empty: str = "无", caption: str | None = None) -> None:
    """Show ``frame`` as a table (a note ``empty`` when it has no rows)."""
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    display(HTML(cap + table_html(frame, empty)))


KPI_METADATA = "sgz_kpis"  # the output metadata under which the tiles' figures are kept (read by the index)


def kpis(items: list[tuple[str, object, bool]]) -> None:
    """Headline figures as tiles: (label, value, needs attention); the figures also go into the output's
    metadata (``KPI_METADATA``), so the report folder's index can show them at a glance."""
    tiles = "".join(f'<div class="sgz-kpi{" bad" if bad else ""}"><div class="v">{html.escape(_cell(v))}</div>'
                    f'<div class="l">{html.escape(label)}</div></div>' for label, v, bad in items)
    figures = {label: v if isinstance(v, (int, str)) else _cell(v) for label, v, _ in items}
    display(HTML(f'<div class="sgz-kpis">{tiles}</div>'), metadata={KPI_METADATA: figures})


def banner(masked: bool, extra: str = "", output: str = "assessment") -> None:
    """The privacy banner every report carries at the top: what is masked for the audience of ``output``
    (``domain.personal``)."""
    if masked:
        text, cls = personal.notice(personal.audience_of(output)), "masked"
    else:
        text, cls = "本报告使用了 --unmasked：含未脱敏的个人信息（姓名、联系电话），仅限本站内部使用，不得外传。", "unmasked"
    display(HTML(f'<div class="sgz-banner {cls}">{html.escape(text + extra)}</div>'))


def notice(message: str) -> None:
    """A highlighted notice under the banner (e.g. a station without records yet); nothing when empty."""
    if message:
        display(HTML(f'<div class="sgz-banner notice">{html.escape(message)}</div>'))


def legend(title: str, items: list[tuple[str, str]]) -> None:
    """A compact legend: each (number, full name) pair in a running paragraph under ``title``."""
    body = "　".join(f'<span class="sgz-legend-item"><b>{html.escape(str(k))}</b> {html.escape(str(v))}</span>'
                    for k, v in items)
    display(HTML(f'<p><b>{html.escape(title)}</b></p><p class="sgz-legend">{body}</p>'))


def legends(groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """One ``legend`` per (title, items) group, in order (e.g. the indicator numbers of each catalogue)."""
    for title, items in groups:
        legend(title, items)


def text(markdown: str) -> None:
    """A paragraph of Markdown computed by the library (titles, sentences with figures)."""
    display(Markdown(markdown))


def html_page(page) -> None:
    """Show a page object that renders itself as HTML (e.g. ``photo_evidence.PhotoEvidence``)."""
    display(HTML(page.html()))
