"""The spending lexicon and the gazetteer (``sgzlib/data/spending_lexicon.yaml``, ``gazetteer.yaml``), validated.

Both files are data: what a word means for seed 000's spending rules, and which places are local to a
district. ``load_lexicon`` / ``load_gazetteer`` check a file against its declared shape (``LEXICON_SHAPE``,
``GAZETTEER_SHAPE``: every key, its type, required or not) and raise ``DefinitionError`` with every problem
at once. ``Tokenizer`` cuts a text by leftmost-longest match over a term → meanings table, so a longer word
("油漆", "米黄色", "加油站") hides the shorter one inside it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import DefinitionError, Problem

DATA = Path(__file__).resolve().parent.parent / "data"
LEXICON_FILE = DATA / "spending_lexicon.yaml"
GAZETTEER_FILE = DATA / "gazetteer.yaml"

# -- the declared shapes ------------------------------------------------------------------------------
# A shape is a dict of key → (type, required); type is "str", "num", "bool", "words" (list of non-empty
# strings), a nested dict shape, ("map", shape) for a mapping of names to shape, or ("list", shape).
WORDS, STR, NUM, BOOL = "words", "str", "num", "bool"
BRAND = {"name": (STR, True), "ambiguous": (BOOL, False)}
KIND = {"label": (STR, True), "words": (WORDS, True), "brands": (("list", BRAND), False), "cues": (WORDS, False),
        "min_unit_price": (NUM, False)}
LEXICON_SHAPE = {
    "version": (NUM, True), "provenance": (STR, True),
    "grain_oil": ({"label": (STR, True), "kinds": (("map", KIND), True),
                   "bare": (("list", {"text": (STR, True), "kind": (STR, True)}), True),
                   "modifiers": (WORDS, True), "exclude": (WORDS, True)}, True),
    "fixed_asset": ({"label": (STR, True), "kinds": (("map", KIND), True)}, True),
    "not_asset": ({"label": (STR, True), "words": (WORDS, True), "exclude": (WORDS, True)}, True),
    "fuel": ({"label": (STR, True), "words": (WORDS, True), "exclude": (WORDS, True), "not_fuel": (WORDS, True)}, True),
    "travel": ({"away": (WORDS, True), "local": (WORDS, True), "place_suffixes": (WORDS, True),
                "not_places": (WORDS, True)}, True),
    "distributed": ({"label": (STR, True), "things": (WORDS, True), "purposes": (WORDS, True),
                     "no_purpose_categories": (WORDS, True), "exclude": (WORDS, True)}, True),
    "quantities": ({"count_units": (WORDS, True), "size_units": (WORDS, True)}, True),
}
DISTRICT = {"city": (STR, True), "city_is_local": (BOOL, False), "catalogues": (WORDS, False),
            "aliases": (WORDS, False), "provenance": (STR, True), "towns": (WORDS, True), "places": (WORDS, False),
            "elsewhere": (WORDS, False)}
GAZETTEER_SHAPE = {
    "version": (NUM, True),
    "cities": (("map", {"provenance": (STR, True), "siblings": (WORDS, True)}), True),
    "districts": (("map", DISTRICT), True),
    "common_elsewhere": ({"provenance": (STR, True), "names": (WORDS, True)}, True),
}


def check_shape(value, shape, where: str, problems: list[Problem]) -> None:
    """Every way ``value`` departs from ``shape``, as problems naming the key path."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            problems.append(Problem("not_a_mapping", "应为键值对", where=where))
            return
        for key in value.keys() - shape.keys():
            problems.append(Problem("unknown_key", f"不认识的键 {key}（可用：{'、'.join(shape)}）", where=where))
        for key, (kind, required) in shape.items():
            if key not in value or value[key] is None:
                if required:
                    problems.append(Problem("missing_key", f"缺少 {key}", where=where))
                continue
            check_shape(value[key], kind, f"{where}.{key}", problems)
    elif isinstance(shape, tuple):
        container, inner = shape
        if container == "map" and isinstance(value, dict):
            for name, item in value.items():
                check_shape(item, inner, f"{where}.{name}", problems)
        elif container == "list" and isinstance(value, list):
            for n, item in enumerate(value, 1):
                check_shape(item, inner, f"{where}[{n}]", problems)
        else:
            problems.append(Problem("bad_type", "应为" + ("键值对" if container == "map" else "列表"), where=where))
    elif shape == WORDS:
        if not isinstance(value, list) or not all(isinstance(w, str | int) and str(w).strip() for w in value):
            problems.append(Problem("bad_words", "应为非空词语的列表", where=where, value=value))
        elif len(set(map(str, value))) != len(value):
            dup = sorted({str(w) for w in value if list(map(str, value)).count(str(w)) > 1})
            problems.append(Problem("duplicate_word", f"词语重复：{'、'.join(dup)}", where=where))
    elif shape == STR and not (isinstance(value, str) and value.strip()):
        problems.append(Problem("bad_text", "应为非空文字", where=where, value=value))
    elif shape == NUM and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
        problems.append(Problem("bad_number", "应为不小于 0 的数", where=where, value=value))
    elif shape == BOOL and not isinstance(value, bool):
        problems.append(Problem("bad_bool", "应为 true 或 false", where=where, value=value))


