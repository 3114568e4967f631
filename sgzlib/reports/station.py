"""The per-station supervision report: everything its notebook shows, as display-ready frames and figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..analysis import supervision, supervision_cycle
from ..charts import plots as charts
from ..domain import caseload, figures
from ..domain.caseload import MAX_OPEN_CASES
from ..domain.dataset import Dataset
from ..domain.labels import (
    ACTION_OPEN,
    BEHIND,
    DATA_QUALITY,
    MET,
    MISSED,
    NOT_STARTED,
    ON_TRACK,
    PERIOD_KIND_LABELS,
    PERIOD_WHOLE,
    SINCE_CHANGES,
    TO_VERIFY,
    WILL_MISS,
)
from ..domain.supervision_records import sessions
from ..indicators.evidence import service_evidence
from ..ledger.supervision_book import write_session_workbook
from ..workbench import Workbench, open_workbench
from . import data
from .photo_evidence import build as build_photos
from .tables import (
    INDICATOR_COLUMNS,
    count_verdict,
    forecast_table,
    indicator_table,
    outcome_people,
    quality_table,
)

PERIOD_NAMES = {k: PERIOD_KIND_LABELS[k] for k in ("month", "quarter")}
PROGRESS_ROWS = 30  # indicators per progress chart: 30 bars fit on an A4 page with their heading


@dataclass
class StationReport:
    """One station on one date, masked unless the report stays in the station."""

    ds: Dataset
    station: pd.Series
    project: pd.Series | None
    as_of: dt.date
    period: str
    masked: bool
    results: pd.DataFrame
    attention: supervision.Attention
    db_url: str | None = None  # where the photo index and thumbnails are (the evidence page)
    max_open_cases: int = MAX_OPEN_CASES  # caseload: a worker with more open cases is flagged
    forecast: pd.DataFrame | None = None  # ``Workbench.forecast`` of the station's project
    findings: pd.DataFrame | None = None  # ``Workbench.quality`` of the station (数据质量)

    @property
    def title(self) -> str:
        return f"{self.station['name']}督导报告"

    @property
    def subtitle(self) -> str:
        start, end, label = data.period_bounds(self.as_of, self.period)
        project = "（无在执行项目）" if self.project is None else \
            f"项目 {self.project['code']}（指标清单 {data.catalogue_title(self.project['catalogue'])}" + \
            (f"，{self.project['tier']}档" if pd.notna(self.project['tier']) else "") + "）"
        provider = self.station["provider"] if pd.notna(self.station["provider"]) else "—"
        return (f"站点编码 {self.station['code']}　承接机构 {provider}　{project}　"
                f"截至 {data.fmt_date(self.as_of)}　督导周期：按{PERIOD_NAMES[self.period]}（本期 {label}）")

    @property
    def no_records(self) -> str:
        """The notice shown when the station has no records yet ("" once it has)."""
        return data.no_records_note(self.ds, "本站")

    @cached_property
    def _evidence(self) -> pd.DataFrame:
        ev = service_evidence(self.ds)
        return ev[ev["station_code"].isin(self.ds.descendants(self.station["code"]))
                  & (ev["date"] <= pd.Timestamp(self.as_of))]

    def headline(self) -> list[tuple[str, object, bool]]:
        summary = self.results[self.results["period"] == PERIOD_WHOLE] if not self.results.empty else self.results
        counts = summary["status"].value_counts() if not summary.empty else pd.Series(dtype=int)
        start, end, label = data.period_bounds(self.as_of, self.period)
        ev = self._evidence
        current = ev[ev["date"] >= start]
        att = self.attention
        return [
            ("指标总数", len(summary), False),
            (MET, int(counts.get(MET, 0)), False),
            (ON_TRACK, int(counts.get(ON_TRACK, 0)), False),
            (BEHIND, int(counts.get(BEHIND, 0)), counts.get(BEHIND, 0) > 0),
            (MISSED, int(counts.get(MISSED, 0)), counts.get(MISSED, 0) > 0),
            (TO_VERIFY, int(counts.get(TO_VERIFY, 0)), counts.get(TO_VERIFY, 0) > 0),
            (NOT_STARTED, int(counts.get(NOT_STARTED, 0)), False),
            (f"本期（{label}）有效服务", f"{int(current['valid'].sum())}/{len(current)}", bool((~current['valid']).any())),
            ("需关注个案", len(att.cases), len(att.cases) > 0),
            ("风险小组", len(att.groups), len(att.groups) > 0),
            ("佐证问题", len(att.evidence), len(att.evidence) > 0),
            ("逾期行动项", int(att.actions["overdue"].sum()), bool(att.actions["overdue"].any())),
            (WILL_MISS, self.n_will_miss, self.n_will_miss > 0),
            (DATA_QUALITY + "问题", self.n_findings, self.n_findings > 0),
        ]

    @property
    def n_will_miss(self) -> int:
        """Indicators flagged 按当前进度年底无法达标."""
        return int(self.forecast["will_miss"].sum()) if self.forecast is not None and len(self.forecast) else 0

    @property
    def n_findings(self) -> int:
        return len(self.findings) if self.findings is not None else 0

    def indicators(self) -> pd.DataFrame:
        """Every indicator of the station's catalogue (全期 row), behind-pace ones first, with the forecast."""
        return indicator_table(self.results, forecast=self.forecast)

    def forecast_table(self) -> pd.DataFrame:
        """The indicators that will not be met by the end of the project at the pace so far, and what it takes."""
        return forecast_table(self.results, self.forecast)

    def quality(self) -> pd.DataFrame:
        """The station's data-quality findings (``analysis.quality``): what, which month, why, which records."""
        return quality_table(self.findings)

    def current_period(self) -> pd.DataFrame:
        """Per-period indicators in the current month or quarter."""
        _, _, label = data.period_bounds(self.as_of, self.period)
        rows = self.results[self.results["period"] == label] if not self.results.empty else self.results
        return indicator_table(rows, with_period=True)

    def progress_figures(self) -> list:
        """The progress chart, split into parts of at most ``PROGRESS_ROWS`` indicators so each fits on a page."""
        if self.results.empty:
            return []
        whole = self.results[(self.results["period"] == PERIOD_WHOLE) & (self.results["target"].fillna(0) > 0)]
        ids = list(dict.fromkeys(whole["indicator_id"]))
        parts = [ids[i:i + PROGRESS_ROWS] for i in range(0, len(ids), PROGRESS_ROWS)]
        title = "指标完成进度（占目标百分比，竖线为截至日期应达进度）"
        return [charts.progress_bullets(whole[whole["indicator_id"].isin(part)],
                                        title=title + (f"（{k}/{len(parts)}）" if len(parts) > 1 else ""))
                for k, part in enumerate(parts, 1)]

    def period_figure(self):
        """Status of the per-period indicators, indicator × period (None when the catalogue has none)."""
        kind = self.period
        rows = self.results[self.results["period_kind"] == kind] if not self.results.empty else self.results
        if rows.empty:
            return None
        return charts.period_heatmap(rows, title=f"按{PERIOD_NAMES[kind]}考核指标的各期状态（格中为当期实际值）")

    def services_figure(self):
        freq = "M" if self.period == "month" else "Q"
        ev = self._evidence
        periods = ev["date"].dt.to_period(freq)
        counts = ev[ev["valid"]].groupby(periods[ev["valid"]]).size()
        index = pd.period_range(pd.Timestamp(self.as_of).replace(month=1, day=1), pd.Timestamp(self.as_of), freq=freq)
        counts = counts.reindex(index, fill_value=0)
        counts.index = [str(p) if freq == "M" else f"{p.year}Q{p.quarter}" for p in counts.index]
        return charts.monthly_series(counts, title=f"每{PERIOD_NAMES[self.period]}有效服务记录数（有水印照片且未重复）",
                                     y_title="服务记录（条）")

    def cases(self) -> pd.DataFrame:
        c = self.attention.cases
        return pd.DataFrame({
            "个案编号": c["code"], "服务对象": c["beneficiary_name"], "领域": c["domain"], "阶段": c["stage"],
            "接案日期": c["opened"], "服务节次": c["sessions"], "无进展天数": c["days_idle"],
            "风险": c["risk"], "关注原因": c["flags"].map("、".join), "缺少的文书": c["missing"],
            "是否计入": count_verdict(c)})

    def groups(self) -> pd.DataFrame:
        g = self.attention.groups
        return pd.DataFrame({"小组编号": g["code"], "小组名称": g["name"], "领域": g["domain"], "阶段": g["stage"],
                             "活动节次": g["sessions"], "有效节次": g["counted_sessions"], "尚缺节次": g["needed"],
                             "原因": g["why"]})

    def worsened(self) -> pd.DataFrame:
        return outcome_people(self.ds, self.attention.worsened, worsened=True)

    def missing_post(self) -> pd.DataFrame:
        return outcome_people(self.ds, self.attention.missing_post, worsened=False, phone=True)

    def evidence(self) -> pd.DataFrame:
        e = self.attention.evidence
        return pd.DataFrame({"问题": e["kind"], "记录": e["record"], "日期": e["date"], "领域": e["domain"],
                             "说明": e["detail"]})

    def spending(self) -> pd.DataFrame:
        """The spending flags still open (not cleared by an evaluator): the expense, why, and what to do."""
        f = self.attention.spending
        if f.empty:
            return pd.DataFrame()
        return pd.DataFrame({"核查项": f["name"], "记录": f["record_id"], "日期": f["date"].dt.strftime("%Y-%m-%d"),
                             "金额(元)": f["amount"].astype(float).round(2), "物品": f["item"], "原因": f["reason"],
                             "依据": f["basis"], "站点怎么做": f["station_action"]})

    def photo_evidence(self):
        """The photo evidence page (``reports.photo_evidence``) for the station and its village rooms."""
        catalogue = self.project["catalogue"] if self.project is not None else None
        return build_photos(self.db_url, self.station["code"], self.as_of, catalogue)

    def staff_name(self, code) -> str:
        """A worker named as the report's data names them (``domain.personal``: staff by name to their
        supervisors); the code when the worker is not on the station's staff list, — when there is none."""
        if code is None or (not isinstance(code, str) and pd.isna(code)):
            return "—"
        names = self.ds.staff.set_index("code")["name"]
        name = names.get(code)
        return str(name) if isinstance(name, str) and name else str(code)

    def actions(self) -> pd.DataFrame:
        """Every open action item once (those of the last session too): who, by when, its trail and flags."""
        a = self.attention.actions
        if a.empty:
            return pd.DataFrame()
        status = a["status"].where(~a["overdue"], "逾期 " + a["days_overdue"].fillna(0).astype(int).astype(str) + " 天")
        return pd.DataFrame({"行动项编号": a["code"], "行动项": a["action"], "责任人": a["owner_code"].map(self.staff_name),
                             "提出": [f"{d:%Y-%m-%d} {s}" for d, s in zip(a["date"], a["supervisor"].fillna(""))],
                             "期限": a["due"], "状态": status, "经过": a["trail"].map(_trail),
                             "标记": a["flags"].map("、".join)})

    def agenda(self) -> pd.DataFrame:
        """The agenda, one line per item: what, and in one line what it is about (the report's section has it all)."""
        ag = self.attention.agenda
        return pd.DataFrame({"序号": range(1, len(ag) + 1), "优先级": ag["level"], "议题": ag["topic"],
                             "内容": ag["what"],
                             "涉及": [supervision.refs_text(k, t) for k, t in zip(ag["keys"], ag["topic"])]})

    # -- the supervision cycle: since the last session, caseload (``supervision_cycle``) ----------------------

    @cached_property
    def since_last(self):
        """What changed since the station's previous session (``supervision_cycle.since_last``)."""
        return supervision_cycle.since_last(self.ds, self.station["code"], self.as_of,
                                            after_results=self.results if not self.results.empty else None)

    def since_summary(self) -> str:
        """One line: the previous session's date and what changed in the cases since then."""
        s = self.since_last
        if s.previous is None:
            return "本站此前没有督导记录。"
        c = s.counts()
        parts = "，".join(f"{SINCE_CHANGES[k]} {v} 个" for k, v in c.items())
        return (f"上次督导：{data.fmt_date(s.previous)}（距今 {(self.as_of - s.previous).days} 天）。此后：{parts}；"
                f"个案服务 {int(s.case_sessions['sessions'].sum()) if len(s.case_sessions) else 0} 节，"
                f"小组活动 {int(s.group_sessions['sessions'].sum()) if len(s.group_sessions) else 0} 节，"
                f"指标状态变化 {len(s.indicators)} 项，前后测 {int(s.outcomes['measured'].sum()) if len(s.outcomes) else 0} 次。")

    def since_cases(self) -> pd.DataFrame:
        c = self.since_last.cases
        return pd.DataFrame({"变化": c["change"].map(SINCE_CHANGES), "个案编号": c["code"], "负责社工": c["worker_code"],
                             "日期": c["date"]}) if len(c) else pd.DataFrame()

    def since_sessions(self) -> pd.DataFrame:
        s = self.since_last
        cases = pd.DataFrame({"类型": "个案", "编号": s.case_sessions.get("case_code", []), "名称": "",
                              "服务节次": s.case_sessions.get("sessions", [])})
        groups = pd.DataFrame({"类型": "小组", "编号": s.group_sessions.get("group_code", []),
                               "名称": s.group_sessions.get("name", []), "服务节次": s.group_sessions.get("sessions", [])})
        return pd.concat([cases, groups], ignore_index=True)

    def since_indicators(self) -> pd.DataFrame:
        i = self.since_last.indicators
        if i.empty:
            return pd.DataFrame()
        unit = i["unit"].to_numpy(dtype=object)
        return pd.DataFrame({"指标编号": i["indicator_id"], "指标": i["indicator_name"], "上次督导时": i["status_before"],
                             "实际（上次）": figures.down(i["actual_before"], unit),
                             "应达（上次）": figures.up(i["expected_before"], unit), "现在": i["status_after"],
                             "实际（现在）": figures.down(i["actual_after"], unit),
                             "应达（现在）": figures.up(i["expected_after"], unit), "单位": i["unit"],
                             "状态": i["status_after"]})

    def since_outcomes(self) -> pd.DataFrame:
        o = self.since_last.outcomes
        return pd.DataFrame({"量表": o["scale"], "阶段": o["phase"], "测评次数": o["measured"], "人数": o["people"]}) \
            if len(o) else pd.DataFrame()

    def since_actions(self) -> pd.DataFrame:
        """The action items the last session set or reviewed that are closed now (done or cancelled): the open
        ones are listed once, in 八、督导行动项."""
        a = self.since_last.actions
        a = a[~a["status"].isin(ACTION_OPEN)] if not a.empty else a
        if a.empty:
            return pd.DataFrame()
        return pd.DataFrame({"行动项编号": a["code"], "行动项": a["action"], "责任人": a["owner_code"].map(self.staff_name),
                             "期限": a["due"], "上次督导时": a["status_then"], "现在": a["status"],
                             "经过": a["trail"].map(_trail)})

    def since_actions_note(self) -> str:
        """How many of the last session's action items are still open (they are in 八)."""
        a = self.since_last.actions
        if a.empty:
            return ""
        still = int(a["status"].isin(ACTION_OPEN).sum())
        return (f"上次督导提出或复核了 {len(a)} 项行动项：{len(a) - still} 项此后已完成或取消（下表），"
                f"{still} 项仍未完成（见八、督导行动项）。")

    def write_record_workbook(self, path) -> Path | None:
        """The pre-filled 督导记录 workbook of the station's coming session, from this report's agenda
        (``ledger.supervision_book``). The supervisor is named as recorded, in clear even when the report is
        masked: the workbook stays in the station and is imported back, where a masked name would be refused.
        Nothing is written when ``path`` is None."""
        if not path:
            return None
        code = self.station["code"]
        ds = self.ds if not self.masked else open_workbench(self.db_url, stations=code, masked=False).ds
        past = sessions(ds, code, self.as_of)
        supervisor = past["supervisor"].iloc[-1] if len(past) else None
        return write_session_workbook(self.ds, code, self.as_of, self.attention.agenda, path, supervisor)

    def caseload(self) -> pd.DataFrame:
        """Caseload per social worker (``caseload.caseload``), headers of ``labels.CASELOAD_HEADERS``."""
        load = caseload.caseload(self.ds, self.station["code"], self.as_of, self.attention.rules.cases,
                                 self.attention.rules.groups, max_open_cases=self.max_open_cases)
        return caseload.table(load)


