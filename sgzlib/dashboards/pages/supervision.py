"""督导记录: a supervisor picks a station, sees its agenda, records the session; changes an action item's status.

Built on ``actions.supervision`` (all checks and writing happen there); this module only lays out the form.
Two tabs: 记录本次督导 (the agenda items with 讨论情况 and 决定, the open action items to review, new action
items with an owner from the station's staff and a due date) and 行动项 (every action item of the station,
changing an open one's status with a note, its history).
"""

from __future__ import annotations

import datetime as dt
import html

import ipywidgets as w
import pandas as pd

from ...actions import supervision as sv
from ...domain.labels import ACTION_HEADERS, ACTION_OPEN, HISTORY_HEADERS
from ...domain.supervision_records import is_update
from ...errors import SgzError
from ...store import storage
from .. import ui
from ..data import station_label
from . import forms

NEW_ACTION_ROWS = 2  # empty action item rows shown at first (more with 添加行动项)
NO_ITEM = "（不对应具体议程）"


def build(me) -> w.Widget:
    return SupervisionPage(me).widget


class SupervisionPage:
    """The page of one user: the station and date pickers, and the two tabs for them."""

    def __init__(self, me):
        self.me = me
        self.engine = storage.connect(me.url, upgrade=False)
        wb = me.workbench()
        towns = wb.townships()
        self.station = ui.dropdown("社工站", [(station_label(r), r["code"]) for _, r in towns.iterrows()], width="360px")
        self.station.add_class("sgz-filter-station")
        self.day = forms.date("督导日期", wb.as_of)
        self.day.add_class("sgz-filter-date")
        self.record_box, self.items_box = w.VBox(), w.VBox()
        self.tabs = w.Tab([self.record_box, self.items_box])
        self.tabs.set_title(0, "记录本次督导")
        self.tabs.set_title(1, "行动项")
        intro = w.HTML('<div class="sgz-note">选择社工站和督导日期，下面列出督导报告的建议议程和待复核的行动项。'
                       "填写后点「保存督导记录」：有任何问题整体不保存，并逐项说明。也可以在「报告」页生成本站督导报告，"
                       "下载随附的督导记录工作簿，填好后在「上传台账」页上传，两种方式记录的内容相同。</div>")
        self.widget = w.VBox([w.HTML("<h2>督导记录</h2>"), intro, w.HBox([self.station, self.day]), self.tabs])
        self.widget.add_class("sgz-supervision")
        self.station.observe(lambda _: self.show(), names="value")
        self.day.observe(lambda _: self.show(), names="value")
        if towns.empty:
            self.record_box.children = (w.HTML(ui.message("本账号的范围内没有社工站。")),)
        else:
            self.show()

    def show(self, keep: str = "", tab: int = 0) -> None:
        """Draw both tabs for the chosen station and date (``keep``: a result line to show on tab ``tab``)."""
        if not self.station.value or self.day.value is None:
            return
        self.record_box.children = (RecordForm(self, keep if tab == 0 else "").widget,)
        self.items_box.children = (ItemsTab(self, keep if tab == 1 else "").widget,)
        self.tabs.selected_index = tab

    def saved(self, line: str, tab: int) -> None:
        """After a write: read the database again and redraw, keeping the result line."""
        self.me.source().refresh()
        self.show(keep=line, tab=tab)


