"""Reading whole tables in bulk, for ``storage.load_dataset``.

Rows through SQLAlchemy cost a Python object per value and then a second
pass to fix the dtypes; a province of 1,000 stations took half a minute that
way. Here each table comes back from the database as Arrow columns, without
a Python object per row, and each column becomes its declared pandas dtype
in one vectorised step:

- SQLite file databases are read through the ADBC SQLite driver (its own
  read-only connection to the same file);
- PostgreSQL through the ADBC PostgreSQL driver (binary COPY into Arrow),
  on its own connection to the URL's database with the engine session's
  ``search_path``; where that connection cannot be made (settings that
  only the engine's ``connect_args`` hold), ``COPY (SELECT …) TO STDOUT`` in
  CSV on the engine's own connection, parsed by Arrow's CSV reader. About
  twice as fast as the CSV path on 2 million rows.

SQLAlchemy still owns the schema: the queries are the ``sa.Select``
statements of ``storage``, compiled for the database. The frames are the
ones the row path gives, value for value (``Numeric`` money as SQLAlchemy's
SQLite dialect returns it: the stored float rounded to its scale). Where
``pyarrow`` or a driver is missing, or the database is another kind or in
memory, ``reader_for`` returns ``None`` and the caller reads rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import sqlalchemy as sa

from . import schema
from .db import SQL_TABLES

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
except ImportError:  # pragma: no cover - pyarrow is a declared dependency
    pa = None

Reader = Callable[[schema.Table, sa.Select], pd.DataFrame]
STRING_KINDS = ("code", "text", "enum", "list")
ARROW_TYPES = {**{k: pa.large_string() for k in STRING_KINDS}, "int": pa.int64(), "money": pa.float64(),
               "bool": pa.bool_(), "number": pa.float64()} if pa is not None else {}
# Money is Numeric(14, 2): SQLAlchemy's SQLite dialect returns Decimal("%.2f" % stored float).
MONEY_SCALE = SQL_TABLES["charity_funds"].c["amount"].type.scale


@contextmanager
def reader_for(conn: sa.Connection) -> Iterator[Reader | None]:
    """A bulk reader for this connection's database while the block runs, or ``None`` to read rows."""
    if pa is None:
        yield None
        return
    name = conn.dialect.name
    if name == "sqlite":
        database = conn.engine.url.database
        try:
            import adbc_driver_sqlite.dbapi as adbc_sqlite
        except ImportError:
            adbc_sqlite = None
        if adbc_sqlite is None or database in (None, "", ":memory:") or database.startswith("file:"):
            yield None
            return
        with adbc_sqlite.connect(database) as adbc:
            with adbc.cursor() as cur:
                cur.execute("PRAGMA busy_timeout = 5000")  # wait for a writer's commit, as pysqlite does
            yield lambda t, query: _sqlite(adbc, conn, t, query)
    elif name == "postgresql" and conn.dialect.driver == "psycopg":
        adbc = _adbc_postgres(conn)
        if adbc is None:
            yield lambda t, query: _postgres(conn, t, query)
            return
        try:
            yield lambda t, query: _adbc_postgres_read(adbc, conn, t, query)
        finally:
            adbc.close()
    else:
        yield None


def _adbc_postgres(conn: sa.Connection):
    """An ADBC PostgreSQL connection to the engine's database with the session's ``search_path``, or ``None``.

    ``None`` (read with ``COPY`` on the engine's own connection
    instead) when the driver is missing or cannot connect with what the URL says.
    """
    try:
        import adbc_driver_postgresql.dbapi as adbc_pg
    except ImportError:
        return None
    url = conn.engine.url.set(drivername="postgresql")
    try:
        adbc = adbc_pg.connect(url.render_as_string(hide_password=False))
        path = conn.exec_driver_sql("SELECT current_setting('search_path')").scalar()
        with adbc.cursor() as cur:
            cur.execute("SELECT set_config('search_path', $1, false)", (path,))
    except Exception:  # noqa: BLE001 - any failure: the COPY path reads the same rows
        return None
    return adbc


def _adbc_postgres_read(adbc, conn: sa.Connection, t: schema.Table, query: sa.Select) -> pd.DataFrame:
    with adbc.cursor() as cur:
        cur.execute(_sql(conn, query))
        table = cur.fetch_arrow_table()
    return frame_from_arrow(t, table, money_as_stored=True)


