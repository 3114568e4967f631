"""Indicator catalogues: YAML files shipped in ``sgzlib/catalogues``, checked when loaded.

Declaring a catalogue (the YAML) is separate from running it (the engine).
``load_catalogue`` checks every field of every indicator against the schema
below and the parameters its rule declares, and refuses a wrong file with
``DefinitionError`` listing every problem at once (file, indicator id, field,
why). A project names its catalogue by id or Chinese title and its tier.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..domain.vocab import VOCABS, fold
from ..errors import DefinitionError, NotFoundError, Problem
from ..photos.checks import DEFAULT_MAX_DAYS, DEFAULT_MAX_KM, FINDINGS
from ..runtime import resources
from .photos import ACTIONS, photo_actions
from .registry import RULES, Param
from .spending import check_spending

CATALOGUE_DIR = resources.path("catalogues")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
PERIODS = ("whole", "month", "quarter")
# Indicator domains: the ledger's 领域 plus the two groups of station-level standards.
INDICATOR_DOMAINS = VOCABS["domain"].values + ("站点建设", "项目管理")
CATALOGUE_FIELDS = {"id", "title", "region", "year", "source", "tiers", "default_tier", "evidence",
                    "optional_tasks", "indicators", "spending"}
INDICATOR_FIELDS = {"id", "name", "short", "domain", "mandatory", "source_text", "rule", "params", "period", "target",
                    "unit", "evidence", "task"}
# An indicator's short name (``short``): on charts an indicator is named by its number and short name
# (``Indicator.label``: "ZL-SA-06 救助个案服务"), the full name is in the legend table and on hover.
SHORT_MAX = 10
EVIDENCE_FIELDS = {"photo_required", "upload_required", "photo_checks", "photo_max_days", "photo_max_km"}


@dataclass(frozen=True)
class OptionalTask:
    """One optional task a project may choose (seed 001's 自选任务, seed 000's 自选项目)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        wanted = fold(text).upper()
        return wanted in {fold(n).upper() for n in (self.id, self.name, *self.aliases)}


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, how, and its target (by tier). No points: see ``sgzlib.indicators.scoring``."""

    id: str
    name: str
    domain: str
    mandatory: bool
    source_text: str
    rule: str
    params: dict
    period: str
    target_spec: object
    unit: str
    evidence: str
    tasks: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    short: str = ""

    @property
    def label(self) -> str:
        """How charts name the indicator: its number and short name (the catalogue's ``short``, else derived)."""
        return f"{self.id} {self.short or derive_short(self.name)}"

    def target(self, tier: str | None = None) -> float | None:
        """The target for ``tier`` (``None`` when the indicator does not apply to that tier)."""
        return _for_tier(self.target_spec, tier, self.tiers)

    def params_for(self, tier: str | None = None) -> dict:
        """The rule parameters with tier-dependent values resolved for ``tier``."""
        return {k: _for_tier(v, tier, self.tiers) for k, v in self.params.items()}


@dataclass(frozen=True)
class Catalogue:
    """A region's and year's catalogue of indicators."""

    id: str
    title: str
    region: str
    year: int
    source: str
    tiers: tuple[str, ...]
    default_tier: str | None
    photo_required: bool
    upload_required: bool
    choose_at_least: int
    optional_tasks: tuple[OptionalTask, ...]
    indicators: tuple[Indicator, ...]
    path: Path | None = field(default=None, compare=False)
    # Photo checks once a folder is indexed (sgzlib.indicators.photos): finding → refuse/flag, and the limits.
    photo_checks: tuple[tuple[str, str], ...] = ()
    photo_max_days: float = 1.0
    photo_max_km: float = 5.0
    # Spending checks (sgzlib.indicators.spending), each with the source text it enforces.
    spending: tuple = ()

    @property
    def photo_actions(self) -> dict[str, str]:
        return photo_actions(self.photo_required, dict(self.photo_checks))

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if fold(ind.id).upper() == fold(indicator_id).upper():
                return ind
        raise NotFoundError(f"指标清单「{self.title}」中没有指标「{indicator_id}」")

    def resolve_tier(self, tier: object) -> str | None:
        """The catalogue's tier named by ``tier`` (blank → default), or raise ``ValueError``."""
        if not self.tiers:
            return None
        if tier is None or tier is pd.NA or fold(tier) == "":
            if self.default_tier:
                return self.default_tier
            raise ValueError(f"未填写档位，可选：{'、'.join(self.tiers)}")
        for t in self.tiers:
            if fold(t) == fold(tier) or fold(t).replace("万", "0000") == fold(tier).replace("万", "0000"):
                return t
        raise ValueError(f"档位「{tier}」不在清单档位中（可选：{'、'.join(self.tiers)}）")

    def resolve_task(self, text: str) -> OptionalTask | None:
        return next((t for t in self.optional_tasks if t.matches(text)), None)


def _for_tier(value, tier, tiers):
    """``value[tier]`` when ``value`` is a mapping keyed by the catalogue's tiers, else ``value``."""
    if isinstance(value, dict) and tiers and value and set(value) <= set(tiers):
        return value.get(tier)
    return value


def derive_short(name: str) -> str:
    """A short name from a full one when the catalogue gives none: what follows its last "：", without
    parentheses, cut to ``SHORT_MAX`` characters ("社会救助：个案服务（每个≥5节）" → "个案服务")."""
    text = re.sub(r"（[^）]*）|\([^)]*\)", "", str(name).split("：")[-1]).strip() or str(name)
    return text if len(text) <= SHORT_MAX else text[:SHORT_MAX - 1] + "…"


@functools.lru_cache(maxsize=64)
def catalogue_title(name) -> str:
    """The Chinese title of the catalogue a project names (by id or title); the name itself if unknown."""
    try:
        return load_catalogue(str(name)).title
    except NotFoundError:
        return str(name)


@functools.lru_cache(maxsize=64)
def _labels_of(name: str) -> dict[str, str]:
    try:
        return {ind.id: ind.label for ind in load_catalogue(name).indicators}
    except NotFoundError:
        return {}


def indicator_labels(rows: pd.DataFrame) -> pd.Series:
    """The chart label (number and short name, ``Indicator.label``) of each row of indicator results (columns
    catalogue, indicator_id and indicator_name); a catalogue that is not shipped gets derived short names."""
    cats = rows["catalogue"] if "catalogue" in rows else pd.Series("", index=rows.index)
    ids = rows["indicator_id"] if "indicator_id" in rows else pd.Series(None, index=rows.index, dtype=object)
    return pd.Series([_labels_of(str(c)).get(i) or " ".join(filter(None, [i, derive_short(n)]))
                      for c, i, n in zip(cats, ids, rows["indicator_name"])], index=rows.index, dtype=object)


# -- loading -------------------------------------------------------------------

def catalogue_paths() -> list[Path]:
    return sorted(CATALOGUE_DIR.glob("*.yaml"))


@functools.cache
def _load_path(path: Path) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), path)


