"""The analyses a ``Workbench`` offers besides its indicators: outcomes, attention lists, caseload, cases and groups.

A mixin of ``Workbench``: each method reads ``self.ds`` on the workbench's date (or ``as_of``) and
computes nothing itself: it calls the library (``domain.outcomes``, ``analysis.supervision``,
``domain.caseload``, ``analysis.casework``).
"""

from __future__ import annotations

import pandas as pd

from ..analysis import casework, supervision
from ..domain import caseload as caseload_mod
from ..domain import outcomes
from .labelled import labelled


class Analyses:
    """Outcome, attention, caseload, case and group analyses of a ``Workbench``."""

    # -- outcomes ---------------------------------------------------------------

    def _outcomes(self, as_of) -> outcomes.OutcomeAnalysis:
        when = self._when(as_of)
        return self._cached(("outcomes", when), lambda: outcomes.analyse(self.ds, when))

    def outcome_analysis(self, as_of=None) -> outcomes.OutcomeAnalysis:
        """The paired 前测 → 后测 analysis on the date (``outcomes.analyse``), computed once."""
        return self._outcomes(as_of)

    def worsened_pairs(self, as_of=None) -> pd.DataFrame:
        """``outcomes.worsened`` on the date, without names (for the attention lists)."""
        return outcomes.worsened(self.ds, analysis=self._outcomes(as_of))

    def missing_post_pairs(self, as_of=None) -> pd.DataFrame:
        """``outcomes.missing_post`` on the date, without names (for the attention lists)."""
        when = self._when(as_of)
        return outcomes.missing_post(self.ds, when, analysis=self._outcomes(when))

    @labelled()
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

    @labelled()
    def outcome_summary(self, by=outcomes.BY, as_of=None) -> pd.DataFrame:
        """Per group of pairs: n, mean/median improvement, tests, effect sizes, RCI counts (``outcomes.summary``).

        >>> import sgzlib as sgz
        >>> s = sgz.demo_workbench().outcome_summary(by=("domain",))
        >>> s.columns.tolist()[:3]
        ['domain', 'n', 'mean_improvement']
        """
        return outcomes.summary(self.ds, by=by, analysis=self._outcomes(as_of))

    @labelled()
    def outcome_change(self, by=("scale_name", "domain"), as_of=None) -> pd.DataFrame:
        """Mean improvement per scale and domain with a 95% confidence interval, and reliable change counts.

        Columns: the ``by`` columns, n, mean_improvement, ci_low, ci_high, improved, unchanged, deteriorated,
        rci_unavailable, worse_raw, improved_share (see ``casework.outcome_change``).

        >>> import sgzlib as sgz
        >>> c = sgz.demo_workbench().outcome_change()
        >>> bool((c["ci_low"] <= c["mean_improvement"]).all() and (c["mean_improvement"] <= c["ci_high"]).all())
        True
        """
        return casework.outcome_change(self._outcomes(as_of).pairs, by=by)

    @labelled()
    def worsened(self, as_of=None) -> pd.DataFrame:
        """Pairs whose score got worse, reliable deteriorations first (``outcomes.worsened``), names masked.

        >>> import sgzlib as sgz
        >>> w = sgz.demo_workbench().worsened()
        >>> bool((w["improvement"] < 0).all())
        True
        """
        return self._with_names(outcomes.worsened(self.ds, analysis=self._outcomes(as_of)))

    @labelled()
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

    @labelled("cases")
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

    @labelled("groups")
    def groups_at_risk(self, as_of=None) -> pd.DataFrame:
        """Groups at risk of not counting, and why (``supervision.groups_at_risk``).

        >>> import sgzlib as sgz
        >>> g = sgz.demo_workbench().station("YL01").groups_at_risk()
        >>> {"code", "why"} <= set(g.columns)
        True
        """
        return supervision.groups_at_risk(self.ds, self._codes(), self._when(as_of))

    @labelled()
    def evidence_problems(self, as_of=None) -> pd.DataFrame:
        """Services without a watermark photo or with a reused one, sessions without a sign-in sheet.

        Columns: kind, station_code, record, date, domain, detail (``supervision.evidence_problems``).

        >>> import sgzlib as sgz
        >>> e = sgz.demo_workbench().station("YL02").evidence_problems()
        >>> "照片重复使用" in set(e["kind"])
        True
        """
        return supervision.evidence_problems(self.ds, self._codes(), self._when(as_of))

    @labelled("actions")
    def action_items(self, as_of=None) -> pd.DataFrame:
        """Supervision action items not yet done, overdue first (``supervision.action_items``).

        >>> import sgzlib as sgz
        >>> a = sgz.demo_workbench().station("YL01").action_items()
        >>> bool(a["overdue"].any())
        True
        """
        return supervision.action_items(self.ds, self._codes(), self._when(as_of))

    @labelled()
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

    @labelled("cases")
    def case_timeline(self, as_of=None) -> pd.DataFrame:
        """Per case: days from intake to each stage, and whether it is closed (``casework.case_timeline``).

        >>> import sgzlib as sgz
        >>> t = sgz.demo_workbench().station("YL01").case_timeline()
        >>> bool((t["days_closed"].dropna() >= 0).all())
        True
        """
        when = self._when(as_of)
        return self._cached(("timeline", when), lambda: casework.case_timeline(self.ds, when))

    @labelled("durations")
    def stage_durations(self, by="domain", as_of=None) -> pd.DataFrame:
        """Median and mean days from intake to each stage, per ``by`` (domain, worker_code, station_code).

        Columns: the ``by`` columns, stage, n, median_days, mean_days.

        >>> import sgzlib as sgz
        >>> d = sgz.demo_workbench().stage_durations()
        >>> d["stage"].unique().tolist()
        ['预估', '计划', '介入', '评估', '结案']
        """
        return casework.stage_durations(self.case_timeline(as_of), by)

    @labelled("curve")
    def still_open_curve(self, by: str | None = "domain", as_of=None) -> pd.DataFrame:
        """Kaplan–Meier share of cases still open after N days (open cases censored on ``as_of``).

        Columns: group, days, at_risk, closed, censored, still_open.

        >>> import sgzlib as sgz
        >>> k = sgz.demo_workbench().still_open_curve(by=None)
        >>> k["still_open"].iloc[0], bool(k["still_open"].is_monotonic_decreasing)
        (np.float64(1.0), True)
        """
        return casework.still_open_curve(self.case_timeline(as_of), by)

    def median_open_days(self, by: str | None = "domain", as_of=None) -> pd.Series:
        """Per group of ``still_open_curve``: the day by which half the cases were closed (Kaplan–Meier median).

        >>> import sgzlib as sgz
        >>> m = sgz.demo_workbench().median_open_days(by=None)
        >>> m.index.tolist(), bool(m.iloc[0] > 0)
        (['全部'], True)
        """
        return casework.median_open_days(self.still_open_curve(by, as_of))

    @labelled()
    def closure_reasons(self, by: str = "domain", as_of=None) -> pd.DataFrame:
        """Closed cases per ``by`` value and close reason, with shares.

        >>> import sgzlib as sgz
        >>> r = sgz.demo_workbench().closure_reasons()
        >>> sorted(r["close_reason"].unique())
        ['目标达成', '转介']
        """
        return casework.closure_reasons(self.case_timeline(as_of), by)

    @labelled("cases")
    def referrals(self, as_of=None) -> pd.DataFrame:
        """Cases closed by referral, with where to.

        >>> import sgzlib as sgz
        >>> bool(sgz.demo_workbench().referrals()["referral_to"].notna().all())
        True
        """
        return casework.referrals(self.case_timeline(as_of))

    @labelled("cases")
    def reopened_cases(self, as_of=None) -> pd.DataFrame:
        """Cases opened again for a beneficiary after an earlier case in the same domain was closed.

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().reopened_cases().columns.tolist()[-3:]
        ['previous_closed', 'previous_close_reason', 'days_between']
        """
        return casework.reopened_cases(self.ds, self._when(as_of))

    @labelled()
    def group_attendance(self, as_of=None) -> pd.DataFrame:
        """Attendance per group session, with its share of the first session's.

        >>> import sgzlib as sgz
        >>> a = sgz.demo_workbench().station("YL01").group_attendance()
        >>> bool((a.groupby("group_code")["share_of_first"].first() == 1).all())
        True
        """
        when = self._when(as_of)
        return self._cached(("attendance", when), lambda: casework.group_attendance(self.ds, when))

    @labelled("dropoff")
    def group_dropoff(self, as_of=None) -> pd.DataFrame:
        """Per group: first and last attendance, the drop, and the session that lost most (largest drop first).

        >>> import sgzlib as sgz
        >>> sgz.demo_workbench().station("YL03").group_dropoff()["group_code"].iloc[0]
        'YL03-G04'
        """
        return casework.group_dropoff(self.group_attendance(as_of))
