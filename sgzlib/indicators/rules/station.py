"""Station-level standards: staff and certification, checklist items, the choice of optional tasks."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    """Checklist items a person ticks with evidence; unticked items are 待核验, never silently met."""
    state = checklist_state(ctx)
    items = list(params["items"])
    keys = [fold(i) for i in items]
    codes = jobs["code"].to_numpy()
    project = np.repeat(codes, len(items))
    item = np.tile(np.array(items, dtype=object), len(codes))
    found = [state.get((p, k)) for p in codes for k in keys]
    counted = np.array([f is True for f in found], dtype=bool)
    code = np.array([None if f is True else ("not_ticked" if f is False else "not_listed") for f in found], dtype=object)
    reason = np.array([TICK_REASONS.get(c) for c in code], dtype=object)
    ticked = counted.reshape(len(codes), len(items)).sum(axis=1) if len(codes) else np.zeros(0)
    out = totals_by_project(jobs, pd.Series(ticked, index=codes, dtype=float))
    out["ok"] = out["actual"].to_numpy() >= len(items)
    missing = ["、".join(i for i, ok in zip(items, row) if not ok)
               for row in counted.reshape(len(codes), len(items))]
    out["detail"] = [f"待核验：{m}" if m else "" for m in missing]
    return RuleOutput(out, explanations(project, PERIOD_WHOLE, "站点建设", item, counted, code, reason))


TICK_REASONS = {"not_ticked": "尚未勾选完成，待核验", "not_listed": "站点建设表中没有此项，待核验"}


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
