"""The report notebooks run by papermill on the demo district and on a hand-built station.

One batch (two kernels, one browser) produces every report the tests read;
each test checks content from the written files against the library's own
results or against figures worked out by hand. The PDFs are made when
Chromium is here; the tests that read them need it (and poppler's pdftotext).
"""

from __future__ import annotations

import base64
import html as htmllib
import re
import subprocess

import nbformat
import numpy as np
import pandas as pd
import pytest
from programs import have
from test_supervision import hand_station

from sgzlib.demo import district as demo
from sgzlib.domain.labels import WILL_MISS
from sgzlib.indicators import evaluate
from sgzlib.indicators.catalogue import load_catalogue
from sgzlib.indicators.forecast import forecast
from sgzlib.reports import batch, jobs
from sgzlib.reports.html import external_resources, plotly_file, plotly_js
from sgzlib.store import privacy, storage

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AS_OF = demo.AS_OF.isoformat()


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_ds):
    base = tmp_path_factory.mktemp("notebooks")
    demo_url, hand_url = f"sqlite:///{base / 'demo.db'}", f"sqlite:///{base / 'hand.db'}"
    storage.write_dataset(storage.connect(demo_url), demo_ds, prune=True, scope=None)
    storage.write_dataset(storage.connect(hand_url), hand_station(), prune=True, scope=None)
    todo = (jobs.station_jobs(demo_url, ["YL01"], AS_OF)
            + jobs.station_jobs(demo_url, ["YL04"], AS_OF, unmasked=True)
            + jobs.station_jobs(hand_url, ["S1"], "2025-04-30")
            + jobs.assessment_jobs(demo_url, ["P2025-YL01"], "2025-12-31")
            + jobs.district_jobs(demo_url, ["云岭区"], AS_OF)
            + jobs.digest_jobs(demo_url, None, AS_OF)  # one per demo supervisor: 李督导, 王督导
            + [jobs.Job("station", "NOPE", "NOPE", "NOPE", {"station": "NOPE", "as_of": AS_OF, "db_url": demo_url})])
    formats = ("ipynb", "html", "pdf") if have("chromium", "fonts") else ("ipynb", "html")
    results = batch.run_jobs(todo, base / "out", formats=formats, workers=2, progress=False)
    return {r.job.target: r for r in results}


GOOD = ("YL01", "YL04", "S1", "P2025-YL01", "云岭区", "李督导", "王督导")


def _html(result) -> str:
    return result.files["html"].read_text(encoding="utf-8")


