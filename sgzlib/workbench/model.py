"""``Workbench``: the data one user may see, on one date, and everything computed on it, each once.

Open it from the database (``open_workbench``: the stations in scope, masked unless asked otherwise) or
wrap a ``Dataset`` in memory. It answers, for its scope and date:

- scope: ``stations``, ``townships``, ``districts``, ``district_stations``, ``station_row``, ``project_row``
  and "the current project" (``current_projects``, ``project_for``: ``domain.scope``, the one home of it);
- the date: ``as_of`` (default: ``domain.asof.default_as_of``, the same for the CLI, reports and boards);
- the indicator engine's ``evaluation`` (per date and project set, computed once), ``evaluate``,
  ``explain``, ``shares`` and ``ranking`` (``domain.status``);
- attention lists (``attention``, ``cases_needing_attention`` …) and the analyses of ``Analyses``.

``reload()`` reads the database again with the same scope, so that a page shows data just imported;
``loaded_at`` says when the data was read.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..analysis import casework, supervision
from ..domain import asof, figures, personal, scope, status
from ..domain.dataset import Dataset
from ..domain.dates import require_date
from ..errors import NotFoundError
from ..indicators import RESULT_COLUMNS, Evaluation, evaluate
from ..store import privacy, storage
from .analyses import Analyses
from .foresight import Foresight
from .labelled import carry, labelled

INDEX_TABLES = ("stations", "projects")


def default_as_of(ds: Dataset, today: dt.date | None = None) -> dt.date:
    """The date the CLI, the reports and the dashboards use when none is given (``domain.asof``).

    The latest date with records within the running project period, capped at ``today``:

    >>> import sgzlib as sgz
    >>> sgz.default_as_of(sgz.demo_workbench().ds, today=dt.date(2030, 1, 1))
    datetime.date(2025, 12, 31)
    """
    return asof.default_as_of(ds, today)


def _stations_arg(stations) -> list[str] | None:
    if stations is None:
        return None
    return [stations] if isinstance(stations, str) else list(stations)


def open_workbench(url: str | None = None, *, stations: str | list[str] | None = None, masked: bool = True,
                   as_of=None, upgrade: bool = True, output: str = "api") -> Workbench:
    """Read the database at ``url`` (default ``$SGZ_DATABASE_URL``, else ``data/sgz.db``) as a ``Workbench``.

    ``stations``: only these stations and the stations below them (all when None). ``masked`` (default):
    personal data masked as ``domain.personal`` says for the audience of ``output`` (``OUTPUTS``: ``api``,
    ``evaluate``, ``station_report``, ``dashboard`` …), free text scanned for the whole database's people
    (``storage.shared_dataset``). ``upgrade=False`` reads without migrating the schema (a long-running page
    must not migrate).
    """
    codes = _stations_arg(stations)
    engine = storage.connect(url, upgrade=upgrade)
    try:
        ds = storage.shared_dataset(engine, codes, output) if masked else storage.load_dataset(engine, codes)
    finally:
        engine.dispose()
    return Workbench._wrap(ds, masked=masked, as_of=as_of, url=storage.database_url(url), scope=codes,
                           opened=dict(stations=codes, masked=masked, upgrade=upgrade, as_of=as_of, output=output))


def open_index(url: str | None = None) -> Workbench:
    """Only the stations and projects of the database (to find what to report on), without the ledgers.

    Station and project rows hold no personal data. The date defaults to today's (no records are read).
    """
    engine = storage.connect(url)
    try:
        ds = Dataset(storage.load_tables(engine, INDEX_TABLES))
    finally:
        engine.dispose()
    return Workbench._wrap(ds, masked=False, as_of=dt.date.today(), url=storage.database_url(url), scope=None)


class Workbench(Analyses, Foresight):
    """A station's or a district's data and every analysis of it, each returning a DataFrame.

    ``ds`` is the (masked) ``Dataset``; ``scope`` the station codes looked at (all when None).
    ``Workbench(ds, masked=True)`` masks ``ds`` itself (for the audience of ``output``, ``domain.personal``);
    ``open_workbench`` reads it from the database.
    """

    def __init__(self, ds: Dataset, *, masked: bool = True, as_of=None, url: str | None = None,
                 scope: list[str] | None = None, output: str = "api"):
        shown = privacy.mask_dataset(ds, personal.audience_of(output)) if masked else ds
        self._setup(shown, masked, as_of, url, scope, None)
        self._raw = ds  # unmasked: the quality checks hash identities from it (``Foresight``)

    @classmethod
    def _wrap(cls, ds: Dataset, *, masked: bool, as_of, url, scope, opened=None) -> Workbench:
        """A workbench over ``ds`` as it is (already masked when ``masked``)."""
        wb = cls.__new__(cls)
        wb._setup(ds, masked, as_of, url, scope, opened)
        return wb

    def _setup(self, ds, masked, as_of, url, codes, opened) -> None:
        self.ds = ds
        self.masked = masked
        self.url = url
        self.scope = codes
        self.loaded_at = dt.datetime.now().replace(microsecond=0)
        self._opened = opened  # how it was read from the database (for ``reload``), None when built in memory
        # the whole dataset before narrowing to a station, unmasked and as shown, or the database (``Foresight``)
        self._raw, self._root, self._from_db = ds, ds, opened is not None
        self._shared: dict[tuple, object] = {}  # what narrower views compute once for all (``Foresight``)
        self.as_of = require_date(as_of, "截至日期") if as_of not in (None, "") else default_as_of(self.ds)
        self._memo: dict[tuple, object] = {}

    def __repr__(self) -> str:
        where = "、".join(self.scope) if self.scope else "全部站点"
        return f"<sgz 工作台：{where}，截至 {self.as_of:%Y-%m-%d}{'，姓名已遮蔽' if self.masked else ''}>"

    def reload(self) -> Workbench:
        """The same scope read from the database again (data imported since is seen); a workbench built
        in memory is returned as it is."""
        if self._opened is None:
            return self
        return open_workbench(self.url, **self._opened)

    # -- scope ------------------------------------------------------------------

    def _narrow(self, codes: list[str]) -> Workbench:
        return self._same_root(Workbench._wrap(self.ds.subset(codes), masked=self.masked, as_of=self.as_of,
                                               url=self.url, scope=codes))

    def _same_root(self, wb: Workbench) -> Workbench:
        """``wb`` (a narrower or later view of this workbench) keeps what it was narrowed from."""
        wb._raw, wb._root, wb._from_db, wb._shared = self._raw, self._root, self._from_db, self._shared
        return wb

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
            known = "、".join(scope.districts(self.ds))
            raise NotFoundError(f"区县不存在：{name}（已有：{known}）")
        return self._narrow(codes)

    def on(self, as_of) -> Workbench:
        """The same data looked at on another date.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().on("2025-06-30").as_of
        datetime.date(2025, 6, 30)
        """
        wb = Workbench._wrap(self.ds, masked=self.masked, as_of=as_of, url=self.url, scope=self.scope,
                             opened=self._opened)
        wb.loaded_at = self.loaded_at
        return self._same_root(wb)

    def _codes(self) -> list[str]:
        return self.scope if self.scope else self.ds.stations["code"].tolist()

    def _when(self, as_of) -> dt.date:
        return self.as_of if as_of in (None, "") else require_date(as_of, "截至日期")

    def cached(self, key: tuple, compute):
        """``compute()`` once per ``key`` for this workbench (derived tables of pages and reports)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    _cached = cached

    def stations(self) -> pd.DataFrame:
        """The stations in scope. Columns: code, name, level, parent_code, district, provider, supervisors,
        longitude, latitude (each carrying its header of the 社工站 sheet).

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().stations().columns.tolist()
        ['code', 'name', 'level', 'parent_code', 'district', 'provider', 'supervisors', 'longitude', 'latitude']
        """
        return carry(self.ds.stations.reset_index(drop=True), table="stations")

    def table(self, name: str) -> pd.DataFrame:
        """One ledger table of the scope by its English name (``cases``, ``services`` …; see ``sgzlib.domain.schema``).

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().station("YL01").table("cases")["station_code"].unique().tolist()
        ['YL01']
        """
        return carry(self.ds[name].reset_index(drop=True), table=name)

    def townships(self, district: str | None = None) -> pd.DataFrame:
        """The township stations (of one district), in code order."""
        return carry(scope.townships(self.ds, district), table="stations")

    def districts(self) -> list[str]:
        return scope.districts(self.ds)

    def district_stations(self, district: str) -> list[str]:
        """Township station codes of a district (所属区县 name or the code of a station above them)."""
        return scope.district_stations(self.ds, district)

    def station_row(self, code: str) -> pd.Series:
        return scope.station_row(self.ds, code)

    def project_row(self, code: str) -> pd.Series:
        return scope.project_row(self.ds, code)

    def current_projects(self, as_of=None, district: str | None = None) -> pd.DataFrame:
        """Per station (the township stations of ``district`` when given) its current project (``domain.scope``)."""
        projects = self.ds.projects
        if district:
            projects = projects[projects["station_code"].isin(self.district_stations(district))]
        return carry(scope.current_projects(projects, self._when(as_of)), table="projects")

    def project_for(self, station: str, as_of=None) -> pd.Series | None:
        """The station's current project on the date, or None."""
        return scope.current_project(self.ds, station, self._when(as_of))

    # -- indicators --------------------------------------------------------------

    def evaluation(self, as_of=None, projects=None) -> Evaluation:
        """The engine's ``Evaluation`` of every project in scope (or of ``projects``), computed once per date."""
        when = self._when(as_of)
        chosen = None if projects is None else tuple(projects)
        return self._cached(("evaluation", when, chosen),
                            lambda: evaluate(self.ds, when, projects=None if chosen is None else list(chosen)))

    def evaluation_of(self, stations: str | list[str], as_of=None) -> Evaluation | None:
        """The ``Evaluation`` of the projects of ``stations`` (and the stations below them), computed once per date
        and set of projects; ``None`` when they have none."""
        codes = self.ds.descendants(stations)
        projects = self.ds.projects.loc[self.ds.projects["station_code"].isin(codes), "code"].tolist()
        return self.evaluation(as_of, projects=projects) if projects else None

    @labelled()
    def evaluate(self, as_of=None, periods: bool = False) -> pd.DataFrame:
        """Indicator results: one 全期 row per project and indicator (``periods=True`` adds each month/quarter),
        the figures rounded as every output shows them (``domain.figures``).

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
        # the figures as every report, board and CSV shows them (``domain.figures``: 实际 down, 应达 up)
        return figures.result_figures(frame[RESULT_COLUMNS], cells=False).reset_index(drop=True)

    @labelled()
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

    @labelled()
    def indicator_track(self, indicator: str, as_of=None) -> pd.DataFrame:
        """One indicator at every month end up to ``as_of``, for every station whose project has it.

        Columns: month, month_end, station_code, station_name, project_code, indicator_id, indicator_name,
        actual, expected, target, unit, status (see ``casework.indicator_track``).

        >>> import sgzlib as sgz
        >>> t = sgz.demo_workbench().on("2025-03-31").indicator_track("ZL-JS-02")
        >>> sorted(t["month"].unique()), sorted(t["station_code"].unique())
        (['2025-01', '2025-02', '2025-03'], ['YL01', 'YL02'])
        """
        when = self._when(as_of)
        return self._cached(("track", indicator.upper(), when),
                            lambda: casework.indicator_track(self.ds, indicator, when))

    @labelled()
    def indicator_records(self, indicator: str, station: str, month: str, as_of=None) -> pd.DataFrame:
        """The records behind one cell (station × month) of ``indicator_track``: counted and not, with reasons.

        >>> import sgzlib as sgz
        >>> r = sgz.demo_workbench().on("2025-03-31").indicator_records("ZL-JS-02", "YL01", "2025-02")
        >>> r["project_code"].unique().tolist()
        ['P2025-YL01']
        """
        return casework.indicator_records(self.ds, indicator, station, month, self._when(as_of))

    @labelled()
    def shares(self, as_of=None, projects=None) -> pd.DataFrame:
        """Per station the share of its indicators in each status, best first (``domain.status.station_shares``)."""
        return status.station_shares(self.evaluation(as_of, projects).summary)

    @labelled()
    def ranking(self, as_of=None, projects=None) -> pd.DataFrame:
        """The stations ranked by their share 达标 + 进度正常 (``domain.status.ranking``)."""
        return status.ranking(self.evaluation(as_of, projects).summary)

    # -- attention lists --------------------------------------------------------

    def attention(self, station: str, as_of=None, rules: supervision.AttentionRules = supervision.AttentionRules(),
                  projects=None) -> supervision.Attention:
        """Every attention list of ``station`` (``supervision.station_attention``), on the evaluation of
        ``projects`` (default: every project of the station)."""
        when = self._when(as_of)
        if projects is None:
            projects = self.ds.projects.loc[self.ds.projects["station_code"].isin(self.ds.descendants(station)),
                                            "code"].tolist()
        evaluation = self.evaluation(when, projects) if projects else None
        return supervision.station_attention(
            self.ds, station, when, results=evaluation.results if evaluation is not None else None,
            evaluation=evaluation, rules=rules, worsened=self.worsened_pairs(when),
            missing_post=self.missing_post_pairs(when))
