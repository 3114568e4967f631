"""The district (or county) overview: station × indicator status, ranking, monthly trends, where to visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..analysis import supervision
from ..charts import plots as charts
from ..domain import figures, labels, scope, status
from ..domain.dataset import Dataset
from ..domain.labels import PERIOD_WHOLE
from ..indicators.evidence import service_evidence
from ..workbench import open_index, open_workbench
from . import data
from .tables import forecast_table, quality_table

VISIT_BELOW = 0.6  # stations whose share of indicators 达标 or 进度正常 is below this get a visit first
HEATMAP_ROWS = 36  # at most this many indicators per heatmap (one A4 page with its title), split between domains
RANKING_RULE = status.RANKING_RULE
VISIT_RULE = (f"与站点排名同一标准、顺序相反：「达标 + 进度正常」指标占比最低的站点排在最前；占比低于 {VISIT_BELOW:.0%} 的站点"
              "建议优先督导走访，其余常规跟进。占比相同时，逾期行动项多、需关注个案多的站点在前。"
              "个案、小组、佐证问题与行动项的数目列出供参考。")


@dataclass
class DistrictReport:
    """Every township station of a district on one date (always masked)."""

    ds: Dataset
    name: str
    stations: pd.DataFrame  # the township stations, code and name
    as_of: dt.date
    results: pd.DataFrame
    evaluation: object = None  # the ``Evaluation`` behind ``results`` (its case and group verdicts)
    forecast: pd.DataFrame | None = None  # ``Workbench.forecast`` of the stations' running projects
    findings: pd.DataFrame | None = None  # ``Workbench.quality`` of the stations (数据质量)

    @property
    def title(self) -> str:
        return f"{self.name}社工站运行概览"

    @property
    def subtitle(self) -> str:
        return f"共 {len(self.stations)} 个乡镇（街道）社工站　截至 {data.fmt_date(self.as_of)}"

    @property
    def summary(self) -> pd.DataFrame:
        return self.results[self.results["period"] == PERIOD_WHOLE]

    def headline(self) -> list[tuple[str, object, bool]]:
        """Counts of results, and the share 达标 + 进度正常 per station (the median and the lowest): each station's
        share is over its own catalogue, so stations on catalogues of 16 and of 60 indicators weigh the same."""
        s = self.summary
        counts = s["status"].value_counts()
        on_track = int(counts.reindex(list(status.GOOD), fill_value=0).sum())
        behind = int(counts.reindex(list(status.BAD), fill_value=0).sum())
        other = len(s) - on_track - behind
        will_miss = int(self.forecast["will_miss"].sum()) if self.forecast is not None and len(self.forecast) else 0
        found = len(self.findings) if self.findings is not None else 0
        shares = status.station_shares(s)["good"] if len(s) else pd.Series(dtype=float)
        items = [("站点数", len(self.stations), False), ("指标结果数（站 × 指标）", len(s), False),
                 (status.GOOD_TEXT, on_track, False), (status.BAD_TEXT, behind, behind > 0),
                 ("待核验或未开始", other, other > 0), (labels.WILL_MISS, will_miss, will_miss > 0),
                 (labels.DATA_QUALITY + "问题", found, found > 0)]
        if len(shares):
            low = shares.idxmin()
            items += [(f"各站{status.GOOD_TEXT}占比的中位数", figures.percent(shares.median()), False),
                      (f"占比最低：{scope.short_station_names([low])[0]}", figures.percent(shares.min()),
                       shares.min() < VISIT_BELOW)]
        return items

    def forecast_counts(self) -> pd.DataFrame:
        """Per station: indicators of its running project, how many will not be met at the pace so far, and
        how many of those are mandatory (most first)."""
        if self.forecast is None or self.forecast.empty:
            return pd.DataFrame()
        s = self.summary[["station_code", "project_code", "indicator_id", "mandatory"]]
        f = s.merge(self.forecast[["project_code", "indicator_id", "will_miss"]], on=["project_code", "indicator_id"])
        f = f.assign(mandatory_miss=f["will_miss"] & f["mandatory"].astype(bool))
        agg = f.groupby("station_code").agg(n=("indicator_id", "size"), miss=("will_miss", "sum"),
                                            mandatory=("mandatory_miss", "sum"))
        names = self.stations.set_index("code")["name"]
        out = pd.DataFrame({"站点": agg.index.map(names), "预测的指标数": agg["n"].to_numpy(),
                            labels.WILL_MISS: agg["miss"].astype(int).to_numpy(),
                            "其中必选": agg["mandatory"].astype(int).to_numpy()})
        return out.sort_values([labels.WILL_MISS, "其中必选"], ascending=False, kind="stable").reset_index(drop=True)

    def forecast_table(self) -> pd.DataFrame:
        """The mandatory indicators on track today (or not started) that will not be met at the pace so far,
        station by station: what the forecast adds to the statuses above (those behind are there already)."""
        s = self.summary
        rows = s[s["mandatory"].astype(bool) & ~status.is_bad(s["status"])]
        return forecast_table(rows, self.forecast, with_station=True, brief=True)

    def quality(self) -> pd.DataFrame:
        """Every data-quality finding of the district's stations (a problem of two stations once)."""
        return quality_table(self.findings, with_station=True)

    def shares(self) -> pd.DataFrame:
        """Per station (index: name) the share of its indicators in each status, best station first."""
        return status.station_shares(self.summary)

    def ranking(self) -> pd.DataFrame:
        r = status.ranking(self.summary)
        out = pd.DataFrame({"排名": r["rank"], "站点": r["station"], "指标数": r["indicators"],
                            f"{status.GOOD_TEXT}占比": r["good_share"].map(figures.percent)})
        for name in status.BEST_FIRST:
            out[name] = r[name]
        return out

    def ranking_figure(self):
        shares = self.shares()
        return charts.ranking_bars(shares.drop(columns="good"))

    def heatmaps(self) -> list[tuple[str, object]]:
        """Indicator × station heatmaps, one per catalogue (its Chinese title) with every station on it, split
        between domains into parts of at most ``HEATMAP_ROWS`` indicators; each cell shows 实际/目标."""
        out = []
        for catalogue, rows in self._by_catalogue():
            parts = _domain_parts(list(dict.fromkeys(rows["indicator_id"])), rows, HEATMAP_ROWS)
            for k, ids in enumerate(parts, 1):
                suffix = f"（{k}/{len(parts)}）" if len(parts) > 1 else ""
                title = f"{catalogue}：指标 × 站点{suffix}"
                out.append((title, charts.indicator_heatmap(rows[rows["indicator_id"].isin(ids)], title=title)))
        return out

    def _by_catalogue(self):
        """(the catalogue's title with its tiers, its 全期 rows) for each catalogue used, by title."""
        for catalogue, rows in self.summary.groupby("catalogue", sort=True):
            tiers = "、".join(sorted(rows["tier"].dropna().astype(str).unique()))
            yield data.catalogue_title(catalogue) + (f"（{tiers}）" if tiers else ""), rows

    def indicator_legend(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Per catalogue, (number, full name) of each indicator of its heatmaps: the legend of their labels."""
        return [(catalogue, list(zip(first["indicator_id"], first["indicator_name"])))
                for catalogue, rows in self._by_catalogue()
                for first in [rows.drop_duplicates("indicator_id")]]

    def monthly_services(self) -> pd.DataFrame:
        """Valid service records per township station per month, up to ``as_of``."""
        ev = service_evidence(self.ds)
        ev = ev[(ev["date"] <= pd.Timestamp(self.as_of)) & (ev["date"].dt.year == self.as_of.year) & ev["valid"]]
        town = scope.township_of(self.ds)
        names = self.stations.set_index("code")["name"]
        ev = ev.assign(station=ev["station_code"].map(town).map(names), month=ev["date"].dt.strftime("%Y-%m"))
        ev = ev[ev["station"].notna()]
        return ev.groupby(["station", "month"]).size().rename("services").reset_index()

    def services_figure(self):
        return charts.trend_lines(self.monthly_services(), x="month", y="services", color="station",
                                  title="各站点每月有效服务记录数", y_title="服务记录（条）")

    def monthly_met(self) -> pd.DataFrame:
        """Share (%) of monthly indicators met per station per ended month."""
        rows = self.results[(self.results["period_kind"] == "month")
                            & (self.results["period_end"] <= pd.Timestamp(self.as_of))]
        if rows.empty:
            return pd.DataFrame(columns=["station", "month", "share"])
        met = rows.assign(met=rows["status"] == labels.MET).groupby(["station_name", "period"])["met"].mean()
        return (100 * met).round(1).rename("share").reset_index().rename(
            columns={"station_name": "station", "period": "month"})

    def met_figure(self):
        frame = self.monthly_met()
        if frame.empty:
            return None
        return charts.trend_lines(frame, x="month", y="share", color="station",
                                  title="各站点按月考核指标的月度达标率", y_title="达标率（%）")

    def met_note(self) -> str:
        """Which stations the monthly 达标率 chart leaves out, and why ("" when it shows every station)."""
        shown = set(self.monthly_met()["station"])
        left = [n for n in self.stations["name"] if n not in shown]
        if not left:
            return ""
        return (f"{'、'.join(left)}的指标清单没有按月考核的指标（或截至本日还没有结束的月份），"
                "不在月度达标率图中。")

    def visits(self) -> pd.DataFrame:
        """Per station what needs attention, in the order of ``VISIT_RULE`` (the ranking reversed)."""
        codes = list(self.stations["code"])
        town = scope.township_of(self.ds)
        count = lambda frame: frame["station_code"].map(town).value_counts().reindex(codes, fill_value=0)
        s = self.summary
        n = s.groupby("station_code").size().reindex(codes, fill_value=0)
        on_track = s[s["status"].isin(status.GOOD)].groupby("station_code").size().reindex(codes, fill_value=0)
        share = (on_track / n.where(n > 0)).fillna(0.0)
        actions = supervision.action_items(self.ds, codes, self.as_of)
        out = pd.DataFrame({
            "站点": self.stations["name"].to_numpy(),
            "达标及进度正常占比": share.to_numpy(),
            "指标数": n.to_numpy(),
            "逾期行动项": count(actions[actions["overdue"]]).to_numpy(),
            "需关注个案": count(supervision.cases_needing_attention(self.ds, codes, self.as_of, self.evaluation)).to_numpy(),
            "风险小组": count(supervision.groups_at_risk(self.ds, codes, self.as_of, self.evaluation)).to_numpy(),
            "佐证问题": count(supervision.evidence_problems(self.ds, codes, self.as_of)).to_numpy()})
        out["建议"] = ["优先督导走访" if v < VISIT_BELOW else "常规跟进" for v in out["达标及进度正常占比"]]
        out = out.sort_values(["达标及进度正常占比", "逾期行动项", "需关注个案"], ascending=[True, False, False],
                              kind="stable").reset_index(drop=True)
        out.insert(0, "顺序", range(1, len(out) + 1))
        out["达标及进度正常占比"] = out["达标及进度正常占比"].map(figures.percent)
        return out


def build(db_url: str | None, district: str, as_of) -> DistrictReport:
    """Load a district (所属区县 name or a county station code) and evaluate all its projects on ``as_of``."""
    as_of = data.as_date(as_of)
    index = open_index(db_url)
    codes = index.district_stations(district)
    wb = open_workbench(db_url, stations=codes, masked=True, as_of=as_of, output="district")
    stations = wb.ds.stations[wb.ds.stations["code"].isin(codes)][["code", "name"]].reset_index(drop=True)
    evaluation = wb.evaluation()
    return DistrictReport(wb.ds, scope.district_name(index.ds, district), stations, as_of, evaluation.results,
                          evaluation, wb.forecast(), wb.quality())


def _domain_parts(ids: list[str], rows: pd.DataFrame, limit: int) -> list[list[str]]:
    """``ids`` (catalogue order) in consecutive parts of at most ``limit``, each part ending where a domain ends
    when it can (a domain longer than ``limit`` is cut where it must)."""
    domain = rows.drop_duplicates("indicator_id").set_index("indicator_id")["domain"]
    blocks: list[list[str]] = []
    for i in ids:
        if blocks and domain[blocks[-1][-1]] == domain[i]:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    parts: list[list[str]] = [[]]
    for block in blocks:
        while block:
            room = limit - len(parts[-1])
            if len(block) > room and parts[-1] and len(block) <= limit:
                parts.append([])
                continue
            take = block[:limit - len(parts[-1])]
            parts[-1] += take
            block = block[len(take):]
            if block:
                parts.append([])
    return [p for p in parts if p]
