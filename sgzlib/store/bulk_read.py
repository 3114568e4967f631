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
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from .db import SQL_TABLES

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
except ImportError:  # pragma: no cover - pyarrow is a declared dependency
    pa = None

Job = tuple[schema.Table, sa.Select]
# SQLite: worker connections reading at once (the driver reads without Python's lock: 2 cores, 2 readers),
# how many rows one read of a whole table takes at most (bigger tables are read in rowid ranges, which come back
# in parallel and are turned into pandas columns while the others are still being read).
SQLITE_READERS = 2
SQLITE_CHUNK_ROWS = 400_000
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
        with adbc_sqlite.connect(database, autocommit=True) as monitor, _sqlite_connect(adbc_sqlite, database) as adbc:
            yield SqliteReader(adbc_sqlite, database, adbc, monitor, conn)
    elif name == "postgresql" and conn.dialect.driver == "psycopg":
        adbc = _adbc_postgres(conn)
        if adbc is None:
            yield Reader(lambda t, query: _postgres(conn, t, query))
            return
        try:
            yield Reader(lambda t, query: _adbc_postgres_read(adbc, conn, t, query))
        finally:
            adbc.close()
    else:
        yield None


class Reader:
    """Reads a table's rows (``reader(table, query)``), or several tables (``many``), as frames in declared dtypes."""

    def __init__(self, one: Callable[[schema.Table, sa.Select], pd.DataFrame]):
        self.one = one

    def __call__(self, t: schema.Table, query: sa.Select) -> pd.DataFrame:
        return self.one(t, query)

    def many(self, jobs: list[Job]) -> dict[str, pd.DataFrame]:
        """Each job's table, read in turn on one connection (one snapshot of the database)."""
        return {t.name: self.one(t, query) for t, query in jobs}


def _sqlite_connect(adbc_sqlite, database: str):
    adbc = adbc_sqlite.connect(database)
    with adbc.cursor() as cur:
        cur.execute("PRAGMA busy_timeout = 5000")  # wait for a writer's commit, as pysqlite does
    return adbc


class SqliteReader(Reader):
    """A SQLite file read through ADBC; ``many`` reads on several connections at once, all at one moment.

    Each worker connection opens a read transaction first. The reads are
    kept only if no write was committed between the reader's creation (before
    its first read, on the main connection) and the moment every worker held
    its transaction (``PRAGMA data_version`` of a separate connection, the
    monitor, is the same at both): then every read, the main connection's
    included, sees the same state of the database, as one connection would.
    Otherwise, or on any error, the main connection reads the tables in turn
    (its transaction has held one state since its first read).
    """

    def __init__(self, adbc_sqlite, database: str, adbc, monitor, conn: sa.Connection):
        super().__init__(lambda t, query: _sqlite(adbc, conn, t, query))
        self.module, self.database, self.adbc, self.monitor, self.conn = adbc_sqlite, database, adbc, monitor, conn
        self.version = self._data_version()

    def many(self, jobs: list[Job]) -> dict[str, pd.DataFrame]:
        tasks = [task for t, query in jobs for task in self._tasks(t, query)]
        if len(tasks) > 1:
            try:
                parts = self._parallel(tasks)
            except Exception:  # noqa: BLE001 - a busy or failing worker: the main connection reads instead
                parts = None
            if parts is not None:
                count = Counter(task[0] for task in tasks)
                return {t.name: _joined([parts[(t.name, i)] for i in range(count[t.name])]) for t, _ in jobs}
        return super().many(jobs)

    def _tasks(self, t: schema.Table, query: sa.Select) -> list[tuple[str, int, schema.Table, str, int]]:
        """(table, part, table, SQL, estimated rows): a whole table, or rowid ranges of a big unscoped one."""
        sql = _sql(self.conn, query)
        froms = query.get_final_froms()
        if query.whereclause is not None or len(froms) != 1 or not isinstance(froms[0], sa.Table):
            return [(t.name, 0, t, sql, SQLITE_CHUNK_ROWS)]  # scoped: one read, rows in the database's order
        with self.adbc.cursor() as cur:
            cur.execute(f'SELECT min(rowid), max(rowid) FROM "{froms[0].name}"')
            low, high = cur.fetchone()
        if low is None:
            return [(t.name, 0, t, sql, 0)]
        parts = max(1, -(-(high - low + 1) // SQLITE_CHUNK_ROWS))
        edges = [low - 1 + (high - low + 1) * i // parts for i in range(parts)] + [high]
        return [(t.name, i, t, f"{sql} WHERE rowid > {edges[i]} AND rowid <= {edges[i + 1]}",
                 edges[i + 1] - edges[i]) for i in range(parts)]

    def _data_version(self) -> int:
        with self.monitor.cursor() as cur:
            cur.execute("PRAGMA data_version")
            return cur.fetchone()[0]

    def _parallel(self, tasks) -> dict[tuple[str, int], pd.DataFrame] | None:
        """Every task's frame, read by ``SQLITE_READERS`` connections at one moment; ``None`` if a write came between."""
        todo: queue.SimpleQueue = queue.SimpleQueue()
        for task in sorted(tasks, key=lambda task: -task[4]):  # biggest first
            todo.put(task)
        done: queue.SimpleQueue = queue.SimpleQueue()
        ready = threading.Barrier(SQLITE_READERS + 1)
        stop = threading.Event()

        def work() -> None:
            try:
                with _sqlite_connect(self.module, self.database) as adbc:
                    with adbc.cursor() as cur:  # the read transaction starts here and holds until the end
                        cur.execute("SELECT count(*) FROM sqlite_master")
                        cur.fetchall()
                    ready.wait()
                    while not stop.is_set():
                        try:
                            name, part, _, sql, _ = todo.get_nowait()
                        except queue.Empty:
                            return
                        done.put(((name, part), _fetch_sqlite(adbc, sql)))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                ready.abort()
                done.put((None, exc))

        workers = [threading.Thread(target=work, daemon=True) for _ in range(SQLITE_READERS)]
        for w in workers:
            w.start()
        try:
            with suppress(threading.BrokenBarrierError):
                ready.wait()
            if ready.broken or self._data_version() != self.version:
                return None  # a worker could not start, or a write came in between
            by_task = {t[0:2]: t[2] for t in tasks}
            frames = {}
            for _ in tasks:
                key, table = done.get()
                if key is None:
                    raise table
                frames[key] = frame_from_arrow(by_task[key], table)  # while the workers read the rest
            return frames
        finally:
            stop.set()
            for w in workers:
                w.join()


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


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
    return frame_from_arrow(t, _fetch_sqlite(adbc, _sql(conn, query)))


def _fetch_sqlite(adbc, sql: str):
    with adbc.cursor() as cur:
        # The driver infers each column's type from the first batch: one batch for the whole table.
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
        cur.execute(sql)
        return cur.fetch_arrow_table()


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
                         for c in t.columns}, copy=False)


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