def _sql(conn: sa.Connection, query: sa.Select) -> str:
    """The statement as plain SQL text, values inlined (the ``named`` style leaves ``%`` undoubled)."""
    dialect = conn.dialect.__class__(paramstyle="named")
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _sqlite(adbc, conn: sa.Connection, t: schema.Table, query: sa.Select) -> pd.DataFrame:
    with adbc.cursor() as cur:
        # The driver infers each column's type from the first batch: one batch for the whole table.
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
        cur.execute(_sql(conn, query))
        table = cur.fetch_arrow_table()
    return frame_from_arrow(t, table)


def _postgres(conn: sa.Connection, t: schema.Table, query: sa.Select) -> pd.DataFrame:
    data = bytearray()
    sql = f"COPY ({_sql(conn, query)}) TO STDOUT WITH (FORMAT csv)"
    with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for chunk in copy:
            data += chunk
    if not data:
        return schema.empty_frame(t)
    types = {"date": pa.date32(), "int": pa.int64(), "money": pa.float64(), "bool": pa.bool_(), "number": pa.float64()}
    table = pa_csv.read_csv(
        io.BytesIO(data), read_options=pa_csv.ReadOptions(column_names=list(t.names)),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={c.name: types.get(c.kind, pa.string()) for c in t.columns},
            true_values=["t"], false_values=["f"], null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False))
    return frame_from_arrow(t, table, money_as_stored=True)


def frame_from_arrow(t: schema.Table, table, money_as_stored: bool = False) -> pd.DataFrame:
    """The Arrow table as a frame with the table's columns in their declared dtypes (as ``coerce_frame`` gives)."""
    if table.num_rows == 0:
        return schema.empty_frame(t)
    return pd.DataFrame({c.name: _column(c.kind, table.column(c.name), money_as_stored, _few_values(c))
                         for c in t.columns})


def _few_values(c: schema.Column) -> bool:
    """Columns with few distinct values (a vocabulary, a station): built from their distinct values."""
    return c.kind == "enum" or (c.ref or "").startswith("stations.")


def _python_strings(col, few: bool) -> pd.arrays.StringArray:
    """An Arrow string column as pandas' Python-object ``StringArray`` (one ``str`` per distinct value if ``few``)."""
    if few:
        encoded = pc.dictionary_encode(col).combine_chunks()
        values = np.append(encoded.dictionary.to_numpy(zero_copy_only=False).astype(object), pd.NA)
        values = values[pc.fill_null(encoded.indices, -1).to_numpy()]
    else:
        values = col.to_numpy(zero_copy_only=False)
        if col.null_count:
            values[pd.isna(values)] = pd.NA
    return pd.arrays.StringArray(values)


def _column(kind: str, col, money_as_stored: bool, few: bool = False) -> pd.Series:
    dtype = pd.api.types.pandas_dtype(schema.PANDAS_DTYPES[kind])
    if kind == "date":
        if col.null_count == len(col):
            return pd.Series(np.full(len(col), np.datetime64("NaT"), dtype="datetime64[s]"), copy=False)
        days = pc.cast(col, pa.date32()).to_numpy(zero_copy_only=False)
        return pd.Series(days.astype("datetime64[s]"), copy=False)
    target = ARROW_TYPES[kind]
    if col.null_count == len(col):  # SQLite gives an all-blank column no type
        if kind in STRING_KINDS and dtype.storage == "python":
            return pd.Series(pd.arrays.StringArray(np.full(len(col), pd.NA, dtype=object)), copy=False)
        return pd.Series(dtype.__from_arrow__(pa.chunked_array([pa.nulls(len(col), target)])), copy=False)
    if kind == "money":
        if money_as_stored and pa.types.is_floating(col.type):
            values = col.to_pylist()  # PostgreSQL through COPY: the exact decimal text, parsed as float
        elif money_as_stored:  # PostgreSQL numeric through ADBC: Decimal (or its text), exact
            values = [None if v is None else float(str(v)) for v in col.to_pylist()]
        else:  # SQLite: the stored float, rounded to the column's scale as SQLAlchemy returns it
            values = [None if v is None else float(f"{v:.{MONEY_SCALE}f}") for v in col.to_pylist()]
        return pd.Series(pd.array(values, dtype=dtype), copy=False)
    col = pc.cast(col, target)
    if kind in STRING_KINDS:
        empty = pc.equal(col, "")
        if pc.any(empty).as_py():  # "" is blank, as in coerce_frame
            col = pc.if_else(empty, pa.scalar(None, target), col)
        if dtype.storage == "python":
            return pd.Series(_python_strings(col, few), copy=False)
    return pd.Series(dtype.__from_arrow__(col), copy=False)



