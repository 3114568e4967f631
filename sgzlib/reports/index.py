"""The report folder's front page: ``out/index.html`` linking every report written there, grouped by station.

Each ``sgz report`` batch records what it wrote in a small manifest in the
output folder (``.sgz-reports.json``: kind, target, station, as-of date and
the files of each report) and rebuilds ``index.html`` from it, so the page
lists the reports of every batch run into that folder, not only the last one.
A report is keyed by kind, target and as-of date: writing it again replaces
its entry; an entry whose files were deleted is dropped.

The page goes through the reports' own nbconvert template (same fonts, colours
and tables) without plotly.js, and like the reports it fetches nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..workbench import open_index
from .display import KPI_METADATA
from .html import _exporter
from .jobs import KIND_NAMES

MANIFEST = ".sgz-reports.json"
INDEX = "index.html"
TITLE = "报告目录"
FORMAT_NAMES = {"html": "网页（HTML）", "pdf": "PDF", "ipynb": "笔记本（ipynb）", "xlsx": "评分表（Excel）",
                "record": "督导记录（Excel，督导后填写导入）"}
FORMAT_ORDER = ("html", "pdf", "xlsx", "record", "ipynb")
# Workbooks listed with a report but not counted among its formats: format → what the summary calls them.
WORKBOOKS = {"xlsx": "评分表", "record": "督导记录工作簿"}
# Spreadsheets and tables written next to the report folders (e.g. by `sgz evaluate --out out/…`).
OTHER_SUFFIXES = (".xlsx", ".csv", ".json")
# Reports about several stations: listed in sections of their own, not under a station.
ACROSS_STATIONS = ("district", "digest")


@dataclass
class Entry:
    """One report in the folder: what it is, for whom, as of when, and its files (paths relative to the folder)."""

    kind: str
    target: str
    label: str
    as_of: str
    station: str | None = None
    station_name: str | None = None
    district: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.target, self.as_of


def entries_for(results, out_dir: str | os.PathLike, db_url: str | None) -> list[Entry]:
    """Manifest entries for a batch's successful reports (station, name and district looked up in the database)."""
    out_dir = Path(out_dir)
    done = [r for r in results if r.ok and r.files]
    if not done:
        return []
    index = open_index(db_url).ds
    stations = index.stations.set_index("code")
    project_station = index.projects.set_index("code")["station_code"]
    entries = []
    for r in done:
        params = r.job.parameters
        station = params.get("station") or (project_station.get(params["project"]) if "project" in params else None)
        known = station is not None and station in stations.index
        district = params.get("district") or (stations.at[station, "district"] if known else None)
        entries.append(Entry(
            kind=r.job.kind, target=r.job.target, label=r.job.label, as_of=str(params.get("as_of") or ""),
            station=station, station_name=stations.at[station, "name"] if known else None,
            district=None if district is None or district != district else str(district),
            files={fmt: _relative(path, out_dir) for fmt, path in r.files.items()}))
    return entries


def record(out_dir: str | os.PathLike, entries: list[Entry]) -> Path:
    """Add ``entries`` to the folder's manifest (replacing older ones of the same report) and rebuild the page."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged = {e.key: e for e in read_manifest(out_dir)}
    merged.update({e.key: e for e in entries})
    _atomic_write(out_dir / MANIFEST, json.dumps([asdict(e) for e in merged.values()], ensure_ascii=False, indent=1))
    return write_index(out_dir)


def read_manifest(out_dir: str | os.PathLike) -> list[Entry]:
    """The entries of the folder's manifest whose files still exist (each keeps only its existing files)."""
    out_dir = Path(out_dir)
    try:
        raw = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    entries = []
    for item in raw if isinstance(raw, list) else []:
        try:
            entry = Entry(**item)
        except TypeError:
            continue
        entry.files = {fmt: rel for fmt, rel in entry.files.items() if (out_dir / rel).is_file()}
        if entry.files:
            entries.append(entry)
    return entries


def write_index(out_dir: str | os.PathLike) -> Path:
    """Write ``out_dir/index.html`` from the manifest; returns its path."""
    out_dir = Path(out_dir)
    page = render(read_manifest(out_dir), other_files(out_dir), out_dir=out_dir)
    path = out_dir / INDEX
    _atomic_write(path, page)
    return path


def other_files(out_dir: Path) -> list[str]:
    """Tables written straight into the folder (not reports), relative to it."""
    return sorted(p.name for p in out_dir.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in OTHER_SUFFIXES)


