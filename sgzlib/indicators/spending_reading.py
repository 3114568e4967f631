"""Readings of one expense's text: what was bought, at what unit price, for what, and where.

Pure functions over the lexicon (``spending_lexicon``). Each reading says which word or reading decided it
(``basis``), so a flag can name it. The item text is cut into segments at separators (、，；+ 及 和 brackets)
that are not inside a lexicon word; each segment is judged on its own ("打印机、硒鼓" buys a printer;
"打印机硒鼓" is a consumable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .spending_lexicon import Gazetteer, Lexicon, Meaning, Token, Tokenizer, norm

SEPARATORS = set("、,，;；/+＋()（）[]【】{}|:：。!！?？\"'“”‘’") | {"及", "和", "与", "加", "含", "配"}


@dataclass(frozen=True)
class Reading:
    """A reading: its kind (e.g. ``edible_oil``), its label, and what decided it."""

    kind: str
    label: str
    basis: str


def segments(text: str, tokenizer: Tokenizer) -> list[tuple[int, str, tuple[Token, ...]]]:
    """``text`` cut at separators outside lexicon words: (where it starts, segment text, its tokens)."""
    tokens = tokenizer.cut(text)
    covered = {i for t in tokens for i in range(t.start, t.start + len(t.text))}
    out, start = [], 0
    for i, ch in enumerate(text + "、"):
        if i == len(text) or (ch in SEPARATORS and i not in covered):
            if i > start:
                out.append((start, text[start:i], tuple(t for t in tokens if start <= t.start < i)))
            start = i + 1
    return out


def _meanings(tokens, role: str, section: str):
    return [(t, m) for t in tokens for m in t.meanings if m.role == role and m.section == section]


# -- fixed assets and rice/flour/oil -----------------------------------------------------------------------

def _kind_reading(tokens, section: str, lex: Lexicon) -> Reading | None:
    """A segment's kind in ``section``: a kind word; else a brand (an ambiguous one needs a cue or word)."""
    words = _meanings(tokens, "word", section)
    if words:
        t, m = words[0]
        brand = next((b for b, bm in _meanings(tokens, "brand", section) if bm.kind == m.kind), None)
        return Reading(m.kind, lex.label(section, m.kind), f"品类词“{t.text}”" + (f"（品牌“{brand.text}”）" if brand else ""))
    context = {m.kind: t.text for t, m in _meanings(tokens, "cue", section)}
    brands = _meanings(tokens, "brand", section)
    for t, m in brands:
        if not m.ambiguous and not any(o.role == "word" for o in t.meanings):
            return Reading(m.kind, lex.label(section, m.kind), f"品牌“{t.text}”")
    for t, m in brands:
        if m.kind in context:
            return Reading(m.kind, lex.label(section, m.kind), f"品牌“{t.text}”与“{context[m.kind]}”")
    return None


def read_asset(text: object, lex: Lexicon) -> tuple[Reading | None, str | None]:
    """(the fixed asset the item buys, or None; the consumable/repair/accessory word that ruled one out)."""
    ruled_out = None
    for _, _, tokens in segments(norm(text or ""), lex.tokenizer):
        found = _kind_reading(tokens, "fixed_asset", lex)
        if found is None:
            continue
        spare = next((t.text for t in tokens if t.has("not_asset")), None)
        if spare is None:
            return found, None
        ruled_out = ruled_out or spare
    return None, ruled_out


def _brand_of_goods(tokens) -> bool:
    """A grain word that is also an equipment brand ("小米") next to equipment, a spec or an accessory."""
    brand = any(t.has("word", "grain_oil") and t.has("brand", "fixed_asset") for t in tokens)
    return brand and any(t.has("word", "fixed_asset") or t.has("cue", "fixed_asset") or t.has("not_asset")
                         for t in tokens)


def read_grain(text: object, lex: Lexicon) -> Reading | None:
    """The rice, flour or oil the item buys (a kind word, a brand, or a bare 米/面/油 standing alone)."""
    for start, seg, tokens in segments(norm(text or ""), lex.tokenizer):
        if _brand_of_goods(tokens):
            continue  # "小米手机", "小米充电宝": the brand of a phone, not millet
        found = _kind_reading(tokens, "grain_oil", lex)
        if found is not None:
            return found
        bare = _bare(start, seg, tokens, lex)
        if bare is not None:
            return bare
    return None


def _bare(start: int, seg: str, tokens, lex: Lexicon) -> Reading | None:
    """A bare 米/面/油: the segment is that character once quantities, units and modifiers are removed."""
    bare = _meanings(tokens, "bare", "grain_oil")
    if not bare:
        return None
    t, m = bare[0]
    if _core(start, seg, tokens, lex) == t.text:
        return Reading(m.kind, lex.label("grain_oil", m.kind), f"单字“{t.text}”（去掉数量和修饰词后只剩这个字）")
    return None


def _core(start: int, seg: str, tokens, lex: Lexicon) -> str:
    """The segment without quantities, units, modifier words and punctuation."""
    chars = list(seg)
    for t in tokens:
        if t.has("modifier"):
            chars[t.start - start:t.start - start + len(t.text)] = " " * len(t.text)
    text = "".join(chars)
    units = "|".join(sorted(map(re.escape, map(norm, lex.data["quantities"]["count_units"]
                                             + lex.data["quantities"]["size_units"])), key=len, reverse=True))
    text = re.sub(rf"(约|共|各|每|计)?\d+(\.\d+)?({units})?(元)?", " ", text)
    text = re.sub(r"[x×*✕@]|元", " ", text)
    return "".join(text.split()).strip("-—_~")