def all_catalogues() -> list[Catalogue]:
    """Every shipped catalogue (each checked; the first wrong file raises with all its problems)."""
    return [_load_path(p) for p in catalogue_paths()]


def load_catalogue(id_or_title: str) -> Catalogue:
    """The shipped catalogue whose id, Chinese title or file name is ``id_or_title``."""
    wanted = fold(id_or_title).lower()
    for cat in all_catalogues():
        if wanted in (fold(cat.id).lower(), fold(cat.title).lower(), fold(cat.path.stem if cat.path else "").lower()):
            return cat
    known = "、".join(f"{c.id}（{c.title}）" for c in all_catalogues())
    raise NotFoundError(f"没有名为「{id_or_title}」的指标清单；已有：{known}")


def list_catalogues() -> pd.DataFrame:
    """One row per shipped catalogue: id, title, source, year, tiers, n_indicators."""
    rows = [{"id": c.id, "title": c.title, "source": c.source, "year": c.year, "tiers": "、".join(c.tiers),
             "n_indicators": len(c.indicators)} for c in all_catalogues()]
    return pd.DataFrame(rows, columns=["id", "title", "source", "year", "tiers", "n_indicators"])


def parse_catalogue(text: str, path: Path | str = "<text>") -> Catalogue:
    """Parse and check one catalogue; ``DefinitionError`` with every problem found.

    The rule kinds it may name are registered by the package (``sgzlib.indicators`` imports ``rules``
    before anything of it can be called).
    """
    path = Path(path)
    where = path.name
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("yaml", f"不是有效的 YAML：{exc}", where=where)]) from None
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise DefinitionError([Problem("not_mapping", "文件顶层必须是键值对", where=where)])
    cat = _check_catalogue(data, where, problems)
    if problems:
        raise DefinitionError(problems, title=f"指标清单 {where} 有误")
    return Catalogue(**cat, path=path if path.exists() else None)


