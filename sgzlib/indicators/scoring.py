"""Scoring schemes (评分细则) that an evaluator supplies: points per indicator and how credit is given.

None of the seed catalogues gives points or partial credit (``docs/counting-rules.md``, rule
12), so the indicator engine gives none: it says met, not met or to verify. A
score total exists only under a scheme written by the evaluator as a YAML
file, checked when loaded (every problem at once, ``DefinitionError``)::

    title: 某区2025年社工站项目评分细则
    catalogue: jiuyuan-2024          # the catalogue (id or Chinese title) it scores
    to_verify: zero                  # 待核验: zero | proportional | exclude
    indicators:
      - {id: JY-M01, points: 10, credit: all_or_nothing}
      - {id: JY-M02, points: 15, credit: proportional}
      - {id: JY-M03, points: 15, credit: steps, steps: [{at: 1.0, credit: 1.0}, {at: 0.8, credit: 0.6}]}

Credit rules: ``all_or_nothing`` (达标 full points, else 0), ``proportional``
(达标 full points, else points × actual / target, capped at full), ``steps``
(达标 full points, else the credit of the highest step whose completion share
``at`` was reached, else 0). Indicators of the catalogue the scheme does not
list are not scored and count towards neither the total nor the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..domain import labels
from ..errors import DefinitionError, NotFoundError, Problem
from .catalogue import load_catalogue

CREDITS = {
    "all_or_nothing": "达标得满分，未达标 0 分",
    "proportional": "达标得满分，未达标按实际 / 目标的比例得分",
    "steps": "达标得满分，未达标按完成比例分档得分",
}
TO_VERIFY = {
    "zero": "待核验计 0 分",
    "proportional": "待核验按已勾选比例得分",
    "exclude": "待核验不计入得分与满分",
}
SCHEME_FIELDS = {"title", "catalogue", "source", "to_verify", "indicators"}
ITEM_FIELDS = {"id", "points", "credit", "steps"}
MET, TO_VERIFY_STATUS = labels.MET, labels.TO_VERIFY
SCORE_COLUMNS = ["project_code", "indicator_id", "points", "credit", "score", "rule"]


@dataclass(frozen=True)
class Item:
    """One scored indicator: its points, credit rule and (for ``steps``) the (share, credit) steps."""

    indicator_id: str
    points: float
    credit: str
    steps: tuple[tuple[float, float], ...] = ()

    def describe(self) -> str:
        if self.credit != "steps":
            return CREDITS[self.credit]
        shown = "，".join(f"完成 ≥{at:.0%} 得 {c:.0%}" for at, c in self.steps)
        return f"达标得满分，未达标时{shown}，否则 0 分"


@dataclass(frozen=True)
class Scheme:
    """An evaluator's scoring scheme for one catalogue."""

    title: str
    catalogue: str  # catalogue id
    source: str
    to_verify: str
    items: tuple[Item, ...]
    path: Path | None = None

    @property
    def max_points(self) -> float:
        return float(sum(i.points for i in self.items))

    def describe(self) -> str:
        """The rule in one sentence, printed next to every total."""
        kinds = "；".join(f"{CREDITS[c]}（{n} 项）" for c, n in
                         pd.Series([i.credit for i in self.items]).value_counts(sort=False).items())
        return f"按《{self.title}》计分：{kinds}；{TO_VERIFY[self.to_verify]}；细则未列的指标不计分"

    def score(self, summary: pd.DataFrame) -> pd.DataFrame:
        """Points, credit share, score and rule per 全期 row of ``summary`` (its catalogue's rows only).

        Rows of indicators the scheme does not list, and 待核验 rows under
        ``exclude``, are left out (they count towards neither total nor maximum).
        """
        rows = summary[summary["catalogue"] == self.catalogue] if "catalogue" in summary else summary
        if "period" in rows:
            rows = rows[rows["period"] == "全期"]
        items = {i.indicator_id: i for i in self.items}
        rows = rows[rows["indicator_id"].isin(items)]
        if self.to_verify == "exclude":
            rows = rows[rows["status"] != TO_VERIFY_STATUS]
        out = []
        for r in rows.itertuples(index=False):
            item = items[r.indicator_id]
            share = self._credit(item, r.status, r.actual, r.target)
            rule = TO_VERIFY[self.to_verify] if r.status == TO_VERIFY_STATUS else item.describe()
            out.append((r.project_code, r.indicator_id, item.points, share, item.points * share, rule))
        return pd.DataFrame(out, columns=SCORE_COLUMNS)

    def total(self, scores: pd.DataFrame) -> tuple[float, float]:
        """(score, maximum) of one project's rows of ``score``."""
        return float(scores["score"].sum()), float(scores["points"].sum())

    def _credit(self, item: Item, status: str, actual: float, target: float) -> float:
        ratio = float(np.clip(actual / target, 0, 1)) if target and target > 0 and pd.notna(actual) else 0.0
        if status == MET:
            return 1.0
        if status == TO_VERIFY_STATUS:
            return ratio if self.to_verify == "proportional" else 0.0
        if item.credit == "proportional":
            return ratio
        if item.credit == "steps":
            return max((c for at, c in item.steps if ratio >= at - 1e-9), default=0.0)
        return 0.0


