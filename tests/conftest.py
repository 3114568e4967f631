"""Shared fixtures: the demo district, databases (SQLite and PostgreSQL), isolated Jupyter dirs."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from sgzlib.demo import district as demo
from sgzlib.store import storage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT = ROOT / "test-output"


# The longest test files, longest first (measured under `make test`). They are handed out first, so that the
# workers of `make test` (pytest-xdist, a file each: --dist loadfile --no-loadscope-reorder) end together
# instead of one of them starting a long file when the others are done. Any file not listed runs after them.
LONG_FIRST = (
    "reliability/test_hostile_inputs.py", "reliability/test_kills.py", "test_ledger_codes.py",
    "test_lab_browser.py", "test_dashboards.py", "test_dashboard_server.py", "test_visual.py",
    "reliability/test_masking.py", "test_hub.py", "test_reports_notebooks.py", "test_lab_gallery.py",
    "test_verdicts_agree.py", "reliability/test_import_races.py", "reliability/test_paths.py",
    "test_ledger_roundtrip.py", "test_look.py", "test_ledger_import.py", "test_vocabulary.py",
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
def pg_url():
    """URL of the PostgreSQL server for tests: skipped locally when unset, a failure in CI."""
    url = os.environ.get("SGZ_TEST_POSTGRES_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI 中必须设置 SGZ_TEST_POSTGRES_URL：PostgreSQL 测试不能跳过")
        pytest.skip("未设置 SGZ_TEST_POSTGRES_URL，跳过 PostgreSQL 测试")
    return url


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


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium: skipped locally when missing, a failure in CI."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if IN_CI:
            pytest.fail("CI 中必须安装 Chromium（/usr/bin/chromium）：浏览器测试不能跳过")
        pytest.skip("未安装 /usr/bin/chromium，跳过浏览器测试")
    return CHROMIUM


def _program(name: str, why: str) -> str:
    """The path of a program the test needs: skipped locally when missing, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"CI 中必须安装 {name}：{why}测试不能跳过")
        pytest.skip(f"未安装 {name}，跳过{why}测试")
    return path


@pytest.fixture(scope="session")
def pdftotext():
    """poppler-utils' pdftotext (the text of a PDF as a reader would copy it)."""
    return _program("pdftotext", "PDF 文字")


@pytest.fixture(scope="session")
def libreoffice():
    """LibreOffice, to print a workbook as Excel or WPS would (headless, to PDF)."""
    path = shutil.which("libreoffice") or shutil.which("soffice")
    return path or _program("libreoffice", "工作簿打印")


@pytest.fixture(scope="session")
def output_dir():
    """Where tests keep artefacts a person may want to look at (screenshots, reports)."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
