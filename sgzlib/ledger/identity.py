"""ID numbers of the 服务对象 sheet against their row's 出生日期.

Each ID number is checked on its own at its cell (``cells.cell_parser`` with
``idnumbers.problem``: length, check character, a real birth date). Here its
birth date is compared with the row's 出生日期: a disagreement is refused,
because one of the two was mistyped and nothing tells which; age-based
counts (困难老人, 困境儿童) read the 出生日期, and the ID number is the legal
record (docs/ledger.md「身份证号」).
"""

from __future__ import annotations

import datetime as dt

from ..domain import idnumbers
from ..domain.personal import ID_NUMBER, columns_of_kind
from ..errors import Problem
from .ledger import SheetRead

BIRTH_COLUMN = "birth_date"

ID_COLUMNS = columns_of_kind(ID_NUMBER)  # table → its ID-number columns (``domain.personal``)


def check_birth_dates(sheet: SheetRead) -> None:
    """Add a problem for every row whose ID number and 出生日期 name different days."""
    names = ID_COLUMNS.get(sheet.table.name, ())
    if BIRTH_COLUMN not in sheet.values:
        return
    births = sheet.values[BIRTH_COLUMN]
    header = sheet.table.column(BIRTH_COLUMN).header
    for name in names:
        for r, number, birth in zip(sheet.rows, sheet.values.get(name, ()), births):
            if number is None or birth is None:
                continue
            written = idnumbers.birth_date(number)
            if written is not None and written != _day(birth):
                sheet.problems.append(Problem(
                    "id_birth_mismatch",
                    f"与{sheet.table.column(name).header}中的出生日期 {written:%Y-%m-%d}（第 7–14 位）不一致："
                    "其中一处填错了；请对照身份证改正（农历生日请换成身份证上的日期）",
                    where=sheet.title, row=r, column=header, value=f"{_day(birth):%Y-%m-%d}"))


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