def load_scheme(path: str | Path, catalogues=()) -> Scheme:
    """Read and check a scoring file (``DefinitionError`` listing every problem)."""
    path = Path(path)
    if not path.is_file():
        raise DefinitionError([Problem("no_file", "找不到评分细则文件", where=str(path))], title="评分细则有误")
    return parse_scheme(path.read_text(encoding="utf-8"), path, catalogues)


def parse_scheme(text: str, path: str | Path = "<text>", catalogues=()) -> Scheme:
    """Parse and check a scheme against its catalogue: ids, points, credit rules, steps, 待核验 handling."""
    path = Path(path)
    where = path.name
    problems: list[Problem] = []

    def bad(code, message, place=where, column="", value=None):
        problems.append(Problem(code, message, where=place, column=column, value=value))

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("yaml", f"不是有效的 YAML：{exc}", where=where)], title="评分细则有误") from None
    if not isinstance(data, dict):
        raise DefinitionError([Problem("not_mapping", "文件顶层必须是键值对", where=where)], title="评分细则有误")
    for key in sorted(set(data) - SCHEME_FIELDS):
        bad("unknown_field", f"不认识的字段（可用：{'、'.join(sorted(SCHEME_FIELDS))}）", column=key)
    for key in ("title", "catalogue", "indicators"):
        if not data.get(key):
            bad("missing_field", "缺少必填字段", column=key)
    to_verify = data.get("to_verify", "zero")
    if to_verify not in TO_VERIFY:
        bad("bad_to_verify", f"待核验的处理只能是：{'、'.join(f'{k}（{v}）' for k, v in TO_VERIFY.items())}",
            column="to_verify", value=to_verify)
    catalogue = _catalogue(data.get("catalogue"), catalogues, bad)
    known = {i.id for i in catalogue.indicators} if catalogue else None
    raw = data.get("indicators") or []
    if not isinstance(raw, list):
        bad("bad_indicators", "indicators 必须是列表", column="indicators")
        raw = []
    items, seen = [], set()
    for n, entry in enumerate(raw, 1):
        item = _item(entry, n, where, known, bad)
        if item is None:
            continue
        if item.indicator_id in seen:
            bad("duplicate_indicator", "指标重复列出", f"{where} 指标 {item.indicator_id}", "id", item.indicator_id)
        seen.add(item.indicator_id)
        items.append(item)
    if problems:
        raise DefinitionError(problems, title=f"评分细则 {where} 有误")
    return Scheme(str(data["title"]), catalogue.id, str(data.get("source") or ""), to_verify, tuple(items),
                  path if path.exists() else None)


def _catalogue(name, catalogues, bad):
    if not name:
        return None
    for cat in catalogues:
        if str(name) in (cat.id, cat.title):
            return cat
    try:
        return load_catalogue(str(name))
    except NotFoundError as exc:
        bad("unknown_catalogue", str(exc), column="catalogue", value=name)
        return None


def _item(entry, n: int, file: str, known: set[str] | None, bad) -> Item | None:
    if not isinstance(entry, dict):
        bad("bad_item", "每项须是键值对（id、points、credit）", f"{file} 第{n}项")
        return None
    ind = str(entry.get("id") or f"第{n}项")
    place = f"{file} 指标 {ind}"
    for key in sorted(set(entry) - ITEM_FIELDS):
        bad("unknown_field", f"不认识的字段（可用：{'、'.join(sorted(ITEM_FIELDS))}）", place, key)
    if not entry.get("id"):
        bad("missing_field", "缺少指标编号", place, "id")
    elif known is not None and ind not in known:
        bad("unknown_indicator", "指标清单中没有这个指标编号", place, "id", ind)
    points = entry.get("points")
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        bad("bad_points", "分值必须是大于 0 的数", place, "points", points)
        points = 0
    credit = entry.get("credit", "all_or_nothing")
    if credit not in CREDITS:
        bad("bad_credit", f"计分方式只能是：{'、'.join(f'{k}（{v}）' for k, v in CREDITS.items())}", place, "credit",
            credit)
        credit = "all_or_nothing"
    steps = _steps(entry.get("steps"), credit, place, bad)
    return Item(ind, float(points), credit, steps)


def _steps(raw, credit: str, place: str, bad) -> tuple[tuple[float, float], ...]:
    if credit != "steps":
        if raw is not None:
            bad("steps_without_steps_credit", "只有 credit: steps 才能写 steps", place, "steps")
        return ()
    if not isinstance(raw, list) or not raw:
        bad("missing_steps", "credit: steps 需要 steps 列表，如 [{at: 0.8, credit: 0.6}]", place, "steps")
        return ()
    out = []
    for s in raw:
        ok = isinstance(s, dict) and set(s) == {"at", "credit"} and all(
            isinstance(s[k], (int, float)) and not isinstance(s[k], bool) and 0 <= s[k] <= 1 for k in ("at", "credit"))
        if not ok:
            bad("bad_step", "每档须写 at（完成比例 0–1）与 credit（得分比例 0–1）", place, "steps", s)
            continue
        out.append((float(s["at"]), float(s["credit"])))
    return tuple(sorted(out, reverse=True))
