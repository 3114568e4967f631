"""Running the multi-user deployment for a browser test: the demo district in a PostgreSQL schema of its own,
an access file applied for the test's users (role names unique to the run, dropped afterwards), JupyterHub
from ``deploy/jupyterhub_config.py`` on free loopback ports, and a logged-in browser context per user.

``hub(pg_url, demo_ds, users, work, log_path)`` is a context manager yielding a ``Hub``; ``Hub.log_in`` gives
a user's page with their server started; ``Hub.open`` opens one workbench page and waits for its frame.
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

import pytest
import sqlalchemy as sa
import yaml

from sgzlib.dashboards.server import free_port
from sgzlib.demo import district as demo
from sgzlib.runtime import processes
from sgzlib.store import access, storage

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TIMEOUT = 180_000  # ms: a user's first visit starts their server and a kernel on a loaded 2-core machine


def require_hub() -> None:
    """Chromium, the Hub's proxy and JupyterHub: skipped locally when missing, a failure in CI."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Chromium（/usr/bin/chromium）")
    if not PROXY.exists():
        missing.append("configurable-http-proxy（npm ci --prefix deploy）")
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        missing.append("jupyterhub（pip install -e '.[hub]'）")
    if missing:
        if IN_CI:
            pytest.fail(f"CI 中必须安装{'、'.join(missing)}：多用户浏览器测试不能跳过")
        pytest.skip(f"未安装{'、'.join(missing)}，跳过多用户浏览器测试")


@dataclass
class Hub:
    url: str
    logins: dict[str, str]  # who (the test's name for a user) → login
    passwords: dict[str, str]
    owner: sa.Engine  # the schema's owner: reads everything, for the tests' own checks
    pages: dict[str, object] = field(default_factory=dict)

    def log_in(self, browser, who: str):
        """``who``'s page, logged in, with their server started (cached per user for the module)."""
        if who in self.pages:
            return self.pages[who]
        login = self.logins[who]
        context = browser.new_context(viewport={"width": 1360, "height": 1400}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
        page.goto(f"{self.url}/hub/login")
        page.fill("#username_input", login)
        page.fill("#password_input", self.passwords[login])
        page.click("#login_submit")
        page.wait_for_url(re.compile(r".*/(hub/spawn|hub/spawn-pending|user)/.*"))
        page.goto(f"{self.url}/hub/spawn/{login}?next={quote(f'/user/{login}/')}")
        page.wait_for_url(re.compile(rf".*/user/{login}/.*"))
        self.pages[who] = page
        return page

    def page_url(self, who: str, name: str) -> str:
        return f"{self.url}/user/{self.logins[who]}/voila/render/{name}.ipynb"

    def open(self, page, who: str, name: str) -> None:
        page.goto(self.page_url(who, name), wait_until="commit")
        page.wait_for_selector(f".sgz-page-{name}", state="attached")

    def home_then(self, page, who: str, name: str) -> None:
        """Open the home page, then the page ``name`` by clicking its card: the first click of an action."""
        self.open(page, who, "home")
        page.click(f"#sgz-link-{name}")
        page.wait_for_selector(f".sgz-page-{name}", state="attached")


@contextlib.contextmanager
def hub(pg_url: str, demo_ds, users: list[dict], work: Path, log_path: Path, env: dict | None = None):
    """The demo district in a new schema, ``users`` (entries of an access file, ``who`` added) applied, the Hub
    running; everything dropped and stopped afterwards."""
    tag = uuid.uuid4().hex[:8]
    schema_name = f"w_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={schema_name}"})
    owner = storage.connect(base.render_as_string(hide_password=False))
    storage.write_dataset(owner, demo_ds)
    logins = {u["who"]: f"{u['who'][0]}_{tag}" for u in users}
    spec_data = {"role_prefix": f"g{tag}_", "users": [
        {**{k: v for k, v in u.items() if k != "who"}, "login": logins[u["who"]]} for u in users]}
    access_file = work / "access.yaml"
    access_file.write_text(yaml.safe_dump(spec_data, allow_unicode=True), encoding="utf-8")
    spec = access.load(access_file)
    access.apply(owner, spec)
    passwords = {login: f"pw-{login}-{uuid.uuid4().hex[:6]}" for login in logins.values()}
    password_file = work / "passwords.yaml"
    password_file.write_text(yaml.safe_dump(passwords), encoding="utf-8")
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "SGZ_HUB_ACCESS": str(access_file),
                "SGZ_HUB_PASSWORDS": str(password_file), "SGZ_HUB_DATABASE_URL": base.render_as_string(hide_password=False),
                "SGZ_HUB_PORT": str(port), "SGZ_HUB_API_PORT": str(free_port()),
                "SGZ_HUB_PROXY_API_PORT": str(free_port()), "SGZ_HUB_STATE_DIR": str(work / "state"),
                "SGZ_HUB_POOL_SIZE": "0", "SGZ_DASHBOARD_AS_OF": demo.AS_OF.isoformat(), "SGZ_HUB_LOG_LEVEL": "INFO",
                "CONFIGPROXY_AUTH_TOKEN": uuid.uuid4().hex, **(env or {})}
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                str(DEPLOY / "jupyterhub_config.py")], env=full_env, cwd=work, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while process.poll() is None and not processes.answers(f"{url}/hub/login") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert process.poll() is None, f"JupyterHub exited ({process.returncode}); see {log_path}"
        yield Hub(url, logins, passwords, owner)
    finally:
        processes.stop_tree(process, 30, group=True)
        log.close()
        owner.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            for role in [*logins.values(), *spec.groups]:
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()
