"""Reading whole tables in bulk, for ``storage.load_dataset``.

Rows through SQLAlchemy cost a Python object per value and then a second
pass to fix the dtypes; a province of 1,000 stations took half a minute that
way. Here each table comes back from the database as Arrow columns, without
a Python object per row, and each column becomes its declared pandas dtype
in one vectorised step:

- SQLite file databases are read through the ADBC SQLite driver (its own
  read-only connection to the same file);
- PostgreSQL streams ``COPY (SELECT …) TO STDOUT`` in CSV on the engine's
  own connection (so ``search_path`` and the other connection settings
  hold), parsed by Arrow's CSV reader with the column types given.

SQLAlchemy still owns the schema: the queries are the ``sa.Select``
statements of ``storage``, compiled for the database. The frames are the
ones the row path gives, value for value (``Numeric`` money as SQLAlchemy's
SQLite dialect returns it: the stored float rounded to its scale). Where
``pyarrow`` or a driver is missing, or the database is another kind or in
memory, ``reader_for`` returns ``None`` and the caller reads rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable

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
               "bool": pa.bool_()} if pa is not None else {}
# Money is Numeric(14, 2): SQLAlchemy's SQLite dialect returns Decimal("%.2f" % stored float).
MONEY_SCALE = SQL_TABLES["charity_funds"].c["amount"].type.scale


def reader_for(conn: sa.Connection) -> Reader | None:
    """A bulk reader for this connection's database, or ``None`` to read rows through SQLAlchemy."""
    if pa is None:
        return None
    name = conn.dialect.name
    if name == "sqlite":
        database = conn.engine.url.database
        if database in (None, "", ":memory:") or database.startswith("file:"):
            return None
        try:
            import adbc_driver_sqlite.dbapi as adbc_sqlite
        except ImportError:
            return None
        return lambda t, query: _sqlite(adbc_sqlite, database, conn, t, query)
    if name == "postgresql" and conn.dialect.driver == "psycopg":
        return lambda t, query: _postgres(conn, t, query)
    return None


def _sql(conn: sa.Connection, query: sa.Select) -> str:
    return str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _sqlite(adbc_sqlite, database: str, conn: sa.Connection, t: schema.Table, query: sa.Select) -> pd.DataFrame:
    with adbc_sqlite.connect(database) as adbc, adbc.cursor() as cur:
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
    types = {"date": pa.date32(), "int": pa.int64(), "money": pa.float64(), "bool": pa.bool_()}
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
            return pd.Series(np.full(len(col), np.datetime64("NaT"), dtype="datetime64[s]"))
        days = pc.cast(col, pa.date32()).to_numpy(zero_copy_only=False)
        return pd.Series(days.astype("datetime64[s]"))
    target = ARROW_TYPES[kind]
    if col.null_count == len(col):  # SQLite gives an all-blank column no type
        return pd.Series(dtype.__from_arrow__(pa.chunked_array([pa.nulls(len(col), target)])))
    col = pc.cast(col, target)
    if kind in STRING_KINDS:
        empty = pc.equal(col, "")
        if pc.any(empty).as_py():  # "" is blank, as in coerce_frame
            col = pc.if_else(empty, pa.scalar(None, target), col)
        if dtype.storage == "python":
            return pd.Series(_python_strings(col, few))
    elif kind == "money" and not money_as_stored:
        rounded = [None if v is None else float(f"{v:.{MONEY_SCALE}f}") for v in col.to_pylist()]
        return pd.Series(pd.array(rounded, dtype=dtype))
    return pd.Series(dtype.__from_arrow__(col))



