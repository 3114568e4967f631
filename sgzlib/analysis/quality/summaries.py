"""The same service summary (内容摘要) copied into many records of one station."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ...domain import schema
from .arrays import month_numbers, month_texts, townships_of
from .findings import finding_frame, record_list

SHEET = schema.TABLE_BY_NAME["services"].sheet


NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """The text as compared: NFKC, without white space, punctuation and symbols (``讲解 政策。`` = ``讲解政策``):
    letters and digits of any script are kept."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return NOT_WORD.sub("", text)


def distinct(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize`` of texts (codes, -1 for blanks; the distinct texts), grouped by Python's string
    hash with one sort (cheaper for millions of strings); texts whose hash another text shares are told
    apart exactly."""
    present = np.flatnonzero(pd.notna(texts))
    codes = np.full(len(texts), -1)
    if not len(present):
        return codes, np.array([], dtype=object)
    values = texts[present]
    hashes = np.fromiter(map(hash, values), dtype=np.int64, count=len(values))
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    uniques = values[first]
    clash = uniques[inverse] != values
    if clash.any():  # two texts with one hash: fall back to the exact factorisation
        return pd.factorize(texts)
    codes[present] = inverse
    return codes, uniques


def copied_summaries(ds, towns: pd.DataFrame, copies: int, min_chars: int) -> pd.DataFrame:
    """One finding per township station and summary text that ``copies`` or more of its service records share,
    word for word after ``normalise``. Texts shorter than ``min_chars`` characters (a category, "入户走访")
    are not copies of anything and are left alone."""
    s = ds.services
    if s.empty or s["summary"].isna().all():
        return finding_frame([])
    codes, uniques = distinct(s["summary"].to_numpy(dtype=object))  # each distinct text normalised once
    norm = np.array([normalise(str(u)) for u in uniques], dtype=object)
    long = np.fromiter((len(t) >= min_chars for t in norm), dtype=bool, count=len(norm))
    norm_codes, norm_texts = pd.factorize(norm)
    town = townships_of(s["station_code"], towns)
    keep = (codes >= 0) & (town != None)  # noqa: E711 (an object array of codes and None)
    keep[keep] &= long[codes[keep]]
    if not keep.any():
        return finding_frame([])
    town_codes, _ = pd.factorize(town[keep])
    pair = town_codes.astype("int64") * len(norm_texts) + norm_codes[codes[keep]]
    _, inverse, size = np.unique(pair, return_inverse=True, return_counts=True)
    many = size[inverse] >= copies
    frame = pd.DataFrame({"town": town[keep][many], "norm": norm_codes[codes[keep]][many],
                          "row": np.flatnonzero(keep)[many]})
    names = towns.drop_duplicates("township").set_index("township")["name"]
    out = []
    for (town_code, _), g in frame.groupby(["town", "norm"], sort=True):
        rows = s.iloc[g["row"].to_numpy()]
        shown = str(rows["summary"].iloc[0]).strip()
        shown = shown if len(shown) <= 40 else shown[:40] + "……"
        months = month_texts(month_numbers(rows["date"]))
        span = min(months) if min(months) == max(months) else f"{min(months)} 至 {max(months)}"
        out.append({
            "check": "copied_summary", "station_code": town_code, "station_name": names.get(town_code), "month": None,
            "why": f"{len(rows)} 条服务记录（{span}）的内容摘要完全相同（去掉空格和标点后比较，{copies} 条及以上即列出）："
                   f"「{shown}」，可能是复制粘贴，请核对每次服务的实际内容",
            "records": record_list(SHEET, sorted(rows["code"].astype(str))), "n_records": len(rows)})
    return finding_frame(out)
