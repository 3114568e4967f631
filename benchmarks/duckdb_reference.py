"""A second, hand-written implementation of the heaviest rule kinds, in DuckDB SQL.

It serves twice. Its results must equal the indicator engine's, row by row (``compare``; an
independent implementation, so any difference is a bug in one of the two),
and it is the yardstick of the evaluation benchmark: what a columnar SQL
engine takes for the same rules on the same tables.

The rule kinds, as the engine's registry defines them (``sgzlib/indicators/rules``):

- ``period_count`` on service records: valid records per month or quarter of
  each project, under the catalogue's photo rule (a record needs a watermark
  photo, and a photo used by several records counts for the first user only,
  earliest date then code, over all service records) and upload rule; on
  charity aid or charity funds: the rows per period, where an occasion below
  ``min_amount`` does not count (DOMAIN.md rule 6) and funds count by ``use``;
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
parameters) is read from the catalogues, never from either side's results;
an indicator of these kinds whose parameters this module does not implement
is named in ``Reference.skipped``, and ``compare`` counts it as a difference.

Every row gets what DOMAIN.md counting rule 8 asks of it, written here from
that rule: a month or quarter row its actual value, its expected value by
the evaluation date (the target once the period has ended, else the target
times the elapsed share of the period) and its status (达标 when met, 未达标
when ended unmet, 未开始 with nothing expected and nothing done, else 进度正常
or 落后 against the expected value); the 全期 row of such an indicator counts
the periods met, expects the periods ended, targets all the project's
periods, and is 落后 as soon as an ended period was missed. A whole-period
row expects the target times the elapsed share of the project.

Every expected value is rounded up to its unit's precision before the status
is judged against it, as docs/counting-rules.md「数字的取整」asks (written here
from that text, not from ``domain.figures``): whole things to 1, % to 0.1,
元 to 0.01. A month or quarter row of the per-person rule is a share of
people (%). An indicator in a unit that text does not name is skipped.

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
from sgzlib.domain.labels import BEHIND, MET, MISSED, NOT_STARTED, ON_TRACK
from sgzlib.domain.vocab import LIST_SEPARATOR
from sgzlib.indicators.catalogue import load_catalogue
from sgzlib.indicators.context import resolve_projects

KINDS = {
    "period_count": {"domain", "category", "require_upload", "source", "where", "use", "min_amount"},
    "per_person_period": {"domain", "category", "require_upload", "roster_category"},
    "qualified_groups": {"domain", "min_sessions", "min_attendance", "require_records", "require_sign_in"},
    "coverage": {"population", "population_where", "in_period", "record", "record_where", "flag"},
}
TABLES = ("stations", "services", "beneficiaries", "assessments", "groups", "group_sessions", "volunteers",
          "community_orgs", "charity_aid", "charity_funds")
MONEY_SOURCES = ("charity_aid", "charity_funds")  # dated, with station_code and amount
POPULATION_DATE = {"beneficiaries": "joined", "volunteers": "registered_on", "community_orgs": "started"}
WHITE = " \t\n\r\x0b\x0c\u3000\xa0"
# The precision of each unit (docs/counting-rules.md, 数字的取整): whole things, shares, money
STEP = {**dict.fromkeys(("个", "人", "次", "项", "份", "节", "名", "户", "场", "天", "个月", "个季度"), 1.0),
        "%": 0.1, "元": 0.01}
SEP = LIST_SEPARATOR
EPS = 1e-9
WHOLE = "全期"


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
    unit: str = ""

    def steps(self) -> tuple[float, float]:
        """The precision of the expected value of (a month or quarter row, a 全期 row of a whole-period
        indicator): the per-person rule's period value is a share of people (%)."""
        return STEP["%" if self.rule == "per_person_period" else self.unit], STEP.get(self.unit, STEP["%"])


@dataclass(frozen=True)
class Row:
    """One result row: what the engine's ``actual``, ``target``, ``expected`` and ``status`` must be."""

    actual: float
    target: float
    expected: float
    status: str


@dataclass
class Reference:
    """The reference's results: ``(project, indicator, period) → Row``, the jobs they came from, and what it took."""

    rows: dict = field(default_factory=dict)
    jobs: list = field(default_factory=list)
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
                                                          (None, "assessments")) \
                        or params.get("source", "services") not in ("services", *MONEY_SOURCES):
                    skipped.append(f"{cat_id} {ind.id}（参数 {params}）")
                    continue
                if ind.rule != "per_person_period" and ind.unit not in STEP:
                    skipped.append(f"{cat_id} {ind.id}（单位 {ind.unit}：取整精度未定）")
                    continue
                jobs.append(Job(cat_id, ind.id, ind.rule, ind.period, params, float(target),
                                tier_projects["code"].tolist(), cat.photo_required,
                                cat.upload_required or bool(params.get("require_upload")), ind.unit))
    return projects, jobs, skipped


