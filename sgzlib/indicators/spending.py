"""Spending rules of seed 000 over the 经费支出 sheet: checklist-style findings with the source text.

"购买服务项目经费，不得购置固定资产;不得购置米面油；燃油费只能用于本地开展实际工作需要，不得用于异地往返。
所有活动发放物品，需提供领取单据，小型物品（单价少）需提供合照或领取照片。" A catalogue lists the checks
it enforces under ``spending`` (id, check, source_text, parameters); each check is a small function
registered below that returns, per expense row, None or (reason, basis): the Chinese reason and the word or
reading that decided it. What a word means is data (``spending_lexicon.yaml``, ``gazetteer.yaml``, read by
``spending_lexicon``); the readings over it are in ``spending_reading``.

Readings: an item is a fixed asset when a segment of it names an equipment kind or brand and no consumable,
repair or accessory (a kind with ``min_unit_price`` needs that unit price); rice/flour/oil by kind word,
brand or a bare 米/面/油 standing alone; an item is given out when its category is 发放物品, or it names a
thing given (奖品, 慰问品…) or a purpose (发放, 慰问…); the unit price is read from the text (quantity ×
price, 单价, a count) and is the amount otherwise; fuel is elsewhere when its place or item says 异地/出差,
names a place outside the station's district, or a 市/县/镇 not in the district's gazetteer; fuel with no
place is flagged because it cannot be checked. An evaluator's overrule (``spending_overrules``) clears or
confirms a flag; the latest decision on an expense × check holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..photos import checks
from . import spending_reading as read
from .spending_lexicon import load_gazetteer, load_lexicon, norm, stem

OK, FLAGGED, CONFIRMED = "未发现问题", "需核查", "确有问题"
CLEARED, UPHELD = "cleared", "upheld"  # an evaluator's decision on a flag (``spending_overrules``)
DECISIONS = {CLEARED: "核实无问题，撤销提示", UPHELD: "核实确有问题"}
CHECK_COLUMNS = ["project_code", "check_id", "name", "source_text", "status", "n_flagged", "amount_flagged",
                 "n_cleared", "evaluator_action", "station_action"]
RECORD_COLUMNS = ["project_code", "check_id", "record_id", "date", "amount", "category", "item", "place", "reason",
                  "basis", "decision", "decided_by", "decided_at", "decision_note"]


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
    """Per project × check a checklist line (``checks``), and every flagged expense (``records``).

    ``records`` keeps the flags an evaluator cleared, with the decision; ``open_records`` leaves them out.
    """

    checks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHECK_COLUMNS))
    records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RECORD_COLUMNS))

    def only(self, projects) -> SpendingResult:
        keep = set(projects)
        return SpendingResult(self.checks[self.checks["project_code"].isin(keep)].reset_index(drop=True),
                              self.records[self.records["project_code"].isin(keep)].reset_index(drop=True))

    @property
    def open_records(self) -> pd.DataFrame:
        return self.records[self.records["decision"] != CLEARED].reset_index(drop=True)


@dataclass(frozen=True)
class CheckKind:
    func: Callable
    label: str
    evaluator: str  # what the evaluator does about a flag, in Chinese
    station: str  # what the station does about it


CHECKS: dict[str, CheckKind] = {}


def check(name: str, label: str, evaluator: str, station: str):
    """Decorator: register a spending check ``func(rows, lex, params, ctx) -> [None | (reason, basis)]``."""

    def wrap(func):
        CHECKS[name] = CheckKind(func, label, evaluator, station)
        return func

    return wrap


def _texts(rows, column: str) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in rows[column]]


def _unit_prices(rows, lex, ctx) -> list[tuple[float, str]]:
    key = ("spending_unit_prices", id(rows))
    if key not in ctx.cache:
        ctx.cache[key] = [read.unit_price(i, float(a), lex) for i, a in zip(_texts(rows, "item"),
                                                                           rows["amount"].astype(float))]
    return ctx.cache[key]


@check("fixed_asset", "不得购置固定资产",
       "核对发票与实物，确属固定资产的，该笔支出不得列入项目经费。",
       "说明用途，或改用其他经费并退回项目经费。")
def fixed_asset(rows, lex, params, ctx) -> list:
    out = []
    for (item, category), (price, how) in zip(zip(_texts(rows, "item"), _texts(rows, "category")),
                                              _unit_prices(rows, lex, ctx)):
        found, spare = read.read_asset(item, lex)
        if found is not None:
            floor = float(lex.kind("fixed_asset", found.kind).get("min_unit_price") or 0)
            if price >= floor:
                note = f"，单价 {price:.2f} 元 ≥ {floor:g} 元（{how}）" if floor else ""
                out.append((f"物品「{item}」按{found.basis}读作{found.label}，属固定资产{note}", found.basis))
                continue
        if category == "设备购置" and spare is None and found is None:
            out.append((f"类别为「设备购置」（固定资产）：{item or '未写物品'}", "类别：设备购置"))
        else:
            out.append(None)
    return out


@check("grain_oil", "不得购置米面油",
       "核对是否购置米面油，确属的该笔支出不得列入项目经费。",
       "改用其他经费（如慈善资源）并退回项目经费。")
def grain_oil(rows, lex, params, ctx) -> list:
    out = []
    for item, category in zip(_texts(rows, "item"), _texts(rows, "category")):
        found = read.read_grain(item, lex)
        if category == "米面油":
            out.append((f"类别为「米面油」：{item or '未写物品'}", "类别：米面油"))
        elif found is not None:
            out.append((f"物品「{item}」按{found.basis}读作{found.label}，属米面油", found.basis))
        else:
            out.append(None)
    return out


@check("fuel_outside", "燃油费只能用于本地，不得用于异地往返",
       "核对行车记录和活动记录。",
       "补充用车事由、目的地和对应的服务记录，异地往返的燃油费从项目经费中剔除。")
def fuel_outside(rows, lex, params, ctx) -> list:
    out = []
    for item, category, place, station in zip(_texts(rows, "item"), _texts(rows, "category"), _texts(rows, "place"),
                                              rows["station_code"]):
        if not _is_fuel(item, category, lex):
            out.append(None)
            continue
        reading = read.read_place(place + "、" + item, _place_tokenizer(ctx, lex, station), lex)
        if reading.away:
            out.append((f"燃油费的地点或物品写有{reading.away}（{place or item}），属异地往返", f"地点：{reading.away}"))
        elif reading.local is None and not place.strip():
            out.append(("燃油费未写地点，无法核对是否用于本地", "未写地点"))
        elif reading.local is None:
            out.append((f"燃油费地点「{place}」不是本站点、本区县或其乡镇街道，无法确认用于本地", f"地点：{place}"))
        else:
            out.append(None)
    return out


def _is_fuel(item: str, category: str, lex) -> bool:
    tokens = lex.tokenizer.cut(norm(item))
    if any(t.has("fuel") for t in tokens):
        return True
    return category == "交通燃油" and not any(t.has("not_fuel") for t in tokens)


def _place_tokenizer(ctx, lex, station_code):
    """The place reader of a station: its district's gazetteer, the names of the stations in its district."""
    key = ("spending_places", station_code)
    if key not in ctx.cache:
        stations = ctx.ds.stations
        me = stations[stations["code"] == station_code]
        district = None if me.empty or pd.isna(me["district"].iloc[0]) else str(me["district"].iloc[0])
        same = stations["district"].astype(object).map(lambda d: d == district if district else True).to_numpy(bool)
        names = [str(n).removesuffix("社会工作服务站").removesuffix("社工站") for n in stations["name"].dropna()]
        mine = [n for n, s in zip(names, same) if s]
        others = [n for n, s in zip(names, same) if not s]
        local = [*mine, *(stem(n) for n in mine), *([district, stem(district)] if district else [])]
        elsewhere = [*others, *(stem(n) for n in others),
                     *{str(d) for d in stations["district"].dropna() if d != district}]
        ctx.cache[key] = read.place_tokenizer(lex, load_gazetteer(), district, [n for n in local if len(n) >= 2],
                                              [n for n in elsewhere if len(n) >= 2 and n not in local])
    return ctx.cache[key]


