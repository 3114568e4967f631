"""The scale registry: standard instruments used for pre-/post-tests (前测/后测), as data.

``sgzlib/data/scales.yaml`` declares every scale once: Chinese and English
names, aliases, score range, direction (higher or lower is better),
sub-scales, and the reliability and norm SD the reliable change index needs,
each with its published source (left empty, with a note, where none could
be cited). ``load_scales`` validates the file the moment it is read and
raises ``DefinitionError`` listing every problem at once.

``ScaleRegistry.resolve(name)`` accepts an id, alias, Chinese or English
name (folded: full-width, case, spaces and ``- _ · /`` ignored), and a
sub-scale as ``量表·分量表`` (``SSRS·主观支持``, ``SDQ/emotional``).
``scale_problems(ds)`` is the data check ``validation.problems`` runs on the
前后测 sheet: unknown scales and scores outside a scale's range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from ..errors import DefinitionError, NotFoundError, Problem
from . import schema
from .vocab import fold

SCALES_FILE = Path(__file__).resolve().parents[1] / "data" / "scales.yaml"
DIRECTIONS = {"higher_better": True, "lower_better": False}
SUB_SEPARATORS = "·/／:："
_FOLD_DROP = re.compile(r"[-_·/／.．:：()（）]")


@dataclass(frozen=True)
class Scale:
    """One scale (or one sub-scale, then ``parent`` is the scale's id)."""

    id: str
    name_zh: str
    name_en: str
    low: float | None
    high: float | None
    higher_is_better: bool
    aliases: tuple[str, ...] = ()
    items: int | None = None
    source: str = ""
    reliability: float | None = None
    reliability_kind: str = ""
    reliability_source: str = ""
    norm_sd: float | None = None
    norm_source: str = ""
    note: str = ""
    parent: str | None = None
    subscales: tuple[Scale, ...] = field(default=(), repr=False)

    @property
    def direction(self) -> int:
        """+1 when a higher score is better, -1 when a lower score is better."""
        return 1 if self.higher_is_better else -1

    @property
    def label(self) -> str:
        """How reports name the scale: ``UCLA-3 UCLA 孤独量表（第三版）``."""
        return f"{self.id} {self.name_zh}"

    def in_range(self, score: float) -> bool:
        """Whether ``score`` lies within the scale's range (always true when it has none)."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return low <= score <= high


class ScaleRegistry:
    """Every scale of the registry, looked up by any of its names."""

    def __init__(self, scales: list[Scale]):
        self.scales = tuple(scales)
        self._by_key: dict[str, Scale] = {}
        for scale in self.scales:
            for entry in (scale, *scale.subscales):
                for name in _names(entry, scale):
                    self._by_key.setdefault(_key(name), entry)

    def __iter__(self):
        return iter(self.scales)

    def __len__(self) -> int:
        return len(self.scales)

    def resolve(self, name: object) -> Scale | None:
        """The scale ``name`` means (id, alias, Chinese or English name, ``量表·分量表``), or ``None``."""
        if name is None or (isinstance(name, float) and math.isnan(name)) or name is pd.NA:
            return None
        return self._by_key.get(_key(str(name)))

    def require(self, name: object) -> Scale:
        """Like ``resolve`` but raises a Chinese ``NotFoundError`` listing the known scales."""
        found = self.resolve(name)
        if found is None:
            raise NotFoundError(f"量表「{name}」未在量表库中登记。可用的量表：{self.known()}")
        return found

    def known(self) -> str:
        """The registered scales, for error messages."""
        return "、".join(s.id for s in self.scales)

    def table(self) -> pd.DataFrame:
        """One row per scale and sub-scale: names, range, direction, reliability and their sources."""
        rows = []
        for scale in self.scales:
            for entry in (scale, *scale.subscales):
                rows.append({"id": entry.id, "name_zh": entry.name_zh, "name_en": entry.name_en,
                             "low": entry.low, "high": entry.high, "higher_is_better": entry.higher_is_better,
                             "reliability": entry.reliability, "reliability_source": entry.reliability_source,
                             "norm_sd": entry.norm_sd, "norm_source": entry.norm_source, "note": entry.note})
        return pd.DataFrame(rows)


def _key(name: str) -> str:
    return _FOLD_DROP.sub("", fold(name)).casefold()


def _names(entry: Scale, scale: Scale) -> list[str]:
    if entry.parent is None:
        return [entry.id, entry.name_zh, entry.name_en, *entry.aliases]
    sub_names = (entry.id.split(".", 1)[1], entry.name_zh, entry.name_en)
    parents = (scale.id, scale.name_zh, scale.name_en, *scale.aliases)
    return [f"{p}·{s}" for p in parents for s in sub_names]


# -- loading and validating the file ---------------------------------------------

def load_scales(path: str | Path | None = None) -> ScaleRegistry:
    """The registry from ``path`` (default: the shipped ``scales.yaml``), validated."""
    if path is None:
        return _shipped()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _shipped() -> ScaleRegistry:
    return _load(SCALES_FILE)


def _load(path: Path) -> ScaleRegistry:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError([Problem("unreadable", f"量表库文件无法读取：{exc}", where=where)]) from exc
    entries = data.get("scales") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DefinitionError([Problem("no_scales", "量表库文件必须有非空的 scales 列表", where=where)])
    problems: list[Problem] = []
    scales = [_scale(entry, i, where, problems) for i, entry in enumerate(entries, 1)]
    problems += _clash_problems([s for s in scales if s is not None], where)
    if problems:
        raise DefinitionError(problems, title="量表库定义有误")
    return ScaleRegistry(scales)


REQUIRED = ("id", "name_zh", "name_en", "low", "high", "direction", "source")


def _scale(entry: object, index: int, where: str, problems: list[Problem]) -> Scale | None:
    if not isinstance(entry, dict):
        problems.append(Problem("not_a_mapping", f"第 {index} 个量表不是键值对", where=where))
        return None
    label = f"第 {index} 个量表（{entry.get('id') or '无 id'}）"

    def bad(code: str, message: str, column: str = "", value=None) -> None:
        problems.append(Problem(code, f"{label}：{message}", where=where, column=column, value=value))

    for key in REQUIRED:
        if entry.get(key) in (None, ""):
            bad("missing_field", f"缺少必填项 {key}", key)
    direction = entry.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        bad("bad_direction", "direction 只能是 higher_better 或 lower_better", "direction", direction)
    low, high = _number(entry, "low", bad), _number(entry, "high", bad)
    if low is not None and high is not None and low >= high:
        bad("bad_range", f"下限 {low} 必须小于上限 {high}", "low", low)
    reliability = _number(entry, "reliability", bad)
    if reliability is not None and not 0 < reliability < 1:
        bad("bad_reliability", "信度必须在 0 和 1 之间（不含端点）", "reliability", reliability)
    if reliability is not None and not entry.get("reliability_source"):
        bad("unsourced_reliability", "填写了信度却没有 reliability_source：没有出处的数字不能使用", "reliability_source")
    norm_sd = _number(entry, "norm_sd", bad)
    if norm_sd is not None and norm_sd <= 0:
        bad("bad_norm_sd", "常模标准差必须大于 0", "norm_sd", norm_sd)
    if norm_sd is not None and not entry.get("norm_source"):
        bad("unsourced_norm_sd", "填写了常模标准差却没有 norm_source：没有出处的数字不能使用", "norm_source")
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list):
        bad("bad_aliases", "aliases 必须是列表", "aliases")
        aliases = []
    scale_id = str(entry.get("id") or "")
    higher = DIRECTIONS.get(direction, True)
    subs = tuple(_subscale(sub, scale_id, higher, label, where, problems, (low, high))
                 for sub in (entry.get("subscales") or []))
    return Scale(
        id=scale_id, name_zh=str(entry.get("name_zh") or ""), name_en=str(entry.get("name_en") or ""),
        low=low, high=high, higher_is_better=higher, aliases=tuple(str(a) for a in aliases),
        items=entry.get("items"), source=str(entry.get("source") or ""), reliability=reliability,
        reliability_kind=str(entry.get("reliability_kind") or ""),
        reliability_source=str(entry.get("reliability_source") or ""), norm_sd=norm_sd,
        norm_source=str(entry.get("norm_source") or ""), note=str(entry.get("note") or "").strip(),
        subscales=tuple(s for s in subs if s is not None))


def _subscale(sub: object, parent: str, higher: bool, label: str, where: str, problems: list[Problem],
              parent_range: tuple) -> Scale | None:
    if not isinstance(sub, dict) or not sub.get("id") or not sub.get("name_zh"):
        problems.append(Problem("bad_subscale", f"{label}：分量表必须有 id 和 name_zh", where=where, value=sub))
        return None

    def bad(code, message, column="", value=None):
        problems.append(Problem(code, f"{label} 分量表 {sub['id']}：{message}", where=where, column=column,
                                value=value))

    low, high = _number(sub, "low", bad), _number(sub, "high", bad)
    if (low is None) != (high is None) or (low is not None and low >= high):
        bad("bad_range", "分量表的上下限要么都填且下限小于上限，要么都不填", "low", low)
    return Scale(id=f"{parent}.{sub['id']}", name_zh=str(sub["name_zh"]), name_en=str(sub.get("name_en") or ""),
                 low=low, high=high, higher_is_better=higher, note=str(sub.get("note") or ""), parent=parent)


def _number(entry: dict, key: str, bad) -> float | None:
    value = entry.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        bad("not_a_number", f"{key} 必须是数字", key, value)
        return None
    return float(value)


def _clash_problems(scales: list[Scale], where: str) -> list[Problem]:
    """Ids and names must each mean one scale only."""
    owner: dict[str, str] = {}
    out = []
    for scale in scales:
        for entry in (scale, *scale.subscales):
            for name in dict.fromkeys(_key(n) for n in _names(entry, scale)):
                if name in owner and owner[name] != entry.id:
                    out.append(Problem("ambiguous_name", f"名称「{name}」同时指向 {owner[name]} 和 {entry.id}",
                                       where=where, column="aliases", value=name))
                owner.setdefault(name, entry.id)
    return out


# -- the data check on 前后测 ------------------------------------------------------

def scale_problems(ds, registry: ScaleRegistry | None = None) -> list[Problem]:
    """Measurements naming an unknown scale, or scoring outside the scale's range."""
    registry = registry or load_scales()
    frame = ds.measurements
    if frame.empty:  # an empty frame's mapped bounds have no numeric dtype to compare
        return []
    t = schema.TABLE_BY_NAME["measurements"]
    resolved = {name: registry.resolve(name) for name in frame["scale"].dropna().unique()}
    scales = frame["scale"].map(resolved)
    # float: the map of an empty column keeps the column's (string) dtype
    low = scales.map(lambda s: s.low if s is not None and s.low is not None else -math.inf).astype(float)
    high = scales.map(lambda s: s.high if s is not None and s.high is not None else math.inf).astype(float)
    unknown = scales.isna() & frame["scale"].notna()
    score = frame["score"].astype(float)
    outside = ~unknown & score.notna() & ((score < low) | (score > high))
    out: list[Problem] = []
    for idx in frame.index[unknown | outside]:
        row = frame.loc[idx]
        key = tuple(row[k] for k in t.key)
        if unknown[idx]:
            out.append(Problem("unknown_scale", f"量表「{row['scale']}」未在量表库中登记（可用：{registry.known()}）",
                               where=t.sheet, column="量表", value=row["scale"], key=key))
        else:
            scale = scales[idx]
            out.append(Problem("score_out_of_range",
                               f"{scale.label}的得分必须在 {_fmt(scale.low)}–{_fmt(scale.high)} 之间",
                               where=t.sheet, column="得分", value=_fmt(row["score"]), key=key))
    return out


def _fmt(value: float) -> str:
    return f"{value:g}"
