"""上传台账: choose a workbook (checked at once, as ``sgz import --dry-run``), read the result, 确认导入.

Three clicks from the home page: the 上传台账 card, 选择台账工作簿, 确认导入. The work runs on a thread of the
kernel (``actions.upload``), so the page keeps answering and shows where it is: waiting for another upload
(``actions.gate``), reading a long sheet (a progress bar), checking against the database, writing.
"""

from __future__ import annotations

import base64
import html
import logging
import shutil
import tempfile
import threading
from pathlib import Path

import ipywidgets as w

from ...actions import upload
from ...actions.gate import busy_text
from ...errors import SgzError
from .. import ui
from ..data import station_label
from .scoring import lapse_confirmation

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "上传台账"
SUBTITLE = ("上传本站的台账工作簿：先与数据库核对（与命令 sgz import 的试运行相同），列出全部错误或各工作表将做的修改；"
            "确认后在同一个加锁的事务中导入，并记入操作记录。")


class UploadPage:
    """The page's widgets and what happens when a workbook arrives or 确认导入 is clicked."""

    def __init__(self, me):
        self.me = me
        self.checked: upload.Checked | None = None
        self.busy = threading.Lock()
        # The uploaded workbooks of this page: removed with it (and at the kernel's end), one kept at a time.
        self.folder = tempfile.TemporaryDirectory(prefix="sgz-upload-")
        self.chooser = w.FileUpload(accept=".xlsx", multiple=False, description="选择台账工作簿",
                                    button_style="primary", layout=w.Layout(width="220px"))
        self.chooser.add_class("sgz-upload")
        self.chooser.observe(self._arrived, names="value")
        self.bar = w.IntProgress(value=0, min=0, max=100, layout=w.Layout(width="420px", visibility="hidden"))
        self.bar.add_class("sgz-progress")
        self.status = w.HTML()
        self.status.add_class("sgz-upload-status")
        self.result = w.VBox()
        self.result.add_class("sgz-upload-result")
        self.scope = w.HTML()
        self.widget = w.VBox([
            ui.header(TITLE, SUBTITLE),
            w.HTML(f'<div class="sgz-limit">{html.escape(upload.limit_text())}</div>'), self.scope,
            w.HBox([self.chooser, self.bar], layout=w.Layout(align_items="center")), self.status, self.result])
        self.widget.sgz_refresh = self.show_scope  # keep what the page shows when the data is read again
        self.show_scope()

    # -- what the page says -------------------------------------------------------------------------------

    def show_scope(self) -> None:
        try:
            towns = self.me.index().townships()
        except SgzError as exc:
            self.scope.value = ui.message(str(exc))
            return
        names = "、".join(station_label(r) for _, r in towns.iterrows()) or "（范围内还没有站点）"
        self.scope.value = (f'<div class="sgz-note">本账号可以导入的站点：{html.escape(names)}。'
                            "工作簿涉及范围以外的站点时整体拒绝。</div>")

    def say(self, text: str, kind: str = "note") -> None:
        self.status.value = ui.message(text, kind)

    def progress(self, desc: str, total: int | None):
        """A progress bar for the reader's long sheets (``ledger.reader.Progress``)."""
        page = self

        class Bar:
            done = 0

            def update(self, n: int) -> None:
                self.done += n
                if total:
                    page.bar.value = min(100, int(100 * self.done / total))
                page.say(f"{desc}：{self.done} / {total or '?'} 行")

            def close(self) -> None:
                page.bar.value = 100

        self.bar.value = 0
        self.bar.layout.visibility = "visible"
        return Bar()

    def waiting(self, seconds: float) -> None:
        self.say(busy_text(seconds), "warn")

    # -- a workbook arrives ---------------------------------------------------------------------------------

    def _arrived(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name, content = item["name"], bytes(item["content"])
        self.chooser.value = ()  # the same file may be chosen again after fixing it
        if not self.busy.acquire(blocking=False):
            self.say("上一份工作簿还在处理中：请等它完成后再选择新的工作簿。", "warn")
            return
        threading.Thread(target=self._check, args=(name, content, False), daemon=True, name="sgz-upload").start()

    def _check(self, name: str, content: bytes, prune: bool, path=None) -> None:
        try:
            self.chooser.disabled = True
            self.result.children = ()
            if path is None:
                for old in Path(self.folder.name).iterdir():
                    shutil.rmtree(old, ignore_errors=True)
                path = upload.save(name, content, Path(tempfile.mkdtemp(dir=self.folder.name)))
            self.say(f"正在检查「{path.name}」：读取工作簿并与数据库核对……")
            self.bar.layout.visibility = "hidden"
            checked = upload.check(self.me.url, self.me.user, path, prune=prune, progress=self.progress,
                                   waiting=self.waiting)
            self.checked = checked
            self.bar.layout.visibility = "hidden"
            self.result.children = (self._errors(checked) if not checked.ok else self._changes(checked),)
            self.say(f"「{path.name}」检查完毕（{checked.at:%H:%M:%S}）。", "note")
        except SgzError as exc:
            self.say(str(exc), "error")
        except Exception as exc:  # the page must say something, never leave a traceback
            log.exception("upload check failed")
            self.say(f"检查没有完成（{type(exc).__name__}：{exc}）。请联系管理员并附上这份工作簿。", "error")
        finally:
            self.bar.layout.visibility = "hidden"
            self.chooser.disabled = False
            self.busy.release()

    def _errors(self, checked: upload.Checked) -> w.Widget:
        error = checked.error
        frame = upload.errors_frame(error, checked.letters)
        book = base64.b64encode(upload.errors_workbook(error, checked.letters)).decode("ascii")
        head = (f'<div class="sgz-error">{html.escape(error.title)}：共 {len(error.problems)} 处问题，数据库没有任何改动。'
                "请按下表（工作表、Excel 行号、列、原因）改正后重新上传。</div>"
                f'<div class="sgz-downloads"><a class="sgz-errors-download" download="错误清单_{html.escape(checked.file_name)}"'
                f' href="data:{XLSX};base64,{book}">下载错误清单（Excel）</a></div>')
        table = ui.table(frame, limit=None)
        box = w.HTML(f'<div class="sgz-panel sgz-panel-errors">{head}{table}</div>')
        return box

    # -- a clean workbook: the changes, the rows behind them, prune, 确认导入 --------------------------------

    def _changes(self, checked: upload.Checked) -> w.Widget:
        result = checked.result
        stations = "、".join(result.stations) or "无"
        counts = upload.changes(result)
        totals = "，".join(f"{c} {int(counts[c].sum())} 行" for c in counts.columns[2:])
        head = (f'<div class="sgz-ok">检查通过：没有发现错误。涉及站点：{html.escape(stations)}。</div>'
                f'<div class="sgz-note sgz-totals">导入后将：{html.escape(totals)}（尚未写入数据库；各工作表见下表）。</div>')
        notes = "".join(ui.message(f"提示：{n}", "note") for n in result.notes)
        removed = sum(len(s.removed) for s in result.sheets)
        prune = w.Checkbox(value=checked.prune, indent=False, description="同时删除工作簿中已没有的行",
                           layout=w.Layout(width="auto"))
        prune.add_class("sgz-prune")
        prune.observe(lambda ch: self._reprune(ch["new"]), names="value")
        prune_note = w.HTML(ui.message(_prune_text(removed, checked.prune), "warn" if removed else "note"))
        confirm = w.Button(description="确认导入", button_style="success", icon="check",
                           disabled=not result.changed_anything, layout=w.Layout(width="160px"))
        confirm.add_class("sgz-confirm")
        confirm.on_click(lambda _: self._start_commit(confirm))
        if not result.changed_anything:
            done = ui.message("数据库已是最新：这份工作簿不会改变任何数据，无需导入。", "ok")
        else:
            done = ui.message("确认后在一个事务中写入：全部成功或全部不写入；操作记录将写明您的账号。", "note")
        table = w.HTML(f'<div class="sgz-title">各工作表的修改</div>{ui.table(counts, scroll=False)}{notes}')
        lapse = lapse_confirmation(result.signoff_changes)  # signed-off figures it would change: tick to go on
        self.accept_lapse = None if lapse is None else lapse[1]
        if lapse is not None:
            confirm.disabled = True
            lapse[1].observe(lambda ch: setattr(confirm, "disabled", not ch["new"]), names="value")
        box = w.VBox([w.HTML(head), prune, prune_note, *([lapse[0]] if lapse else []),
                      w.HBox([confirm, w.HTML(done)], layout=w.Layout(align_items="center", grid_gap="12px")), table,
                      self._rows_viewer(checked)])
        box.add_class("sgz-panel")
        box.add_class("sgz-panel-changes")
        return box

    def _rows_viewer(self, checked: upload.Checked) -> w.Widget:
        result = checked.result
        options = [("（选择一项查看它包括哪些行）", None)]
        for s in result.sheets:
            for kind, word in upload.KINDS.items():
                n = len(getattr(s, kind))
                if n:
                    shown = word if kind != "removed" or result.pruned else "库中有而本次没有"
                    options.append((f"{s.sheet} · {shown}（{n} 行）", (s.sheet, kind)))
        if len(options) == 1:
            return w.HTML("")
        pick = ui.dropdown("查看行", options, value=None, width="460px")
        pick.add_class("sgz-rows-pick")
        out = w.HTML()
        out.add_class("sgz-rows")

        def show(change) -> None:
            if change["new"] is None:
                out.value = ""
                return
            sheet, kind = change["new"]
            frame = upload.rows_behind(result, sheet, kind, self.me.masked)
            out.value = ui.table(frame, name=f"{sheet}_{upload.KINDS[kind]}")

        pick.observe(show, names="value")
        return w.VBox([pick, out])

    def _reprune(self, prune: bool) -> None:
        if self.checked is None or not self.busy.acquire(blocking=False):
            return
        path = self.checked.path
        threading.Thread(target=self._check, args=(path.name, b"", prune, path), daemon=True).start()

    def _start_commit(self, button: w.Button) -> None:
        if self.checked is None or not self.busy.acquire(blocking=False):
            return
        button.disabled = True
        threading.Thread(target=self._commit, daemon=True, name="sgz-import").start()

    def _commit(self) -> None:
        checked = self.checked
        try:
            self.chooser.disabled = True
            self.say(f"正在导入「{checked.file_name}」……")
            accept = bool(getattr(self, "accept_lapse", None) is not None and self.accept_lapse.value)
            result = upload.commit(self.me.url, self.me.user, checked, progress=self.progress, waiting=self.waiting,
                                   accept_signoff_changes=accept)
            new = sum(len(s.new) for s in result.sheets)
            changed = sum(len(s.changed) for s in result.sheets)
            removed = sum(len(s.removed) for s in result.sheets) if result.pruned else 0
            self.result.children = (w.HTML(f'<div class="sgz-panel sgz-panel-imported">'
                                           f'<div class="sgz-ok">已导入「{html.escape(checked.file_name)}」：新增 {new} 行，'
                                           f'修改 {changed} 行，删除 {removed} 行；涉及站点 {"、".join(result.stations)}。'
                                           f"操作记录已写入（账号 {html.escape(self.me.login)}）。</div>"
                                           f"{ui.table(upload.changes(result), scroll=False)}</div>"),)
            self.say("导入完成，各页面打开或刷新时即显示新数据。", "ok")
            self.checked = None
            self.me.changed()
        except SgzError as exc:
            self.say(f"没有导入，数据库没有任何改动：{exc}", "error")
        except Exception as exc:
            log.exception("upload commit failed")
            self.say(f"导入没有完成，数据库没有任何改动（{type(exc).__name__}：{exc}）。请联系管理员。", "error")
        finally:
            self.bar.layout.visibility = "hidden"
            self.chooser.disabled = False
            self.busy.release()


def _prune_text(removed: int, pruned: bool) -> str:
    if not removed:
        return "数据库中这些站点的行都在工作簿中，勾选与否没有区别。"
    if pruned:
        return (f"已勾选：确认导入时将从数据库删除 {removed} 行（属于本工作簿的站点、但工作簿中已没有的行，见上面「已删除」），"
                "删除后不能恢复。")
    return (f"不勾选时，数据库中属于这些站点、但工作簿中已没有的 {removed} 行保留不动（见上面「库中有而本次没有」）；"
            "勾选后重新检查，确认导入时在同一事务中删除它们，删除后不能恢复。")


def build(me) -> w.Widget:
    return UploadPage(me).widget
