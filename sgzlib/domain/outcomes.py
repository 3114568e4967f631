"""Before/after outcomes of beneficiaries: pairing pre- and post-tests, and the views supervisors use.

Pairing rules (every measurement of the 前后测 sheet ends up in exactly one
place: a pair, the follow-up view, or ``unpaired`` with a reason):

1. **The scale** is resolved through the scale registry (``sgzlib.domain.scales``);
   a name it does not know, or a score outside the scale's range, is not
   paired (``unknown_scale`` / ``out_of_range``). ``Dataset.validate``
   refuses such rows at import; the check here covers data loaded without it.
2. **The service episode** a measurement belongs to: its case (个案编号) if it
   names one, else its group (小组编号), else the project (项目) of the
   beneficiary's station — or of the nearest station above it — whose
   period contains the measurement date. A measurement with none of these
   is not paired (``no_project``). Pre and post are only ever paired inside
   one episode: a pre-test of one case is never paired with the post-test of
   another case or of a group.
3. **Within an episode**, per beneficiary and scale, the *earliest* 前测 is
   the baseline; further 前测 are listed as ``extra_pre`` (a re-test before
   the service started does not replace the baseline). The *latest* 后测 on
   or after the baseline date is the post-test; other 后测 are listed as
   ``extra_post``, and a 后测 dated before the baseline as
   ``post_before_pre``. A 前测 without any 后测 is ``no_post``; a 后测
   without a 前测 is ``no_pre``.
4. **Follow-up (跟踪)** never replaces the post-test: the pair is always
   前测 → 后测, so that every pair measures the same span (service start to
   service end). A follow-up on or after the post-test of a pair is reported
   by ``follow_ups`` (is the gain kept?); a follow-up without a pair, or
   dated before the post-test, is ``unpaired`` (``follow_up_unpaired``).
5. Only measurements dated on or before ``as_of`` are used (all when None).

Direction: ``change`` is post − pre as recorded; ``improvement`` is the same
change times +1 (higher is better) or −1 (lower is better), so positive
always means better. The reliable change index (see ``sgzlib.domain.stats``) uses
the scale's cited reliability, and its cited norm SD or, when the registry
has none, the SD of the baseline pre-tests of that scale in the data being
analysed (at least ``MIN_SD_N`` of them); ``rci_note`` says which, or why the
RCI is not computable.

The frames carry codes only, never names: callers join
``beneficiaries.name`` and mask it with ``sgzlib.store.privacy.mask_name``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .scales import ScaleRegistry, load_scales

PRE, POST, FOLLOW = "前测", "后测", "跟踪"
MIN_SD_N = 10
CATEGORY_DOMAIN = {"社会救助": "社会救助", "困难老人": "养老服务", "困境儿童": "儿童关爱保护", "残疾人": "扶残助残"}
KEYS = ["beneficiary_code", "scale", "episode"]
REASONS = {
    "unknown_scale": "量表未在量表库中登记",
    "out_of_range": "得分超出量表范围",
    "no_project": "未关联个案或小组，且测评日期不在所属站点任何项目周期内",
    "no_post": "只有前测，没有后测",
    "no_pre": "只有后测，没有前测",
    "extra_pre": "同一服务中有多次前测，已采用最早的前测作为基线",
    "extra_post": "同一服务中有多次后测，已采用最晚的后测",
    "post_before_pre": "后测日期早于前测",
    "follow_up_unpaired": "跟踪测没有配对的前测和后测（或早于后测）：跟踪测不代替后测",
}
PAIR_COLUMNS = ["beneficiary_code", "station_code", "scale", "scale_name", "domain", "work_type", "case_code",
                "group_code", "project_code", "pre_date", "pre", "post_date", "post", "change", "improvement",
                "rci", "rci_class", "rci_note"]


@dataclass
class OutcomeAnalysis:
    """Every view at once, from one pass over the measurements."""

    pairs: pd.DataFrame
    unpaired: pd.DataFrame
    follow_ups: pd.DataFrame
    rows: pd.DataFrame  # every measurement, annotated with its role
    as_of: dt.date | None


def analyse(ds, as_of=None, registry: ScaleRegistry | None = None) -> OutcomeAnalysis:
    """Pair the measurements of ``ds`` (see the module docstring for the rules)."""
    registry = registry or load_scales()
    rows = annotate(ds, as_of, registry)
    rows["role"] = _roles(rows)
    pairs = _pairs(rows, registry)
    unpaired = rows[rows["role"].isin(list(REASONS))].copy()
    unpaired["reason_code"] = unpaired["role"]
    unpaired["reason"] = unpaired["role"].map(REASONS) + _detail(unpaired, rows)
    unpaired = unpaired.rename(columns={"raw_scale": "scale_as_recorded"})[
        ["beneficiary_code", "station_code", "scale", "scale_as_recorded", "phase", "date", "score", "domain",
         "work_type", "case_code", "group_code", "project_code", "reason_code", "reason"]]
    return OutcomeAnalysis(pairs, unpaired.sort_values(["station_code", "beneficiary_code", "date"]).reset_index(
        drop=True), _follow_ups(rows, pairs, registry), rows, as_of)


def annotate(ds, as_of, registry: ScaleRegistry) -> pd.DataFrame:
    """The measurements with scale id, station, domain, work type, project and episode."""
    m = ds.measurements.copy()
    if as_of is not None:
        m = m[m["date"] <= pd.Timestamp(as_of)]
    names = m["scale"].dropna().unique()
    resolved = {n: registry.resolve(n) for n in names}
    m["raw_scale"] = m["scale"]
    m["scale"] = m["raw_scale"].map(lambda n: resolved[n].id if resolved.get(n) else pd.NA).astype("string")
    m["in_range"] = [bool(resolved.get(n)) and pd.notna(s) and resolved[n].in_range(float(s))
                     for n, s in zip(m["raw_scale"], m["score"], strict=True)]
    cases = ds.cases.set_index("code")
    groups = ds.groups.set_index("code")
    people = ds.beneficiaries.set_index("code")
    own = _lookup(m["beneficiary_code"], people["station_code"])
    m["station_code"] = _lookup(m["case_code"], cases["station_code"]).fillna(
        _lookup(m["group_code"], groups["station_code"])).fillna(own)
    by_category = _lookup(_lookup(m["beneficiary_code"], people["category"]), pd.Series(CATEGORY_DOMAIN))
    m["domain"] = _lookup(m["case_code"], cases["domain"]).fillna(_lookup(m["group_code"], groups["domain"])).fillna(
        by_category.fillna("其他"))
    m["work_type"] = np.where(m["case_code"].notna(), "个案", np.where(m["group_code"].notna(), "小组", "其他"))
    m["project_code"] = _projects(ds, m)
    m["episode"] = ("个案:" + m["case_code"]).fillna("小组:" + m["group_code"]).fillna("项目:" + m["project_code"])
    return m


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``keys.map(values)`` as text, also when every key is blank."""
    return keys.map(values).astype("string")


