"""The dashboards for many users: JupyterHub in front of one sgz Voila server per user (``deploy/``).

The Hub (``deploy/jupyterhub_config.py``) logs users in, starts each user's server with
``python -m sgzlib.dashboards.hub`` and routes ``/user/<login>/`` to it through
configurable-http-proxy. The user's server is the same Voila as ``sgz dashboard`` (``voila_argv`` and
``voila_env`` of ``server.py``: template sgz, sources stripped, no tracebacks, pages that can only talk
to widgets), with two differences: it serves under the Hub's prefix on the port the Hub chose, and it
lets in only the Hub's user who owns it (JupyterHub's OAuth identity provider). Its kernels connect to
PostgreSQL as that user's own login role (``user_database_url``), so row-level security and masked
views set by ``sgz access apply`` decide what the dashboards show.

Logins and database roles are the ``login`` entries of the ``sgz access`` file.

**Credentials, one user's each.** The dashboards' login passwords are kept hashed (argon2, Jupyter's own
``jupyter_server.auth.passwd``) in a YAML file the Hub reads (``PasswordFileAuthenticator``; ``sgz hub
password`` writes it); plain-text passwords are refused. The database passwords are in a pgpass file that
only the Hub reads (``SGZ_HUB_PGPASS``, mode 600, never passed on): at each spawn the Hub writes the
user's own lines, and nothing else, into a pgpass file of that user's server (``user_pgpass``,
``pre_spawn``), and removes it when the server stops. PAM, LDAP or OAuth replace the password file
(README「多用户看板」).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
import yaml
from jupyterhub.auth import Authenticator
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from jupyterhub.utils import url_path_join
from traitlets import Unicode

from ..errors import ConfigError
from ..store import access
from . import AS_OF_ENV_VAR
from .server import DASHBOARD_DIR, DEFAULT_POOL_SIZE, voila_argv, voila_env

POOL_ENV = "SGZ_HUB_POOL_SIZE"
LOG_LEVEL_ENV = "SGZ_HUB_LOG_LEVEL"  # the users' Voila servers (default WARN)
HOST_NAMES_ENV = "SGZ_HUB_HOST_NAMES"  # host names the browsers use, besides 127.0.0.1 and localhost


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


MIN_PASSWORD = 8
HASH_PREFIX = "argon2:"  # what ``jupyter_server.auth.passwd`` writes


def hash_password(password: str) -> str:
    """An argon2 hash of ``password`` (``jupyter_server.auth.passwd``), as the password file keeps it."""
    from jupyter_server.auth import passwd

    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"密码至少 {MIN_PASSWORD} 个字符")
    return passwd(password, algorithm="argon2")


def password_matches(hashed: str, given: str) -> bool:
    from jupyter_server.auth import passwd_check

    return bool(given) and passwd_check(hashed, given)


def read_passwords(path: str | Path, allowed: list[str]) -> dict[str, str]:
    """``login: hash`` pairs of a YAML file; every login must be one of the access file's, every password hashed."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取看板密码文件 {path}：{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"看板密码文件 {path} 应为「登录名: 密码的哈希」的键值表（用 sgz hub password 写入）")
    problems = []
    for login, hashed in data.items():
        if login not in allowed:
            problems.append(f"「{login}」不在访问权限文件的用户中")
        if not isinstance(hashed, str) or not hashed.startswith(HASH_PREFIX):
            problems.append(f"「{login}」的密码没有哈希（不能明文保存）：请执行 sgz hub password {login} --file {path} 重新设置")
    if problems:
        raise ConfigError(f"看板密码文件 {path} 有误：" + "；".join(problems))
    return {str(k): v for k, v in data.items()}


def set_password(path: str | Path, login: str, password: str) -> None:
    """Write (or replace) ``login``'s hashed password in the YAML password file, readable by its owner only."""
    path = Path(path)
    data = {}
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"看板密码文件 {path} 应为「登录名: 密码的哈希」的键值表")
    data[login] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=True))
        os.replace(partial, path)  # whole or not at all
    finally:
        Path(partial).unlink(missing_ok=True)


class PasswordFileAuthenticator(Authenticator):
    """Each user's password checked against its argon2 hash in a YAML file (``login: argon2:…``).

    For a pilot on one server. A station network replaces it with its directory:
    ``jupyterhub.auth.PAMAuthenticator``, ``ldapauthenticator`` or ``oauthenticator``.
    """

    password_file = Unicode(config=True, help="YAML file of login: argon2 hash")

    async def authenticate(self, handler, data):
        passwords = read_passwords(self.password_file, sorted(self.allowed_users))
        login = (data or {}).get("username", "")
        hashed = passwords.get(login)
        if hashed is not None and password_matches(hashed, str((data or {}).get("password", ""))):
            return login
        return None


# -- database credentials -------------------------------------------------------------------------------

