"""The benchmark province is data the product accepts: it passes ``validation.validate``."""

from __future__ import annotations

from benchmarks.synthetic import province
from sgzlib.domain.dataset import Dataset
from sgzlib.domain.validation import problems


def test_small_province_passes_validation():
    ds = province(12)
    assert problems(ds) == []
    # The frames are built in their declared dtypes: coercing them again changes nothing and still validates.
    again = Dataset({name: frame.copy() for name, frame in ds.frames.items()})
    assert problems(again) == []
    # 12 townships: 12 // 20 -> 1 county station, 12 township stations, 2 village rooms each (1 + 12 + 24 = 37).
    assert len(ds.stations) == 37
    # The case beneficiaries (the first 24 people of each township) and everyone on the follow-up roster
    # joined on 1 January, so no visit or case can predate joining.
    assert (ds.beneficiaries.loc[ds.beneficiaries["follow_up"].fillna(False), "joined"] == "2025-01-01").all()
    # Some people still join during the year (the rule has something to check).
    assert (ds.beneficiaries["joined"] > "2025-01-01").any()


def test_the_seasons_show_in_the_monthly_counts_and_the_history_year_is_valid():
    ds = province(20, history=True)
    assert problems(ds) == []
    s = ds.services[ds.services["category"] != "跟踪回访"]  # the quarterly visits keep their own rhythm
    now = s[s["date"].dt.year == 2025]
    per_month = now.groupby(now["date"].dt.month).size()
    # day weights (synthetic.day_weights): Spring Festival 2025-01-22 … 02-12 at 0.2–0.5, National Day at 0.4,
    # the push from 15 November at 1.15–1.6: February is below March, October below September, December above
    assert per_month[2] < per_month[3] and per_month[10] < per_month[9] and per_month[12] > per_month[9]
    children = now[now["domain"] == "儿童关爱保护"].groupby(now["date"].dt.month).size()
    assert children[8] > 1.2 * children[6]  # the summer holidays: 1.4–2.2 from 10 July to 31 August
    # the history year: its own projects, codes and Spring Festival (10 February 2024: the dip is in February)
    past = s[s["date"].dt.year == 2024]
    assert set(ds.projects["year"]) == {2024, 2025} and past["code"].str.contains("-HS").all()
    by_month = past.groupby(past["date"].dt.month).size()
    assert by_month[2] < 0.75 * by_month[1]
    # the current year is drawn as without the history year
    alone = province(20)
    assert alone.services["code"].tolist() == ds.services.loc[ds.services["date"].dt.year == 2025, "code"].tolist()
