"""The workbench in a real browser, for the tests of its pages (h-wb's and h-eval's): helpers, not tests.

Two ways to serve it:

- ``hub_deployment(...)``: the district's way. The demo district in a PostgreSQL schema of its own, an access
  file applied (``USERS``: 站点社工 of YL01 and of YL02, a 督导 of YL01–YL03, an 评估方 of the district; role
  names unique to the run), JupyterHub with its proxy on free loopback ports, each user's server the sgz
  Voila under their own database login. Everything is stopped and dropped on exit.
- ``local_server(...)``: ``sgz dashboard`` on a SQLite file (one computer, 管理员).

``log_in`` opens a browser context for one user through the Hub's login form; ``open_page`` goes to a page
and waits for its frame; ``choose_file`` picks a file through the upload button's file chooser; ``shot``
keeps a screenshot under ``test-output/``. The tests add what they check.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from openpyxl import load_workbook
from programs import IN_CI, missing, need

from sgzlib import ledger
from sgzlib.dashboards import hub as hub_module
from sgzlib.dashboards.server import DashboardServer, free_port
from sgzlib.demo import district as demo
from sgzlib.runtime import processes
from sgzlib.store import access, storage

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT = 180_000  # ms: a page's kernel starts on visit, on a loaded 2-core machine
# who → (role, scope); logins are made unique per run
USERS = {
    "worker_a": ("站点社工", {"stations": ["YL01"]}),
    "worker_b": ("站点社工", {"stations": ["YL02"]}),
    "supervisor": ("督导", {"stations": ["YL01", "YL02", "YL03"]}),
    "evaluator": ("评估方", {"districts": ["云岭区"]}),
}


def needs_hub() -> str:
    """Chromium, the Hub's proxy and JupyterHub (``programs``: skipped locally when missing, a failure in CI);
    Chromium's path."""
    chromium = need("chromium")
    if not PROXY.exists():
        need("npm")
        missing("npm", "deploy/node_modules 中没有 configurable-http-proxy：make test 会运行 npm ci --prefix deploy")
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        if IN_CI:
            pytest.fail("CI 中必须安装 jupyterhub（pip install -e '.[hub]'）：工作台浏览器测试不能跳过")
        pytest.skip("未安装 jupyterhub，跳过工作台浏览器测试")
    return chromium


@dataclass
class Deployment:
    """A running Hub over the demo district: where it is, who may log in, and the database as its owner."""

    url: str
    owner_url: str
    logins: dict[str, str]
    passwords: dict[str, str]
    user_urls: dict[str, str]
    reports_root: Path
    pid: int
    work: Path
    db_passwords: dict[str, str] = field(default_factory=dict)  # login → the database password the Hub holds
    extra: dict = field(default_factory=dict)

    def engine(self) -> sa.Engine:
        return storage.connect(self.owner_url, upgrade=False)

    def user_url(self, who: str, path: str = "") -> str:
        return f"{self.url}/user/{self.logins[who]}/{path}"

    def page_url(self, who: str, page: str) -> str:
        return self.user_url(who, f"voila/render/{page}.ipynb")

    def reports_of(self, who: str) -> Path:
        return self.reports_root / self.logins[who]


@contextlib.contextmanager
def hub_deployment(pg_url: str, demo_ds, work: Path, log_path: Path, users: dict = USERS, pool_size: int = 0):
    """The Hub over the demo district on PostgreSQL, with ``users`` applied; stopped and dropped on exit."""
    tag = uuid.uuid4().hex[:8]
    schema_name = f"w_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={schema_name}"})
    owner_url = base.render_as_string(hide_password=False)
    logins = {who: f"{who.split('_')[0][:3]}{who[-1] if '_' in who else ''}_{tag}" for who in users}
    spec_data = {"role_prefix": f"g{tag}_", "users": [
        {"login": logins[who], "role": role, **scope} for who, (role, scope) in users.items()]}
    access_file = work / "access.yaml"
    access_file.write_text(yaml.safe_dump(spec_data, allow_unicode=True), encoding="utf-8")
    spec = access.load(access_file)
    hub = log = None
    try:
        engine = storage.connect(owner_url)
        storage.write_dataset(engine, demo_ds)
        access.apply(engine, spec)
        engine.dispose()
        passwords = {login: f"pw-{login}-{uuid.uuid4().hex[:6]}" for login in logins.values()}
        password_file = work / "passwords.yaml"
        for login, password in passwords.items():  # as an administrator does it: sgz hub password LOGIN --file …
            hub_module.set_password(password_file, login, password)
        # The database passwords, in the Hub's own store (the test server trusts local connections: any will do).
        db_passwords = {login: f"db-{uuid.uuid4().hex}" for login in logins.values()}
        url = sa.engine.make_url(pg_url)
        pgpass = work / "pgpass"
        pgpass.write_text("".join(f"{url.host}:{url.port}:{url.database}:{login}:{pw}\n"
                                  for login, pw in db_passwords.items()), encoding="utf-8")
        pgpass.chmod(0o600)
        port = free_port()
        reports_root = work / "reports"
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "SGZ_HUB_ACCESS": str(access_file), "SGZ_HUB_PASSWORDS": str(password_file), "SGZ_HUB_PGPASS": str(pgpass),
               "SGZ_HUB_DATABASE_URL": owner_url, "SGZ_HUB_PORT": str(port), "SGZ_HUB_API_PORT": str(free_port()),
               "SGZ_HUB_PROXY_API_PORT": str(free_port()), "SGZ_HUB_STATE_DIR": str(work / "state"),
               "SGZ_HUB_REPORTS_DIR": str(reports_root), "SGZ_HUB_POOL_SIZE": str(pool_size),
               "SGZ_DASHBOARD_AS_OF": demo.AS_OF.isoformat(), "SGZ_HUB_LOG_LEVEL": "INFO",
               "CONFIGPROXY_AUTH_TOKEN": uuid.uuid4().hex}
        log = open(log_path, "wb")  # noqa: SIM115 (closed below)
        hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                str(DEPLOY / "jupyterhub_config.py")],
                               env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while hub.poll() is None and not processes.answers(f"{url}/hub/login") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert hub.poll() is None, f"JupyterHub exited ({hub.returncode}); see {log_path}"
        user_urls = {who: base.set(username=login).render_as_string(hide_password=False)
                     for who, login in logins.items()}
        yield Deployment(url, owner_url, logins, passwords, user_urls, reports_root, hub.pid, work, db_passwords)
    finally:
        if hub is not None:
            processes.stop_tree(hub, 30, group=True)
        if log is not None:
            log.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            for role in [*logins.values(), *spec.groups]:
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


