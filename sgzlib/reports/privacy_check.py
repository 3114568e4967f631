"""``sgz privacy check``: produce every kind of masked output of a database and audit it for linkage.

The outputs are made the way users make them: ``sgz export --mask`` of everything and of each township
station; the supervision reports, year-end assessments (with their score sheets), district overviews and
digests as HTML; what the dashboards offer for download (their data and each station's tables, with the
CSV and Excel files embedded in the page, ``dashboards.privacy_outputs``); and, given a masked user's database
address, what that user reads in PostgreSQL (every ``masked_…`` view and every column of the tables they may
select) and exports. ``store.privacy_audit`` then reads them as a determined reader would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .. import ledger
from ..domain import asof, personal, schema
from ..store import privacy, privacy_audit, storage
from ..store.privacy_audit import Output
from ..store.session import MASKED_VIEWS
from . import batch, data, jobs

REPORT_OUTPUTS = {"station": "station_report", "assessment": "assessment", "district": "district",
                  "digest": "digest"}


@dataclass
class CheckResult:
    outputs: list[Output]
    findings: list[privacy_audit.Finding]
    tried: privacy_audit.Tried


def exports(db_url: str, out: Path, stations: list[str], label: str = "") -> list[Output]:
    """What ``sgz export --mask`` writes, of everything and of each station (the same calls)."""
    engine = storage.connect(db_url)
    found = []
    try:
        for code in [None, *stations]:
            path = out / f"脱敏导出{label}_{code or '全部'}.xlsx"
            ds = storage.shared_dataset(engine, code, "export")
            ledger.export_workbook(ds, path, mask=True, people=privacy.People())
            found.append(privacy_audit.read_file(path, personal.audience_of("export")))
    finally:
        engine.dispose()
    return found


def reports(db_url: str, out: Path, as_of: str, stations: list[str], workers: int | None = None) -> list[Output]:
    """The masked reports of these stations as HTML (and the score sheets), and the district overviews and digests."""
    todo = (jobs.station_jobs(db_url, stations, as_of) + jobs.assessment_jobs(db_url, stations, as_of)
            + jobs.district_jobs(db_url, None, as_of) + jobs.digest_jobs(db_url, None, as_of))
    found = []
    for result in batch.run_jobs(todo, out / "报告", formats=("ipynb", "html"), workers=workers, progress=False):
        if not result.ok:
            raise RuntimeError(result.describe())
        audience = personal.audience_of(REPORT_OUTPUTS[result.job.kind])
        name = f"{jobs.KIND_NAMES[result.job.kind]} {result.job.label}"
        found.append(Output(name, audience, privacy_audit.html_text(result.files["html"].read_text("utf-8"))))
        if "xlsx" in result.files:
            found.append(Output(f"{name} 评分表", audience, privacy_audit.xlsx_text(result.files["xlsx"])))
    return found


def role(masked_url: str) -> list[Output]:
    """What a masked user reads in PostgreSQL: every masked view and every column they may select."""
    engine = sa.create_engine(masked_url)
    tables, text = {}, []
    try:
        with engine.connect() as conn:
            for t in schema.TABLES:
                if t.name in MASKED_VIEWS:
                    frame = pd.read_sql(sa.select(MASKED_VIEWS[t.name]), conn)
                    tables[t.name] = frame
                    text.append(frame.to_csv(index=False))
                allowed = [c for c in t.names if conn.execute(sa.text(
                    "SELECT has_column_privilege(:t, :c, 'SELECT')"), {"t": t.name, "c": c}).scalar()]
                if allowed:
                    cols = ", ".join(f'"{c}"' for c in allowed)
                    text.append(pd.read_sql(sa.text(f'SELECT {cols} FROM "{t.name}"'), conn).to_csv(index=False))
    finally:
        engine.dispose()
    user = sa.engine.make_url(masked_url).username
    return [Output(f"脱敏账号 {user} 的视图与可读列", personal.audience_of("masked_role"), "\n".join(text), tables)]


def check(db_url: str, out: Path, as_of=None, masked_url: str | None = None, with_reports: bool = True,
          workers: int | None = None, stations: list[str] | None = None, boards=None) -> CheckResult:
    """Produce the masked outputs of ``db_url`` in ``out`` and audit them against its clear data.

    ``stations``: the township stations that get their own export, reports and dashboard tables (default:
    every one with a project started by ``as_of``); the all-station export and the dashboards' data always
    cover everything. ``boards(db_url, as_of, stations)``: the dashboards' outputs
    (``dashboards.privacy_outputs.downloads``; the dashboards are a layer above the reports).
    """
    out.mkdir(parents=True, exist_ok=True)
    engine = storage.connect(db_url)
    try:
        clear = storage.load_dataset(engine)
    finally:
        engine.dispose()
    when = data.as_date(as_of).isoformat() if as_of else asof.default_as_of(clear).isoformat()
    towns = sorted(clear.stations.loc[clear.stations["level"] == "乡镇街道站", "code"])
    started = set(clear.projects.loc[clear.projects["start"] <= pd.Timestamp(when), "station_code"])
    with_projects = [c for c in towns if c in started and (stations is None or c in stations)]
    outputs = exports(db_url, out, [c for c in towns if stations is None or c in stations])
    if with_reports:
        outputs += reports(db_url, out, when, with_projects, workers)
    if boards is not None:
        outputs += boards(db_url, when, with_projects)
    if masked_url:
        outputs += role(masked_url) + exports(masked_url, out, [], label="（脱敏账号）")
    secrets = privacy_audit.Secrets.of(clear)
    return CheckResult(outputs, privacy_audit.audit(outputs, secrets), privacy_audit.Tried.of(outputs, secrets))
