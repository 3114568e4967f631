"""The rules of import hardening as functions: ID numbers, invisible characters, number ranges and their docs.

Whole workbooks of every kind are in ``tests/reliability/hostile.py``; here the rules themselves, with
values whose answer is known from outside the code (the examples printed in GB 11643-1999).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sgzlib.domain import idnumbers, schema
from sgzlib.ledger import invisible
from sgzlib.ledger.cells import CellError

LEDGER_DOC = (Path(__file__).resolve().parent.parent / "docs" / "ledger.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])  # the standard's own examples
def test_the_standards_examples_have_their_check_characters(number):
    assert idnumbers.check_character(number[:17]) == number[17]


def test_a_valid_number_passes_and_one_born_before_1900_does_not():
    assert idnumbers.problem("11010519491231002X") is None
    assert "早于 1900 年" in idnumbers.problem("440524188001010014")  # valid in 1999, not for a living person now


@pytest.mark.parametrize("number, says", [
    ("110105194912310021", "应为 X"),  # the first example with its last character changed
    ("110105194902300025", "1949-02-30 不是真实存在的日期"),
    ("11010519491231002", "有 17 位"),
    ("110105491231002", "15 位"),
    ("1101051949123100X2", "X 只能是最后一位"),
    ("110105*******1002X", "脱敏"),
])
def test_impossible_numbers_say_why(number, says):
    assert says in idnumbers.problem(number)


def test_lower_case_x_is_the_check_character():
    assert idnumbers.normalized("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("text, prose, clean, removed", [
    ("\u200bB1", False, "B1", ("\u200b",)),
    ("\ufeffS001\u2060", False, "S001", ("\ufeff", "\u2060")),
    ("张\x07三", False, "张三", ("\x07",)),
    ("甲社区\n乙村", False, "甲社区\n乙村", ()),  # line breaks stay, in every column
    ("全家👨\u200d👩合影\x1b", True, "全家👨\u200d👩合影", ("\x1b",)),  # prose keeps the joiner, not the escape
])
def test_invisible_characters_removed(text, prose, clean, removed):
    out = invisible.scrub(text, prose)
    assert (out.text, out.removed) == (clean, removed)


@pytest.mark.parametrize("text, says", [
    ("\u202eW1", "编码前有不可见字符 U+202E（从右到左强制）"),
    ("S1\u200e", "编码后有不可见字符 U+200E（从左到右标记）"),
    ("YL\u2066C01", "编码中（第 2 个字符之后）有不可见字符 U+2066（从左到右隔离）"),
])
def test_direction_controls_refused_where_they_are(text, says):
    with pytest.raises(CellError, match=re.escape(says)):
        invisible.scrub(text, False, "编码")


def test_every_number_column_has_its_range_in_the_docs():
    """Each range of the schema is in the table of docs/ledger.md (a number column without its row there fails)."""
    for t in schema.TABLES:
        for c in t.columns:
            if c.kind not in schema.NUMERIC_KINDS:
                continue
            low, high = schema.bounds(c)
            rows = [line for line in LEDGER_DOC.splitlines() if line.startswith("| ") and f"{t.sheet}「{c.header}」" in line]
            assert rows, (t.sheet, c.header)
            assert any(schema._num(high) in r for r in rows), (t.sheet, c.header, schema._num(high))
            if c.minimum is not None:
                assert any(schema._num(c.minimum) in r for r in rows), (t.sheet, c.header, c.minimum)
