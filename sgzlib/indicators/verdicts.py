"""One verdict per case or group from the verdicts of the indicators that judged it (``Evaluation.work_verdicts``)."""

from __future__ import annotations

import pandas as pd

COLUMNS = ["project_code", "code", "counted", "reason_code", "reason", "indicator_ids", "counted_sessions", "needed",
           "missing_records", "short_sessions"]


def combine(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Fold the per-indicator verdicts of each (project, case or group) into one row (see ``work_verdicts``)."""
    if verdicts.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = [_one(project, code, g) for (project, code), g in verdicts.groupby(["project_code", "code"], sort=True)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["counted"] = out["counted"].astype(bool)
    return out


def _one(project: str, code: str, g: pd.DataFrame) -> tuple:
    refused = g[~g["counted"].astype(bool)]
    judged = refused if len(refused) else g
    missing = _union(judged["missing_records"])
    return (project, code, refused.empty, None if refused.empty else refused["reason_code"].iloc[0],
            "；".join(dict.fromkeys(judged["reason"])), "、".join(judged["indicator_id"]),
            int(g["counted_sessions"].min()), int(judged["needed"].max()), missing, _union(judged["short_sessions"]))


def _union(values: pd.Series) -> tuple:
    """The items of tuples in order of first appearance, without repeats."""
    return tuple(dict.fromkeys(item for t in values for item in t))
