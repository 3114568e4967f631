"""The demo district's data-quality problems (``district.PLANTED.quality``) and its first-seen dates.

One instance of each finding of ``sgzlib.analysis.quality``, planted after the rest of the demo is built
(no random draws: every other row stays as it was):

- a person of 东湖街道's roster is also on 西山镇's (same ID number, name, birth date and phone);
- a worker of 西山镇 has the name of one of 东湖街道's workers (the same person on two staff lists) and
  sessions at both stations on the same days;
- 清河镇's services of March were first imported on 20 June (补录);
- one case session of 石门乡 lasted 300 minutes (its peers' sessions last 45 to 90);
- twelve of 南桥镇's services carry the same summary, word for word.

Every other dated row was "entered" within a week of its date (``first_seen_dates``).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import pandas as pd

from ..domain import dated as first_seen


@dataclass(frozen=True)
class QualityPlanted:
    """Where the planted data-quality problems are."""

    duplicate_person: tuple[str, str] = ("YL01-B0003", "YL02-B0002")
    worker_two_places: tuple[str, str] = ("YL01-W2", "YL02-W2")
    late_entry: tuple[str, str, dt.date] = ("YL05", "2025-03", dt.date(2025, 6, 20))
    peer_outlier: tuple[str, str, int] = ("YL06", "YL06-C02/3", 300)  # station, case session, minutes
    copied_summary: tuple[str, int, str] = (
        "YL03", 12, "入户走访困难老人，了解近期生活情况，讲解冬季取暖补贴政策并协助填写申请表")


def plant(rows: dict[str, list[dict]], planted: QualityPlanted) -> None:
    """Put the problems into the generator's rows (``district._Gen.rows``)."""
    people = {r["code"]: r for r in rows["beneficiaries"]}
    first, second = (people[c] for c in planted.duplicate_person)
    for column in ("name", "gender", "birth_date", "phone", "id_number"):
        second[column] = first[column]
    staff = {r["code"]: r for r in rows["staff"]}
    one, other = (staff[c] for c in planted.worker_two_places)
    other["name"] = one["name"]
    case, seq = planted.peer_outlier[1].split("/")
    session = next(r for r in rows["case_sessions"] if r["case_code"] == case and r["seq"] == int(seq))
    session["minutes"] = planted.peer_outlier[2]
    station, count, text = planted.copied_summary
    chosen = [r for r in rows["services"] if r["station_code"] == station and r["domain"] == "养老服务"
              and r["category"] == "关爱帮扶"][:count]
    for r in chosen:
        r["summary"] = text


def first_seen_dates(ds, planted: QualityPlanted | None) -> pd.DataFrame:
    """When each dated row of the demo was first seen: 0–6 days after its date (from a checksum of its key,
    not a random draw), and the planted month of 补录 (unless ``planted`` is None) on its import day."""
    rows = first_seen.dated_records(ds)
    delay = [zlib.crc32(f"{t}|{k}".encode()) % 7 for t, k in zip(rows["record_table"], rows["record_key"])]
    seen = pd.to_datetime(rows["date"]) + pd.to_timedelta(delay, unit="D")
    if planted is None:
        return first_seen.tidy(rows[["record_table", "record_key", "station_code"]].assign(
            first_seen=seen, record_date=rows["date"]))
    station, month, day = planted.late_entry
    late = (rows["record_table"] == "services") & (rows["station_code"] == station) & \
        (pd.to_datetime(rows["date"]).dt.strftime("%Y-%m") == month)
    seen = seen.where(~late, pd.Timestamp(day))
    return first_seen.tidy(rows[["record_table", "record_key", "station_code"]].assign(
        first_seen=seen, record_date=rows["date"]))