class RecordForm:
    """The form of one session."""

    def __init__(self, page: SupervisionPage, keep: str):
        self.page = page
        self.out = forms.outcome("record")
        if keep:
            self.out.value = ui.message(keep, "ok")
        try:
            self.draft = sv.prepare(page.me.workbench(), page.engine, page.me.user, page.station.value,
                                    page.day.value)
        except SgzError as exc:  # a refusal (role, scope, masked account) is shown, not raised
            self.widget = w.VBox([self.out, w.HTML(ui.message(str(exc), "error"))])
            return
        recorded = page.me.workbench().ds.supervision_items
        if recorded["session_code"].eq(self.draft.session_code).any():
            self.widget = w.VBox([self.out, w.HTML(ui.message(
                f"{self.draft.station_name} {self.draft.date:%Y-%m-%d} 的督导已经记录（督导编号 {self.draft.session_code}）。"
                "行动项的进展请在「行动项」页更新；如需修改这次记录，请上传改好的督导记录工作簿。", "note"))])
            return
        self.widget = w.VBox([self._session(), self._agenda(), self._reviews(), self._actions(), self._save(),
                              self.out])

    # -- the parts of the form --------------------------------------------------------------------------

    def _session(self) -> w.Widget:
        d = self.draft
        self.supervisor = forms.text("督导者", d.supervisor, width="280px")
        self.form = w.ToggleButtons(options=list(sv.FORMS), value=None, description="形式", style=forms.LABEL)
        self.form.add_class("sgz-field-form")
        names = [forms.staff_label(c, n) for c, n in zip(d.staff["code"], d.staff["name"])]
        self.people = w.SelectMultiple(options=list(zip(names, d.staff["name"])), description="参加的驻站人员",
                                       style=forms.LABEL, rows=min(max(len(names), 2), 6), layout=w.Layout(width="360px"))
        self.others = forms.text("其他参加人员", placeholder="用、分隔", width="360px")
        return forms.section(f"{d.station_name}（{d.station}）{d.date:%Y-%m-%d} 督导，编号 {d.session_code}",
                             self.supervisor, self.form, w.HBox([self.people, self.others]), name="session")

    def _agenda(self) -> w.Widget:
        rows = []
        self.notes = {}
        for _, r in self.draft.agenda.iterrows():
            n = int(r["item_no"])
            why = "；".join(str(v) for v in (r["why"], r["records"]) if isinstance(v, str) and v)
            head = (f'<b>{n}. 〔{html.escape(str(r["level"]))}〕{html.escape(str(r["topic"]))}：'
                    f'{html.escape(str(r["item"]))}</b>'
                    + (f'<div class="sgz-note">{html.escape(why)}</div>' if why else ""))
            discussion = forms.text("讨论情况", area=True)
            decision = forms.text("决定")
            self.notes[n] = (discussion, decision)
            box = w.VBox([w.HTML(head), discussion, decision])
            box.add_class(f"sgz-agenda-{n}")
            rows.append(box)
        if not rows:
            rows = [w.HTML(ui.message("督导报告没有为本站列出议程。"))]
        return forms.section(f"议程（{len(self.draft.agenda)} 项，来自督导报告）", *rows, name="agenda")

    def _reviews(self) -> w.Widget:
        self.reviews = {}
        rows = []
        for _, r in self.draft.reviews.iterrows():
            status = w.Dropdown(options=list(sv.STATUSES), value=r["status"], description="完成情况", style=forms.LABEL,
                                layout=w.Layout(width="220px"))
            self.reviews[r["action_code"]] = (status, r["status"])
            due = f"，期限 {r['due']:%Y-%m-%d}" if pd.notna(r["due"]) else ""
            rows.append(w.HBox([w.HTML(f'<b>{html.escape(r["action_code"])}</b> {html.escape(str(r["action"]))}'
                                       f'<span class="sgz-note">（{html.escape(str(r["item"]))}{due}）</span>',
                                       layout=w.Layout(width="70%")), status]))
        if not rows:
            rows = [w.HTML(ui.message("没有待复核的行动项。"))]
        return forms.section("复核上次的行动项", *rows, name="reviews",
                             note="已完成、已取消的行动项不能改回；改为什么都会追加到行动项历史。")

    def _actions(self) -> w.Widget:
        self.owners = [("请选择责任人", "")] + [(forms.staff_label(c, n), c) for c, n in
                                               zip(self.draft.staff["code"], self.draft.staff["name"])]
        self.items = [(NO_ITEM, 0)] + [(f"{int(n)}. {str(t)[:24]}", int(n)) for n, t in
                                          zip(self.draft.agenda["item_no"], self.draft.agenda["item"])]
        self.action_rows: list[tuple] = []
        self.action_box = w.VBox()
        for _ in range(NEW_ACTION_ROWS):
            self._add_action()
        more = forms.button("添加行动项", "", "add-action")
        more.on_click(lambda _: self._add_action())
        return forms.section("本次督导的行动项", self.action_box, more, name="actions",
                             note="每个行动项写明要做什么、责任人（本站在岗的驻站人员）和期限；空着的行不保存。")

    def _add_action(self) -> None:
        n = len(self.action_rows) + 1
        what = forms.text(f"行动项 {n}", width="40%")
        owner = w.Dropdown(options=self.owners, value="", description="责任人", style=forms.LABEL,
                           layout=w.Layout(width="22%"))
        due = w.DatePicker(description="期限", style=forms.LABEL, layout=w.Layout(width="18%"))
        item = w.Dropdown(options=self.items, value=0, description="议程", style=forms.LABEL,
                          layout=w.Layout(width="20%"))
        row = w.HBox([what, owner, due, item])
        row.add_class(f"sgz-action-{n}")
        self.action_rows.append((what, owner, due, item))
        self.action_box.children = (*self.action_box.children, row)

    def _save(self) -> w.Widget:
        self.button = forms.button("保存督导记录", "primary", "save-session")
        self.button.on_click(lambda _: self.save())
        return self.button

    # -- saving -----------------------------------------------------------------------------------------

    def entry(self) -> sv.Entry:
        others = [p for p in self.others.value.replace(",", "、").replace("，", "、").split("、") if p.strip()]
        actions = tuple(sv.NewAction(what.value, owner.value or None, due.value, item.value or None)
                        for what, owner, due, item in self.action_rows
                        if what.value.strip() or owner.value or due.value)
        return sv.Entry(supervisor=self.supervisor.value, form=self.form.value,
                        participants=(*self.people.value, *others),
                        notes=tuple(sv.AgendaNote(n, d.value, c.value) for n, (d, c) in self.notes.items()
                                    if d.value.strip() or c.value.strip()),
                        actions=actions,
                        reviews={code: s.value for code, (s, _) in self.reviews.items()})

    def save(self) -> None:
        def act() -> str:
            result = sv.record(self.page.engine, self.page.me.user, self.draft, self.entry())
            return (f"已保存督导记录 {self.draft.session_code}："
                    + "；".join(f"{s.sheet}新增 {len(s.new)} 行" for s in result.sheets if s.new))

        forms.run(self.out, act, self.button, redraw=lambda line: self.page.saved(line, 0))


