"""报告: generate a report on what this user may see, in the background, and download the reports written.

Three clicks from the home page: the 报告 card, 生成报告 (the first station and the page's date are chosen
already), then a download link when it is done. The report runs in a worker process (``actions.reports``):
the page stays usable, shows each request's stage, and lists the folder's reports newest first. Downloads go
through the server's ``sgz/files/`` (the user's own report folder only; ``voila_main.ReportFileHandler``).
"""

from __future__ import annotations

import html
import threading
import urllib.parse

import ipywidgets as w

from ...actions import reports
from ...domain.asof import DEFAULT_TEXT
from ...errors import SgzError
from ...reports.index import FORMAT_NAMES
from .. import ui
from ..data import fixed_as_of

TITLE = "报告"
SUBTITLE = ("为本账号可以查看的站点生成督导报告、年终评估、督导简报或区县概览：与命令 sgz report 生成的文件相同"
            "（网页 HTML、PDF，年终评估另有 Excel 评分表），对外的报告一律脱敏。生成在后台进行，可以继续使用本页和其他页面。")
KIND_NOTES = {"station": "每个社工站一份：指标进度、需关注的个案与小组、服务成效、佐证问题、行动项和建议议程。",
              "assessment": "每个项目一份：逐项达标情况、佐证与未计入记录及原因、前后测统计，另附 Excel 评分表。",
              "digest": "督导用：所选各站每站一页（最需讨论的议程、逾期行动项、自上次督导以来的变化）。",
              "district": "区县概览：站点排名、站点 × 指标状态、月度趋势和建议走访的站点。"}
POLL_SECONDS = 1.0


def file_link(relative: str, text: str) -> str:
    href = "../../sgz/files/" + urllib.parse.quote(relative, safe="/")
    return f'<a class="sgz-dl" href="{href}" download>{html.escape(text)}</a>'


def links(files: dict[str, str]) -> str:
    order = [f for f in reports.DOWNLOADS if f in files]
    return " · ".join(file_link(files[f], FORMAT_NAMES.get(f, f)) for f in order)


class ReportsPage:
    def __init__(self, me):
        self.me = me
        self.folder = me.reports_dir
        wb = me.index()
        self.offered = reports.choices(wb, me.user)
        kinds = [(reports.KIND_NAMES[k], k) for k in reports.KIND_ORDER if self.offered[k]]
        self.kind = ui.toggles("报告类型", kinds) if kinds else None
        self.target = ui.dropdown("对象", [], width="520px")
        self.target.add_class("sgz-report-target")
        self.default_date = fixed_as_of()  # the server's date, else none: the reports' own default, as the CLI's
        self.as_of = ui.date_picker("截至日期", self.default_date)
        self.note = w.HTML()
        self.go = w.Button(description="生成报告", button_style="primary", icon="play", layout=w.Layout(width="140px"))
        self.go.add_class("sgz-generate")
        self.go.on_click(lambda _: self.start())
        self.said = w.HTML()
        self.jobs = w.HTML()
        self.jobs.add_class("sgz-report-jobs")
        self.list = w.HTML()
        self.list.add_class("sgz-report-list")
        self._poller: threading.Thread | None = None
        if self.kind is not None:
            self.kind.add_class("sgz-report-kind")
            self.kind.observe(lambda _: self.on_kind(), names="value")
            self.on_kind()
            form = [w.HBox([self.kind]), w.HBox([self.target, self.as_of]), self.note, w.HBox([self.go]), self.said]
        else:
            form = [w.HTML(ui.message("本账号的范围内还没有可以生成报告的站点或项目。"))]
        self.widget = w.VBox([ui.header(TITLE, SUBTITLE), *form,
                              w.HTML('<div class="sgz-title">生成请求（最近的在前）</div>'), self.jobs,
                              w.HTML('<div class="sgz-title">已生成的报告（最新的在前）</div>'), self.list])
        self.widget.sgz_refresh = self.refresh
        self.refresh()
        self.watch()

    def on_kind(self) -> None:
        kind = self.kind.value
        self.target.options = self.offered[kind]
        self.target.value = self.offered[kind][0][1]
        self.as_of.value = None if kind == "assessment" else self.default_date
        default = "项目结束日" if kind == "assessment" else DEFAULT_TEXT
        self.note.value = ui.message(f"{KIND_NOTES[kind]}截至日期不填时取{default}。", "note")

    def start(self) -> None:
        try:
            job = reports.start(self.me.url, self.me.user, self.folder, self.offered, self.kind.value,
                                self.target.value, self.as_of.value)
        except SgzError as exc:
            self.said.value = ui.message(str(exc), "error")
            return
        self.said.value = ui.message(f"已开始生成{reports.KIND_NAMES[job.kind]}「{job.label}」：进度见下方，"
                                     "完成后即可下载；其间可以继续使用本页和其他页面。", "ok")
        self.refresh()
        self.watch()

    # -- what the page shows ------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.jobs.value = self._jobs_html()
        self.list.value = self._written_html()

    def _jobs_html(self) -> str:
        mine = reports.jobs_of(self.folder, self.me.login)
        if not mine:
            return ui.message("还没有生成请求。")
        rows = []
        for j in mine:
            bar = (f'<progress class="sgz-job-progress" max="100" value="{int(100 * j.share)}"></progress>'
                   if j.running else "")
            if j.state == "done":
                what = links(j.files)
            elif j.state == "failed":
                what = f'<span class="sgz-error">{html.escape(j.error)}</span>'
            else:
                what = ""
            rows.append(f'<tr class="sgz-job sgz-job-{j.state}"><td>{html.escape(j.requested)}</td>'
                        f"<td>{html.escape(reports.KIND_NAMES[j.kind])}</td><td>{html.escape(j.label)}</td>"
                        f"<td>{html.escape(j.as_of or '默认')}</td><td>{bar} {html.escape(j.stage_text)}</td><td>{what}</td></tr>")
        head = "".join(f"<th>{h}</th>" for h in ("请求时间", "报告", "对象", "截至日期", "进度", "下载"))
        return f'<table class="sgz-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'

    def _written_html(self) -> str:
        done = reports.written(self.folder)
        if not done:
            return ui.message("报告目录中还没有报告。")
        rows = "".join(
            f'<tr class="sgz-written"><td>{r.written:%Y-%m-%d %H:%M:%S}</td><td>{html.escape(r.kind_name)}</td>'
            f"<td>{html.escape(r.label)}</td><td>{html.escape(r.as_of)}</td><td>{links(r.files)}</td></tr>"
            for r in done)
        head = "".join(f"<th>{h}</th>" for h in ("生成时间", "报告", "对象", "截至日期", "下载"))
        return (f'<div class="sgz-scroll"><table class="sgz-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>")

    # -- following the requests under way ------------------------------------------------------------------

    def watch(self) -> None:
        """While a request of this user is under way, show its stage every second (a thread of the kernel)."""
        if self._poller is not None and self._poller.is_alive():
            return
        if not any(j.running for j in reports.jobs_of(self.folder, self.me.login)):
            return
        self._poller = threading.Thread(target=self._follow, daemon=True, name="sgz-report-progress")
        self._poller.start()

    def _follow(self) -> None:
        stop = threading.Event()
        while not stop.wait(POLL_SECONDS):
            self.jobs.value = self._jobs_html()
            if not any(j.running for j in reports.jobs_of(self.folder, self.me.login)):
                self.refresh()
                self.me.changed()  # the audit row and the report folder are new: 数据更新于 moves on
                return


def build(me) -> w.Widget:
    return ReportsPage(me).widget
