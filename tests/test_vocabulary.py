"""One vocabulary: every shipped output shows Chinese words, never the engine's English codes.

The scan covers ``sgz evaluate`` (table, csv, json, xlsx), ``sgz explain`` (table, csv), the score sheet
xlsx of every demo project, every display frame of the station, assessment and district reports, and the
dashboard panels. A user-facing cell fails when it holds a snake_case identifier, a rule name, a reason
code or a period kind. JSON keeps English keys and the code fields (``CODE_FIELDS``) for programs.
The rendered report HTML is scanned in ``test_reports_notebooks.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import openpyxl
import pandas as pd
import pytest

from sgzlib.analysis import quality, supervision
from sgzlib.commands import evaluate as evaluate_cmd
from sgzlib.commands import explain as explain_cmd
from sgzlib.commands import quality as quality_cmd
from sgzlib.dashboards import cases as cases_board
from sgzlib.dashboards import outcomes as outcomes_board
from sgzlib.dashboards import progress
from sgzlib.dashboards import quality as quality_board
from sgzlib.domain import labels, lifecycle, outcomes
from sgzlib.domain.labels import EXPLAIN_HEADERS, WILL_MISS
from sgzlib.indicators import RULES, evaluate, evaluate_stations
from sgzlib.indicators import forecast as forecasting
from sgzlib.indicators.catalogue import all_catalogues
from sgzlib.reports import assessment, district, station
from sgzlib.reports.tables import quality_table
from sgzlib.store import storage

AS_OF = dt.date(2025, 10, 31)
# catalogue ids too: a user reads a catalogue's Chinese title (issue 30), never zhalainuoer-2026
CATALOGUE_IDS = {c.id for c in all_catalogues()}
CODES = set(RULES) | set(labels.REASON_LABELS) | set(labels.PERIOD_KIND_LABELS) | set(labels.QUALITY_CHECKS) \
    | set(labels.FORECAST_METHODS) | CATALOGUE_IDS
CODE_FIELDS = {"rule", "reason_code", "period_kind", "method", "check", "catalogue"}  # JSON keeps codes for programs
ASCII = "A-Za-z0-9_"
PATTERN = re.compile(rf"(?<![{ASCII}.-])(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|{'|'.join(sorted(CODES))})(?![{ASCII}-])")


def english_codes(texts) -> set[str]:
    """Every English code found in the given strings."""
    found = set()
    for text in texts:
        if isinstance(text, str):
            found.update(PATTERN.findall(text))
    return found


def frame_texts(frame: pd.DataFrame) -> list:
    if frame is None:
        return []
    return [str(c) for c in frame.columns] + [v for col in frame.columns for v in frame[col].tolist()]


def xlsx_texts(path) -> list:
    wb = openpyxl.load_workbook(path)
    return [c.value for ws in wb for row in ws.iter_rows() for c in row] + [ws.title for ws in wb]


@pytest.mark.parametrize("text, found", [
    ("原因：too_few_sessions", {"too_few_sessions"}),
    ("规则 checklist 未勾选", {"checklist"}),
    ("周期 month", {"month"}),
    ("YL02-2025-02-照片-0040.jpg、P2025-YL01、2025Q4、t 检验 p", set()),
    ("指标清单 civil-affairs-2024", {"civil-affairs-2024"}),
])
def test_the_scan_finds_codes_and_leaves_codes_of_the_ledgers(text, found):
    assert english_codes([text]) == found


def test_every_reason_code_of_the_demo_has_a_chinese_label(district_eval):
    codes = set(district_eval.explanations["reason_code"].dropna())
    assert codes and codes <= set(labels.REASON_LABELS)


def test_every_photo_finding_has_a_chinese_label():
    # a photo finding becomes a reason_code of explanations once a folder is indexed (indicators.photos)
    from sgzlib.photos.checks import FINDINGS

    assert set(FINDINGS) <= set(labels.REASON_LABELS)
    assert all(labels.reason_label(code) != code for code in FINDINGS)


@pytest.fixture(scope="module")
def district_eval(demo_ds):
    return evaluate(demo_ds, AS_OF)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('vocab') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "xlsx"])
def test_evaluate_outputs(district_eval, demo_ds, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    evaluate_cmd.write(district_eval, fmt, str(out), periods=True,
                       forecast=forecasting.forecast(demo_ds, district_eval) if fmt != "csv" else None)
    if fmt == "xlsx":
        texts = xlsx_texts(out)
    elif fmt == "json":
        payload = json.loads(out.read_text(encoding="utf-8"))
        rows = payload["results"] + payload["forecast"]
        texts = [v for r in rows for k, v in r.items() if k not in CODE_FIELDS]
    else:
        texts = [out.read_text(encoding="utf-8-sig")]
    assert english_codes(texts) == set()
    if fmt in ("csv", "xlsx"):  # the rule column shows the rule's Chinese name
        assert any(isinstance(t, str) and RULES["checklist"].label in t for t in texts)


def test_explain_outputs_for_every_rule_kind(district_eval):
    r = district_eval.summary.drop_duplicates(["rule", "catalogue"])
    texts = []
    for project, indicator in zip(r["project_code"], r["indicator_id"]):
        rows = district_eval.results[(district_eval.results["project_code"] == project)
                                     & (district_eval.results["indicator_id"] == indicator)]
        detail = district_eval.explain(project, indicator)
        texts.append(explain_cmd.report(rows, detail))
        texts.append(evaluate_cmd.display(detail, EXPLAIN_HEADERS).to_csv(index=False))
    assert set(r["rule"]) == set(RULES)  # every rule kind is shown at least once
    assert english_codes(texts) == set()


def test_score_sheets_of_every_project(demo_url, demo_ds, tmp_path):
    for project in demo_ds.projects["code"]:
        report = assessment.build(demo_url, project, "2025-12-31")
        path = tmp_path / f"{project}.xlsx"
        report.write_scoresheet(path)
        texts = xlsx_texts(path)
        assert english_codes(texts) == set(), project
        # the reason column holds the Chinese reason labels
        assert EXPLAIN_HEADERS["reason_code"] in texts


def test_report_frames(demo_url, demo_ds):
    texts = []
    for code in demo_ds.projects["station_code"]:
        rep = station.build(demo_url, code, AS_OF)
        for method in ("indicators", "current_period", "cases", "groups", "worsened", "missing_post", "evidence",
                       "actions", "agenda", "forecast_table", "quality"):
            texts += frame_texts(getattr(rep, method)())
        texts += [rep.title, rep.subtitle] + [str(label) for label, _, _ in rep.headline()]
    a = assessment.build(demo_url, "P2025-YL04", "2025-12-31")
    for method in ("score_table", "evidence_summary", "refused", "outcome_summary", "optional_tasks", "unticked"):
        texts += frame_texts(getattr(a, method)())
    d = district.build(demo_url, "云岭区", AS_OF)
    texts += frame_texts(d.ranking()) + frame_texts(d.visits())
    texts += frame_texts(d.forecast_counts()) + frame_texts(d.forecast_table()) + frame_texts(d.quality())
    texts += [str(label) for label, _, _ in d.headline()]
    assert WILL_MISS in str(texts) and "同一人在两站名单" in str(texts)  # the new parts were scanned
    assert english_codes(texts) == set()


@pytest.mark.parametrize("fmt", ["table", "xlsx"])
def test_quality_outputs(demo_ds, tmp_path, fmt):
    found = quality.findings(demo_ds, quality.build_index(demo_ds, AS_OF), evaluate(demo_ds, AS_OF))
    out = tmp_path / f"out.{fmt}"
    quality_cmd.write(found, fmt, str(out), AS_OF, quality.Settings())
    texts = xlsx_texts(out) if fmt == "xlsx" else [out.read_text(encoding="utf-8")]
    assert len(found) == 5 and english_codes(texts) == set()


def test_dashboard_panels(demo_ds, district_eval):
    texts = []
    for code in demo_ds.projects["station_code"]:
        ev = evaluate_stations(demo_ds, code, AS_OF)
        cases = supervision.with_verdicts(cases_board.of_station(lifecycle.case_overview(demo_ds, AS_OF), code),
                                          supervision.work_verdicts(demo_ds, code, AS_OF, "个案", ev))
        att = supervision.cases_needing_attention(demo_ds, code, AS_OF, ev)
        groups = supervision.groups_at_risk(demo_ds, code, AS_OF, ev)
        texts.append(cases_board.attention_tables(demo_ds, att, groups, supervision.action_items(demo_ds, code, AS_OF)))
        for _, row in cases.iterrows():
            texts += frame_texts(cases_board.case_facts(demo_ds, row))
    results = district_eval.results
    flagged = forecasting.forecast(demo_ds, district_eval)
    texts += frame_texts(progress.action_list(district_eval.summary, flagged))
    texts += [str(label) for label, _, _ in progress.status_kpis(district_eval.summary, flagged)]
    found = quality.findings(demo_ds, quality.build_index(demo_ds, AS_OF))
    texts += [str(label) for label, _, _ in quality_board.check_kpis(found)]
    texts += frame_texts(quality_table(found, with_station=True))
    texts += [label for label, _ in progress.period_options(results)]
    a = outcomes.analyse(demo_ds, AS_OF)
    pairs = outcomes_board.labelled(demo_ds, a.pairs)
    texts += frame_texts(outcomes_board.statistics(demo_ds, a, pairs)) + frame_texts(outcomes_board.worse_list(pairs))
    assert english_codes(texts) == set()
