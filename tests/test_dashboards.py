"""The dashboards in a real browser: Voila serving the demo district, Debian's Chromium driven by Playwright.

One Voila server (preheated kernels) and one browser serve the whole module.
Every figure a test expects is computed here with the library on the same
demo district; each test also checks that the page logged no error and keeps
a screenshot under ``test-output/``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from figure_json import decoded

from sgzlib import indicators
from sgzlib.analysis import supervision
from sgzlib.charts import plots as charts
from sgzlib.dashboards import progress as progress_view
from sgzlib.dashboards.server import LAB_EXTENSIONS_LEFT_OUT, DashboardServer, free_port
from sgzlib.demo import district as demo
from sgzlib.domain import lifecycle, outcomes
from sgzlib.domain import status as statuses
from sgzlib.domain.labels import QUALITY_CHECKS, WILL_MISS
from sgzlib.domain.vocab import CASE_STAGES, GROUP_STAGES, REFERRAL_STAGE
from sgzlib.indicators import evaluate_stations
from sgzlib.indicators.forecast import forecast
from sgzlib.store import storage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AS_OF = demo.AS_OF
TIMEOUT = 90_000  # ms; a loaded 2-core CI machine is slow to start kernels


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory, demo_ds, output_dir):
    """Voila serving the dashboards on a free loopback port, against a SQLite file holding the demo district."""
    base = tmp_path_factory.mktemp("dashboards")
    url = f"sqlite:///{base / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, demo_ds)
    engine.dispose()
    log = output_dir / "dashboards-voila.log"
    log.unlink(missing_ok=True)
    # The progress board is visited twice (statuses, then the forecast and data quality): its pool must be
    # refilled after the first visit, else the second waits for a refill that never comes (503 after the
    # queue time). A refill starts once the visiting page has had a few seconds to render, as for users.
    srv = DashboardServer(url, port=free_port(), as_of=AS_OF.isoformat(), log_path=log, log_level="INFO",
                          fill_delay=10)
    srv.start()
    try:
        srv.wait_ready(timeout=90)
        srv.wait_preheated(timeout=240)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request, output_dir):
    """A fresh page that records console errors and uncaught exceptions, and leaves a screenshot."""
    context = browser.new_context(viewport={"width": 1360, "height": 2400}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    yield pg
    name = re.sub(r"[^\w-]+", "_", request.node.name)
    pg.screenshot(path=str(output_dir / f"dashboard_{name}.png"), full_page=True)
    context.close()


# -- helpers ------------------------------------------------------------------

def open_dashboard(page, server, name: str, ready: str) -> None:
    """Open a dashboard from its preheated pool; a page that does not load says which requests never finished.

    No reload: Voila 0.5 filling three pools at once left about one visit in five stalled for good,
    which ``sgzlib.dashboards.voila_main`` fixes by filling them one at a time; a stall fails here.
    """
    pending = {}
    page.requested = []
    page.on("request", lambda r: (pending.__setitem__(r.url, r.method), page.requested.append(r.url)))
    page.on("requestfinished", lambda r: pending.pop(r.url, None))
    page.on("requestfailed", lambda r: pending.pop(r.url, None))
    try:
        page.goto(server.page_url(name), timeout=90_000)
    except Exception as exc:
        raise AssertionError(f"page did not load; requests still open: {pending}") from exc
    page.wait_for_selector(ready, state="attached")


def kpi(page, panel: str, label: str) -> str:
    return page.locator(f".sgz-panel-{panel} .sgz-kpi[data-label='{label}'] .value").inner_text().strip()


def wait_kpi(page, panel: str, label: str, value) -> None:
    page.wait_for_function(
        "([sel, v]) => { const e = document.querySelector(sel); return e && e.textContent.trim() === v; }",
        arg=[f".sgz-panel-{panel} .sgz-kpi[data-label='{label}'] .value", str(value)])


def plot_data(page, panel: str) -> list[dict]:
    """The traces of the plotly figure shown in a panel (what the browser drew), arrays as lists."""
    return decoded(page.evaluate(
        """sel => { const gd = document.querySelector(sel);
                     const plain = v => ArrayBuffer.isView(v) ? Array.from(v)
                       : Array.isArray(v) ? v.map(plain)
                       : (v && typeof v === 'object') ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
                       : v;
                     return gd ? plain(gd.data) : null; }""",
        f".sgz-panel-{panel} .js-plotly-plot"))


def plot_widths(page, panels: list[str]) -> dict[str, tuple[int, int]]:
    """Per panel: the width of its drawn plot and of the element the plot sits in (px, rounded)."""
    return {name: tuple(page.evaluate(
        """sel => { const gd = document.querySelector(sel);
                     return [Math.round(Number(gd.querySelector('.main-svg').getAttribute('width'))),
                             Math.round(gd.parentElement.getBoundingClientRect().width)]; }""",
        f".sgz-panel-{name} .js-plotly-plot")) for name in panels}


def wait_plot(page, panel: str, predicate_js: str, arg=None) -> None:
    """Wait until the panel's figure satisfies ``predicate_js`` (a JS function of (data, arg))."""
    page.wait_for_function(
        f"""([sel, arg]) => {{ const gd = document.querySelector(sel);
                             if (!gd || !gd.data) return false; return ({predicate_js})(gd.data, arg); }}""",
        arg=[f".sgz-panel-{panel} .js-plotly-plot", arg])


