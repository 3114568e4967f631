"""The evaluation workflow under PostgreSQL access control: each account writes what its role may, in scope.

The demo district in a schema of its own, access applied (``sgz access apply``): a supervisor of YL01, a
worker of YL01 and an evaluator of 云岭区 (always masked), with role names unique to the run.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from ledger_books import rows, write_book

from sgzlib.actions import scores as sc
from sgzlib.actions import signoff as so
from sgzlib.actions import supervision as sv
from sgzlib.actions import verify as vf
from sgzlib.errors import NotAllowedError
from sgzlib.ledger import import_workbook
from sgzlib.store import access, audit, evaluation_records, signoffs, storage
from sgzlib.store.access import User
from sgzlib.workbench import open_workbench

END = dt.date(2025, 12, 31)
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def district(pg_url, demo_ds):
    tag = uuid.uuid4().hex[:8]
    name = f"e_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={name}"})
    engine = storage.connect(base.render_as_string(hide_password=False))
    storage.write_dataset(engine, demo_ds)
    logins = {"supervisor": f"s_{tag}", "worker": f"w_{tag}", "evaluator": f"e_{tag}"}
    spec = access.parse({"role_prefix": f"g{tag}_", "users": [
        {"login": logins["supervisor"], "role": "督导", "stations": ["YL01"], "name": "王督导"},
        {"login": logins["worker"], "role": "站点社工", "stations": ["YL01"]},
        {"login": logins["evaluator"], "role": "评估方", "districts": ["云岭区"]}]}, "test.yaml")
    access.apply(engine, spec)
    users = {u.login: u for u in spec.users}
    out = {key: (users[login], storage.connect(base.set(username=login).render_as_string(hide_password=False)))
           for key, login in logins.items()}
    yield out
    for _, e in out.values():
        e.dispose()
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        for role in [*logins.values(), *spec.groups]:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_each_role_writes_its_own_rows_under_row_level_security(district, tmp_path):
    sup, sup_engine = district["supervisor"]
    worker, worker_engine = district["worker"]
    ev, ev_engine = district["evaluator"]
    assert ev.masked
    # the supervisor records a session at YL01 from its own masked read model
    wb = open_workbench(sup_engine.url.render_as_string(hide_password=False), stations=["YL01"], masked=True,
                        as_of="2025-11-05")
    draft = sv.prepare(wb, sup_engine, sup, "YL01", dt.date(2025, 11, 5))
    sv.record(sup_engine, sup, draft, sv.Entry(supervisor="王督导", form="个别", actions=(
        sv.NewAction("补齐台账", "YL01-W1", dt.date(2025, 11, 30), 1),)))
    sv.change_status(sup_engine, sup, "YL01-S20251105-01", "已完成", "已补齐", dt.date(2025, 11, 20))
    # the evaluator verifies, uploads a scheme, scores and signs off, reading masked views
    vf.verify(ev_engine, ev, "P2025-YL01", "ZL-JS-05", "服务内容展示墙", "已核验", END, "现场查看")
    sc.upload_scheme(ev_engine, ev, "title: 细则\ncatalogue: zhalainuoer-2026\nindicators:\n"
                                    "  - {id: ZL-JS-05, points: 10}\n", "细则.yaml")
    sc.enter_scores(ev_engine, ev, "P2025-YL01", {"ZL-JS-05": (9, "良好")})
    so.sign(ev_engine, ev, "P2025-YL01", END)
    frozen = so.status(ev_engine, ["P2025-YL01"]).iloc[0]["changes"].set_index("indicator_id")
    assert frozen.loc["ZL-JS-05", "status"] == "达标"
    # the worker's import that unticks nothing but adds a ticked item of ZL-JS-01 changes the figures
    book = write_book(tmp_path / "yl01.xlsx", {"站点建设": rows("checklist", [
        {"station_code": "YL01", "item": "阵地标识与人员着装", "done": True, "done_date": dt.date(2025, 6, 1)}])})
    with pytest.raises(signoffs.SignoffConflict):
        import_workbook(worker_engine, book)
    import_workbook(worker_engine, book, accept_signoff_changes=True)
    [notice] = so.notices(ev_engine, ["P2025-YL01"]).to_dict("records")
    assert notice["login"] == worker.login and notice["changes"]["indicator_id"].unique().tolist() == ["ZL-JS-01"]
    # every write has its audit row, under the account that made it
    log = audit.read(district["evaluator"][1]).merge(audit.read(sup_engine), how="outer")
    made = set(zip(log["login"], log["action"]))
    assert {(sup.login, "supervision"), (sup.login, "action_status"), (ev.login, "verify"),
            (ev.login, "scoring_scheme"), (ev.login, "scores"), (ev.login, "signoff"),
            (worker.login, "import")} <= made
    # the database itself refuses what a role may not write: a worker appending a verdict, a sign-off
    with worker_engine.begin() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied|row-level"):
        evaluation_records.add_verification(conn, at=evaluation_records.now(), login=worker.login,
                                            station_code="YL01", project_code="P2025-YL01", indicator_id="ZL-JS-05",
                                            item="服务内容展示墙", verdict="verified", date=END, note="自己核验")
    with worker_engine.begin() as conn, pytest.raises(sa.exc.ProgrammingError, match="row-level"):
        signoffs.add_event(conn, login=worker.login, station_code="YL01", project_code="P2025-YL01",
                           event="signed", as_of=END)
    # and the library refuses it first, in Chinese
    with pytest.raises(NotAllowedError, match="不能核验检查项"):
        vf.verify(worker_engine, worker, "P2025-YL01", "ZL-JS-05", "服务内容展示墙", "已核验", END, "x")
    with pytest.raises(NotAllowedError, match="个人信息已脱敏"):
        sv.prepare(wb, ev_engine, User(ev.login, "督导", masked=True, districts=("云岭区",)), "YL01", END)
