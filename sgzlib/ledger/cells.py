"""Turning one cell of a ledger into a clean value of its column's kind.

Each parser takes the raw cell value (as openpyxl gives it: ``str``, ``int``,
``float``, ``bool``, ``datetime`` or ``None``) and, for codes, the cell's
number format; it returns the clean value or raises ``CellError`` with the
Chinese reason.

Codes typed as numbers: a numeric cell in a code column is read as the text
of its integer (``1.0`` → ``"1"``). Leading zeros that Excel only *shows*
through a custom number format made of zeros (``000`` shows 7 as ``007``, and
``"YL"000`` as ``YL007``) are restored from that format; zeros lost because
the cell was plain General cannot be known and are not guessed. Numbers of
16 digits or more (ID numbers typed as numbers) have lost their last digits
inside Excel and are refused. The template formats code columns as text, so
``001`` stays ``001``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..dates import parse_date
from ..vocab import LIST_SEPARATOR, VOCABS, fold, parse_bool


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message is the Chinese reason."""


BLANKS = frozenset({"", "/", "-", "--", "—", "——", "－", "~"})
DATE_BLANKS = BLANKS | {"无", "暂无"}
_ZERO_FORMAT = re.compile(r'^(?:"([^"]*)")?(0+)$')
_TIME_SUFFIX = re.compile(r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*$")
_INT_RE = re.compile(r"^([+-]?\d+)(?:\.0+)?(?:人次|人|次|分钟|个|名|节|户|天)?$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_LIST_SPLIT = re.compile(r"[、,;，；\s]+")
MAX_EXACT = 10**15


def is_blank(value: object, kind: str = "text") -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return fold(value) in (DATE_BLANKS if kind == "date" else BLANKS)
    return False


def shown(value: object) -> str:
    """A cell value as the person sees it, for error messages."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_EXACT:
        return str(int(value))
    return str(value)


def number_text(value: float | int, number_format: str | None = None) -> str:
    """The text a number in a code column stands for (see the module docstring)."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("不是有效的编码")
        if abs(value) >= MAX_EXACT:
            raise CellError("是 16 位以上的数字，Excel 已丢失末尾的数字；请把该列设为文本格式后重新输入")
        if not value.is_integer():
            return repr(value)
        value = int(value)
    elif abs(value) >= MAX_EXACT * 10:
        raise CellError("是 16 位以上的数字，Excel 已丢失末尾的数字；请把该列设为文本格式后重新输入")
    text = str(value)
    m = _ZERO_FORMAT.match(number_format or "")
    if m and value >= 0:
        text = (m[1] or "") + text.zfill(len(m[2]))
    return text


def parse_code(value: object, number_format: str | None = None) -> str:
    if isinstance(value, bool):
        raise CellError("应为编码，却是逻辑值 TRUE/FALSE")
    if isinstance(value, (int, float)):
        return number_text(value, number_format)
    if isinstance(value, (dt.date, dt.datetime)):
        raise CellError("应为编码，却被 Excel 当成了日期；请把该列设为文本格式后重新输入")
    return fold(value)


def parse_text(value: object, number_format: str | None = None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return number_text(value, number_format) if isinstance(value, int) or value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return shown(value)
    return str(value).strip()


def parse_list(value: object, number_format: str | None = None) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value, number_format)
    items = [fold(v) for v in _LIST_SPLIT.split(fold_keep_spaces(value))]
    items = list(dict.fromkeys(i for i in items if i))
    return LIST_SEPARATOR.join(items) if items else None


def fold_keep_spaces(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def enum_parser(vocab_name: str):
    vocab = VOCABS[vocab_name]
    allowed = "、".join(vocab.values)

    def parse_enum(value: object, number_format: str | None = None) -> str:
        found = vocab.normalize(value)
        if found is None:
            raise CellError(f"不是允许的{vocab.label}，可选：{allowed}")
        return found

    return parse_enum


def parse_date_cell(value: object, number_format: str | None = None) -> dt.date:
    if isinstance(value, (bool, dt.time, dt.timedelta)):
        raise CellError(_DATE_HELP)
    if isinstance(value, (int, float)):
        found = _number_date(value)
    else:
        if isinstance(value, str):
            value = _TIME_SUFFIX.sub("", value.strip()).replace("号", "日")
        found = parse_date(value)
    if found is None:
        raise CellError(_DATE_HELP)
    if not 1900 <= found.year <= 2100:
        raise CellError(f"年份 {found.year} 不合理")
    return found


_DATE_HELP = "不是有效日期（可写 2026-03-05、2026/3/5、2026.3.5 或 2026年3月5日）"


def _number_date(value: float) -> dt.date | None:
    if value != value:
        return None
    if float(value).is_integer() and 19000101 <= value <= 21001231:
        return parse_date(str(int(value)))
    if 1 <= value <= 73051:  # an Excel serial up to 2100-01-01 (earlier than parse_date's 1990, for birth dates)
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    return None


def parse_int(value: object, number_format: str | None = None, factor: float = 1) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数，却是逻辑值 TRUE/FALSE")
    if isinstance(value, (int, float)):
        number = value * factor
    else:
        text = fold(value).replace(",", "")
        m = _INT_RE.match(text)
        if m and factor == 1:
            return int(m[1])
        if not _NUMBER_RE.match(text):
            raise CellError("不是整数")
        number = float(text) * factor
    if isinstance(number, float):
        if number != number or not number.is_integer():
            raise CellError("应为整数")
        number = int(number)
    return number


def parse_money(value: object, number_format: str | None = None, factor: float = 1) -> float:
    if isinstance(value, bool):
        raise CellError("应为金额数字，却是逻辑值 TRUE/FALSE")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = fold(value).replace(",", "").lstrip("¥").removesuffix("元")
        scale = 1
        if text.endswith("万"):
            text, scale = text[:-1], 10000
        if not _NUMBER_RE.match(text):
            raise CellError("不是金额数字")
        number = float(text) * scale
    if number != number or abs(number) >= 1e12:
        raise CellError("不是合理的金额")
    return round(number * factor, 2)


def parse_bool_cell(value: object, number_format: str | None = None) -> bool:
    if isinstance(value, float) and value in (0.0, 1.0):
        value = int(value)
    found = parse_bool(value)
    if found is None:
        raise CellError("应填 是 或 否（也接受 Y/N、√/×、有/无、TRUE/FALSE）")
    return found


def parse_number(value: object, number_format: str | None = None) -> float:
    if isinstance(value, bool):
        raise CellError("应为数字，却是逻辑值 TRUE/FALSE")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = fold(value).replace(",", "").rstrip("°")
        if not _NUMBER_RE.match(text):
            raise CellError("不是数字（经纬度写十进制度数，如 117.7536）")
        number = float(text)
    if number != number or abs(number) >= 1e9:
        raise CellError("不是合理的数字")
    return round(number, 6)


PARSERS = {"code": parse_code, "text": parse_text, "list": parse_list, "date": parse_date_cell,
           "int": parse_int, "money": parse_money, "bool": parse_bool_cell,
           "number": parse_number}


def parser_for(column) -> callable:
    """The parser of a declared column."""
    if column.kind == "enum":
        return enum_parser(column.vocab)
    return PARSERS[column.kind]