# -- distributed items -----------------------------------------------------------------------------------------

def read_distributed(text: object, category: object, lex: Lexicon) -> str | None:
    """What says an item is given out (a thing word in any category, a purpose word outside transport,
    meals, printing and meetings), or None."""
    tokens = lex.tokenizer.cut(norm(text or ""))
    thing = next((t.text for t in tokens if t.has("thing")), None)
    if thing:
        return f"物品含“{thing}”"
    if str(category) in lex.data["distributed"]["no_purpose_categories"]:
        return None
    purpose = next((t.text for t in tokens if t.has("purpose")), None)
    return f"用途写“{purpose}”" if purpose else None


# -- unit price ------------------------------------------------------------------------------------------------

_NUM = r"(\d+(?:\.\d+)?)"


def unit_price(text: object, amount: float, lex: Lexicon) -> tuple[float, str]:
    """The unit price the item text states or implies, and how it was read; the amount when none is.

    "单价60元", "60元/袋", "每份45元" → the price written; "5袋×60", "2台*3500元" → the factor that is a price;
    "棉被20床" → amount ÷ 20 (several counts: amount ÷ their sum); otherwise the total.
    """
    t = norm(text or "")
    q = lex.data["quantities"]
    count = "|".join(sorted(map(re.escape, map(norm, q["count_units"])), key=len, reverse=True))
    size = "|".join(sorted(map(re.escape, map(norm, q["size_units"])), key=len, reverse=True))
    m = re.search(rf"\d(?:{size})装?[x×*✕]{_NUM}(?:{count})?(?!元|\d)", t)  # "5L×4": four of 5 L
    if m and amount:
        n = float(m.group(1))
        return amount / n, f"金额 {amount:g} 元 ÷ {n:g}（物品写明的件数，{m.group(0)}）"
    t_nosize = re.sub(rf"{_NUM}({size})(?![\u4e00-\u9fff]?(?:{count}))", " ", t)  # "5L", "10斤" are sizes
    for pattern in (rf"单价{_NUM}", rf"{_NUM}元/(?:{count})", rf"每(?:{count}){_NUM}", rf"{_NUM}元每(?:{count})",
                    rf"@{_NUM}"):
        m = re.search(pattern, t_nosize)
        if m:
            return float(m.group(1)), f"物品写明单价 {float(m.group(1)):g} 元"
    m = re.search(rf"{_NUM}(元|{count})?[x×*✕]{_NUM}(元|{count})?", t_nosize)
    if m:
        a, ua, b, ub = float(m.group(1)), m.group(2), float(m.group(3)), m.group(4)
        price = a if ua == "元" or (ub and ub != "元") else b if ub == "元" or ua else max(a, b)
        return price, f"物品写明数量×单价（{m.group(0)}），单价 {price:g} 元"
    counts = [float(x) for x in re.findall(rf"{_NUM}(?:{count})", t_nosize)]
    counts = [c for c in counts if c >= 1]
    if counts and amount:
        n = sum(counts)
        return amount / n, f"金额 {amount:g} 元 ÷ {n:g}（物品写明的件数）"
    return amount, "物品未写数量或单价，按总金额"


# -- places ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlaceReading:
    """Where fuel was used: ``away`` names what says elsewhere (None: local or unknown); ``local`` what says local."""

    away: str | None
    local: str | None


def place_tokenizer(lex: Lexicon, gazetteer: Gazetteer, district: str | None, local_extra=(), elsewhere_extra=()):
    """Terms for reading a fuel expense's place in ``district``: local places, places elsewhere, away words."""
    d = gazetteer.find(district)
    terms: dict[str, list[Meaning]] = {}
    travel = lex.data["travel"]
    for w in travel["not_places"]:
        terms.setdefault(str(w), [])
    for w in [*(d.elsewhere if d else gazetteer.common), *elsewhere_extra]:
        terms[str(w)] = [Meaning("elsewhere")]
    for w in [*(d.local if d else ()), *local_extra, *map(str, travel["local"])]:
        terms[str(w)] = [Meaning("local")]
    for w in travel["away"]:
        terms[str(w)] = [Meaning("away")]
    return Tokenizer(terms)


def read_place(text: str, tokenizer: Tokenizer, lex: Lexicon) -> PlaceReading:
    """Away words first, then places elsewhere (named, or any 市/县/镇… not in the district), then local ones."""
    t = norm(text)
    tokens = tokenizer.cut(t)
    away = next((f"“{x.text}”" for x in tokens if x.has("away")), None)
    if away:
        return PlaceReading(away, None)
    named = next((f"“{x.text}”（本区县以外）" for x in tokens if x.has("elsewhere")), None)
    if named:
        return PlaceReading(named, None)
    unknown = _unknown_place(t, tokens, lex)
    if unknown:
        return PlaceReading(f"“{unknown}”（不在本区县乡镇街道名录中）", None)
    local = next((x.text for x in tokens if x.has("local")), None)
    return PlaceReading(None, local)


def _unknown_place(text: str, tokens, lex: Lexicon) -> str | None:
    """A name ending in a place suffix (市, 县, 镇, 街道…) outside every known token."""
    chars = list(text)
    for x in tokens:
        for i in range(x.start, x.start + len(x.text)):
            chars[i] = " "
    rest = "".join(chars)
    suffixes = "|".join(sorted(map(re.escape, lex.data["travel"]["place_suffixes"]), key=len, reverse=True))
    m = re.search(rf"(?:去|到|赴|往|前往|至|从)?([\u4e00-\u9fff]{{2,5}}?(?:{suffixes}))", rest)
    return m.group(1) if m else None
