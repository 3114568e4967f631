"""Helpers shared by the rule kinds: vocabularies, filters, evidence, per-project totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.vocab import VOCABS
from ..frames import as_object
from ..periods import PERIOD_WHOLE

DOMAINS = VOCABS["domain"].values
SERVICE_CATEGORIES = VOCABS["service_category"].values
ROSTER_CATEGORIES = VOCABS["beneficiary_category"].values
NOT_UPLOADED = "not_uploaded"
NOT_UPLOADED_REASON = "未上传中国社会工作网，不认定服务次数"


def as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def where_mask(frame: pd.DataFrame, where: dict | None) -> np.ndarray:
    """Rows matching every ``column: value-or-list`` condition (booleans: blank counts as false)."""
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in (where or {}).items():
        values = frame[column]
        if values.dtype == "boolean":
            values = values.fillna(False).astype(bool)
        mask &= values.isin(as_list(wanted)).to_numpy(dtype=bool)
    return mask


def service_evidence(rows: pd.DataFrame, photo_required: bool, upload_required: bool) -> pd.DataFrame:
    """Service rows with the evidence verdict the catalogue asks for (photo, upload)."""
    valid = rows["valid"].to_numpy(dtype=bool) if photo_required else np.ones(len(rows), dtype=bool)
    code = rows["reason_code"].to_numpy() if photo_required else np.full(len(rows), None, dtype=object)
    reason = rows["reason"].to_numpy() if photo_required else np.full(len(rows), None, dtype=object)
    if upload_required:
        missing = valid & ~rows["uploaded"].to_numpy(dtype=bool)
        valid = valid & ~missing
        code = np.where(missing, NOT_UPLOADED, code)
        reason = np.where(missing, NOT_UPLOADED_REASON, reason)
    return pd.DataFrame({"project_code": as_object(rows["project_code"]), "record_id": as_object(rows["code"]),
                         "date": rows["date"].to_numpy(), "month": rows["month"].to_numpy(), "valid": valid,
                         "reason_code": as_object(code), "reason": as_object(reason), "orig": rows["orig"].to_numpy()})


def totals_by_project(jobs: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """One 全期 row per project of ``jobs`` with ``actual`` from ``values`` (indexed by project, 0 if absent)."""
    actual = jobs["code"].map(values).fillna(0).astype(float).to_numpy()
    return pd.DataFrame({"project_code": jobs["code"].to_numpy(), "period": PERIOD_WHOLE, "actual": actual,
                         "detail": ""})