def load(ds, projects: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the tables handed over as Arrow tables."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")
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


# Each rule kind below is a query of (project_code, pnum, actual, met) for a month or quarter rule, of
# (project_code, actual, roster) for a whole-period one; ``met`` and ``roster`` are NULL where the kind has
# no such notion (a count is met at its target; only a roster can be empty).

def period_count(con, job: Job) -> str:
    k = 1 if job.period == "month" else 3
    source = job.params.get("source", "services")
    if source != "services":
        return _money_count(job, source, k)
    return f"""
    SELECT project_code, month // {k} AS pnum, count(*) FILTER (WHERE {_valid(job)})::DOUBLE AS actual, NULL AS met
    FROM svc WHERE {_service_filter(job)} AND project_code IN {_in(job.projects)}
    GROUP BY ALL"""


def _money_count(job: Job, table: str, k: int) -> str:
    """Rows of a money table per period: owned like services (township, project window), counted unless below
    ``min_amount`` (a blank amount is below any minimum) or of another ``use``."""
    p = job.params
    where = [f"pr.code IN {_in(job.projects)}", "x.date BETWEEN pr.start AND pr.wend"]
    for column, wanted in (p.get("where") or {}).items():
        where.append(f"coalesce(x.{column} IN {_in(wanted)}, false)")
    counts = []
    if p.get("min_amount"):
        counts.append(f"coalesce(x.amount, 0) >= {float(p['min_amount'])}")
    if p.get("use"):
        counts.append(f"coalesce(x.use IN {_in(p['use'])}, false)")
    return f"""
    SELECT pr.code AS project_code, ((year(x.date) - 1970) * 12 + month(x.date) - 1) // {k} AS pnum,
           count(*) FILTER (WHERE {' AND '.join(counts) or 'true'})::DOUBLE AS actual, NULL AS met
    FROM {table} x JOIN town t ON t.code = x.station_code JOIN projects pr ON pr.town = t.town
    WHERE {' AND '.join(where)} GROUP BY ALL"""


def per_person_period(con, job: Job, as_of: dt.date) -> str:
    k = 1 if job.period == "month" else 3
    return f"""
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
           CASE WHEN count(t.ok) > 0 THEN 100.0 * count(*) FILTER (WHERE t.ok) / count(t.ok) ELSE 0.0 END AS actual,
           count(t.ok) > 0 AND count(*) FILTER (WHERE t.ok) = count(t.ok) AS met
    FROM grid g LEFT JOIN tracked t ON t.project_code = g.project_code AND t.pnum = g.pnum
    WHERE g.k = {k} AND g.project_code IN {_in(job.projects)}
    GROUP BY ALL"""


def qualified_groups(con, job: Job, as_of: dt.date) -> str:
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
    return f"""
    WITH per_group AS (
        SELECT g.project_code, g.code,
               count(s.seq) - count(s.seq) FILTER (WHERE {' OR '.join(fails)}) >= {int(p['min_sessions'])}
               {records} AS qualifies
        FROM "owned_groups_{job.catalogue}" g
        LEFT JOIN "group_sessions_{job.catalogue}" s ON s.group_code = g.code AND s.date <= {a}
        WHERE g.project_code IN {_in(job.projects)} {domain}
        GROUP BY g.project_code, g.code, g.plan_date, g.report_date)
    SELECT project_code, count(*) FILTER (WHERE qualifies)::DOUBLE AS actual, NULL AS roster FROM per_group
    GROUP BY ALL"""


def coverage(con, job: Job) -> str:
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
    return f"""
    SELECT pr.code AS project_code, 100.0 * count(*) FILTER (WHERE {has}) / count(*) AS actual, count(*) AS roster
    FROM {table} x JOIN town t ON t.code = x.station_code JOIN projects pr ON pr.town = t.town
    WHERE {' AND '.join(where)} GROUP BY ALL"""


def period_label(pnum: int, kind: str) -> str:
    if kind == "month":
        return f"{pnum // 12 + 1970}-{pnum % 12 + 1:02d}"
    return f"{pnum // 4 + 1970}Q{pnum % 4 + 1}"


def _status(actual: str, expected: str, met: str, ended: str, not_started: str = "false") -> str:
    """SQL: the status of a row (DOMAIN.md rule 8), from SQL expressions of its parts."""
    return (f"CASE WHEN {met} THEN '{MET}' WHEN {ended} THEN '{MISSED}' WHEN {not_started} THEN '{NOT_STARTED}' "
            f"WHEN {actual} <= {EPS} AND {expected} <= {EPS} THEN '{NOT_STARTED}' "
            f"WHEN {actual} >= {expected} - {EPS} THEN '{ON_TRACK}' ELSE '{BEHIND}' END")


