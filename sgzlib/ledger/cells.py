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
``001`` stays ``001``. Codes typed as text: ``codes.spelling``. How codes
without their zeros are matched across sheets and with the database is
``codes.reconcile``'s business (the rule is in ``codes``' docstring).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from ..domain import idnumbers, schema
from ..domain.dates import parse_date
from ..domain.personal import ID_NUMBER, columns_of_kind
from ..domain.vocab import LIST_SEPARATOR, VOCABS, fold, parse_bool
from .codes import foreign_character, spelling

ID_COLUMNS = columns_of_kind(ID_NUMBER)  # table → its ID-number columns (``domain.personal``)


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message is the Chinese reason.

    ``code`` is the problem's reason code when it is more particular than ``bad_<kind>``.
    """

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


BLANKS = frozenset({"", "/", "-", "--", "—", "——", "－", "~"})
DATE_BLANKS = BLANKS | {"无", "暂无"}
_ZERO_FORMAT = re.compile(r'^(?:"([^"]*)")?(0+)$')
_TIME_SUFFIX = re.compile(r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*$")
_INT_RE = re.compile(r"^([+-]?\d+)(?:\.0+)?(?:人次|人|次|分钟|个|名|节|户|天)?$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_LIST_SPLIT = re.compile(r"[、,;，；\s]+")
MAX_EXACT = 10**15
MAX_INT_DIGITS = 18  # more digits than any declared range allows: refused without building the number
SHOWN_CHARS = 60


def is_blank(value: object, kind: str = "text") -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return fold(value) in (DATE_BLANKS if kind == "date" else BLANKS)
    return False


def shown(value: object) -> str:
    """A cell value as the person sees it, for error messages (a long text cut, with its length)."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS - 20]}……（共 {len(value):,} 个字符）"
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
    return spelling(value)


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


def parse_code_list(value: object, number_format: str | None = None) -> str | None:
    """A list of codes (服务对象编码, 讨论个案编号): each item read as a code."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value, number_format)
    if isinstance(value, (dt.date, dt.datetime)):
        raise CellError("应为编码，却被 Excel 当成了日期；请把该列设为文本格式后重新输入")
    items = [spelling(v) for v in _LIST_SPLIT.split(fold_keep_spaces(value))]
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
            if len(m[1].lstrip("+-0")) > MAX_INT_DIGITS:
                raise CellError(f"有 {len(m[1].lstrip('+-0'))} 位数字，远超合理范围", "out_of_range")
            return int(m[1])
        if not _NUMBER_RE.match(text):
            raise CellError("不是整数")
        number = float(text) * factor
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
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
    if not math.isfinite(number * factor):
        raise CellError("不是金额数字")
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
    if not math.isfinite(number):
        raise CellError("不是数字")
    return round(number, 6)


PARSERS = {"code": parse_code, "text": parse_text, "list": parse_list, "date": parse_date_cell,
           "int": parse_int, "money": parse_money, "bool": parse_bool_cell,
           "number": parse_number}


def parser_for(column) -> callable:
    """The parser of a declared column's kind."""
    if column.kind == "enum":
        return enum_parser(column.vocab)
    if column.kind == "list" and column.ref:
        return parse_code_list
    return PARSERS[column.kind]


def cell_parser(table: str, column: schema.Column) -> callable:
    """The parser of one column of one table: its kind's parser, then the column's own checks.

    Numbers are checked against the column's range (``schema.range_problem``), ID numbers against
    ``idnumbers``, codes that name rows by ``codes.foreign_character``, and codes and names that become
    file names by ``path_value_error``.
    """
    parse = path_checked(parser_for(column), table, column.name)
    if column.kind in schema.NUMERIC_KINDS:
        return _ranged(parse, column)
    if column.name in ID_COLUMNS.get(table, ()):
        return _id_checked(parse)
    if column.ref or (column.kind == "code" and column.name in schema.TABLE_BY_NAME[table].key):
        return _code_checked(parse)
    return parse


def _code_checked(parse):
    """A code that names a row: no characters of other scripts that look like ASCII ones (``codes`` rule 4)."""
    def checked(value, number_format=None, **extra):
        code = parse(value, number_format, **extra)
        for item in code.split(LIST_SEPARATOR) if isinstance(code, str) else ():
            reason = foreign_character(item)
            if reason:
                raise CellError(("编码「" + item + "」" if LIST_SEPARATOR in code else "编码") + reason,
                                "lookalike_character")
        return code

    return checked


def _ranged(parse, column: schema.Column):
    def checked(value, number_format=None, **extra):
        number = parse(value, number_format, **extra)
        found = schema.range_problem(column, number)
        if found:
            raise CellError(found[1], found[0])
        return number

    return checked


def _id_checked(parse):
    def checked(value, number_format=None, **extra):
        number = idnumbers.normalized(parse(value, number_format, **extra))
        reason = idnumbers.problem(number)
        if reason:
            raise CellError(reason, "bad_id_number")
        return number

    return checked


# Values that become file or folder names: reports are named after station and project codes
# (``out/station/YL01_2025-10-31.html``) and districts (``out/district/云岭区_….html``).
PATH_CODES = frozenset({("stations", "code"), ("projects", "code")})
PATH_NAMES = frozenset({("stations", "name"), ("stations", "district")})
PATH_CODE_PUNCTUATION = "-_."
MAX_PATH_CODE = 64
_SEPARATORS = "/\\"


def path_value_error(table: str, column: str, value: str) -> str | None:
    """Why ``value`` cannot be used in ``table.column`` because it would become part of a file name, or None.

    Codes (站点编码, 项目编码): letters (Latin or Chinese), digits and ``- _ .``, not starting with a dot,
    at most 64 characters. Names (站点名称, 所属区县): no path separators or control characters, not only dots.
    """
    if (table, column) in PATH_CODES:
        bad = sorted({ch for ch in value if not (ch.isalnum() or ch in PATH_CODE_PUNCTUATION)})
        if bad:
            shown_bad = "、".join("空格" if ch.isspace() else repr(ch)[1:-1] if not ch.isprintable() else ch
                                  for ch in bad)
            return (f"含有不能用于编码的字符（{shown_bad}）：编码只能由字母、汉字、数字和 - _ . 组成，"
                    "因为报告文件以编码命名")
        if value.startswith("."):
            return "编码不能以 . 开头（报告文件以编码命名）"
        if len(value) > MAX_PATH_CODE:
            return f"编码太长（{len(value)} 个字符），最多 {MAX_PATH_CODE} 个字符"
    elif (table, column) in PATH_NAMES:
        if any(ch in _SEPARATORS for ch in value):
            return "不能含有 / 或 \\（报告文件和文件夹以它命名）"
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
            return "含有控制字符或不可见字符，请删除后重新输入"
        if not value.strip("."):
            return "不能只由 . 组成（报告文件以它命名）"
    return None


def path_checked(parse, table: str, column: str):
    """``parse`` followed by ``path_value_error`` for the columns whose values become file names."""
    if (table, column) not in PATH_CODES | PATH_NAMES:
        return parse

    def checked(value, number_format=None, **extra):
        result = parse(value, number_format, **extra)
        reason = path_value_error(table, column, result) if isinstance(result, str) else None
        if reason:
            raise CellError(reason)
        return result

    return checked
