"""The dashboards for many users: JupyterHub in front of one sgz Voila server per user (``deploy/``).

The Hub (``deploy/jupyterhub_config.py``) logs users in, starts each user's server with
``python -m sgzlib.dashboards.hub`` and routes ``/user/<login>/`` to it through
configurable-http-proxy. The user's server is the same Voila as ``sgz dashboard`` (``voila_argv`` and
``voila_env`` of ``server.py``: template sgz, sources stripped, no tracebacks, pages that can only talk
to widgets), with two differences: it serves under the Hub's prefix on the port the Hub chose, and it
lets in only the Hub's user who owns it (JupyterHub's OAuth identity provider). Its kernels connect to
PostgreSQL as that user's own login role (``user_database_url``), so row-level security and masked
views set by ``sgz access apply`` decide what the dashboards show and what the pages may write. The server
serves the pages of the user's role only (``pages.prepare_root`` into the user's folder, the others
refused), and keeps the user's reports in a folder of their own (``SGZ_HUB_REPORTS_DIR/<login>``).

Logins and database roles are the ``login`` entries of the ``sgz access`` file. Passwords for the
Hub come from a separate file (``PasswordFileAuthenticator``), a stand-in for PAM, LDAP or OAuth.
"""

from __future__ import annotations

import hmac
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
import yaml
from jupyterhub.auth import Authenticator
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from jupyterhub.utils import url_path_join
from traitlets import Unicode

from ..errors import ConfigError, SgzError
from ..store import access
from . import ACCESS_ENV, AS_OF_ENV_VAR, pages
from .server import DASHBOARD_DIR, DEFAULT_POOL_SIZE, served_pages, user_env, voila_argv, voila_env
from .session import server_user

POOL_ENV = "SGZ_HUB_POOL_SIZE"
LOG_LEVEL_ENV = "SGZ_HUB_LOG_LEVEL"  # the users' Voila servers (default WARN)
HOST_NAMES_ENV = "SGZ_HUB_HOST_NAMES"  # host names the browsers use, besides 127.0.0.1 and localhost
REPORTS_ROOT_ENV = "SGZ_HUB_REPORTS_DIR"  # every user's report folder is a folder below it, named by login
PAGES_FOLDER = "sgz-pages"  # in the user's folder (the spawner's home): the notebooks of the user's pages


def user_database_url(base_url: str, login: str) -> str:
    """The database URL of one user: ``base_url`` with the user name replaced by their login role.

    A password in ``base_url`` is dropped: each role's password belongs in a pgpass file
    (``PGPASSFILE``) or the server trusts the Hub's host; one user's server never carries another's password.
    """
    try:
        url = sa.engine.make_url(base_url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"数据库地址无效：{base_url}（{exc}）") from exc
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"多用户看板需要 PostgreSQL（访问控制由数据库执行），而不是 {url.get_backend_name()}：{base_url}")
    return url.set(username=login)._replace(password=None).render_as_string(hide_password=False)


def logins(access_file: str | Path) -> list[str]:
    """The logins of the ``sgz access`` file (checked whole, as ``sgz access check`` does)."""
    return [u.login for u in access.load(access_file).users]


def read_passwords(path: str | Path, allowed: list[str]) -> dict[str, str]:
    """``login: password`` pairs of a YAML file; every login must be one of the access file's."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取看板密码文件 {path}：{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"看板密码文件 {path} 应为「登录名: 密码」的键值表")
    problems = []
    for login, password in data.items():
        if login not in allowed:
            problems.append(f"「{login}」不在访问权限文件的用户中")
        if not isinstance(password, str) or len(password) < 8:
            problems.append(f"「{login}」的密码应为至少 8 个字符的文本")
    if problems:
        raise ConfigError(f"看板密码文件 {path} 有误：" + "；".join(problems))
    return {str(k): v for k, v in data.items()}


class PasswordFileAuthenticator(Authenticator):
    """Each user's own password from a YAML file (``login: password``), compared in constant time.

    For a test or a pilot on one computer. A station network replaces it with its directory:
    ``jupyterhub.auth.PAMAuthenticator``, ``ldapauthenticator`` or ``oauthenticator``.
    """

    password_file = Unicode(config=True, help="YAML file of login: password")

    async def authenticate(self, handler, data):
        passwords = read_passwords(self.password_file, sorted(self.allowed_users))
        login = (data or {}).get("username", "")
        expected = passwords.get(login)
        given = (data or {}).get("password", "")
        if expected is not None and hmac.compare_digest(expected.encode(), str(given).encode()):
            return login
        return None


class HubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's OAuth login for the sgz Voila server: only the Hub's owner of this server gets in."""

    def __init__(self, **kwargs):
        kwargs.pop("token", None)  # Voila passes its own token setting; the Hub's API token is ours
        kwargs.pop("login_handler_class", None)
        super().__init__(**kwargs)

    def get_handlers(self):
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        return [(url_path_join(prefix, path), *rest) for path, *rest in super().get_handlers()]


def user_server_argv(environ: dict[str, str], root: Path = DASHBOARD_DIR, unpooled: tuple[str, ...] = ()) -> list[str]:
    """The Voila command line of one user's server, from the environment the Hub's spawner set."""
    service = environ.get("JUPYTERHUB_SERVICE_URL")
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if not service or not prefix:
        raise ConfigError("缺少 JUPYTERHUB_SERVICE_URL / JUPYTERHUB_SERVICE_PREFIX：用户看板服务只能由 JupyterHub 启动")
    port = urlparse(service).port
    pool = int(environ.get(POOL_ENV, str(DEFAULT_POOL_SIZE)))
    return [*voila_argv(port, pool_size=pool, root=root, log_level=environ.get(LOG_LEVEL_ENV, "WARN"),
                        unpooled=unpooled),
            f"--Voila.base_url={prefix}",
            "--Voila.identity_provider_class=sgzlib.dashboards.hub.HubIdentityProvider"]


def main() -> None:
    """Replace this process by the user's Voila server (the Hub watches this process id)."""
    if not os.environ.get("SGZ_DATABASE_URL"):
        sys.exit("缺少 SGZ_DATABASE_URL：用户看板服务只能由 JupyterHub 按用户启动")
    try:
        user = server_user(os.environ)
        root = Path(os.environ.get("HOME") or os.getcwd()) / PAGES_FOLDER
        pages.prepare_root(user.role, DASHBOARD_DIR, root)
        _, unpooled = served_pages(user.role)
        argv = user_server_argv(os.environ, root, unpooled)
        reports = Path(os.environ.get(REPORTS_ROOT_ENV) or Path.cwd() / "reports") / user.login
    except SgzError as exc:
        sys.exit(f"用户看板服务未启动：{exc}")
    hosts = tuple(h for h in os.environ.get(HOST_NAMES_ENV, "").split(",") if h)
    env = voila_env(os.environ["SGZ_DATABASE_URL"], os.environ.get(AS_OF_ENV_VAR), host_names=hosts)
    env.update(user_env(user, os.environ.get(ACCESS_ENV), reports))
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
