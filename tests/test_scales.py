"""The scale registry: the shipped file loads, names resolve, a broken file is refused with every problem."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset
from sgzlib.domain.scales import load_scales, scale_problems
from sgzlib.domain.validation import validate
from sgzlib.errors import DataError, DefinitionError, NotFoundError


@pytest.fixture(scope="module")
def registry():
    return load_scales()


@pytest.mark.parametrize("scale_id, low, high, higher_is_better", [
    ("SSRS", 12, 66, True),       # issue 5: 12–66, higher better
    ("UCLA-3", 20, 80, False),    # 20 items scored 1–4
    ("GDS-15", 0, 15, False),
    ("GDS-30", 0, 30, False),
    ("Barthel", 0, 100, True),
    ("SDQ", 0, 40, False),        # four difficulty sub-scales of 0–10
    ("RSES", 10, 40, True),       # 10 items scored 1–4
    ("LADDER", 1, 10, True),
])
def test_shipped_scales(registry, scale_id, low, high, higher_is_better):
    scale = registry.resolve(scale_id)
    assert (scale.id, scale.low, scale.high, scale.higher_is_better) == (scale_id, low, high, higher_is_better)
    assert scale.name_zh and scale.name_en and scale.source


def test_every_number_has_a_source(registry):
    for scale in registry:
        if scale.reliability is not None:
            assert 0 < scale.reliability < 1 and scale.reliability_source
        if scale.norm_sd is not None:
            assert scale.norm_sd > 0 and scale.norm_source
        if scale.reliability is None:
            assert scale.note, f"{scale.id}: an empty reliability must be explained"


def test_ladder_areas_are_named_in_the_file(registry):
    ladder = registry.resolve("成长阶梯")
    assert len(ladder.subscales) >= 5
    assert all(s.low == 1 and s.high == 10 for s in ladder.subscales)
    assert registry.resolve("成长阶梯·社区参与").id == "LADDER.community"


@pytest.mark.parametrize("domain", list(demo.SCALES_BY_DOMAIN))
def test_demo_scale_names_resolve_with_the_demo_range(registry, domain):
    name, low, high, direction = demo.SCALES_BY_DOMAIN[domain]
    scale = registry.resolve(name)
    assert (scale.low, scale.high, scale.direction) == (low, high, direction)


@pytest.mark.parametrize("typed, expected", [
    ("社会支持评定量表", "SSRS"),
    ("ssrs", "SSRS"),
    ("ＵＣＬＡ－３", "UCLA-3"),            # full-width, as typed in WPS
    ("UCLA Loneliness Scale (Version 3)", "UCLA-3"),
    ("孤独量表", "UCLA-3"),
    ("Barthel指数", "Barthel"),
    ("GDS", "GDS-30"),
    ("gds 15", "GDS-15"),
    ("长处和困难问卷", "SDQ"),
    ("罗森伯格自尊量表", "RSES"),
    ("SSRS·主观支持", "SSRS.subjective"),
    ("SDQ/情绪症状", "SDQ.emotional"),
])
def test_resolve_names(registry, typed, expected):
    assert registry.resolve(typed).id == expected


@pytest.mark.parametrize("typed", ["", "焦虑量表", None, "SSRS·不存在"])
def test_resolve_unknown(registry, typed):
    assert registry.resolve(typed) is None


def test_require_names_the_known_scales(registry):
    with pytest.raises(NotFoundError, match="SSRS、UCLA-3"):
        registry.require("焦虑量表")


BROKEN = textwrap.dedent("""\
    scales:
      - id: A
        name_zh: 量表甲
        name_en: Scale A
        low: 10
        high: 5
        direction: upwards
        source: somewhere
        reliability: 0.8
      - id: B
        name_zh: 量表乙
        low: 0
        high: 20
        direction: lower_better
        source: somewhere
        aliases: [量表甲]
        norm_sd: -3
        norm_source: a book
""")


def test_broken_file_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "scales.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_scales(path)
    codes = sorted(p.code for p in err.value.problems)
    assert codes == ["ambiguous_name", "bad_direction", "bad_norm_sd", "bad_range", "missing_field",
                     "unsourced_reliability"]
    assert "量表库定义有误（共 6 处）" in err.value.report()


def test_unreadable_file(tmp_path):
    path = tmp_path / "scales.yaml"
    path.write_text("scales: [unclosed", encoding="utf-8")
    with pytest.raises(DefinitionError, match="无法读取"):
        load_scales(path)


def _dataset(rows):
    frames = {
        "stations": pd.DataFrame([{"code": "S1", "name": "测试站", "level": "乡镇街道站", "district": "测试区"}]),
        "beneficiaries": pd.DataFrame([{"code": "B1", "name": "张三", "station_code": "S1", "category": "困难老人",
                                        "joined": dt.date(2025, 1, 1)}]),
        "measurements": pd.DataFrame(rows),
    }
    return Dataset(frames)


def test_scale_problems_unknown_scale_and_out_of_range():
    ds = _dataset([
        {"beneficiary_code": "B1", "scale": "UCLA-3", "phase": "前测", "date": dt.date(2025, 3, 1), "score": 81},
        {"beneficiary_code": "B1", "scale": "焦虑量表", "phase": "前测", "date": dt.date(2025, 3, 1), "score": 40},
        {"beneficiary_code": "B1", "scale": "UCLA-3", "phase": "后测", "date": dt.date(2025, 6, 1), "score": 80},
    ])
    problems = scale_problems(ds)
    assert [(p.code, p.where, p.column, p.value) for p in problems] == [
        ("score_out_of_range", "前后测", "得分", "81"),      # 81 > 80, the UCLA-3 maximum
        ("unknown_scale", "前后测", "量表", "焦虑量表"),
    ]
    assert problems[0].key == ("B1", "UCLA-3", "前测", pd.Timestamp("2025-03-01"))
    assert "20–80" in problems[0].message
    with pytest.raises(DataError) as err:
        validate(ds)
    assert {p.code for p in err.value.problems} == {"score_out_of_range", "unknown_scale"}


def test_demo_measurements_pass_the_scale_check(demo_ds):
    assert scale_problems(demo_ds) == []
