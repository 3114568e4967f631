"""The same service summary (内容摘要) copied into many records of one station."""

from __future__ import annotations

import unicodedata

import pandas as pd

from ...domain import schema
from .findings import finding_frame, record_list

SHEET = schema.TABLE_BY_NAME["services"].sheet


def normalise(text: str) -> str:
    """The text as compared: NFKC, without white space, punctuation and symbols (``讲解 政策。`` = ``讲解政策``)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def copied_summaries(ds, towns: pd.DataFrame, copies: int, min_chars: int) -> pd.DataFrame:
    """One finding per township station and summary text that ``copies`` or more of its service records share,
    word for word after ``normalise``. Texts shorter than ``min_chars`` characters (a category, "入户走访")
    are not copies of anything and are left alone."""
    s = ds.services
    if s.empty:
        return finding_frame([])
    text = s["summary"].astype(object)
    present = text.notna()
    if not present.any():
        return finding_frame([])
    uniques = {u: normalise(str(u)) for u in pd.unique(text[present])}
    norm = text[present].map(uniques)
    frame = pd.DataFrame({"norm": norm, "town": s.loc[present, "station_code"].map(towns["township"]),
                          "code": s.loc[present, "code"].astype(object), "text": text[present],
                          "date": s.loc[present, "date"]})
    frame = frame[(frame["norm"].map(len) >= min_chars) & frame["town"].notna()]
    size = frame.groupby(["town", "norm"])["code"].transform("size")
    frame = frame[size >= copies]
    names = towns.drop_duplicates("township").set_index("township")["name"]
    out = []
    for (town, _), g in frame.groupby(["town", "norm"], sort=True):
        shown = str(g["text"].iloc[0]).strip()
        shown = shown if len(shown) <= 40 else shown[:40] + "……"
        months = pd.to_datetime(g["date"]).dt.strftime("%Y-%m")
        span = months.min() if months.min() == months.max() else f"{months.min()} 至 {months.max()}"
        out.append({
            "check": "copied_summary", "station_code": town, "station_name": names.get(town), "month": None,
            "why": f"{len(g)} 条服务记录（{span}）的内容摘要完全相同（去掉空格和标点后比较，{copies} 条及以上即列出）："
                   f"「{shown}」，可能是复制粘贴，请核对每次服务的实际内容",
            "records": record_list(SHEET, sorted(g["code"])), "n_records": len(g)})
    return finding_frame(out)