def _read(path: Path, shape: dict, title: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError([Problem("unreadable", f"文件无法读取：{exc}", where=Path(path).name)], title) from exc
    problems: list[Problem] = []
    check_shape(data, shape, Path(path).name, problems)
    if problems:
        raise DefinitionError(problems, title)
    return data


# -- the tokenizer ---------------------------------------------------------------------------------------

_LATIN_GAP = re.compile(r"(?<=[a-z0-9])\s+(?=[a-z0-9])")


def norm(text: object) -> str:
    """NFKC, lower case, no white space (one space kept between Latin words, "thinkpad x1"): how texts
    and terms are compared."""
    folded = _LATIN_GAP.sub("\x00", unicodedata.normalize("NFKC", str(text)).lower().strip())
    return "".join(folded.split()).replace("\x00", " ")


@dataclass(frozen=True)
class Meaning:
    """What a term says: its role (word, brand, bare, cue, not_asset, fuel, …), section and kind."""

    role: str
    section: str = ""
    kind: str = ""
    ambiguous: bool = False


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    meanings: tuple[Meaning, ...]

    def has(self, role: str, section: str | None = None) -> bool:
        return any(m.role == role and (section is None or m.section == section) for m in self.meanings)


_ASCII = re.compile(r"[a-z0-9#]+")


class Tokenizer:
    """Leftmost-longest match over ``terms`` (term → meanings; a term with no meaning only hides others)."""

    def __init__(self, terms: dict[str, list[Meaning]]):
        self.terms = {norm(t): tuple(m) for t, m in terms.items() if norm(t)}
        self.longest = max((len(t) for t in self.terms), default=1)
        self.cut = functools.lru_cache(maxsize=65536)(self._cut)

    def _cut(self, text: str) -> tuple[Token, ...]:
        out, i = [], 0
        while i < len(text):
            for n in range(min(self.longest, len(text) - i), 0, -1):
                piece = text[i:i + n]
                if piece in self.terms and _bounded(text, i, n):
                    out.append(Token(piece, i, self.terms[piece]))
                    i += n
                    break
            else:
                i += 1
        return tuple(out)


def _bounded(text: str, i: int, n: int) -> bool:
    """A Latin term ("hp", "vivo") is not part of a longer Latin word ("hpv", "vivobook")."""
    piece = text[i:i + n]
    if not _ASCII.fullmatch(piece):
        return True
    before = text[i - 1] if i else ""
    after = text[i + n] if i + n < len(text) else ""
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())


# -- the lexicon -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lexicon:
    data: dict
    tokenizer: Tokenizer

    def kind(self, section: str, kind: str) -> dict:
        return self.data[section]["kinds"][kind]

    def label(self, section: str, kind: str) -> str:
        return self.kind(section, kind)["label"]


def _add(terms: dict, words, meaning: Meaning | None) -> None:
    for w in words:
        terms.setdefault(str(w), [])
        if meaning is not None and meaning not in terms[str(w)]:
            terms[str(w)].append(meaning)


def lexicon_terms(data: dict) -> dict[str, list[Meaning]]:
    terms: dict[str, list[Meaning]] = {}
    for section in ("grain_oil", "fixed_asset"):
        for kind, k in data[section]["kinds"].items():
            _add(terms, k["words"], Meaning("word", section, kind))
            for b in k.get("brands") or []:
                _add(terms, [b["name"]], Meaning("brand", section, kind, bool(b.get("ambiguous"))))
            _add(terms, k.get("cues") or [], Meaning("cue", section, kind))
    for b in data["grain_oil"]["bare"]:
        _add(terms, [b["text"]], Meaning("bare", "grain_oil", b["kind"]))
    _add(terms, data["grain_oil"]["modifiers"], Meaning("modifier", "grain_oil"))
    _add(terms, data["not_asset"]["words"], Meaning("not_asset", "fixed_asset"))
    _add(terms, data["fuel"]["words"], Meaning("fuel", "fuel"))
    _add(terms, data["fuel"]["not_fuel"], Meaning("not_fuel", "fuel"))
    _add(terms, data["distributed"]["things"], Meaning("thing", "distributed"))
    _add(terms, data["distributed"]["purposes"], Meaning("purpose", "distributed"))
    for section in ("grain_oil", "not_asset", "fuel", "distributed"):
        _add(terms, data[section]["exclude"], None)
    return terms