BY_CATEGORY = "类别：发放物品"


def _given(rows, lex) -> list[str | None]:
    """Why each row is an item given out (None: it is not)."""
    return [BY_CATEGORY if c == "发放物品" else read.read_distributed(i, c, lex)
            for i, c in zip(_texts(rows, "item"), _texts(rows, "category"))]


@check("no_receipt", "发放物品需提供领取单据",
       "核对单据与发放名单，补不齐的按未发放核减。",
       "补交领取人签字的领取单据（姓名、数量、日期）。")
def no_receipt(rows, lex, params, ctx) -> list:
    missing = ~rows["receipt"].fillna(False).astype(bool).to_numpy()
    return [(f"发放物品「{i or '未写物品'}」没有领取单据" + ("" if why == BY_CATEGORY else f"（{why}）"), why)
            if why and m else None
            for i, why, m in zip(_texts(rows, "item"), _given(rows, lex), missing)]


@check("small_item_no_photo", "小型物品需提供合照或领取照片",
       "核对照片与领取单据是否一致。",
       "补交发放现场合照或领取照片（带时间地点水印）。")
def small_item_no_photo(rows, lex, params, ctx) -> list:
    limit = float(params.get("small_item_max", 500))
    no_photo = rows["photos"].isna().to_numpy()
    missing = _missing_photo_files(ctx, rows)
    out = []
    for k, (r, item, why, (price, how)) in enumerate(zip(rows.index, _texts(rows, "item"), _given(rows, lex),
                                                         _unit_prices(rows, lex, ctx))):
        lacking = no_photo[k] or r in missing
        if not (why and lacking and price <= limit):
            out.append(None)
            continue
        basis = f"单价 {price:.2f} 元 ≤ {limit:g} 元（{how}）"
        text = f"发放物品「{item or '未写物品'}」" + ("" if why == BY_CATEGORY else f"（{why}）")
        text += f"{price:.2f} 元（≤{limit:g} 元，按小型物品核查）" if how.startswith("物品未写") else \
            f"单价 {price:.2f} 元（≤{limit:g} 元，按小型物品核查；{how}）"
        text += f"的照片不在照片文件夹中：{missing[r]}" if r in missing else "没有合照或领取照片"
        out.append((text, basis))
    return out


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
        out.append(SpendingCheck(str(item["id"]), item["check"], str(item.get("name") or CHECKS[item["check"]].label),
                                 str(item["source_text"]), tuple(sorted(params.items()))))
    return tuple(out)


