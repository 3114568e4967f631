"""Station-level standards: staff and certification, checklist items, the choice of optional tasks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.labels import CHECK_PENDING, VERDICTS
from ...domain.vocab import fold
from ..periods import PERIOD_WHOLE
from ..registry import STATE, Param, RuleOutput, explanations, register
from .common import totals_by_project


@register("staff", {
    "min_staff": Param("int", help="在岗驻站人员至少几人"),
    "role": Param("str", help="只算这个岗位（如 站长）"),
    "certified": Param("bool", help="目标按持证人数计（默认 是）"),
}, progress=STATE, unit="人", label="驻站人员与持证")
def staff(ctx, ind, params, target, jobs) -> RuleOutput:
    """Staff in post on the evaluation date; the target counts certified staff (or staff in ``role``)."""
    s = ctx.owned("staff")
    s = s[s["project_code"].isin(jobs["code"])]
    when = ctx.as_of
    active = ~(s["joined"] > when) & ~(s["left"] <= when)
    if params.get("role"):
        active &= s["role"].fillna("").map(fold) == fold(params["role"])
    s = s[active.to_numpy(dtype=bool)]
    certified = s["certificate"].fillna("无") != "无"
    counted = certified if params.get("certified", not params.get("role")) else pd.Series(True, index=s.index)
    staff_n = s.groupby("project_code").size()
    cert_n = s[certified].groupby("project_code").size()
    out = totals_by_project(jobs, s[counted.to_numpy(dtype=bool)].groupby("project_code").size())
    n_staff = out["project_code"].map(staff_n).fillna(0).astype(int)
    n_cert = out["project_code"].map(cert_n).fillna(0).astype(int)
    minimum = params.get("min_staff") or 0
    out["ok"] = (out["actual"] >= target) & (n_staff >= minimum)
    need = f"，需在岗 ≥{minimum} 人" if minimum else ""
    out["detail"] = [f"在岗 {a} 人，持证 {c} 人{need}" for a, c in zip(n_staff, n_cert)]
    reason = np.where(counted, None, "未持证")
    expl = explanations(s["project_code"].to_numpy(), PERIOD_WHOLE, "驻站人员", s["code"].to_numpy(),
                        counted.to_numpy(dtype=bool), np.where(counted, None, "not_certified"), reason)
    return RuleOutput(out, expl)


@register("checklist", {"items": Param("list", required=True, help="站点建设表中须勾选完成的检查项")},
          progress=STATE, unit="项", label="检查项（人工勾选）")
def checklist(ctx, ind, params, target, jobs) -> RuleOutput:
    """Checklist items a person ticks with evidence, and an evaluator may verify.

    An item counts when the evaluator's latest verdict on or before the evaluation date is 已核验, or when
    there is none and the station ticked it (「站点建设」表, done by that date). A verdict of 不符合 means not
    met, with the evaluator's note as the reason, even if the station ticked it. An item neither ticked nor
    judged is pending (``pending``: the indicator is 待核验, never silently met or missed).
    """
    state = checklist_state(ctx)
    verdicts = checklist_verdicts(ctx)
    items = list(params["items"])
    keys = [fold(i) for i in items]
    codes = jobs["code"].to_numpy()
    project = np.repeat(codes, len(items))
    item = np.tile(np.array(items, dtype=object), len(codes))
    judged = [_judged(state.get((p, k)), verdicts.get((p, k))) for p in codes for k in keys]
    counted = np.array([c is None for c, _ in judged], dtype=bool)
    code = np.array([c for c, _ in judged], dtype=object)
    reason = np.array([r for _, r in judged], dtype=object)
    shape = (len(codes), len(items))
    ticked = counted.reshape(shape).sum(axis=1) if len(codes) else np.zeros(0)
    out = totals_by_project(jobs, pd.Series(ticked, index=codes, dtype=float))
    out["ok"] = out["actual"].to_numpy() >= len(items)
    pending = np.isin(code, PENDING).reshape(shape) if len(codes) else np.zeros(shape, dtype=bool)
    out["pending"] = pending.any(axis=1) if len(codes) else np.zeros(0, dtype=bool)
    rejected = (code == REJECTED_CODE).reshape(shape) if len(codes) else pending
    out["detail"] = [_checklist_detail(items, p_row, r_row) for p_row, r_row in zip(pending, rejected)]
    return RuleOutput(out, explanations(project, PERIOD_WHOLE, "站点建设", item, counted, code, reason))


TICK_REASONS = {"not_ticked": "尚未勾选完成，待核验", "not_listed": "站点建设表中没有此项，待核验"}
PENDING = tuple(TICK_REASONS)
REJECTED_CODE = "rejected"


def _judged(ticked: bool | None, verdict: tuple | None) -> tuple[str | None, str | None]:
    """(reason code, reason) of one item: (None, None) when it counts."""
    if verdict is not None:
        decision, date, note = verdict
        if decision == "verified":
            return None, None
        return REJECTED_CODE, f"评估核验{VERDICTS[decision]}（{date:%Y-%m-%d}）：{note}"
    if ticked is True:
        return None, None
    code = "not_ticked" if ticked is False else "not_listed"
    return code, TICK_REASONS[code]


def _checklist_detail(items: list[str], pending, rejected) -> str:
    parts = []
    for label, flags in ((CHECK_PENDING, pending), (VERDICTS["rejected"], rejected)):
        names = "、".join(i for i, on in zip(items, flags) if on)
        if names:
            parts.append(f"{label}：{names}")
    return "；".join(parts)


def checklist_state(ctx) -> dict:
    """(project, folded item) → ticked by the evaluation date (True) or listed but not ticked (False)."""
    if "checklist" not in ctx.cache:
        c = ctx.owned("checklist")
        done = (c["done"].fillna(False).astype(bool) & ~(c["done_date"] > ctx.as_of)).to_numpy(dtype=bool)
        state: dict = {}
        for p, item, ok in zip(c["project_code"], c["item"].map(fold), done):
            state[(p, item)] = state.get((p, item), False) or bool(ok)
        ctx.cache["checklist"] = state
    return ctx.cache["checklist"]


def checklist_verdicts(ctx) -> dict:
    """(project, folded item) → (verdict code, date, note) of the evaluator's latest verdict on or before the
    evaluation date (``store.evaluation_records``: later dates win, then later entries)."""
    if "checklist_verdicts" not in ctx.cache:
        v = ctx.ds.frames.get("checklist_verifications")
        out: dict = {}
        if v is not None and len(v):
            v = v[v["date"] <= ctx.as_of].sort_values(["date", "id"], kind="stable")
            for r in v.itertuples(index=False):
                out[(r.project_code, fold(r.item))] = (r.verdict, r.date, r.note)
        ctx.cache["checklist_verdicts"] = out
    return ctx.cache["checklist_verdicts"]


@register("optional_choice", {}, progress=STATE, unit="项", label="自选任务选择")
def optional_choice(ctx, ind, params, target, jobs) -> RuleOutput:
    """The project chose at least ``target`` of the catalogue's optional tasks (项目表「自选任务」)."""
    cat = ctx.catalogues[jobs["catalogue"].iloc[0]]
    names = {t.id: t.name for t in cat.optional_tasks}
    chosen = jobs[["code", "tasks"]].explode("tasks").dropna()
    out = totals_by_project(jobs, chosen.groupby("code").size())
    listed = chosen.groupby("code")["tasks"].agg(lambda ids: "、".join(f"{i} {names[i]}" for i in ids))
    out["detail"] = out["project_code"].map(listed).map(lambda s: f"已选：{s}" if isinstance(s, str) else "未选自选任务")
    expl = explanations(chosen["code"].to_numpy(), PERIOD_WHOLE, "项目", chosen["tasks"].map(
        lambda i: f"{i} {names[i]}").to_numpy(), True)
    return RuleOutput(out, expl)
