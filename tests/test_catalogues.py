"""The shipped catalogues: each loads, encodes its seed's text, evaluates on the demo; wrong files are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset
from sgzlib.errors import DefinitionError
from sgzlib.indicators import STATUS_ORDER, evaluate, list_catalogues, load_catalogue, parse_catalogue
from sgzlib.indicators.catalogue import catalogue_paths

SEEDS = Path("/work/shared/seeds")
IDS = ["civil-affairs-2024", "jiuyuan-2024", "panzhihua-2021", "zhalainuoer-2026"]


def test_every_shipped_catalogue_is_listed():
    listed = list_catalogues()
    assert sorted(listed["id"]) == IDS
    assert listed.set_index("id").loc["civil-affairs-2024", "tiers"] == "10万、20万"
    # one YAML per seed catalogue, named by its id
    assert sorted(p.stem for p in catalogue_paths()) == IDS


@pytest.mark.parametrize("name, cat_id", [
    ("zhalainuoer-2026", "zhalainuoer-2026"),
    ("2024年包头市九原区民政领域社会工作服务项目任务和服务标准指导目录", "jiuyuan-2024"),  # by Chinese title
    (" 2024年民政领域社会工作服务项目任务清单（评估指标） ", "civil-affairs-2024"),  # spaces and full-width brackets
    ("PANZHIHUA-2021", "panzhihua-2021"),
])
def test_a_catalogue_is_found_by_id_or_title(name, cat_id):
    assert load_catalogue(name).id == cat_id


@pytest.mark.parametrize("cat_id", IDS)
def test_header_names_the_rows_judged_not_countable(cat_id):
    text = (load_catalogue(cat_id).path).read_text(encoding="utf-8")
    header = text.split("\nid:")[0]
    assert header.startswith("#") and "判定为不可计数" in header and "检查项" in header


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(not SEEDS.exists(), reason="种子文件目录不存在")
@pytest.mark.parametrize("cat_id", IDS)
def test_every_indicator_quotes_its_seed(cat_id):
    """Each space-separated fragment of source_text appears in the seed file (white space ignored)."""
    cat = load_catalogue(cat_id)
    seed = _compact((SEEDS / cat.source).read_text(encoding="utf-8"))
    missing = [(ind.id, frag) for ind in cat.indicators for frag in ind.source_text.split() if _compact(frag) not in seed]
    assert missing == []


@pytest.mark.parametrize("cat_id, tiers, rules", [
    # seed 000: four domains × 8 standards, station building, organisations, charity, the self-chosen item
    ("zhalainuoer-2026", (), {"checklist", "staff", "coverage", "period_count", "follow_up_ledger",
                              "per_person_period", "qualified_cases", "qualified_groups", "exemplary", "record_count",
                              "amount_sum", "per_occasion_min", "optional_choice"}),
    ("jiuyuan-2024", (), {"coverage", "qualified_cases", "qualified_groups", "optional_choice", "period_count"}),
    ("civil-affairs-2024", ("10万", "20万"), {"staff", "qualified_cases", "qualified_groups", "per_occasion_min"}),
    ("panzhihua-2021", ("一般", "省级试点"), {"record_count", "coverage", "staff", "checklist"}),
])
def test_catalogue_shape(cat_id, tiers, rules):
    cat = load_catalogue(cat_id)
    assert cat.tiers == tiers
    assert rules <= {i.rule for i in cat.indicators}
    assert len({i.id for i in cat.indicators}) == len(cat.indicators)


def test_tiered_targets_of_seed_002():
    cat = load_catalogue("civil-affairs-2024")
    # 个案 6 / 8, 小组 7 / 9, 持证 1 of 2 / 2 of 3 (seed 002's two tier columns)
    assert [cat.indicator("CA-SA-06").target(t) for t in ("10万", "20万")] == [6, 8]
    assert [cat.indicator("CA-EL-07").target(t) for t in ("10万", "20万")] == [7, 9]
    staff = cat.indicator("CA-JS-10")
    assert [(staff.target(t), staff.params_for(t)["min_staff"]) for t in ("10万", "20万")] == [(1, 2), (2, 3)]


def test_jiuyuan_optional_tasks():
    cat = load_catalogue("jiuyuan-2024")
    assert cat.choose_at_least == 3 and len(cat.optional_tasks) == 10
    assert cat.resolve_task("社区治理").id == "O3" and cat.resolve_task("o10").id == "O10"
    assert all(i.tasks for i in cat.indicators if not i.mandatory)


@pytest.mark.parametrize("cat_id, tier", [("zhalainuoer-2026", None), ("jiuyuan-2024", None),
                                          ("civil-affairs-2024", "10万"), ("civil-affairs-2024", "20万"),
                                          ("panzhihua-2021", None), ("panzhihua-2021", "省级试点")])
def test_every_catalogue_evaluates_on_the_demo(demo_ds, cat_id, tier):
    frames = dict(demo_ds.frames)
    frames["projects"] = frames["projects"].assign(catalogue=cat_id, tier=tier,
                                                   optional_tasks="O3、O9、O10" if cat_id == "jiuyuan-2024" else None)
    ds = Dataset(frames)
    ev = evaluate(ds, demo.AS_OF)
    cat = load_catalogue(cat_id)
    applicable = [i.id for i in cat.indicators if i.target(tier or cat.default_tier) is not None
                  and (not i.tasks or set(i.tasks) & {"O3", "O9", "O10"})]
    summary = ev.summary
    # every project has exactly one 全期 row per applicable indicator, every status is a known one
    assert summary.groupby("project_code")["indicator_id"].apply(sorted).map(tuple).unique().tolist() == \
        [tuple(sorted(applicable))]
    assert len(summary) == 7 * len(applicable)
    assert set(ev.results["status"]) <= set(STATUS_ORDER)
    # the behind station has the smallest share of indicators met or on track
    shares = summary["status"].isin(["达标", "进度正常"]).groupby(summary["station_code"]).mean()
    assert shares.idxmin() == demo.PLANTED.behind_station


BROKEN = """\
id: bad cat
title: 坏清单
source: x.txt
tiers: [10万]
colour: red
indicators:
  - id: A1
    name: 甲
    domain: 火星
    mandatory: yes-please
    source_text: 原文
    rule: period_count
    params: {category: [飞行], bogus: 1}
    period: fortnight
    target: {30万: 2}
    evidence: 照片
    points: -1
  - id: A1
    name: 乙
    domain: 社会救助
    mandatory: true
    source_text: 原文
    rule: no_such_rule
    target: 1
    evidence: 照片
