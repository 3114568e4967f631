"""Who may see what, as data, enforced by PostgreSQL itself (``sgz access apply``).

The users-and-roles file (YAML, ``data/access-example.yaml``) names each user's login, role and scope:
stations (each with every station below it) or districts (所属区县), or all stations for 管理员. Personal
data is masked by role default (``ROLES``); a user may override it, except 评估方, who is always masked.
``load`` checks the whole file and reports every problem at once.

``apply`` turns it into PostgreSQL objects, idempotently, in one transaction:

- a group role per role (``<prefix>worker`` …), a group for clear and one for masked reading, and a login
  role per user, member of its role's group and of one of those two (a user removed from the file loses
  its memberships and its login);
- row-level security on every ledger table and the photo index: a row is visible (and writable) when its
  station is in ``sgz_visible_stations(current_user)``, a function that expands the user's scope roots
  (``sgz_access_users`` / ``sgz_access_scope``) to their descendants at query time, so a village room
  imported later is covered at once; the 社工站 rows of the stations above (not their data) are readable
  too, since a station's workbook names its 上级站点;
- masked users get no SELECT on the personal and free-text columns of the raw tables (``SELECT name FROM
  beneficiaries`` is refused) and read them through ``masked_<table>`` views, which mask what
  ``domain.personal`` masks for the masked role (everyone's names, phones, ID numbers, birth dates, and in
  free text the same, looking for the names and birth dates of the whole database) with the algorithm of
  ``privacy`` ported to SQL (``masking_sql``). ``storage`` reads those views for a masked session
  (``session``), so every command, report and dashboard runs unchanged and sees less;
  ``privacy.mask_dataset`` still runs on top where an output leaves the station (masked values stay as
  they are); ``sgz_mask_texts`` masks free text with the whole database's people for a clear user who sees
  only some stations;
- the audit trail (``audit_log``): every role may insert its own rows and read its stations' rows, none may
  update or delete.

The database owner (who runs ``sgz access apply``) and superusers bypass row-level security, as before.
Passwords are never in the file: set them with ``ALTER ROLE … PASSWORD`` (psql ``\\password``) or use
the server's other authentication methods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml

from ..domain import personal, schema
from ..errors import ConfigError, DataError, DefinitionError, Problem
from . import audit, masking_sql, storage
from .db import ACCESS_SCOPE, ACCESS_USERS, SPENDING_OVERRULES, SQL_TABLES, metadata
from .session import (  # noqa: F401 (kept importable from here)
    MASKED_AUDIENCE,
    MASKED_TABLES,
    ROLES,
    Role,
    Session,
    masked_columns,
    relation,
    session,
    visible_stations,
)

DEFAULT_PREFIX = "sgz_"
LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
USER_KEYS = {"login", "name", "role", "stations", "districts", "masked"}
FILE_KEYS = {"role_prefix", "users"}
TITLE = "访问权限文件有误"


@dataclass(frozen=True)
class User:
    login: str
    role: str
    masked: bool
    stations: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    name: str = ""

    @property
    def all_stations(self) -> bool:
        return ROLES[self.role].all_stations and not self.stations and not self.districts

    @property
    def writes(self) -> bool:
        return ROLES[self.role].writes and not self.masked


@dataclass
class AccessFile:
    users: list[User]
    prefix: str = DEFAULT_PREFIX
    where: str = ""

    def group(self, key: str) -> str:
        return f"{self.prefix}{key}"

    @property
    def groups(self) -> list[str]:
        return [self.group(r.key) for r in ROLES.values()] + [self.group("clear"), self.group("masked")]


# -- the file -----------------------------------------------------------------------------------------

def load(path: str | Path) -> AccessFile:
    """Read and check a users-and-roles file; ``DefinitionError`` with every problem at once."""
    path = Path(path)
    where = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取访问权限文件 {path}：{exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("yaml", f"不是有效的 YAML：{exc}", where=where)], title=TITLE) from None
    return parse(data, where)


def parse(data, where: str = "访问权限文件") -> AccessFile:
    problems: list[Problem] = []

    def bad(code: str, message: str, place: str = "", value=None) -> None:
        problems.append(Problem(code, message, where=f"{where} {place}".strip(), value=value))

    if not isinstance(data, dict):
        raise DefinitionError([Problem("not_mapping", "文件顶层应为键值表，包含 users（用户列表）", where=where)],
                              title=TITLE)
    for key in sorted(set(data) - FILE_KEYS, key=str):
        bad("unknown_key", f"未知的键「{key}」（可用：{'、'.join(sorted(FILE_KEYS))}）")
    prefix = data.get("role_prefix", DEFAULT_PREFIX)
    if not isinstance(prefix, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,30}", prefix):
        bad("bad_prefix", "role_prefix 应为小写字母、数字或下划线组成的前缀（不超过 31 个字符），"
                          "用作 PostgreSQL 组角色名的开头", value=prefix)
        prefix = DEFAULT_PREFIX
    entries = data.get("users")
    if not isinstance(entries, list) or not entries:
        bad("no_users", "缺少 users：应为用户列表，每个用户一项，写明 login、role 和范围")
        entries = []
    users, seen = [], {}
    for i, entry in enumerate(entries, 1):
        place = f"第 {i} 个用户"
        if not isinstance(entry, dict):
            bad("user_not_mapping", "每个用户应为键值表（login、role、stations 或 districts 等）", place)
            continue
        login = entry.get("login")
        if isinstance(login, str):
            place = f"第 {i} 个用户（{login}）"
        for key in sorted(set(entry) - USER_KEYS, key=str):
            bad("unknown_key", f"未知的键「{key}」（可用：{'、'.join(sorted(USER_KEYS))}）", place)
        ok = True
        if not isinstance(login, str) or not LOGIN.match(login):
            bad("bad_login", "login 是数据库登录名，应为小写字母或下划线开头、由小写字母、数字、下划线组成，"
                             "不超过 63 个字符", place, login)
            ok = False
        elif login in seen:
            bad("duplicate_login", f"login 与第 {seen[login]} 个用户重复", place, login)
            ok = False
        else:
            seen[login] = i
            if login.startswith(prefix):
                bad("login_prefix", f"login 不能以组角色前缀「{prefix}」开头（会与组角色混淆）", place, login)
                ok = False
        role = entry.get("role")
        if role not in ROLES:
            bad("bad_role", f"role 应为 {'、'.join(ROLES)} 之一", place, role)
            ok = False
        stations = _codes(entry.get("stations"), "stations", place, bad)
        districts = _codes(entry.get("districts"), "districts", place, bad)
        if stations is None or districts is None:
            ok = False
        masked = entry.get("masked")
        if masked is not None and not isinstance(masked, bool):
            bad("bad_masked", "masked 应为 true 或 false（不写则按角色默认）", place, masked)
            ok = False
        if role in ROLES:
            r = ROLES[role]
            if r.always_masked and masked is False:
                bad("evaluator_unmasked", f"{role}的个人信息总是脱敏，不能设 masked: false", place)
                ok = False
            if not r.all_stations and ok and not stations and not districts:
                bad("no_scope", f"{role}须写明范围：stations（站点编码，含下属站点）或 districts（区县名）", place)
                ok = False
        name = entry.get("name", "")
        if not isinstance(name, str):
            bad("bad_name", "name 应为文字（用户的姓名或说明）", place, name)
            ok = False
        if ok:
            users.append(User(login, role, ROLES[role].masked if masked is None else masked,
                              tuple(stations), tuple(districts), name or ""))
    if problems:
        raise DefinitionError(problems, title=TITLE)
    return AccessFile(users, prefix, where)


def _codes(value, key: str, place: str, bad) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) and str(v).strip() for v in value):
        bad("bad_scope", f"{key} 应为编码或名称的列表，如 [YL01, YL02]", place, value)
        return None
    return [str(v).strip() for v in value]


# -- the session --------------------------------------------------------------------------------------

def check_import(conn: sa.Connection, stations: set[str] | None, file_name: str) -> None:
    """Refuse (``DataError``, nothing written) an import the connection's user may not make: any import for a
    read-only user, and one speaking for ``stations`` outside the user's scope (``None``: the role only)."""
    me = session(conn)
    if me is None:
        return
    if not me.writes:
        why = "个人信息对该账号脱敏" if me.masked else f"角色「{me.role}」只能查看"
        raise DataError([Problem("read_only", f"账号 {me.login}（{me.role}）不能导入：{why}", where=file_name)],
                        title="无权导入，未写入任何内容")
    if stations is None:
        return
    outside = sorted(stations - visible_stations(conn))
    if outside:
        raise DataError([Problem("out_of_scope", f"账号 {me.login}（{me.role}）的权限范围不包括站点 "
                                 f"{'、'.join(outside)}：该工作簿不能由此账号导入，请联系管理员",
                                 where=file_name, value="、".join(outside))],
                        title="无权导入，未写入任何内容")