def evaluate_spending(ctx) -> SpendingResult:
    """Every spending check of every project's catalogue, on the project's own expenses, with the
    evaluators' decisions on the flags (``ds.frames["spending_overrules"]``, when loaded)."""
    exp = ctx.owned("expenses", "date")
    exp = exp.assign(orig=_orig_rows(ctx, exp))
    lex = load_lexicon()
    decisions = latest_decisions(ctx.ds.frames.get("spending_overrules"))
    checks, records = [], []
    for cat_id, jobs in ctx.projects.groupby("catalogue", sort=False):
        cat = ctx.catalogues[cat_id]
        rows = exp[exp["project_code"].isin(jobs["code"])].reset_index(drop=True)
        for c in cat.spending:
            kind = CHECKS[c.check]
            found = kind.func(rows, lex, dict(c.params), ctx) if len(rows) else []
            hit_at = [k for k, f in enumerate(found) if f is not None]
            hit = rows.iloc[hit_at].assign(reason=[found[k][0] for k in hit_at], basis=[found[k][1] for k in hit_at],
                                           check_id=c.id)
            hit = _with_decisions(hit, decisions)
            records.append(hit)
            checks += _check_lines(c, kind, hit, jobs["code"])
    out = SpendingResult()
    if checks:
        out.checks = pd.DataFrame(checks, columns=CHECK_COLUMNS)
    if records:
        recs = pd.concat(records, ignore_index=True)
        recs = recs.rename(columns={"code": "record_id"})
        out.records = recs[RECORD_COLUMNS].astype({"project_code": object}).reset_index(drop=True)
    return out