def options(page, control: str) -> list[str]:
    return page.locator(f".sgz-filter-{control} select option").all_inner_texts()


def choose(page, control: str, key: str) -> None:
    """Select the option of a dropdown whose label is ``key`` or contains it (e.g. a code)."""
    labels = options(page, control)
    label = key if key in labels else next(t for t in labels if key in t)
    page.select_option(f".sgz-filter-{control} select", label=label)


def selected(page, control: str) -> str:
    """The label of a dropdown's current option."""
    return page.locator(f".sgz-filter-{control} select").evaluate("s => s.options[s.selectedIndex].text")


def assert_clean(page) -> None:
    assert page.errors == [], "\n".join(page.errors)


def full_names(ds, stations) -> list[str]:
    people = ds.beneficiaries
    return people.loc[people["station_code"].isin(stations), "name"].tolist()


# -- the landing page and what Voila must not expose ----------------------------------------

def test_the_address_of_the_server_opens_the_home_page_linking_every_page_in_chinese(page, server):
    page.goto(server.url)
    page.wait_for_selector(".sgz-page-home .sgz-cards")
    assert page.url == f"{server.base_url}voila/render/home.ipynb" and page.title() == "社工站工作台"  # the token: in its cookie
    titles = page.locator(".sgz-cards h2").all_inner_texts()
    # 管理员: every page (docs/workbench.md), the things to do first, then the three boards
    assert titles == ["上传台账", "督导记录", "评估核验", "评分与签字", "报告",
                      "项目进度看板", "服务成效看板", "个案与小组督导看板"]
    hrefs = [page.locator(f"#sgz-link-{n}").get_attribute("href") for n in ("progress", "outcomes", "cases")]
    assert hrefs == ["progress.ipynb", "outcomes.ipynb", "cases.ipynb"]  # beside the home page, under any prefix
    assert_clean(page)


def assert_source_hidden_and_code_refused(page) -> None:
    """The page carries outputs only; an execute request sent to its kernel is dropped by Voila."""
    html = page.content()
    assert "from sgzlib" not in html and "build()" not in html
    config = json.loads(page.locator("#jupyter-config-data").first.text_content())
    marker = Path(os.environ.get("JUPYTER_RUNTIME_DIR", "/tmp")) / f"sgz-exec-{config['kernelId']}"
    replies = page.evaluate(
        """async ([kernel, code]) => {
             const ws = new WebSocket(`ws://${location.host}/api/kernels/${kernel}/channels`);
             const got = [];
             await new Promise(r => ws.onopen = r);
             ws.onmessage = e => { try { got.push(JSON.parse(e.data).header.msg_type); } catch (_) {} };
             ws.send(JSON.stringify({header: {msg_id: 'x1', msg_type: 'execute_request', username: 'u',
                                              session: 's1', version: '5.3', date: new Date().toISOString()},
                                     parent_header: {}, metadata: {}, channel: 'shell',
                                     content: {code, silent: false, store_history: false, user_expressions: {},
                                               allow_stdin: false, stop_on_error: true}}));
             await new Promise(r => setTimeout(r, 3000));
             ws.close();
             return got;
           }""",
        [config["kernelId"], f"open({str(marker)!r}, 'w').write('ran')"])
    assert "execute_reply" not in replies and "execute_input" not in replies
    assert not marker.exists()


# -- 个案与小组督导看板 ------------------------------------------------------------------------

