"""Codes (编码、编号) as Excel writes them: one rule for every code column and every reference to a code.

The rule (docs/ledger.md「编码的写法」):

1. A code is text. One cell is read by ``cells.parse_code`` (lists of codes, 服务对象编码 and 讨论个案编号,
   item by item): full-width characters become half-width and all white space goes (``Ｓ１`` → ``S1``,
   ``００１`` → ``001``); a number cell is the text of its integer (``1`` and ``1.0`` → ``1``), with the zeros a
   zeros-only number format shows (format ``000`` shows 7 as ``007``); a text of digits ending in ``.0`` is
   those digits (``12.0`` → ``12``, what CSV and WPS conversions leave) — see ``spelling``.
2. Codes match as text, with one exception: codes made of digits only. Excel drops leading zeros and never
   adds any, so ``1`` may be ``001`` typed as a number. For each code (the key column of the table that
   defines it, such as 个案.个案编号, and every column that refers to it, see ``DOMAINS``) the spellings that
   differ only by leading zeros are gathered from the workbook (every sheet) and from the database:

   - ``1`` and exactly one spelling with zeros (``001``) are one code, written ``001``; but a code the
     database already holds keeps the database's spelling (database ``1``, workbook ``001`` → ``1``), so a
     re-import never makes a second row of the same thing;
   - when ``1`` could be two codes (``01`` and ``001`` both occur; or ``1`` and ``001`` are both rows of the
     defining sheet, or both in the database), every ``1`` of the workbook is an error naming them, and that
     cell is left out like any unreadable cell;
   - spellings with zeros are always exact: ``01`` is never ``001``; codes with letters (``YL-C001``) are
     always exact.
3. Every sheet and column whose codes were matched this way gets one line in the import summary
   (``个案服务「个案编号」：55 行写成数字，已按「个案」表中的编码（如 001）匹配``).
4. A code that names a row (the key of its table, or a reference to one) holds only ASCII characters and
   Chinese characters (``foreign_character``): a Cyrillic ``В`` or an en dash ``–`` looks like ``B`` or ``-``
   and would make a second row that looks exactly like the first, so it is refused with what it looks like.
   Invisible characters are ``invisible``'s business, before this.

``reconcile`` applies steps 2 and 3 once, called by the importer after the workbook is read and the
database loaded, before anything is checked. The exporter writes every code as a text cell, so a round trip
keeps the zeros.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..domain import schema
from ..domain.dataset import Dataset
from ..domain.vocab import LIST_SEPARATOR, fold
from ..errors import Problem
from .ledger import Ledger

_POINT_ZERO = re.compile(r"^([0-9]+)\.0+$")
DATABASE = "数据库"


def spelling(value: object) -> str:
    """The text of a code typed as text (rule 1): half-width, no white space, no trailing ``.0`` after digits."""
    text = fold(value)
    m = _POINT_ZERO.match(text)
    return m[1] if m else text


# Letters and marks of other scripts that look like ASCII ones (rule 4); the message names what they look like.
LOOKALIKES = dict(zip("АВЕКМНОРСТХаеорсухІіЈјЅѕΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικνρτυχ‐‑‒–—−",
                      "ABEKMHOPCTXaeopcyxIiJjSsABEZHIKMNOPTYXoikvptux------"))
SCRIPTS = {"CYRILLIC": "西里尔字母", "GREEK": "希腊字母", "ARMENIAN": "亚美尼亚字母", "HEBREW": "希伯来字母",
           "ARABIC": "阿拉伯字母", "KATAKANA": "日文片假名", "HIRAGANA": "日文平假名", "HANGUL": "朝鲜文字母",
           "MATHEMATICAL": "数学符号"}


def foreign_character(code: str) -> str | None:
    """Why a code that names a row cannot hold one of its characters (rule 4), or ``None``."""
    for ch in code:
        if ch.isascii() or unicodedata.name(ch, "").startswith(("CJK", "IDEOGRAPHIC")):
            continue
        name = unicodedata.name(ch, "")
        what = SCRIPTS.get(name.split(" ")[0], "符号" if not ch.isalnum() else "其他文字")
        looks = f"，看起来像「{LOOKALIKES[ch]}」，但不是同一个字符" if ch in LOOKALIKES else ""
        return (f"中的「{ch}」是{what}（U+{ord(ch):04X}）{looks}：编码只能由英文字母、数字、汉字和英文符号组成，"
                "否则看起来相同的编码会被当成两条记录；请删除这个字符，用英文输入法重新输入")
    return None


def is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def unpadded(text: str) -> str:
    """A code of digits without its leading zeros (``007`` → ``7``, ``000`` → ``0``)."""
    return text.lstrip("0") or "0"


@dataclass(frozen=True)
class Domain:
    """One kind of code: the column that defines it and every column (code or list) that refers to it."""

    table: str
    column: str
    members: tuple[tuple[str, str], ...]  # (table, column), the defining column first


def _domains() -> tuple[Domain, ...]:
    out = []
    for t in schema.TABLES:
        if len(t.key) != 1 or t.column(t.key[0]).kind != "code":
            continue
        target = f"{t.name}.{t.key[0]}"
        refs = tuple((r.name, c.name) for r in schema.TABLES for c in r.columns if c.ref == target)
        out.append(Domain(t.name, t.key[0], ((t.name, t.key[0]), *refs)))
    return tuple(out)


DOMAINS = _domains()


@dataclass
class _Decision:
    """For one domain: the spellings to rewrite and the spellings that could be several codes."""

    change: dict[str, str]
    ambiguous: dict[str, list[str]]
    source: dict[str, str]  # canonical spelling → where it was found (a sheet title, or DATABASE)


def reconcile(ledger: Ledger, current: Dataset) -> None:
    """Match the codes of every sheet of ``ledger`` with each other and with ``current`` (rules 2 and 3).

    Rewrites ``ledger.frames`` in place, adds one note per sheet and column rewritten to ``ledger.notes``
    and one problem per ambiguous cell to ``ledger.problems``.
    """
    touched: set[str] = set()
    notes: dict[tuple[str, str, bool], list] = {}
    for d in DOMAINS:
        present = [(tbl, col) for tbl, col in d.members if tbl in ledger.frames]
        if not present:
            continue
        decision = _decide(d, ledger, current, present)
        if not decision.change and not decision.ambiguous:
            continue
        for tbl, col in present:
            if _apply(ledger, d, tbl, col, decision, notes):
                touched.add(tbl)
    for (title, header, had_zeros), (rows, sources, example) in notes.items():
        sheets = "、".join(f"「{s}」" for s in sources if s != DATABASE)
        where = "和".join(([sheets + "表"] if sheets else []) + ([DATABASE] if DATABASE in sources else []))
        how = "写有前导零" if had_zeros else "写成数字"
        ledger.notes.append(f"{title}「{header}」：{rows} 行{how}，已按{where}中的编码（如 {example}）匹配")
    for tbl in schema.TABLE_BY_NAME:
        if tbl in touched:
            ledger.resettle(tbl)


def _decide(d: Domain, ledger: Ledger, current: Dataset, present: list[tuple[str, str]]) -> _Decision:
    origin: dict[str, str] = {}  # workbook spelling of digits → title of the first sheet where it occurs
    for tbl, col in present:
        places = ledger.places[tbl]
        for value, i in _digit_codes(ledger.frames[tbl], tbl, col).items():
            origin.setdefault(value, places[i][0])
    decision = _Decision({}, {}, {})
    if not origin:
        return decision
    wb_keys = set(ledger.frames[d.table][d.column].dropna()) if d.table in ledger.frames else set()
    wanted = {unpadded(s) for s in origin}
    db_keys = {k for k in _digit_codes(current[d.table], d.table, d.column) if unpadded(k) in wanted}
    groups: dict[str, set[str]] = defaultdict(set)
    for s in (*origin, *db_keys):
        groups[unpadded(s)].add(s)
    for u, spellings in groups.items():
        padded = sorted(spellings - {u})
        if u not in spellings or not padded:
            continue  # no spelling without zeros, or no spelling with zeros: every spelling is exact
        if len(padded) > 1:
            if u in origin:
                decision.ambiguous[u] = padded + ([u] if u in wb_keys or u in db_keys else [])
            continue
        p = padded[0]
        if (u in wb_keys and p in wb_keys) or (u in db_keys and p in db_keys):
            if u in origin:  # two rows of the defining sheet, or of the database
                decision.ambiguous[u] = [p, u]
        elif u in db_keys:  # the database's spelling stays
            if p in origin:
                decision.change[p] = u
                decision.source[u] = DATABASE
        elif u in origin:
            decision.change[u] = p
            decision.source[p] = origin[p] if p in wb_keys or p not in db_keys else DATABASE
    return decision


def _digit_codes(frame: pd.DataFrame, tbl: str, col: str) -> dict[str, int]:
    """The codes of digits only of a code or list column, each with the first row it is on."""
    values = frame[col]
    rows = np.flatnonzero((values.notna() & ~values.duplicated()).to_numpy(dtype=bool))
    split = schema.TABLE_BY_NAME[tbl].column(col).kind == "list"
    out: dict[str, int] = {}
    for i, value in zip(rows.tolist(), values.iloc[rows].tolist()):
        for code in value.split(LIST_SEPARATOR) if split else (value,):
            if code not in out and is_digits(code):
                out[code] = i
    return out


def _apply(ledger: Ledger, d: Domain, tbl: str, col: str, decision: _Decision, notes: dict) -> bool:
    """Rewrite one column of one table; True when anything changed."""
    t = schema.TABLE_BY_NAME[tbl]
    column = t.column(col)
    frame, places = ledger.frames[tbl], ledger.places[tbl]
    targets = decision.change.keys() | decision.ambiguous.keys()
    new_values = frame[col].astype(object).where(frame[col].notna(), None).tolist()
    split = column.kind == "list"
    hits = [i for i, v in enumerate(new_values)
            if v is not None and (any(c in targets for c in v.split(LIST_SEPARATOR)) if split else v in targets)]
    if not hits:
        return False
    drop = []
    for i in hits:
        codes = new_values[i].split(LIST_SEPARATOR) if split else [new_values[i]]
        kept, rewritten = [], None
        for code in codes:
            if code in decision.ambiguous:
                ledger.problems.append(_ambiguous(d, column, places[i], code, decision.ambiguous[code]))
                continue
            if code in decision.change:
                rewritten = rewritten or (code, decision.change[code])
                code = decision.change[code]
            kept.append(code)
        if rewritten is not None:
            before, after = rewritten
            entry = notes.setdefault((places[i][0], column.header, before != unpadded(before)), [0, [], after])
            entry[0] += 1
            if decision.source[after] not in entry[1]:
                entry[1].append(decision.source[after])
        if not kept and col in t.key:
            drop.append(i)  # an ambiguous key part: the row is left out, like a row whose key cannot be read
        new_values[i] = LIST_SEPARATOR.join(dict.fromkeys(kept)) if kept else None
    frame = frame.copy()
    frame[col] = pd.Series(new_values, index=frame.index, dtype=frame[col].dtype)
    if drop:
        keep = np.ones(len(frame), dtype=bool)
        keep[drop] = False
        frame = frame[keep].reset_index(drop=True)
        places = [p for p, ok in zip(places, keep) if ok]
    ledger.frames[tbl], ledger.places[tbl] = frame, places
    return True


def _ambiguous(d: Domain, column: schema.Column, place: tuple[str, int], value: str, candidates: list[str]) -> Problem:
    named = "、".join(f"「{c}」" for c in candidates)
    header = schema.TABLE_BY_NAME[d.table].column(d.column).header
    return Problem("ambiguous_code",
                   f"{column.header}「{value}」无法确定是哪一个编码：本工作簿或数据库中的{header}同时有{named}，"
                   f"Excel 去掉前导零后都会写成「{value}」；请把该列设为文本格式，照原样填写完整的编码",
                   where=place[0], row=place[1], column=column.header, value=value)
