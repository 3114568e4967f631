"""Shared fixtures: the demo district, databases (SQLite and PostgreSQL), isolated Jupyter dirs, the programs
some tests need, and the run's end: what was skipped, and that nothing the tests started is still running."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import leftovers
import pytest
import sqlalchemy as sa
from programs import missing, need, skipped_line

from sgzlib.demo import district as demo
from sgzlib.errors import ConfigError
from sgzlib.runtime import throwaway_postgres
from sgzlib.store import storage

ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT = ROOT / "test-output"


# The longest test files, longest first (measured under `make test`). They are handed out first, so that the
# workers of `make test` (pytest-xdist, a file each: --dist loadfile --no-loadscope-reorder) end together
# instead of one of them starting a long file when the others are done. Any file not listed runs after them.
LONG_FIRST = (
    "test_install.py",  # mostly waiting for pip to fetch the packages of a fresh venv
    "test_workbench.py", "test_evaluation_browser.py", "test_workbench_local.py", "reliability/test_hostile_inputs.py",
    "reliability/test_kills.py", "test_ledger_codes.py",
    "test_lab_browser.py", "test_dashboards.py", "test_dashboard_server.py", "test_visual.py",
    "reliability/test_masking.py", "test_hub.py", "test_reports_notebooks.py", "test_lab_gallery.py",
    "test_verdicts_agree.py", "reliability/test_import_races.py", "reliability/test_paths.py",
    "test_ledger_roundtrip.py", "test_look.py", "test_ledger_import.py", "test_vocabulary.py", "test_actions.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONG_FIRST)}

    def place(item) -> int:
        relative = item.path.relative_to(ROOT / "tests").as_posix()
        return rank.get(relative, len(LONG_FIRST))

    items.sort(key=place)  # stable: tests keep their order within a file


@pytest.fixture(scope="session", autouse=True)
def _isolated_jupyter(tmp_path_factory):
    """Jupyter and IPython state in a folder of the test run, never the home folder."""
    base = tmp_path_factory.mktemp("jupyter")
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        os.environ.setdefault(var, str(base / sub))
    yield


@pytest.fixture(scope="session")
def demo_ds():
    """The seeded demo district as a Dataset (built once per run; treat as read-only)."""
    return demo.build()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory, demo_ds):
    """The demo district in a SQLite file, written once per run (treat as read-only: copy it, ``demo_db_copy``)."""
    path = tmp_path_factory.mktemp("demo-db") / "sgz.db"
    storage.write_dataset(storage.connect(f"sqlite:///{path}"), demo_ds)
    return path


@pytest.fixture
def demo_db_copy(demo_db_file, tmp_path):
    """A fresh copy of the demo database for one test to write to."""
    path = tmp_path / "sgz.db"
    shutil.copyfile(demo_db_file, path)
    return path


@pytest.fixture(scope="session")
def pg_url(request):
    """URL of the PostgreSQL server for tests: ``SGZ_TEST_POSTGRES_URL``, else a throwaway server of the run
    (``throwaway_postgres``); skipped when there is neither, a failure in CI."""
    url = os.environ.get(PG_ENV_VAR) or RUN_POSTGRES.ensure(allowed=not hasattr(request.config, "workerinput"))
    if url:
        return url
    missing("postgres", f"未设置 {PG_ENV_VAR}，{RUN_POSTGRES.why or '临时 PostgreSQL 未能启动'}")


@pytest.fixture
def pg_engine(pg_url):
    """A fresh, empty schema on the test PostgreSQL server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    engine = sa.create_engine(pg_url, connect_args={"options": f"-csearch_path={name}"})
    storage.upgrade_schema(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    """A fresh SQLite file database with the schema migrated."""
    return storage.connect(f"sqlite:///{tmp_path / 'sgz.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request):
    """Each storage test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


# -- programs some tests need: found as sgz finds them (system_packages.PROGRAMS) --------------------------------
@pytest.fixture(scope="session")
def chromium():
    """The Chromium sgz prints with (``SGZ_CHROMIUM``, else the PATH, else /usr/bin/chromium: runtime/browser.py),
    with the CJK fonts the reports are set in."""
    need("fonts")
    return need("chromium")


@pytest.fixture(scope="session")
def libreoffice():
    return need("libreoffice")


@pytest.fixture(scope="session")
def poppler():
    """``pdftotext`` (``pdftoppm`` lies beside it on the PATH)."""
    return need("poppler")


@pytest.fixture(scope="session")
def npm():
    return need("npm")


# -- the run's PostgreSQL -----------------------------------------------------------------------------------------
PG_ENV_VAR = "SGZ_TEST_POSTGRES_URL"


class RunPostgres:
    """A throwaway PostgreSQL for the run when ``SGZ_TEST_POSTGRES_URL`` is unset: started once, by the
    controller before the pytest-xdist workers start (they inherit the variable), or by the first test
    that asks in a run without workers; stopped when the run ends."""

    server: throwaway_postgres.Server | None = None
    why = ""

    def ensure(self, allowed: bool = True) -> str | None:
        if self.server is None and allowed and not self.why:
            if throwaway_postgres.bindir() is None:
                self.why = "没有 PostgreSQL 服务器程序"
                return None
            try:
                self.server = throwaway_postgres.start(env=leftovers.without_mark())
            except ConfigError as exc:
                self.why = str(exc)
                return None
            os.environ[PG_ENV_VAR] = self.server.url
        return self.server.url if self.server else None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            os.environ.pop(PG_ENV_VAR, None)
            self.server = None


RUN_POSTGRES = RunPostgres()


def pytest_configure(config):
    worker = getattr(config, "workerinput", None)
    leftovers.mark_run(worker["workerid"] if worker else None)
    if worker is None and getattr(config.option, "numprocesses", None) and not os.environ.get(PG_ENV_VAR):
        RUN_POSTGRES.ensure()


def pytest_unconfigure(config):
    RUN_POSTGRES.stop()


# -- the run's end: nothing left running, and one line on what was skipped ------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _nothing_left_running():
    """First set up, last torn down: at the end of this process's tests every server, kernel and browser they
    started must have stopped (``leftovers``); what still runs is ended and the run fails."""
    yield
    left = leftovers.end_leftovers(os.environ[leftovers.RUN_ENV])
    if left:
        pytest.fail("测试结束后仍在运行（已结束它们）：\n" + "\n".join(left), pytrace=False)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """The controller, once the workers are gone: no process of the whole run may still run."""
    if hasattr(session.config, "workerinput"):
        return
    left = leftovers.end_leftovers(os.environ[leftovers.RUN_ENV], prefix=True)
    if left:
        session.config.stash[LEFT_KEY] = left
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


LEFT_KEY = pytest.StashKey[list]()


@pytest.hookimpl(trylast=True)  # after the durations table: the last lines of the run
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    left = config.stash.get(LEFT_KEY, [])
    if left:
        terminalreporter.write_line("测试结束后仍有进程在运行（已结束它们，本次运行判为失败）：\n  " + "\n  ".join(left),
                                    red=True)
    line = skipped_line(terminalreporter.stats.get("skipped", []))
    if line:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def pdftotext(poppler):
    """poppler-utils' pdftotext (the text of a PDF as a reader would copy it)."""
    return poppler


@pytest.fixture(scope="session")
def output_dir():
    """Where tests keep artefacts a person may want to look at (screenshots, reports)."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