def _pdf_text(result, pdftotext: str) -> str:
    return subprocess.run([pdftotext, str(result.files["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_all_good_reports_written_and_failure_isolated(run):
    for target in GOOD:
        assert run[target].ok, run[target].error
        assert set(run[target].files) >= {"ipynb", "html"}
    bad = run["NOPE"]
    # Cell 1 parameters, 2 injected parameters, 3 the build call that raises NotFoundError.
    assert not bad.ok and bad.cell == 3
    assert "NotFoundError" in bad.error and "站点编码不存在：NOPE" in bad.error
    assert bad.files["ipynb"].exists() and "pdf" not in bad.files


def test_every_good_report_has_its_pdf(run, chromium):
    for target in GOOD:
        assert run[target].files["pdf"].read_bytes()[:5] == b"%PDF-", target


def test_html_is_offline(run):
    for target in ("YL01", "YL04", "S1", "P2025-YL01", "云岭区"):
        page = _html(run[target])
        assert external_resources(page) == []
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", page, re.IGNORECASE)
        assert "Plotly.newPlot" in page and "<pre" not in page.split("<body", 1)[1][:2000]


MAX_HTML_BYTES = 1_500_000  # issue 33: a report's HTML at most 1.5 MB (it was 5.2 MB with plotly.js inside)


def test_html_is_small_and_its_plotly_is_next_to_it(run):
    for target in GOOD:
        path = run[target].files["html"]
        page = path.read_text(encoding="utf-8")
        assert path.stat().st_size <= MAX_HTML_BYTES, (target, path.stat().st_size)
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
        assert scripts == [plotly_file()], target  # the one script fetched: the shared file, by a relative path
        shared = path.parent / scripts[0]
        assert shared.read_bytes() == plotly_js().encode("utf-8"), target  # whole, next to the report
        assert plotly_js()[:2000] not in page  # and not embedded as well
    folders = {run[t].files["html"].parent for t in GOOD}
    for folder in folders:  # once per folder, however many reports it holds
        assert [p.name for p in folder.glob("*.js")] == [plotly_file()]


def test_station_report_matches_library(run, demo_ds):
    page = _html(run["YL01"])
    ds = privacy.mask_dataset(demo_ds.subset("YL01"))
    ev = evaluate(ds, demo.AS_OF, projects=["P2025-YL01"])
    summary = ev.summary
    assert f'<div class="v">{len(summary)}</div><div class="l">指标总数</div>' in page
    met = int((summary["status"] == "达标").sum())
    assert f'<div class="v">{met}</div><div class="l">达标</div>' in page
    # each indicator's row: its number, its full name, then its status and the year-end forecast beside it
    will_miss = forecast(ds, ev).groupby("indicator_id")["will_miss"].any()
    for _, row in summary.iterrows():
        cells = re.search(rf'<tr><td class="sgz-code">{re.escape(row["indicator_id"])}</td>'
                          rf'<td>{re.escape(htmllib.escape(row["indicator_name"]))}</td>(.*?)</tr>', page)
        assert cells, row["indicator_name"]
        assert f">{row['status']}</td>" in cells.group(1)
        assert (f"<td>{WILL_MISS}</td>" in cells.group(1)) == bool(will_miss.get(row["indicator_id"], False))
    assert will_miss.any()
    for code in ("YL01-C03", "YL01-G02"):  # a planted stalled case and a planted short group
        assert f'<td class="sgz-code">{code}</td>' in page


def test_hand_station_figures(run):
    page = _html(run["S1"])
    row = re.search(r'<tr><td class="sgz-code">C1</td>(.*?)</tr>', page).group(1)
    # C1: idle 86 days (02-03 → 04-30), stalled; C2 misses its 预估表; D1 is 20 days overdue (04-10 → 04-30).
    assert '<td class="sgz-num">86</td>' in row and "停滞" in row  # numbers carry the right-aligned class
    assert re.search(r'<tr><td class="sgz-code">C2</td>.*?预估表.*?</tr>', page)
    assert "1 项行动项已逾期" in page and "逾期 20 天" in page
    # G1 under zhalainuoer-2026 (≥6 people and a sign-in sheet a session): session 2 does not count
    assert '<td class="sgz-code">G1</td>' in page and "第2节（签到 4 人&lt;6，无签到表）" in page
    assert "张*三" in page and "张小三" not in page and "13812341234" not in page


def _visible_text(page: str) -> str:
    """The text a reader sees: no scripts, styles or tags."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("target", ["YL01", "YL04", "S1", "P2025-YL01", "云岭区"])
def test_report_html_shows_no_english_codes(run, target):
    from test_vocabulary import english_codes

    assert english_codes([_visible_text(_html(run[target]))]) == set()


def test_stalled_jiuyuan_cases_show_what_they_lack(run):
    # §四 of YL04 (jiuyuan-2024 asks the complete record set): the stalled cases lack 评估表 and 结案表,
    # exactly as the engine says why they do not count
    page = _html(run["YL04"])
    for code in ("YL04-C01", "YL04-C02", "YL04-C03", "YL04-C04"):
        row = re.search(rf'<tr><td class="sgz-code">{code}</td>(.*?)</tr>', page).group(1)
        assert "评估表、结案表</td>" in row and "不计入：文书不全：缺评估表、结案表" in row
        assert "需 ≥5 节" not in row


def test_pdf_text(run, demo_ds, chromium, poppler):
    text = re.sub(r"\s+", "", _pdf_text(run["YL01"], poppler))
    assert "东湖街道社会工作服务站督导报告" in text
    summary = evaluate(demo_ds.subset("YL01"), demo.AS_OF, projects=["P2025-YL01"]).summary
    # the charts name every indicator by its number and short name (the catalogue's `short`, issue 30), which
    # stay whole in the text; full names wrap inside table cells, so pdftotext interleaves them with other cells
    labels = {i.id: re.sub(r"\s+", "", i.label) for i in load_catalogue("zhalainuoer-2026").indicators}
    assert len(summary) == 60 and all(labels[i] in text for i in summary["indicator_id"])
    assert "ZL-JS-10文书档案制度" in text and "ZL-JS-02办公场所" in text  # the catalogue's short names, by hand
    district = re.sub(r"\s+", "", _pdf_text(run["云岭区"], poppler))
    assert all(name in district for name in demo_ds.stations.loc[demo_ds.stations["level"] == "乡镇街道站", "name"])


def _personal(demo_ds):
    people = demo_ds.beneficiaries
    return list(people["phone"].dropna()) + [n for n in people["name"] if len(n) >= 3]


@pytest.mark.parametrize("target", ["YL01", "P2025-YL01", "云岭区"])
def test_masked_outputs_hold_no_personal_data(run, demo_ds, target):
    result = run[target]
    texts = [_html(result), result.files["ipynb"].read_text(encoding="utf-8")]
    for value in _personal(demo_ds):
        assert not any(value in t for t in texts), value
    assert "均已脱敏" in texts[0]


@pytest.mark.parametrize("target", ["YL01", "P2025-YL01", "云岭区"])
def test_masked_pdfs_hold_no_personal_data(run, demo_ds, target, chromium, poppler):
    text = _pdf_text(run[target], poppler)
    assert len(re.sub(r"\s+", "", text)) > 500  # a PDF with its words (an empty one would prove nothing)
    assert not [value for value in _personal(demo_ds) if value in text]


def test_unmasked_station_report_says_so(run, demo_ds):
    page = _html(run["YL04"])
    assert "--unmasked" in page and "不得外传" in page
    names = demo_ds.beneficiaries.set_index("code")["name"]
    assert names["YL04-B0023"] in page  # the beneficiary of the stalled case YL04-C02, shown in full


def test_assessment_total_and_scoresheet(run, demo_ds):
    result = run["P2025-YL01"]
    summary = evaluate(demo_ds.subset("YL01"), "2025-12-31", projects=["P2025-YL01"]).summary
    page = _html(result)
    # no scoring scheme: cards that add up to the indicators, and no points total (docs/counting-rules.md rule 12)
    counts = summary["status"].value_counts()
    assert f'<div class="v">{len(summary)}</div><div class="l">指标数</div>' in page
    for status in ("达标", "未达标", "待核验"):
        assert f'<div class="v">{counts.get(status, 0)}</div><div class="l">{status}</div>' in page
    assert "总得分" not in page and "得分（按评分细则）" not in page and "不计算总分" in page
    assert result.files["xlsx"].exists()


def _array(value):
    """A plotly JSON array: a list, or a typed array (dtype, base64 bytes, shape)."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if value.get("shape"):
            out = out.reshape([int(n) for n in str(value["shape"]).split(",")])
        return out.tolist()
    return value


def test_district_heatmaps_match_library(run, demo_ds):
    nb = nbformat.read(run["云岭区"].files["ipynb"], as_version=4)
    figs = [o["data"]["application/vnd.plotly.v1+json"] for c in nb.cells for o in c.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]
    heatmaps = [f for f in figs if f["data"][0]["type"] == "heatmap"]
    summary = evaluate(demo_ds, demo.AS_OF).summary
    # indicators down, stations across: one heatmap per catalogue, split between domains into parts of at most
    # 36 indicators (one A4 page). By hand, the domains of each catalogue in its order:
    # civil-affairs-2024 53 = 10+8+8+8 | 8+4+7 → 2; jiuyuan-2024 42 (> 36, runs of ≤ 8) → 2;
    # panzhihua-2021 16 → 1; zhalainuoer-2026 60 = 14+8+8 | 8+8+4+4+3+3 → 2
    assert len(heatmaps) == 2 + 2 + 1 + 2
    order = ("未达标", "落后", "待核验", "未开始", "进度正常", "达标")
    names = summary["station_name"].unique()
    full = {**{n: n for n in names}, **{n.removesuffix("社会工作服务站"): n for n in names}}  # axis: short names
    seen = 0
    drawn: dict[str, dict] = {}
    for fig in heatmaps:
        trace = fig["data"][0]
        z, text = _array(trace["z"]), trace["text"]
        assert 0 < len(trace["y"]) <= 36
        for j, station in enumerate(trace["x"]):
            # Each cell's hover text starts with the full indicator name; its colour code is the status.
            cells = {text[i][j].split("<br>")[0]: order[int(row[j])] for i, row in enumerate(z)
                     if row[j] is not None and not pd.isna(row[j])}
            drawn.setdefault(full[station], {}).update(cells)
            seen += len(cells)
    for station, cells in drawn.items():
        assert cells == summary[summary["station_name"] == station].set_index("indicator_name")["status"].to_dict()
    assert seen == len(summary.drop_duplicates(["station_name", "indicator_name"]))


_DIGEST_EXPECTED: dict = {}


def _digest_expected(demo_ds, code: str):
    """The engine's most urgent agenda item and overdue action count of one station, computed here without
    the report modules (evaluation, outcomes, attention); once per station for both supervisors' digests."""
    from sgzlib.analysis import supervision
    from sgzlib.domain import outcomes

    if code not in _DIGEST_EXPECTED:
        ds = privacy.mask_dataset(demo_ds.subset(code))
        project = ds.projects.loc[ds.projects["station_code"] == code, "code"].iloc[0]
        analysis = outcomes.analyse(ds, demo.AS_OF)
        att = supervision.station_attention(ds, code, demo.AS_OF, evaluation=evaluate(ds, demo.AS_OF, projects=[project]),
                                            worsened=outcomes.worsened(ds, analysis=analysis),
                                            missing_post=outcomes.missing_post(ds, demo.AS_OF, analysis=analysis))
        _DIGEST_EXPECTED[code] = (att.agenda.iloc[0], int(att.actions["overdue"].sum()))
    return _DIGEST_EXPECTED[code]


@pytest.mark.parametrize("supervisor", ["李督导", "王督导"])
def test_supervisor_digest_pages(run, demo_ds, supervisor, chromium, poppler):
    """One PDF page per station, each naming its station and the engine's most urgent agenda item."""
    import pdfplumber

    from sgzlib.domain import supervision_records

    result = run[supervisor]
    assert result.ok, result.error
    page_html = _html(result)
    assert external_resources(page_html) == [] and "均已脱敏" in page_html
    pdf_text = _pdf_text(result, poppler)
    assert not any(value in page_html or value in pdf_text for value in _personal(demo_ds))
    cover = supervision_records.supervisor_stations(demo_ds, AS_OF)
    stations = cover.loc[cover["supervisor"] == supervisor, "station_code"].tolist()
    # the 督导者 of the demo's 社工站 sheet: 王督导 YL01–YL04, 李督导 YL05–YL07
    assert stations == {"王督导": ["YL01", "YL02", "YL03", "YL04"], "李督导": ["YL05", "YL06", "YL07"]}[supervisor]
    with pdfplumber.open(result.files["pdf"]) as pdf:
        count = len(pdf.pages)
    # pdftotext, not pdfplumber, for the words: the CJK font's ToUnicode maps some characters to radicals
    # (⼯ for 工) that pdfplumber passes on; pdftotext separates pages with form feeds
    pages = [re.sub(r"\s+", "", p) for p in pdf_text.split("\f")][:count]
    assert len(pages) == len(stations)  # at most one page per station, and every station has its page
    names = demo_ds.stations.set_index("code")["name"]
    for page, code in zip(pages, stations):
        top, overdue = _digest_expected(demo_ds, code)
        assert names[code] in page and re.sub(r"\s+", "", top["what"]) in page, (code, top["what"])
        assert f"逾期行动项{overdue}项" in page and f"逾期行动项（{overdue}）" in page
