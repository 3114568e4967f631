"""The counting rule of photo evidence once a station's photo folder is indexed (``sgz photos scan``).

Seed 000: "如无水印照片，将不认定服务次数", "不得使用重复照片". Without an index,
``context.fast_photo_check`` judges by file names only. With one, each photo a
record names is checked (``sgzlib.photos.checks``) and the catalogue decides,
per finding, whether it stops the photo from counting (``refuse``) or is only
shown to the evaluator (``flag``): ``evidence.photo_checks`` in the catalogue.
A record counts when at least one of its photos has no refusing finding; a
photo used by an earlier record (same bytes or the same picture re-saved,
cropped or stamped) counts once, for that earlier record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..photos import checks
from .evidence import NO_PHOTO, REASONS

REFUSE, FLAG = "refuse", "flag"
ACTIONS = (REFUSE, FLAG)


def photo_actions(photo_required: bool, stated: dict | None = None) -> dict[str, str]:
    """Finding → refuse/flag: what the catalogue states, else reuse refuses when photos are required, rest flag."""
    out = {code: FLAG for code in checks.FINDINGS}
    if photo_required:
        out[checks.REUSED_CONTENT] = REFUSE
    out.update(stated or {})
    return out


def findings_for(ctx, cat) -> checks.PhotoFindings | None:
    """The photo findings of the context's dataset with the catalogue's limits (cached), or None without an index."""
    if checks.photo_index(ctx.ds).empty:
        return None
    key = ("photo_findings", cat.photo_max_days, cat.photo_max_km)
    if key not in ctx.cache:
        ctx.cache[key] = checks.photo_findings(ctx.ds, cat.photo_max_days, cat.photo_max_km)
    return ctx.cache[key]


def indexed_check(found: checks.PhotoFindings, table: str, frame: pd.DataFrame, base: pd.DataFrame,
                  actions: dict[str, str]) -> pd.DataFrame:
    """``base`` (valid, reason_code, reason by row of ``frame``) re-judged for the rows whose folder is indexed."""
    uses = found.for_table(table)
    uses = uses[uses["row"].isin(frame.index)]
    if uses.empty:
        return base
    out = base.copy()
    f = found.findings[found.findings["table"] == table]
    f = f[f["row"].isin(frame.index)]
    refusing = f[f["finding"].map(actions) == REFUSE]
    flagged = f[f["finding"].map(actions) == FLAG]
    bad_use = set(zip(refusing["row"], refusing["name"]))
    good = np.array([(r, n) not in bad_use for r, n in zip(uses["row"], uses["name"])], dtype=bool)
    rows = uses["row"].unique()
    valid = pd.Series(good, index=uses.index).groupby(uses["row"].to_numpy()).any().reindex(rows)
    refused_reason = refusing.groupby("row").agg(code=("finding", "first"), reason=("reason", "；".join))
    flag_reason = flagged.groupby("row").agg(code=("finding", "first"), reason=("reason", "；".join))
    for row, ok in valid.items():
        if not ok:
            why = refused_reason.loc[row] if row in refused_reason.index else None
            code = why["code"] if why is not None else NO_PHOTO
            text = f"{why['reason']}，不认定服务次数" if why is not None else REASONS[NO_PHOTO]
            out.loc[row, ["valid", "reason_code", "reason"]] = [False, code, text]
        elif row in flag_reason.index or row in refused_reason.index:
            notes = [flag_reason.at[row, "reason"]] if row in flag_reason.index else []
            if row in refused_reason.index:  # another photo of the record counts; say why this one does not
                notes.append(f"{refused_reason.at[row, 'reason']}（该照片不认定）")
            code = flag_reason.at[row, "code"] if row in flag_reason.index else refused_reason.at[row, "code"]
            out.loc[row, ["valid", "reason_code", "reason"]] = [True, code, f"已计入，需核验：{'；'.join(notes)}"]
        else:
            out.loc[row, ["valid", "reason_code", "reason"]] = [True, None, None]
    for col in ("reason_code", "reason"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out
