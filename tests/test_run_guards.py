"""The test run's own machinery: the line on skipped tests, the check that nothing is left running, and the
throwaway PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import leftovers
import psutil
import pytest
import sqlalchemy as sa
from programs import lacking, skipped_line

from sgzlib.runtime import system_packages, throwaway_postgres


def _skip(nodeid: str, reason: str):
    return SimpleNamespace(nodeid=nodeid, longrepr=("tests/conftest.py", 90, f"Skipped: {reason}"))


def test_one_line_names_the_skipped_files_by_program_and_the_command(monkeypatch):
    monkeypatch.setattr(system_packages, "missing_packages", lambda purpose, env: ("poppler-utils",))
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    monkeypatch.delenv("SGZ_CHROMIUM", raising=False)
    line = skipped_line([
        _skip("tests/test_visual.py::test_a", f"{lacking('chromium')}，跳过"),
        _skip("tests/test_visual.py::test_b", f"{lacking('chromium')}，跳过"),
        _skip("tests/test_storage.py::test_c[postgresql]", f"{lacking('postgres')}（未设置 SGZ_TEST_POSTGRES_URL），跳过"),
        _skip("tests/test_x.py::test_d", "另一个原因"),
    ])
    assert "\n" not in line
    assert line == ("跳过了 3 项测试（缺少 Chromium 浏览器：tests/test_visual.py；缺少 PostgreSQL 服务器：tests/test_storage.py）。"
                    "另有 1 项因其他原因跳过（pytest -rs 列出原因）。"
                    "安装后全部运行：sudo apt-get install -y chromium poppler-utils postgresql && make test")
    assert skipped_line([]) == ""


def _orphan(env: dict) -> int:
    """A ``sleep`` whose parent exits at once: it belongs to the init process, not to this one."""
    out = subprocess.run(["sh", "-c", "sleep 120 >/dev/null 2>&1 & echo $!"], env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout)


def test_a_process_left_by_the_run_is_found_even_as_an_orphan_and_ended(monkeypatch):
    mark = f"{os.environ[leftovers.RUN_ENV]}-guard-test"
    monkeypatch.setenv(leftovers.RUN_ENV, mark)
    monkeypatch.setattr(leftovers, "GRACE_SECONDS", 1)
    ours = _orphan(dict(os.environ))
    theirs = _orphan(leftovers.without_mark())  # what is meant to outlive a test carries no mark
    try:
        assert ours not in [p.pid for p in psutil.Process().children(recursive=True)]
        found = [p.pid for p in leftovers.still_running(mark, descendants=False)]
        assert found == [ours]
        left = leftovers.end_leftovers(mark, descendants=False)
        assert len(left) == 1 and left[0].startswith(f"{ours} sleep 120")
        deadline = time.monotonic() + 10
        while psutil.pid_exists(ours) and psutil.Process(ours).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert leftovers.end_leftovers(mark, descendants=False) == []
    finally:
        for pid in (ours, theirs):
            if psutil.pid_exists(pid):
                psutil.Process(pid).kill()


def test_a_child_that_stops_in_time_is_not_a_leftover(monkeypatch):
    monkeypatch.setattr(leftovers, "GRACE_SECONDS", 10)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1)"])
    try:
        assert child.pid in [p.pid for p in leftovers.still_running(os.environ[leftovers.RUN_ENV], descendants=False)]
        assert leftovers.end_leftovers(os.environ[leftovers.RUN_ENV], descendants=False) == []
    finally:
        child.wait(10)


def test_server_programs_are_found_on_the_path_only(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert throwaway_postgres.bindir() is None  # nothing on the PATH: no server, whatever /usr/lib holds
    for name in ("initdb", "pg_ctl"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    assert throwaway_postgres.bindir() == tmp_path.resolve()


@pytest.mark.slow
def test_throwaway_postgres_answers_and_is_gone_after_stop(pg_url):  # pg_url: skipped where there is no server
    server = throwaway_postgres.start(env=leftovers.without_mark())
    try:
        engine = sa.create_engine(server.url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 6 * 7")).scalar() == 42
        engine.dispose()
    finally:
        server.stop()
    assert not server.folder.exists()
    with pytest.raises(sa.exc.OperationalError):
        sa.create_engine(server.url).connect()
