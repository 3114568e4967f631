"""A supervisor's digest across stations: one short page per station, for a supervisor who covers several.

Each page takes what the station's supervision report shows (``reports.station``: the same agenda, action
items and "since the last supervision" figures, computed by the same calls) and keeps the head of it:
the ``TOP_ITEMS`` most urgent agenda items, the overdue action items, and what changed since the station's
last session. Which stations a supervisor covers comes from the 督导者 of the 社工站 sheet, or where a station
names none from the sessions they led (``supervision_records.supervisor_stations``; the digest says which).
Always masked: the digest leaves the stations.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..domain import figures
from ..domain.labels import DATA_QUALITY, FORECAST_HEADERS, SINCE_CHANGES, WILL_MISS
from ..domain.supervision_records import INFERRED, stations_of_supervisor, supervisor_stations
from ..errors import ConfigError
from ..workbench import open_workbench
from . import data
from .display import table_html
from .station import StationReport
from .station import build as build_station
from .tables import forecast_table

TOP_ITEMS = 3  # agenda items per station
MAX_ROWS = 3  # rows of the other tables per station (the rest is counted: a page stays one page)


def _more(frame: pd.DataFrame, shown: int, what: str) -> str:
    rest = len(frame) - shown
    return f'<p class="sgz-empty">另有 {rest} {what}，见本站督导报告。</p>' if rest > 0 else ""


@dataclass
class StationPage:
    """One station's page of the digest."""

    report: StationReport
    first: bool = False
    source: str | None = None  # how the supervisor covers the station (``supervision_records.ASSIGNED`` / ``INFERRED``)

    @property
    def name(self) -> str:
        return str(self.report.station["name"])

    @property
    def code(self) -> str:
        return str(self.report.station["code"])

    @cached_property
    def agenda(self) -> pd.DataFrame:
        """The station report's agenda (most urgent first), all of it; the page shows the first ``TOP_ITEMS``."""
        return self.report.attention.agenda

    def top_items(self) -> pd.DataFrame:
        """The first agenda items, one line each, as the station report's agenda shows them."""
        return self.report.agenda().head(TOP_ITEMS).drop(columns="序号")

    @cached_property
    def overdue(self) -> pd.DataFrame:
        a = self.report.attention.actions
        return a[a["overdue"]].reset_index(drop=True)

    def overdue_table(self) -> pd.DataFrame:
        a = self.overdue.head(MAX_ROWS)
        return pd.DataFrame({"行动项": a["action"], "责任人": a["owner_code"].map(self.report.staff_name),
                             "督导日期": a["date"], "期限": a["due"], "逾期天数": a["days_overdue"].astype("Int64"),
                             "完成情况": a["status"]})

    def changes(self) -> str:
        """The changes since the station's last session: a sentence, status changes of indicators, last
        session's action items and what became of them."""
        rep = self.report
        since = rep.since_last
        parts = [f"<p>{html.escape(rep.since_summary())}</p>"]
        if since.previous is None:
            return "".join(parts)
        cases = since.cases
        if len(cases):
            listed = "；".join(f"{SINCE_CHANGES[k]} " + "、".join(cases.loc[cases["change"] == k, "code"].head(4))
                              + (" 等" if (cases["change"] == k).sum() > 4 else "")
                              for k in SINCE_CHANGES if (cases["change"] == k).any())
            parts.append(f"<p>{html.escape(listed)}</p>")
        ind = since.indicators
        if len(ind):
            shown = ind.head(MAX_ROWS)
            unit = shown["unit"].to_numpy(dtype=object)
            parts.append(table_html(pd.DataFrame({
                "状态有变化的指标": shown["indicator_name"], "上次督导时": shown["status_before"],
                "实际（上次）": figures.down(shown["actual_before"], unit), "现在": shown["status_after"],
                "实际（现在）": figures.down(shown["actual_after"], unit), "单位": shown["unit"],
                "状态": shown["status_after"]})))
            parts.append(_more(ind, len(shown), "项指标改变了状态"))
        acts = since.actions
        if len(acts):
            shown = acts.head(MAX_ROWS)
            parts.append(table_html(pd.DataFrame({
                "上次督导的行动项": shown["action"], "责任人": shown["owner_code"].map(self.report.staff_name),
                "上次督导时": shown["status_then"], "现在": shown["status"], "标记": shown["flags"].map("、".join)})))
            parts.append(_more(acts, len(shown), "项上次督导的行动项"))
        return "".join(parts)

    @cached_property
    def will_miss(self) -> pd.DataFrame:
        """The station report's indicators flagged 按当前进度年底无法达标 (mandatory first), each named by its
        number and short name."""
        rep = self.report
        return forecast_table(rep.results, rep.forecast, labels=True)

    def will_miss_text(self) -> str:
        """The first ``MAX_ROWS`` flagged indicators in one paragraph, each with what it still needs (the station
        report has their table): a table here would push the page past one page."""
        if self.will_miss.empty:
            return '<p class="sgz-empty">按当前进度，各项指标在项目期末都能达标</p>'
        f = self.will_miss.head(MAX_ROWS)
        needed = f[FORECAST_HEADERS["needed_text"]]
        items = [f"{label}（{need}）" if need else str(label) for label, need in zip(f["指标"], needed)]
        rest = len(self.will_miss) - len(f)
        more = f"；另有 {rest} 项，见本站督导报告" if rest > 0 else ""
        return f"<p>{html.escape('；'.join(items) + more)}。</p>"

    def html(self) -> str:
        att = self.report.attention
        facts = (f"截至 {data.fmt_date(self.report.as_of)}：议程 {len(self.agenda)} 项，逾期行动项 {len(self.overdue)} 项，"
                 f"需关注个案 {len(att.cases)} 个，风险小组 {len(att.groups)} 个，{WILL_MISS}的指标 {len(self.will_miss)} 项，"
                 f"{DATA_QUALITY}问题 {self.report.n_findings} 个。")
        if self.source == INFERRED:
            facts += "「社工站」表没有填写本站的督导者：按督导记录列入（本站的督导由这位督导者带领过）。"
        brk = "" if self.first else ' style="break-before: page; page-break-before: always;"'
        return (f'<section class="sgz-digest-station" data-station="{html.escape(self.code)}"{brk}>'
                f"<h2>{html.escape(self.name)}（{html.escape(self.code)}）</h2>"
                f'<p class="sgz-note">{html.escape(facts)}</p>'
                f"<h3>最需讨论的议程（前 {TOP_ITEMS} 项）</h3>"
                + table_html(self.top_items(), "本期没有需要特别讨论的事项", status_column=None)
                + _more(self.agenda, min(TOP_ITEMS, len(self.agenda)), "项议程")
                + f"<h3>逾期行动项（{len(self.overdue)}）</h3>"
                + table_html(self.overdue_table(), "没有逾期的行动项", status_column=None)
                + _more(self.overdue, min(MAX_ROWS, len(self.overdue)), "项逾期行动项")
                + f"<h3>{WILL_MISS}（{len(self.will_miss)}）</h3>" + self.will_miss_text()
                + "<h3>自上次督导以来</h3>" + self.changes() + "</section>")


