"""评分与签字: upload a scoring scheme, score a project indicator by indicator, download the score sheet, and
sign the evaluation off (or see that a later import made the sign-off lapse, and what it changed).

Built on ``actions.scores`` and ``actions.signoff``; the page lays them out for one project at a time.
"""

from __future__ import annotations

import datetime as dt
import html
import tempfile
from pathlib import Path

import ipywidgets as w
import pandas as pd

from ...actions import scores as sc
from ...actions import signoff as so
from ...domain.labels import DIFF_HEADERS, SCORE_HEADERS, SIGNOFF_STATES
from ...errors import DataError, Problem, SgzError
from ...reports import assessment
from ...store import evaluation_records, storage
from .. import ui
from . import forms

WHOLE, ONLY = "本清单的全部项目", "只用于本项目"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build(me) -> w.Widget:
    return ScoringPage(me).widget


def notices_html(engine, project_codes) -> str:
    """The lapsed sign-offs among ``project_codes``, each with the figures the import changed (red, on top)."""
    lapsed = so.notices(engine, project_codes)
    parts = []
    for _, r in lapsed.iterrows():
        diff = r["changes"][list(DIFF_HEADERS)].rename(columns=DIFF_HEADERS) if len(r["changes"]) else pd.DataFrame()
        parts.append(f'<div class="sgz-panel sgz-lapsed">{ui.message(so.lapsed_text(r), "error")}'
                     f'{ui.table(diff, scroll=False)}</div>')
    return "".join(parts)


def project_options(wb) -> list[tuple[str, str]]:
    p = wb.ds.projects.merge(wb.ds.stations[["code", "name"]].rename(columns={"code": "station_code"}),
                             on="station_code", how="left").sort_values(["year", "station_code"], ascending=[False, True])
    return [(f"{n}（{s}）· {c} · {y} 年", c) for n, s, c, y in zip(p["name"], p["station_code"], p["code"], p["year"])]


