"""The year-end assessment of one project: score per indicator, evidence, outcomes, and the Excel score sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .. import charts
from ..dataset import Dataset, split_list
from . import data
from .tables import indicator_table, outcome_people, sort_by_status

MET = "达标"


@dataclass
class AssessmentReport:
    """One project assessed on one date (always masked: the report goes to the evaluator)."""

    ds: Dataset
    project: pd.Series
    station: pd.Series
    as_of: dt.date
    results: pd.DataFrame
    explanations: pd.DataFrame
    analysis: object  # outcomes.OutcomeAnalysis
    spending: object = None  # indicators.spending.SpendingResult of this project
    db_url: str | None = None  # where the photo index and thumbnails are (the evidence page)

    @property
    def title(self) -> str:
        return f"{self.station['name']} {self.project['year']} 年度项目评估报告"

    @property
    def subtitle(self) -> str:
        p = self.project
        tier = f"，{p['tier']}档" if pd.notna(p["tier"]) else ""
        return (f"项目 {p['code']}　指标清单 {p['catalogue']}{tier}　合同金额 {p['budget']:,.0f} 元　"
                f"项目周期 {data.fmt_date(p['start'])} 至 {data.fmt_date(p['end'])}　评估截至 {data.fmt_date(self.as_of)}")

    @property
    def summary(self) -> pd.DataFrame:
        return self.results[self.results["period"] == "全期"]

    def total(self) -> tuple[float, float]:
        """(points earned, points available) by the catalogue's scoring."""
        return float(self.summary["score"].fillna(0).sum()), float(self.summary["points"].fillna(0).sum())

    def headline(self) -> list[tuple[str, object, bool]]:
        s = self.summary
        score, points = self.total()
        met = int((s["status"] == MET).sum())
        return [("总得分", f"{round(score, 1):g} / {round(points, 1):g}", score < points), ("指标数", len(s), False),
                ("达标", met, False), ("未达标", len(s) - met, len(s) > met),
                ("待核验检查项", int((s["status"] == "待核验").sum()), bool((s["status"] == "待核验").any()))]

    def score_table(self) -> pd.DataFrame:
        """Every indicator: met or not, points and score (catalogue order)."""
        s = self.summary
        return pd.DataFrame({"序号": range(1, len(s) + 1), "领域": s["domain"], "指标": s["indicator_name"],
                             "类型": s["mandatory"].map({True: "必选", False: "自选"}), "目标": s["target"],
                             "实际": s["actual"].round(2), "单位": s["unit"], "状态": s["status"],
                             "是否达标": (s["status"] == MET).map({True: "是", False: "否"}), "分值": s["points"],
                             "得分": s["score"], "说明": s["note"]}).reset_index(drop=True)

    def evidence_summary(self) -> pd.DataFrame:
        """Per indicator: records counted, records not counted, and the reasons they did not count."""
        ex = self.explanations
        names = self.summary.set_index("indicator_id")["indicator_name"]
        if ex.empty:
            return pd.DataFrame()
        whole = ex[ex["period"].isin(["全期"])] if (ex["period"] == "全期").any() else ex
        rows = []
        for ind, g in whole.groupby("indicator_id", sort=False):
            counted = g[g["counted"].astype(bool)]
            refused = g[~g["counted"].astype(bool)]
            reasons = refused.groupby("reason", sort=False).size().sort_values(ascending=False)
            rows.append({"指标": names.get(ind, ind), "计入记录数": len(counted), "未计入记录数": len(refused),
                         "计入记录（前 10 条）": "、".join(counted["record_id"].astype(str).head(10)),
                         "未计入原因（条数）": "；".join(f"{r}（{n}）" for r, n in reasons.items())})
        return pd.DataFrame(rows)

    def refused(self, limit_per_indicator: int = 15) -> pd.DataFrame:
        """Records that did not count, with the reason (the first ``limit_per_indicator`` per indicator)."""
        ex = self.explanations
        if ex.empty:
            return pd.DataFrame()
        names = self.summary.set_index("indicator_id")["indicator_name"]
        refused = ex[~ex["counted"].astype(bool)]
        refused = refused.groupby("indicator_id", sort=False).head(limit_per_indicator)
        return pd.DataFrame({"指标": refused["indicator_id"].map(names).fillna(refused["indicator_id"]),
                             "期间": refused["period"], "台账": refused["record_table"], "记录": refused["record_id"],
                             "原因": refused["reason"]}).reset_index(drop=True)

    def outcome_summary(self) -> pd.DataFrame:
        from .. import outcomes

        s = outcomes.summary(self.ds, by=("domain", "scale", "work_type"), analysis=self.analysis)
        if s.empty:
            return pd.DataFrame()
        return pd.DataFrame({"领域": s["domain"], "量表": s["scale"], "服务方式": s["work_type"], "配对人数": s["n"],
                             "平均改善": s["mean_improvement"].round(2), "配对 t": s["t"].round(2),
                             "t 检验 p": s["p_t"].map(_p), "Wilcoxon p": s["p_w"].map(_p),
                             "效应量 d_z": s["d_z"].round(2), "可靠改善": s["improved"], "可靠恶化": s["deteriorated"],
                             "说明": s["note"]})

    def outcome_figure(self):
        pairs = self.analysis.pairs
        return charts.prepost_dumbbell(pairs, by="scale", title="各量表前测与后测平均分") if not pairs.empty else None

    def score_figure(self):
        return charts.score_bars(self.results, by="domain", title="各领域得分与满分")

    def worsened(self) -> pd.DataFrame:
        from .. import outcomes

        return outcome_people(self.ds, outcomes.worsened(self.ds, analysis=self.analysis), worsened=True)

    def optional_tasks(self) -> pd.DataFrame:
        """The optional tasks the project chose, with their indicators' status."""
        chosen = list(split_list(pd.Series([self.project["optional_tasks"]]).astype("string")))
        optional = sort_by_status(self.summary[~self.summary["mandatory"].astype(bool)])
        table = indicator_table(optional)
        if table.empty and chosen:
            return pd.DataFrame({"自选任务": chosen, "状态": "清单中无对应指标"})
        return table

    def chosen_tasks(self) -> list[str]:
        return list(split_list(pd.Series([self.project["optional_tasks"]]).astype("string")))

    def unticked(self) -> pd.DataFrame:
        """Checklist items still unticked (station building) and indicators waiting to be verified."""
        cl = self.ds.checklist
        cl = cl[(cl["station_code"] == self.station["code"]) & ~cl["done"].fillna(False).astype(bool)]
        items = pd.DataFrame({"类别": "站点建设检查项", "项目": cl["item"], "说明": "尚未完成（未勾选）"})
        pending = self.summary[self.summary["status"] == "待核验"]
        ind = pd.DataFrame({"类别": "待核验指标", "项目": pending["indicator_name"], "说明": pending["note"]})
        return pd.concat([items, ind], ignore_index=True)

    def photo_evidence(self):
        """The photo evidence page (``reports.photo_evidence``) of the project's station."""
        from .photo_evidence import build as build_photos

        return build_photos(self.db_url, self.station["code"], self.as_of, self.project["catalogue"])

    def spending_table(self) -> pd.DataFrame:
        """The catalogue's spending checks as a checklist: rule, source text, result, flagged expenses."""
        sp = self.spending
        if sp is None or sp.checks.empty:
            return pd.DataFrame()
        recs = sp.records
        listed = {c: "；".join(f"{r.record_id} {r.date:%Y-%m-%d} {r.amount:.2f} 元：{r.reason}"
                               for r in recs[recs["check_id"] == c].itertuples()) for c in sp.checks["check_id"]}
        c = sp.checks
        return pd.DataFrame({"核查": c["status"].map(lambda s: "☑" if s == "未发现问题" else "☒"), "编号": c["check_id"],
                             "核查项": c["name"], "原文": "“" + c["source_text"] + "”", "结果": c["status"],
                             "需核查笔数": c["n_flagged"], "金额(元)": c["amount_flagged"].round(2),
                             "需核查的支出": c["check_id"].map(listed)})

    def write_scoresheet(self, path) -> None:
        from .scoresheet import write_scoresheet

        write_scoresheet(self, path)


def _p(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def build(db_url: str | None, project: str, as_of=None) -> AssessmentReport:
    """Load the project's station and compute the assessment (``as_of`` defaults to the project's end)."""
    from .. import outcomes
    from ..indicators import evaluate

    row = data.project_row(data.load_index(db_url), project)
    as_of = data.as_date(as_of) if as_of not in (None, "") else pd.Timestamp(row["end"]).date()
    ds = data.load(db_url, row["station_code"], masked=True)
    evaluation = evaluate(ds, as_of, projects=[project])
    mine = evaluation.results[evaluation.results["project_code"] == project]
    explanations = evaluation.explanations[evaluation.explanations["project_code"] == project]
    return AssessmentReport(ds, row, data.station_row(ds, row["station_code"]), as_of, mine.reset_index(drop=True),
                            explanations.reset_index(drop=True), outcomes.analyse(ds, as_of),
                            evaluation.spending.only({project}), db_url)
