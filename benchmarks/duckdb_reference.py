"""A second, hand-written implementation of the heaviest rule kinds, in DuckDB SQL.

It serves twice. Its per-project results must equal the indicator engine's
(``compare``; an independent implementation, so any difference is a bug in
one of the two), and it is the yardstick of the evaluation benchmark: what a
columnar SQL engine takes for the same rules on the same tables.

The rule kinds, as the engine's registry defines them (``sgzlib/indicators/rules``):

- ``period_count`` on service records: valid records per month or quarter of
  each project, under the catalogue's photo rule (a record needs a watermark
  photo, and a photo used by several records counts for the first user only,
  earliest date then code, over all service records) and upload rule;
- ``per_person_period``: the share of people on the follow-up roster (tracked
  in a period when joined by its first day and not left before its last) with
  at least the target number of valid visits in each quarter;
- ``qualified_groups``: groups (owned by the project of their first session,
  else of their plan) with at least ``min_sessions`` sessions up to the
  evaluation date that each had ``min_attendance`` people signed in, a sign-in
  sheet and a valid photo where required (photo reuse judged among the
  sessions of the catalogue's groups, as the engine does), and the full record
  set where required;
- ``coverage``: the share of a roster on the evaluation date with an
  assessment inside the project period (or with a flag set).

Records belong to the project of their township (a village room's parent)
whose period, cut at the evaluation date, contains their date. Which
indicators apply to which project (catalogue, tier, optional tasks, target,
parameters) is read from the catalogues; indicators whose parameters this
module does not implement are left out and named in ``Reference.skipped``.

The tables reach DuckDB as Arrow tables (``load``), timed apart from the
queries (``run``). List cells are split on ``、`` and trimmed of white space.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sgzlib.domain import schema
from sgzlib.domain.vocab import LIST_SEPARATOR
from sgzlib.indicators.catalogue import load_catalogue
from sgzlib.indicators.context import resolve_projects

KINDS = {
    "period_count": {"domain", "category", "require_upload"},
    "per_person_period": {"domain", "category", "require_upload", "roster_category"},
    "qualified_groups": {"domain", "min_sessions", "min_attendance", "require_records", "require_sign_in"},
    "coverage": {"population", "population_where", "in_period", "record", "record_where", "flag"},
}
TABLES = ("stations", "services", "beneficiaries", "assessments", "groups", "group_sessions", "volunteers",
          "community_orgs")
POPULATION_DATE = {"beneficiaries": "joined", "volunteers": "registered_on", "community_orgs": "started"}
WHITE = " \t\n\r\x0b\x0c\u3000\xa0"
SEP = LIST_SEPARATOR


@dataclass
class Job:
    """One indicator of one catalogue and tier, over its projects."""

    catalogue: str
    indicator: str
    rule: str
    period: str
    params: dict
    target: float
    projects: list[str]
    photo: bool
    upload: bool


@dataclass
class Reference:
    """The reference's results: ``(project, indicator, period) → actual``, and what it took."""

    actual: dict = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    handover_seconds: float = 0.0
    query_seconds: float = 0.0
    query_cpu: float = 0.0  # CPU seconds of the process (DuckDB's threads included)


def jobs_of(ds, as_of) -> tuple[pd.DataFrame, list[Job], list[str]]:
    """The projects (with their window) and the indicators of the reference's rule kinds to compute."""
    projects = resolve_projects(ds)
    as_of = pd.Timestamp(as_of)
    projects["window_end"] = projects["end"].where(projects["end"] <= as_of, as_of)
    jobs, skipped = [], []
    for cat_id, cat_projects in projects.groupby("catalogue", sort=False):
        cat = load_catalogue(cat_id)
        for ind in cat.indicators:
            if ind.rule not in KINDS:
                continue
            chosen = cat_projects
            if ind.tasks:
                chosen = chosen[chosen["tasks"].map(lambda t, want=set(ind.tasks): bool(want & set(t)))]
            for tier, tier_projects in chosen.groupby(chosen["tier"].fillna(""), sort=False):
                target, params = ind.target(tier or None), ind.params_for(tier or None)
                if target is None:
                    continue
                if not set(params) <= KINDS[ind.rule] or (ind.rule == "coverage" and params.get("record") not in
                                                          (None, "assessments")):
                    skipped.append(f"{cat_id} {ind.id}（参数 {sorted(set(params) - KINDS[ind.rule])}）")
                    continue
                jobs.append(Job(cat_id, ind.id, ind.rule, ind.period, params, float(target),
                                tier_projects["code"].tolist(), cat.photo_required,
                                cat.upload_required or bool(params.get("require_upload"))))
    return projects, jobs, skipped


