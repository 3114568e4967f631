"""评估核验: the evaluator's list of checklist items (待核验 first) with their source text, and the form that
marks one 已核验 or 不符合 with a date, a note and an evidence file.

Built on ``actions.verify`` (the list, the checks and the write); the page only lays them out. After a save
the read model is read again, so the list, and the progress board, show the item's new status.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from ...actions import verify as vf
from ...domain.labels import CHECK_HEADERS, CHECK_PENDING, VERDICTS
from ...errors import DataError, Problem
from ...store import evaluation_records, storage
from ...store.evaluation_records import EVIDENCE_KINDS, EXTENSIONS, MAX_EVIDENCE_BYTES, MIME, EvidenceFile
from .. import ui
from ..data import station_label
from . import forms
from .scoring import notices_html

ALL = ""
SHOWN = ("station_name", "project_code", "indicator_name", "item", "state", "status", "source_text", "ticked_on",
         "verdict_date", "verdict_note", "evidence_name")
ONLY_PENDING, EVERY_ITEM = "只看待核验", "全部检查项"


def build(me) -> w.Widget:
    return VerifyPage(me).widget


def key(r) -> str:
    return "|".join((r["project_code"], r["indicator_id"], r["item"]))


class VerifyPage:
    def __init__(self, me):
        self.me = me
        self.engine = storage.connect(me.url, upgrade=False)
        wb = me.workbench()
        towns = wb.townships()
        self.as_of = forms.date("评估截至日期", wb.as_of)
        self.as_of.add_class("sgz-filter-date")
        self.station = ui.dropdown("社工站", [("全部社工站", ALL)] + [(station_label(r), r["code"])
                                                                    for _, r in towns.iterrows()], ALL, "320px")
        self.station.add_class("sgz-filter-station")
        self.only = ui.toggles("显示", [ONLY_PENDING, EVERY_ITEM])
        self.notices = w.HTML()
        self.listing = w.HTML()
        self.out = forms.outcome("verify")
        self.form = self._form()
        for widget in (self.as_of, self.station, self.only):
            widget.observe(lambda _: self.redraw(), names="value")
        intro = w.HTML('<div class="sgz-note">检查项是不能从台账计算的标准（如制度上墙、活动室），由站点在「站点建设」表勾选，'
                       "由评估方核验。核验结论从所填日期起计入评估：已核验的计为完成，不符合的计为未完成，原因即核验说明。"
                       "项目签字确认之后不能再核验，须先撤销签字。</div>")
        self.widget = w.VBox([w.HTML("<h2>评估核验</h2>"), intro, self.notices,
                              w.HBox([self.as_of, self.station, self.only]), self.form,
                              forms.section("检查项", self.listing, name="items")])
        self.widget.add_class("sgz-verify")
        self.redraw()

    # -- the form -------------------------------------------------------------------------------------

    def _form(self) -> w.Widget:
        self.item = w.Dropdown(description="检查项", style=forms.LABEL, layout=w.Layout(width="100%"))
        self.item.add_class("sgz-field-item")
        self.detail = w.HTML()
        self.verdict = w.ToggleButtons(options=list(VERDICTS.values()), value=VERDICTS["verified"], description="结论",
                                       style=forms.LABEL)
        self.verdict.add_class("sgz-field-verdict")
        self.when = forms.date("核验日期", self.as_of.value)
        self.note = forms.text("核验说明", area=True, placeholder="看了什么、在哪里看的；不符合时写明原因")
        accept = ",".join(sorted(EXTENSIONS))
        self.file = w.FileUpload(accept=accept, multiple=False, description="选择佐证文件", layout=w.Layout(width="auto"))
        limit = w.HTML(f'<span class="sgz-limit">可选。{"、".join(EVIDENCE_KINDS.values())}，不超过 '
                       f"{MAX_EVIDENCE_BYTES // 1048576} MB；同一文件只保存一份。</span>")
        self.button = forms.button("保存核验结论", "primary", "save-verdict")
        self.button.on_click(lambda _: self.save())
        self.item.observe(lambda _: self.show_detail(), names="value")
        return forms.section("核验一个检查项", self.item, self.detail, w.HBox([self.verdict, self.when]), self.note,
                             w.HBox([self.file, limit]), self.button, self.out, name="verify-form")

    def items(self) -> pd.DataFrame:
        wb = self.me.workbench()
        stations = [self.station.value] if self.station.value else None
        names = evaluation_records.evidence_names(self.engine, stations)
        rows = vf.items(wb, self.as_of.value, names)
        if self.station.value:
            rows = rows[rows["station_code"] == self.station.value]
        return rows.reset_index(drop=True)

    def redraw(self) -> None:
        if self.as_of.value is None:
            return
        self.rows = self.items()
        projects = sorted(set(self.rows["project_code"]))
        self.notices.value = notices_html(self.engine, projects)
        shown = self.rows if self.only.value == EVERY_ITEM else self.rows[self.rows["state"] == CHECK_PENDING]
        self.listing.value = ui.table(shown[list(SHOWN)].rename(columns=CHECK_HEADERS),
                                      "没有待核验的检查项。" if self.only.value == ONLY_PENDING else "没有检查项。",
                                      name="检查项核验")
        options = [(f"{r['station_name']} · {r['indicator_name']} · {r['item']}（{r['state']}）", key(r))
                   for _, r in shown.iterrows()]
        current = self.item.value
        self.item.options = options
        values = [v for _, v in options]
        self.item.value = current if current in values else (values[0] if values else None)
        self.show_detail()

    def selected(self) -> pd.Series | None:
        if not self.item.value:
            return None
        match = self.rows[[key(r) == self.item.value for _, r in self.rows.iterrows()]]
        return match.iloc[0] if len(match) else None

    def show_detail(self) -> None:
        r = self.selected()
        if r is None:
            self.detail.value = ui.message("请先选择检查项。")
            return
        self.when.value = self.as_of.value
        parts = [f"<b>原文：</b>{html.escape(str(r['source_text']))}",
                 f"<b>应有佐证：</b>{html.escape(str(r['evidence_wanted'] or '—'))}",
                 f"<b>指标：</b>{html.escape(r['indicator_id'])} {html.escape(str(r['indicator_name']))}（{r['status']}）"]
        if pd.notna(r["ticked_on"]):
            parts.append(f"<b>站点勾选：</b>{r['ticked_on']:%Y-%m-%d}，佐证：{html.escape(str(r['station_evidence'] or '—'))}")
        if isinstance(r["verdict_note"], str):
            parts.append(f"<b>最近的核验：</b>{r['state']}（{r['verdict_date']:%Y-%m-%d}，{html.escape(str(r['verdict_by']))}）："
                         f"{html.escape(r['verdict_note'])}{self._evidence_link(r)}")
        self.detail.value = '<div class="sgz-detail">' + "<br>".join(parts) + "</div>"

    def _evidence_link(self, r) -> str:
        if not isinstance(r["evidence_sha256"], str):
            return ""
        stored = evaluation_records.evidence(self.engine, r["station_code"], r["evidence_sha256"])
        if stored is None:
            return ""
        name, kind, content = stored
        return " · " + forms.download_link(content, name, MIME[kind], f"下载佐证文件 {name}")

    def save(self) -> None:
        r = self.selected()

        def act() -> str:
            if r is None:
                raise DataError([Problem("required", "请先选择检查项", where="评估核验")], title="核验结论未保存")
            chosen = forms.uploaded(self.file)
            evidence = EvidenceFile(*chosen) if chosen else None
            vf.verify(self.engine, self.me.user, r["project_code"], r["indicator_id"], r["item"], self.verdict.value,
                      self.when.value, self.note.value, evidence)
            return (f"已保存：{r['station_name']}「{r['item']}」核验为「{self.verdict.value}」"
                    f"（{self.when.value:%Y-%m-%d}）")

        forms.run(self.out, act, self.button, redraw=lambda line: self.saved(r, line))

    def saved(self, r: pd.Series, line: str) -> None:
        """Read the database again, redraw the list, and say what the indicator is now."""
        self.me.source().refresh()
        self.file.value = ()
        self.note.value = ""
        self.redraw()
        now = self.rows[(self.rows["project_code"] == r["project_code"]) & (self.rows["item"] == r["item"])]
        after = f"；指标「{r['indicator_name']}」现在为「{now['status'].iloc[0]}」" if len(now) else ""
        self.out.value = ui.message(line + after, "ok")
        self.button.disabled = False
