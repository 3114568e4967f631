"""Coverage: the share of a roster (people, volunteers, organisations) that has the required record."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.schema import TABLE_BY_NAME
from ..periods import PERIOD_WHOLE
from ..registry import Param, RuleOutput, explanations, register
from .common import as_list, totals_by_project, where_mask

POPULATION_DATE = {"beneficiaries": "joined", "volunteers": "registered_on", "community_orgs": "started"}
LABEL = {"beneficiaries": "名单", "volunteers": "志愿者", "community_orgs": "培育的社区社会组织"}


def assessed(ctx, record_where: dict | None) -> np.ndarray:
    """For each row of the owned beneficiaries: assessed inside its project's period? (cached per filter)."""
    key = ("assessed", repr(record_where))
    if key not in ctx.cache:
        a = ctx.ds.assessments
        a = a[where_mask(a, record_where)][["beneficiary_code", "date"]]
        people = ctx.owned("beneficiaries")
        rows = pd.DataFrame({"beneficiary_code": people["code"].to_numpy(), "row": np.arange(len(people)),
                             "pidx": people["project_code"].cat.codes.to_numpy()})
        a = a.merge(rows, on="beneficiary_code")
        pidx = a["pidx"].to_numpy()
        d = a["date"].to_numpy(dtype="datetime64[s]")
        inside = (d >= ctx.projects["start"].to_numpy(dtype="datetime64[s]")[pidx]) & \
            (d <= ctx.projects["window_end"].to_numpy(dtype="datetime64[s]")[pidx])
        flags = np.zeros(len(people), dtype=bool)
        flags[a["row"].to_numpy()[inside]] = True
        ctx.cache[key] = flags
    return ctx.cache[key]


@register("coverage", {
    "population": Param("str", required=True, choices=tuple(POPULATION_DATE), help="名单来自哪张表"),
    "population_where": Param("mapping", help="名单筛选条件 {列: 值或值列表}"),
    "in_period": Param("bool", help="只算项目期内新增的（默认：评估日在册的全部）"),
    "record": Param("str", choices=("assessments",), help="需要的记录（需求评估）"),
    "record_where": Param("mapping", help="记录的筛选条件，如 {method: 入户}"),
    "flag": Param("str", help="名单表中须为“是”的列，如 national_system"),
}, unit="%", label="覆盖率")
def coverage(ctx, ind, params, target, jobs) -> RuleOutput:
    """Distinct roster members with the record, divided by the roster size on the evaluation date.

    The roster of a beneficiary population is the people of the station and its
    village rooms who joined on or before the evaluation date and had not left;
    with ``record: assessments`` a member counts when assessed inside the
    project period; with ``flag`` when that column is 是.
    """
    table = params["population"]
    date_col = POPULATION_DATE[table]
    pop = ctx.owned(table)
    keep = pop["project_code"].isin(jobs["code"]) & where_mask(pop, params.get("population_where"))
    needed = ["project_code", "code", date_col, *(["left"] if "left" in pop else []),
              *([params["flag"]] if params.get("flag") in pop else [])]
    pop = pop[needed][keep]  # only the columns used below: filtering every column of a roster costs more
    window = jobs.set_index("code")
    start = pop["project_code"].map(window["start"])
    end = pop["project_code"].map(window["window_end"])
    on_roster = pop[date_col] <= end
    if params.get("in_period"):
        on_roster &= pop[date_col] >= start
    if "left" in pop:
        on_roster &= ~(pop["left"] <= end)
    pop = pop[on_roster.to_numpy(dtype=bool)]
    if params.get("record") == "assessments":
        has = assessed(ctx, params.get("record_where"))[pop.index.to_numpy()]
        why = "项目期内没有" + ("、".join(as_list((params.get("record_where") or {}).get("method"))) + "需求评估记录")
        reason_code = "no_assessment"
    else:
        has = pop[params["flag"]].fillna(False).to_numpy(dtype=bool)
        column = TABLE_BY_NAME[table].column(params["flag"]).header
        why, reason_code = f"「{column}」不为是", "flag_not_set"
    pop = pop.assign(has=has)
    agg = pop.groupby("project_code")["has"].agg(["size", "sum"])
    share = 100.0 * agg["sum"] / agg["size"]
    out = totals_by_project(jobs, share)
    out["detail"] = [f"{LABEL[table]} {int(n)}，其中 {int(k)} 个已满足" if n else f"{LABEL[table]}为空"
                     for n, k in zip(out["project_code"].map(agg["size"]).fillna(0),
                                     out["project_code"].map(agg["sum"]).fillna(0))]
    out["empty"] = out["project_code"].map(agg["size"]).fillna(0).to_numpy() == 0
    expl = explanations(pop["project_code"].to_numpy(), PERIOD_WHOLE, TABLE_BY_NAME[table].sheet,
                        pop["code"].to_numpy(), has, np.where(has, None, reason_code), np.where(has, None, why))
    return RuleOutput(out, expl)
