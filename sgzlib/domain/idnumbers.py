"""Resident ID numbers (居民身份证号码, GB 11643-1999): what makes one possible.

An ID number has 18 characters: a 6-digit region, the birth date as
``YYYYMMDD``, a 3-digit sequence, and a check character computed from the
first 17 digits (weights ``2^(17-i) mod 11``, sum mod 11 looked up in
``10X98765432``). A number that fails any of these was mistyped. The
15-digit numbers of the first-generation cards (no century, no check
character) stopped being valid in 2013 and are refused with that reason.

Pure functions of the text; the ledger reader turns the reasons into
located problems (``ledger.cells``, ``ledger.reader``).
"""

from __future__ import annotations

import datetime as dt
import re

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
LENGTH = 18
EARLIEST_BIRTH_YEAR = 1900
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_MASK = re.compile(r"[*＊∗●•·×]")


def check_character(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are ``first17``."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def normalized(text: str) -> str:
    """The number as stored: a lower-case ``x`` written as ``X`` (spaces and full-width forms are folded before)."""
    return text[:-1] + "X" if text.endswith("x") else text


def birth_date(number: str) -> dt.date | None:
    """The birth date written in a well-formed 18-character number, or ``None`` when it is not a real date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def problem(number: str, today: dt.date | None = None) -> str | None:
    """Why ``number`` (already ``normalized``) cannot be an ID number, in Chinese; ``None`` when it can."""
    if _MASK.search(number):
        return "是脱敏后的身份证号（部分数字已用星号隐藏），不能导入；请用未脱敏的台账导入"
    if not _SHAPE.match(number):
        return _shape_problem(number)
    born = birth_date(number)
    written = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    if born is None:
        return f"第 7–14 位的出生日期 {written} 不是真实存在的日期；请对照身份证核对号码"
    if born.year < EARLIEST_BIRTH_YEAR or born > (today or dt.date.today()):
        return f"第 7–14 位的出生日期 {written} 不可能（早于 {EARLIEST_BIRTH_YEAR} 年或晚于今天）；请对照身份证核对号码"
    expected = check_character(number[:17])
    if number[17] != expected:
        return (f"最后一位校验码不对：按前 17 位算出应为 {expected}，填写的是 {number[17]}，"
                "说明号码中有数字抄错；请对照身份证核对")
    return None


def _shape_problem(number: str) -> str:
    others = sorted({ch for ch in number if not (ch.isascii() and ch.isdigit())} - {"X"})
    if others:
        shown = "、".join(f"「{ch}」" for ch in others[:5])
        return f"含有数字和末位 X 以外的字符 {shown}；身份证号是 17 位数字加 1 位数字或 X"
    if len(number) == 15 and "X" not in number:
        return "是 15 位的第一代身份证号，已于 2013 年停止使用；请填写 18 位的身份证号"
    if "X" in number[:-1]:
        return "X 只能是最后一位（校验码）；请对照身份证核对号码"
    return f"有 {len(number)} 位，身份证号应为 {LENGTH} 位（17 位数字加 1 位数字或 X）；请对照身份证核对号码"