def _up(value: str, step: str) -> str:
    """SQL: ``value`` rounded up to a multiple of ``step`` (a value within EPS of a step is on it)."""
    return f"round(ceil({value} / {step} - {EPS}) * {step}, 6)"


def _share(since: str, until: str, as_of: str) -> str:
    """SQL: the elapsed share of the days ``since``–``until`` on ``as_of`` (0 before, 1 after)."""
    return (f"least(greatest((date_diff('day', {since}, {as_of}) + 1)::DOUBLE "
            f"/ (date_diff('day', {since}, {until}) + 1), 0), 1)")


def _months(date: str) -> str:
    return f"((year({date}) - 1970) * 12 + month({date}) - 1)"


def collect(con, jobs: list[Job], as_of: dt.date) -> None:
    """Every job's actual values into ``period_actual`` and ``whole_actual``; its facts into ``job_list`` and
    ``job_projects``."""
    con.execute("""
    CREATE OR REPLACE TEMP TABLE period_actual (job INTEGER, project_code VARCHAR, pnum BIGINT, actual DOUBLE,
                                                met BOOLEAN);
    CREATE OR REPLACE TEMP TABLE whole_actual (job INTEGER, project_code VARCHAR, actual DOUBLE, roster BIGINT);
    """)
    k = [{"month": 1, "quarter": 3}.get(job.period, 0) for job in jobs]
    con.register("job_list", pa.table({
        "job": pa.array(range(len(jobs)), pa.int32()), "k": pa.array(k, pa.int32()),
        "target": pa.array([job.target for job in jobs], pa.float64()),
        # the per-person rule's period is met when everyone tracked got their visits: its target is 100 %
        "period_target": pa.array([100.0 if j.rule == "per_person_period" else j.target for j in jobs], pa.float64()),
        "roster": pa.array([job.rule == "coverage" for job in jobs], pa.bool_()),
        "period_step": pa.array([job.steps()[0] for job in jobs], pa.float64()),
        "whole_step": pa.array([job.steps()[1] for job in jobs], pa.float64())}))
    con.register("job_projects", pa.table({
        "job": pa.array([n for n, job in enumerate(jobs) for _ in job.projects], pa.int32()),
        "project_code": pa.array([code for job in jobs for code in job.projects], pa.string())}))
    for n, job in enumerate(jobs):
        query = RULE_QUERIES[job.rule](con, job, as_of)
        con.execute(f"INSERT INTO {'period_actual' if k[n] else 'whole_actual'} SELECT {n}, * FROM ({query})")


def finish(con, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Expected values and statuses of every row: month or quarter rows, their indicators' 全期 rows, and the
    全期 rows of whole-period indicators."""
    a = f"DATE '{as_of.isoformat()}'"
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE period_rows AS
    WITH r AS (
        SELECT j.job, g.project_code, g.pnum, coalesce(x.actual, 0.0) AS actual, j.period_target AS target,
               j.period_step AS step,
               g.pend::DATE <= {a} AS ended, {_share('g.pstart::DATE', 'g.pend::DATE', a)} AS share,
               coalesce(x.met, coalesce(x.actual, 0) >= j.period_target - {EPS}) AS met
        FROM job_list j JOIN job_projects jp ON jp.job = j.job
        JOIN grid g ON g.project_code = jp.project_code AND g.k = j.k
        LEFT JOIN period_actual x ON x.job = j.job AND x.project_code = g.project_code AND x.pnum = g.pnum
        WHERE j.k > 0),
    e AS (SELECT *, {_up('CASE WHEN ended THEN target ELSE target * share END', 'step')} AS expected FROM r)
    SELECT job, project_code, pnum, actual, target, expected, met, ended,
           {_status('actual', 'expected', 'met', 'ended')} AS status FROM e""")
    periods = con.execute("SELECT job, project_code, pnum, actual, target, expected, status FROM period_rows").df()
    period_whole = con.execute(f"""
    WITH w AS (
        SELECT j.job, p.code AS project_code, p.start, p.pend,
               (count(r.pnum) FILTER (WHERE r.met))::DOUBLE AS actual,
               (count(r.pnum) FILTER (WHERE r.ended))::DOUBLE AS expected,
               count(r.pnum) FILTER (WHERE r.ended AND NOT r.met) AS missed,
               {_months('p.pend')} // j.k - {_months('p.start')} // j.k + 1 AS periods
        FROM job_list j JOIN job_projects jp ON jp.job = j.job JOIN projects p ON p.code = jp.project_code
        LEFT JOIN period_rows r ON r.job = j.job AND r.project_code = p.code
        WHERE j.k > 0 GROUP BY j.job, j.k, p.code, p.start, p.pend)
    SELECT job, project_code, actual, periods::DOUBLE AS target, expected,
           CASE WHEN pend <= {a} AND actual >= periods - {EPS} THEN '{MET}' WHEN pend <= {a} THEN '{MISSED}'
                WHEN start > {a} THEN '{NOT_STARTED}' WHEN missed > 0 THEN '{BEHIND}' ELSE '{ON_TRACK}' END AS status
    FROM w""").df()
    # a roster with nobody on it has not started (coverage); groups are never "empty"
    whole = con.execute(f"""
    WITH r AS (
        SELECT j.job, p.code AS project_code, p.start, p.pend, coalesce(x.actual, 0.0) AS actual, j.target,
               {_up(f"j.target * {_share('p.start', 'p.pend', a)}", 'j.whole_step')} AS expected,
               j.roster AND coalesce(x.roster, 0) = 0 AS empty
        FROM job_list j JOIN job_projects jp ON jp.job = j.job JOIN projects p ON p.code = jp.project_code
        LEFT JOIN whole_actual x ON x.job = j.job AND x.project_code = p.code
        WHERE j.k = 0)
    SELECT job, project_code, actual, target, expected,
           {_status('actual', 'expected', f'actual >= target - {EPS}', f'pend <= {a}', f'start > {a} OR empty')}
           AS status FROM r""").df()
    return periods, period_whole, whole