def render(entries: list[Entry], others: list[str] = (), generated: dt.datetime | None = None,
           out_dir: Path | None = None) -> str:
    """The index page: district overviews and supervisors' digests first, then one section per station, then
    other tables."""
    import nbformat

    body = _body(entries, others, generated or dt.datetime.now(), out_dir)
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = TITLE
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body})]
    nb.cells = [cell]
    page, _ = _exporter().from_notebook_node(nb, resources={"sgz_plotly_tag": "", "metadata": {"name": TITLE}})
    return page


# What each kind of report is for: the index tells a supervision report (the year's progress on a day)
# from a year-end assessment (the result when the project ends).
KIND_PURPOSE = {
    "station": "为下一次督导做准备：截至当日的进度、落后的指标、需要关注的个案和小组、行动项",
    "assessment": "项目结束时的验收评估：每项指标是否达标、佐证与未计入的记录、前后测成效、评分表",
    "district": "区县内各站的比较：排名、指标状态、月度趋势、建议优先走访的站点",
    "digest": "一位督导者负责的各站，每站一页要点",
}
# The figures of a report's headline cards shown in the index at a glance (``display.kpis`` records them).
GLANCE = {"station": ("落后", "未达标"), "assessment": ("达标", "未达标", "待核验")}
DASHBOARD_URL = "http://127.0.0.1:8866/"


def _body(entries: list[Entry], others, generated: dt.datetime, out_dir: Path | None = None) -> str:
    districts = sorted((e for e in entries if e.kind == "district"), key=lambda e: (e.target, e.as_of))
    digests = sorted((e for e in entries if e.kind == "digest"), key=lambda e: (e.target, e.as_of))
    by_station: dict[str, list[Entry]] = {}
    for e in entries:
        if e.kind not in ACROSS_STATIONS:
            by_station.setdefault(e.station or e.target, []).append(e)
    order = sorted(by_station, key=lambda s: (_district_of(by_station[s]), s))
    parts = [f"<h1>{TITLE}</h1>",
             f'<p class="sgz-empty">生成于 {generated:%Y-%m-%d %H:%M}；共 {len(entries)} 份报告。'
             "全部文件可离线打开；离开站点的报告已脱敏。</p>"]
    if not entries:
        parts.append('<p class="sgz-empty">这个文件夹里还没有报告。</p>')
    kinds = [k for k in KIND_NAMES if any(e.kind == k for e in entries)]
    if kinds:
        parts.append('<div class="sgz-note">' + "<br>".join(
            f"<b>{KIND_NAMES[k]}</b>（截至 {html.escape('、'.join(_dates(entries, k)))}）：{KIND_PURPOSE[k]}"
            for k in kinds) + "</div>")
    if by_station:
        parts.append("<h2>各站一览</h2>")
        parts.append(_glance(order, by_station, out_dir))
    if districts:
        parts.append("<h2>区县概览</h2>")
        parts.append(_table(districts, first="区县"))
    if digests:
        parts.append("<h2>督导简报</h2>")
        parts.append(_table(digests, first="督导者或站点"))
    parts.append(_dashboards(entries))
    for station in order:
        items = sorted(by_station[station], key=lambda e: (list(KIND_NAMES).index(e.kind), e.as_of, e.target))
        name = next((e.station_name for e in items if e.station_name), None)
        district = _district_of(items)
        heading = html.escape(f"{station} {name}" if name else station)
        parts.append(f'<h2 id="station-{html.escape(station)}">{heading}'
                     + (f' <small class="sgz-empty">{html.escape(district)}</small>' if district else "") + "</h2>")
        parts.append(_table(items, first="报告"))
    if others:
        parts.append("<h2>其他表格</h2><ul>"
                     + "".join(f'<li><a href="{_href(o)}">{html.escape(o)}</a></li>' for o in others) + "</ul>")
    notebooks = [e for e in entries if "ipynb" in e.files]
    if notebooks:
        parts.append("<details><summary>供技术人员：执行后的笔记本文件（ipynb）</summary><ul>"
                     + "".join(f'<li><a href="{_href(e.files["ipynb"])}">{html.escape(_what(e))}（{html.escape(e.as_of)}）'
                               "</a></li>" for e in notebooks) + "</ul></details>")
    return "\n".join(parts)


def _dates(entries: list[Entry], kind: str) -> list[str]:
    return sorted({e.as_of for e in entries if e.kind == kind and e.as_of})


