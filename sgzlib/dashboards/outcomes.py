"""服务成效看板: before/after scores by scale, domain, station and case vs group work, with masked names.

Pairs, statistics and reliable-change classes come from ``sgzlib.domain.outcomes``
(computed once per as-of date); this module filters them, joins masked names
and draws.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import ipywidgets as w
import pandas as pd

from ..domain import outcomes, scales
from ..domain.dataset import Dataset
from ..store import privacy
from . import figures, ui
from .data import Source, source, station_options

ALL_STATIONS, ALL_DOMAINS, ALL_WORK = "全部站点", "全部领域", "全部"
STATS_TITLE = "统计检验（改善 = 按量表方向换算后的后测减前测，正数表示变好）"
MIN_PAIRS = 5  # below this many pairs no statistic is shown, only the pairs themselves
CANNOT = outcomes.RCI_CANNOT
WORK_TYPES = (ALL_WORK, "个案", "小组")
STAT_COLUMNS = {
    "station_name": "社工站", "work_type": "服务方式", "n": "配对人次", "mean_improvement": "平均改善",
    "median_improvement": "改善中位数", "p_t": "配对 t 检验 p", "p_w": "符号秩检验 p", "d_z": "效应量 dz",
    "r_rb": "效应量 r", "improved": "可靠改善", "unchanged": "无可靠变化", "deteriorated": "可靠恶化", "note": "说明",
}


def analysis(src: Source, as_of: dt.date) -> outcomes.OutcomeAnalysis:
    return src.memo(("outcomes", as_of), lambda: outcomes.analyse(src.ds, as_of))


def scale_options(pairs: pd.DataFrame) -> list[tuple[str, str]]:
    """Scales with pairs, the most used first: (中文名（缩写）, id)."""
    registry = scales.load_scales()
    counts = pairs["scale"].value_counts()
    return [(f"{registry.resolve(s).name_zh}（{s}，{n} 人次）", s) for s, n in counts.items()]


def select(pairs: pd.DataFrame, scale: str | None, domain: str = ALL_DOMAINS, station: str = ALL_STATIONS,
           work: str = ALL_WORK) -> pd.DataFrame:
    rows = pairs[pairs["scale"] == scale]
    if domain != ALL_DOMAINS:
        rows = rows[rows["domain"] == domain]
    if station != ALL_STATIONS:
        rows = rows[rows["station_code"] == station]
    if work != ALL_WORK:
        rows = rows[rows["work_type"] == work]
    return rows


def labelled(ds: Dataset, pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs with ``label``: masked name and beneficiary code (names never leave unmasked)."""
    names = ds.beneficiaries.set_index("code")["name"].map(privacy.mask_name)
    episode = pairs["case_code"].fillna(pairs["group_code"]).fillna(pairs["project_code"]).astype("string")
    label = names.reindex(pairs["beneficiary_code"]).fillna("").to_numpy() + "（" + pairs["beneficiary_code"] + \
        "，" + episode.fillna("") + "）"
    return pairs.assign(label=label.astype(str))


def kpis(rows: pd.DataFrame, as_of: dt.date | None = None) -> list[tuple[str, object, bool]]:
    """Key figures of the selected pairs; RCI counts read 无法计算 (with the reason) where no RCI exists."""
    better = int((rows["improvement"] > 0).sum())
    worse = int((rows["improvement"] < 0).sum())
    reliable = rows["rci_class"].value_counts()
    cannot = int(reliable.get(CANNOT, 0))
    items = [("截至日期", f"{as_of:%Y-%m-%d}", False)] if as_of else []
    items += [
        ("配对人次", len(rows), False),
        ("得分变好", better, False),
        ("得分不变", len(rows) - better - worse, False),
        ("得分变差", worse, bool(worse)),
    ]
    if len(rows) and cannot == len(rows):
        items += [("可靠改善（RCI）", CANNOT, False), ("可靠恶化（RCI）", CANNOT, False)]
    else:
        items += [("可靠改善（RCI）", int(reliable.get("改善", 0)), False),
                  ("可靠恶化（RCI）", int(reliable.get("恶化", 0)), bool(reliable.get("恶化", 0)))]
        if cannot:
            items.append(("RCI 无法计算", f"{cannot} 人次", True))
    if len(rows) >= MIN_PAIRS:
        items.append(("平均改善", f"{rows['improvement'].mean():.2f}", False))
    else:
        items.append(("平均改善", f"配对不足 {MIN_PAIRS} 人次，不计算", bool(len(rows))))
    return items


def rci_note(rows: pd.DataFrame) -> str:
    """A sentence under the cards saying why (some) RCI values could not be computed; empty when all could."""
    cannot = int((rows["rci_class"] == CANNOT).sum())
    if not cannot:
        return ""
    who = "所选全部配对" if cannot == len(rows) else f"{cannot} 人次"
    return f"{who}的可靠变化指数（RCI）无法计算：{rci_reason(rows)}。"


def rci_reason(rows: pd.DataFrame) -> str:
    """Why the RCI could not be computed for (some of) these pairs, from ``outcomes``' notes."""
    notes = rows.loc[rows["rci_class"] == CANNOT, "rci_note"].dropna().unique()
    return "；".join(notes) if len(notes) else "量表缺少信度或标准差"