RULE_QUERIES = {"period_count": lambda con, job, as_of: period_count(con, job), "per_person_period": per_person_period,
                "qualified_groups": qualified_groups, "coverage": lambda con, job, as_of: coverage(con, job)}


def run(ds, as_of: dt.date) -> Reference:
    """Every job's rows (全期 and, for per-period indicators, each month or quarter), with the hand-over and
    query times."""
    projects, jobs, skipped = jobs_of(ds, as_of)
    ref = Reference(jobs=jobs, skipped=skipped)
    t0 = time.perf_counter()
    con = load(ds, projects)
    t1, c1 = time.perf_counter(), time.process_time()
    prepare(con, as_of)
    collect(con, jobs, as_of)
    periods, period_whole, whole = finish(con, as_of)
    ref.query_seconds, ref.query_cpu = time.perf_counter() - t1, time.process_time() - c1
    ref.handover_seconds = t1 - t0
    con.close()
    ids = [j.indicator for j in jobs]
    kinds = [j.period for j in jobs]
    labels = [period_label(int(n), kinds[j]) for j, n in zip(periods["job"], periods["pnum"])]
    for frame, period in ((periods, labels), (period_whole, [WHOLE] * len(period_whole)),
                          (whole, [WHOLE] * len(whole))):
        for j, code, actual, target, expected, status, label in zip(
                frame["job"], frame["project_code"], frame["actual"], frame["target"], frame["expected"],
                frame["status"], period):
            ref.rows[(code, ids[j], label)] = Row(float(actual), float(target), float(expected), status)
    return ref


def compare(ref: Reference, results: pd.DataFrame) -> list[str]:
    """Differences between the reference and the engine's ``Evaluation.results`` (empty: they agree).

    For every indicator the catalogues give these rule kinds (``ref.jobs``, from ``jobs_of``) and each of
    its projects: the 全期 row and every month or quarter row, both ways (a row only one side has is a
    difference), on actual, target, expected and status. An indicator the reference cannot compute
    (``ref.skipped``) is a difference too: the comparison never narrows silently.
    """
    out = [f"参照未实现，无法核对：{s}" for s in ref.skipped]
    wanted = pd.MultiIndex.from_tuples([(code, j.indicator) for j in ref.jobs for code in j.projects])
    rows = results[pd.MultiIndex.from_frame(results[["project_code", "indicator_id"]]).isin(wanted)]
    engine = {(c, i, p): Row(float(a), float(t), float(e), s) for c, i, p, a, t, e, s in zip(
        rows["project_code"], rows["indicator_id"], rows["period"], rows["actual"], rows["target"],
        rows["expected"], rows["status"])}
    for key, mine in ref.rows.items():
        theirs = engine.get(key)
        if theirs is None:
            out.append(f"{key}：引擎没有这一行，参照 {mine}")
        elif not _same(mine, theirs):
            out.append(f"{key}：引擎 {theirs}，参照 {mine}")
    out += [f"{key}：参照没有这一行，引擎 {row}" for key, row in engine.items() if key not in ref.rows]
    return out


def _same(a: Row, b: Row) -> bool:
    return a.status == b.status and all(abs(x - y) <= 1e-6 for x, y in
                                        ((a.actual, b.actual), (a.target, b.target), (a.expected, b.expected)))


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