def _check_catalogue(data: dict, where: str, problems: list[Problem]) -> dict:
    def bad(code, message, column="", value=None):
        problems.append(Problem(code, message, where=where, column=column, value=value))

    for key in sorted(set(data) - CATALOGUE_FIELDS):
        bad("unknown_field", "不认识的字段", key)
    for key in ("id", "title", "source", "indicators"):
        if not data.get(key):
            bad("missing_field", "缺少必填字段", key)
    if data.get("id") and not ID_RE.match(str(data["id"])):
        bad("bad_id", "编号只能由字母、数字、-、_、. 组成", "id", data["id"])
    tiers = tuple(str(t) for t in data.get("tiers") or ())
    default_tier = data.get("default_tier")
    if default_tier is not None and str(default_tier) not in tiers:
        bad("bad_default_tier", f"默认档位必须是 tiers 之一（{'、'.join(tiers) or '无档位'}）", "default_tier",
            default_tier)
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict) or set(evidence) - EVIDENCE_FIELDS:
        bad("bad_evidence", f"evidence 只能含 {'、'.join(sorted(EVIDENCE_FIELDS))}", "evidence", evidence)
        evidence = {}
    photo = _check_photo_settings(evidence, bad)
    spending = check_spending(data.get("spending"), bad)
    tasks, choose = _check_tasks(data.get("optional_tasks"), bad)
    indicators = []
    seen: set[str] = set()
    raw = data.get("indicators") or []
    if not isinstance(raw, list):
        bad("bad_indicators", "indicators 必须是列表", "indicators")
        raw = []
    for n, item in enumerate(raw, 1):
        ind = _check_indicator(item, n, tiers, {t.id for t in tasks}, where, problems)
        if ind is None:
            continue
        if ind.id in seen:
            problems.append(Problem("duplicate_indicator", "指标编号重复", where=f"{where} 指标 {ind.id}",
                                    column="id", value=ind.id))
        seen.add(ind.id)
        indicators.append(ind)
    shorts = [i.short or derive_short(i.name) for i in indicators]
    for dup in sorted({s for s in shorts if shorts.count(s) > 1}):
        problems.append(Problem("duplicate_short", "同一清单中两个指标的简称相同：图表上分不清，请改写 short",
                                where=f"{where} 指标 {'、'.join(i.id for i, s in zip(indicators, shorts) if s == dup)}",
                                column="short", value=dup))
    _check_occasion_minimums(indicators, where, problems)
    return {"id": str(data.get("id", "")), "title": str(data.get("title", "")), "region": str(data.get("region", "")),
            "year": int(data.get("year") or 0), "source": str(data.get("source", "")), "tiers": tiers,
            "default_tier": None if default_tier is None else str(default_tier),
            "photo_required": bool(evidence.get("photo_required", False)),
            "upload_required": bool(evidence.get("upload_required", False)),
            "choose_at_least": choose, "optional_tasks": tasks, "indicators": tuple(indicators), **photo,
            "spending": spending}


def _check_photo_settings(evidence: dict, bad) -> dict:
    """``photo_checks`` (finding → refuse/flag), ``photo_max_days`` and ``photo_max_km`` of ``evidence``."""
    stated = evidence.get("photo_checks") or {}
    if not isinstance(stated, dict):
        bad("bad_photo_checks", "evidence.photo_checks 必须是 核查项: refuse/flag 的键值对", "evidence.photo_checks", stated)
        stated = {}
    checks = []
    for code, action in stated.items():
        if code not in FINDINGS:
            bad("bad_photo_checks", f"不认识的照片核查项（可选：{'、'.join(FINDINGS)}）", "evidence.photo_checks", code)
        elif action not in ACTIONS:
            bad("bad_photo_checks", f"照片核查项 {code} 只能是 refuse（不认定）或 flag（提示核验）",
                "evidence.photo_checks", action)
        else:
            checks.append((str(code), str(action)))
    limits = {}
    for key, default in (("photo_max_days", DEFAULT_MAX_DAYS), ("photo_max_km", DEFAULT_MAX_KM)):
        value = evidence.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            bad("bad_photo_limit", "必须是不小于 0 的数字", f"evidence.{key}", value)
            value = default
        limits[key] = float(value)
    return {"photo_checks": tuple(checks), **limits}


