"""Groupings of the indicator statuses and the shares and ranking built on them (one home for each).

- ``GOOD``: 达标 and 进度正常, the statuses a station wants; ``BAD``: 落后 and 未达标, the ones to act on.
- ``BEST_FIRST``: every status from the best to the most urgent (``labels.STATUS_ORDER`` reversed).
- ``station_shares``: per station, the share of its indicators in each status, the best station first.
  Shares, not counts, so that stations on catalogues of 16 and of 60 indicators compare.
- ``ranking``: the stations in that order, with their counts per status.
"""

from __future__ import annotations

import pandas as pd

from .labels import BEHIND, MET, MISSED, ON_TRACK, STATUS_ORDER

GOOD = (MET, ON_TRACK)
BAD = (BEHIND, MISSED)
GOOD_TEXT = "达标及进度正常"
BAD_TEXT = "落后或未达标"
BEST_FIRST = tuple(reversed(STATUS_ORDER))
RANKING_RULE = ("按「达标 + 进度正常」的指标占该站指标总数的比例从高到低排序（各站指标清单的指标数不同，"
                "比较占比而不是个数）。")


def is_bad(status: pd.Series) -> pd.Series:
    """Whether each status is one to act on (落后 or 未达标)."""
    return status.isin(BAD)


def station_shares(summary: pd.DataFrame, by: str = "station_name") -> pd.DataFrame:
    """Per station (index: ``by``) the share of its 全期 indicator results in each status (columns best first),
    and ``good``: the share 达标 + 进度正常; sorted by ``good``, then by 达标, best station first."""
    table = pd.crosstab(summary[by], summary["status"], normalize="index").reindex(columns=list(BEST_FIRST),
                                                                                   fill_value=0.0)
    table["good"] = table[list(GOOD)].sum(axis=1)
    return table.sort_values(["good", MET], ascending=False)


def ranking(summary: pd.DataFrame, by: str = "station_name") -> pd.DataFrame:
    """The stations in the order of ``station_shares``: rank (1 = best), station, indicators, the share
    达标 + 进度正常 (0–1) and the count per status (columns best first)."""
    shares = station_shares(summary, by)
    counts = pd.crosstab(summary[by], summary["status"]).reindex(columns=list(BEST_FIRST), fill_value=0)
    counts = counts.reindex(shares.index)
    out = pd.DataFrame({"rank": range(1, len(shares) + 1), "station": shares.index,
                        "indicators": counts.sum(axis=1).to_numpy(), "good_share": shares["good"].to_numpy()})
    for status in BEST_FIRST:
        out[status] = counts[status].to_numpy()
    return out.reset_index(drop=True)
