"""The public analysis API of sgz: a short, stable entry point for JupyterLab.

Everything a supervisor, project manager or evaluator needs in a notebook, as
DataFrames with documented English column names::

    import sgzlib as sgz
    wb = sgz.open()                  # --db → $SGZ_DATABASE_URL → data/sgz.db, like the CLI
    yl01 = wb.station("YL01")        # one station (and the rooms below it)
    yl01.evaluate()                  # indicator results on the as-of date
    yl01.cases_needing_attention()   # attention lists
    yl01.caseload()                  # caseload per worker

Names, phone numbers and ID numbers are masked (``sgzlib.store.privacy``) unless
``open(..., masked=False)`` is asked for explicitly. Every method takes an
optional ``as_of`` (a date or ``YYYY-MM-DD``); without it the workbench's own
date is used (``Workbench.as_of``: the same default as the CLI and the reports, ``sgzlib.domain.asof``).

This module only assembles the library's public functions (``storage``,
``indicators``, ``outcomes``, ``supervision``, ``caseload``, ``analysis``); it
computes nothing itself. The examples below run on the seeded demo district
(``demo_workbench()``) and are executed by the test suite.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from .analysis import casework as analysis
from .analysis import supervision
from .domain import asof, outcomes
from .domain import caseload as caseload_mod
from .domain.dataset import Dataset
from .domain.dates import require_date
from .errors import NotFoundError
from .indicators import RESULT_COLUMNS, Evaluation, evaluate
from .store import privacy, storage

__all__ = ["Workbench", "open", "demo_workbench", "default_as_of"]


def default_as_of(ds: Dataset, today: dt.date | None = None) -> dt.date:
    """The date the CLI, the reports and the dashboards use when none is given (``sgzlib.domain.asof``).

    The latest date with records within the running project period, capped at ``today``:

    >>> import sgzlib as sgz
    >>> sgz.default_as_of(sgz.demo_workbench().ds, today=dt.date(2030, 1, 1))
    datetime.date(2025, 12, 31)
    """
    return asof.default_as_of(ds, today)


def open(url: str | None = None, *, masked: bool = True, as_of=None) -> Workbench:  # noqa: A001 (sgz.open)
    """Open the database at ``url`` (default ``$SGZ_DATABASE_URL``, else ``data/sgz.db``) as a ``Workbench``.

    The whole database is read once; ``station`` and ``district`` narrow it without reading again.
    ``masked`` (default) masks every person's name, phone and ID number.

    >>> import os, tempfile, sgzlib as sgz
    >>> from sgzlib import demo, storage
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "sgz.db")
    >>> _ = storage.write_dataset(storage.connect(url), demo.build())
    >>> wb = sgz.open(url, as_of="2025-10-31")
    >>> wb.stations()["code"].tolist()[:3]
    ['YL00', 'YL01', 'YL01-V1']
    >>> wb.as_of
    datetime.date(2025, 10, 31)
    """
    engine = storage.connect(url)
    try:
        ds = storage.load_dataset(engine)
    finally:
        engine.dispose()
    return Workbench(ds, masked=masked, as_of=as_of, url=storage.database_url(url))


@functools.lru_cache(maxsize=1)
def _demo_dataset() -> Dataset:
    from .demo import district as demo

    return demo.build()


def demo_workbench() -> Workbench:
    """The seeded demo district (云岭区) in memory, looked at on ``demo.AS_OF`` (2025-10-31); names masked.

    >>> import sgzlib as sgz
    >>> wb = sgz.demo_workbench()
    >>> wb.as_of, len(wb.stations())
    (datetime.date(2025, 10, 31), 22)
    """
    from .demo import district as demo

    return Workbench(_demo_dataset(), masked=True, as_of=demo.AS_OF, url=None)


class Workbench:
    """A station's or a district's data and every analysis of it, each returning a DataFrame.

    ``ds`` is the (masked) ``Dataset``; ``scope`` the station codes looked at (all when None).
    """

    def __init__(self, ds: Dataset, *, masked: bool = True, as_of=None, url: str | None = None,
                 scope: list[str] | None = None, _masked_ds: Dataset | None = None):
        self.url = url
        self.masked = masked
        self.ds = _masked_ds if _masked_ds is not None else (privacy.mask_dataset(ds) if masked else ds)
        self.scope = scope
        self.as_of = require_date(as_of, "截至日期") if as_of is not None else default_as_of(self.ds)
        self._memo: dict[tuple, object] = {}

    def __repr__(self) -> str:
        where = "、".join(self.scope) if self.scope else "全部站点"
        return f"<sgz 工作台：{where}，截至 {self.as_of:%Y-%m-%d}{'，姓名已遮蔽' if self.masked else ''}>"

    # -- scope ------------------------------------------------------------------

    def _narrow(self, codes: list[str]) -> Workbench:
        sub = self.ds.subset(codes)
        return Workbench(sub, masked=self.masked, as_of=self.as_of, url=self.url, scope=codes, _masked_ds=sub)

    def station(self, code: str) -> Workbench:
        """Only this station and the stations below it.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().station("YL01").stations()["code"].tolist()
        ['YL01', 'YL01-V1', 'YL01-V2']
        """
        if code not in set(self.ds.stations["code"]):
            raise NotFoundError(f"站点编码不存在：{code}")
        return self._narrow([code])

    def district(self, name: str) -> Workbench:
        """Every station of the district ``name`` (所属区县).

        >>> import sgzlib as sgz
        >>> len(sgz.demo_workbench().district("云岭区").stations())
        22
        """
        codes = self.ds.stations.loc[self.ds.stations["district"] == name, "code"].tolist()
        if not codes:
            known = "、".join(sorted(self.ds.stations["district"].dropna().unique()))
            raise NotFoundError(f"区县不存在：{name}（已有：{known}）")
        return self._narrow(codes)

    def on(self, as_of) -> Workbench:
        """The same data looked at on another date.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().on("2025-06-30").as_of
        datetime.date(2025, 6, 30)
        """
        return Workbench(self.ds, masked=self.masked, as_of=as_of, url=self.url, scope=self.scope,
                         _masked_ds=self.ds)

    def _codes(self) -> list[str]:
        return self.scope if self.scope else self.ds.stations["code"].tolist()

    def _when(self, as_of) -> dt.date:
        return self.as_of if as_of is None else require_date(as_of, "截至日期")

    def _cached(self, key: tuple, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def stations(self) -> pd.DataFrame:
        """The stations in scope. Columns: code, name, level, parent_code, district, provider, longitude, latitude.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().stations().columns.tolist()
        ['code', 'name', 'level', 'parent_code', 'district', 'provider', 'longitude', 'latitude']
        """
        return self.ds.stations.reset_index(drop=True)

    def table(self, name: str) -> pd.DataFrame:
        """One ledger table of the scope by its English name (``cases``, ``services`` …; see ``sgzlib.domain.schema``).

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().station("YL01").table("cases")["station_code"].unique().tolist()
        ['YL01']
        """
        return self.ds[name].reset_index(drop=True)

    # -- indicators --------------------------------------------------------------

    def evaluation(self, as_of=None) -> Evaluation:
        """The engine's ``Evaluation`` of every project in scope (results, explanations)."""
        when = self._when(as_of)
        return self._cached(("evaluation", when), lambda: evaluate(self.ds, when))

    def evaluate(self, as_of=None, periods: bool = False) -> pd.DataFrame:
        """Indicator results: one 全期 row per project and indicator (``periods=True`` adds each month/quarter).

        Columns: ``sgzlib.indicators.RESULT_COLUMNS`` (station_code, station_name, project_code, catalogue, tier,
        indicator_id, indicator_name, domain, mandatory, rule, period, period_kind, period_end, actual, target,
        expected, unit, status, points, score, note).

        >>> import sgzlib as sgz
        >>> res = sgz.demo_workbench().station("YL01").evaluate()
        >>> res["project_code"].unique().tolist(), (res["period"] == "全期").all()
        (['P2025-YL01'], np.True_)
        """
        ev = self.evaluation(as_of)
        frame = ev.results if periods else ev.summary
        return frame[RESULT_COLUMNS].reset_index(drop=True)

    def explain(self, project: str, indicator: str, as_of=None) -> pd.DataFrame:
        """For one indicator of one project: every record, whether it counted, and why not.

        Columns: project_code, indicator_id, period, record_table, record_id, counted, reason_code, reason.

        >>> import sgzlib as sgz
        >>> ex = sgz.demo_workbench().explain("P2025-YL01", "ZL-JS-02")
        >>> ex.columns.tolist()
        ['project_code', 'indicator_id', 'period', 'record_table', 'record_id', 'counted', 'reason_code', 'reason']
        """
        ev = self.evaluation(as_of)
        if not ev.summary["project_code"].eq(project).any():
            raise NotFoundError(f"项目编码不存在：{project}")
        known = ev.summary.loc[ev.summary["project_code"] == project, "indicator_id"]
        if not known.str.upper().eq(indicator.upper()).any():
            raise NotFoundError(f"项目 {project} 没有指标「{indicator}」（本项目的指标：{'、'.join(known)}）")
        return ev.explain(project, indicator)

    def indicator_track(self, indicator: str, as_of=None) -> pd.DataFrame:
        """One indicator at every month end up to ``as_of``, for every station whose project has it.

        Columns: month, month_end, station_code, station_name, project_code, indicator_id, indicator_name,
        actual, expected, target, unit, status (see ``analysis.indicator_track``).

        >>> import sgzlib as sgz
        >>> t = sgz.demo_workbench().on("2025-03-31").indicator_track("ZL-JS-02")
        >>> sorted(t["month"].unique()), sorted(t["station_code"].unique())
        (['2025-01', '2025-02', '2025-03'], ['YL01', 'YL02'])
        """
        when = self._when(as_of)
        return self._cached(("track", indicator.upper(), when),
                            lambda: analysis.indicator_track(self.ds, indicator, when))

    def indicator_records(self, indicator: str, station: str, month: str, as_of=None) -> pd.DataFrame:
        """The records behind one cell (station × month) of ``indicator_track``: counted and not, with reasons.

        >>> import sgzlib as sgz
        >>> r = sgz.demo_workbench().on("2025-03-31").indicator_records("ZL-JS-02", "YL01", "2025-02")
        >>> r["project_code"].unique().tolist()
        ['P2025-YL01']
        """
        return analysis.indicator_records(self.ds, indicator, station, month, self._when(as_of))

    # -- outcomes ---------------------------------------------------------------

    def _outcomes(self, as_of) -> outcomes.OutcomeAnalysis:
        when = self._when(as_of)
        return self._cached(("outcomes", when), lambda: outcomes.analyse(self.ds, when))

    def outcome_pairs(self, as_of=None) -> pd.DataFrame:
        """One row per paired 前测 → 后测, with a masked ``beneficiary_name``.

        Columns: ``outcomes.PAIR_COLUMNS`` (beneficiary_code, station_code, scale, scale_name, domain, work_type,
        case_code, group_code, project_code, pre_date, pre, post_date, post, change, improvement, rci, rci_class,
        rci_note) and beneficiary_name.

        >>> import sgzlib as sgz
        >>> p = sgz.demo_workbench().station("YL01").outcome_pairs()
        >>> set(p["rci_class"]) <= {"改善", "无可靠变化", "恶化", "无法计算"}
        True
        """
        return self._with_names(self._outcomes(as_of).pairs)

    def outcome_summary(self, by=outcomes.BY, as_of=None) -> pd.DataFrame:
        """Per group of pairs: n, mean/median improvement, tests, effect sizes, RCI counts (``outcomes.summary``).

        >>> import sgzlib as sgz
        >>> s = sgz.demo_workbench().outcome_summary(by=("domain",))
        >>> s.columns.tolist()[:3]
        ['domain', 'n', 'mean_improvement']
        """
        return outcomes.summary(self.ds, by=by, analysis=self._outcomes(as_of))

    def outcome_change(self, by=("scale_name", "domain"), as_of=None) -> pd.DataFrame:
        """Mean improvement per scale and domain with a 95% confidence interval, and reliable change counts.

        Columns: the ``by`` columns, n, mean_improvement, ci_low, ci_high, improved, unchanged, deteriorated,
        rci_unavailable, worse_raw, improved_share (see ``analysis.outcome_change``).

        >>> import sgzlib as sgz
        >>> c = sgz.demo_workbench().outcome_change()
        >>> bool((c["ci_low"] <= c["mean_improvement"]).all() and (c["mean_improvement"] <= c["ci_high"]).all())
        True
        """
        return analysis.outcome_change(self._outcomes(as_of).pairs, by=by)

    def worsened(self, as_of=None) -> pd.DataFrame:
        """Pairs whose score got worse, reliable deteriorations first (``outcomes.worsened``), names masked.

        >>> import sgzlib as sgz
        >>> w = sgz.demo_workbench().worsened()
        >>> bool((w["improvement"] < 0).all())
        True
        """
        return self._with_names(outcomes.worsened(self.ds, analysis=self._outcomes(as_of)))

    def missing_post(self, as_of=None) -> pd.DataFrame:
        """Pre-tests with no post-test although the service ended (``outcomes.missing_post``), names masked.

        >>> import sgzlib as sgz
        >>> "reason" in sgz.demo_workbench().missing_post().columns
        True
        """
        when = self._when(as_of)
        return self._with_names(outcomes.missing_post(self.ds, when, analysis=self._outcomes(when)))

    def _with_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        names = self.ds.beneficiaries.set_index("code")["name"]
        out = frame.copy()
        out["beneficiary_name"] = out["beneficiary_code"].map(names)
        return out.reset_index(drop=True)

    # -- attention lists --------------------------------------------------------

    def cases_needing_attention(self, as_of=None) -> pd.DataFrame:
        """Cases stalled, missing records, high-risk or open too long (``supervision.cases_needing_attention``).

        Columns include code, station_code, beneficiary_code, beneficiary_name (masked), domain, worker_code,
        stage, days_idle, flags, missing.

        >>> import sgzlib as sgz
        >>> c = sgz.demo_workbench().station("YL01").cases_needing_attention()
        >>> "YL01-C03" in set(c["code"])
        True
        """
        return supervision.cases_needing_attention(self.ds, self._codes(), self._when(as_of))

    def groups_at_risk(self, as_of=None) -> pd.DataFrame:
        """Groups at risk of not counting, and why (``supervision.groups_at_risk``).

        >>> import sgzlib as sgz
        >>> g = sgz.demo_workbench().station("YL01").groups_at_risk()
        >>> {"code", "why"} <= set(g.columns)
        True
        """
        return supervision.groups_at_risk(self.ds, self._codes(), self._when(as_of))

    def evidence_problems(self, as_of=None) -> pd.DataFrame:
        """Services without a watermark photo or with a reused one, sessions without a sign-in sheet.

        Columns: kind, station_code, record, date, domain, detail (``supervision.evidence_problems``).

        >>> import sgzlib as sgz
        >>> e = sgz.demo_workbench().station("YL02").evidence_problems()
        >>> "照片重复使用" in set(e["kind"])
        True
        """
        return supervision.evidence_problems(self.ds, self._codes(), self._when(as_of))

    def action_items(self, as_of=None) -> pd.DataFrame:
        """Supervision action items not yet done, overdue first (``supervision.action_items``).

        >>> import sgzlib as sgz
        >>> a = sgz.demo_workbench().station("YL01").action_items()
        >>> bool(a["overdue"].any())
        True
        """
        return supervision.action_items(self.ds, self._codes(), self._when(as_of))

    def caseload(self, as_of=None, max_open_cases: int = caseload_mod.MAX_OPEN_CASES) -> pd.DataFrame:
        """Per worker: open cases, active groups, sessions this month, stalled cases, overdue records.

        Columns: ``caseload.COLUMNS`` (worker_code, worker_name (masked), station_code, role, open_cases,
        active_groups, case_sessions_month, group_sessions_month, sessions_month, stalled_cases, overdue_records,
        overloaded: more than ``max_open_cases`` open cases). The same figures as the station report's and the
        cases dashboard's.

        >>> import sgzlib as sgz
        >>> load = sgz.demo_workbench().station("YL01").caseload()
        >>> load["worker_code"].tolist()
        ['YL01-W1', 'YL01-W2', 'YL01-W3']
        """
        return caseload_mod.caseload(self.ds, self._codes(), self._when(as_of), max_open_cases=max_open_cases)

    # -- case and group analysis ------------------------------------------------

    def case_timeline(self, as_of=None) -> pd.DataFrame:
        """Per case: days from intake to each stage, and whether it is closed (``analysis.case_timeline``).

        >>> import sgzlib as sgz
        >>> t = sgz.demo_workbench().station("YL01").case_timeline()
        >>> bool((t["days_closed"].dropna() >= 0).all())
        True
        """
        when = self._when(as_of)
        return self._cached(("timeline", when), lambda: analysis.case_timeline(self.ds, when))

    def stage_durations(self, by="domain", as_of=None) -> pd.DataFrame:
        """Median and mean days from intake to each stage, per ``by`` (domain, worker_code, station_code).

        Columns: the ``by`` columns, stage, n, median_days, mean_days.

        >>> import sgzlib as sgz
        >>> d = sgz.demo_workbench().stage_durations()
        >>> d["stage"].unique().tolist()
        ['预估', '计划', '介入', '评估', '结案']
        """
        return analysis.stage_durations(self.case_timeline(as_of), by)

    def still_open_curve(self, by: str | None = "domain", as_of=None) -> pd.DataFrame:
        """Kaplan–Meier share of cases still open after N days (open cases censored on ``as_of``).

        Columns: group, days, at_risk, closed, censored, still_open.

        >>> import sgzlib as sgz
        >>> k = sgz.demo_workbench().still_open_curve(by=None)
        >>> k["still_open"].iloc[0], bool(k["still_open"].is_monotonic_decreasing)
        (np.float64(1.0), True)
        """
        return analysis.still_open_curve(self.case_timeline(as_of), by)

    def median_open_days(self, by: str | None = "domain", as_of=None) -> pd.Series:
        """Per group of ``still_open_curve``: the day by which half the cases were closed (Kaplan–Meier median).

        >>> import sgzlib as sgz
        >>> m = sgz.demo_workbench().median_open_days(by=None)
        >>> m.index.tolist(), bool(m.iloc[0] > 0)
        (['全部'], True)
        """
        return analysis.median_open_days(self.still_open_curve(by, as_of))

    def closure_reasons(self, by: str = "domain", as_of=None) -> pd.DataFrame:
        """Closed cases per ``by`` value and close reason, with shares.

        >>> import sgzlib as sgz
        >>> r = sgz.demo_workbench().closure_reasons()
        >>> sorted(r["close_reason"].unique())
        ['目标达成', '转介']
        """
        return analysis.closure_reasons(self.case_timeline(as_of), by)

    def referrals(self, as_of=None) -> pd.DataFrame:
        """Cases closed by referral, with where to.

        >>> import sgzlib as sgz
        >>> bool(sgz.demo_workbench().referrals()["referral_to"].notna().all())
        True
        """
        return analysis.referrals(self.case_timeline(as_of))

    def reopened_cases(self, as_of=None) -> pd.DataFrame:
        """Cases opened again for a beneficiary after an earlier case in the same domain was closed.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().reopened_cases().columns.tolist()[-3:]
        ['previous_closed', 'previous_close_reason', 'days_between']
        """
        return analysis.reopened_cases(self.ds, self._when(as_of))

    def group_attendance(self, as_of=None) -> pd.DataFrame:
        """Attendance per group session, with its share of the first session's.

        >>> import sgzlib as sgz
        >>> a = sgz.demo_workbench().station("YL01").group_attendance()
        >>> bool((a.groupby("group_code")["share_of_first"].first() == 1).all())
        True
        """
        when = self._when(as_of)
        return self._cached(("attendance", when), lambda: analysis.group_attendance(self.ds, when))

    def group_dropoff(self, as_of=None) -> pd.DataFrame:
        """Per group: first and last attendance, the drop, and the session that lost most (largest drop first).

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().station("YL03").group_dropoff()["group_code"].iloc[0]
        'YL03-G04'
        """
        return analysis.group_dropoff(self.group_attendance(as_of))