def _projects(ds, m: pd.DataFrame) -> pd.Series:
    """The project of the station (or the nearest station above it) whose period holds the date."""
    parent = ds.stations.set_index("code")["parent_code"].to_dict()
    chain = []
    for code in ds.stations["code"]:
        depth, current = 0, code
        while isinstance(current, str) and depth < 10:
            chain.append((code, current, depth))
            current, depth = parent.get(current), depth + 1
    chains = pd.DataFrame(chain, columns=["station_code", "owner", "depth"])
    projects = ds.projects[["code", "station_code", "start", "end"]].rename(
        columns={"code": "project_code", "station_code": "owner"})
    rows = m[["station_code", "date"]].reset_index(names="row")
    hits = rows.merge(chains, on="station_code").merge(projects, on="owner")
    hits = hits[(hits["start"] <= hits["date"]) & (hits["date"] <= hits["end"])]
    best = hits.sort_values(["depth", "start"], ascending=[True, False]).drop_duplicates("row")
    return best.set_index("row")["project_code"].reindex(m.index).astype("string")


def _roles(m: pd.DataFrame) -> pd.Series:
    role = pd.Series(pd.NA, index=m.index, dtype="object")
    role[m["scale"].isna()] = "unknown_scale"
    role[role.isna() & ~m["in_range"]] = "out_of_range"
    role[role.isna() & m["episode"].isna()] = "no_project"
    ok = m[role.isna()].sort_values(["date"], kind="stable")
    pre = ok[ok["phase"] == PRE]
    first = pre.groupby(KEYS, sort=False).head(1)
    role[pre.index.difference(first.index)] = "extra_pre"
    base = first.set_index(KEYS)["date"].rename("base")
    post = ok[ok["phase"] == POST].join(base, on=KEYS)
    role[post.index[post["base"].isna()]] = "no_pre"
    role[post.index[post["date"] < post["base"]]] = "post_before_pre"
    valid = post[post["date"] >= post["base"]]
    last = valid.groupby(KEYS, sort=False).tail(1)
    role[valid.index.difference(last.index)] = "extra_post"
    role[last.index] = "post"
    paired = first.join(last.set_index(KEYS)["date"].rename("post_date"), on=KEYS)
    role[paired.index[paired["post_date"].notna()]] = "pre"
    role[paired.index[paired["post_date"].isna()]] = "no_post"
    follow = ok[ok["phase"] == FOLLOW].join(last.set_index(KEYS)["date"].rename("post_date"), on=KEYS)
    role[follow.index] = np.where(follow["date"] >= follow["post_date"], "follow_up", "follow_up_unpaired")
    return role


