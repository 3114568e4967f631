"""补录: rows first seen in an import long after their own date, per station and month."""

from __future__ import annotations

import pandas as pd

from ...domain import schema
from ...domain.dated import late_records
from .arrays import month_numbers, month_texts, townships_of
from .findings import finding_frame, record_list


def late_entries(ds, towns: pd.DataFrame, days: int) -> pd.DataFrame:
    """One finding per township station, table and month whose rows were first seen more than ``days`` days
    after their own date (``store.first_seen``; rows imported before first-seen dates were kept are not
    judged)."""
    late = late_records(ds, days)
    if late.empty:
        return finding_frame([])
    late["lag"] = (late["first_seen"].to_numpy(dtype="datetime64[D]") - late["date"].to_numpy(dtype="datetime64[D]")
                   ).astype("int64")
    late["town"] = townships_of(late["station_code"], towns)
    late = late[late["town"].notna()]
    if late.empty:
        return finding_frame([])
    late["month"] = month_texts(month_numbers(late["date"]))
    names = towns.drop_duplicates("township").set_index("township")["name"]
    out = []
    for (town, table, month), g in late.groupby(["town", "record_table", "month"], sort=True):
        sheet = schema.TABLE_BY_NAME[table].sheet
        seen = sorted(pd.to_datetime(g["first_seen"]).dt.strftime("%Y-%m-%d").unique())
        when = seen[0] if len(seen) == 1 else f"{seen[0]} 至 {seen[-1]}"
        low, high = int(g["lag"].min()), int(g["lag"].max())
        span = f"{low}" if low == high else f"{low}–{high}"
        out.append({
            "check": "late_entry", "station_code": town, "station_name": names.get(town), "month": month,
            "why": f"{month} 的{sheet} {len(g)} 条于 {when} 才首次导入，比记录日期晚 {span} 天（超过 {days} 天即列出），"
                   "属事后补录，请核对原始记录与佐证",
            "records": record_list(sheet, sorted(g["record_key"])), "n_records": len(g)})
    return finding_frame(out)