COUNTING_RULES = ("period_count", "record_count")


def _check_occasion_minimums(indicators: list[Indicator], file: str, problems: list[Problem]) -> None:
    """Every indicator counting the occasions that carry a per-occasion minimum states that minimum.

    docs/counting-rules.md rule 6: an occasion below "≥N元/次" does not count, in every indicator
    that counts those occasions. A count that follows it writes ``min_amount: N``;
    one whose source text says the amount is free (seed 002 "金额不限") writes
    ``min_amount: 0``, so the reading is always stated, never left to a default.
    """
    def occasions(ind: Indicator) -> tuple:
        p = ind.params
        return (p.get("source", "charity_aid" if ind.rule == "per_occasion_min" else "services"),
                repr(p.get("where") or {}))

    minimums = {occasions(i): i for i in indicators if i.rule == "per_occasion_min"}
    for ind in indicators:
        found = minimums.get(occasions(ind)) if ind.rule in COUNTING_RULES else None
        if found is not None and "min_amount" not in ind.params:
            problems.append(Problem(
                "unstated_minimum",
                f"本指标计数的场次另有每次金额下限（指标 {found.id}：每次 ≥{found.params.get('min_amount')} 元）；"
                f"低于下限的那次不计，须写 min_amount（原文写明金额不限时写 min_amount: 0）",
                where=f"{file} 指标 {ind.id}", column="params.min_amount"))


def _check_tasks(raw, bad) -> tuple[tuple[OptionalTask, ...], int]:
    if raw is None:
        return (), 0
    if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), list):
        bad("bad_optional_tasks", "optional_tasks 需含 choose_at_least 与 tasks 列表", "optional_tasks")
        return (), 0
    choose = raw.get("choose_at_least")
    if not isinstance(choose, int) or not 0 < choose <= len(raw["tasks"]):
        bad("bad_choose", "choose_at_least 必须是 1 到任务数之间的整数", "optional_tasks.choose_at_least", choose)
        choose = 0
    out = []
    for t in raw["tasks"]:
        if not isinstance(t, dict) or not t.get("id") or not t.get("name"):
            bad("bad_task", "每个自选任务需有 id 与 name", "optional_tasks.tasks", t)
            continue
        out.append(OptionalTask(str(t["id"]), str(t["name"]), tuple(str(a) for a in t.get("aliases") or ())))
    ids = [t.id for t in out]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        bad("duplicate_task", "自选任务编号重复", "optional_tasks.tasks", dup)
    return tuple(out), choose


