"""Access control enforced by PostgreSQL (``sgz access apply``) and the audit trail (``sgz audit``).

One applied setup is shared by the PostgreSQL tests of this module (``district``): the demo district in a
schema of its own, a 站点社工 of YL01 and an 评估方 of the whole district, with role names unique to the
run, all dropped afterwards. Expected counts come from the demo ``Dataset`` in pandas, not from SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
import yaml
from ledger_books import rows, write_book

from sgzlib import cli, ledger
from sgzlib.cli import json_records
from sgzlib.commands.evaluate import run_evaluation, scored
from sgzlib.domain import schema
from sgzlib.errors import DefinitionError
from sgzlib.store import access, audit, privacy, storage
from sgzlib.store.db import SQL_TABLES
from sgzlib.workbench import open_index

ROOT = Path(__file__).resolve().parent.parent


def sgz(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command line: in this process (no start-up cost), or in a new one when ``env`` is given (kill tests)."""
    if env is not None:
        full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        return subprocess.run([sys.executable, "-m", "sgzlib.cli", *args], capture_output=True, text=True, env=full,
                              cwd=ROOT, timeout=600)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def station_of(ds, table: str):
    """The station code of each row of ``table`` in the demo dataset (through its parent where it has none)."""
    t = schema.TABLE_BY_NAME[table]
    frame = ds[table]
    if t.station_column:
        return frame[t.station_column]
    parent, local = schema.STATION_VIA[table]
    return frame[local].map(ds[parent].set_index("code")["station_code"])


# -- the file -----------------------------------------------------------------------------------------

def test_the_file_is_checked_whole_with_every_problem_named():
    data = {"users": [
        {"login": "Bad-Name", "role": "站点社工", "stations": ["YL01"]},
        {"login": "ev", "role": "评估方", "districts": ["云岭区"], "masked": False},
        {"login": "ev", "role": "督导", "stations": ["YL01"]},
        {"login": "w2", "role": "社工", "stations": ["YL02"], "colour": "red"},
        {"login": "w3", "role": "站点社工"},
    ]}
    with pytest.raises(DefinitionError) as caught:
        access.parse(data, "users.yaml")
    codes = [p.code for p in caught.value.problems]
    assert codes == ["bad_login", "evaluator_unmasked", "duplicate_login", "unknown_key", "bad_role", "no_scope"]
    text = str(caught.value)
    assert "第 4 个用户（w2）" in text and "colour" in text and "role 应为 站点社工、督导" in text


def test_the_example_file_loads_with_role_defaults():
    spec = access.load(ROOT / "data" / "access-example.yaml")
    by_login = {u.login: u for u in spec.users}
    assert by_login["yl_evaluator"].masked and not by_login["yl_evaluator"].writes  # 评估方: always masked
    assert not by_login["yl01_worker"].masked and by_login["yl01_worker"].stations == ("YL01",)
    assert by_login["yl_admin"].all_stations and by_login["yl_manager"].districts == ("云岭区",)


def test_sqlite_says_access_control_needs_postgresql(tmp_path):
    run = sgz("access", "apply", "--db", f"sqlite:///{tmp_path / 'sgz.db'}", str(ROOT / "data" / "access-example.yaml"))
    assert run.returncode == 2 and "访问控制需要 PostgreSQL" in run.stderr


def test_audit_lists_imports_and_exports_in_chinese_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'sgz.db'}"
    book = write_book(tmp_path / "甲站.xlsx", {"社工站": rows("stations")[:2], "服务对象": rows("beneficiaries")[:3]})
    assert sgz("import", str(book), "--db", url).returncode == 0
    assert sgz("import", str(book), "--db", url, "--dry-run").returncode == 0
    assert sgz("export", str(tmp_path / "out.xlsx"), "--db", url, "--mask").returncode == 0
    frame = audit.read(storage.connect(url))
    # first import: 1 station + 2 people new; the dry run finds nothing new; the export names station S1
    assert frame[["action", "new", "changed", "dry_run"]].values.tolist()[:2] == [["import", 3, 0, False],
                                                                                   ["import", 0, 0, True]]
    assert frame["sha256"][0] == hashlib.sha256(book.read_bytes()).hexdigest()
    assert frame["action"][2] == "export" and bool(frame["masked"][2]) and frame["stations"][2] == "S1"
    shown = sgz("audit", "--db", url, "--station", "S1")
    assert shown.returncode == 0, shown.stderr
    assert "导入" in shown.stdout and "甲站.xlsx" in shown.stdout and "导出" in shown.stdout and "共 3 条记录" in shown.stdout
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert "没有符合条件的操作记录" in sgz("audit", "--db", url, "--since", tomorrow).stdout


