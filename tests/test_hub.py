"""The multi-user deployment (``deploy/``) in a real browser: JupyterHub, its proxy, one sgz Voila per user.

The demo district lies in a PostgreSQL schema of its own; an access file with a 站点社工 of YL01 and a
督导 of YL02 and YL03 is applied (role names unique to the run, dropped afterwards). The Hub runs from
``deploy/jupyterhub_config.py`` on free loopback ports; both users log in, each in their own browser
context, and open the progress dashboard. What each may see is computed here from the demo dataset in
pandas; PostgreSQL's row-level security is what makes the page show only that.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from sgzlib import cli
from sgzlib.dashboards.server import DASHBOARDS, free_port, wait_preheated
from sgzlib.demo import district as demo
from sgzlib.errors import ConfigError
from sgzlib.runtime import processes
from sgzlib.store import access, storage

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TIMEOUT = 120_000  # ms: a user's first visit starts their server and a kernel on a loaded 2-core machine
SCOPES = {"worker": ["YL01"], "supervisor": ["YL02", "YL03"]}


@pytest.fixture(scope="module")
def needs():
    """Chromium and the Hub's proxy: skipped locally when missing, a failure in CI."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Chromium（/usr/bin/chromium）")
    if not PROXY.exists():
        missing.append("configurable-http-proxy（npm ci --prefix deploy）")
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        missing.append("jupyterhub（pip install -e '.[hub]'）")
    if missing:
        if IN_CI:
            pytest.fail(f"CI 中必须安装{'、'.join(missing)}：多用户看板测试不能跳过")
        pytest.skip(f"未安装{'、'.join(missing)}，跳过多用户看板测试")


@pytest.fixture(scope="module")
def deployment(needs, pg_url, demo_ds, tmp_path_factory, output_dir):
    """The demo district in its own schema, access applied for two users, the Hub running on free ports."""
    tag = uuid.uuid4().hex[:8]
    schema_name = f"h_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={schema_name}"})
    engine = storage.connect(base.render_as_string(hide_password=False))
    storage.write_dataset(engine, demo_ds)
    logins = {who: f"{who[0]}_{tag}" for who in SCOPES}
    spec_data = {"role_prefix": f"g{tag}_", "users": [
        {"login": logins["worker"], "role": "站点社工", "stations": SCOPES["worker"]},
        {"login": logins["supervisor"], "role": "督导", "stations": SCOPES["supervisor"]}]}
    work = tmp_path_factory.mktemp("hub")
    access_file = work / "access.yaml"
    access_file.write_text(yaml.safe_dump(spec_data, allow_unicode=True), encoding="utf-8")
    spec = access.load(access_file)
    access.apply(engine, spec)
    engine.dispose()
    passwords = {login: f"pw-{login}-{uuid.uuid4().hex[:6]}" for login in logins.values()}
    password_file = work / "passwords.yaml"
    from sgzlib.dashboards import hub as hub_mod

    for login, password in passwords.items():  # as an administrator does it: sgz hub password LOGIN --file …
        hub_mod.set_password(password_file, login, password)
    # The database passwords, in the Hub's own store (the test server trusts local connections: any will do).
    db_passwords = {login: f"db-{uuid.uuid4().hex}" for login in logins.values()}
    url = sa.engine.make_url(pg_url)
    pgpass = work / "pgpass"
    pgpass.write_text("".join(f"{url.host}:{url.port}:{url.database}:{login}:{pw}\n"
                              for login, pw in db_passwords.items()), encoding="utf-8")
    pgpass.chmod(0o600)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "SGZ_HUB_ACCESS": str(access_file), "SGZ_HUB_PASSWORDS": str(password_file), "SGZ_HUB_PGPASS": str(pgpass),
           "SGZ_HUB_DATABASE_URL": base.render_as_string(hide_password=False),
           "SGZ_HUB_PORT": str(port), "SGZ_HUB_API_PORT": str(free_port()),
           "SGZ_HUB_PROXY_API_PORT": str(free_port()), "SGZ_HUB_STATE_DIR": str(work / "state"),
           "SGZ_DASHBOARD_AS_OF": demo.AS_OF.isoformat(), "SGZ_HUB_LOG_LEVEL": "INFO", "CONFIGPROXY_AUTH_TOKEN": uuid.uuid4().hex}
    log_path = output_dir / "hub.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
                           env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while hub.poll() is None and not processes.answers(f"{hub_url}/hub/login") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert hub.poll() is None, f"JupyterHub exited ({hub.returncode}); see {log_path}"
        yield {"url": hub_url, "logins": logins, "passwords": passwords, "pid": hub.pid, "db_passwords": db_passwords,
               "state": work / "state"}
    finally:
        processes.stop_tree(hub, 30, group=True)
        log.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            for role in [*logins.values(), *spec.groups]:
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def browser(needs):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def visible_stations(ds, scope: list[str]) -> list[str]:
    """The township stations of ``scope`` that have a project started by the demo date (pandas, not SQL)."""
    projects = ds.projects[ds.projects["start"] <= pd.Timestamp(demo.AS_OF)]
    return sorted(set(projects["station_code"]) & set(scope))


