"""The district (or county) overview: station × indicator status, ranking, monthly trends, where to visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..analysis import supervision
from ..charts import plots as charts
from ..domain import labels, scope, status
from ..domain.dataset import Dataset
from ..domain.labels import PERIOD_WHOLE
from ..indicators.evidence import service_evidence
from ..workbench import open_index, open_workbench
from . import data
from .tables import forecast_table, quality_table

VISIT_BELOW = 0.6  # stations whose share of indicators 达标 or 进度正常 is below this get a visit first
HEATMAP_COLUMNS = 12  # at most this many indicators per heatmap, so every label prints readably on A4
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
        s = self.summary
        counts = s["status"].value_counts()
        on_track = int(counts.reindex(list(status.GOOD), fill_value=0).sum())
        behind = int(counts.reindex(list(status.BAD), fill_value=0).sum())
        share = f"{100 * on_track / len(s):.0f}%" if len(s) else "—"
        other = len(s) - on_track - behind
        will_miss = int(self.forecast["will_miss"].sum()) if self.forecast is not None and len(self.forecast) else 0
        found = len(self.findings) if self.findings is not None else 0
        return [("站点数", len(self.stations), False), ("指标结果数", len(s), False),
                (status.GOOD_TEXT, on_track, False), (status.BAD_TEXT, behind, behind > 0),
                ("待核验或未开始", other, other > 0), (f"{status.GOOD_TEXT}占比", share, False),
                (labels.WILL_MISS, will_miss, will_miss > 0), (labels.DATA_QUALITY + "问题", found, found > 0)]

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
                            f"{status.GOOD_TEXT}占比": (100 * r["good_share"]).round(1).map(lambda v: f"{v:g}%")})
        for name in status.BEST_FIRST:
            out[name] = r[name]
        return out

    def ranking_figure(self):
        shares = self.shares()
        return charts.ranking_bars(shares.drop(columns="good"))

    def heatmaps(self) -> list[tuple[str, object]]:
        """Station × indicator heatmaps: per catalogue (its Chinese title), one per domain of at most 12 indicators."""
        out = []
        for catalogue, rows in self.summary.groupby("catalogue", sort=True):
            tiers = "、".join(sorted(rows["tier"].dropna().astype(str).unique()))
            name = data.catalogue_title(catalogue) + (f"（{tiers}）" if tiers else "")
            for domain, part in rows.groupby("domain", sort=False):
                names = list(dict.fromkeys(part["indicator_name"]))
                chunks = [names[i:i + HEATMAP_COLUMNS] for i in range(0, len(names), HEATMAP_COLUMNS)]
                for k, chunk in enumerate(chunks, 1):
                    suffix = f"（{k}/{len(chunks)}）" if len(chunks) > 1 else ""
                    title = f"{name}：{domain}{suffix}"
                    # the title names the domain: "儿童关爱保护：名单对象需求调研" is labelled "名单对象需求调研"
                    out.append((title, charts.status_heatmap(part[part["indicator_name"].isin(chunk)], title=title,
                                                             drop_prefix=domain)))
        return out

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
        out["达标及进度正常占比"] = (100 * out["达标及进度正常占比"]).round(1).map(lambda v: f"{v:g}%")
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
