"""Dates as users type them, vocabularies and 是/否, masking."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sgzlib.domain import vocab
from sgzlib.domain.dates import parse_date, require_date
from sgzlib.errors import ConfigError
from sgzlib.store import privacy


@pytest.mark.parametrize("text, expected", [
    ("2026-03-05", dt.date(2026, 3, 5)),
    ("2026/3/5", dt.date(2026, 3, 5)),
    ("2026.3.5", dt.date(2026, 3, 5)),
    ("2026年3月5日", dt.date(2026, 3, 5)),
    ("２０２６年３月５日", dt.date(2026, 3, 5)),  # full-width digits
    (" 2026 - 03 - 05 ", dt.date(2026, 3, 5)),
    ("20260305", dt.date(2026, 3, 5)),
    (46086, dt.date(2026, 3, 5)),  # Excel serial: 1899-12-30 + 46086 days
    ("46086", dt.date(2026, 3, 5)),
    (dt.datetime(2026, 3, 5, 10, 30), dt.date(2026, 3, 5)),
    (pd.Timestamp("2026-03-05"), dt.date(2026, 3, 5)),
    ("2026-02-30", None),
    ("三月五日", None),
    (5, None),  # too small to be a plausible serial
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_require_date_explains_in_chinese():
    with pytest.raises(ConfigError, match="「明天」不是有效日期"):
        require_date("明天", "评估日期")


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("Y", True), ("y", True), ("√", True), ("有", True), ("TRUE", True), (True, True),
    ("否", False), ("N", False), ("×", False), ("无", False), ("false", False), ("　否　", False),
    ("也许", None), ("", None),
])
def test_parse_bool(value, expected):
    assert vocab.parse_bool(value) is expected


@pytest.mark.parametrize("name, value, expected", [
    ("domain", "救助", "社会救助"),
    ("domain", "养老", "养老服务"),
    ("domain", " 儿童 ", "儿童关爱保护"),
    ("domain", "助残", "扶残助残"),
    ("domain", "扶贫", None),
    ("certificate", "中级", "社会工作师"),
    ("level", "乡镇街道站", "乡镇街道站"),
])
def test_vocab_synonyms(name, value, expected):
    assert vocab.VOCABS[name].normalize(value) == expected


@pytest.mark.parametrize("fn, value, expected", [
    (privacy.mask_name, "张三", "张*"),
    (privacy.mask_name, "张小三", "张*三"),
    (privacy.mask_name, "欧阳小明", "欧**明"),
    (privacy.mask_phone, "13812341234", "138****1234"),
    (privacy.mask_phone, "138-1234-1234", "138****1234"),
    (privacy.mask_phone, "138*1234*5678", "138****5678"),  # a star inside: masked by its digits all the same
    (privacy.mask_phone, "138****5678", "138****5678"),  # already masked: kept
    (privacy.mask_id_number, "15070219900307123X", "150702************"),
])
def test_masking(fn, value, expected):
    assert fn(value) == expected


def test_mask_dataset_hides_every_phone(demo_ds):
    masked = privacy.mask_dataset(demo_ds)
    phones = set(demo_ds.beneficiaries["phone"]) | set(demo_ds.volunteers["phone"])
    text = masked.beneficiaries.to_csv() + masked.volunteers.to_csv()
    assert "****" in text  # masking happened
    assert not [p for p in phones if p in text]
    # station names are not personal data and stay readable
    assert masked.stations["name"].equals(demo_ds.stations["name"])


def test_masking_maps_each_distinct_value_once_and_keeps_blanks():
    from sgzlib.store.privacy import _map

    calls = []
    values = pd.Series(["甲", None, "乙", "甲", None], dtype="str", name="v")
    out = _map(values, lambda v: calls.append(v) or v + "*")
    assert calls == ["甲", "乙"]
    assert out.dtype == values.dtype and out.name == "v"
    assert out[[0, 2, 3]].tolist() == ["甲*", "乙*", "甲*"] and out.isna().tolist() == [False, True, False, False, True]
    assert _map(pd.Series([None, None], dtype="str"), str).isna().all()