"""


def test_a_wrong_catalogue_is_refused_with_every_problem():
    with pytest.raises(DefinitionError) as err:
        parse_catalogue(BROKEN, "bad.yaml")
    found = {(p.where, p.column, p.code) for p in err.value.problems}
    assert found == {
        ("bad.yaml", "colour", "unknown_field"),
        ("bad.yaml", "id", "bad_id"),
        ("bad.yaml 指标 A1", "domain", "bad_domain"),
        ("bad.yaml 指标 A1", "mandatory", "bad_mandatory"),
        ("bad.yaml 指标 A1", "points", "points_in_catalogue"),
        ("bad.yaml 指标 A1", "period", "bad_period"),
        ("bad.yaml 指标 A1", "params.bogus", "unknown_param"),
        ("bad.yaml 指标 A1", "params.category", "bad_param"),
        ("bad.yaml 指标 A1", "target", "bad_target_tiers"),
        ("bad.yaml 指标 A1", "rule", "unknown_rule"),
        ("bad.yaml 指标 A1", "id", "duplicate_indicator"),
    }
    report = str(err.value)
    assert "bad.yaml 指标 A1" in report and "「params.category」列" in report and "飞行" in report


def test_invalid_yaml_is_a_definition_error():
    with pytest.raises(DefinitionError, match="不是有效的 YAML"):
        parse_catalogue("id: [unclosed", "broken.yaml")
