"""Databases for the reliability suite: each test gets a fresh SQLite file or PostgreSQL schema by URL.

Tests here run imports through the command line and in other processes, so
they need a URL (not an engine): for PostgreSQL the schema is chosen with the
``options=-csearch_path=…`` connection parameter.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'sgz.db'}"


def _schemas(pg_url):
    """Yields a maker of URLs of new, empty PostgreSQL schemas; drops them all when resumed."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    made = []

    def make() -> str:
        name = f"r_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        made.append(name)
        sep = "&" if "?" in pg_url else "?"
        return f"{pg_url}{sep}options=-csearch_path%3D{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def new_pg_url(pg_url):
    """Makes URLs of new, empty PostgreSQL schemas (all dropped afterwards)."""
    yield from _schemas(pg_url)


@pytest.fixture(scope="module")
def module_pg_url(pg_url):
    """Like ``new_pg_url``, for databases shared by the tests of one module (dropped after the module)."""
    yield from _schemas(pg_url)


@pytest.fixture
def pg_schema_url(new_pg_url):
    return new_pg_url()


@pytest.fixture
def second_url(request, db_url, tmp_path):
    """Another empty database of the same kind as ``db_url``, for a reference run."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'reference.db'}"
    return request.getfixturevalue("new_pg_url")()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request):
    """A URL of an empty database (no schema yet), SQLite and PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_schema_url")
