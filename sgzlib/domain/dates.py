"""Dates as users type them: ISO, 2026/3/5, 2026.3.5, 2026年3月5日, Excel serials."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import ConfigError
from .vocab import fold

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serials between 1990-01-01 and 2100-01-01; anything else is not taken as a date.
_SERIAL_RANGE = (32874, 73051)


def parse_date(value: object) -> dt.date | None:
    """The date ``value`` means, or ``None`` if it is not a date in any accepted form."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(value)
    text = fold(value)
    text = re.sub(r"(\d)\s*(?:0:00:00|00:00:00)$", r"\1", text)
    m = _DATE_RE.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if re.fullmatch(r"\d{8}", text):
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_serial(float(text))
    return None


def _from_serial(number: float) -> dt.date | None:
    if number != number or not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def require_date(value: object, what: str = "日期") -> dt.date:
    """Like ``parse_date`` but raises a Chinese ``ConfigError`` (for CLI arguments)."""
    parsed = parse_date(value)
    if parsed is None:
        raise ConfigError(f"{what}「{value}」不是有效日期，请写成 2026-03-05 或 2026年3月5日")
    return parsed


def month_key(dates):
    """Calendar month periods of a datetime Series (vectorised)."""
    return dates.dt.to_period("M")


def quarter_key(dates):
    """Calendar quarter periods of a datetime Series (vectorised)."""
    return dates.dt.to_period("Q")