@contextlib.contextmanager
def local_server(db_url: str, log_path: Path, reports_dir: Path, pool_size: int = 0, **kwargs):
    """``sgz dashboard`` on ``db_url`` (the demo's date), started and stopped."""
    srv = DashboardServer(db_url, port=free_port(), as_of=demo.AS_OF.isoformat(), pool_size=pool_size,
                          log_path=log_path, log_level="INFO", reports_dir=reports_dir, **kwargs)
    srv.start()
    try:
        srv.wait_ready(timeout=90)
        yield srv
    finally:
        srv.stop()


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(b, height: int = 1600):
    """A page in a fresh context that records console errors and uncaught exceptions (``page.errors``)."""
    context = b.new_context(viewport={"width": 1360, "height": height}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.errors = []
    page.on("console", lambda m: page.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    return context, page


def log_in(b, deployment: Deployment, who: str):
    """``who`` logged in through the Hub's form, their server started, on their home page: (context, page)."""
    login = deployment.logins[who]
    context, page = new_page(b)
    page.goto(f"{deployment.url}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", deployment.passwords[login])
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(hub/spawn|hub/spawn-pending|user)/.*"))
    page.goto(f"{deployment.url}/hub/spawn/{login}?next={quote(f'/user/{login}/')}")
    page.wait_for_url(re.compile(rf".*/user/{login}/voila/render/home\.ipynb$"))
    page.wait_for_selector(".sgz-page-home .sgz-cards", state="attached")
    return context, page


def open_page(page, url: str, name: str) -> None:
    """Go to a page of the workbench and wait until its frame and body are drawn."""
    page.goto(url)
    page.wait_for_selector(f".sgz-page-{name} .sgz-bar", state="attached")


def home_titles(page) -> list[str]:
    return page.locator(".sgz-cards h2").all_inner_texts()


def choose_file(page, path: Path) -> None:
    """Pick ``path`` with the upload button (its file chooser), as a person does."""
    with page.expect_file_chooser() as chooser:
        page.click("button.sgz-upload")
    chooser.value.set_files(str(path))


def shot(page, output_dir: Path, name: str) -> Path:
    path = output_dir / "workbench" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def fingerprint(engine: sa.Engine, tables) -> dict[str, int]:
    """Row count per table (as the owner): a write shows up here."""
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}


# -- workbooks ----------------------------------------------------------------------------------------------

def export_station(engine: sa.Engine, code: str, path: Path) -> Path:
    """The station's ledger as the database holds it (``sgz export --station``): re-importing it changes nothing."""
    return ledger.export_workbook(storage.load_dataset(engine, code), path)


def edit_book(source: Path, dest: Path, cells: dict[tuple[str, int, str], object]) -> Path:
    """A copy of ``source`` with some cells set: (sheet, Excel row, column header) → value."""
    wb = load_workbook(source)
    for (sheet, row, header), value in cells.items():
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        ws.cell(row, headers.index(header) + 1).value = value
    wb.save(dest)
    return dest


def cell(path: Path, sheet: str, row: int, header: str):
    """One cell of a workbook, by Excel row and column header."""
    ws = load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(min_row=1, max_row=row, values_only=True))
    return rows[row - 1][list(rows[0]).index(header)]


def table(page, selector: str) -> pd.DataFrame:
    """The first HTML table under ``selector`` as the browser shows it (header texts, cell texts)."""
    head, body = page.locator(selector).first.evaluate(
        """t => { t = t.tagName === 'TABLE' ? t : t.querySelector('table');
                  return [Array.from(t.querySelectorAll('thead th')).map(c => c.textContent.trim()),
                          Array.from(t.querySelectorAll('tbody tr')).map(
                              r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))]; }""")
    return pd.DataFrame(body, columns=head)
