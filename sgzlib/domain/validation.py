"""Every check of a ``Dataset``: keys, references, stored values, lifecycles, scales and cross-sheet dates.

``problems(ds)`` returns every problem at once (the importer sends each back to its Excel row);
``validate(ds)`` raises ``DataError`` with all of them, or returns the dataset unchanged.
"""

from __future__ import annotations

from ..errors import DataError, Problem
from .checks import data_problems
from .dataset import Dataset, key_problems, reference_problems, stored_value_problems
from .lifecycle import case_problems, group_problems
from .scales import scale_problems


def problems(ds: Dataset) -> list[Problem]:
    """Every key, reference, lifecycle, scale (前后测) and cross-sheet date problem of the dataset."""
    return (stored_value_problems(ds) + key_problems(ds) + reference_problems(ds)
            + case_problems(ds) + group_problems(ds)
            + scale_problems(ds) + data_problems(ds))


def validate(ds: Dataset) -> Dataset:
    """Raise ``DataError`` with every problem, or return the dataset unchanged."""
    found = problems(ds)
    if found:
        raise DataError(found)
    return ds
