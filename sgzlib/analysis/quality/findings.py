"""The shape of a data-quality finding: what, where, why, and which records."""

from __future__ import annotations

import pandas as pd

# check: the code of the check (``labels.QUALITY_CHECKS``); station_code / station_name: the township station;
# month: YYYY-MM when the finding is about a month; why: the Chinese explanation; records: the records
# concerned, as "表 编号、编号…"; other_station / other_records: the other station's side (two-station checks);
# indicators: indicators of the station that count the records concerned.
COLUMNS = ["check", "station_code", "station_name", "month", "why", "records", "n_records", "other_station",
           "other_records", "indicators"]


def finding_frame(rows: list[dict]) -> pd.DataFrame:
    """Findings as a frame with ``COLUMNS`` (absent fields blank)."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["n_records"] = frame["n_records"].fillna(0).astype(int)
    for c in COLUMNS:
        if c != "n_records":
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def record_list(sheet: str, ids) -> str:
    """``服务记录 YL01-S0001、YL01-S0002`` (every id: the evaluator's list names all of them)."""
    return f"{sheet} {'、'.join(str(i) for i in ids)}"