def _pgpass_fields(line: str) -> list[str]:
    """The five fields of a pgpass line (``\\:`` and ``\\`` escaped as libpq reads them)."""
    fields, cur, escaped = [], "", False
    for ch in line:
        if escaped:
            cur, escaped = cur + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(fields) < 4:
            fields.append(cur)
            cur = ""
        else:
            cur += ch
    return [*fields, cur]


def read_pgpass(path: str | Path, logins: list[str]) -> dict[str, list[str]]:
    """The Hub's store of database passwords (a pgpass file): each login's own lines.

    Refused: a store others may read (it must be mode 600), a line whose user is ``*`` (one password for
    everyone), a line for a user not in the access file, a login without a line.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取数据库密码文件 {path}：{exc.strerror or exc}") from exc
    problems = []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(f"只能由运行 JupyterHub 的账号读取：请执行 chmod 600 {path}")
    out: dict[str, list[str]] = {login: [] for login in logins}
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _pgpass_fields(line)
        if len(fields) != 5:
            problems.append(f"第 {i} 行应为「主机:端口:库:登录名:密码」")
        elif fields[3] == "*":
            problems.append(f"第 {i} 行的登录名是 *（所有用户共用一个密码）：每个登录名应各占一行")
        elif fields[3] not in out:
            problems.append(f"第 {i} 行的登录名「{fields[3]}」不在访问权限文件的用户中")
        else:
            out[fields[3]].append(line)
    missing = [login for login, lines in out.items() if not lines]
    if missing:
        problems.append(f"没有这些登录名的密码：{'、'.join(missing)}")
    if problems:
        raise ConfigError(f"数据库密码文件 {path} 有误：" + "；".join(problems))
    return out


def pgpass_path(state: str | Path, login: str, system: bool = False) -> Path:
    """Where ``login``'s server finds its pgpass file: under the Hub's state folder, or (one system account
    per login) in that account's home folder, which the Hub's state folder is not."""
    if system:
        import pwd

        return Path(pwd.getpwnam(login).pw_dir) / ".sgz" / "pgpass"
    return Path(state) / "users" / login / ".pgpass"


def user_pgpass(store: str | Path, login: str, target: Path, logins: list[str], owner: int | None = None) -> Path:
    """Write ``login``'s own lines of the Hub's store, and nothing else, into ``target`` (mode 600)."""
    lines = read_pgpass(store, logins)[login]
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    if owner is not None:
        os.chown(target.parent, owner, -1)
        os.chown(target, owner, -1)
    return target


def pre_spawn(store: str | Path, state: str | Path, logins: list[str], system: bool = False):
    """A ``Spawner.pre_spawn_hook``: hand the spawn its user's database credentials, and only those
    (``Spawner.environment`` points ``PGPASSFILE`` at ``pgpass_path``)."""

    def hook(spawner) -> None:
        login = spawner.user.name
        owner = None
        if system:
            import pwd

            owner = pwd.getpwnam(login).pw_uid
        user_pgpass(store, login, pgpass_path(state, login, system), logins, owner)

    return hook


def post_stop(state: str | Path, system: bool = False):
    """A ``Spawner.post_stop_hook``: the stopped server's credentials are removed."""

    def hook(spawner) -> None:
        pgpass_path(state, spawner.user.name, system).unlink(missing_ok=True)

    return hook


class HubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's OAuth login for the sgz Voila server: only the Hub's owner of this server gets in."""

    def __init__(self, **kwargs):
        kwargs.pop("token", None)  # Voila passes its own token setting; the Hub's API token is ours
        kwargs.pop("login_handler_class", None)
        super().__init__(**kwargs)

    def get_handlers(self):
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        return [(url_path_join(prefix, path), *rest) for path, *rest in super().get_handlers()]


def user_server_argv(environ: dict[str, str]) -> list[str]:
    """The Voila command line of one user's server, from the environment the Hub's spawner set."""
    service = environ.get("JUPYTERHUB_SERVICE_URL")
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if not service or not prefix:
        raise ConfigError("缺少 JUPYTERHUB_SERVICE_URL / JUPYTERHUB_SERVICE_PREFIX：用户看板服务只能由 JupyterHub 启动")
    port = urlparse(service).port
    pool = int(environ.get(POOL_ENV, str(DEFAULT_POOL_SIZE)))
    return [*voila_argv(port, pool_size=pool, root=DASHBOARD_DIR, log_level=environ.get(LOG_LEVEL_ENV, "WARN")),
            f"--Voila.base_url={prefix}",
            "--Voila.identity_provider_class=sgzlib.dashboards.hub.HubIdentityProvider"]


def main() -> None:
    """Replace this process by the user's Voila server (the Hub watches this process id)."""
    if not os.environ.get("SGZ_DATABASE_URL"):
        sys.exit("缺少 SGZ_DATABASE_URL：用户看板服务只能由 JupyterHub 按用户启动")
    argv = user_server_argv(os.environ)
    hosts = tuple(h for h in os.environ.get(HOST_NAMES_ENV, "").split(",") if h)
    env = voila_env(os.environ["SGZ_DATABASE_URL"], os.environ.get(AS_OF_ENV_VAR), host_names=hosts)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
