"""The district (or county) overview: station × indicator status, ranking, monthly trends, where to visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..analysis import supervision
from ..charts import plots as charts
from ..domain.dataset import Dataset
from ..domain.labels import BEHIND, MET, MISSED, PERIOD_WHOLE, STATUS_ORDER
from ..domain.labels import ON_TRACK as ON_TRACK_STATUS
from ..indicators.evidence import service_evidence
from . import data

ON_TRACK = (MET, ON_TRACK_STATUS)
STATUSES = tuple(reversed(STATUS_ORDER))  # best first
VISIT_BELOW = 0.6  # stations whose share of indicators 达标 or 进度正常 is below this get a visit first
HEATMAP_COLUMNS = 12  # at most this many indicators per heatmap, so every label prints readably on A4
RANKING_RULE = "按「达标 + 进度正常」的指标占该站指标总数的比例从高到低排序（各站指标清单的指标数不同，比较占比而不是个数）。"
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
        on_track = int(counts.reindex(list(ON_TRACK), fill_value=0).sum())
        behind = int(counts.get(BEHIND, 0) + counts.get(MISSED, 0))
        share = f"{100 * on_track / len(s):.0f}%" if len(s) else "—"
        other = len(s) - on_track - behind
        return [("站点数", len(self.stations), False), ("指标结果数", len(s), False),
                ("达标及进度正常", on_track, False), ("落后或未达标", behind, behind > 0),
                ("待核验或未开始", other, other > 0), ("达标及进度正常占比", share, False)]

    def shares(self) -> pd.DataFrame:
        """Per station (index: name) the share of its indicators in each status, best station first."""
        s = self.summary
        table = pd.crosstab(s["station_name"], s["status"], normalize="index").reindex(columns=list(STATUSES),
                                                                                          fill_value=0.0)
        table["on_track"] = table[list(ON_TRACK)].sum(axis=1)
        return table.sort_values(["on_track", MET], ascending=False)

    def ranking(self) -> pd.DataFrame:
        s = self.summary
        counts = pd.crosstab(s["station_name"], s["status"]).reindex(columns=list(STATUSES), fill_value=0)
        shares = self.shares()
        counts = counts.reindex(shares.index)
        out = pd.DataFrame({"排名": range(1, len(shares) + 1), "站点": shares.index,
                            "指标数": counts.sum(axis=1).to_numpy(),
                            "达标及进度正常占比": (100 * shares["on_track"]).round(1).map(lambda v: f"{v:g}%").to_numpy()})
        for status in STATUSES:
            out[status] = counts[status].to_numpy()
        return out.reset_index(drop=True)

    def ranking_figure(self):
        shares = self.shares()
        return charts.ranking_bars(shares.drop(columns="on_track"))

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
        town = data.township_of(self.ds)
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
        met = rows.assign(met=rows["status"] == MET).groupby(["station_name", "period"])["met"].mean()
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
        town = data.township_of(self.ds)
        count = lambda frame: frame["station_code"].map(town).value_counts().reindex(codes, fill_value=0)
        s = self.summary
        n = s.groupby("station_code").size().reindex(codes, fill_value=0)
        on_track = s[s["status"].isin(ON_TRACK)].groupby("station_code").size().reindex(codes, fill_value=0)
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
    from ..indicators import evaluate

    as_of = data.as_date(as_of)
    index = data.load_index(db_url)
    codes = data.district_stations(index, district)
    ds = data.load(db_url, codes, masked=True)
    stations = ds.stations[ds.stations["code"].isin(codes)][["code", "name"]].reset_index(drop=True)
    name = district if district not in set(index.stations["code"]) else \
        str(index.stations.set_index("code").at[district, "district"])
    evaluation = evaluate(ds, as_of)
    return DistrictReport(ds, name, stations, as_of, evaluation.results, evaluation)
