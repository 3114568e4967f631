"""Who is looking: the user of a page, their role and scope from the access file, and the data they may see.

The server knows one user, and tells its kernels through the environment:

- under JupyterHub, the Hub's user (``JUPYTERHUB_USER``: every user has a server of their own) and the access
  file the Hub was started with (``SGZ_ACCESS_FILE``); the database URL carries that user's own login role,
  so PostgreSQL's row-level security and masked views decide what they read and write;
- under ``sgz dashboard``, the user named by ``--user`` (``SGZ_DASHBOARD_USER``), looked up in ``--access``
  when given; without an access file the one person at this computer is its 管理员 (all stations), named by
  their operating-system login, as ``sgz import`` names them in the audit log.

``Session`` is that user with the database URL and their report folder: the role's pages (``pages``), the
station scope, ``source()``: the read model of their scope (masked, for the boards), and ``index()``: only its
stations and projects (for the other pages); each is read when first asked and again when the database has
changed (``data.Source``). ``updated_at`` is when the page last read the database.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..store import access, storage
from ..store.access import ROLES, User
from ..workbench import open_index
from . import ACCESS_ENV, HUB_USER_ENV, REPORTS_ENV, USER_ENV, pages
from .data import Source

DEFAULT_REPORTS_DIR = "out"
LOCAL_ROLE = "管理员"


def local_login() -> str:
    """The operating-system login of this computer's user (what ``sgz import`` writes in the audit log)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "管理员"


def resolve_user(login: str | None, access_file: str | os.PathLike | None) -> User:
    """The ``User`` for ``login`` in ``access_file``; without a file, the single-machine 管理员.

    A login that the access file does not list is refused in Chinese: the server does not start for them.
    """
    if not access_file:
        return User(login or local_login(), LOCAL_ROLE, masked=False, name="本机用户")
    spec = access.load(access_file)
    if not login:
        raise ConfigError(f"已指定访问权限文件 {access_file}，但没有指定登录名：请用 --user 登录名 说明是谁在使用")
    for user in spec.users:
        if user.login == login:
            return user
    known = "、".join(u.login for u in spec.users)
    raise ConfigError(f"登录名「{login}」不在访问权限文件 {access_file} 中（文件中的登录名：{known}）")


def server_user(environ: dict[str, str] | None = None) -> User:
    """The user the server serves, from its environment (the Hub's user, else ``--user``, else this computer's)."""
    env = os.environ if environ is None else environ
    login = env.get(HUB_USER_ENV) or env.get(USER_ENV) or None
    return resolve_user(login, env.get(ACCESS_ENV) or None)


@dataclass
class Session:
    """One user looking at the workbench: who, with which role, over which stations, on which database."""

    user: User
    url: str
    reports_dir: Path
    local: bool = False  # the single-machine install without an access file
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def login(self) -> str:
        return self.user.login

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def masked(self) -> bool:
        return self.user.masked

    @property
    def display_name(self) -> str:
        return f"{self.user.name}（{self.login}）" if self.user.name else self.login

    @property
    def may_write(self) -> bool:
        return self.user.writes

    def pages(self) -> list[pages.Page]:
        """The pages this user's role may use."""
        return pages.allowed(self.role)

    def may(self, page: str) -> bool:
        return page in pages.BY_NAME and pages.page(page).allows(self.role)

    def scope_text(self) -> str:
        """The stations this user may see, in words."""
        if self.user.all_stations or (ROLES[self.role].all_stations and not self.user.stations
                                      and not self.user.districts):
            return "全部站点"
        parts = []
        if self.user.districts:
            parts.append(f"区县：{'、'.join(self.user.districts)}")
        if self.user.stations:
            parts.append(f"站点：{'、'.join(self.user.stations)}（含下属村社区室）")
        return "；".join(parts)

    def scope_codes(self) -> list[str] | None:
        """The root station codes of the scope (their descendants are included), or None for every station."""
        if self.user.all_stations:
            return None
        codes = list(self.user.stations)
        if self.user.districts:
            stations = open_index(self.url).ds.stations
            codes += stations.loc[stations["district"].isin(self.user.districts), "code"].tolist()
        return list(dict.fromkeys(codes))

    @functools.cached_property
    def _source(self) -> Source:
        return Source(self.url, stations=self.scope_codes())

    @functools.cached_property
    def _index(self) -> Source:
        return Source(self.url, stations=self.scope_codes(), index=True)

    def source(self) -> Source:
        """The read model of this user's scope (masked, as the boards show it)."""
        return self._source

    def workbench(self):
        return self._source.wb

    def index(self):
        """The stations and projects of this user's scope (a workbench without the ledgers, light to hold)."""
        return self._index.wb

    def sources(self) -> list[Source]:
        """What this kernel's page has read from the database."""
        return [s for s in (self.__dict__.get("_source"), self.__dict__.get("_index")) if s is not None and s.loaded]

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` when a page of this kernel has written to the database (the frame reads it again)."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """A page wrote to the database: every listener reads it again (the 数据更新于 of the page moves on)."""
        for listener in list(self._listeners):
            listener()

    @property
    def updated_at(self):
        """When the page last read the database (数据更新于); the index is read now if nothing was yet."""
        loaded = self.sources()
        return max(s.loaded_at for s in loaded) if loaded else self._index.loaded_at


def from_environment(environ: dict[str, str] | None = None) -> Session:
    """The session of a page kernel: the server's user, the database URL, the user's report folder."""
    env = os.environ if environ is None else environ
    user = server_user(env)
    url = storage.database_url(env.get(storage.ENV_VAR))
    reports = Path(env.get(REPORTS_ENV) or DEFAULT_REPORTS_DIR).resolve()
    return Session(user, url, reports, local=not env.get(ACCESS_ENV))


@functools.lru_cache(maxsize=1)
def current() -> Session:
    """This kernel's session (one user per server, so one per kernel)."""
    return from_environment()