# -- SQL ----------------------------------------------------------------------------------------------

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scope_predicate(table: str, alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    visible = "(SELECT sgz_visible_stations(current_user))"
    if table in ("photo_files", "spending_overrules"):
        return f"{a}station_code IN {visible}"
    t = schema.TABLE_BY_NAME[table]
    if t.station_column:
        return f"{a}{_q(t.station_column)} IN {visible}"
    parent, local = schema.STATION_VIA[table]
    return f"{a}{_q(local)} IN (SELECT code FROM {_q(parent)} WHERE station_code IN {visible})"


# The stations above a user's own (their 社工站 rows are readable: a workbook names its 上级站点).
ANCESTORS = "(SELECT sgz_visible_ancestors(current_user))"

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION sgz_visible_stations(who name) RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  WITH RECURSIVE u AS (
    SELECT login, all_stations FROM sgz_access_users
    WHERE login = who AND pg_has_role(session_user, who, 'MEMBER')),
  tree(code) AS (
    SELECT s.code FROM stations s
    WHERE EXISTS (SELECT 1 FROM u WHERE u.all_stations)
       OR s.code IN (SELECT a.value FROM sgz_access_scope a JOIN u USING (login) WHERE a.kind = 'station')
       OR s.district IN (SELECT a.value FROM sgz_access_scope a JOIN u USING (login) WHERE a.kind = 'district')
    UNION
    SELECT s.code FROM stations s JOIN tree t ON s.parent_code = t.code)
  SELECT code FROM tree
$$;
CREATE OR REPLACE FUNCTION sgz_visible_ancestors(who name) RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  WITH RECURSIVE up(code) AS (
    SELECT s.parent_code FROM stations s
    WHERE s.code IN (SELECT sgz_visible_stations(who)) AND s.parent_code IS NOT NULL
    UNION
    SELECT s.parent_code FROM stations s JOIN up ON s.code = up.code WHERE s.parent_code IS NOT NULL)
  SELECT code FROM up
$$;
CREATE OR REPLACE FUNCTION sgz_session(who name) RETURNS TABLE (login varchar, role varchar, masked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  SELECT login, role, masked FROM sgz_access_users WHERE login = who AND pg_has_role(session_user, who, 'MEMBER')
$$;
"""

def view_sql(table: str) -> str:
    """``CREATE OR REPLACE VIEW masked_<table>``: every column, the personal and free-text ones masked for
    the masked role's audience (``personal``), free text scanned for everyone's names (``masking_sql``)."""
    kinds = masked_columns(table)
    cols = [masking_sql.column_sql(c, kinds[c]) if c in kinds else f"r.{_q(c)}"
            for c in (col.name for col in metadata.tables[table].columns)]
    people = f", ({masking_sql.people_sql(personal.persons_masked(MASKED_AUDIENCE))}) k" \
        if personal.TEXT in kinds.values() else ""
    where = _scope_predicate(table, "r")
    if table == "stations":
        where = f"({where} OR r.code IN {ANCESTORS})"
    return (f"CREATE OR REPLACE VIEW {_q('masked_' + table)} WITH (security_barrier) AS SELECT "
            f"{', '.join(cols)} FROM {_q(table)} r{people} WHERE {where}")


# -- applying -----------------------------------------------------------------------------------------

@dataclass
class ApplySummary:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        parts = [f"{label} {len(v)} 个（{'、'.join(v)}）" for label, v in
                 (("新增账号", self.added), ("修改账号", self.changed), ("停用账号", self.removed)) if v]
        return "；".join(parts) if parts else "无变化"


def apply(engine: sa.Engine, spec: AccessFile, file_name: str = "", sha256: str | None = None) -> ApplySummary:
    """Create or update the roles, privileges, policies and views of ``spec``, in one transaction."""
    if engine.dialect.name != "postgresql":
        raise ConfigError("访问控制需要 PostgreSQL：SQLite 数据库只在一台电脑上使用，没有数据库账号可分配。"
                          "请用 --db postgresql+psycopg://… 指定 PostgreSQL 数据库")
    try:
        return _apply(engine, spec, file_name, sha256)
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in ("42501", "42000"):  # insufficient privilege
            raise ConfigError(f"没有权限设置访问控制：sgz access apply 须由数据库表的所有者（且能创建角色）执行"
                              f"（数据库的说明：{str(exc.orig).splitlines()[0]}）") from None
        raise


def _apply(engine: sa.Engine, spec: AccessFile, file_name: str, sha256: str | None) -> ApplySummary:
    with storage.write_transaction(engine) as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": storage.MIGRATION_LOCK})
        _check_scope(conn, spec)
        summary = _compare(conn, spec)
        schema_name = conn.execute(sa.text("SELECT current_schema()")).scalar()
        functions = FUNCTIONS + masking_sql.functions_sql() + masking_sql.texts_function_sql()
        conn.exec_driver_sql(functions.replace("{schema}", _q(schema_name)))
        _roles(conn, spec, summary)
        _store(conn, spec)
        _privileges(conn, spec, schema_name)
        if summary.changed_anything:
            audit.record(conn, "access", file_name=file_name, sha256=sha256,
                         stations=sorted({s for u in spec.users for s in u.stations}), detail=summary.describe())
    return summary


def _check_scope(conn: sa.Connection, spec: AccessFile) -> None:
    stations = SQL_TABLES["stations"]
    codes = set(conn.execute(sa.select(stations.c.code)).scalars())
    districts = set(conn.execute(sa.select(stations.c.district).distinct()).scalars())
    problems = []
    for u in spec.users:
        for s in u.stations:
            if s not in codes:
                problems.append(Problem("unknown_station", "数据库中没有这个站点编码（请先导入站点）",
                                        where=f"{spec.where} 用户 {u.login}", column="stations", value=s))
        for d in u.districts:
            if d not in districts:
                problems.append(Problem("unknown_district", "数据库中没有站点属于这个区县（「所属区县」列）",
                                        where=f"{spec.where} 用户 {u.login}", column="districts", value=d))
    if problems:
        raise DefinitionError(problems, title=TITLE)


def _stored(conn: sa.Connection) -> dict[str, tuple]:
    users = {r.login: r for r in conn.execute(sa.select(ACCESS_USERS))}
    scope: dict[str, set] = {}
    for r in conn.execute(sa.select(ACCESS_SCOPE)):
        scope.setdefault(r.login, set()).add((r.kind, r.value))
    return {login: (r.name or "", r.role, r.masked, r.all_stations, frozenset(scope.get(login, ())))
            for login, r in users.items()}


def _wanted(u: User) -> tuple:
    return (u.name, u.role, u.masked, u.all_stations, frozenset(_scope_rows(u)))


def _scope_rows(u: User) -> set[tuple[str, str]]:
    return {("station", s) for s in u.stations} | {("district", d) for d in u.districts}


def _compare(conn: sa.Connection, spec: AccessFile) -> ApplySummary:
    before = _stored(conn)
    out = ApplySummary()
    for u in spec.users:
        (out.added if u.login not in before else
         out.unchanged if before[u.login] == _wanted(u) else out.changed).append(u.login)
    out.removed = sorted(set(before) - {u.login for u in spec.users})
    return out


def _role_exists(conn: sa.Connection, name: str) -> bool:
    return bool(conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first())


def _roles(conn: sa.Connection, spec: AccessFile, summary: ApplySummary) -> None:
    ex = conn.exec_driver_sql
    for g in spec.groups:
        if not _role_exists(conn, g):
            ex(f"CREATE ROLE {_q(g)} NOLOGIN")
    for login in summary.removed:  # removed from the file: no memberships, no login
        if _role_exists(conn, login):
            for g in spec.groups:
                ex(f"REVOKE {_q(g)} FROM {_q(login)}")
            ex(f"ALTER ROLE {_q(login)} NOLOGIN")
    for u in spec.users:
        if not _role_exists(conn, u.login):
            ex(f"CREATE ROLE {_q(u.login)} LOGIN")
        else:
            ex(f"ALTER ROLE {_q(u.login)} LOGIN")
        mine = {spec.group(ROLES[u.role].key), spec.group("masked" if u.masked else "clear")}
        for g in spec.groups:
            ex(f"{'GRANT' if g in mine else 'REVOKE'} {_q(g)} {'TO' if g in mine else 'FROM'} {_q(u.login)}")


def _store(conn: sa.Connection, spec: AccessFile) -> None:
    conn.execute(ACCESS_SCOPE.delete())
    conn.execute(ACCESS_USERS.delete())
    conn.execute(ACCESS_USERS.insert(), [{"login": u.login, "name": u.name, "role": u.role, "masked": u.masked,
                                          "all_stations": u.all_stations} for u in spec.users])
    rows = [{"login": u.login, "kind": k, "value": v} for u in spec.users for k, v in sorted(_scope_rows(u))]
    if rows:
        conn.execute(ACCESS_SCOPE.insert(), rows)


def _privileges(conn: sa.Connection, spec: AccessFile, schema_name: str) -> None:
    ex = conn.exec_driver_sql
    groups = ", ".join(_q(g) for g in spec.groups)
    clear, masked = _q(spec.group("clear")), _q(spec.group("masked"))
    writers = ", ".join(_q(spec.group(r.key)) for r in ROLES.values() if r.writes)
    ex(f"GRANT USAGE ON SCHEMA {_q(schema_name)} TO {groups}")
    ex(f"REVOKE ALL ON alembic_version, audit_log, sgz_access_users, sgz_access_scope FROM {groups}")
    ex(f"GRANT SELECT ON alembic_version TO {groups}")
    tables = [t.name for t in schema.TABLES] + ["photo_files"]
    for name in tables:
        ex(f"REVOKE ALL ON {_q(name)} FROM {groups}")
        ex(f"ALTER TABLE {_q(name)} ENABLE ROW LEVEL SECURITY")
        ex(f"DROP POLICY IF EXISTS sgz_scope ON {_q(name)}")
        predicate = _scope_predicate(name)
        ex(f"CREATE POLICY sgz_scope ON {_q(name)} USING ({predicate}) WITH CHECK ({predicate})")
        if name == "stations":  # the rows of the stations above one's own: readable, not writable
            ex("DROP POLICY IF EXISTS sgz_above ON stations")
            ex(f"CREATE POLICY sgz_above ON stations FOR SELECT USING (code IN {ANCESTORS})")
        ex(f"GRANT SELECT ON {_q(name)} TO {clear}")
        ex(f"GRANT INSERT, UPDATE, DELETE ON {_q(name)} TO {writers}")
        hidden = set(masked_columns(name)) if name != "photo_files" else set()  # thumbnails: as in masked reports
        shown = [c.name for c in SQL_TABLES[name].columns if c.name not in hidden] if hidden else []
        if not hidden:
            ex(f"GRANT SELECT ON {_q(name)} TO {masked}")
        else:
            ex(f"GRANT SELECT ({', '.join(_q(c) for c in shown)}) ON {_q(name)} TO {masked}")
    for name in MASKED_TABLES:
        ex(view_sql(name))
        ex(f"REVOKE ALL ON {_q('masked_' + name)} FROM {groups}")
        ex(f"GRANT SELECT ON {_q('masked_' + name)} TO {masked}")
    # Free text masked with the whole database's people, for users who see only some stations (``storage``).
    ex("REVOKE ALL ON FUNCTION sgz_mask_texts(text[], text[]) FROM PUBLIC")
    ex(f"GRANT EXECUTE ON FUNCTION sgz_mask_texts(text[], text[]) TO {groups}")
    ex("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    for policy in ("sgz_audit_read", "sgz_audit_insert"):
        ex(f"DROP POLICY IF EXISTS {policy} ON audit_log")
    ex("CREATE POLICY sgz_audit_read ON audit_log FOR SELECT USING (login = current_user OR "
       "string_to_array(stations, '、') && ARRAY(SELECT sgz_visible_stations(current_user))::text[])")
    ex("CREATE POLICY sgz_audit_insert ON audit_log FOR INSERT WITH CHECK (login = current_user)")
    ex(f"GRANT SELECT, INSERT ON audit_log TO {groups}")
    _overrule_privileges(ex, spec, groups)


def _overrule_privileges(ex, spec: AccessFile, groups: str) -> None:
    """Evaluators' decisions on spending flags (``spending_overrules``): read within one's stations, added by
    评估方 and 管理员 under their own login, never changed. The note is the evaluator's own reason about an
    expense; outputs mask it as free text (``privacy``)."""
    visible = "(SELECT sgz_visible_stations(current_user))"
    deciders = ", ".join(_q(spec.group(ROLES[name].key)) for name in ("评估方", "管理员"))
    clear, masked = _q(spec.group("clear")), _q(spec.group("masked"))
    shown = [c.name for c in SPENDING_OVERRULES.columns if c.name not in masked_columns("spending_overrules")]
    ex(f"REVOKE ALL ON spending_overrules FROM {groups}")
    ex("ALTER TABLE spending_overrules ENABLE ROW LEVEL SECURITY")
    for policy in ("sgz_overrule_read", "sgz_overrule_insert"):
        ex(f"DROP POLICY IF EXISTS {policy} ON spending_overrules")
    ex(f"CREATE POLICY sgz_overrule_read ON spending_overrules FOR SELECT USING (station_code IN {visible})")
    ex("CREATE POLICY sgz_overrule_insert ON spending_overrules FOR INSERT "
       f"WITH CHECK (login = current_user AND station_code IN {visible})")
    ex(f"GRANT SELECT ON spending_overrules TO {clear}")
    ex(f"GRANT SELECT ({', '.join(_q(c) for c in shown)}) ON spending_overrules TO {masked}")  # the note: masked view
    ex(f"GRANT INSERT ON spending_overrules TO {deciders}")
