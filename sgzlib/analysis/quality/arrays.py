"""Array helpers of the quality checks: a province has two million service records, so text and dates are
turned into numbers once (each distinct station code looked up once, months as integers) and back into
text only for the few rows a finding names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...indicators.periods import label


def townships_of(stations: pd.Series, towns: pd.DataFrame) -> np.ndarray:
    """The township station of each station code (None where it has none), each distinct code looked up once."""
    codes, uniques = pd.factorize(stations.to_numpy(dtype=object))
    up = towns["township"].reindex(uniques).to_numpy(dtype=object)
    out = np.where(codes >= 0, up[np.maximum(codes, 0)] if len(up) else None, None)
    return np.where(pd.isna(out), None, out)


def month_numbers(dates: pd.Series) -> np.ndarray:
    """Months since 1970-01 of each date (-1 where there is none)."""
    values = dates.to_numpy(dtype="datetime64[s]")
    months = values.astype("datetime64[M]").astype("int64")
    return np.where(np.isnat(values), -1, months)


def month_texts(numbers) -> np.ndarray:
    """``YYYY-MM`` of month numbers."""
    return label(np.asarray(numbers, dtype="int64"), "month")


def iso_dates(dates: pd.Series) -> np.ndarray:
    """``YYYY-MM-DD`` of each date (None where there is none)."""
    values = dates.to_numpy(dtype="datetime64[D]")
    text = np.datetime_as_string(values, unit="D").astype(object)
    return np.where(np.isnat(values), None, text)
