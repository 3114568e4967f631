"""Column helpers for the engine's intermediate frames: text kept as object arrays until the end.

Under pandas 3 a frame built from an object array of text checks every value to store it as pandas'
string dtype (``str``). The engine builds frames of millions of service records and explanation rows
and reads most of their text columns back only as arrays, so it keeps them as object columns
(``as_object``), labels as categoricals (``as_labels``), and turns the final explanation columns into
``str`` once (``text_column``), converting each distinct value once. The results are the same values
with the same dtypes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def objects(values: pd.Series) -> np.ndarray:
    """The values of a column as an object ndarray (missing text as ``pd.NA``), without a copy for
    pandas' Python-backed strings, whose values already are one."""
    backing = getattr(values.array, "_ndarray", None)
    if isinstance(values.dtype, pd.StringDtype) and isinstance(backing, np.ndarray) and backing.dtype == object:
        return backing
    return values.to_numpy(dtype=object)


def as_object(values, n: int | None = None) -> pd.Series:
    """An object column for a frame being built (a scalar is repeated ``n`` times): pandas keeps it as it
    is instead of checking every value to store it as strings."""
    if n is not None and (values is None or isinstance(values, str) or np.ndim(values) == 0):
        out = np.empty(n, dtype=object)
        out[:] = values
        return pd.Series(out, dtype=object, copy=False)
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def as_labels(values, n: int):
    """A column of few distinct labels for a frame being built: a categorical when ``values`` is one label
    (repeated ``n`` times) or already categorical, else an object column (``as_object``)."""
    if isinstance(values, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [values])
    if isinstance(values, pd.Categorical):
        return values
    return as_object(values, n)


def text_column(frames: list[pd.DataFrame], column: str) -> pd.arrays.StringArray:
    """``column`` of the frames put one after another as pandas' default string array (``str``, missing as
    NaN): the array a frame built from those values as objects would hold, each frame's distinct values
    converted once (a categorical column's categories, else its factorised values)."""
    position: dict = {}
    parts = []
    for frame in frames:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        remap = np.array([position.setdefault(u, len(position)) for u in uniques], dtype=np.int64)
        parts.append(np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(remap) else -1, -1))
    labels = pd.array(np.array(list(position), dtype=object), dtype="str")
    return labels.take(np.concatenate(parts) if parts else np.array([], dtype=np.int64), allow_fill=True)
