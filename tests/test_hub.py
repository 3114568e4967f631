"""The multi-user deployment (``deploy/``) in a real browser: JupyterHub, its proxy, one sgz Voila per user.

The demo district lies in a PostgreSQL schema of its own; an access file with a 站点社工 of YL01 and a
督导 of YL02 and YL03 is applied (role names unique to the run, dropped afterwards). The Hub runs from
``deploy/jupyterhub_config.py`` on free loopback ports; both users log in, each in their own browser
context, and open the progress dashboard. What each may see is computed here from the demo dataset in
pandas; PostgreSQL's row-level security is what makes the page show only that.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
import workbench_harness as wh

from sgzlib.dashboards import pages
from sgzlib.dashboards.server import wait_preheated
from sgzlib.demo import district as demo
from sgzlib.errors import ConfigError

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TIMEOUT = 120_000  # ms: a user's first visit starts their server and a kernel on a loaded 2-core machine
SCOPES = {"worker": ["YL01"], "supervisor": ["YL02", "YL03"]}


@pytest.fixture(scope="module")
def deployment(pg_url, demo_ds, tmp_path_factory, output_dir):
    """The demo district in its own schema, access applied for two users, the Hub running on free ports
    (``workbench_harness``), each user's pages preheated as in a district."""
    wh.needs_hub()
    users = {"worker": ("站点社工", {"stations": SCOPES["worker"]}),
             "supervisor": ("督导", {"stations": SCOPES["supervisor"]})}
    with wh.hub_deployment(pg_url, demo_ds, tmp_path_factory.mktemp("hub"), output_dir / "hub.log", users,
                           pool_size=1) as d:
        yield {"url": d.url, "logins": d.logins, "passwords": d.passwords, "pid": d.pid}


@pytest.fixture(scope="module")
def browser(deployment):
    with wh.browser() as b:
        yield b


def visible_stations(ds, scope: list[str]) -> list[str]:
    """The township stations of ``scope`` that have a project started by the demo date (pandas, not SQL)."""
    projects = ds.projects[ds.projects["start"] <= pd.Timestamp(demo.AS_OF)]
    return sorted(set(projects["station_code"]) & set(scope))


def log_in_and_start_server(browser, deployment, who: str):
    """Log ``who`` in in a browser context of their own and have the Hub start their server (their home page)."""
    login = deployment["logins"][who]
    context, page = wh.new_page(browser)
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{deployment['url']}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", deployment["passwords"][login])
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(hub/spawn|hub/spawn-pending|user)/.*"))
    page.goto(f"{deployment['url']}/hub/spawn/{login}?next={quote(f'/user/{login}/')}")
    page.wait_for_url(re.compile(rf".*/user/{login}/voila/render/home\.ipynb$"))
    page.wait_for_selector("#sgz-link-progress", state="attached")  # the home page links the boards
    return context, page


def wait_for_pools(deployment, login: str) -> None:
    """Wait until the user's Voila has rendered each preheated page's kernel (the home page and the boards)."""
    import psutil

    hub = psutil.Process(deployment["pid"])
    mine = [p for p in hub.children(recursive=True)
            if "sgzlib.dashboards.voila_main" in " ".join(p.cmdline()) and f"/user/{login}/" in " ".join(p.cmdline())]
    assert len(mine) == 1, mine
    role = "站点社工" if login == deployment["logins"]["worker"] else "督导"
    wait_preheated(mine[0].pid, len([p for p in pages.allowed(role) if p.pooled]), timeout=240)


def open_progress(page, deployment, who: str, output_dir) -> None:
    login = deployment["logins"][who]
    try:
        page.goto(f"{deployment['url']}/user/{login}/voila/render/progress.ipynb", wait_until="commit")
        page.wait_for_selector(".sgz-filter-station select option", state="attached")
        page.wait_for_selector(".sgz-panel-heatmap .js-plotly-plot", state="attached")
    finally:
        page.screenshot(path=str(output_dir / f"hub_progress_{who}.png"), full_page=True)


