"""The masking in PostgreSQL (``store.masking_sql``) against the masking in Python (``store.privacy``), and the
masked role's views read by the linkage audit (``sgz privacy check --masked-db``).

PostgreSQL only (``pg_url``): skipped locally without a server, run in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgzlib import cli
from sgzlib.domain import personal
from sgzlib.domain.dataset import Dataset
from sgzlib.store import access, masking_sql, privacy, privacy_audit, storage

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(pg_url):
    """A connection with the masking functions in a schema of its own."""
    name = f"m_{uuid.uuid4().hex[:8]}"
    u = sa.engine.make_url(pg_url)
    conn = psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=u.username, password=u.password,
                           autocommit=True)
    conn.execute(f'CREATE SCHEMA "{name}"')
    conn.execute(f'SET search_path = "{name}"')
    conn.execute(masking_sql.functions_sql())
    yield conn
    conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    conn.close()


PEOPLE = privacy.People({"武红", "张小三", "欧阳小明", "孙敏", "阿依古丽买买提"},
                        frozenset({__import__("datetime").date(1945, 3, 2)}), {"孙敏磊", "王督导"})
# Characters masking treats specially, in every role: digits (full-width, circled), separators, stars, spaces of
# every kind, zero-width and control characters, name dots, the names' characters, date and unit words.
ALPHABET = list("0123456789０１２３①⑧ -()（）.*＊xX年月日元人 \u3000\u00a0\u200b\u2060\t\n·・武红张小三欧阳明孙敏磊王督导"
                "阿依古丽买提，。1945-03-02")


def sql_mask_text(conn, text: str) -> str:
    names = json.dumps({**{n: True for n in PEOPLE.names}, **{n: False for n in PEOPLE.keep}}, ensure_ascii=False)
    births = json.dumps({d.isoformat(): True for d in PEOPLE.births})
    return conn.execute("SELECT sgz_mask_text(%s, %s::jsonb, %s, %s, %s::jsonb)",
                        (text, names, "".join(sorted(PEOPLE.firsts)), PEOPLE.lengths, births)).fetchone()[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
def test_sql_masks_free_text_exactly_as_python_does(pg, text):
    assert sql_mask_text(pg, text) == privacy.mask_text(text, PEOPLE)


@pytest.mark.parametrize("text, expected", [
    ("走访武\u3000红和张\u200b小三，孙敏磊陪同", "走访武*和张*三，孙敏磊陪同"),  # a staff name shown whole (keep)
    ("电话139*2679*6250，身份证150702 19900307 8123", "电话139****6250，身份证150702************"),
    ("1945年3月2日生，19450302", "1945年*月*日生，1945****"),  # a birth date keeps its year
    ("①③⑨②⑥⑦⑨⑥②⑤⓪", "139****6250"),  # circled digits fold to digits
])
def test_sql_masking_of_the_forms_the_issue_names(pg, text, expected):
    assert privacy.mask_text(text, PEOPLE) == expected
    assert sql_mask_text(pg, text) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=20))
def test_sql_masks_names_phones_and_id_numbers_as_python_does(pg, value):
    for fn, rule in (("sgz_mask_name", privacy.mask_name), ("sgz_mask_phone", privacy.mask_phone),
                     ("sgz_mask_id_number", privacy.mask_id_number)):
        assert pg.execute(f"SELECT {fn}(%s)", (value,)).fetchone()[0] == rule(value), fn


# --- the masked role, read by the audit ----------------------------------------------------------------------

def planted(demo_ds) -> Dataset:
    """The demo with YL02's people named in YL01's free text, in the forms people type them."""
    frames = {k: v.copy() for k, v in demo_ds.frames.items()}
    others = frames["beneficiaries"][frames["beneficiaries"]["station_code"] == "YL02"].head(12)
    s = frames["services"]
    mine = s.index[s["station_code"] == "YL01"][:12]
    forms = ["{n}", "{n0}\u3000{nr}", "{n0}\u200b{nr}", "{n0} {nr}"]
    for k, (idx, p) in enumerate(zip(mine, others.itertuples())):
        name = forms[k % 4].format(n=p.name, n0=p.name[0], nr=p.name[1:])
        s.at[idx, "summary"] = (f"走访{name}，电话{p.phone[:3]}*{p.phone[3:7]}*{p.phone[7:]}，"
                                f"证件{p.id_number[:6]} {p.id_number[6:14]} {p.id_number[14:]}，{p.birth_date:%Y年%-m月%-d日}生")
    return Dataset(frames)


@pytest.fixture(scope="module")
def district(pg_url, demo_ds):
    tag = uuid.uuid4().hex[:8]
    name = f"p_{tag}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    base = sa.engine.make_url(pg_url).set(query={"options": f"-csearch_path={name}"})
    engine = storage.connect(base.render_as_string(hide_password=False))
    ds = planted(demo_ds)
    storage.write_dataset(engine, ds)
    worker, evaluator = f"w_{tag}", f"e_{tag}"
    spec = access.parse({"role_prefix": f"g{tag}_", "users": [
        {"login": worker, "role": "站点社工", "stations": ["YL01"]},
        {"login": evaluator, "role": "评估方", "districts": ["云岭区"]}]}, "test.yaml")
    access.apply(engine, spec)
    engine.dispose()
    urls = {who: base.set(username=login).render_as_string(hide_password=False)
            for who, login in (("worker", worker), ("evaluator", evaluator))}
    yield {"ds": ds, "owner": base.render_as_string(hide_password=False), **urls}
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        for role in [worker, evaluator, *spec.groups]:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_the_masked_role_s_views_and_columns_rebuild_nothing(district, tmp_path):
    from sgzlib.reports import privacy_check

    secrets = privacy_audit.Secrets.of(district["ds"])
    seen = privacy_check.role(district["evaluator"]) + privacy_check.exports(district["evaluator"], tmp_path, ["YL01"])
    views = seen[0]
    assert len(views.tables["beneficiaries"]) == 544 and len(views.tables["services"]) == len(district["ds"].services)
    assert privacy_audit.audit(seen, secrets) == []
    # the same reading of the tables in clear (as their owner) finds every planted value and every person
    with sa.create_engine(district["owner"]).connect() as conn:
        clear = "\n".join(conn.execute(sa.text(f'SELECT * FROM "{t}"')).fetchall().__repr__()
                          for t in ("beneficiaries", "services"))
    leaks = privacy_audit.audit([privacy_audit.Output("明文", personal.EXTERNAL, clear)], secrets)
    assert {f.who for f in leaks if f.kind == "id_number"} == set(district["ds"].beneficiaries["code"])


def test_a_worker_s_masked_export_of_one_station_masks_the_other_station_s_people(district, tmp_path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["export", "--mask", "--station", "YL01", str(tmp_path / "yl01.xlsx"),
                         "--db", district["worker"]]) == 0
    # the worker cannot read YL02's people, yet their names in YL01's summaries are masked (sgz_mask_texts)
    output = privacy_audit.read_file(tmp_path / "yl01.xlsx", personal.EXTERNAL)
    assert len(output.tables["beneficiaries"]) == 82  # YL01 and its villages only (demo)
    assert privacy_audit.audit([output], privacy_audit.Secrets.of(district["ds"])) == []
    summaries = " ".join(output.tables["services"]["summary"].dropna())
    assert summaries.count("走访") == 12 and "*" in summaries