def _pairs(rows: pd.DataFrame, registry: ScaleRegistry) -> pd.DataFrame:
    keep = ["beneficiary_code", "station_code", "scale", "domain", "work_type", "case_code", "group_code",
            "project_code", "episode"]
    pre = rows[rows["role"] == "pre"][keep + ["date", "score"]].rename(columns={"date": "pre_date", "score": "pre"})
    post = rows[rows["role"] == "post"][KEYS + ["date", "score"]].rename(
        columns={"date": "post_date", "score": "post"})
    out = pre.merge(post, on=KEYS, how="inner")
    scales = {sid: registry.resolve(sid) for sid in out["scale"].unique()}
    out["scale_name"] = out["scale"].map(lambda s: scales[s].name_zh)
    direction = out["scale"].map(lambda s: scales[s].direction).astype(float)
    out["pre"], out["post"] = out["pre"].astype(float), out["post"].astype(float)
    out["change"] = out["post"] - out["pre"]
    out["improvement"] = out["change"] * direction
    out["rci"], out["rci_note"] = np.nan, ""
    for sid, idx in out.groupby("scale").groups.items():
        se_diff, note = rci_basis(scales[sid], out.loc[idx, "pre"])
        out.loc[idx, "rci"] = stats.reliable_change(out.loc[idx, "improvement"].to_numpy(), se_diff)
        out.loc[idx, "rci_note"] = note
    out["rci_class"] = out["rci"].map(stats.rci_class)
    out = out.sort_values(["station_code", "scale", "beneficiary_code", "pre_date"]).reset_index(drop=True)
    return out[PAIR_COLUMNS]


def rci_basis(scale, pre_scores: pd.Series) -> tuple[float, str]:
    """SE_diff for the scale's RCI and a Chinese note saying where reliability and SD come from (or why not)."""
    if scale.reliability is None:
        return np.nan, f"{scale.id} 在量表库中没有可引用的信度，RCI 无法计算"
    if scale.norm_sd is not None:
        sd, sd_text = scale.norm_sd, f"常模 SD={scale.norm_sd:g}"
    else:
        pre = pre_scores.dropna().astype(float)
        if len(pre) < MIN_SD_N:
            return np.nan, (f"{scale.id} 没有常模标准差，本数据前测只有 {len(pre)} 人（需 ≥{MIN_SD_N}），"
                            f"无法估计标准差，RCI 无法计算")
        sd, sd_text = float(pre.std(ddof=1)), f"SD 取本数据前测（n={len(pre)}，SD={pre.std(ddof=1):.2f}）"
    se_diff = stats.se_difference(sd, scale.reliability)
    if not se_diff > 0:
        return np.nan, f"{scale.id} 前测标准差为 0，RCI 无法计算"
    return se_diff, (f"信度 {scale.reliability:g}（{scale.reliability_kind}）；{sd_text}；"
                     f"SE_diff={se_diff:.2f}，可靠变化需 ≥{stats.RCI_CRITICAL * se_diff:.1f} 分")


