"""The frame every page of the workbench sits in: who is looking, how fresh the data is, the way home.

``show(name)`` is what a page notebook calls: the page for the kernel's user (``session.current()``), inside
``frame``, or a refusal when their role may not use it (the server does not serve such a page at all; this
is the second lock). The frame's bar names the user, role and scope, says when the data was read
("数据更新于 …") and has a 刷新数据 button.

Fresh data without a restart: a preheated page was built before anyone asked for it, maybe hours ago. When a
visitor's browser has drawn the page, the template clicks the frame's hidden ``sgz-visit`` button (see
``index.html.j2``); the kernel then asks the database whether anything was written since the data was read
(``Source.stale``) and, if so, reads it again and rebuilds the page. A page that keeps state of its own (an
upload under way) gives its widget a ``sgz_refresh()`` that is called instead of rebuilding it.
"""

from __future__ import annotations

import html
import logging

import ipywidgets as w

from ..errors import SgzError
from . import pages, ui
from . import session as sessions
from .session import Session

log = logging.getLogger(__name__)


def show(name: str) -> w.Widget:
    """The page ``name`` for this kernel's user (what a page notebook shows)."""
    try:
        me = sessions.current()
    except SgzError as exc:  # the server's user is not in the access file (any more): say so, show nothing else
        return w.HTML(ui.message(f"无法确定使用者：{exc}", "refused"))
    page = pages.page(name)
    if not me.may(name):
        return refusal(me, page)
    return Frame(me, page).widget


def user_line(me: Session) -> str:
    return (f'<span class="sgz-user">{html.escape(me.display_name)} · {html.escape(me.role)}'
            f' · {html.escape(me.scope_text())}{" · 个人信息已脱敏" if me.masked else ""}</span>')


def fresh_text(me: Session) -> str:
    return f"数据更新于 {me.updated_at:%Y-%m-%d %H:%M:%S}"


class Frame:
    """One page in its frame: the bar, the page's body, and the hidden button the browser clicks on arrival."""

    def __init__(self, me: Session, page: pages.Page):
        self.me, self.page = me, page
        home = "" if page.name == pages.HOME else '<a class="sgz-home" href="home.ipynb">← 首页</a> · '
        self.who = w.HTML(f'<div class="sgz-nav">{home}{user_line(me)}</div>')
        self.fresh = w.HTML()
        self.fresh.add_class("sgz-fresh")
        self.button = w.Button(description="刷新数据", tooltip="重新读取数据库", layout=w.Layout(width="96px"))
        self.button.add_class("sgz-refresh")
        self.button.on_click(lambda _: self.refresh(force=True))
        self.visit = w.Button(layout=w.Layout(display="none"))
        self.visit.add_class("sgz-visit")
        self.visit.on_click(lambda _: self.refresh(force=False))
        self.bar = w.HBox([self.who, self.fresh, self.button], layout=w.Layout(align_items="center"))
        self.bar.add_class("sgz-bar")
        self.body = self._build()
        me.on_change(lambda: self.refresh(force=True))
        self.widget = w.VBox([self.bar, self.body, self.visit])
        self.widget.add_class(f"sgz-page-{page.name}")
        self._show_fresh()

    def _build(self) -> w.Widget:
        try:
            return self.page.build(self.me)
        except SgzError as exc:
            return w.HTML(ui.message(str(exc), "error"))
        except Exception as exc:  # a page must never leave a traceback (nor Voila's English notice)
            log.exception("page %s failed", self.page.name)
            return w.HTML(ui.message(f"「{self.page.title}」没能打开（{type(exc).__name__}：{exc}）。"
                                     "请刷新页面重试；仍不行请联系管理员。", "error"))

    def _show_fresh(self) -> None:
        try:
            self.fresh.value = f'<span class="sgz-note">{fresh_text(self.me)}</span>'
        except SgzError as exc:
            self.fresh.value = ui.message(str(exc))

    def refresh(self, force: bool) -> bool:
        """Read the database again and rebuild the page when it changed (always when ``force``); True if it did."""
        loaded = self.me.sources()
        try:
            if not force and not any(s.stale() for s in loaded):
                return False
        except Exception:  # the database cannot be asked right now: keep what the page shows
            log.exception("freshness check failed")
            return False
        for source in loaded:
            source.refresh()
        keep = getattr(self.body, "sgz_refresh", None)
        if keep is not None:
            keep()
        else:
            self.body = self._build()
            self.widget.children = (self.bar, self.body, self.visit)
        self._show_fresh()
        return True


def refusal(me: Session, page: pages.Page) -> w.Widget:
    """What a page shows to a user whose role may not use it."""
    text = (f"「{page.title}」不在角色「{me.role}」可以使用的页面中，未打开。"
            "如需使用，请联系管理员在访问权限文件中调整角色。")
    return w.HTML(f'<div class="sgz-nav"><a href="home.ipynb">← 首页</a></div>{ui.message(text, "refused")}')
