"""What the action pages (督导记录, 评估核验, 评分与签字) share: labelled fields, a place for the outcome of a
button, refusals shown as a table (what, where, why), a file offered for download."""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
from collections.abc import Callable

import ipywidgets as w
import pandas as pd

from ...errors import ProblemsError, SgzError
from .. import ui

log = logging.getLogger(__name__)
LABEL = {"description_width": "initial"}
FULL = w.Layout(width="100%")


def text(label: str, value: str = "", placeholder: str = "", area: bool = False, width: str = "96%") -> w.Widget:
    kind = w.Textarea if area else w.Text
    widget = kind(value=value, placeholder=placeholder, description=label, style=LABEL,
                  layout=w.Layout(width=width, height="56px" if area else None))
    return widget


def date(label: str, value: dt.date) -> w.DatePicker:
    return ui.date_picker(label, value)


def button(label: str, kind: str = "primary", name: str = "") -> w.Button:
    widget = w.Button(description=label, button_style=kind, layout=w.Layout(width="auto", min_width="120px"))
    if name:
        widget.add_class(f"sgz-button-{name}")
    return widget


def section(title: str, *children: w.Widget, name: str = "", note: str = "") -> w.VBox:
    head = f'<div class="sgz-title">{html.escape(title)}</div>'
    if note:
        head += f'<div class="sgz-note">{html.escape(note)}</div>'
    box = w.VBox([w.HTML(head), *(w.HBox([c]) if isinstance(c, w.Button) else c for c in children)])
    box.add_class("sgz-panel")
    if name:
        box.add_class(f"sgz-panel-{name}")
    return box


def outcome(name: str) -> w.HTML:
    """Where a button's result is shown (ok, or every problem)."""
    widget = w.HTML()
    widget.add_class(f"sgz-outcome-{name}")
    return widget


def problems_table(exc: ProblemsError) -> str:
    """Every problem of a refusal: where, which field, the value, why (in the order found)."""
    frame = pd.DataFrame([{"位置": p.where, "项目": p.column, "值": "" if p.value is None else str(p.value),
                           "原因": p.message} for p in exc.problems])
    frame = frame.loc[:, [c for c in frame.columns if frame[c].astype(str).str.len().gt(0).any()]]
    return ui.message(exc.title, "error") + ui.table(frame, scroll=False, limit=None)


def run(out: w.HTML, action: Callable[[], str], busy: w.Button | None = None,
        redraw: Callable[[str], None] | None = None) -> bool:
    """Run ``action`` (returns the success line); show the refusal in ``out``, or the line: in ``out``, or, when
    the page is redrawn from the database after a write, by ``redraw(line)`` (so that the line shows once the
    page is up to date). True if it worked."""
    if busy is not None:
        busy.disabled = True
    out.value = ui.message("正在保存……", "note")
    try:
        done = action()
    except ProblemsError as exc:
        out.value = problems_table(exc)
    except SgzError as exc:
        out.value = ui.message(str(exc), "error")
    except Exception as exc:  # a page never shows a traceback
        log.exception("action failed")
        out.value = ui.message(f"没能保存（{type(exc).__name__}：{exc}）。请联系管理员，并说明当时做了什么。", "error")
    else:  # the button stays disabled while the page is redrawn from the database
        if redraw is None:
            out.value = ui.message(done, "ok")
        else:
            out.value = ui.message("已保存，正在重新读取数据……", "note")
            redraw(done)
        return True
    if busy is not None:
        busy.disabled = False
    return False


def download_link(content: bytes, file_name: str, mime: str, label: str) -> str:
    data = base64.b64encode(content).decode("ascii")
    return (f'<a class="sgz-download" download="{html.escape(file_name)}" href="data:{mime};base64,{data}">'
            f'{html.escape(label)}</a>')


def uploaded(widget: w.FileUpload) -> tuple[str, bytes] | None:
    """(name, bytes) of the file chosen in ``widget``, or None."""
    if not widget.value:
        return None
    first = widget.value[0]
    return first["name"], bytes(first["content"])


def staff_label(code: str, name) -> str:
    return f"{name}（{code}）" if isinstance(name, str) and name else code
