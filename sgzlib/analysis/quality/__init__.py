"""Data-quality findings: problems in the ledgers the indicator engine cannot see, each saying why and which
records (issue 32). Pure code over a ``Dataset``:

- ``duplicate_person``: the same person on two township stations' rosters (same ID number, or name + birth
  date, or name + phone), with the indicators that count them at each (``people``);
- ``worker_two_places``: a worker with sessions at two township stations on one day (``workers``);
- ``late_entry`` (补录): rows first seen in an import more than ``late_days`` days after their own date,
  per station and month (``late``; the first-seen dates are ``store.first_seen``'s);
- ``peer_outlier``: a station's month out of line with the stations of the same catalogue (``outliers``);
- ``copied_summary``: one service summary copied into many records of a station (``summaries``).

The checks that look beyond one station read the others through a ``QualityIndex`` (``index``): build it from
the whole database, or station by station and ``QualityIndex.concat`` the parts; then ``findings`` runs every
check on the stations of a dataset (``ds`` may hold one station, masked or not: the index holds the
identities, hashed). Every threshold is a field of ``Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .findings import COLUMNS, finding_frame
from .index import QualityIndex, build_index, townships
from .late import late_entries
from .outliers import peer_outliers
from .people import counted_words, duplicate_people
from .summaries import copied_summaries
from .workers import two_places

CHECKS = ("duplicate_person", "worker_two_places", "late_entry", "peer_outlier", "copied_summary")


@dataclass(frozen=True)
class Settings:
    """The thresholds of the checks (the defaults are the CLI's and the reports')."""

    late_days: int = 30  # 补录: first seen more than this many days after the row's own date
    copies: int = 10  # copied summary: this many records or more with the same text
    summary_chars: int = 15  # copied summary: texts shorter than this are not judged
    z_limit: float = 3.5  # peer outlier: |robust z| at least this
    same_month_peers: int = 8  # peer outlier: compare within the month when this many stations have it
    min_values: int = 10  # peer outlier: a reference needs this many station-months


def findings(ds, index: QualityIndex, evaluation=None, settings: Settings = Settings(),
             merge_pairs: bool = True) -> pd.DataFrame:
    """Every finding about the township stations of ``ds`` (``COLUMNS``), by check then station.

    ``evaluation``: the engine's evaluation of ``ds``'s projects, for the indicators that count a person
    found on two rosters. With ``merge_pairs`` a problem seen from both of its stations (both in ``ds``)
    is one finding naming both.
    """
    towns = townships(ds)
    parts = [
        duplicate_people(ds, index, evaluation),
        two_places(ds, index),
        late_entries(ds, towns, settings.late_days),
        peer_outliers(ds, index, towns, settings.z_limit, settings.same_month_peers, settings.min_values),
        copied_summaries(ds, towns, settings.copies, settings.summary_chars),
    ]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else finding_frame([])
    return pairs_merged(out) if merge_pairs else out


def pairs_merged(found: pd.DataFrame) -> pd.DataFrame:
    """A two-station finding listed from both stations becomes one row: the first station's, with the other
    station's indicators (``indicators`` as "站点A：…；站点B：…") and explanation added."""
    two = found["other_station"].notna()
    if not two.any():
        return found
    rows, seen = [], set()
    for i, r in found.iterrows():
        if not two[i]:
            rows.append(r)
            continue
        key = (r["check"], frozenset([(r["station_code"], r["records"]), (r["other_station"], r["other_records"])]))
        if key in seen:
            continue
        seen.add(key)
        twin = found[(found["check"] == r["check"]) & (found["station_code"] == r["other_station"])
                     & (found["records"] == r["other_records"]) & (found["other_records"] == r["records"])]
        if len(twin) and r["check"] == "duplicate_person":
            t = twin.iloc[0]
            r = r.copy()
            mine, theirs = (set((x or "").split("、")) - {""} for x in (r["indicators"], t["indicators"]))
            r["why"] += "；" + counted_words(t["station_name"], sorted(theirs))
            if mine & theirs:
                r["why"] += f"；两站都计入（同一指标重复计数）：{'、'.join(sorted(mine & theirs))}"
            r["indicators"] = "；".join(f"{name}：{ids or '无'}" for name, ids in (
                (r["station_name"], r["indicators"]), (t["station_name"], t["indicators"])))
        rows.append(r)
    return finding_frame([dict(r) for r in rows])


__all__ = ["CHECKS", "COLUMNS", "QualityIndex", "Settings", "build_index", "findings", "pairs_merged"]