@dataclass
class Digest:
    """The digest of ``stations`` on ``as_of``, for ``supervisor`` (or for a list of stations)."""

    supervisor: str | None
    as_of: dt.date
    pages: list[StationPage]

    @property
    def title(self) -> str:
        return f"督导简报（{self.supervisor}）" if self.supervisor else f"督导简报（{len(self.pages)} 个站点）"

    @property
    def subtitle(self) -> str:
        names = "、".join(p.name for p in self.pages)
        who = f"{self.supervisor}督导的站点" if self.supervisor else "所选站点"
        inferred = [p.name for p in self.pages if p.source == INFERRED]
        how = ""
        if self.supervisor:
            how = ("（按「社工站」表填写的督导者）" if not inferred else
                   f"（{'、'.join(inferred)}的「社工站」表没有填写督导者，按督导记录列入这位督导者带领过督导的站点）")
        return (f"截至 {data.fmt_date(self.as_of)}　{who}{how} {len(self.pages)} 个：{names}。"
                f"每站一页：最需讨论的 {TOP_ITEMS} 项议程、逾期行动项、自上次督导以来的变化（详见各站督导报告）。")

    def html(self) -> str:
        return "".join(p.html() for p in self.pages)


def build(db_url: str | None, stations: list[str] | None, as_of, supervisor: str | None = None,
          period: str = "month") -> Digest:
    """The digest of ``stations`` (or, when ``None``, of every station ``supervisor`` covers) on ``as_of``.

    Raises a Chinese ``NotFoundError`` for an unknown station or supervisor (naming the known supervisors).
    """
    as_of = data.as_date(as_of)
    sources: dict[str, str] = {}
    if not stations:
        if not supervisor:
            raise ConfigError("督导简报需要督导者姓名或站点编码")
        ds = open_workbench(db_url, masked=False).ds
        stations = stations_of_supervisor(ds, supervisor, as_of)
        cover = supervisor_stations(ds, as_of)
        mine = cover[cover["supervisor"] == supervisor.strip()]
        sources = dict(zip(mine["station_code"], mine["source"]))
    wb = open_workbench(db_url, stations=stations, masked=True, as_of=as_of, output="digest")
    pages = [StationPage(build_station(db_url, code, as_of, period, workbench=wb), first=i == 0,
                         source=sources.get(code)) for i, code in enumerate(stations)]
    return Digest(supervisor, as_of, pages)