def log_in_and_start_server(browser, deployment, who: str):
    """Log ``who`` in in a browser context of their own and have the Hub start their server (its landing page)."""
    login = deployment["logins"][who]
    context = browser.new_context(viewport={"width": 1360, "height": 1600}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{deployment['url']}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", deployment["passwords"][login])
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(hub/spawn|hub/spawn-pending|user)/.*"))
    page.goto(f"{deployment['url']}/hub/spawn/{login}?next={quote(f'/user/{login}/')}")
    page.wait_for_url(re.compile(rf".*/user/{login}/$"))
    assert "项目进度看板" in page.content()  # the landing page lists the dashboards
    return context, page


def user_server(deployment, login: str):
    """The process of ``login``'s Voila server (a child of the Hub)."""
    import psutil

    hub = psutil.Process(deployment["pid"])
    mine = [p for p in hub.children(recursive=True)
            if "sgzlib.dashboards.voila_main" in " ".join(p.cmdline()) and f"/user/{login}/" in " ".join(p.cmdline())]
    assert len(mine) == 1, mine
    return mine[0]


def wait_for_pools(deployment, login: str) -> None:
    """Wait until the user's Voila has rendered each dashboard's preheated kernel (as test_dashboards does)."""
    wait_preheated(user_server(deployment, login).pid, len(DASHBOARDS), timeout=240)


def credentials_seen(deployment, login: str) -> tuple[dict, str]:
    """The environment of ``login``'s server and of its kernels, and the pgpass file it was given."""
    server = user_server(deployment, login)
    envs = [server.environ()] + [k.environ() for k in server.children(recursive=True)
                                 if "ipykernel_launcher" in " ".join(k.cmdline())]
    assert len(envs) > 1  # its kernels too: they are what connects to the database
    files = {e.get("PGPASSFILE") for e in envs}
    assert len(files) == 1 and None not in files, files
    return envs, Path(files.pop()).read_text(encoding="utf-8")


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


def test_the_password_file_is_checked_whole_and_holds_no_plain_password(tmp_path):
    hub = hub_module()
    path = tmp_path / "passwords.yaml"
    hub.set_password(path, "stranger", "long-enough-1")
    path.write_text(path.read_text(encoding="utf-8") + "yl01_worker: a-plain-password\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        hub.read_passwords(path, ["yl01_worker", "yl02_worker"])
    assert str(caught.value).endswith(
        "「stranger」不在访问权限文件的用户中；「yl01_worker」的密码没有哈希（不能明文保存）："
        f"请执行 sgz hub password yl01_worker --file {path} 重新设置")


def test_passwords_are_kept_as_argon2_hashes_and_checked_against_them(tmp_path):
    import asyncio

    hub = hub_module()
    path = tmp_path / "看板密码.yaml"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), mock.patch("sys.stdin", io.StringIO("correct horse battery\n")):
        assert cli.main(["hub", "password", "yl01_worker", "--file", str(path), "--stdin"]) == 0
    hub.set_password(path, "yl02_worker", "another-secret")
    text = path.read_text(encoding="utf-8")
    assert "correct horse" not in text and "another-secret" not in text
    assert text.count("argon2:$argon2id$") == 2 and stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="密码至少 8 个字符"):
        hub.set_password(path, "yl01_worker", "short")
    auth = hub.PasswordFileAuthenticator(password_file=str(path), allowed_users={"yl01_worker", "yl02_worker"})
    login = lambda user, pw: asyncio.run(auth.authenticate(None, {"username": user, "password": pw}))  # noqa: E731
    assert login("yl01_worker", "correct horse battery") == "yl01_worker"
    assert login("yl01_worker", "another-secret") is None  # the other user's password
    assert login("yl01_worker", "") is None and login("nobody", "correct horse battery") is None