# -- PostgreSQL ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def district(pg_url, demo_ds):
    """The demo district in its own schema, access applied: a worker of YL01 and an evaluator."""
    tag = uuid.uuid4().hex[:8]
    name = f"a_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={name}"})
    owner_url = base.render_as_string(hide_password=False)
    engine = storage.connect(owner_url)
    storage.write_dataset(engine, demo_ds)
    worker, evaluator = f"w_{tag}", f"e_{tag}"
    spec_data = {"role_prefix": f"g{tag}_", "users": [
        {"login": worker, "role": "站点社工", "stations": ["YL01"]},
        {"login": evaluator, "role": "评估方", "districts": ["云岭区"]}]}
    spec = access.parse(spec_data, "test.yaml")
    first = access.apply(engine, spec)
    assert first.added == [worker, evaluator]

    def url_of(login: str) -> str:
        return base.set(username=login).render_as_string(hide_password=False)

    info = {"schema": name, "engine": engine, "owner_url": owner_url, "spec": spec, "spec_data": spec_data,
            "worker": worker, "evaluator": evaluator, "worker_url": url_of(worker), "evaluator_url": url_of(evaluator)}
    yield info
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        for role in [worker, evaluator, *spec.groups]:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
    admin.dispose()


def psql(url: str):
    """A plain psycopg connection (autocommit) for ``url``."""
    u = sa.engine.make_url(url)
    return psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=u.username,
                           options=u.query["options"], autocommit=True)


YL01_TREE = {"YL01", "YL01-V1", "YL01-V2"}


@pytest.mark.postgres
def test_worker_of_yl01_reads_no_row_of_another_station(district, demo_ds, tmp_path):
    expected = {t.name: int(station_of(demo_ds, t.name).isin(YL01_TREE).sum()) for t in schema.TABLES}
    assert expected["services"] > 100 and expected["case_sessions"] > 10  # the demo's YL01 has real data
    with psql(district["worker_url"]) as conn:
        for t in schema.TABLES:
            n = conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            above = 1 if t.name == "stations" else 0  # YL00's 社工站 row is readable (the 上级站点 of YL01)
            assert n == expected[t.name] + above, t.name
            if t.station_column:
                seen = {r[0] for r in conn.execute(f'SELECT DISTINCT "{t.station_column}" FROM "{t.name}"')}
                assert seen <= YL01_TREE | ({"YL00"} if above else set()), t.name
        assert conn.execute("SELECT count(*) FROM services WHERE station_code = 'YL02'").fetchone()[0] == 0
    out = tmp_path / "yl01.xlsx"
    run = sgz("export", str(out), "--db", district["worker_url"])
    assert run.returncode == 0, run.stderr
    book = ledger.read_workbook(out)
    for t in schema.TABLES:
        frame = book.frames.get(t.name)
        got = 0 if frame is None else len(frame)
        assert got == expected[t.name] + (1 if t.name == "stations" else 0), t.name
    run = sgz("evaluate", "--db", district["worker_url"], "--format", "json")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert results and {r["station_code"] for r in results} == {"YL01"}
    projects = set(demo_ds.projects.loc[demo_ds.projects["station_code"].isin(YL01_TREE), "code"])
    assert {r["project_code"] for r in results} == projects