def _glance(order: list[str], by_station: dict[str, list[Entry]], out_dir: Path | None) -> str:
    """One row per station: the headline figures of its latest supervision report and assessment."""
    rows = []
    for station in order:
        items = by_station[station]
        name = next((e.station_name for e in items if e.station_name), station)
        cells = []
        for kind, wanted in GLANCE.items():
            mine = sorted((e for e in items if e.kind == kind), key=lambda e: e.as_of)
            if not mine:
                cells.append("<td>—</td>")
                continue
            latest = mine[-1]
            cards = _cards(latest, out_dir)
            figures = "，".join(f'<span class="sgz-status-{w}">{w} {cards[w]}</span>' for w in wanted if w in cards)
            cells.append(f"<td>截至 {html.escape(latest.as_of)}：{figures or '见报告'}</td>")
        rows.append(f'<tr><td><a href="#station-{html.escape(station)}">{html.escape(str(name))}</a></td>'
                    + "".join(cells) + "</tr>")
    head = "".join(f"<th>{KIND_NAMES[k]}</th>" for k in GLANCE)
    return (f'<table class="sgz-table"><thead><tr><th>站点</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _cards(entry: Entry, out_dir: Path | None) -> dict[str, object]:
    """The headline cards a report showed (label → value), read from its executed notebook; {} if none."""
    rel = entry.files.get("ipynb")
    if out_dir is None or not rel:
        return {}
    try:
        nb = json.loads((Path(out_dir) / rel).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            cards = output.get("metadata", {}).get(KPI_METADATA)
            if isinstance(cards, dict):
                return cards
    return {}


def _dashboards(entries: list[Entry]) -> str:
    """Where the dashboards are, and on which date they should be read next to the supervision reports."""
    dates = _dates(entries, "station")
    when = (f"与本目录的督导报告对照时，请在看板上把截至日期设为 {dates[-1]}（看板顶部写明它的日期）。"
            if dates else "看板顶部写明它所显示的日期。")
    return ("<h2>看板</h2>"
            f'<p>项目进度、服务成效、个案与小组三个看板在看板服务启动后打开：<a href="{DASHBOARD_URL}">{DASHBOARD_URL}</a>'
            f"（只在本机）。{html.escape(when)}</p>")


def _district_of(items: list[Entry]) -> str:
    return next((e.district for e in items if e.district), "")


def _what(e: Entry) -> str:
    return e.label if e.kind in ACROSS_STATIONS else f"{KIND_NAMES[e.kind]}（{e.target}）"


def _table(items: list[Entry], first: str) -> str:
    rows = []
    for e in items:
        links = "　".join(f'<a href="{_href(e.files[fmt])}">{FORMAT_NAMES.get(fmt, fmt)}</a>'
                          for fmt in sorted(e.files, key=_format_rank) if fmt != "ipynb")
        rows.append(f"<tr><td>{html.escape(_what(e))}</td><td>{html.escape(KIND_PURPOSE.get(e.kind, ''))}</td>"
                    f"<td>{html.escape(e.as_of)}</td><td>{links}</td></tr>")
    return (f'<table class="sgz-table"><thead><tr><th>{first}</th><th>用途</th><th>截至日期</th><th>文件</th></tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _format_rank(fmt: str) -> int:
    return FORMAT_ORDER.index(fmt) if fmt in FORMAT_ORDER else len(FORMAT_ORDER)


def _href(relative: str) -> str:
    return html.escape(urllib.parse.quote(Path(relative).as_posix()), quote=True)


def _relative(path, out_dir: Path) -> str:
    return os.path.relpath(Path(path).resolve(), out_dir.resolve())


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def summary(out_dir: str | os.PathLike) -> list[str]:
    """Chinese lines saying what the folder holds and where to start (the close of ``make demo``)."""
    out_dir = Path(out_dir)
    entries = read_manifest(out_dir)
    page = out_dir / INDEX
    lines = [f"已写入 {out_dir}/："]
    for kind, name in KIND_NAMES.items():
        mine = [e for e in entries if e.kind == kind]
        if not mine:
            continue
        formats = sorted({fmt for e in mine for fmt in e.files}, key=_format_rank)
        extra = "".join(f"，另有{what} {n} 份" for fmt, what in WORKBOOKS.items()
                        if (n := sum(fmt in e.files for e in mine)))
        lines.append(f"  {name} {len(mine)} 份（{'、'.join(f for f in formats if f not in WORKBOOKS)}{extra}）")
    for other in other_files(out_dir):
        lines.append(f"  {other}")
    if not entries:
        lines.append("  （还没有报告）")
    lines.append(f"从这里开始：用浏览器打开 {page}（{page.resolve().as_uri()}），按站点列出全部报告、评分表和区县概览。")
    return lines
