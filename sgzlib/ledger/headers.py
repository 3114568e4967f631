"""Recognising sheets and header rows as people actually type them.

Header variants (stray spaces, line breaks, full-width brackets, a ``*``
marking a required column, ``编号`` for ``编码``, a leading ``是否``, a
trailing unit such as ``（元）`` or ``/人``) all reduce to the same key as the
declared header of ``schema``. Sheet titles are matched by name (``服务记录``,
``2026年服务记录台账``) and, failing that, by the headers they carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..domain import schema
from ..domain.vocab import fold
from .invisible import without_any

# Units a header may carry, and how values in another unit convert to the declared one.
UNITS = ("万元", "元", "人次", "人", "次", "分钟", "小时", "个", "名", "天", "节", "户")
CONVERSIONS = {("元", "万元"): 10000, ("分钟", "小时"): 60}
# Other names people give the sheets, beyond those found by containment.
SHEET_ALIASES = {"站点": "社工站", "站点信息": "社工站", "人员": "驻站人员", "工作人员": "驻站人员",
                 "社工": "驻站人员", "项目信息": "项目", "督导": "督导记录", "慈善": "慈善资金",
                 "测评": "前后测", "量表测评": "前后测"}
IGNORED_SHEETS = ("说明", "填表说明", "错误清单")
HEADER_SCAN_ROWS = 30

_UNIT_RE = re.compile(r"^(.*?)(?:\((?:单位[:：]?)?([^()]*)\)|/(" + "|".join(UNITS) + r"))$")


@dataclass(frozen=True)
class HeaderKey:
    """A header reduced to what identifies it, and the unit it carried."""

    key: str
    unit: str | None


def header_key(text: object) -> HeaderKey:
    """The comparable key of a header cell and the unit written after it, if any."""
    t = fold(without_any(str(text))).replace("＊", "*").strip("*※:：")
    t = t.replace("编号", "编码")
    unit = None
    m = _UNIT_RE.match(t)
    if m and m[1]:
        t, unit = m[1], (m[2] if m[2] is not None else m[3])
    if t.startswith("是否") and len(t) > 2:
        t = t[2:]
    return HeaderKey(t.strip("*:：").lower(), unit or None)


def declared_keys(column: schema.Column) -> list[str]:
    """The keys a declared header answers to (``来源/合作慈善组织`` also to each half)."""
    key = header_key(column.header).key
    parts = [p for p in key.split("/") if p] if "/" in key else []
    return [key, *parts]


def header_index(table: schema.Table) -> dict[str, schema.Column]:
    """Key → declared column, for one table."""
    out: dict[str, schema.Column] = {}
    for c in table.columns:
        for k in declared_keys(c):
            out.setdefault(k, c)
    return out


_INDEX = {t.name: header_index(t) for t in schema.TABLES}


def match_header(table: schema.Table, text: object) -> tuple[schema.Column | None, str | None]:
    """The declared column a header cell names (or ``None``) and the unit it carried."""
    if text is None:
        return None, None
    hk = header_key(text)
    return _INDEX[table.name].get(hk.key), hk.unit


def unit_factor(column: schema.Column, unit: str | None) -> float | None:
    """Factor turning values in ``unit`` into the declared unit; ``None`` if they cannot be converted."""
    declared = header_key(column.header).unit
    if unit is None or declared is None or unit == declared:
        return 1
    if unit not in UNITS and len(unit) > 4:
        return 1  # a note in brackets, not a unit
    return CONVERSIONS.get((declared, unit))


def score_row(table: schema.Table, row: list) -> int:
    """How many distinct declared columns a row of cells names."""
    found = {match_header(table, v)[0] for v in row if isinstance(v, str)}
    found.discard(None)
    return len(found)


def find_header_row(table: schema.Table, rows: list[list]) -> int | None:
    """Index (0-based) among ``rows`` of the header row: the first row naming the most columns."""
    need = min(2, len(table.columns))
    best, best_score = None, need - 1
    for i, row in enumerate(rows):
        score = score_row(table, row)
        if score > best_score:
            best, best_score = i, score
    return best


def _sheet_key(title: str) -> str:
    t = re.sub(r"[(（][^)）]*[)）]", "", fold(without_any(title)))
    return re.sub(r"^\d{4}年(度)?", "", t)


def table_for_title(title: str) -> schema.Table | None:
    """The table a sheet title names: exactly, by alias, or by the longest (then first) sheet name it contains."""
    key = _sheet_key(title)
    if key in schema.TABLE_BY_SHEET:
        return schema.TABLE_BY_SHEET[key]
    for suffix in ("台账", "登记表", "明细表", "一览表", "名册", "明细", "表"):
        stripped = key.removesuffix(suffix)
        if stripped in schema.TABLE_BY_SHEET:
            return schema.TABLE_BY_SHEET[stripped]
        if stripped in SHEET_ALIASES:
            return schema.TABLE_BY_SHEET[SHEET_ALIASES[stripped]]
    contained = sorted((-len(s), key.find(s), s) for s in schema.TABLE_BY_SHEET if s in key)
    return schema.TABLE_BY_SHEET[contained[0][2]] if contained else None


def table_for_headers(rows: list[list]) -> schema.Table | None:
    """The one table whose required headers all appear in one of ``rows`` and that matches best."""
    scored = []
    for t in schema.TABLES:
        for row in rows:
            found = {match_header(t, v)[0] for v in row if isinstance(v, str)} - {None}
            if all(c in found for c in t.columns if c.required) and len(found) >= 3:
                scored.append((len(found) / len(t.columns), t))
                break
    if not scored:
        return None
    scored.sort(key=lambda s: -s[0])
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]


def ignored_title(title: str) -> bool:
    return fold(title) in IGNORED_SHEETS


# Traditional (and a few variant) forms of the characters of the sheet names and headers, to recognise a
# ledger sheet typed in traditional characters: such a sheet is refused, never silently ignored.
_TRADITIONAL = str.maketrans({p[0]: p[1] for p in ["項项", "駐驻", "員员", "務务", "對对", "評评", "記记", "錄录", "個个", "書书", "組组", "區区", "織织", "願愿", "點点", "設设", "資资", "後后", "測测", "導导", "類类", "號号", "碼码", "級级", "縣县", "機机", "構构", "稱称", "單单", "價价", "簽签", "數数", "時时", "長长", "綫线", "線线", "態态", "況况", "題题", "動动", "劃划", "編编", "報报", "紀纪", "電电", "話话", "證证", "齡龄", "歸归", "檔档", "開开", "結结", "轉转", "贊赞", "經经", "費费", "贈赠", "業业", "醫医", "療疗", "殘残", "兒儿", "聯联", "網网", "傳传", "圖图", "檢检", "查查", "會会", "領领", "參参", "與与", "內内", "國国", "體体", "歷历", "貧贫", "來来", "礙碍", "齊齐", "門门", "負负", "責责", "間间", "條条", "據据", "練练", "習习", "戶户", "鄉乡", "鎮镇", "實实", "際际", "應应", "達达", "準准", "產产", "權权", "認认", "註注", "冊册", "誌志", "險险", "幫帮", "關关", "愛爱", "護护", "養养", "復复", "訪访", "問问", "師师", "築筑", "襪袜", "齡龄", "陽阳", "樂乐", "齡龄", "輔辅", "濟济", "救救", "災灾"]})


def simplified(text: object) -> str:
    """``text`` with the traditional forms above replaced by simplified ones."""
    return str(text).translate(_TRADITIONAL)


def traditional_title(title: str) -> schema.Table | None:
    """The ledger table a title names once read as simplified characters, when it has traditional ones.

    The rule of sheet names (docs/ledger.md「工作表的名称」): such a title is refused, whether or not the simplified
    characters it also holds would name the same sheet (``社工站點``, ``小组（長青站）``).
    """
    plain = simplified(title)
    return table_for_title(plain) if plain != title else None


def traditional_characters(text: str) -> list[str]:
    """The characters of ``text`` that have a simplified form in the list above, each once."""
    return list(dict.fromkeys(ch for ch in text if simplified(ch) != ch))


def lookalike_table(title: str, rows: list[list]) -> schema.Table | None:
    """The ledger table an unrecognised sheet looks like once its title or headers are read as simplified."""
    plain = simplified(title)
    if plain != title:
        table = table_for_title(plain)
        if table is not None:
            return table
    converted = [[simplified(v) if isinstance(v, str) else v for v in row] for row in rows]
    if converted != rows:
        return table_for_headers(converted)
    return None