def test_the_database_password_store_is_the_hub_s_own_and_one_line_per_login(tmp_path):
    hub = hub_module()
    store = tmp_path / "pgpass"
    store.write_text("db:5432:sgz:a_user:pa\\:ss\ndb:5432:sgz:b_user:pb\n", encoding="utf-8")
    store.chmod(0o644)
    with pytest.raises(ConfigError, match=f"只能由运行 JupyterHub 的账号读取：请执行 chmod 600 {store}"):
        hub.read_pgpass(store, ["a_user", "b_user"])
    store.chmod(0o600)
    assert hub.read_pgpass(store, ["a_user", "b_user"]) == {"a_user": ["db:5432:sgz:a_user:pa\\:ss"],
                                                             "b_user": ["db:5432:sgz:b_user:pb"]}
    store.write_text("*:*:*:*:everyone\ndb:5432:sgz:c_user:pc\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        hub.read_pgpass(store, ["a_user", "b_user"])
    assert "第 1 行的登录名是 *（所有用户共用一个密码）" in str(caught.value)
    assert "第 2 行的登录名「c_user」不在访问权限文件的用户中" in str(caught.value)
    assert "没有这些登录名的密码：a_user、b_user" in str(caught.value)


def test_each_spawn_gets_its_own_user_s_credentials_and_loses_them_when_it_stops(tmp_path):
    hub = hub_module()
    store = tmp_path / "pgpass"
    store.write_text("db:5432:sgz:a_user:pa\ndb:5432:sgz:b_user:pb\n*:*:*:b_user:pb2\n", encoding="utf-8")
    store.chmod(0o600)
    spawner = type("Spawner", (), {"user": type("User", (), {"name": "a_user"})()})()
    hub.pre_spawn(store, tmp_path / "state", ["a_user", "b_user"])(spawner)
    given = hub.pgpass_path(tmp_path / "state", "a_user")
    assert given == tmp_path / "state" / "users" / "a_user" / ".pgpass"
    assert given.read_text(encoding="utf-8") == "db:5432:sgz:a_user:pa\n"  # b_user's lines: not there
    assert stat.S_IMODE(given.stat().st_mode) == 0o600 and stat.S_IMODE(given.parent.stat().st_mode) == 0o700
    hub.post_stop(tmp_path / "state")(spawner)
    assert not given.exists()


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
        # each user's server and kernels were handed that user's database password, and nobody else's: no
        # shared pgpass file, no password in the environment, none of the Hub's own stores passed on
        for who, login in deployment["logins"].items():
            envs, given = credentials_seen(deployment, login)
            other = next(p for u, p in deployment["db_passwords"].items() if u != login)
            assert given.count("\n") == 1 and given.strip().endswith(f":{login}:{deployment['db_passwords'][login]}")
            for env in envs:
                assert not {"PGPASSWORD", "SGZ_HUB_PGPASS", "SGZ_HUB_PASSWORDS"} & set(env), who
                assert other not in "".join(env.values()) and deployment["db_passwords"][login] not in "".join(env.values())
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
