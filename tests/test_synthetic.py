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