def station_facts(ds, station: str):
    rules = supervision.AttentionRules()
    cases = lifecycle.case_overview(ds, AS_OF, rules.cases)
    cases = cases[cases["station_code"] == station]
    groups = lifecycle.group_overview(ds, AS_OF, rules.groups)
    groups = groups[groups["station_code"] == station]
    ev = evaluate_stations(ds, station, AS_OF)
    attention = supervision.cases_needing_attention(ds, station, AS_OF, ev, rules)
    at_risk = supervision.groups_at_risk(ds, station, AS_OF, ev, rules)
    return cases, groups.assign(at_risk=groups["code"].isin(at_risk["code"])), attention


def test_cases_dashboard_shows_pipeline_attention_and_timeline_and_follows_filters(page, server, demo_ds):
    open_dashboard(page, server, "cases", ".sgz-panel-pipeline .js-plotly-plot")
    cases, groups, attention = station_facts(demo_ds, "YL01")  # the first station is preselected
    assert kpi(page, "kpis", "个案总数") == str(len(cases))
    assert kpi(page, "kpis", "进行中个案") == str(int(cases["closed"].isna().sum()))
    assert kpi(page, "kpis", "需关注个案") == str(len(attention))
    assert kpi(page, "kpis", "有不被认定风险的小组") == str(int(groups["at_risk"].sum()))
    assert page.title() == "个案与小组督导看板"
    # The page loads the widget extensions it draws with, and none of those it leaves out.
    extensions = {re.search(r"/voila/labextensions/((?:@[^/]+/)?[^/]+)/", u).group(1)
                  for u in page.requested if "/voila/labextensions/" in u}
    assert {"anywidget", "@jupyter-widgets/jupyterlab-manager"} <= extensions
    assert extensions.isdisjoint(LAB_EXTENSIONS_LEFT_OUT), extensions
    assert_source_hidden_and_code_refused(page)
    drawn = plot_data(page, "pipeline")
    by_stage = cases["stage"].value_counts().reindex([*CASE_STAGES, REFERRAL_STAGE], fill_value=0)
    assert drawn[0]["x"] == [*CASE_STAGES, REFERRAL_STAGE] and drawn[0]["y"] == by_stage.tolist()
    assert drawn[1]["y"] == groups["stage"].value_counts().reindex(list(GROUP_STAGES), fill_value=0).tolist()
    attention_text = page.locator(".sgz-panel-attention").inner_text()
    # Planted in the demo: YL01-C03 stalled since spring, YL01-C05 missing records, YL01-G02 sessions under 6.
    for code in ("YL01-C03", "YL01-C05", "YL01-G02"):
        assert code in attention_text
    # The most urgent case is preselected and its timeline drawn.
    first = attention["code"].iloc[0]
    assert selected(page, "case").startswith(first)
    timeline = plot_data(page, "timeline")
    sessions = demo_ds.case_sessions[demo_ds.case_sessions["case_code"] == first]
    drawn_sessions = next(t for t in timeline if t["name"] == "服务")
    assert len(drawn_sessions["x"]) == int((sessions["date"] <= pd.Timestamp(AS_OF)).sum())
    text = page.locator("#rendered_cells").inner_text()
    assert not [n for n in full_names(demo_ds, ["YL01"]) if n in text], "unmasked beneficiary name on the page"

    # A filter change: the station planted as behind, then another of its cases.
    cases, groups, attention = station_facts(demo_ds, "YL04")  # the station planted as behind
    choose(page, "station", "YL04")
    wait_kpi(page, "kpis", "个案总数", len(cases))
    assert kpi(page, "kpis", "需关注个案") == str(len(attention))
    wait_plot(page, "pipeline", "(d, n) => d[0].y.reduce((a, b) => a + b, 0) === n", len(cases))
    page.wait_for_function("() => document.querySelector('.sgz-panel-attention').textContent.includes('YL04-C01')")
    # YL04-C01: planted stalled case of the station
    other = sorted(cases["code"])[-1]
    choose(page, "case", other)
    page.wait_for_function("c => document.querySelector('.sgz-panel-timeline .gtitle')?.textContent.includes(c)",
                           arg=other)
    stage = cases.set_index("code").at[other, "stage"]
    page.wait_for_function("s => document.querySelector('.sgz-panel-case_facts')?.textContent.includes(s)", arg=stage)
    assert_clean(page)


# -- 项目进度看板 ---------------------------------------------------------------------------------