def build(db_url: str | None, station: str, as_of, period: str = "month", unmasked: bool = False,
          max_open_cases: int = MAX_OPEN_CASES, workbench: Workbench | None = None) -> StationReport:
    """Compute everything the supervision report of ``station`` shows on ``as_of``.

    The data comes from ``workbench`` when given (it must hold the station), else from the database at
    ``db_url`` (only this station and the rooms below it; masked unless ``unmasked``).
    """
    as_of = data.as_date(as_of)
    data.period_bounds(as_of, period)
    wb = (workbench.station(station) if workbench is not None else
          open_workbench(db_url, stations=station, masked=not unmasked, output="station_report")).on(as_of)
    row = wb.station_row(station)
    project = wb.project_for(station)
    evaluation = wb.evaluation(projects=[project["code"]]) if project is not None else None
    results = evaluation.results if evaluation is not None else pd.DataFrame(columns=INDICATOR_COLUMNS)
    att = supervision.station_attention(wb.ds, station, as_of, results=results, evaluation=evaluation,
                                        worsened=wb.worsened_pairs(), missing_post=wb.missing_post_pairs())
    forecast = wb.forecast(projects=[project["code"]]) if project is not None else None
    return StationReport(wb.ds, row, project, as_of, period, wb.masked, results, att, db_url, max_open_cases,
                         forecast, wb.quality())


def _trail(trail) -> str:
    """An action item's statuses over the sessions that reviewed it: 未开始（08-16）→ 进行中（09-18）."""
    return " → ".join(f"{s}（{d:%m-%d}）" for d, s in trail) if isinstance(trail, list) else ""