def send_code(page, login: str, output_dir) -> tuple[list[str], Path]:
    """Send the page's kernel a kernel-info request and code that would write a file; the replies' types."""
    config = json.loads(page.locator("#jupyter-config-data").first.text_content())
    marker = output_dir / f"hub-exec-{config['kernelId']}"
    replies = page.evaluate(
        """async ([prefix, kernel, code]) => {
             const ws = new WebSocket(`ws://${location.host}${prefix}api/kernels/${kernel}/channels`);
             const got = [];
             await new Promise(r => ws.onopen = r);
             ws.onmessage = e => { try { got.push(JSON.parse(e.data).header.msg_type); } catch (_) {} };
             const header = type => ({msg_id: type, msg_type: type, username: 'u', session: 's1', version: '5.3',
                                      date: new Date().toISOString()});
             ws.send(JSON.stringify({header: header('kernel_info_request'), parent_header: {}, metadata: {},
                                     channel: 'shell', content: {}}));
             ws.send(JSON.stringify({header: header('execute_request'), parent_header: {}, metadata: {},
                                     channel: 'shell', content: {code, silent: false, store_history: false,
                                     user_expressions: {}, allow_stdin: false, stop_on_error: true}}));
             await new Promise(r => setTimeout(r, 3000));
             ws.close();
             return got;
           }""",
        [f"/user/{login}/", config["kernelId"], f"open({str(marker)!r}, 'w').write('ran')"])
    return replies, marker


def station_codes(page) -> list[str]:
    labels = page.locator(".sgz-filter-station select option").all_inner_texts()
    return sorted(m.group(1) for t in labels if (m := re.search(r"（([\w-]+)）$", t.strip())))


def hub_module():
    """``sgzlib.dashboards.hub`` (needs the ``hub`` extra): skipped locally without JupyterHub, a failure in CI."""
    try:
        from sgzlib.dashboards import hub
    except ImportError:
        if IN_CI:
            pytest.fail("CI 中必须安装 jupyterhub（pip install -e '.[hub]'）：多用户看板测试不能跳过")
        pytest.skip("未安装 jupyterhub，跳过多用户看板测试")
    return hub


def test_each_user_connects_as_their_own_role_without_anyone_s_password():
    hub = hub_module()
    base = "postgresql+psycopg://owner:secret@db.example:5432/sgz?options=-csearch_path%3Dyl"
    assert hub.user_database_url(base, "yl01_worker") == \
        "postgresql+psycopg://yl01_worker@db.example:5432/sgz?options=-csearch_path%3Dyl"
    with pytest.raises(ConfigError, match="多用户看板需要 PostgreSQL"):
        hub.user_database_url("sqlite:///sgz.db", "yl01_worker")


def test_the_password_file_is_checked_whole(tmp_path):
    hub = hub_module()
    path = tmp_path / "passwords.yaml"
    path.write_text("yl01_worker: short\nstranger: long-enough-1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        hub.read_passwords(path, ["yl01_worker", "yl02_worker"])
    assert str(caught.value).endswith("「yl01_worker」的密码应为至少 8 个字符的文本；「stranger」不在访问权限文件的用户中")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.postgres
def test_two_users_each_see_only_their_stations_on_the_progress_dashboard(deployment, browser, demo_ds, output_dir):
    expected = {who: visible_stations(demo_ds, scope) for who, scope in SCOPES.items()}
    assert expected == {"worker": ["YL01"], "supervisor": ["YL02", "YL03"]}  # all three have projects in the demo
    pages = {}
    try:
        for who in SCOPES:
            pages[who] = log_in_and_start_server(browser, deployment, who)
        for who in SCOPES:
            wait_for_pools(deployment, deployment["logins"][who])
            open_progress(pages[who][1], deployment, who, output_dir)
        for who, (_, page) in pages.items():
            assert station_codes(page) == expected[who], who
            # the KPI counts the stations the board evaluated: only the user's own
            kpi = page.locator(".sgz-panel-kpis .sgz-kpi[data-label='社工站'] .value").inner_text().strip()
            assert kpi == str(len(expected[who])), who
        # a user's page may talk to its widgets only: code sent to the kernel does not run (kernel info does answer)
        worker, worker_page = deployment["logins"]["worker"], pages["worker"][1]
        replies, marker = send_code(worker_page, worker, output_dir)
        assert "kernel_info_reply" in replies and "execute_reply" not in replies and "execute_input" not in replies
        assert not marker.exists()
        # one user's server is not the other's: the worker's browser, logged in, is refused by the supervisor's
        # server (its OAuth login at the Hub says 403), and none of the supervisor's stations reaches it
        other = deployment["logins"]["supervisor"]
        reply = pages["worker"][1].request.get(f"{deployment['url']}/user/{other}/voila/render/progress.ipynb")
        assert reply.status == 403, (reply.status, reply.url)
        assert "西山镇" not in reply.text() and "YL02" not in reply.text()
    finally:
        for context, _ in pages.values():
            context.close()
