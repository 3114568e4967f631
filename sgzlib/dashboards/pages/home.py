"""首页: what this user may do (their role's pages, each one click away), the stations they see, recent operations."""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from ...store import audit, storage
from .. import ui
from ..data import station_label
from . import HOME

RECENT = 8


def cards(me) -> str:
    """One card per page the role may use: the actions first, then the boards."""
    mine = [p for p in me.pages() if p.name != HOME]
    ordered = [p for p in mine if p.action] + [p for p in mine if not p.action]
    items = "".join(
        f'<li><a id="sgz-link-{p.name}" href="{p.notebook}"><h2>{html.escape(p.title)}</h2>'
        f'<p>{html.escape(p.blurb)}</p></a></li>' for p in ordered)
    return f'<ul class="sgz-cards">{items}</ul>'


def stations_text(wb) -> str:
    towns = wb.townships()
    if towns.empty:
        return ui.message("本账号的范围内还没有乡镇（街道）社工站：请先上传台账，或请管理员检查访问权限。")
    labels = "、".join(station_label(r) for _, r in towns.iterrows())
    return f'<div class="sgz-note">可以查看的社工站（{len(towns)} 个）：{html.escape(labels)}</div>'


def recent_operations(me, wb) -> pd.DataFrame:
    """The latest operations this user may read (their own, and their stations'), in Chinese.

    PostgreSQL under access control reads only those rows; elsewhere (SQLite, one computer) they are picked
    here by the same rule, over the stations of the user's scope (``wb``).
    """
    engine = storage.connect(me.url, upgrade=False)
    try:
        frame = audit.recent(engine, RECENT if me.user.all_stations else 10 * RECENT)
    finally:
        engine.dispose()
    if not me.user.all_stations and not frame.empty:
        mine = set(wb.stations()["code"])
        touched = frame["stations"].fillna("").map(lambda s: bool(mine & set(s.split(audit.STATION_SEP))))
        frame = frame[touched.to_numpy(dtype=bool) | (frame["login"] == me.login).to_numpy(dtype=bool)].head(RECENT)
    if frame.empty:
        return frame
    shown = audit.display(frame)
    return shown[["时间", "账号", "操作", "文件", "站点", "新增", "修改", "删除", "试运行"]]


def build(me) -> w.Widget:
    wb = me.index()
    head = (f'<h1 class="sgz-home-title">社工站工作台</h1>'
            f'<div class="sgz-note">您好，{html.escape(me.display_name)}（{html.escape(me.role)}）。'
            "点下面的卡片即可开始；每一页打开时读取数据库的最新数据。</div>")
    recent = recent_operations(me, wb)
    log = ui.table(recent, "还没有操作记录。", scroll=False) if not recent.empty else ui.message("还没有操作记录。")
    return w.VBox([
        w.HTML(head), w.HTML(cards(me)), w.HTML(f'<div class="sgz-panel sgz-panel-scope">{stations_text(wb)}</div>'),
        w.HTML(f'<div class="sgz-panel sgz-panel-recent"><div class="sgz-title">最近的操作</div>{log}</div>'),
    ])