class ScoringPage:
    def __init__(self, me):
        self.me = me
        self.engine = storage.connect(me.url, upgrade=False)
        wb = me.workbench()
        self.project = ui.dropdown("项目", project_options(wb), width="480px")
        self.project.add_class("sgz-filter-project")
        self.as_of = forms.date("评估截至日期", wb.as_of)
        self.as_of.add_class("sgz-filter-date")
        self.notices, self.body = w.HTML(), w.VBox()
        self.project.observe(lambda _: self.pick(), names="value")
        self.as_of.observe(lambda _: self.show(), names="value")
        intro = w.HTML('<div class="sgz-note">评分细则由评估方提供（YAML 文件，写法见文档「评分细则」）；系统得分按细则从指标结果算出，'
                       "评估员得分由您填写，保存后写入评分表的「评估员得分」「评估员意见」两列。签字确认冻结评估截至日期、"
                       "签字人和全部指标数字；之后的导入若会改变这些数字，导入人须确认，签字随即失效，这里会列出改变了什么。</div>")
        self.widget = w.VBox([w.HTML("<h2>评分与签字</h2>"), intro, self.notices, w.HBox([self.project, self.as_of]),
                              self.body])
        self.widget.add_class("sgz-scoring")
        if not self.project.options:
            self.body.children = (w.HTML(ui.message("本账号的范围内没有项目。")),)
        else:
            self.pick()

    def pick(self) -> None:
        """A new project: its evaluation date defaults to its end (not after today)."""
        row = self.me.workbench().project_row(self.project.value)
        end = pd.Timestamp(row["end"]).date()
        wanted = min(end, dt.date.today())
        if self.as_of.value != wanted:
            self.as_of.value = wanted  # redraws through the observer
        else:
            self.show()

    def show(self, keep: dict | None = None) -> None:
        if not self.project.value or self.as_of.value is None:
            return
        codes = self.me.workbench().ds.projects["code"].tolist()
        self.notices.value = notices_html(self.engine, codes)
        self.row = sc.projects.project_row(self.engine, self.project.value)
        self.stored = evaluation_records.stored_scheme(self.engine, self.row)
        summary = self.me.workbench().evaluation(self.as_of.value, [self.project.value]).summary
        self.summary = summary[summary["project_code"] == self.project.value]
        keep = keep or {}
        self.body.children = (self._scheme(keep.get("scheme")), self._scores(keep.get("scores")),
                              self._signoff(keep.get("signoff")))

    # -- 评分细则 ---------------------------------------------------------------------------------------

    def _scheme(self, keep) -> w.Widget:
        out = forms.outcome("scheme")
        if keep:
            out.value = ui.message(keep, "ok")
        s = self.stored
        if s is None:
            now = ui.message(f"指标清单《{self.row['catalogue_title']}》还没有评分细则：上传之前只报告达标、未达标和待核验，不计分。")
        else:
            whom = f"项目 {s.project}" if s.project else f"指标清单《{self.row['catalogue_title']}》的全部项目"
            now = (f'<div class="sgz-note">现行评分细则：《{html.escape(s.scheme.title)}》，适用于{whom}，'
                   f"{len(s.scheme.items)} 项指标，满分 {s.scheme.max_points:g}；{html.escape(str(s.login))} 上传"
                   f"（{html.escape(s.file_name)}）。{html.escape(s.scheme.describe())}。</div>")
        upload = w.FileUpload(accept=".yaml,.yml,.txt", multiple=False, description="选择评分细则文件",
                              layout=w.Layout(width="auto"))
        whom = ui.toggles("适用于", [WHOLE, ONLY])
        button = forms.button("上传评分细则", "primary", "upload-scheme")

        def act() -> str:
            chosen = forms.uploaded(upload)
            if chosen is None:
                raise DataError([Problem("required", "请先选择评分细则文件", where="评分细则")], title="评分细则未保存")
            name, content = chosen
            sc.upload_scheme(self.engine, self.me.user, content, name,
                             project=self.project.value if whom.value == ONLY else None)
            return f"已保存评分细则 {name}"

        button.on_click(lambda _: self._after(out, act, button, "scheme"))
        return forms.section("评分细则", w.HTML(now), w.HBox([upload, whom]), button, out, name="scheme")

    # -- 逐项打分 ---------------------------------------------------------------------------------------

    def _scores(self, keep) -> w.Widget:
        out = forms.outcome("scores")
        if keep:
            out.value = ui.message(keep, "ok")
        if self.stored is None:
            return forms.section("逐项打分", w.HTML(ui.message("上传评分细则之后才能打分。")), name="scores")
        entered = evaluation_records.scores(self.engine, [self.project.value], self.stored.id)
        sheet = sc.sheet(self.summary, self.stored, entered)
        self.fields = {}
        rows = []
        for _, r in sheet.iterrows():
            value = r["score"] if pd.notna(r["score"]) else (r["system"] if pd.notna(r["system"]) else 0.0)
            score = w.BoundedFloatText(value=float(value), min=0.0, max=float(r["points"]), step=0.5,
                                       description="评估员得分", style=forms.LABEL, layout=w.Layout(width="200px"))
            note = forms.text("意见", r["note"] if isinstance(r["note"], str) else "", width="300px")
            self.fields[r["indicator_id"]] = (score, note)
            system = "—" if pd.isna(r["system"]) else f"{r['system']:g}"
            head = (f'<b>{html.escape(r["indicator_id"])} {html.escape(str(r["indicator_name"]))}</b>'
                    f'<div class="sgz-note">{r["status"]}；分值 {r["points"]:g}；系统得分 {system}；'
                    f'{html.escape(str(r["rule"]))}</div>')
            box = w.HBox([w.HTML(head, layout=w.Layout(width="50%")), score, note])
            box.add_class(f"sgz-score-{r['indicator_id']}")
            rows.append(box)
        button = forms.button("保存得分", "primary", "save-scores")

        def act() -> str:
            n = sc.enter_scores(self.engine, self.me.user, self.project.value,
                                {i: (s.value, t.value) for i, (s, t) in self.fields.items()})
            total = sum(s.value for s, _ in self.fields.values())
            return f"已保存 {n} 项得分，评估员得分合计 {total:g} / {self.stored.scheme.max_points:g}"

        button.on_click(lambda _: self._after(out, act, button, "scores"))
        download = forms.button("生成评分表（Excel）", "", "scoresheet")
        link = w.HTML()
        link.add_class("sgz-scoresheet-link")
        download.on_click(lambda _: self._scoresheet(link, download))
        table = ui.table(sheet[list(SCORE_HEADERS)].rename(columns=SCORE_HEADERS), scroll=False)
        return forms.section(f"逐项打分（《{self.stored.scheme.title}》）", *rows, w.HBox([button, download]), out, link,
                             w.HTML(f'<details><summary>已保存的得分</summary>{table}</details>'), name="scores")

    def _after(self, out, act, button, part) -> None:
        def redraw(line: str) -> None:
            self.me.source().refresh()
            self.show({part: line})

        forms.run(out, act, button, redraw=redraw)

    def _scoresheet(self, link: w.HTML, button: w.Button) -> None:
        button.disabled = True
        link.value = ui.message("正在生成评分表……", "note")
        try:
            report = assessment.build(self.me.url, self.project.value, self.as_of.value)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"评分表_{self.project.value}.xlsx"
                report.write_scoresheet(path)
                content = path.read_bytes()
            link.value = forms.download_link(content, f"评分表_{self.project.value}_{self.as_of.value:%Y-%m-%d}.xlsx",
                                             XLSX, f"下载评分表_{self.project.value}.xlsx")
        except SgzError as exc:
            link.value = ui.message(str(exc), "error")
        finally:
            button.disabled = False

    # -- 签字确认 ---------------------------------------------------------------------------------------

    def _signoff(self, keep) -> w.Widget:
        out = forms.outcome("signoff")
        if keep:
            out.value = ui.message(keep, "ok")
        state = so.status(self.engine, [self.project.value])
        r = state.iloc[0] if len(state) else None
        valid = r is not None and r["state"] == SIGNOFF_STATES["signed"]
        if r is None:
            now = ui.message("本项目还没有签字确认。")
        elif valid:
            now = ui.message(f"已签字确认：{r['signed_by']}，{so.when_text(r['signed_at'])}，评估截至 {r['as_of']:%Y-%m-%d}；"
                             f"{r['note']}", "ok")
        elif r["state"] == SIGNOFF_STATES["stale"]:
            now = ui.message(so.lapsed_text(r), "error")
        else:
            now = ui.message(f"签字确认已撤销（{r['login']}，{so.when_text(r['event_at'])}）：{r['note']}", "note")
        if valid:
            reason = forms.text("撤销原因", width="420px")
            button = forms.button("撤销签字确认", "warning", "revoke")
            button.on_click(lambda _: self._after(out, lambda: (so.revoke(self.engine, self.me.user, self.project.value,
                                                                          reason.value), "已撤销签字确认")[1],
                                                  button, "signoff"))
            controls = [w.HBox([reason, button])]
        else:
            button = forms.button(f"签字确认（评估截至 {self.as_of.value:%Y-%m-%d}）", "success", "sign")
            button.on_click(lambda _: self._after(out, lambda: (so.sign(self.engine, self.me.user, self.project.value,
                                                                        self.as_of.value),
                                                                f"已签字确认，评估截至 {self.as_of.value:%Y-%m-%d}")[1],
                                                  button, "signoff"))
            controls = [button]
        counts = self.summary["status"].value_counts()
        figures = "、".join(f"{k} {int(v)} 项" for k, v in counts.items())
        return forms.section("签字确认", w.HTML(now), w.HTML(f'<div class="sgz-note">当前数字（评估截至 '
                                                               f'{self.as_of.value:%Y-%m-%d}）：{len(self.summary)} 项指标，'
                                                               f"{figures}</div>"), *controls, out, name="signoff")


def lapse_confirmation(changes: list) -> tuple[w.Widget, w.Checkbox] | None:
    """For the upload page: the signed-off figures a checked workbook would change (``ImportResult.
    signoff_changes``) and the box the person importing must tick before 确认导入; None when there are none."""
    if not changes:
        return None
    parts = []
    for c in changes:
        diff = c.changes[list(DIFF_HEADERS)].rename(columns=DIFF_HEADERS)
        parts.append(ui.message(c.headline + "。", "warn") + ui.table(diff, scroll=False))
    tick = w.Checkbox(value=False, indent=False, layout=w.Layout(width="auto"),
                      description="我已与评估方核对：确认导入，并使上述签字确认失效（评估方会看到改变了哪些数字，需重新签字）")
    tick.add_class("sgz-accept-lapse")
    box = w.VBox([w.HTML('<div class="sgz-panel sgz-panel-lapse">' + "".join(parts) + "</div>"), tick])
    return box, tick
