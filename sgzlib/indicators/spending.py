"""Spending rules of seed 000 over the 经费支出 sheet: checklist-style findings with the source text.

"购买服务项目经费，不得购置固定资产;不得购置米面油；燃油费只能用于本地开展实际工作需要，不得用于异地往返。
所有活动发放物品，需提供领取单据，小型物品（单价少）需提供合照或领取照片。" A catalogue lists the checks
it enforces under ``spending`` (id, check, source_text, parameters); each check is a small function
registered below that returns the expense rows it flags with a Chinese reason. Words that identify
rice/flour/oil, fixed assets, fuel and travel elsewhere are data (``sgzlib/data/spending_words.yaml``).

Readings: the ledger has no unit price, so "小型物品（单价少）" is a distributed item whose amount is at
most ``small_item_max`` yuan (default 500); fuel is "outside the locality" when its 地点 or 物品 says
往返/异地/出差, or names a place that is neither the station, its district nor a 本地 word; fuel with no
地点 is flagged because it cannot be checked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..domain.vocab import fold
from ..photos import checks

WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "spending_words.yaml"
OK, FLAGGED = "未发现问题", "需核查"
CHECK_COLUMNS = ["project_code", "check_id", "name", "source_text", "status", "n_flagged", "amount_flagged"]
RECORD_COLUMNS = ["project_code", "check_id", "record_id", "date", "amount", "category", "item", "place", "reason"]


@dataclass(frozen=True)
class SpendingCheck:
    """One spending rule of a catalogue."""

    id: str
    check: str
    name: str
    source_text: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass
class SpendingResult:
    """Per project × check a checklist line (``checks``), and every flagged expense (``records``)."""

    checks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHECK_COLUMNS))
    records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RECORD_COLUMNS))

    def only(self, projects) -> SpendingResult:
        keep = set(projects)
        return SpendingResult(self.checks[self.checks["project_code"].isin(keep)].reset_index(drop=True),
                              self.records[self.records["project_code"].isin(keep)].reset_index(drop=True))


CHECKS: dict[str, tuple[Callable, str]] = {}


def check(name: str, label: str):
    """Decorator: register a spending check ``func(rows, words, params, ctx) -> reasons`` (None = fine)."""

    def wrap(func):
        CHECKS[name] = (func, label)
        return func

    return wrap


@functools.cache
def words() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    return {k: tuple(fold(w) for w in v) for k, v in data.items()}


def _has_word(texts: pd.Series, vocab: tuple[str, ...]) -> pd.Series:
    """The first word of ``vocab`` each text contains (None where none)."""
    return texts.fillna("").map(lambda t: next((w for w in vocab if w in fold(t)), None))


def _reasons(mask: np.ndarray, texts) -> np.ndarray:
    return np.where(mask, np.asarray(texts, dtype=object), None)


def _by_category_or_word(rows, words, category: str, what: str, category_note: str = "") -> np.ndarray:
    """Rows whose category is ``category`` or whose item names one of ``words``, with the reason for each."""
    word = _has_word(rows["item"], words)
    by_cat = (rows["category"] == category).to_numpy(dtype=bool)
    text = [f"类别为「{category}」{category_note}：{i or '未写物品'}" if c else f"物品「{i}」含“{wd}”，属{what}"
            for c, i, wd in zip(by_cat, rows["item"].fillna(""), word)]
    return _reasons(by_cat | word.notna().to_numpy(), text)


@check("fixed_asset", "不得购置固定资产")
def fixed_asset(rows, w, params, ctx) -> np.ndarray:
    return _by_category_or_word(rows, w["fixed_asset"], "设备购置", "固定资产", "（固定资产）")


@check("grain_oil", "不得购置米面油")
def grain_oil(rows, w, params, ctx) -> np.ndarray:
    return _by_category_or_word(rows, w["grain_oil"], "米面油", "米面油")


@check("fuel_outside", "燃油费只能用于本地，不得用于异地往返")
def fuel_outside(rows, w, params, ctx) -> np.ndarray:
    fuel = (rows["category"] == "交通燃油").to_numpy(dtype=bool) | _has_word(rows["item"], w["fuel"]).notna().to_numpy()
    stations = ctx.ds.stations.set_index("code")
    local_names = [fold(n) for n in pd.concat([stations["name"], stations["district"]]).dropna().unique()]
    local_names += [n.removesuffix("社会工作服务站").removesuffix("社工站") for n in local_names]
    local_names = [n for n in local_names if len(n) >= 2]
    out = np.full(len(rows), None, dtype=object)
    for k, (is_fuel, place, item) in enumerate(zip(fuel, rows["place"], rows["item"])):
        if not is_fuel:
            continue
        place = "" if pd.isna(place) else str(place)
        text = fold(place) + fold("" if pd.isna(item) else item)
        away = next((wd for wd in w["outside"] if wd in text), None)
        if away:
            out[k] = f"燃油费写有“{away}”（{place or item}），属异地往返"
        elif not place:
            out[k] = "燃油费未写地点，无法核对是否用于本地"
        elif not any(wd in fold(place) for wd in w["local"]) and not any(n in fold(place) for n in local_names):
            out[k] = f"燃油费地点「{place}」不在本站点或本区县，可能用于异地往返"
    return out


@check("no_receipt", "发放物品需提供领取单据")
def no_receipt(rows, w, params, ctx) -> np.ndarray:
    given = (rows["category"] == "发放物品").to_numpy(dtype=bool)
    missing = ~rows["receipt"].fillna(False).astype(bool).to_numpy()
    return _reasons(given & missing, [f"发放物品「{i or '未写物品'}」没有领取单据" for i in rows["item"].fillna("")])


@check("small_item_no_photo", "小型物品需提供合照或领取照片")
def small_item_no_photo(rows, w, params, ctx) -> np.ndarray:
    limit = float(params.get("small_item_max", 500))
    given = (rows["category"] == "发放物品").to_numpy(dtype=bool)
    small = rows["amount"].astype(float).to_numpy() <= limit
    photos = rows["photos"]
    no_photo = photos.isna().to_numpy()
    missing = _missing_photo_files(ctx, rows)
    text = [f"发放物品「{i or '未写物品'}」{a:.2f} 元（≤{limit:g} 元，按小型物品核查）"
            + (f"的照片不在照片文件夹中：{missing[r]}" if r in missing else "没有合照或领取照片")
            for r, i, a in zip(rows.index, rows["item"].fillna(""), rows["amount"].astype(float))]
    lacking = no_photo | np.array([r in missing for r in rows.index], dtype=bool)
    return _reasons(given & small & lacking, text)


def _missing_photo_files(ctx, rows) -> dict:
    """Expense row → the names of its photos none of which is in the indexed folder (only with an index)."""
    if checks.photo_index(ctx.ds).empty:
        return {}
    key = ("photo_findings", checks.DEFAULT_MAX_DAYS, checks.DEFAULT_MAX_KM)
    if key not in ctx.cache:
        ctx.cache[key] = checks.photo_findings(ctx.ds)
    found = ctx.cache[key]
    uses = found.for_table("expenses")
    uses = uses[uses["row"].isin(rows["orig"])]
    gone = uses.groupby("row")["status"].agg(lambda s: (s == "missing").all())
    names = uses.groupby("row")["name"].agg("、".join)
    orig_to_pos = dict(zip(rows["orig"], rows.index))
    return {orig_to_pos[r]: names[r] for r, g in gone.items() if g}


# -- the catalogue section and the evaluation ----------------------------------------------------------

def check_spending(raw, bad) -> tuple[SpendingCheck, ...]:
    """The catalogue's ``spending`` list, checked (problems reported through ``bad``)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        bad("bad_spending", "spending 必须是列表", "spending")
        return ()
    out = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("source_text"):
            bad("bad_spending", f"第 {n} 项须有 id、check、source_text", "spending", item)
            continue
        if item.get("check") not in CHECKS:
            bad("bad_spending", f"不认识的经费核查（可选：{'、'.join(CHECKS)}）", f"spending.{item.get('id')}",
                item.get("check"))
            continue
        params = {k: v for k, v in item.items() if k not in ("id", "check", "name", "source_text")}
        unknown = set(params) - ({"small_item_max"} if item["check"] == "small_item_no_photo" else set())
        if unknown:
            bad("bad_spending", f"不认识的参数：{'、'.join(sorted(unknown))}", f"spending.{item['id']}")
            continue
        out.append(SpendingCheck(str(item["id"]), item["check"], str(item.get("name") or CHECKS[item["check"]][1]),
                                 str(item["source_text"]), tuple(sorted(params.items()))))
    return tuple(out)


