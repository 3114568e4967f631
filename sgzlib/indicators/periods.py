"""Calendar periods of projects (months, quarters) as frames, built with array arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.labels import PERIOD_WHOLE  # noqa: F401  (re-exported: the rules take it from here)


def month_number(dates: pd.Series) -> np.ndarray:
    """Months since 1970-01 of a datetime Series (NaT → a very small number)."""
    values = dates.to_numpy(dtype="datetime64[s]")
    return values.astype("datetime64[M]").astype("int64")


def month_label(numbers) -> list[str]:
    return [f"{n // 12 + 1970}-{n % 12 + 1:02d}" for n in numbers]


def quarter_label(numbers) -> list[str]:
    return [f"{n // 4 + 1970}Q{n % 4 + 1}" for n in numbers]


PERIOD_KINDS = {"month": 1, "quarter": 3}


def period_number(months: np.ndarray, kind: str) -> np.ndarray:
    """Months since 1970-01 → the month or quarter number they fall in."""
    return months // PERIOD_KINDS[kind]


def label(numbers, kind: str) -> np.ndarray:
    """Period labels ("2025-03" / "2025Q1") of an array of period numbers (each distinct label built once)."""
    numbers = np.asarray(numbers, dtype="int64")
    if not len(numbers):
        return np.array([], dtype=object)
    lo, hi = numbers.min(), numbers.max()
    names = month_label(range(lo, hi + 1)) if kind == "month" else quarter_label(range(lo, hi + 1))
    return np.array(names, dtype=object)[numbers - lo]


def label_categories(numbers, kind: str) -> pd.Categorical:
    """``label`` as a categorical: the same labels, each built and stored once (for frames of many rows)."""
    numbers = np.asarray(numbers, dtype="int64")
    lo = numbers.min() if len(numbers) else 0
    hi = numbers.max() if len(numbers) else -1
    names = month_label(range(lo, hi + 1)) if kind == "month" else quarter_label(range(lo, hi + 1))
    return pd.Categorical.from_codes(numbers - lo, names)


def grid(jobs: pd.DataFrame, kind: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per project and period that has started by ``as_of`` (ended or current).

    Columns: project_code, pnum, period, period_start, period_end, ended, share
    (elapsed share of the period on ``as_of``), n_periods (periods in the
    whole project).
    """
    step = PERIOD_KINDS[kind]
    first = period_number(month_number(jobs["start"]), kind)
    last = period_number(month_number(jobs["end"]), kind)
    now = period_number(month_number(pd.Series([as_of] * len(jobs), dtype="datetime64[s]")), kind)
    upto = np.minimum(last, now)
    counts = np.maximum(upto - first + 1, 0)
    rows = np.repeat(np.arange(len(jobs)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pnum = first[rows] + offsets
    start_m = (pnum * step).astype("datetime64[M]")
    end_m = ((pnum + 1) * step).astype("datetime64[M]")
    p_start = pd.to_datetime(start_m.astype("datetime64[D]"))
    p_end = pd.to_datetime(end_m.astype("datetime64[D]")) - pd.Timedelta(days=1)
    out = pd.DataFrame({"project_code": jobs["code"].to_numpy()[rows], "pnum": pnum, "period": label(pnum, kind),
                        "period_start": p_start, "period_end": p_end})
    out["ended"] = out["period_end"] <= as_of
    elapsed = (as_of - out["period_start"]).dt.days + 1
    length = (out["period_end"] - out["period_start"]).dt.days + 1
    out["share"] = (elapsed / length).clip(0, 1).to_numpy(dtype=float)
    out["n_periods"] = (last - first + 1)[rows]
    return out


def whole_share(jobs: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Elapsed share of each project's period on ``as_of`` (0 before it starts, 1 after it ends)."""
    elapsed = (as_of - jobs["start"]).dt.days + 1
    length = (jobs["end"] - jobs["start"]).dt.days + 1
    return (elapsed / length).clip(0, 1).to_numpy(dtype=float)
