"""`sgz demo` and `sgz --help`; the demo district's shape and its planted problems."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from sgzlib.cli import main
from sgzlib.demo import district as demo
from sgzlib.indicators import evidence
from sgzlib.store import storage


def table_digest(url: str) -> str:
    """A digest of every row of every table, independent of file layout."""
    engine = sa.create_engine(url)
    h = hashlib.sha256()
    with engine.connect() as conn:
        for name in sorted(sa.inspect(engine).get_table_names()):
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.text(f'select * from "{name}"')))
            h.update(f"{name}:{len(rows)}".encode())
            for row in rows:
                h.update(row.encode())
    return h.hexdigest()


@pytest.mark.slow
def test_sgz_demo_twice_leaves_the_same_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--db", url]) == 0
    first = table_digest(url)
    out = capsys.readouterr().out
    assert "示范区「云岭区」已写入" in out and "服务记录" in out
    assert main(["demo", "--db", url]) == 0
    assert table_digest(url) == first
    assert "数据库已是最新，未做任何修改" in capsys.readouterr().out


def test_help_lists_commands_in_chinese():
    out = subprocess.run([sys.executable, "-m", "sgzlib.cli", "--help"], capture_output=True, text=True, check=True).stdout
    assert "社工站督导与个案分析工作台" in out and "demo" in out


def test_bad_database_url_is_a_chinese_error(capsys):
    assert main(["demo", "--db", "nosuchdb://x"]) == 2
    assert "数据库地址无效" in capsys.readouterr().err


def test_demo_is_deterministic_and_shaped_as_promised(demo_ds):
    again = demo.build()
    for name, frame in demo_ds.frames.items():
        assert frame.equals(again[name]), name
    st = demo_ds.stations
    assert st["level"].value_counts().to_dict() == {"县区总站": 1, "乡镇街道站": 7, "村社区室": 14}
    projects = demo_ds.projects.set_index("station_code")
    assert sorted(set(projects["catalogue"])) == ["civil-affairs-2024", "jiuyuan-2024", "panzhihua-2021",
                                                   "zhalainuoer-2026"]
    assert sorted(projects["tier"].dropna()) == ["10万", "20万"]
    # a full year of records
    assert demo_ds.services["date"].min().month == 1 and demo_ds.services["date"].max().month == 12


def test_demo_plants_the_evidence_problems(demo_ds):
    ev = evidence.service_evidence(demo_ds)
    assert (ev["reason_code"] == "no_photo").sum() > 0
    reused = evidence.reused_photos(demo_ds)
    assert reused["photo"].tolist() == [demo.PLANTED.reused_photo]
    assert sorted(reused.at[0, "records"].split("、")) == sorted(demo.PLANTED.reused_by)


def test_demo_station_behind_pace_has_fewer_services(demo_ds):
    per_station = demo_ds.services.groupby("station_code").size()
    assert per_station.idxmin() == demo.PLANTED.behind_station


def test_demo_plants_worse_post_tests_and_overdue_actions(demo_ds):
    m = demo_ds.measurements
    pre = m[m.phase == "前测"].set_index(["beneficiary_code", "scale"])["score"]
    post = m[m.phase == "后测"].set_index(["beneficiary_code", "scale"])["score"]
    direction = {s: d for s, _, _, d in demo.SCALES_BY_DOMAIN.values()}
    for person in demo.PLANTED.worsened:
        (scale,) = {s for b, s in pre.index if b == person}
        # worse = lower on a higher-is-better scale, higher on a lower-is-better one
        assert (post[(person, scale)] - pre[(person, scale)]) * direction[scale] < 0
    sup = demo_ds.supervisions
    overdue = sup[(sup.action_due < str(demo.AS_OF)) & (sup.action_status != "已完成")]
    assert set(overdue["station_code"]) == set(demo.PLANTED.overdue_action_stations)


def test_connect_creates_the_sqlite_folder(tmp_path):
    engine = storage.connect(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    assert (tmp_path / "a" / "b" / "x.db").exists()
    engine.dispose()
