"""Outputs written atomically (a kill while saving leaves the previous file), and reports of a station without records.

The kill tests run the real command in a child process and kill it (SIGKILL) in the middle of writing the
workbook's zip container: after the fix the previous file is byte for byte the same and still opens.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sgzlib.domain.dataset import Dataset
from sgzlib.store import outputs, storage

ROOT = Path(__file__).resolve().parents[2]

# Child process: run ``sgz ARGS`` and SIGKILL itself at the Nth part written into any zip file.
KILLER = textwrap.dedent("""
    import os, signal, sys, zipfile
    from sgzlib import cli
    n = int(sys.argv[1])
    seen = [0]
    real = zipfile.ZipFile.writestr
    def writestr(self, *args, **kw):
        seen[0] += 1
        if seen[0] == n:
            self.fp.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *args, **kw)
    zipfile.ZipFile.writestr = writestr
    sys.exit(cli.main(sys.argv[2:]))
""")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _killed(*argv: str, at: int = 6) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", KILLER, str(at), *argv], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def small_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'sgz.db'}"
    storage.write_dataset(storage.connect(url), _empty_station())
    return url


def _empty_station() -> Dataset:
    """A new station with its project and nothing else (no people, no records)."""
    return Dataset({
        "stations": pd.DataFrame([{"code": "N1", "name": "新建街道社会工作服务站", "level": "乡镇街道站",
                                   "district": "新区"}]),
        "projects": pd.DataFrame([{"code": "P1", "station_code": "N1", "year": 2025,
                                   "start": pd.Timestamp("2025-01-01"), "end": pd.Timestamp("2025-12-31"),
                                   "budget": 100000.0, "catalogue": "civil-affairs-2024", "tier": "10万"}])})


@pytest.mark.parametrize("command", ["export", "template"])
def test_killed_while_saving_leaves_the_previous_file(tmp_path, small_db, command):
    target = tmp_path / "台账.xlsx"
    argv = ["export", str(target), "--db", small_db] if command == "export" else ["template", str(target)]
    from sgzlib import cli

    assert cli.main(argv) == 0
    good = _digest(target)
    run = _killed(*argv)
    assert run.returncode == -signal.SIGKILL, run.stderr[-500:]  # it really died mid-save
    assert _digest(target) == good
    wb = openpyxl.load_workbook(target, read_only=True)  # and it is still a workbook
    assert "社工站" in wb.sheetnames
    wb.close()


def test_killed_evaluate_xlsx_leaves_the_previous_file(tmp_path, small_db):
    target = tmp_path / "评估.xlsx"
    argv = ["evaluate", "--format", "xlsx", "--out", str(target), "--as-of", "2025-06-30", "--db", small_db]
    from sgzlib import cli

    assert cli.main(argv) == 0
    good = _digest(target)
    assert _killed(*argv, at=3).returncode == -signal.SIGKILL
    assert _digest(target) == good
    assert zipfile.is_zipfile(target)


def test_atomic_error_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.html"
    target.write_text("旧内容", encoding="utf-8")
    with pytest.raises(RuntimeError), outputs.atomic(target) as partial:
        partial.write_text("一半", encoding="utf-8")
        raise RuntimeError("写到一半")
    assert target.read_text(encoding="utf-8") == "旧内容"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.html"]


def test_atomic_file_gets_the_ordinary_mode(tmp_path):
    # mkstemp creates 0600; the finished file must be readable like any file the user's umask allows.
    old = os.umask(0o022)
    os.umask(old)
    path = outputs.write_text(tmp_path / "r.html", "内容")
    assert path.stat().st_mode & 0o777 == 0o666 & ~outputs._UMASK


def test_empty_station_evaluates_without_error(small_db):
    # The crash of issue 12 was in the indicator engine: mapping group codes by an empty Series of dates.
    from sgzlib.indicators import evaluate

    ds = storage.load_dataset(storage.connect(small_db))
    results = evaluate(ds, pd.Timestamp("2025-06-30").date()).results
    summary = results[results["period"] == "全期"]
    # civil-affairs-2024 10万 has 53 indicators; with no records every actual value is 0.
    assert len(summary) == 53
    assert summary["actual"].fillna(0).eq(0).all()


@pytest.mark.slow
def test_reports_of_a_station_without_records_say_so(tmp_path, small_db):
    # Station and assessment notebooks run to the end and carry the Chinese notice.
    from sgzlib.reports import batch, jobs

    todo = jobs.station_jobs(small_db, ["N1"], "2025-06-30") + jobs.assessment_jobs(small_db, ["P1"], "2025-06-30")
    results = batch.run_jobs(todo, tmp_path / "out", formats=("ipynb", "html"), workers=2, progress=False)
    assert [r.error for r in results] == [None, None]
    for r in results:
        html = r.files["html"].read_text(encoding="utf-8")
        assert "还没有任何台账记录" in html
    assert results[1].files["xlsx"].exists()


@pytest.mark.slow
def test_reports_of_a_station_with_records_have_no_notice(tmp_path, demo_ds):
    from sgzlib.reports import station

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    assert station.build(url, "YL01", "2025-10-31").no_records == ""


def test_stale_temporary_of_a_killed_run_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "台账.xlsx"
    stale = tmp_path / ".台账.xlsx.abc123.tmp.xlsx"
    fresh = tmp_path / ".台账.xlsx.def456.tmp.xlsx"  # another writer's, still in use
    stale.write_bytes(b"PK")
    fresh.write_bytes(b"PK")
    hour_ago = os.path.getmtime(stale) - outputs.STALE_SECONDS - 5
    os.utime(stale, (hour_ago, hour_ago))
    outputs.write_text(target, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, "台账.xlsx"]
