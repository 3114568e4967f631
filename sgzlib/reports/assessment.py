"""The year-end assessment of one project: status per indicator, evidence, outcomes, and the Excel score sheet.

Without a scoring scheme the assessment reports met / not met / to verify
counts and per-domain completion, never a points total (``docs/counting-rules.md``, rule 12);
with the evaluator's scheme (``sgzlib.indicators.scoring``) it adds points, scores and
the total, with the scheme's rule printed next to the total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..charts import plots as charts
from ..domain import figures, outcomes
from ..domain.dataset import Dataset, split_list
from ..domain.labels import IN_PROGRESS, MANDATORY, MET, MISSED, PERIOD_WHOLE, RESULT_HEADERS, TO_VERIFY
from ..domain.scales import load_scales
from ..indicators import scoring
from ..indicators.spending import OK as SPENDING_OK
from ..indicators.spending import decision_text
from ..store import evaluation_records, storage
from ..workbench import open_index, open_workbench
from . import data
from .photo_evidence import build as build_photos
from .scoresheet import EVALUATOR_COLUMNS, write_scoresheet
from .tables import indicator_table, outcome_people, sort_by_status

EVALUATOR_SCORE, EVALUATOR_NOTE = EVALUATOR_COLUMNS


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
    scheme: object = None  # scoring.Scheme, or None: no points anywhere
    spending: object = None  # indicators.spending.SpendingResult of this project
    db_url: str | None = None  # where the photo index and thumbnails are (the evidence page)
    entered: pd.DataFrame | None = None  # scores the evaluator entered under the stored scheme (``actions.scores``)

    @property
    def title(self) -> str:
        return f"{self.station['name']} {self.project['year']} 年度项目评估报告"

    @property
    def subtitle(self) -> str:
        p = self.project
        tier = f"，{p['tier']}档" if pd.notna(p["tier"]) else ""
        return (f"项目 {p['code']}　指标清单 {data.catalogue_title(p['catalogue'])}{tier}　合同金额 {p['budget']:,.0f} 元　"
                f"项目周期 {data.fmt_date(p['start'])} 至 {data.fmt_date(p['end'])}　评估截至 {data.fmt_date(self.as_of)}")

    @property
    def summary(self) -> pd.DataFrame:
        return self.results[self.results["period"] == PERIOD_WHOLE]

    @property
    def scores(self) -> pd.DataFrame | None:
        """Per indicator points, credit and score under the scheme (``None`` without a scheme)."""
        if self.scheme is None or self.project["catalogue"] != self.scheme.catalogue:
            return None
        return self.scheme.score(self.summary)

    def scoring_note(self) -> str:
        """What the assessment's numbers mean: the scheme's rule, or why there is no total."""
        if self.scheme is None:
            return ("指标清单没有规定分值，本报告不计算总分：只报告每项指标达标、未达标或待核验，以及各领域的完成情况。"
                    "评估方可在工作台的「评分与签字」页上传自己的评分细则，按细则打分。")
        if self.scores is None:
            return (f"评分细则《{self.scheme.title}》只适用于指标清单「{data.catalogue_title(self.scheme.catalogue)}」，"
                    "本项目不计分。")
        return self.scheme.describe() + "。"

    def total(self) -> tuple[float, float] | None:
        """(score, maximum) under the scheme; ``None`` without one."""
        scores = self.scores
        return None if scores is None else self.scheme.total(scores)

    def status_counts(self) -> dict[str, int]:
        """Indicators per outcome: 达标, 未达标, 待核验, and 进行中 (any other status before the period ends)."""
        status = self.summary["status"]
        met, missed, pending = int((status == MET).sum()), int((status == MISSED).sum()), int((status == TO_VERIFY).sum())
        return {MET: met, MISSED: missed, TO_VERIFY: pending, IN_PROGRESS: len(status) - met - missed - pending}

    def headline(self) -> list[tuple[str, object, bool]]:
        """Cards that add up: 指标数 = 达标 + 未达标 + 待核验 (+ 进行中 when the period has not ended)."""
        counts = self.status_counts()
        cards = [("指标数", len(self.summary), False), (MET, counts[MET], False),
                 (MISSED, counts[MISSED], counts[MISSED] > 0), (TO_VERIFY, counts[TO_VERIFY], counts[TO_VERIFY] > 0)]
        if counts["进行中"]:
            cards.append(("进行中（周期未结束）", counts["进行中"], False))
        total = self.total()
        if total is not None:
            cards.insert(0, ("得分（按评分细则）", f"{round(total[0], 1):g} / {round(total[1], 1):g}", total[0] < total[1]))
        return cards

    def domain_table(self) -> pd.DataFrame:
        """Per domain: indicators, 达标 / 未达标 / 待核验 / 进行中 counts and the share met."""
        s = self.summary
        status = s["status"].where(s["status"].isin([MET, MISSED, TO_VERIFY]), IN_PROGRESS)
        counts = pd.crosstab(s["domain"], status).reindex(columns=[MET, MISSED, TO_VERIFY, IN_PROGRESS], fill_value=0)
        counts = counts.reindex(list(dict.fromkeys(s["domain"])))
        out = counts.reset_index().rename(columns={"domain": "领域"})
        out.insert(1, "指标数", counts.sum(axis=1).to_numpy())
        out["达标占比"] = (100 * out[MET] / out["指标数"]).round(1).map(lambda v: f"{v:g}%")
        return out

    def score_table(self) -> pd.DataFrame:
        """Every indicator: met or not (catalogue order); with a scheme also points, score and credit rule."""
        s = self.summary
        shown = figures.result_figures(s)
        out = pd.DataFrame({"序号": range(1, len(s) + 1), RESULT_HEADERS["indicator_id"]: s["indicator_id"].to_numpy(),
                            "领域": s["domain"].to_numpy(), "指标": s["indicator_name"].to_numpy(),
                            "类型": s["mandatory"].map(MANDATORY).to_numpy(),
                            "目标": shown["target"].to_numpy(), "实际": shown["actual"].to_numpy(),
                            "单位": s["unit"].to_numpy(), "状态": s["status"].to_numpy(),
                            "说明": s["note"].to_numpy()})
        scores = self.scores
        if scores is not None:
            by_id = scores.set_index("indicator_id")
            ids = s["indicator_id"]
            out.insert(out.columns.get_loc("说明"), "分值", ids.map(by_id["points"]).to_numpy())
            out.insert(out.columns.get_loc("说明"), "得分", ids.map(by_id["score"]).round(2).to_numpy())
            out.insert(out.columns.get_loc("说明"), "计分规则", ids.map(by_id["rule"]).fillna("细则未列，不计分").to_numpy())
        if self.entered is not None and len(self.entered):
            given = self.entered.set_index("indicator_id")
            ids = s["indicator_id"]
            at = out.columns.get_loc("得分") + 1 if "得分" in out else out.columns.get_loc("说明")
            out.insert(at, EVALUATOR_SCORE, ids.map(given["score"]).to_numpy())
            out.insert(at + 1, EVALUATOR_NOTE, ids.map(given["note"]).to_numpy())
        return out

    def evidence_summary(self) -> pd.DataFrame:
        """Per indicator: records counted, records not counted, and the reasons they did not count."""
        ex = self.explanations
        names = self.summary.set_index("indicator_id")["indicator_name"]
        if ex.empty:
            return pd.DataFrame()
        whole = ex[ex["period"] == PERIOD_WHOLE] if (ex["period"] == PERIOD_WHOLE).any() else ex
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
                             RESULT_HEADERS["period"]: refused["period"], "台账": refused["record_table"], "记录": refused["record_id"],
                             "原因": refused["reason"]}).reset_index(drop=True)

    def outcome_summary(self, numeric: bool = False) -> pd.DataFrame:
        """Outcome statistics per domain, scale and work type (p-values as text, or as numbers for Excel)."""
        s = outcomes.summary(self.ds, by=("domain", "scale", "work_type"), analysis=self.analysis)
        if s.empty:
            return pd.DataFrame()
        s = outcomes.rci_cells(s)
        return pd.DataFrame({"领域": s["domain"], "量表": s["scale"], "服务方式": s["work_type"], "配对人数": s["n"],
                             "平均改善": s["mean_improvement"].round(2), "配对 t": s["t"].round(2),
                             "t 检验 p": s["p_t"] if numeric else s["p_t"].map(_p),
                             "Wilcoxon p": s["p_w"] if numeric else s["p_w"].map(_p),
                             "效应量 dz": s["d_z"].round(2), "可靠改善": s["improved"], "可靠恶化": s["deteriorated"],
                             "说明": s["note"]})

    def outcome_figure(self):
        pairs = self.analysis.pairs
        if pairs.empty:
            return None
        registry = load_scales()
        lower = {s for s in pairs["scale"].unique() if (sc := registry.resolve(s)) is not None and not sc.higher_is_better}
        return charts.prepost_dumbbell(pairs, by="scale", title="各量表前测与后测平均分（原始分）", lower_better=lower)

    def score_figure(self):
        """Per domain: indicators by outcome (always); points earned against available under a scheme."""
        return charts.domain_outcome_bars(self.summary, title="各领域指标达标情况")

    def points_figure(self):
        scores = self.scores
        if scores is None or scores.empty:
            return None
        by_domain = scores.assign(domain=scores["indicator_id"].map(self.summary.set_index("indicator_id")["domain"]))
        return charts.score_bars(by_domain, by="domain", title="各领域得分与满分（按评分细则）")

    def worsened(self) -> pd.DataFrame:
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
        """Checklist items that do not count (neither ticked nor verified, or found 不符合 by the evaluator: the
        checklist rule's reasons) and indicators waiting to be verified."""
        checklist = set(self.summary.loc[self.summary["rule"] == "checklist", "indicator_id"])
        ex = self.explanations
        cl = ex[ex["indicator_id"].isin(checklist) & ~ex["counted"].astype(bool)]
        items = pd.DataFrame({"类别": "站点建设检查项", "项目": cl["record_id"], "说明": cl["reason"]})
        pending = self.summary[self.summary["status"] == TO_VERIFY]
        ind = pd.DataFrame({"类别": f"{TO_VERIFY}指标", "项目": pending["indicator_name"], "说明": pending["note"]})
        return pd.concat([items, ind], ignore_index=True)

    @property
    def no_records(self) -> str:
        """The notice shown when the project's station has no records yet ("" once it has)."""
        return data.no_records_note(self.ds, "本项目所在站点")

    def photo_evidence(self):
        """The photo evidence page (``reports.photo_evidence``) of the project's station."""
        return build_photos(self.db_url, self.station["code"], self.as_of, self.project["catalogue"])

    def spending_table(self) -> pd.DataFrame:
        """The catalogue's spending checks as a checklist: rule, source text, result, flagged expenses (each with
        the word or reading that decided it and any evaluator's decision), and what the evaluator and the
        station do about a flag."""
        sp = self.spending
        if sp is None or sp.checks.empty:
            return pd.DataFrame()
        recs = sp.records
        listed = {c: "；".join(f"{r.record_id} {r.date:%Y-%m-%d} {r.amount:.2f} 元：{r.reason}" + decision_text(r)
                               for r in recs[recs["check_id"] == c].itertuples()) for c in sp.checks["check_id"]}
        c = sp.checks
        return pd.DataFrame({"核查": c["status"].map(lambda s: "☑" if s == SPENDING_OK else "☒"), "编号": c["check_id"],
                             "核查项": c["name"], "原文": "“" + c["source_text"] + "”", "结果": c["status"],
                             "需核查笔数": c["n_flagged"], "金额(元)": c["amount_flagged"].round(2),
                             "复核撤销笔数": c["n_cleared"], "需核查的支出": c["check_id"].map(listed),
                             "评估方怎么做": c["evaluator_action"], "站点怎么做": c["station_action"]})

    def write_scoresheet(self, path) -> None:
        write_scoresheet(self, path)


def _p(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def build(db_url: str | None, project: str, as_of=None, scoring_path: str | None = None) -> AssessmentReport:
    """Load the project's station and compute the assessment (``as_of`` defaults to the project's end).

    ``scoring_path``: the evaluator's scoring file; without it no points are given.
    """
    scheme = scoring.load_scheme(scoring_path) if scoring_path else None
    row = open_index(db_url).project_row(project)
    entered = None
    if scheme is None:  # the scheme the evaluator uploaded for the project, and the scores they entered under it
        scheme, entered = _stored(db_url, row)
    as_of = data.as_date(as_of) if as_of not in (None, "") else pd.Timestamp(row["end"]).date()
    wb = open_workbench(db_url, stations=row["station_code"], masked=True, as_of=as_of, output="assessment")
    evaluation = wb.evaluation(projects=[project])
    mine = evaluation.results[evaluation.results["project_code"] == project]
    explanations = evaluation.explanations[evaluation.explanations["project_code"] == project]
    return AssessmentReport(wb.ds, row, wb.station_row(row["station_code"]), as_of, mine.reset_index(drop=True),
                            explanations.reset_index(drop=True), wb.outcome_analysis(), scheme,
                            evaluation.spending.only({project}), db_url, entered)


def _stored(db_url: str | None, project: pd.Series):
    """(scheme, entered scores) stored for the project (``store.evaluation_records``), or (None, None)."""
    engine = storage.connect(db_url)
    try:
        stored = evaluation_records.stored_scheme(engine, project)
        if stored is None:
            return None, None
        return stored.scheme, evaluation_records.scores(engine, [project["code"]], stored.id)
    finally:
        engine.dispose()
