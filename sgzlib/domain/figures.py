"""How a figure is rounded and written, the same way in every output.

Reports, boards, ``sgz evaluate`` (table, CSV, xlsx), the score sheet and the analysis API take their
numbers from here, so one figure reads the same everywhere (``docs/counting-rules.md``, 「数字的取整」):

- **Precision by unit.** Counts of whole things (个、人、次、项、份、节、条、名、户、场、天、个月、个季度 …) are
  whole numbers; percentages (%) have one decimal; amounts (元) two.
- **截至评估日应达 is rounded up** to that precision: it is what has to be done by that day. A target of
  12 个 with 83.3 % of the year gone gives 9.99, which is 10 个: with 9 the station is behind, with 10 on
  track. The engine stores the rounded value and judges the status against it.
- **实际 is rounded down**: 99.96 % of the roster reads 99.9 %, never 100 % before it is. Compared with an
  expected value on the same grid, the rounded figures give the same status as the exact ones.
- Other figures (targets, averages) are rounded to the nearest step.
- Written without trailing zeros (83.3, 100, 6000, 1234.5).

Nothing here knows about indicators or reports: plain numbers and units in, numbers and text out.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

# Units of amounts of money (two decimals) and of shares (one decimal); every other unit the catalogues
# and rules use counts whole things.
MONEY_UNITS = frozenset({"元"})
SHARE_UNITS = frozenset({"%"})
WHOLE_UNITS = frozenset({"个", "人", "次", "项", "份", "节", "条", "名", "户", "场", "家", "天", "篇", "个月", "个季度",
                         "人次", "小时"})
EPS = 1e-9  # a value within this of a step is on the step (9.000000001 is 9, not 10)


def step(unit) -> float:
    """The precision of a figure in ``unit``: 1 for whole things, 0.1 for %, 0.01 for 元 (0.1 if unknown)."""
    unit = "" if unit is None or (not isinstance(unit, str) and pd.isna(unit)) else str(unit).strip()
    if unit in MONEY_UNITS:
        return 0.01
    if unit in SHARE_UNITS:
        return 0.1
    if unit in WHOLE_UNITS:
        return 1.0
    return 0.1


def is_whole(unit) -> bool:
    """Whether ``unit`` counts whole things."""
    return step(unit) == 1.0


def _steps(units, n: int) -> np.ndarray:
    if units is None or isinstance(units, str):
        return np.full(n, step(units))
    codes, uniques = pd.factorize(pd.Series(np.asarray(units, dtype=object)), use_na_sentinel=False)
    return np.array([step(u) for u in uniques], dtype=float)[codes]


def _apply(values, units, how) -> np.ndarray | float:
    scalar = np.ndim(values) == 0
    v = np.asarray(values, dtype=float).reshape(-1)
    s = _steps(units, len(v))
    out = how(v / s) * s
    out = np.round(out, 6)  # 0.30000000000000004 → 0.3
    return float(out[0]) if scalar else out


def up(values, units):
    """Round up to the unit's precision (截至评估日应达): 9.99 个 → 10, 83.291 % → 83.3."""
    return _apply(values, units, lambda x: np.ceil(x - EPS))


def down(values, units):
    """Round down to the unit's precision (实际): 99.96 % → 99.9, 2.0 个 → 2."""
    return _apply(values, units, lambda x: np.floor(x + EPS))


def nearest(values, units):
    """Round half up to the unit's precision (targets, averages)."""
    return _apply(values, units, lambda x: np.floor(x + 0.5 + EPS))


def text(value, unit=None, how: str = "nearest") -> str:
    """``value`` written at its unit's precision (``how``: nearest, up or down); "—" for a blank."""
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        return "—"
    rounded = {"nearest": nearest, "up": up, "down": down}[how](float(value), unit)
    if float(rounded).is_integer():
        return f"{int(rounded)}"
    decimals = 2 if step(unit) < 0.1 else 1
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")


def share_text(part, whole) -> str:
    """A part of a whole as a whole percentage, rounded down (0 %, 57 %, never 100 % before it is)."""
    if whole is None or not whole or pd.isna(whole) or part is None or pd.isna(part):
        return "—"
    return f"{int(math.floor(100 * float(part) / float(whole) + EPS))}%"


def percent(share) -> str:
    """A share (0–1) as a percentage with one decimal, rounded down (24.3%, 100% only when it is whole)."""
    return "—" if share is None or pd.isna(share) else text(100 * float(share), "%", "down") + "%"


def result_figures(frame: pd.DataFrame, cells: bool = True) -> pd.DataFrame:
    """``frame`` (indicator results: actual, target, expected and unit) with each figure rounded by the rule:
    实际 down, 目标 to the nearest step, 截至评估日应达 up, each at its row's unit. ``cells``: whole numbers as
    ``int`` (for tables, CSV and xlsx); else float columns (for analysis)."""
    out = frame.copy()
    units = out["unit"].to_numpy(dtype=object) if "unit" in out else None
    for column, how in (("actual", down), ("target", nearest), ("expected", up)):
        if column in out:
            values = out[column].to_numpy(dtype=float)
            rounded = how(values, units if units is not None else [None] * len(values))
            out[column] = _as_cells(rounded) if cells else rounded
    return out


def _as_cells(values: np.ndarray) -> np.ndarray:
    """Rounded figures as table cells: whole ones as ``int`` (a CSV or a table writes 12, not 12.0), blanks None."""
    values = np.asarray(values, dtype=float)
    blank = np.isnan(values)
    whole = ~blank & (values == np.floor(np.where(blank, 0, values)))
    cells = values.astype(object)
    cells[whole] = values[whole].astype(np.int64).astype(object)
    cells[blank] = None
    return cells


def xlsx_format(unit) -> str:
    """The Excel number format of a figure in ``unit`` (already rounded by the rule): whole things ``0``, others
    ``General`` (83.3, 100, 6000: written as ``text`` writes them, without trailing zeros)."""
    return "0" if step(unit) == 1.0 else "General"


def cell(value, unit=None, how: str = "nearest"):
    """A figure for a table cell: rounded by the rule, an ``int`` when it is whole (None stays None)."""
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        return None
    rounded = {"nearest": nearest, "up": up, "down": down}[how](float(value), unit)
    return int(rounded) if float(rounded).is_integer() else float(rounded)


def number_text(value: float) -> str:
    """A number already rounded by the rule, as a table cell writes it: 6000, 83.3, 1234.56 (no thousands
    separator, no trailing zeros; at most two decimals)."""
    value = float(value)
    if value.is_integer():
        return f"{int(value)}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def is_number_column(values: pd.Series) -> bool:
    """True when every non-blank value is a number (such a column is right-aligned; text is left-aligned)."""
    present = values.dropna()
    if present.empty:
        return False
    return bool(present.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))).all())