def evaluate_spending(ctx) -> SpendingResult:
    """Every spending check of every project's catalogue, on the project's own expenses."""
    exp = ctx.owned("expenses", "date")
    exp = exp.assign(orig=_orig_rows(ctx, exp))
    checks, records = [], []
    for cat_id, jobs in ctx.projects.groupby("catalogue", sort=False):
        cat = ctx.catalogues[cat_id]
        rows = exp[exp["project_code"].isin(jobs["code"])].reset_index(drop=True)
        for c in cat.spending:
            func = CHECKS[c.check][0]
            reasons = func(rows, words(), dict(c.params), ctx) if len(rows) else np.array([], dtype=object)
            hit = rows[pd.notna(reasons)].assign(reason=[r for r in reasons if r is not None], check_id=c.id)
            records.append(hit)
            # Plain dicts by code: ``Series.get`` on a grouped categorical index overflowed its int8 codes
            # for a code outside it once the catalogue had more than 127 projects (a 1,000-station province).
            by_project = hit.groupby(hit["project_code"].astype(object))
            n = by_project.size().to_dict()
            amount = by_project["amount"].sum().to_dict()
            for p in jobs["code"]:
                k = int(n.get(p, 0))
                checks.append({"project_code": p, "check_id": c.id, "name": c.name, "source_text": c.source_text,
                               "status": FLAGGED if k else OK, "n_flagged": k,
                               "amount_flagged": float(amount.get(p, 0.0))})
    out = SpendingResult()
    if checks:
        out.checks = pd.DataFrame(checks, columns=CHECK_COLUMNS)
    if records:
        recs = pd.concat(records, ignore_index=True)
        recs = recs.rename(columns={"code": "record_id"})
        out.records = recs[RECORD_COLUMNS].astype({"project_code": object}).reset_index(drop=True)
    return out


def _orig_rows(ctx, exp: pd.DataFrame) -> np.ndarray:
    """Each owned expense's row label in ``ds.expenses`` (to find its photo uses)."""
    full = ctx.ds.expenses
    return full.index.to_numpy()[pd.Index(full["code"]).get_indexer(exp["code"])]


def spending_text(result: SpendingResult, project_code: str) -> list[str]:
    """Checklist lines for one project: ☑/☒, the check, the quoted source text, and each flagged expense."""
    lines = []
    rows = result.checks[result.checks["project_code"] == project_code]
    recs = result.records[result.records["project_code"] == project_code]
    for r in rows.itertuples():
        mark = "☑" if r.status == OK else "☒"
        head = f"{mark} {r.check_id} {r.name}（原文：“{r.source_text}”）：{r.status}"
        if r.n_flagged:
            head += f"，{r.n_flagged} 笔 共 {r.amount_flagged:.2f} 元"
        lines.append(head)
        for x in recs[recs["check_id"] == r.check_id].itertuples():
            lines.append(f"    {x.record_id} {x.date:%Y-%m-%d} {x.amount:.2f} 元：{x.reason}")
    return lines