def pairs_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The pairs themselves (shown instead of statistics when there are fewer than ``MIN_PAIRS``)."""
    return pd.DataFrame({"服务对象": rows["label"], "服务方式": rows["work_type"], "前测日期": rows["pre_date"],
                         "前测": rows["pre"], "后测日期": rows["post_date"], "后测": rows["post"],
                         "改善": rows["improvement"], "可靠变化": rows["rci_class"]}).reset_index(drop=True)


def statistics(ds: Dataset, a: outcomes.OutcomeAnalysis, rows: pd.DataFrame) -> pd.DataFrame:
    """``outcomes.summary`` of the selected pairs per station and work type, and for all of them (合计)."""
    part = dataclasses.replace(a, pairs=rows)
    by_station = outcomes.summary(ds, by=("station_code", "work_type"), analysis=part)
    total = outcomes.summary(ds, by=("scale",), analysis=part).drop(columns="scale")
    total.insert(0, "work_type", "合计")
    total.insert(0, "station_code", "")
    out = pd.concat([by_station, total], ignore_index=True)
    names = ds.stations.set_index("code")["name"]
    out["station_name"] = out["station_code"].map(names).fillna("全部所选")
    for column in ("mean_improvement", "median_improvement", "d_z", "r_rb"):
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    for column in ("p_t", "p_w"):
        out[column] = out[column].map(_p)
    # below MIN_PAIRS no statistic (an effect size of 1.00 from one pair means nothing): the pairs are listed
    few = out["n"] < MIN_PAIRS
    for column in ("mean_improvement", "median_improvement", "p_t", "p_w", "d_z", "r_rb"):
        out.loc[few, column] = "—"
    out.loc[few, "note"] = f"配对少于 {MIN_PAIRS} 人次，不计算统计量，见下方配对明细"
    out = outcomes.rci_cells(out)
    return out[list(STAT_COLUMNS)].rename(columns=STAT_COLUMNS)


def _p(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def worse_list(rows: pd.DataFrame) -> pd.DataFrame:
    """Who got worse (direction-aware), reliable deteriorations first; names masked."""
    worse = rows[rows["improvement"] < 0].copy()
    worse["_order"] = (worse["rci_class"] != "恶化").astype(int)
    worse = worse.sort_values(["_order", "improvement", "beneficiary_code"])
    return pd.DataFrame({"服务对象": worse["label"], "服务方式": worse["work_type"], "前测": worse["pre"],
                         "后测": worse["post"], "改善": worse["improvement"], "可靠变化": worse["rci_class"]})


def build(src: Source | None = None) -> w.VBox:
    """The outcomes board."""
    src = src or source()
    ds = src.ds
    registry = scales.load_scales()
    board = ui.Board("服务成效看板")
    as_of0 = src.as_of
    pairs0 = analysis(src, as_of0).pairs
    c_scale = board.control("scale", ui.dropdown("量表", scale_options(pairs0), width="420px"))
    c_domain = board.control("domain", ui.dropdown("领域", [ALL_DOMAINS, *sorted(pairs0["domain"].dropna().unique())],
                                                   width="220px"))
    c_station = board.control("station", ui.dropdown("社工站", [(ALL_STATIONS, ALL_STATIONS), *station_options(ds)], width="360px"))
    c_work = board.control("work", ui.toggles("服务方式", WORK_TYPES))
    c_as_of = board.control("as_of", ui.date_picker("截至日期", as_of0))

    def on_date(state):
        board.set_options("scale", scale_options(analysis(src, state["as_of"]).pairs))

    board.link({"as_of"}, on_date)

    def rows(state) -> pd.DataFrame:
        a = analysis(src, state["as_of"])
        return labelled(ds, select(a.pairs, state["scale"], state["domain"], state["station"], state["work"]))

    def scale_of(state):
        return registry.resolve(state["scale"]) if state["scale"] else None

    def figure(draw):
        def render(state):
            r, scale = rows(state), scale_of(state)
            if r.empty or scale is None:
                return ui.message("所选条件下没有配对的前测和后测。")
            return draw(r, scale.name_zh, scale.higher_is_better)
        return render

    def stats(state):
        r = rows(state)
        if r.empty:
            return ui.message("所选条件下没有配对数据。")
        # every row, the 合计 row last included (a station's row is never left out)
        return ui.table(statistics(ds, analysis(src, state["as_of"]), r), name=STATS_TITLE, limit=None)

    every = {"scale", "domain", "station", "work", "as_of"}
    def cards(state):
        r = rows(state)
        note = rci_note(r)
        return ui.kpis(kpis(r, state["as_of"])) + (ui.message(note, "note") if note else "")

    board.panel("kpis", "", cards, every)
    board.panel("slopes", "", figure(figures.slopes), every, kind="figure")
    board.panel("distribution", "", figure(figures.before_after), every, kind="figure")
    board.panel("stats", STATS_TITLE, stats, every)
    board.panel("worse", "得分变差的服务对象（姓名已遮蔽）",
                lambda s: ui.table(worse_list(rows(s)), "没有得分变差的服务对象。", name="得分变差的服务对象"), every)

    def pairs(state):
        r = rows(state)
        if len(r) >= MIN_PAIRS:
            return ui.message(f"共 {len(r)} 人次配对；不足 {MIN_PAIRS} 人次时这里逐一列出。")
        return pairs_table(r) if not r.empty else ui.message("所选条件下没有配对数据。")

    board.panel("pairs", "配对明细（配对不足时代替统计量）", pairs, every)
    board.update()
    p = {panel.name: panel.widget for panel in board.panels}
    return w.VBox([
        ui.dated_header("服务成效看板", "前后测配对结果：每位服务对象的变化、得分分布、统计检验和可靠变化指数（RCI）；姓名已遮蔽。",
                        c_as_of),
        w.HBox([c_scale, c_domain, c_as_of]), w.HBox([c_station, c_work]),
        p["kpis"], ui.side_by_side(p["slopes"], p["distribution"]),
        p["stats"], p["pairs"], p["worse"],
    ])