def _detail(unpaired: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Extra words for some reasons: the scale as typed, the baseline date that was kept."""
    detail = pd.Series("", index=unpaired.index, dtype="object")
    unknown = unpaired["role"] == "unknown_scale"
    detail[unknown] = "：「" + unpaired.loc[unknown, "raw_scale"].astype(str) + "」"
    kept = rows[rows["role"].isin(["pre", "no_post"])].set_index(KEYS)["date"]
    extra = unpaired[unpaired["role"] == "extra_pre"]
    if len(extra):
        base = extra.join(kept.rename("kept"), on=KEYS)["kept"]
        detail[extra.index] = "（" + base.dt.strftime("%Y-%m-%d").fillna("") + "）"
    return detail


def _follow_ups(rows: pd.DataFrame, pairs: pd.DataFrame, registry: ScaleRegistry) -> pd.DataFrame:
    follow = rows[rows["role"] == "follow_up"][KEYS + ["date", "score"]].rename(
        columns={"date": "follow_date", "score": "follow"})
    keyed = pairs.assign(episode=("个案:" + pairs["case_code"]).fillna("小组:" + pairs["group_code"]).fillna(
        "项目:" + pairs["project_code"]))
    out = keyed.merge(follow, on=KEYS, how="inner")
    direction = out["scale"].map(lambda s: registry.resolve(s).direction).astype(float)
    out["follow"] = out["follow"].astype(float)
    out["improvement_at_follow"] = (out["follow"] - out["pre"]) * direction
    out["change_since_post"] = (out["follow"] - out["post"]) * direction
    out["maintained"] = out["change_since_post"] >= 0
    return out.drop(columns=["episode"]).sort_values(["station_code", "beneficiary_code", "follow_date"]).reset_index(
        drop=True)


# -- the views the reports, dashboards and CLI call ------------------------------

def pairs(ds, as_of=None) -> pd.DataFrame:
    """One row per paired 前测 → 后测 (columns ``PAIR_COLUMNS``)."""
    return analyse(ds, as_of).pairs


def unpaired(ds, as_of=None) -> pd.DataFrame:
    """Every measurement not used in a pair or a follow-up, with ``reason_code`` and Chinese ``reason``."""
    return analyse(ds, as_of).unpaired


def follow_ups(ds, as_of=None) -> pd.DataFrame:
    """Follow-ups (跟踪) after a pair's post-test: is the gain kept (``maintained``)?"""
    return analyse(ds, as_of).follow_ups


BY = ("station_code", "domain", "scale", "work_type")


def summary(ds, by=BY, as_of=None, analysis: OutcomeAnalysis | None = None) -> pd.DataFrame:
    """Per group of pairs: n, mean/median improvement, t-test, Wilcoxon, d_z, r_rb, RCI counts, note."""
    p = (analysis or analyse(ds, as_of)).pairs
    rows = []
    for key, g in p.groupby(list(by), sort=True, dropna=False):
        described = stats.describe(g["improvement"].to_numpy())
        classes = g["rci_class"].value_counts()
        note = described.pop("note")
        if classes.get("无法计算", 0):
            note = "；".join(filter(None, [note, g["rci_note"].iloc[0] if classes.get("无法计算") == len(g)
                                           else f"{classes['无法计算']} 人 RCI 无法计算"]))
        rows.append({**dict(zip(by, key, strict=True)), **described,
                     "improved": int(classes.get("改善", 0)), "unchanged": int(classes.get("无可靠变化", 0)),
                     "deteriorated": int(classes.get("恶化", 0)), "rci_unavailable": int(classes.get("无法计算", 0)),
                     "worse_raw": int((g["improvement"] < 0).sum()), "note": note})
    columns = [*by, "n", "mean_improvement", "median_improvement", "t", "p_t", "w", "p_w", "p_w_method", "d_z",
               "r_rb", "improved", "unchanged", "deteriorated", "rci_unavailable", "worse_raw", "note"]
    return pd.DataFrame(rows, columns=columns)


RCI_COUNTS = ("improved", "unchanged", "deteriorated")
RCI_CANNOT = "无法计算"


def rci_cells(summary_rows: pd.DataFrame) -> pd.DataFrame:
    """``summary_rows`` with the reliable-change counts as every output shows them: 无法计算 where no pair of
    the row has an RCI (a 0 there would say nobody changed reliably, which is not known), else the counts (the
    note then says how many pairs have none)."""
    out = summary_rows.copy()
    cannot = out["rci_unavailable"] == out["n"]
    for column in RCI_COUNTS:
        out[column] = out[column].astype(object)
        out.loc[cannot, column] = RCI_CANNOT
    return out


def worsened(ds, as_of=None, analysis: OutcomeAnalysis | None = None) -> pd.DataFrame:
    """Pairs whose score got worse (improvement < 0, direction-aware), reliable deteriorations first."""
    p = (analysis or analyse(ds, as_of)).pairs
    out = p[p["improvement"] < 0].copy()
    out["_order"] = (out["rci_class"] != "恶化").astype(int)
    return out.sort_values(["_order", "station_code", "improvement"]).drop(columns="_order").reset_index(drop=True)


def missing_post(ds, as_of, idle_days: int = 30, analysis: OutcomeAnalysis | None = None) -> pd.DataFrame:
    """Pre-tests with no post-test although the case closed, the group ended, or the project period ended.

    A case has ended when its 结案日期 is on or before ``as_of``; a group when
    its 评估总结报告日期 is, or when its last session is more than
    ``idle_days`` before ``as_of``; a pre-test linked to neither when the
    project period has ended.
    """
    when = pd.Timestamp(as_of)
    a = analysis or analyse(ds, as_of)
    pre = a.unpaired[a.unpaired["reason_code"] == "no_post"].copy()
    cases = ds.cases.set_index("code")
    groups = ds.groups.set_index("code")
    last_session = ds.group_sessions.groupby("group_code")["date"].max()
    idle_end = last_session.where(last_session <= when - pd.Timedelta(days=idle_days))
    def when_of(keys, dates):
        return pd.to_datetime(keys.map(dates.dropna().to_dict())).astype("datetime64[s]")

    closed = when_of(pre["case_code"], cases["closed"])
    reported = when_of(pre["group_code"], groups["report_date"])
    idle = when_of(pre["group_code"], idle_end)
    project_end = when_of(pre["project_code"], ds.projects.set_index("code")["end"])
    ended = pd.Series(pd.NaT, index=pre.index, dtype="datetime64[s]")
    why = pd.Series("", index=pre.index, dtype="object")
    for mask, dates, text in (
        (pre["case_code"].notna() & (closed <= when), closed, "个案已结案"),
        (pre["group_code"].notna() & (reported <= when), reported, "小组已完成评估总结"),
        (pre["group_code"].notna() & (why == "") & idle.notna(), idle, f"小组最后一次活动后已超过 {idle_days} 天"),
        (pre["case_code"].isna() & pre["group_code"].isna() & (project_end <= when), project_end, "项目周期已结束"),
    ):
        mask = mask & (why == "")
        ended[mask] = dates[mask]
        why[mask] = text
    out = pre[why != ""].rename(columns={"date": "pre_date", "score": "pre"})
    out["ended"] = ended[why != ""]
    out["days_since_end"] = (when - out["ended"]).dt.days
    out["reason"] = why[why != ""] + "（" + out["ended"].dt.strftime("%Y-%m-%d") + "），仍没有后测"
    return out[["beneficiary_code", "station_code", "scale", "domain", "work_type", "case_code", "group_code",
                "project_code", "pre_date", "pre", "ended", "days_since_end", "reason"]].sort_values(
        ["station_code", "ended", "beneficiary_code"]).reset_index(drop=True)