def _lexicon_problems(data: dict, where: str) -> list[Problem]:
    """What the shape cannot say: a bare word of an unknown kind, a word both meant and excluded."""
    out = []
    kinds = data["grain_oil"]["kinds"]
    for b in data["grain_oil"]["bare"]:
        if b["kind"] not in kinds:
            out.append(Problem("unknown_kind", f"单字「{b['text']}」的 kind 不存在（可用：{'、'.join(kinds)}）",
                               where=f"{where}.grain_oil.bare"))
    meant = {w for s in ("grain_oil", "fixed_asset") for k in data[s]["kinds"].values() for w in k["words"]}
    for section in ("grain_oil", "not_asset", "fuel", "distributed"):
        both = sorted(meant & set(data[section]["exclude"]))
        if both:
            out.append(Problem("excluded_and_meant", f"这些词既是品类词又被排除：{'、'.join(both)}",
                               where=f"{where}.{section}.exclude"))
    return out


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The lexicon at ``path`` (default: the shipped file), validated; ``DefinitionError`` lists every problem."""
    if path is None:
        return _shipped_lexicon()
    return _lexicon(Path(path))


@functools.cache
def _shipped_lexicon() -> Lexicon:
    return _lexicon(LEXICON_FILE)


def _lexicon(path: Path) -> Lexicon:
    title = "经费核查词典有误"
    data = _read(path, LEXICON_SHAPE, title)
    problems = _lexicon_problems(data, path.name)
    if problems:
        raise DefinitionError(problems, title)
    return Lexicon(data, Tokenizer(lexicon_terms(data)))


# -- the gazetteer ------------------------------------------------------------------------------------------

SUFFIXES = ("自治旗", "街道", "苏木", "彝族乡", "傈僳族乡", "苗族彝族乡", "区", "县", "旗", "市", "镇", "乡")


def stem(name: str) -> str:
    """A place name without its level ("灵泉镇" → "灵泉"), or the name itself when too little would remain."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class District:
    name: str
    city: str
    aliases: tuple[str, ...]
    local: tuple[str, ...]       # the district, its aliases, towns (and their stems), places
    elsewhere: tuple[str, ...]   # sibling districts (and stems), named places elsewhere, common names
    provenance: str


@dataclass(frozen=True)
class Gazetteer:
    districts: dict[str, District]
    common: tuple[str, ...]

    def find(self, district: object) -> District | None:
        """The district named ``district`` (its name, an alias or its stem), or None."""
        key = norm(district) if isinstance(district, str) else ""
        return next((d for d in self.districts.values() if key and key in {norm(n) for n in (
            d.name, stem(d.name), *d.aliases)}), None)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """The gazetteer at ``path`` (default: the shipped file), validated."""
    if path is None:
        return _shipped_gazetteer()
    return _gazetteer(Path(path))


@functools.cache
def _shipped_gazetteer() -> Gazetteer:
    return _gazetteer(GAZETTEER_FILE)


def _gazetteer(path: Path) -> Gazetteer:
    title = "本地地名录有误"
    data = _read(path, GAZETTEER_SHAPE, title)
    cities = data["cities"]
    problems = [Problem("unknown_city", f"区县 {n} 的 city「{d['city']}」不在 cities 中", where=f"{path.name}.districts")
                for n, d in data["districts"].items() if d["city"] not in cities]
    if problems:
        raise DefinitionError(problems, title)
    common = tuple(map(str, data["common_elsewhere"]["names"]))
    out = {}
    for name, d in data["districts"].items():
        aliases = tuple(map(str, d.get("aliases") or ()))
        towns = [str(t) for t in d["towns"]]
        local = [name, stem(name), *aliases, *towns, *(stem(t) for t in towns), *map(str, d.get("places") or ())]
        city = d["city"]
        if d.get("city_is_local"):
            local += [city, stem(city)]
        siblings = [s for s in cities[city]["siblings"] if s != name]
        elsewhere = [*siblings, *(stem(s) for s in siblings), *map(str, d.get("elsewhere") or ()),
                     *(c for c in common if not (d.get("city_is_local") and city.startswith(c)))]
        elsewhere = [e for e in dict.fromkeys(elsewhere) if e not in set(local)]
        out[name] = District(name, city, aliases, tuple(dict.fromkeys(local)), tuple(elsewhere), str(d["provenance"]))
    return Gazetteer(out, common)
