"""The workbench in a real browser, through JupyterHub, on PostgreSQL (issue 29).

Users of the harness (``workbench_harness.USERS``): 站点社工 of YL01 (worker_a) and of YL02 (worker_b), an
评估方 of the district. Each logs in through the Hub's form in a browser context of their own. What they may
do comes from the role table of the issue (written out here by hand), what they may see from the demo
district; what lands in the database is read back as its owner.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlalchemy as sa
import workbench_harness as wh

from sgzlib.demo import district as demo
from sgzlib.store import audit

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres]

BOARDS = ["项目进度看板", "服务成效看板", "个案与小组督导看板"]
# The table: 站点社工 uploads and reports; 评估方 verifies, scores, signs off (h-eval's pages) and, as any
# user, generates reports; everyone reads the boards.
HOME = {"worker_a": ["上传台账", "报告", *BOARDS], "evaluator": ["评估核验", "评分与签字", "报告", *BOARDS]}
GOOD_CHANGES = {2: 9, 3: 11}  # 服务记录, Excel row → the 参与人次 written there
BAD_CELLS = {("服务记录", 2, "服务日期"): "2025-13-45", ("服务记录", 3, "服务对象编码"): "YL01-B9999",
             ("服务对象", 3, "对象类别"): "外星人"}


@pytest.fixture(scope="module")
def hub(pg_url, demo_ds, tmp_path_factory, output_dir):
    wh.needs_hub()
    work = tmp_path_factory.mktemp("workbench-hub")
    with wh.hub_deployment(pg_url, demo_ds, work, output_dir / "workbench-hub.log") as deployment:
        yield deployment


@pytest.fixture(scope="module")
def books(hub, tmp_path_factory):
    """YL01's ledger as exported, edited to change two services (good) or to break three cells (bad); YL02's."""
    folder = tmp_path_factory.mktemp("books")
    engine = hub.engine()
    try:
        yl01 = wh.export_station(engine, "YL01", folder / "导出.xlsx")
        yl02 = wh.export_station(engine, "YL02", folder / "西山镇.xlsx")
    finally:
        engine.dispose()
    good = wh.edit_book(yl01, folder / "东湖街道.xlsx",
                        {("服务记录", row, "参与人次"): n for row, n in GOOD_CHANGES.items()})
    bad = wh.edit_book(yl01, folder / "东湖街道_有错.xlsx", BAD_CELLS)
    codes = {row: wh.cell(yl01, "服务记录", row, "记录编号") for row in GOOD_CHANGES}
    return {"good": good, "bad": bad, "other": yl02, "codes": codes}


@pytest.fixture(scope="module")
def browser():
    with wh.browser() as b:
        yield b


@pytest.fixture(scope="module")
def sessions(hub, browser):
    """worker_a, worker_b and the evaluator logged in, each on their home page."""
    out = {}
    try:
        for who in ("worker_a", "worker_b", "evaluator"):
            out[who] = wh.log_in(browser, hub, who)
        yield {who: page for who, (_, page) in out.items()}
    finally:
        for context, _ in out.values():
            context.close()


def attendance(hub, codes) -> dict[str, int]:
    engine = hub.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT code, attendance FROM services WHERE code = ANY(:c)"),
                                {"c": list(codes)}).all()
    finally:
        engine.dispose()
    return dict(rows)


def audit_rows(hub) -> pd.DataFrame:
    engine = hub.engine()
    try:
        return audit.read(engine)
    finally:
        engine.dispose()


def test_each_user_has_a_home_page_with_what_their_role_may_do(hub, sessions, output_dir):
    for who, titles in HOME.items():
        page = sessions[who]
        wh.open_page(page, hub.page_url(who, "home"), "home")
        assert wh.home_titles(page) == titles, who
        bar = page.locator(".sgz-bar").inner_text()
        assert hub.logins[who] in bar and re.search(r"数据更新于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", bar), bar
        wh.shot(page, output_dir, f"hub_home_{who}")
    assert "个人信息已脱敏" in sessions["evaluator"].locator(".sgz-bar").inner_text()
    # worker_a sees their township only (the demo's YL01), and no other station's name anywhere on the page
    scope = sessions["worker_a"]
    wh.open_page(scope, hub.page_url("worker_a", "home"), "home")
    text = scope.locator(".sgz-panel-scope").inner_text()
    assert "东湖街道社会工作服务站（YL01）" in text and "（1 个）" in text and "西山镇" not in scope.content()


def test_no_page_of_another_role_or_another_user_is_served(hub, sessions):
    evaluator, worker = sessions["evaluator"], sessions["worker_a"]
    refused = evaluator.request.get(hub.page_url("evaluator", "upload"))
    assert refused.status == 403 and "无权使用此页面" in refused.text()
    # the notebook is not in the evaluator's server at all: its other addresses do not serve it either
    for path in ("voila/files/upload.ipynb", "voila/render/./upload.ipynb", "voila/tree/upload.ipynb"):
        reply = evaluator.request.get(hub.user_url("evaluator", path), max_redirects=0)
        assert reply.status in (302, 403, 404), (path, reply.status)
        assert "上传台账" not in reply.text() or reply.status == 403
    # another user's server: the Hub refuses (403), and no station of theirs reaches the page
    other = worker.request.get(hub.page_url("worker_b", "home"))
    assert other.status == 403 and "西山镇" not in other.text()
    # the report downloads: nothing outside the user's own folder
    for path in ("sgz/files/../access.yaml", "sgz/files/%2e%2e/%2e%2e/access.yaml", "sgz/files/.sgz-reports.json",
                 "sgz/files/%2e%2e%2f%2e%2e%2faccess.yaml"):
        reply = worker.request.get(hub.user_url("worker_a", path))
        assert reply.status in (403, 404) and "role_prefix" not in reply.text(), path


def test_a_bad_workbook_shows_every_error_and_writes_nothing(hub, sessions, books, output_dir):
    page = sessions["worker_a"]
    before = (attendance(hub, books["codes"].values()), len(audit_rows(hub)))
    wh.open_page(page, hub.page_url("worker_a", "upload"), "upload")
    assert "不超过 20 MB" in page.locator(".sgz-limit").inner_text()
    wh.choose_file(page, books["bad"])
    page.wait_for_selector(".sgz-panel-errors")
    table = wh.table(page, ".sgz-panel-errors table")
    got = {(r["工作表"], int(r["行号"]), r["列"]) for _, r in table.iterrows()}
    assert got == {(sheet, row, header) for sheet, row, header in BAD_CELLS}
    assert page.locator("a.sgz-errors-download").count() == 1
    wh.shot(page, output_dir, "hub_upload_errors")
    # refused whole: neither the rows nor an audit row
    assert (attendance(hub, books["codes"].values()), len(audit_rows(hub))) == before


def test_a_workbook_of_another_station_is_refused_by_the_database_role(hub, sessions, books):
    page = sessions["worker_a"]
    before = len(audit_rows(hub))
    wh.open_page(page, hub.page_url("worker_a", "upload"), "upload")
    wh.choose_file(page, books["other"])
    page.wait_for_selector(".sgz-panel-errors")
    text = page.locator(".sgz-panel-errors").inner_text()
    assert "无权导入，未写入任何内容" in text and "权限范围不包括站点 YL02、YL02-V1、YL02-V2" in text, text
    assert len(audit_rows(hub)) == before


def test_a_good_workbook_lands_with_its_audit_row_naming_the_user(hub, sessions, books, output_dir):
    page = sessions["worker_a"]
    wh.open_page(page, hub.page_url("worker_a", "home"), "home")
    page.click("#sgz-link-upload")  # click 1 of 3: the card on the home page
    page.wait_for_selector(".sgz-page-upload button.sgz-upload", state="visible")
    wh.choose_file(page, books["good"])  # click 2: the upload button (and the file in the browser's chooser)
    page.wait_for_selector(".sgz-confirm")
    assert "修改 2 行" in page.locator(".sgz-totals").inner_text()
    page.select_option(".sgz-rows-pick select", label="服务记录 · 修改（2 行）")
    page.wait_for_selector(".sgz-rows table")
    rows = wh.table(page, ".sgz-rows table")
    assert rows["Excel 行号"].tolist() == [str(r) for r in GOOD_CHANGES]
    assert rows["参与人次"].tolist() == [str(n) for n in GOOD_CHANGES.values()]
    wh.shot(page, output_dir, "hub_upload_confirmation")
    assert attendance(hub, books["codes"].values()) != {books["codes"][r]: n for r, n in GOOD_CHANGES.items()}
    page.click(".sgz-confirm")  # click 3
    page.wait_for_selector(".sgz-panel-imported")
    wh.shot(page, output_dir, "hub_upload_done")
    assert attendance(hub, books["codes"].values()) == {books["codes"][r]: n for r, n in GOOD_CHANGES.items()}
    rows_ = audit_rows(hub)
    mine = rows_[(rows_["action"] == "import") & (rows_["file_name"] == "东湖街道.xlsx")]
    # the check (a dry run) and the import, both in the user's name
    assert mine[["login", "dry_run", "changed"]].values.tolist() == [[hub.logins["worker_a"], True, 2],
                                                                     [hub.logins["worker_a"], False, 2]]
    # a page opened now shows the import (read fresh): the home page's recent operations
    wh.open_page(page, hub.page_url("worker_a", "home"), "home")
    assert "东湖街道.xlsx" in page.locator(".sgz-panel-recent").inner_text()


def test_a_report_is_generated_in_the_background_and_downloaded(hub, sessions, output_dir):
    page = sessions["worker_a"]
    wh.open_page(page, hub.page_url("worker_a", "home"), "home")
    page.click("#sgz-link-reports")  # click 1 of 3: the card
    page.wait_for_selector(".sgz-page-reports .sgz-generate", state="visible")
    targets = page.locator(".sgz-report-target select option").all_inner_texts()
    assert targets == ["东湖街道社会工作服务站（YL01）"]  # worker_a's only township
    page.click(".sgz-generate")  # click 2: the defaults are this station on the boards' date
    page.wait_for_selector(".sgz-job-running, .sgz-job-queued, .sgz-job-done", state="attached")
    # the page stays usable while the report runs: the kind can be changed and answers at once
    page.click(".sgz-report-kind button:has-text('年终评估')")
    page.wait_for_function("() => document.querySelector('.sgz-report-target select').options[0].text.includes('P2025-YL01')")
    page.wait_for_selector(".sgz-job-done", timeout=600_000)
    wh.shot(page, output_dir, "hub_reports")
    expected = hub.reports_of("worker_a") / "station" / f"YL01_{demo.AS_OF.isoformat()}.html"
    assert expected.is_file()
    with page.expect_download() as download:
        page.locator(".sgz-job-done a.sgz-dl", has_text="HTML").first.click()  # click 3
    assert download.value.suggested_filename == expected.name
    assert download.value.path().read_bytes() == expected.read_bytes()
    listed = page.locator(".sgz-report-list tr.sgz-written").first.inner_text()
    assert "督导报告" in listed and "YL01" in listed
    rows_ = audit_rows(hub)
    report = rows_[(rows_["action"] == "report") & (rows_["login"] == hub.logins["worker_a"])]
    assert len(report) == 1 and report["stations"].iloc[0] == "YL01"
    # worker_b's server has no such file, and worker_a's server is not worker_b's to ask
    relative = f"sgz/files/station/{expected.name}"
    assert sessions["worker_b"].request.get(hub.user_url("worker_b", relative)).status == 404
    assert sessions["worker_b"].request.get(hub.user_url("worker_a", relative)).status == 403