def catalogue_results(ds, catalogue: str):
    projects = progress_view.current_projects(ds, AS_OF, demo.DISTRICT)
    codes = sorted(projects.loc[projects["catalogue_id"] == catalogue, "code"])
    results = indicators.evaluate(ds, AS_OF, projects=codes).results
    return results, results[results["period"] == "全期"]


def heat_counts(traces) -> dict[str, int]:
    """Cells per status in the drawn heatmap (z holds the index in charts.HEAT_ORDER)."""
    from sgzlib.charts.plots import HEAT_ORDER

    z = [v for row in traces[0]["z"] for v in row if v is not None]
    return {s: sum(1 for v in z if v == i) for i, s in enumerate(HEAT_ORDER) if any(v == i for v in z)}


def test_progress_dashboard_shows_statuses_bullets_and_series_and_follows_filters(page, server, demo_ds):
    open_dashboard(page, server, "progress", ".sgz-panel-heatmap .js-plotly-plot")
    projects = progress_view.current_projects(demo_ds, AS_OF, demo.DISTRICT)
    # The catalogue filter opens on 全部: every station of the district, the planted YL04 among them
    assert selected(page, "catalogue").replace("\xa0", " ").startswith(f"全部指标清单（{len(projects)} 个站）")
    results = indicators.evaluate(demo_ds, AS_OF, projects=sorted(projects["code"])).results
    summary = results[results["period"] == "全期"]
    counts = summary["status"].value_counts()
    assert kpi(page, "kpis", "社工站") == str(len(projects))
    for status in indicators.STATUS_ORDER:
        assert kpi(page, "kpis", status) == str(int(counts.get(status, 0)))
    # across catalogues the panel compares shares per station (no indicator is shared)
    bars = plot_data(page, "heatmap")
    shares = statuses.station_shares(summary)
    assert bars[0]["y"] == list(shares.index) and "北岭街道社会工作服务站" in bars[0]["y"]
    # The bullet chart of the preselected station: one bar per indicator with a target, one trace per status.
    station = re.search(r"（(\w+)）$", selected(page, "station")).group(1)
    mine = summary[(summary["station_code"] == station) & (summary["target"].fillna(0) > 0)]
    bars = [(y, x, label) for t in plot_data(page, "bullets") if t["type"] == "bar"
            for y, x, label in zip(t["y"], t["x"], t["text"])]
    real = 100 * mine["actual"].fillna(0) / mine["target"]
    # drawn: the share of target, cut at 150 %; a bar at 0 % is a stub (charts.ZERO_STUB wide) of its status colour
    expected_share = real.clip(upper=charts.PROGRESS_CAP, lower=charts.ZERO_STUB)
    assert len({y for y, _, _ in bars}) == len(bars) == len(mine)
    assert sorted(x for _, x, _ in bars) == pytest.approx(sorted(expected_share.tolist()))
    # the label says the real share, whole percent rounded down, with ↑ when the bar is cut
    labels = [f"{math.floor(v + 1e-9)}%" + ("↑" if v > charts.PROGRESS_CAP else "") for v in real]
    assert sorted(label for _, _, label in bars) == sorted(labels)
    assert (real == 0).sum() == sum(label == "0%" for _, _, label in bars)
    # The monthly series of the preselected per-period indicator.
    name = re.sub(r"（(每月|每季度)）$", "", selected(page, "indicator"))
    periods = results[(results["station_code"] == station) & (results["indicator_name"] == name)
                      & (results["period"] != "全期")].sort_values("period")
    series = plot_data(page, "series")
    assert series[0]["x"] == periods["period"].tolist()
    assert series[0]["y"] == periods["actual"].tolist()
    assert series[1]["y"][0] == periods["target"].iloc[0]
    actions = page.locator(".sgz-panel-actions").inner_text()
    urgent = supervision.indicators_needing_attention(summary)
    assert urgent["indicator_name"].iloc[0] in actions
    # every table can be taken away as CSV and Excel, every chart as PNG (the mode bar's camera)
    assert page.locator(".sgz-panel-actions a[download$='.csv']").count() == 1
    assert page.locator(".sgz-panel-actions a[download$='.xlsx']").count() == 1
    assert page.locator(".sgz-panel-heatmap .modebar-btn[data-title*='PNG'], "
                        ".sgz-panel-heatmap .modebar-btn[data-title*='png'], "
                        ".sgz-panel-heatmap .modebar-btn[data-title*='下载']").count() >= 1
    # Every chart is as wide as its panel (1360 px page: about 1,290 px), not plotly's 700 px default
    # for a plot laid out before its view was in the page.
    widths = plot_widths(page, ["heatmap", "bullets", "series"])
    assert all(svg == panel and panel > 1200 for svg, panel in widths.values()), widths


    # A filter change: another catalogue, then one domain of it.
    results, summary = catalogue_results(demo_ds, "jiuyuan-2024")  # YL03 and YL04 (planted behind)
    choose(page, "catalogue", indicators.load_catalogue("jiuyuan-2024").title)
    counts = summary["status"].value_counts()
    wait_kpi(page, "kpis", "指标（站 × 指标）", len(summary))
    # indicator × station (h-outputs): a column per station, named without the suffix every station shares,
    # a row per indicator, named by its number and short name (the catalogue's label)
    wait_plot(page, "heatmap", "(d, names) => JSON.stringify(d[0].x) === JSON.stringify(names)",
              [n.removesuffix("社会工作服务站") for n in dict.fromkeys(summary["station_name"])])
    label = {i.id: i.label for i in indicators.load_catalogue("jiuyuan-2024").indicators}
    rows = plot_data(page, "heatmap")[0]["y"]
    assert len(rows) == len(set(rows)) and set(rows) == {label[i] for i in summary["indicator_id"]}
    assert heat_counts(plot_data(page, "heatmap")) == {s: int(n) for s, n in counts.items()}
    behind = summary[(summary["station_code"] == "YL04") & summary["status"].isin(["落后", "未达标"])]
    assert len(behind) > 0  # the planted station is behind on something
    domain = summary["domain"].value_counts().index[0]
    choose(page, "domain", domain)
    in_domain = summary[summary["domain"] == domain]
    wait_kpi(page, "kpis", "指标（站 × 指标）", len(in_domain))
    wait_plot(page, "heatmap", "(d, n) => d[0].y.length === n", in_domain["indicator_name"].nunique())
    assert heat_counts(plot_data(page, "heatmap")) == {
        s: int(n) for s, n in in_domain["status"].value_counts().items()}
    assert_clean(page)


