"""Hand-built stations for the indicator engine tests: one township station, its village room, one project.

Every row is written out in the test that uses it, so expected values can be worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd

from sgzlib.domain.dataset import Dataset
from sgzlib.domain.validation import validate
from sgzlib.indicators import evaluate, parse_catalogue

D = dt.date.fromisoformat
STATIONS = [
    {"code": "H", "name": "测试区总站", "level": "县区总站", "parent_code": None, "district": "测试区"},
    {"code": "S1", "name": "一号街道社会工作服务站", "level": "乡镇街道站", "parent_code": "H", "district": "测试区"},
    {"code": "S1-V1", "name": "幸福社区社会工作服务室", "level": "村社区室", "parent_code": "S1", "district": "测试区"},
    {"code": "S2", "name": "二号镇社会工作服务站", "level": "乡镇街道站", "parent_code": "H", "district": "测试区"},
]


def project(code="P1", station="S1", catalogue="test-cat", tier=None, tasks=None, start="2025-01-01",
            end="2025-12-31") -> dict:
    return {"code": code, "station_code": station, "year": 2025, "start": D(start), "end": D(end), "budget": 100000.0,
            "catalogue": catalogue, "tier": tier, "optional_tasks": tasks}


def service(code, date, domain="社会救助", category="资源链接", people=None, photo="auto", uploaded=True,
            station="S1") -> dict:
    """A service record; ``photo="auto"`` gives it a photo file of its own, ``None`` none."""
    return {"code": code, "station_code": station, "date": D(date), "domain": domain, "category": category,
            "beneficiary_codes": people, "attendance": 1, "photos": f"{code}.jpg" if photo == "auto" else photo,
            "uploaded": uploaded}


def person(code, category="社会救助", joined="2025-01-01", left=None, follow_up=False, station="S1") -> dict:
    return {"code": code, "name": "测试", "station_code": station, "category": category, "joined": D(joined),
            "left": D(left) if left else None, "follow_up": follow_up}


def dataset(projects=None, **tables) -> Dataset:
    frames = {"stations": pd.DataFrame(STATIONS),
              "projects": pd.DataFrame(projects if projects is not None else [project()])}
    frames.update({name: pd.DataFrame(rows) for name, rows in tables.items() if len(rows)})
    return validate(Dataset(frames))


def catalogue(indicators: str, tiers: str = "[]", photo: bool = True, extra: str = ""):
    """A one-off catalogue (id ``test-cat``) with the given indicators block (YAML list items)."""
    text = textwrap.dedent(f"""\
        id: test-cat
        title: 测试清单
        year: 2025
        source: test
        tiers: {tiers}
        evidence: {{photo_required: {str(photo).lower()}}}
        """) + textwrap.dedent(extra) + "indicators:\n" + textwrap.indent(textwrap.dedent(indicators), "  ")
    return parse_catalogue(text, "test-cat.yaml")


def run(ds, as_of, cat, projects=None):
    return evaluate(ds, D(as_of) if isinstance(as_of, str) else as_of, projects=projects, catalogues=[cat])


def row(ev, indicator, period="全期", project_code="P1") -> pd.Series:
    r = ev.results
    found = r[(r["indicator_id"] == indicator) & (r["period"] == period) & (r["project_code"] == project_code)]
    assert len(found) == 1, f"expected one row for {indicator} {period}, got {len(found)}"
    return found.iloc[0]


def reasons(ev, indicator, project_code="P1") -> dict:
    """record_id → (counted, reason_code) of one indicator's explanations."""
    e = ev.explain(project_code, indicator)
    return {rid: (bool(c), code) for rid, c, code in zip(e["record_id"], e["counted"], e["reason_code"])}


def indicator(rule: str, params: str = "{}", target="1", period: str = "whole", id: str = "T1",
              extra: str = "") -> str:
    """One indicator as YAML (a list item for ``catalogue``)."""
    return textwrap.dedent(f"""\
        - id: {id}
          name: 测试指标{id}
          domain: 社会救助
          mandatory: true
          source_text: 测试原文
          rule: {rule}
          params: {params}
          period: {period}
          target: {target}
          evidence: 测试佐证
        """) + textwrap.indent(textwrap.dedent(extra), "  ")
