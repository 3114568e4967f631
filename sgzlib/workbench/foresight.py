"""What a ``Workbench`` sees coming and what it doubts: the forecast of each indicator and the data-quality
findings (issue 32).

A mixin of ``Workbench``. Both look beyond the workbench's scope: the forecast learns the shape of a year
from the other stations' past projects of the same catalogue, and the quality checks compare a station with
every other. A workbench read from the database reads those from the database (``store.quality_index``: as
the user may read it); one built in memory from the whole dataset it was given, before it was narrowed to a
station. So a station's report and the district overview give a station the same forecast and findings.
"""

from __future__ import annotations

import pandas as pd

from ..analysis import quality
from ..domain.labels import FORECAST_HEADERS, FORECAST_METHODS, QUALITY_CHECKS, QUALITY_HEADERS, WILL_MISS
from ..indicators import forecast as forecasting
from ..store import quality_index, storage


class Foresight:
    """Forecast and data-quality findings of a ``Workbench``."""

    # -- the whole dataset the workbench was narrowed from (in memory), or the database -------------------

    def _engine(self):
        return storage.connect(self.url, upgrade=False)

    def forecast_reference(self, as_of=None, projects=None) -> forecasting.Reference | None:
        """What the forecast learns from: the past projects of the same catalogue at other stations
        (``indicators.forecast.reference``), or None when there are none (the forecast goes by pace alone)."""
        when = self._when(as_of)
        chosen = None if projects is None else tuple(projects)

        def learn():
            running = forecasting.running_projects(self.ds, when, chosen)
            if running.empty:
                return None
            if self._from_db:
                engine = self._engine()
                try:
                    past = quality_index.history(engine, when, running)
                finally:
                    engine.dispose()
            else:
                past = self._root
            return forecasting.reference(past, when, running) if past is not None else None

        running = tuple(sorted(self.ds.projects["code"])) if chosen is None else chosen
        return self._once_for_all(("forecast_reference", when, running), learn)

    def _once_for_all(self, key: tuple, compute):
        """``compute()`` once for this workbench and every view of it (``station``, ``on``): what looks at the
        whole database is the same for each station's report."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def forecast(self, as_of=None, projects=None, labels: bool = False) -> pd.DataFrame:
        """Per running project × indicator: the projected value at the end of the project, the months or
        quarters projected to be missed, the date the target is met, what each remaining month needs, and the
        flag 按当前进度年底无法达标 (``will_miss``). Columns: ``indicators.forecast.COLUMNS``; with ``labels``
        Chinese headers and words (``labels.FORECAST_HEADERS``).

        >>> import sgzlib as sgz
        >>> f = sgz.demo_workbench().station("YL04").forecast()
        >>> bool(f["will_miss"].any()), f["method"].unique().tolist()
        (True, ['pace', 'state'])
        """
        when = self._when(as_of)
        chosen = None if projects is None else tuple(projects)
        frame = self._cached(("forecast", when, chosen), lambda: forecasting.forecast(
            self.ds, self.evaluation(when, chosen), self.forecast_reference(when, chosen)))
        return forecast_labels(frame) if labels else frame

    def with_forecast(self, results: pd.DataFrame, as_of=None, projects=None) -> pd.DataFrame:
        """``results`` (全期 rows) with the forecast's ``will_miss``, ``projected``, ``needed_text`` and
        ``forecast_note`` beside each status (blank for projects not running)."""
        f = self.forecast(as_of, projects)[["project_code", "indicator_id", "will_miss", "projected", "needed_text",
                                            "note"]].rename(columns={"note": "forecast_note"})
        out = results.drop(columns=[c for c in f.columns[2:] if c in results], errors="ignore")
        out = out.merge(f, on=["project_code", "indicator_id"], how="left")
        out["will_miss"] = out["will_miss"].fillna(False).astype(bool)
        return out

    # -- data quality ----------------------------------------------------------------------------------

    def quality_index(self, as_of=None) -> quality.QualityIndex:
        """The compact cross-station index of every station (``analysis.quality.index``), built once."""
        when = self._when(as_of)

        def build():
            if self._from_db:
                engine = self._engine()
                try:
                    return quality_index.quality_index(engine, when)
                finally:
                    engine.dispose()
            return quality.build_index(self._raw, when)

        return self._once_for_all(("quality_index", when), build)

    def quality(self, as_of=None, settings: quality.Settings = quality.Settings(),
                labels: bool = False) -> pd.DataFrame:
        """The data-quality findings about the stations in scope (``analysis.quality.findings``): the same
        person on two rosters, a worker at two stations on one day, 补录, figures out of line with peers,
        copied summaries — each with why and which records. With ``labels`` Chinese headers and words.

        >>> import sgzlib as sgz
        >>> sorted(sgz.demo_workbench().quality()["check"])
        ['copied_summary', 'duplicate_person', 'late_entry', 'peer_outlier', 'worker_two_places']
        """
        when = self._when(as_of)
        frame = self._cached(("quality", when, settings), lambda: quality.findings(
            self.ds, self.quality_index(when), self.evaluation(when), settings))
        return quality_labels(frame) if labels else frame


def forecast_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The forecast with Chinese headers: the method and the flag in words, dates as 2025-12-31."""
    out = frame.copy()
    out["method"] = out["method"].map(FORECAST_METHODS)
    out["will_miss"] = out["will_miss"].map({True: WILL_MISS, False: ""})
    out["met_by"] = pd.to_datetime(out["met_by"]).dt.strftime("%Y-%m-%d")
    out["projected"] = out["projected"].round(1)
    return out.rename(columns=FORECAST_HEADERS)


def quality_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The findings with Chinese headers and the check in words."""
    return frame.assign(check=frame["check"].map(QUALITY_CHECKS)).rename(columns=QUALITY_HEADERS)
