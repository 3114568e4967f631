"""The 数据质量 tab of the project progress board: the data-quality findings of the district's stations.

The findings (``Workbench.quality``: the same as ``sgz quality`` and the reports' 数据质量 sections) are
worked out the first time the tab is opened, and again when the district or the date changes while it is
open: the progress board's first view does not wait for them.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from ..domain.labels import QUALITY_CHECKS
from ..reports.tables import quality_table
from . import ui
from .data import Source, townships

TITLE = "数据质量"
NOTE = ("指标计算看不出的台账问题，每条写明原因和涉及的记录：同一服务对象在两个站点的名单上（及两站各计入了哪些指标）、"
        "社工同一天在两个乡镇（街道）站点都有节次、事后补录（首次导入比记录日期晚 30 天以上）、与同清单站点相比异常的数字"
        "（稳健 z ≥ 3.5）、内容摘要雷同（10 条及以上）。")


def district_findings(src: Source, as_of, district: str) -> pd.DataFrame:
    """The findings about the township stations of ``district`` (a problem of two stations once)."""
    found = src.wb.quality(as_of)
    codes = set(townships(src.ds, district)["code"])
    return found[found["station_code"].isin(codes) | found["other_station"].isin(codes)].reset_index(drop=True)


def check_kpis(found: pd.DataFrame) -> list[tuple[str, object, bool]]:
    """How many findings of each check, and in all."""
    counts = found["check"].value_counts()
    return [("问题总数", len(found), len(found) > 0)] + [
        (words, int(counts.get(check, 0)), bool(counts.get(check, 0))) for check, words in QUALITY_CHECKS.items()]


class QualityTab:
    """The tab's content, drawn from the board's district and date when the tab is showing."""

    def __init__(self, src: Source, board: ui.Board):
        self.src, self.board = src, board
        self.body = w.HTML(ui.message("打开本页时核查所选区县各社工站的数据质量。", "note"))
        self.body.add_class("sgz-panel")
        self.body.add_class("sgz-panel-quality")
        self.widget = w.VBox([w.HTML(f'<div class="sgz-note">{NOTE}</div>'), self.body])
        self.showing = False
        self.shown_for: tuple | None = None

    def show(self, showing: bool) -> None:
        self.showing = showing
        self.draw()

    def draw(self) -> None:
        if not self.showing:
            return
        state = self.board.state
        key = (state["district"], state["as_of"])
        if key == self.shown_for:
            return
        self.shown_for = key
        found = district_findings(self.src, state["as_of"], state["district"])
        self.body.value = ui.kpis(check_kpis(found)) + ui.table(
            quality_table(found, with_station=True), empty="所选区县没有发现数据质量问题。", name=TITLE)


def tabs(progress_view: w.Widget, src: Source, board: ui.Board) -> w.Tab:
    """The board as two tabs: 指标进度 (``progress_view``) and 数据质量."""
    quality = QualityTab(src, board)
    tab = w.Tab(children=[progress_view, quality.widget], titles=["指标进度", TITLE])
    tab.add_class("sgz-tabs")
    tab.observe(lambda change: quality.show(change["new"] == 1), names="selected_index")
    for name in ("district", "as_of"):
        board.controls[name].observe(lambda _change: quality.draw(), names="value")
    return tab