def _check_indicator(item, n: int, tiers: tuple[str, ...], task_ids: set[str], file: str,
                     problems: list[Problem]) -> Indicator | None:
    if not isinstance(item, dict):
        problems.append(Problem("bad_indicator", "指标必须是键值对", where=f"{file} 第{n}个指标"))
        return None
    ind_id = str(item.get("id") or f"第{n}个指标")
    where = f"{file} 指标 {ind_id}"

    def bad(code, message, column, value=None):
        problems.append(Problem(code, message, where=where, column=column, value=value))

    for key in sorted(set(item) - INDICATOR_FIELDS - {"points"}):
        bad("unknown_field", "不认识的字段", key)
    for key in ("id", "name", "domain", "source_text", "rule", "evidence"):
        if not item.get(key):
            bad("missing_field", "缺少必填字段", key)
    short = item.get("short")
    if short is not None and (not isinstance(short, str) or not short.strip() or len(short.strip()) > SHORT_MAX
                              or "\n" in short):
        bad("bad_short", f"简称须是一行、不超过 {SHORT_MAX} 个字的文字（图表上显示为“指标编号 简称”）", "short", short)
        short = None
    if item.get("id") and not ID_RE.match(str(item["id"])):
        bad("bad_id", "编号只能由字母、数字、-、_、. 组成", "id", item["id"])
    if item.get("domain") and item["domain"] not in INDICATOR_DOMAINS:
        bad("bad_domain", f"领域必须是：{'、'.join(INDICATOR_DOMAINS)}", "domain", item["domain"])
    if not isinstance(item.get("mandatory"), bool):
        bad("bad_mandatory", "mandatory 必须是 true 或 false", "mandatory", item.get("mandatory"))
    if "points" in item:
        bad("points_in_catalogue", "指标清单不给分值：分值与计分方式写在评估方的评分细则里（sgz evaluate --scoring）",
            "points", item["points"])
    rule = RULES.get(item.get("rule"))
    if item.get("rule") and rule is None:
        bad("unknown_rule", f"未知的规则类型（可用：{'、'.join(sorted(RULES))}）", "rule", item.get("rule"))
    period = item.get("period", "whole")
    if rule and period not in rule.periods:
        bad("bad_period", f"规则 {rule.name} 的周期只能是 {'、'.join(rule.periods)}", "period", period)
    params = item.get("params") or {}
    if not isinstance(params, dict):
        bad("bad_params", "params 必须是键值对", "params", params)
        params = {}
    if rule:
        _check_params(rule.params, params, tiers, bad)
        for key, why in (rule.check(params) if rule.check else ()):
            bad("bad_param", why, f"params.{key}", params.get(key))
    target = item.get("target")
    _check_target(target, tiers, bad)
    tasks = item.get("task") or ()
    tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
    for t in tasks:
        if t not in task_ids:
            bad("unknown_task", "task 必须是本清单 optional_tasks 中的编号", "task", t)
    if tasks and item.get("mandatory") is True:
        bad("task_but_mandatory", "属于自选任务的指标不能是必选（mandatory: false）", "mandatory")
    return Indicator(id=ind_id, name=str(item.get("name", "")), domain=str(item.get("domain", "")),
                     mandatory=item.get("mandatory") is True, source_text=" ".join(str(item.get("source_text", "")).split()),
                     rule=str(item.get("rule", "")), params=params, period=str(period), target_spec=target,
                     unit=str(item.get("unit") or (rule.unit if rule else "")), evidence=str(item.get("evidence", "")),
                     tasks=tasks, tiers=tiers, short=str(short).strip() if short else "")


def _check_target(target, tiers, bad) -> None:
    if isinstance(target, dict):
        unknown = [k for k in target if k not in tiers]
        if not tiers or unknown:
            bad("bad_target_tiers", f"按档位给出的目标只能用本清单的档位（{'、'.join(tiers) or '本清单无档位'}）",
                "target", unknown or target)
        values = list(target.values())
    else:
        values = [target]
    for v in values:
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
            bad("bad_target", "目标必须是不小于 0 的数（或按档位给出的这样的数）", "target", v)
    if target is None or (isinstance(target, dict) and all(v is None for v in target.values())):
        bad("missing_target", "缺少目标值", "target")


def _check_params(spec: dict[str, Param], params: dict, tiers, bad) -> None:
    for key in sorted(set(params) - set(spec)):
        bad("unknown_param", f"规则不认识这个参数（可用：{'、'.join(spec) or '无'}）", f"params.{key}")
    for key, p in spec.items():
        if key not in params:
            if p.required:
                bad("missing_param", f"缺少规则参数（{p.help}）", f"params.{key}")
            continue
        value = params[key]
        values = list(value.values()) if isinstance(value, dict) and p.kind != "mapping" else [value]
        if isinstance(value, dict) and p.kind != "mapping" and (not tiers or set(value) - set(tiers)):
            bad("bad_param_tiers", "按档位给出的参数只能用本清单的档位", f"params.{key}", value)
        for v in values:
            why = _param_error(p, v)
            if why:
                bad("bad_param", why, f"params.{key}", v)


def _param_error(p: Param, v) -> str:
    if p.kind == "int" and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
        return "必须是不小于 0 的整数"
    if p.kind == "number" and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
        return "必须是不小于 0 的数"
    if p.kind == "bool" and not isinstance(v, bool):
        return "必须是 true 或 false"
    if p.kind == "mapping" and not isinstance(v, dict):
        return "必须是键值对"
    if p.kind in ("str", "list"):
        items = v if isinstance(v, list) else [v]
        if p.kind == "str" and isinstance(v, list):
            return "必须是单个值"
        if not all(isinstance(i, str) and i for i in items):
            return "必须是文字（或文字列表）"
        if p.choices:
            wrong = [i for i in items if i not in p.choices]
            if wrong:
                return f"「{'、'.join(wrong)}」不在允许值中（{'、'.join(p.choices)}）"
    return ""