@pytest.mark.postgres
def test_evaluator_reads_masked_people_and_is_refused_the_raw_columns(district, demo_ds, tmp_path):
    with psql(district["evaluator_url"]) as conn:
        for table, column in (("beneficiaries", "name"), ("beneficiaries", "phone"), ("beneficiaries", "id_number"),
                              ("staff", "name"), ("volunteers", "phone"), ("services", "summary")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT {column} FROM {table}")
        assert conn.execute("SELECT count(*) FROM beneficiaries").fetchone()[0] == len(demo_ds.beneficiaries)
        people = dict(conn.execute("SELECT code, name FROM masked_beneficiaries").fetchall())
    raw = demo_ds.beneficiaries.set_index("code")
    assert people == {c: privacy.mask_name(n) for c, n in raw["name"].items()}  # the Python rule, value for value
    out = tmp_path / "masked.xlsx"
    run = sgz("export", str(out), "--db", district["evaluator_url"])
    assert run.returncode == 0, run.stderr
    assert "已脱敏" in run.stdout
    book = ledger.read_workbook(out)
    assert book.masked  # marked as a masked export: it can never be imported over real data
    got = book.frames["beneficiaries"].set_index("code")
    assert (got["name"] == raw["name"].map(privacy.mask_name).reindex(got.index)).all()
    assert (got["phone"].dropna() == raw["phone"].dropna().map(privacy.mask_phone).reindex(
        got["phone"].dropna().index)).all()
    assert not set(got["name"]) & set(raw["name"]) - {privacy.mask_name(n) for n in raw["name"]}
    run = sgz("evaluate", "--db", district["evaluator_url"], "--station", "YL02", "--format", "json")
    assert run.returncode == 0, run.stderr
    index = open_index(district["evaluator_url"]).ds  # what the report batches read first: the masked view
    assert len(index.stations) == len(demo_ds.stations) and len(index.projects) == len(demo_ds.projects)
    reference = run_evaluation(district["owner_url"], None, station="YL02")  # as the owner, in clear
    assert json.loads(run.stdout)["results"] == json.loads(json.dumps(json_records(scored(reference.results, None)),
                                                                      ensure_ascii=False))


@pytest.mark.postgres
def test_sql_masking_follows_the_python_rules(district, demo_ds):
    names = list(demo_ds.beneficiaries["name"]) + ["武　红", "欧阳小明", "王", " 李\u200b四 "]
    phones = list(demo_ds.beneficiaries["phone"].dropna()) + ["０４７１-１２３４５６７", "123", "138 1234 5678"]
    ids = list(demo_ds.beneficiaries["id_number"].dropna()) + ["15070219900307123x", "12345"]
    with psql(district["owner_url"]) as conn:
        for fn, values, rule in (("sgz_mask_name", names, privacy.mask_name),
                                 ("sgz_mask_phone", phones, privacy.mask_phone),
                                 ("sgz_mask_id_number", ids, privacy.mask_id_number)):
            got = [r[0] for r in conn.execute(f"SELECT {fn}(v) FROM unnest(%s::text[]) WITH ORDINALITY u(v, i) "
                                              "ORDER BY i", (values,))]
            assert got == [rule(v) for v in values], fn
        text = conn.execute("SELECT sgz_mask_text(%s, '{\"张小三\": true}'::jsonb, '张', ARRAY[3], NULL)",
                            ("张小三来电13812345678，身份证150702199003071234，座机0471-1234567",)).fetchone()[0]
    assert text == "张*三来电138****5678，身份证150702************，座机*******4567"


@pytest.mark.postgres
def test_out_of_scope_import_is_refused_and_the_database_unchanged(district, tmp_path):
    owner = district["engine"]
    book = ledger.export_workbook(storage.load_dataset(owner, "YL02"), tmp_path / "yl02.xlsx")
    before = _fingerprint(owner)
    run = sgz("import", str(book), "--db", district["worker_url"])
    assert run.returncode == 2
    assert "权限范围不包括站点 YL02、YL02-V1、YL02-V2：" in run.stderr, run.stderr
    assert _fingerprint(owner) == before
    run = sgz("import", str(book), "--db", district["evaluator_url"])  # 评估方: read only
    assert run.returncode == 2 and f"账号 {district['evaluator']}（评估方）不能导入" in run.stderr
    assert _fingerprint(owner) == before


@pytest.mark.postgres
def test_import_audit_row_exists_exactly_when_the_import_committed(district, tmp_path):
    owner = district["engine"]
    ds = storage.load_dataset(owner, "YL01")
    first = ds.services["code"].iloc[0]
    ds.frames["services"].loc[ds.services["code"] == first, "attendance"] = 99  # one changed row
    book = ledger.export_workbook(ds, tmp_path / "东湖街道.xlsx")
    digest = hashlib.sha256(book.read_bytes()).hexdigest()
    before = _fingerprint(owner)
    killed = sgz("import", str(book), "--db", district["worker_url"], env={"SGZ_FAULT_AT": "import-written"})
    assert killed.returncode == -9, killed.stderr
    assert _fingerprint(owner) == before  # neither the rows nor their audit row
    assert not (audit.read(owner)["sha256"] == digest).any()
    done = sgz("import", str(book), "--db", district["worker_url"])
    assert done.returncode == 0, done.stderr
    rows_ = audit.read(owner)
    mine = rows_[rows_["sha256"] == digest]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (row["login"], row["action"], row["file_name"], row["new"], row["changed"], bool(row["dry_run"])) == (
        district["worker"], "import", "东湖街道.xlsx", 0, 1, False)
    assert set(row["stations"].split("、")) == YL01_TREE
    shown = sgz("audit", "--db", district["worker_url"], "--station", "YL01")
    assert shown.returncode == 0 and "东湖街道.xlsx" in shown.stdout and district["worker"] in shown.stdout


@pytest.mark.postgres
def test_ordinary_roles_cannot_change_the_audit_trail(district):
    with psql(district["worker_url"]) as conn:
        conn.execute("INSERT INTO audit_log (at, login, action) VALUES (now(), current_user, 'export')")
        for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET login = 'x'", "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor write a row in another's name
            conn.execute("INSERT INTO audit_log (at, login, action) VALUES (now(), 'postgres', 'export')")


@pytest.mark.postgres
def test_applying_again_changes_nothing_and_removing_a_user_revokes_them(district, tmp_path):
    engine, spec = district["engine"], district["spec"]
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump(district["spec_data"], allow_unicode=True), encoding="utf-8")
    run = sgz("access", "apply", "--db", district["worker_url"], str(path))  # not the owner
    assert run.returncode == 2 and "没有权限设置访问控制" in run.stderr, run.stderr
    before = _catalog(engine, district)
    assert not access.apply(engine, spec).changed_anything
    assert _catalog(engine, district) == before
    without = access.parse({**district["spec_data"], "users": district["spec_data"]["users"][:1]}, "test.yaml")
    try:
        assert access.apply(engine, without).removed == [district["evaluator"]]
        with pytest.raises(psycopg.OperationalError):  # no login any more
            psql(district["evaluator_url"])
        with engine.connect() as conn:
            groups = conn.execute(sa.text("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                                          "WHERE r.rolname = :n"), {"n": district["evaluator"]}).scalar()
        assert groups == 0
    finally:
        access.apply(engine, spec)
    assert _catalog(engine, district) == before


def _fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in [*SQL_TABLES, "audit_log"]:
            rows_ = conn.execute(sa.text(f'SELECT * FROM "{name}" ORDER BY 1, 2')).fetchall()
            digest.update(f"{name}:{len(rows_)}:{rows_!r}".encode())
    return digest.hexdigest()


def _catalog(engine, district) -> list:
    """Roles, memberships, policies and privileges that ``apply`` manages, as sorted rows."""
    roles = [district["worker"], district["evaluator"], *district["spec"].groups]
    with engine.connect() as conn:
        out = []
        for sql in (
                "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(:r)",
                "SELECT g.rolname, u.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ANY(:r)",
                "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = :s",
                "SELECT grantee, table_name, column_name, privilege_type FROM information_schema.column_privileges "
                "WHERE table_schema = :s AND grantee = ANY(:r)",
                "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE table_schema = :s AND grantee = ANY(:r)"):
            out.append(sorted(tuple(r) for r in conn.execute(sa.text(sql), {"r": roles, "s": district["schema"]})))
    return out