def test_progress_dashboard_counts_the_forecast_flag_and_shows_data_quality_on_its_tab(page, server, demo_ds):
    open_dashboard(page, server, "progress", ".sgz-panel-heatmap .js-plotly-plot")
    projects = progress_view.current_projects(demo_ds, AS_OF, demo.DISTRICT)
    ev = indicators.evaluate(demo_ds, AS_OF, projects=sorted(projects["code"]))
    # the demo has no past year: the forecast goes by pace alone, as the library's
    assert kpi(page, "kpis", WILL_MISS) == str(int(forecast(demo_ds, ev)["will_miss"].sum()))
    assert WILL_MISS in page.locator(".sgz-panel-actions").inner_text()
    page.get_by_text("数据质量", exact=True).first.click()  # the tab: its findings are worked out now
    wait_kpi(page, "quality", "问题总数", 5)  # the five planted problems (demo.PLANTED.quality), nothing else
    for words in QUALITY_CHECKS.values():
        assert kpi(page, "quality", words) == "1"
    text = page.locator(".sgz-panel-quality").inner_text()
    assert demo.PLANTED.quality.peer_outlier[1] in text and demo.PLANTED.quality.duplicate_person[0] in text


# -- 服务成效看板 ---------------------------------------------------------------------------------

def test_outcomes_dashboard_shows_pairs_statistics_masked_names_and_follows_filters(page, server, demo_ds):
    open_dashboard(page, server, "outcomes", ".sgz-panel-slopes .js-plotly-plot")
    pairs = outcomes.analyse(demo_ds, AS_OF).pairs
    scale = re.search(r"（([^，（]+)，\d+\s人次）$", selected(page, "scale")).group(1)
    assert scale == pairs["scale"].value_counts().index[0]  # the most used scale first
    mine = pairs[pairs["scale"] == scale]
    assert kpi(page, "kpis", "配对人次") == str(len(mine))
    assert kpi(page, "kpis", "得分变好") == str(int((mine["improvement"] > 0).sum()))
    drawn = plot_data(page, "slopes")
    lines = {t["name"].split("（")[0]: sum(1 for x in t["x"] if x == "前测") for t in drawn}
    better, worse = int((mine["improvement"] > 0).sum()), int((mine["improvement"] < 0).sum())
    assert lines.get("变好", 0) == better and lines.get("变差", 0) == worse
    boxes = plot_data(page, "distribution")
    assert sorted(boxes[0]["y"]) == sorted(mine["pre"].tolist())
    assert sorted(boxes[1]["y"]) == sorted(mine["post"].tolist())
    # The two charts share their row equally (a 1360 px page: about 620 px each), each as wide as its panel.
    widths = plot_widths(page, ["slopes", "distribution"])
    assert all(svg == panel for svg, panel in widths.values()), widths
    assert abs(widths["slopes"][1] - widths["distribution"][1]) <= 1 and widths["slopes"][1] > 550, widths
    stats = page.locator(".sgz-panel-stats").inner_text()
    total = outcomes.summary(demo_ds, by=("scale",), as_of=AS_OF)
    n_total = int(total.loc[total["scale"] == scale, "n"].iloc[0])
    assert "合计" in stats and str(n_total) in stats

    # A filter change: the scale of a beneficiary planted as worse, one station, then casework only.
    person = "YL01-B0002"  # planted: post-test worse than pre-test
    scale = pairs.loc[pairs["beneficiary_code"] == person, "scale"].iloc[0]
    choose(page, "scale", scale)
    choose(page, "station", "YL01")
    mine = pairs[(pairs["scale"] == scale) & (pairs["station_code"] == "YL01")]
    wait_kpi(page, "kpis", "配对人次", len(mine))
    assert kpi(page, "kpis", "得分变差") == str(int((mine["improvement"] < 0).sum()))
    worse = page.locator(".sgz-panel-worse").inner_text()
    assert person in worse
    name = demo_ds.beneficiaries.set_index("code").at[person, "name"]
    assert name not in worse and name[0] + "*" in worse
    page.locator(".sgz-filter-work button", has_text="个案").click()
    cases_only = mine[mine["work_type"] == "个案"]
    wait_kpi(page, "kpis", "配对人次", len(cases_only))
    text = page.locator("#rendered_cells").inner_text()
    assert not [n for n in full_names(demo_ds, ["YL01"]) if n in text]
    assert_clean(page)


