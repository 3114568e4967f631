"""Rule kinds, registered by name, each a small pure function over DataFrames.

A rule receives the evaluation context, one indicator, its parameters and
target resolved for one budget tier, and the projects to evaluate (one row
each), and returns a ``RuleOutput``: the actual value per project and period,
and one explanation row per record it looked at. Statuses, expected values,
scores and notes are derived by the engine, the same way for every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .frames import as_labels, as_object

# How the expected-by-date value of a whole-period target grows.
LINEAR = "linear"  # target x elapsed share of the project period
STATE = "state"  # the target must hold at any time (staff, checklist, optional-task choice)

RESULT_COLUMNS = ("project_code", "period", "actual", "detail")
EXPLAIN_COLUMNS = ("project_code", "period", "record_table", "record_id", "counted", "reason_code", "reason")
# One row per case or group a qualification rule judged: the same verdict as its explanation, with the parts
# reports show (sessions that counted, how many more are needed, records missing for it to count).
VERDICT_COLUMNS = ("project_code", "indicator_id", "kind", "code", "counted", "reason_code", "reason",
                   "counted_sessions", "min_sessions", "needed", "missing_records", "short_sessions")


@dataclass(frozen=True)
class Param:
    """One parameter of a rule: its type and, for text values, the allowed values."""

    kind: str  # "str", "list", "int", "number", "bool", "mapping"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Rule:
    """A rule kind: its function, parameters, allowed periods and how its progress is judged."""

    name: str
    func: Callable
    params: dict[str, Param]
    periods: tuple[str, ...] = ("whole",)
    progress: str = LINEAR
    unit: str = "次"
    label: str = ""
    # Checks across parameters, beyond each one's type: ``check(params) -> [(param, Chinese message)]``.
    check: Callable[[dict], list[tuple[str, str]]] | None = None


@dataclass
class RuleOutput:
    """What a rule computed: one row per project (and period), the explanation rows and, for the case and
    group rules, one verdict per case or group (``VERDICT_COLUMNS`` without ``indicator_id``)."""

    results: pd.DataFrame
    explanations: pd.DataFrame = field(default_factory=lambda: empty_explanations())
    verdicts: pd.DataFrame | None = None


RULES: dict[str, Rule] = {}


def register(name: str, params: dict[str, Param], periods=("whole",), progress=LINEAR, unit="次", label="",
             check=None):
    """Decorator: register ``func`` as the rule kind ``name`` (``check``: see ``Rule.check``)."""

    def wrap(func):
        if name in RULES:
            raise ValueError(f"rule {name!r} registered twice")
        RULES[name] = Rule(name, func, params, tuple(periods), progress, unit, label, check)
        return func

    return wrap


def empty_explanations() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="bool" if c == "counted" else "object") for c in EXPLAIN_COLUMNS})


def explanations(project_code, period, table: str, record_id, counted, reason_code=None, reason=None) -> pd.DataFrame:
    """An explanation frame from aligned columns (scalars are broadcast).

    Text columns are object columns (``frames.as_object``), the period and table categorical
    (``frames.as_labels``); the engine gives the final explanations their dtypes once, when it puts every
    indicator's rows together.
    """
    n = len(record_id)
    frame = pd.DataFrame({"project_code": as_object(project_code, n), "period": as_labels(period, n),
                          "record_table": as_labels(table, n), "record_id": as_object(record_id, n),
                          "counted": np.broadcast_to(np.asarray(counted), (n,)).astype(bool),
                          "reason_code": as_object(reason_code, n), "reason": as_object(reason, n)})
    return frame