class ItemsTab:
    """Every action item of the station, and changing an open one's status."""

    def __init__(self, page: SupervisionPage, keep: str = ""):
        self.page = page
        self.out = forms.outcome("status")
        if keep:
            self.out.value = ui.message(keep, "ok")
        try:
            self.register, self.history = sv.action_items(page.engine, page.station.value)
        except SgzError as exc:
            self.widget = w.HTML(ui.message(str(exc), "error"))
            return
        open_items = self.register[self.register["status"].isin(ACTION_OPEN)]
        self.item = w.Dropdown(options=[(f"{c} {str(a)[:30]}（{s}）", c) for c, a, s in
                                        zip(open_items["code"], open_items["action"], open_items["status"])],
                               description="行动项", style=forms.LABEL, layout=w.Layout(width="480px"))
        self.item.add_class("sgz-field-item")
        self.status = w.Dropdown(options=list(sv.STATUSES), value=None, description="改为", style=forms.LABEL,
                                 layout=w.Layout(width="200px"))
        self.status.add_class("sgz-field-status")
        self.when = forms.date("日期", dt.date.today())
        self.note = forms.text("说明", area=True, placeholder="做了什么、依据是什么（会留在行动项历史中）")
        self.button = forms.button("更改状态", "primary", "change-status")
        self.button.on_click(lambda _: self.change())
        self.trail = w.HTML()
        self.item.observe(lambda _: self.show_trail(), names="value")
        self.show_trail()
        change = forms.section("更改行动项状态", w.HBox([self.item, self.status, self.when]), self.note, self.button,
                               self.out, self.trail, name="change",
                               note="未开始 → 进行中 → 已完成 / 已取消；已完成、已取消的不能改回。历史只增不改。")
        if open_items.empty:
            change = forms.section("更改行动项状态", w.HTML(ui.message("本站没有未完成的行动项。")), self.out, name="change")
        listed = self.register.assign(flags=self.register["flags"].map("、".join))
        table = ui.table(listed[list(ACTION_HEADERS)].rename(columns=ACTION_HEADERS), "本站还没有行动项。",
                         name=f"行动项_{page.station.value}")
        self.widget = w.VBox([change, forms.section("本站的行动项", w.HTML(table), name="items")])

    def show_trail(self) -> None:
        code = self.item.value
        if not code:
            self.trail.value = ""
            return
        h = self.history[self.history["action_code"] == code].copy()
        h["session_code"] = [("两次督导之间的更新" if is_update(c) else f"督导 {c}") for c in h["session_code"]]
        self.trail.value = ('<div class="sgz-title">这一行动项的历史（新的在前）</div>'
                            + ui.table(h[list(HISTORY_HEADERS)].rename(columns=HISTORY_HEADERS), scroll=False))

    def change(self) -> None:
        code, status = self.item.value, self.status.value

        def act() -> str:
            sv.change_status(self.page.engine, self.page.me.user, code, status or "", self.note.value, self.when.value)
            return f"行动项 {code} 已改为「{status}」"

        forms.run(self.out, act, self.button, redraw=lambda line: self.page.saved(line, 1))
