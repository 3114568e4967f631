"""The same pages under ``sgz dashboard`` on SQLite (issue 29): one computer, its user a 管理员.

The home page lists every page; a preheated board built before an import shows the imported data when it is
visited, without a restart; a workbook uploaded in the browser lands, its audit row naming this computer's
user. Expected figures: the demo district has 7 township stations with a 2025 project; the workbook adds
an 8th (新城镇, with a project and no records yet).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import sqlalchemy as sa
import workbench_harness as wh
from ledger_books import rows, write_book

from sgzlib.dashboards.session import local_login
from sgzlib.ledger import import_workbook
from sgzlib.store import audit, storage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EVERY_PAGE = ["上传台账", "督导记录", "评估核验", "评分与签字", "报告", "项目进度看板", "服务成效看板",
              "个案与小组督导看板"]
NEW_STATION = {"code": "YL08", "name": "新城镇社会工作服务站", "level": "乡镇街道站", "parent_code": "YL00",
               "district": "云岭区", "provider": "云岭区益众社会工作服务中心"}
NEW_PROJECT = {"code": "P2025-YL08", "station_code": "YL08", "year": 2025, "start": dt.date(2025, 1, 1),
               "end": dt.date(2025, 12, 31), "budget": 100000.0, "catalogue": "zhalainuoer-2026"}


@pytest.fixture(scope="module")
def local(chromium, demo_ds, tmp_path_factory, output_dir):
    folder = tmp_path_factory.mktemp("workbench-local")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, demo_ds)
    engine.dispose()
    with wh.local_server(url, output_dir / "workbench-local.log", folder / "out", pool_size=1,
                         fill_delay=0) as srv:
        srv.wait_preheated(timeout=300)
        yield {"server": srv, "url": url, "folder": folder}


@pytest.fixture(scope="module")
def browser(chromium):
    with wh.browser() as b:
        yield b


def stations_kpi(page) -> str:
    return page.locator(".sgz-panel-kpis .sgz-kpi[data-label='社工站'] .value").inner_text().strip()


def test_the_home_page_of_the_single_machine_user_lists_every_page(local, browser, output_dir):
    context, page = wh.new_page(browser)
    try:
        page.goto(local["server"].url)  # / leads home
        page.wait_for_selector(".sgz-page-home .sgz-cards")
        assert page.url.endswith("/voila/render/home.ipynb")
        assert wh.home_titles(page) == EVERY_PAGE
        assert page.locator(".sgz-user").inner_text() == f"本机用户（{local_login()}） · 管理员 · 全部站点"
        wh.shot(page, output_dir, "local_home_admin")
        assert page.errors == []
    finally:
        context.close()


def test_a_preheated_board_shows_data_imported_after_it_was_built(local, browser, tmp_path, output_dir):
    srv = local["server"]
    context, page = wh.new_page(browser)
    try:
        wh.open_page(page, srv.page_url("progress"), "progress")
        page.wait_for_selector(".sgz-panel-kpis .sgz-kpi")
        assert stations_kpi(page) == "7"
    finally:
        context.close()
    time.sleep(5)  # the closed page's kernel ends (beacon, 3 s); the pool renders a new one at once (fill_delay=0)
    srv.wait_preheated(timeout=300)  # ... which has read the database before the import below
    book = write_book(tmp_path / "新城镇.xlsx", {"社工站": rows("stations", [NEW_STATION]),
                                                 "项目": rows("projects", [NEW_PROJECT])})
    engine = storage.connect(local["url"])
    try:
        result = import_workbook(engine, book)
    finally:
        engine.dispose()
    imported_at = dt.datetime.now().replace(microsecond=0)
    assert [s.sheet for s in result.sheets if s.new] == ["社工站", "项目"]
    context, page = wh.new_page(browser)
    try:
        wh.open_page(page, srv.page_url("progress"), "progress")
        page.wait_for_function("() => { const e = document.querySelector(\".sgz-panel-kpis .sgz-kpi[data-label='社工站'] "
                               ".value\"); return e && e.textContent.trim() === '8'; }")
        fresh = re.search(r"数据更新于 (\S+ \S+)", page.locator(".sgz-fresh").inner_text()).group(1)
        assert dt.datetime.fromisoformat(fresh) >= imported_at - dt.timedelta(seconds=1)
        assert "新城镇社会工作服务站" in page.locator(".sgz-filter-station select").inner_text()
        wh.shot(page, output_dir, "local_progress_fresh")
    finally:
        context.close()


def test_an_upload_in_the_browser_lands_in_the_name_of_this_computer_s_user(local, browser, tmp_path, output_dir):
    engine = storage.connect(local["url"])
    try:
        source = wh.export_station(engine, "YL02", tmp_path / "导出.xlsx")
        code = wh.cell(source, "服务记录", 2, "记录编号")
        book = wh.edit_book(source, tmp_path / "西山镇.xlsx", {("服务记录", 2, "参与人次"): 77})
        context, page = wh.new_page(browser)
        try:
            wh.open_page(page, local["server"].page_url("upload"), "upload")
            wh.choose_file(page, book)
            page.wait_for_selector(".sgz-confirm")
            page.click(".sgz-confirm")
            page.wait_for_selector(".sgz-panel-imported")
            assert page.errors == []
        finally:
            context.close()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT attendance FROM services WHERE code = :c"), {"c": code}).scalar() == 77
        log = audit.read(engine)
        landed = log[(log["file_name"] == "西山镇.xlsx") & ~log["dry_run"].astype(bool)]
        assert landed[["login", "action", "changed"]].values.tolist() == [[local_login(), "import", 1]]
    finally:
        engine.dispose()


def test_a_user_of_the_access_file_gets_their_role_s_pages_and_stations_on_sqlite(local, browser, tmp_path, output_dir):
    access_file = tmp_path / "用户与角色.yaml"
    access_file.write_text("users:\n  - {login: yl_supervisor, name: 云岭区督导, role: 督导, stations: [YL01, YL02, YL03]}\n",
                           encoding="utf-8")
    with wh.local_server(local["url"], output_dir / "workbench-local-supervisor.log", tmp_path / "out",
                         user="yl_supervisor", access_file=str(access_file)) as srv:
        context, page = wh.new_page(browser)
        try:
            wh.open_page(page, srv.page_url("home"), "home")
            assert wh.home_titles(page) == ["督导记录", "报告", "项目进度看板", "服务成效看板",
                                            "个案与小组督导看板"]  # 督导: records sessions, no upload
            assert page.locator(".sgz-user").inner_text() == "云岭区督导（yl_supervisor） · 督导 · 站点：YL01、YL02、YL03（含下属村社区室）"
            assert "（3 个）" in page.locator(".sgz-panel-scope").inner_text()
            wh.shot(page, output_dir, "local_home_supervisor")
            refused = page.request.get(srv.page_url("upload"))
            assert refused.status == 403 and "无权使用此页面" in refused.text()
            wh.open_page(page, srv.page_url("reports"), "reports")
            assert page.locator(".sgz-report-target select option").all_inner_texts() == [
                "东湖街道社会工作服务站（YL01）", "西山镇社会工作服务站（YL02）", "南桥镇社会工作服务站（YL03）"]
            assert page.errors == []
        finally:
            context.close()