def load(ds, projects: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the tables handed over as Arrow tables."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for name in TABLES:
        t = schema.TABLE_BY_NAME[name]
        frame = ds[name]
        con.register(name, pa.table({c.name: _arrow(frame[c.name], c.kind) for c in t.columns}))
    p = projects[["code", "station_code", "start", "end", "window_end", "catalogue"]]
    con.register("projects", pa.table({
        "code": pa.array(p["code"].astype(object), pa.string()),
        "town": pa.array(p["station_code"].astype(object), pa.string()),
        "start": pa.array(p["start"].to_numpy(dtype="datetime64[s]").astype("datetime64[D]")),
        "wend": pa.array(p["window_end"].to_numpy(dtype="datetime64[s]").astype("datetime64[D]")),
        "pend": pa.array(p["end"].to_numpy(dtype="datetime64[s]").astype("datetime64[D]")),
        "catalogue": pa.array(p["catalogue"].astype(object), pa.string())}))
    return con


def _arrow(series: pd.Series, kind: str) -> pa.Array:
    if kind == "date":
        return pa.array(series.to_numpy(dtype="datetime64[s]").astype("datetime64[D]"))
    if kind in ("int",):
        return pa.array(series.astype("Float64").to_numpy(dtype=float, na_value=np.nan), pa.float64(),
                        from_pandas=True).cast(pa.int64())
    if kind == "money":
        return pa.array(series.to_numpy(dtype=float, na_value=np.nan), pa.float64(), from_pandas=True)
    if kind == "bool":
        return pa.array(series.astype(object).where(series.notna(), None).tolist(), pa.bool_())
    return pa.array(series.astype(object).where(series.notna(), None).to_numpy(dtype=object), pa.string())


def _in(values) -> str:
    values = values if isinstance(values, (list, tuple)) else [values]
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def _split(column: str) -> str:
    """SQL: the trimmed, non-blank items of a list cell (one row each, with ``unnest``)."""
    return f"trim(unnest(string_split({column}, '{SEP}')), '{WHITE}')"


def prepare(con, as_of: dt.date) -> None:
    """The shared preparations: townships, owned services with their evidence, period grids."""
    a = f"DATE '{as_of.isoformat()}'"
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE town AS
    WITH RECURSIVE up(code, cur, depth) AS (
        SELECT code, code, 0 FROM stations
        UNION ALL
        SELECT up.code, s.parent_code, up.depth + 1 FROM up JOIN stations s ON s.code = up.cur
        WHERE s.level <> '乡镇街道站' AND s.parent_code IS NOT NULL AND up.depth < 8)
    SELECT up.code, up.cur AS town FROM up JOIN stations s ON s.code = up.cur WHERE s.level = '乡镇街道站';

    CREATE OR REPLACE TEMP TABLE service_photo AS
    WITH uses AS (
        SELECT DISTINCT code, date, photo FROM (
            SELECT code, date, {_split('photos')} AS photo FROM services WHERE photos IS NOT NULL)
        WHERE photo <> ''),
    ranked AS (
        SELECT code, row_number() OVER (PARTITION BY photo ORDER BY date NULLS LAST, code) = 1 AS first_user
        FROM uses)
    SELECT code, bool_or(first_user) AS photo_ok FROM ranked GROUP BY code;

    CREATE OR REPLACE TEMP TABLE svc AS
    SELECT p.code AS project_code, p.catalogue, s.code, s.domain, s.category, s.beneficiary_codes,
           coalesce(s.uploaded, false) AS uploaded, coalesce(v.photo_ok, false) AS photo_ok,
           (year(s.date) - 1970) * 12 + month(s.date) - 1 AS month
    FROM services s JOIN town t ON t.code = s.station_code JOIN projects p ON p.town = t.town
    LEFT JOIN service_photo v ON v.code = s.code
    WHERE s.date BETWEEN p.start AND p.wend;

    CREATE OR REPLACE TEMP TABLE grid AS
    WITH spans AS (
        SELECT code AS project_code, k, (year(start) - 1970) * 12 + month(start) - 1 AS m0,
               least((year(pend) - 1970) * 12 + month(pend) - 1, (year({a}) - 1970) * 12 + month({a}) - 1) AS m1
        FROM projects, (VALUES (1), (3)) AS kinds(k))
    SELECT project_code, k, pnum,
           make_date(1970 + (pnum * k) // 12, (pnum * k) % 12 + 1, 1) AS pstart,
           make_date(1970 + ((pnum + 1) * k) // 12, ((pnum + 1) * k) % 12 + 1, 1) - INTERVAL 1 DAY AS pend
    FROM (SELECT project_code, k, unnest(range(m0 // k, m1 // k + 1)) AS pnum FROM spans);
    """)


def _valid(job: Job) -> str:
    parts = (["photo_ok"] if job.photo else []) + (["uploaded"] if job.upload else [])
    return " AND ".join(parts) or "true"


def _service_filter(job: Job, categories=None) -> str:
    where = [f"catalogue = '{job.catalogue}'"]
    if job.params.get("domain"):
        where.append(f"domain IN {_in(job.params['domain'])}")
    categories = categories or job.params.get("category")
    if categories:
        where.append(f"category IN {_in(categories)}")
    return " AND ".join(where)


def period_count(con, job: Job) -> pd.DataFrame:
    k = 1 if job.period == "month" else 3
    return con.execute(f"""
    SELECT project_code, month // {k} AS pnum, count(*) FILTER (WHERE {_valid(job)})::DOUBLE AS actual
    FROM svc WHERE {_service_filter(job)} AND project_code IN {_in(job.projects)}
    GROUP BY ALL""").df()


def per_person_period(con, job: Job, as_of: dt.date) -> pd.DataFrame:
    k = 1 if job.period == "month" else 3
    return con.execute(f"""
    WITH roster AS (
        SELECT p.code AS project_code, b.code, b.joined, b."left"
        FROM beneficiaries b JOIN town t ON t.code = b.station_code JOIN projects p ON p.town = t.town
        WHERE p.code IN {_in(job.projects)} AND b.follow_up AND b.category IN {_in(job.params['roster_category'])}),
    visits AS (
        SELECT project_code, person, month // {k} AS pnum, count(*) AS n FROM (
            SELECT project_code, month, {_split('beneficiary_codes')} AS person FROM svc
            WHERE {_service_filter(job, job.params.get('category') or ['跟踪回访'])}
              AND project_code IN {_in(job.projects)} AND {_valid(job)} AND beneficiary_codes IS NOT NULL)
        WHERE person <> '' GROUP BY ALL),
    tracked AS (
        SELECT r.project_code, g.pnum, coalesce(v.n, 0) >= {job.target} AS ok
        FROM roster r JOIN grid g ON g.project_code = r.project_code AND g.k = {k}
        LEFT JOIN visits v ON v.project_code = r.project_code AND v.person = r.code AND v.pnum = g.pnum
        WHERE r.joined <= g.pstart AND NOT coalesce(r."left" < g.pend, false))
    SELECT g.project_code, g.pnum,
           CASE WHEN count(t.ok) > 0 THEN 100.0 * count(*) FILTER (WHERE t.ok) / count(t.ok) ELSE 0.0 END AS actual
    FROM grid g LEFT JOIN tracked t ON t.project_code = g.project_code AND t.pnum = g.pnum
    WHERE g.k = {k} AND g.project_code IN {_in(job.projects)}
    GROUP BY ALL""").df()


def qualified_groups(con, job: Job, as_of: dt.date) -> pd.DataFrame:
    a = f"DATE '{as_of.isoformat()}'"
    p = job.params
    fails = [f"coalesce(s.attendance, 0) < {int(p.get('min_attendance', 0))}"]
    if p.get("require_sign_in"):
        fails.append("s.sign_in IS NOT TRUE")
    if job.photo:
        fails.append("NOT s.photo_ok")
    records = (f"AND g.plan_date <= {a} AND g.report_date <= {a} AND coalesce(bool_and(s.unit_plan), true) "
               "AND coalesce(bool_and(s.process_record), true)") if p.get("require_records") else ""
    domain = f"AND g.domain IN {_in(p['domain'])}" if p.get("domain") else ""
    con.execute(f"""
    CREATE TEMP TABLE IF NOT EXISTS "owned_groups_{job.catalogue}" AS
    WITH first AS (SELECT group_code, min(date) AS first FROM group_sessions GROUP BY group_code)
    SELECT pr.code AS project_code, g.* FROM groups g LEFT JOIN first f ON f.group_code = g.code
    JOIN town t ON t.code = g.station_code JOIN projects pr ON pr.town = t.town
    WHERE pr.catalogue = '{job.catalogue}' AND coalesce(f.first, g.plan_date) BETWEEN pr.start AND pr.wend;

    CREATE TEMP TABLE IF NOT EXISTS "group_sessions_{job.catalogue}" AS
    WITH mine AS (SELECT s.* FROM group_sessions s WHERE s.group_code IN
                  (SELECT code FROM "owned_groups_{job.catalogue}")),
    uses AS (
        SELECT DISTINCT group_code, seq, date, photo FROM (
            SELECT group_code, seq, date, {_split('photos')} AS photo FROM mine WHERE photos IS NOT NULL)
        WHERE photo <> ''),
    ranked AS (
        SELECT group_code, seq, row_number() OVER (PARTITION BY photo ORDER BY date NULLS LAST,
                                                   group_code || '/' || seq::VARCHAR) = 1 AS first_user
        FROM uses),
    ok AS (SELECT group_code, seq, bool_or(first_user) AS photo_ok FROM ranked GROUP BY ALL)
    SELECT m.*, coalesce(ok.photo_ok, false) AS photo_ok FROM mine m
    LEFT JOIN ok ON ok.group_code = m.group_code AND ok.seq = m.seq;
    """)
    return con.execute(f"""
    WITH per_group AS (
        SELECT g.project_code, g.code,
               count(s.seq) - count(s.seq) FILTER (WHERE {' OR '.join(fails)}) >= {int(p['min_sessions'])}
               {records} AS qualifies
        FROM "owned_groups_{job.catalogue}" g
        LEFT JOIN "group_sessions_{job.catalogue}" s ON s.group_code = g.code AND s.date <= {a}
        WHERE g.project_code IN {_in(job.projects)} {domain}
        GROUP BY g.project_code, g.code, g.plan_date, g.report_date)
    SELECT project_code, count(*) FILTER (WHERE qualifies)::DOUBLE AS actual FROM per_group GROUP BY ALL
    """).df()


def coverage(con, job: Job) -> pd.DataFrame:
    p = job.params
    table = p["population"]
    date = POPULATION_DATE[table]
    where = [f"pr.code IN {_in(job.projects)}", f"x.{date} <= pr.wend"]
    for column, wanted in (p.get("population_where") or {}).items():
        where.append(f"coalesce(x.{column} IN {_in(wanted)}, false)")
    if p.get("in_period"):
        where.append(f"x.{date} >= pr.start")
    if table == "beneficiaries":
        where.append('NOT coalesce(x."left" <= pr.wend, false)')
    if p.get("record") == "assessments":
        method = "".join(f" AND coalesce(a.{c} IN {_in(v)}, false)" for c, v in (p.get("record_where") or {}).items())
        has = (f"EXISTS (SELECT 1 FROM assessments a WHERE a.beneficiary_code = x.code{method} "
               "AND a.date BETWEEN pr.start AND pr.wend)")
    else:
        has = f"coalesce(x.{p['flag']}, false)"
    return con.execute(f"""
    SELECT pr.code AS project_code, 100.0 * count(*) FILTER (WHERE {has}) / count(*) AS actual
    FROM {table} x JOIN town t ON t.code = x.station_code JOIN projects pr ON pr.town = t.town
    WHERE {' AND '.join(where)} GROUP BY ALL""").df()


def period_label(pnum: int, kind: str) -> str:
    if kind == "month":
        return f"{pnum // 12 + 1970}-{pnum % 12 + 1:02d}"
    return f"{pnum // 4 + 1970}Q{pnum % 4 + 1}"


def run(ds, as_of: dt.date) -> Reference:
    """Every job's per-project (and per-period) actual value, with the hand-over and query times."""
    projects, jobs, skipped = jobs_of(ds, as_of)
    ref = Reference(skipped=skipped)
    t0 = time.perf_counter()
    con = load(ds, projects)
    t1, c1 = time.perf_counter(), time.process_time()
    prepare(con, as_of)
    for job in jobs:
        if job.rule == "period_count":
            frame = period_count(con, job)
        elif job.rule == "per_person_period":
            frame = per_person_period(con, job, as_of)
        elif job.rule == "qualified_groups":
            frame = qualified_groups(con, job, as_of)
        else:
            frame = coverage(con, job)
        if job.period == "whole":
            got = dict(zip(frame["project_code"], frame["actual"]))
            for code in job.projects:
                ref.actual[(code, job.indicator, "全期")] = float(got.get(code, 0.0))
        else:
            for code, pnum, actual in zip(frame["project_code"], frame["pnum"], frame["actual"]):
                ref.actual[(code, job.indicator, period_label(int(pnum), job.period))] = float(actual)
    ref.query_seconds, ref.query_cpu = time.perf_counter() - t1, time.process_time() - c1
    ref.handover_seconds = t1 - t0
    con.close()
    return ref


def compare(ref: Reference, results: pd.DataFrame) -> list[str]:
    """Differences between the reference and the engine's ``Evaluation.results`` (empty: they agree).

    Period rules: every period row of the engine against the reference (a period
    the reference has no record for is 0), and no reference period outside the
    engine's; whole-period rules: the 全期 row.
    """
    indicators = {(i, p) for (_, i, p) in ref.actual}
    ids = {i for i, _ in indicators}
    rows = results[results["indicator_id"].isin(ids)]
    period_ids = {i for i, p in indicators if p != "全期"}
    rows = rows[(rows["period"] != "全期") | ~rows["indicator_id"].isin(period_ids)]
    engine = {(c, i, p): float(a) for c, i, p, a in
              zip(rows["project_code"], rows["indicator_id"], rows["period"], rows["actual"])}
    out = []
    for key, value in engine.items():
        mine = ref.actual.get(key, 0.0)
        if abs(mine - value) > 1e-9:
            out.append(f"{key}: 引擎 {value}，参照 {mine}")
    out += [f"{key}: 引擎没有这一行，参照 {v}" for key, v in ref.actual.items() if key not in engine]
    return out


def engine_catalogues(ds, as_of) -> list:
    """The catalogues of ``ds``'s projects cut down to the indicators the reference computes.

    Passed as ``evaluate(..., catalogues=...)``, they time the engine on the same rules as the reference.
    """
    from dataclasses import replace

    _, jobs, _ = jobs_of(ds, as_of)
    wanted = {(j.catalogue, j.indicator) for j in jobs}
    out = []
    for cat_id in dict.fromkeys(j.catalogue for j in jobs):
        cat = load_catalogue(cat_id)
        out.append(replace(cat, indicators=tuple(i for i in cat.indicators if (cat.id, i.id) in wanted)))
    return out