def test_dashboards_open_on_the_reports_default_date(chromium, tmp_path_factory, demo_ds, browser, output_dir):
    """Without --as-of the dashboards open on the date the CLI and the reports use by default (asof.default_as_of)."""
    from sgzlib.domain import asof
    from sgzlib.reports import jobs

    base = tmp_path_factory.mktemp("default-date")
    url = f"sqlite:///{base / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, demo_ds)
    engine.dispose()
    expected = asof.default_as_of(demo_ds).isoformat()
    assert jobs.station_jobs(url, ["YL01"])[0].parameters["as_of"] == expected
    env_before = os.environ.pop("SGZ_DASHBOARD_AS_OF", None)
    srv = DashboardServer(url, port=free_port(), log_path=output_dir / "dashboards-default-date.log",
                          fill_delay=3600)  # each dashboard visited once: no refill (see the server fixture)
    srv.start()
    context = None
    try:
        context = browser.new_context(viewport={"width": 1360, "height": 1600}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        srv.wait_ready(timeout=90)
        srv.wait_preheated(timeout=240)  # what is tested is the date shown, not how fast a fresh server answers
        for name, ready in (("progress", ".sgz-panel-kpis .sgz-kpi"), ("outcomes", ".sgz-panel-kpis .sgz-kpi"),
                            ("cases", ".sgz-panel-kpis .sgz-kpi")):
            pg.goto(srv.page_url(name), timeout=120_000)
            pg.wait_for_selector(ready, state="attached", timeout=180_000)
            shown = pg.locator(".sgz-filter-as_of input[type='date']").input_value()
            assert shown == expected, name
            pg.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=180_000)
            # no chart without data: every drawn figure has a trace with at least one value
            empty = pg.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => {
                const has = v => v != null && (Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v).flat()
                    .some(x => x !== null && !(typeof x === 'number' && isNaN(x))) : true);
                return !(gd.data || []).some(t => has(t.z) || has(t.x) || has(t.y)); })
                .map(gd => (gd.layout && gd.layout.title && gd.layout.title.text) || '?')""")
            assert empty == [], f"{name}: 没有数据的图表 {empty}"
            pg.screenshot(path=str(output_dir / f"dashboard_default_{name}.png"), full_page=True)
    finally:
        if context is not None:
            context.close()
        srv.stop()
        if env_before is not None:
            os.environ["SGZ_DASHBOARD_AS_OF"] = env_before
