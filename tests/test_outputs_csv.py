"""``outputs.csv_text`` writes exactly what ``DataFrame.to_csv(index=False)`` writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sgzlib.store import outputs

TRICKY = pd.DataFrame({
    "文本": pd.Series(["甲", None, 'say "hi"', "a,b", "行一\n行二", "回车\r", "", "甲"], dtype=object),
    "str": pd.array(["x", None, "x", "y,z", "", "x", '"', "x"], dtype="str"),
    "小数": [0.1 + 0.2, -0.0, 0.0, np.nan, 1e-7, 123456789012345678.0, 66.67, -0.0],
    "整数": np.array([0, -1, 2**40, 3, 3, 0, 7, 8], dtype="int64"),
    "有,逗号的列名": ["a"] * 8,
})


@pytest.mark.parametrize("frame", [
    TRICKY,
    TRICKY.iloc[0:0],
    TRICKY[["文本"]],  # one column: a blank cell alone on its line is written ""
    TRICKY.assign(日期=pd.to_datetime(["2025-01-01"] * 8)),  # other dtypes: pandas writes them
    TRICKY.assign(文本=pd.Series([1, 1.0, True, "1", None, "a", "b", "c"], dtype=object)),  # equal, printed apart
], ids=["tricky", "empty", "one-column", "dates", "mixed-objects"])
def test_same_text_as_to_csv(frame):
    assert outputs.csv_text(frame) == frame.to_csv(index=False)


def test_quotes_and_blanks_by_hand():
    frame = pd.DataFrame({"a": ["x,y", None, 'q"'], "b": [1.5, np.nan, -0.0]})
    assert outputs.csv_text(frame) == 'a,b\n"x,y",1.5\n,\n"q""",-0.0\n'