def _check_lines(c: SpendingCheck, kind: CheckKind, hit: pd.DataFrame, projects) -> list[dict]:
    """One checklist line per project: flags not cleared by an evaluator count; all confirmed → 确有问题."""
    # Plain dicts by code: ``Series.get`` on a grouped categorical index overflowed its int8 codes
    # for a code outside it once the catalogue had more than 127 projects (a 1,000-station province).
    live = hit[hit["decision"] != CLEARED]
    by_project = live.groupby(live["project_code"].astype(object))
    n = by_project.size().to_dict()
    amount = by_project["amount"].sum().to_dict()
    pending = live[live["decision"].isna()].groupby(live["project_code"].astype(object)).size().to_dict()
    cleared = hit[hit["decision"] == CLEARED].groupby(hit["project_code"].astype(object)).size().to_dict()
    out = []
    for p in projects:
        k = int(n.get(p, 0))
        status = OK if not k else FLAGGED if pending.get(p, 0) else CONFIRMED
        out.append({"project_code": p, "check_id": c.id, "name": c.name, "source_text": c.source_text,
                    "status": status, "n_flagged": k, "amount_flagged": float(amount.get(p, 0.0)),
                    "n_cleared": int(cleared.get(p, 0)),
                    "evaluator_action": "" if status == OK else kind.evaluator,
                    "station_action": "" if status == OK else kind.station})
    return out


def latest_decisions(overrules: pd.DataFrame | None) -> pd.DataFrame:
    """The decision in force per (expense code, check id): the latest one recorded."""
    cols = ["expense_code", "check_id", "decision", "decided_by", "decided_at", "decision_note"]
    if overrules is None or overrules.empty:
        return pd.DataFrame(columns=cols)
    o = overrules.sort_values(["at", "id"]).drop_duplicates(["expense_code", "check_id"], keep="last")
    return o.rename(columns={"login": "decided_by", "at": "decided_at", "note": "decision_note"})[cols]


def _with_decisions(hit: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    merged = hit.merge(decisions, how="left", left_on=["code", "check_id"], right_on=["expense_code", "check_id"])
    merged.index = hit.index
    return merged.drop(columns="expense_code")


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
        if r.n_cleared:
            head += f"（另有 {r.n_cleared} 笔经评估方复核撤销）"
        lines.append(head)
        for x in recs[recs["check_id"] == r.check_id].itertuples():
            lines.append(f"    {x.record_id} {x.date:%Y-%m-%d} {x.amount:.2f} 元：{x.reason}" + decision_text(x))
        if r.evaluator_action:
            lines.append(f"    评估方：{r.evaluator_action}")
            lines.append(f"    站点：{r.station_action}")
    return lines


def decision_text(x) -> str:
    """"（评估方复核：…）" for a flag an evaluator decided on; "" for one not yet decided."""
    if not isinstance(x.decision, str):
        return ""
    when = pd.Timestamp(x.decided_at).strftime("%Y-%m-%d") if pd.notna(x.decided_at) else ""
    note = f"，{x.decision_note}" if isinstance(x.decision_note, str) and x.decision_note else ""
    return f"（评估方复核：{DECISIONS.get(x.decision, x.decision)}，{x.decided_by} {when}{note}）"
