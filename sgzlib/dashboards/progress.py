"""项目进度看板: every station's indicators against targets on a date, for a district and a catalogue.

The board evaluates the stations' current projects (``domain.scope.current_projects``) through the read
model (``Source.wb.evaluation``: once per date and set of projects), and only filters and draws here.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as w
import pandas as pd

from .. import indicators
from ..analysis import supervision
from ..charts import plots as charts
from ..domain import figures, scope, status
from ..domain.dataset import Dataset
from ..domain.labels import FORECAST_HEADERS, PERIOD_EVERY, PERIOD_WHOLE, RESULT_HEADERS, STATUS_ORDER, WILL_MISS
from . import quality, ui
from .data import Source, district_options, source, station_label, townships

ALL_DOMAINS = "全部领域"
ALL_CATALOGUES = "全部"


def current_projects(ds: Dataset, as_of: dt.date, district: str) -> pd.DataFrame:
    """Per township station of ``district``: its current project (``domain.scope``), with catalogue id and title."""
    towns = townships(ds, district)
    p = scope.current_projects(ds.projects[ds.projects["station_code"].isin(towns["code"])], as_of)
    cats = {name: indicators.load_catalogue(name) for name in p["catalogue"].unique()}
    return p.assign(catalogue_id=p["catalogue"].map(lambda n: cats[n].id),
                    catalogue_title=p["catalogue"].map(lambda n: cats[n].title)).reset_index(drop=True)


def catalogue_options(projects: pd.DataFrame) -> list[tuple[str, str]]:
    """全部指标清单 first (the default: every station), then each catalogue, the most used first."""
    seen = projects.drop_duplicates("catalogue_id")
    seen = seen.assign(n=seen["catalogue_id"].map(projects["catalogue_id"].value_counts()))
    seen = seen.sort_values(["n", "catalogue_id"], ascending=[False, True])
    every = [(f"全部指标清单（{len(projects)} 个站）", ALL_CATALOGUES)] if len(projects) else []
    return every + [(f"{t}（{n} 个站）", c) for t, c, n in zip(seen["catalogue_title"], seen["catalogue_id"], seen["n"])]


def scope_codes(projects: pd.DataFrame, catalogue: str | None) -> tuple[str, ...]:
    """The project codes the catalogue filter selects (all of them for 全部)."""
    chosen = projects if catalogue == ALL_CATALOGUES else projects[projects["catalogue_id"] == catalogue]
    return tuple(sorted(chosen["code"]))


def evaluation(src: Source, as_of: dt.date, project_codes: tuple[str, ...]) -> pd.DataFrame:
    """Indicator results of these projects on ``as_of`` (the read model computes them once per date and set)."""
    return src.wb.evaluation(as_of, project_codes).results


def select(results: pd.DataFrame, domain: str | None = None, station: str | None = None) -> pd.DataFrame:
    rows = results
    if domain and domain != ALL_DOMAINS:
        rows = rows[rows["domain"] == domain]
    if station:
        rows = rows[rows["station_code"] == station]
    return rows


def domain_options(results: pd.DataFrame) -> list[str]:
    return [ALL_DOMAINS, *dict.fromkeys(results["domain"].dropna())]


def status_kpis(summary: pd.DataFrame, forecast: pd.DataFrame | None = None) -> list[tuple[str, object, bool]]:
    """Stations, indicators, how many (station, indicator) results are in each status and, with ``forecast``,
    how many will not be met at the pace so far."""
    counts = summary["status"].value_counts()
    behind_stations = summary[status.is_bad(summary["status"])]["station_code"].nunique()
    items = [("社工站", summary["station_code"].nunique(), False),
             ("指标（站 × 指标）", len(summary), False)]
    items += [(s, int(counts.get(s, 0)), s in status.BAD and bool(counts.get(s, 0))) for s in STATUS_ORDER]
    items.append((f"有{status.BAD_TEXT}指标的站", behind_stations, bool(behind_stations)))
    if forecast is not None:
        keys = ["project_code", "indicator_id"]
        shown = pd.MultiIndex.from_frame(summary[keys])
        n = int(forecast.loc[pd.MultiIndex.from_frame(forecast[keys]).isin(shown), "will_miss"].sum())
        items.append((WILL_MISS, n, n > 0))
    return items


def period_options(results: pd.DataFrame) -> list[tuple[str, str]]:
    """Indicators of one station measured per month or quarter (for the series chart)."""
    rows = results[results["period_kind"].isin(["month", "quarter"])].drop_duplicates("indicator_id")
    return [(f"{n}（{PERIOD_EVERY[k]}）", i) for n, i, k in zip(rows["indicator_name"], rows["indicator_id"], rows["period_kind"])]


def period_series(results: pd.DataFrame, indicator_id: str) -> tuple[pd.Series, float | None, str]:
    """Actual per period (ended or current) of one indicator of one station, its target and name."""
    rows = results[(results["indicator_id"] == indicator_id) & (results["period"] != PERIOD_WHOLE)].sort_values("period")
    if rows.empty:
        return pd.Series(dtype=float), None, ""
    return rows.set_index("period")["actual"], float(rows["target"].iloc[0]), rows["indicator_name"].iloc[0]


def action_list(results: pd.DataFrame, forecast: pd.DataFrame | None = None) -> pd.DataFrame:
    """What to act on: indicators 未达标 / 落后 / 待核验 / 未开始, most urgent first, in Chinese; with
    ``forecast``, also those on track today that will not be met at the pace so far, each with 预测 and 还需."""
    h, fh = RESULT_HEADERS, FORECAST_HEADERS
    rows = supervision.indicators_needing_attention(results)
    if forecast is not None and len(forecast):
        keys = ["project_code", "indicator_id"]
        flagged = pd.MultiIndex.from_frame(forecast.loc[forecast["will_miss"], keys])
        later = results[pd.MultiIndex.from_frame(results[keys]).isin(flagged)]
        rows = pd.concat([rows, later[~pd.MultiIndex.from_frame(later[keys]).isin(
            pd.MultiIndex.from_frame(rows[keys]))]], ignore_index=True)
    columns = ["社工站", h["indicator_id"], "指标", h["status"], fh["will_miss"], h["actual"], h["expected"], h["target"],
               h["unit"], fh["needed_text"], h["note"]]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    f = forecast.drop_duplicates(["project_code", "indicator_id"]).set_index(["project_code", "indicator_id"]) \
        if forecast is not None and len(forecast) else None
    flag, needed = "", ""
    if f is not None:
        at = pd.MultiIndex.from_frame(rows[["project_code", "indicator_id"]])
        flag = f["will_miss"].reindex(at).map({True: WILL_MISS}).fillna("").to_numpy()
        needed = f["needed_text"].reindex(at).fillna("").to_numpy()
    shown = figures.result_figures(rows)  # rounded as in the reports and the CSV (domain.figures)
    out = pd.DataFrame({"社工站": rows["station_name"], h["indicator_id"]: rows["indicator_id"],
                        "指标": rows["indicator_name"], h["status"]: rows["status"], fh["will_miss"]: flag,
                        h["actual"]: shown["actual"], h["expected"]: shown["expected"], h["target"]: shown["target"],
                        h["unit"]: rows["unit"], fh["needed_text"]: needed, h["note"]: rows["note"]})
    return out[columns]


def build(src: Source | None = None) -> w.VBox:
    """The project manager's board."""
    src = src or source()
    ds = src.ds
    board = ui.Board("项目进度看板")
    districts = district_options(ds)
    c_district = board.control("district", ui.dropdown("区县", districts, width="200px"))
    c_as_of = board.control("as_of", ui.date_picker("截至日期", src.as_of))
    c_catalogue = board.control("catalogue", ui.dropdown("指标清单", [], width="680px"))
    c_domain = board.control("domain", ui.dropdown("领域", [ALL_DOMAINS], width="220px"))
    c_station = board.control("station", ui.dropdown("查看社工站", [], width="380px"))
    c_indicator = board.control("indicator", ui.dropdown("按月/季度查看指标", [], width="560px"))

    def projects(state) -> pd.DataFrame:
        return src.memo(("projects", state["as_of"], state["district"]),
                        lambda: current_projects(ds, state["as_of"], state["district"]))

    def results(state) -> pd.DataFrame:
        p = projects(state)
        codes = scope_codes(p, state["catalogue"])
        return evaluation(src, state["as_of"], codes) if codes else pd.DataFrame(columns=indicators.RESULT_COLUMNS)

    def summary(state) -> pd.DataFrame:
        r = select(results(state), state["domain"])
        return r[r["period"] == PERIOD_WHOLE]

    def on_scope(state):
        board.set_options("catalogue", catalogue_options(projects(state)))

    def on_catalogue(state):
        r = results(state)
        board.set_options("domain", domain_options(r))
        names = ds.stations.set_index("code")["name"]
        board.set_options("station", [(station_label({"name": names[c], "code": c}), c)
                                      for c in dict.fromkeys(r["station_code"])])

    def on_station(state):
        board.set_options("indicator", period_options(select(results(state), station=state["station"])))

    board.link({"district", "as_of"}, on_scope)
    board.link({"district", "as_of", "catalogue"}, on_catalogue)
    board.link({"district", "as_of", "catalogue", "station"}, on_station)
    scope = {"district", "as_of", "catalogue", "domain"}

    def forecast(state) -> pd.DataFrame | None:
        codes = scope_codes(projects(state), state["catalogue"])
        return src.wb.forecast(state["as_of"], codes) if codes else None

    def kpis(state):
        s = summary(state)
        return ui.kpis(status_kpis(s, forecast(state))) if not s.empty else \
            ui.message("所选区县在这一日期没有使用该指标清单的项目。")

    def heatmap(state):
        s = summary(state)
        if s.empty:
            return ui.message("没有可显示的指标。")
        if state["catalogue"] == ALL_CATALOGUES and s["catalogue"].nunique() > 1:
            # stations on different catalogues share no indicators: compare their shares instead
            return charts.ranking_bars(status.station_shares(s).drop(columns="good"), "各社工站指标状态占比（按达标及进度正常占比排序；选择一个指标清单可看站点 × 指标）")
        return charts.indicator_heatmap(s, "各社工站指标状态（指标 × 站点；格中为实际/目标，悬停看指标全称）")

    def bullets(state):
        rows = select(results(state), state["domain"], state["station"])
        if rows.empty:
            return ui.message("请选择社工站。")
        name = rows["station_name"].iloc[0]
        return charts.progress_bullets(rows, f"{name}：实际值、应达值与目标值（占目标百分比）")

    def series(state):
        counts, target, name = period_series(select(results(state), station=state["station"]), state["indicator"] or "")
        if counts.empty:
            return ui.message("这个社工站没有按月或按季度考核的指标。")
        return charts.monthly_series(counts, target, f"{name}：各期实际值与目标", y_title="实际值")

    board.panel("kpis", "", kpis, scope)
    board.panel("heatmap", "", heatmap, scope, kind="figure")
    def actions(state):
        return action_list(summary(state), forecast(state))

    board.panel("actions", f"需要跟进的指标（最紧急的在前；{WILL_MISS}的也列出）", actions, scope)
    board.panel("bullets", "", bullets, {"station", "as_of", "catalogue", "domain"}, kind="figure")
    board.panel("series", "", series, {"station", "indicator", "as_of", "catalogue"}, kind="figure")
    board.update()
    panels = {p.name: p.widget for p in board.panels}
    progress_view = w.VBox([
        c_catalogue, panels["kpis"], panels["heatmap"], panels["actions"],
        c_station, panels["bullets"], c_indicator, panels["series"],
    ])
    return w.VBox([
        ui.dated_header("项目进度看板", "各社工站在所选日期的指标完成情况：状态、实际值与按时间进度应达值、年底预测、"
                                    "需要跟进的事项；另一页是各站的数据质量问题。", c_as_of),
        w.HBox([c_district, c_as_of, c_domain]), quality.tabs(progress_view, src, board),
    ])
