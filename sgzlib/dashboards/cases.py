"""个案与小组督导看板: a station's cases and groups by stage, what needs attention, one case's timeline.

``build()`` returns the board the notebook shows; the functions above it
shape the library's tables for the panels and are tested without a browser.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as w
import pandas as pd

from ..analysis import supervision
from ..domain import caseload, lifecycle
from ..domain.dataset import Dataset
from ..indicators import Evaluation
from ..reports.tables import count_verdict
from ..store import privacy
from . import figures, ui
from .data import Source, source, station_options

# The same attention thresholds as the supervision report; whether a case or group counts is the engine's.
RULES = supervision.AttentionRules()


def of_station(frame: pd.DataFrame, station: str) -> pd.DataFrame:
    """The rows of one station of a district-wide table (in the table's order, index from 0)."""
    return frame[frame["station_code"] == station].reset_index(drop=True)


def district_tables(ds: Dataset, stations: list[str], as_of: dt.date, evaluation: Evaluation | None
                    ) -> dict[str, pd.DataFrame]:
    """What the board shows for every station in ``stations`` on ``as_of``, each table once for all of them.

    One indicator evaluation of all their projects (``evaluation``: the read model's, ``Workbench.evaluation_of``);
    the case and group overviews with the engine's verdicts
    (cases, groups), the attention lists (as ``supervision`` computes them for one station), the open action
    items and the caseload. Every table has ``station_code``: a station's rows are its own.
    """
    codes = set(ds.descendants(stations))

    def verdicts(kind):
        return supervision.work_verdicts(ds, stations, as_of, kind, evaluation)

    overview = lifecycle.case_overview(ds, as_of, RULES.cases)
    groups = lifecycle.group_overview(ds, as_of, RULES.groups)
    return {
        "cases": supervision.with_verdicts(overview[overview["station_code"].isin(codes)], verdicts(supervision.CASE)),
        "groups": supervision.with_verdicts(groups[groups["station_code"].isin(codes)], verdicts(supervision.GROUP)),
        "cases_attention": supervision.cases_needing_attention(ds, stations, as_of, evaluation, RULES),
        "groups_attention": supervision.groups_at_risk(ds, stations, as_of, evaluation, RULES),
        "actions": supervision.action_items(ds, stations, as_of),
        "caseload": caseload.caseload(ds, stations, as_of, RULES.cases, RULES.groups),
    }


def kpis(cases: pd.DataFrame, groups: pd.DataFrame, attention: pd.DataFrame) -> list[tuple[str, object, bool]]:
    """The key figures of a station: cases open / closed / counting, groups running / ended, warnings.

    ``cases`` and ``groups`` carry the engine's verdict (``supervision.with_verdicts``).
    """
    open_ = cases["closed"].isna()
    uncounted = int(groups["not_counted"].sum())
    return [
        ("个案总数", len(cases), False),
        ("进行中个案", int(open_.sum()), False),
        ("已结案个案", int((~open_).sum()), False),
        ("符合计数要求的个案", int((cases["counted"] == True).sum()), False),  # noqa: E712  (None is not True)
        ("需关注个案", len(attention), bool(len(attention))),
        ("停滞个案", int(cases["stalled"].sum()), bool(cases["stalled"].any())),
        ("小组总数", len(groups), False),
        ("已结束小组", int((groups["stage"] == "已结束").sum()), False),
        ("有不被认定风险的小组", uncounted, bool(uncounted)),
    ]


CASE_ORDERS = ("按需关注程度", "按未活动天数")


def attention_tables(ds: Dataset, cases: pd.DataFrame, groups: pd.DataFrame, actions: pd.DataFrame,
                     order: str = CASE_ORDERS[0]) -> str:
    """The supervisor's attention lists as HTML: cases, groups at risk, open action items (names masked).

    ``order``: cases as the attention rules rank them, or the longest idle first (按未活动天数).
    """
    if order == CASE_ORDERS[1] and not cases.empty:
        cases = cases.sort_values("days_idle", ascending=False, na_position="last", kind="stable")
    c = pd.DataFrame({
        "个案": cases["code"], "服务对象": cases["beneficiary_name"].map(privacy.mask_name), "领域": cases["domain"],
        "阶段": cases["stage"], "需关注": cases["flags"], "未活动天数": cases["days_idle"],
        "风险": cases["risk"], "缺少的文书": cases["missing"], "是否计入": count_verdict(cases)})
    g = pd.DataFrame({"小组": groups["code"], "名称": groups["name"], "阶段": groups["stage"],
                      "有效节次": groups["counted_sessions"], "还需节次": groups["needed"], "原因": groups["why"]})
    a = pd.DataFrame({"督导日期": actions["date"], "议题": actions["topic"], "行动项": actions["action"],
                      "期限": actions["due"], "完成情况": actions["status"],
                      "逾期天数": actions["days_overdue"]})
    parts = [("需关注的个案（可能不被认定、停滞、文书缺失、高风险、开案过久）", c, "没有需要关注的个案。"),
             ("可能不被认定的小组", g, "没有可能不被认定的小组。"),
             ("未完成的督导行动项", a, "没有未完成的行动项。")]
    return "".join(f'<div class="sgz-title">{title}（{len(frame)}）</div>{ui.table(frame, empty, name=title)}'
                   for title, frame, empty in parts)


def caseload_table(ds: Dataset, station: str, as_of: dt.date, district: pd.DataFrame | None = None) -> pd.DataFrame:
    """Caseload per social worker of the station (``caseload.caseload``, the report's figures); the workers are
    named as the dashboards' audience shows them (``domain.personal``: by name, the dataset is masked already).

    ``district``: ``caseload.caseload`` of several stations on ``as_of`` already computed (the station's rows are used).
    """
    load = caseload.caseload(ds, station, as_of, RULES.cases, RULES.groups) if district is None \
        else of_station(district, station)
    return caseload.table(load)


def masked_names(ds: Dataset) -> pd.Series:
    """Every beneficiary's masked name, by code."""
    return ds.beneficiaries.set_index("code")["name"].map(privacy.mask_name)


def case_choices(ds: Dataset, cases: pd.DataFrame, names: pd.Series | None = None) -> list[tuple[str, str]]:
    """Dropdown entries ``编号 · 姓名(遮蔽) · 领域 · 阶段`` for a station's cases (``names``: ``masked_names``)."""
    names = masked_names(ds) if names is None else names
    out = []
    for _, c in cases.sort_values("code").iterrows():
        flag = "（停滞）" if c["stalled"] else ""
        out.append((f"{c['code']} · {names.get(c['beneficiary_code'], '')} · {c['domain']} · {c['stage']}{flag}",
                    c["code"]))
    return out


def case_timeline(ds: Dataset, code: str, as_of: dt.date) -> pd.DataFrame:
    """Every dated event of one case up to ``as_of``: milestones, sessions, records, tests, supervisions.

    Columns: date, kind (节点/服务/文书/测评/督导), event (short label), detail.
    """
    when = pd.Timestamp(as_of)
    case = ds.cases.set_index("code").loc[code]
    rows = []
    for column, label in (("opened", "接案"), ("assessed", "预估"), ("agreement", "签订服务协议"),
                          ("planned", "制定工作计划"), ("evaluated", "评估"), ("closed", "结案")):
        if pd.notna(case[column]):
            detail = f"结案原因：{case['close_reason']}" if column == "closed" and pd.notna(case["close_reason"]) else ""
            rows.append((case[column], "节点", label, detail))
    sessions = ds.case_sessions[ds.case_sessions["case_code"] == code]
    for _, s in sessions.iterrows():
        parts = [p for p in (s["mode"], f"{s['minutes']}分钟" if pd.notna(s["minutes"]) else None) if pd.notna(p)]
        if s["process_record"] is not True:
            parts.append("缺过程记录表")
        rows.append((s["date"], "服务", f"第{s['seq']}节", "，".join(parts)))
    records = ds.case_records[ds.case_records["case_code"] == code]
    for _, r in records.iterrows():
        rows.append((r["date"], "文书", r["kind"], "完成"))
    tests = ds.measurements[ds.measurements["case_code"] == code]
    for _, m in tests.iterrows():
        rows.append((m["date"], "测评", m["phase"], f"{m['scale']} 得分 {m['score']:g}"))
    sup = ds.supervisions
    mentioned = sup[sup["case_codes"].fillna("").str.split("、").map(lambda codes: code in codes)]
    for _, s in mentioned.iterrows():
        rows.append((s["date"], "督导", "督导", f"{s['topic'] or ''}（{s['supervisor']}）"))
    frame = pd.DataFrame(rows, columns=["date", "kind", "event", "detail"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[frame["date"] <= when].sort_values(["date", "kind"], kind="stable").reset_index(drop=True)


def case_facts(ds: Dataset, overview_row: pd.Series) -> pd.DataFrame:
    """One case's summary for the table beside its timeline (Chinese labels; the row has ``supervision.with_verdicts``)."""
    names = ds.beneficiaries.set_index("code")["name"]
    staff = ds.staff.set_index("code")["name"]
    c = overview_row
    facts = [
        ("服务对象", privacy.mask_name(names.get(c["beneficiary_code"], ""))),
        ("领域", c["domain"]),
        ("负责社工", staff.get(c["worker_code"], "") if pd.notna(c["worker_code"]) else ""),
        ("风险等级", c["risk"] if pd.notna(c["risk"]) else "未评"),
        ("当前阶段", c["stage"]),
        ("服务节数", f"{c['sessions']}" + (f"（计入 {int(c['counted_sessions'])}）"
                                           if isinstance(c["counted"], bool) else "")),
        ("最近一次活动", c["last_activity"]),
        ("未活动天数", "" if pd.isna(c["days_idle"]) else int(c["days_idle"])),
        ("缺少的文书", supervision.records_text(c["missing_records"], c["engine_missing_records"]) or "无"),
        ("是否符合计数要求", ("是" if c["counted"] else f"否：{c['count_reason']}") if isinstance(c["counted"], bool)
         else c["count_reason"]),
    ]
    return pd.DataFrame(facts, columns=["项目", "内容"])


def build(src: Source | None = None) -> w.VBox:
    """The supervisor's board for one station."""
    src = src or source()
    ds = src.ds
    names = masked_names(ds)
    board = ui.Board("个案与小组督导看板")
    stations = station_options(ds)
    towns = [code for _, code in stations]
    station = board.control("station", ui.dropdown("社工站", stations, width="360px"))
    as_of0 = src.as_of
    as_of = board.control("as_of", ui.date_picker("截至日期", as_of0))
    case = board.control("case", ui.dropdown("查看个案", [], width="520px"))
    order = board.control("order", ui.toggles("个案排序", CASE_ORDERS))

    def tables(state) -> dict:
        # On the default date every township's tables are computed once (while the kernel is preheated), so a
        # station change only selects rows; on another date only the chosen station's (a date change stays
        # as quick as before). Either way a station's rows are the same: the engine judges each project on its
        # own and every row depends only on its station.
        as_of, station = state["as_of"], state["station"]
        if as_of == as_of0 or src.has(("tables", as_of, None)):
            return src.memo(("tables", as_of, None),
                            lambda: district_tables(ds, towns, as_of, src.wb.evaluation_of(towns, as_of)))
        return src.memo(("tables", as_of, station),
                        lambda: district_tables(ds, [station], as_of, src.wb.evaluation_of([station], as_of)))

    def cases_of(state):
        return of_station(tables(state)["cases"], state["station"])

    def groups_of(state):
        return of_station(tables(state)["groups"], state["station"])

    def attention(state, what):
        return of_station(tables(state)[what], state["station"])

    def relink(state):
        urgent = attention(state, "cases_attention")["code"]
        board.set_options("case", case_choices(ds, cases_of(state), names), default=urgent.iloc[0] if len(urgent) else None)

    board.link({"station", "as_of"}, relink)
    board.panel("kpis", "", lambda s: ui.kpis(kpis(cases_of(s), groups_of(s), attention(s, "cases_attention"))),
                {"station", "as_of"})
    board.panel("pipeline", "", lambda s: figures.pipeline(cases_of(s)["stage"], groups_of(s)["stage"]),
                {"station", "as_of"}, kind="figure")
    board.panel("attention", "", lambda s: attention_tables(ds, attention(s, "cases_attention"),
                                                            attention(s, "groups_attention"), attention(s, "actions"),
                                                            s["order"]),
                {"station", "as_of", "order"})
    board.panel("caseload", f"社工个案负荷（在案个案超过 {caseload.MAX_OPEN_CASES} 个的标为个案过多）",
                lambda s: ui.table(caseload_table(ds, s["station"], s["as_of"], tables(s)["caseload"]),
                                   "本站没有驻站社工", name="社工个案负荷"), {"station", "as_of"})

    def timeline(state):
        if not state["case"]:
            return ui.message("这个社工站在所选日期还没有个案。")
        events = case_timeline(ds, state["case"], state["as_of"])
        return figures.timeline(events, f"个案 {state['case']} 时间线")

    def facts(state):
        row = cases_of(state).set_index("code")
        if not state["case"] or state["case"] not in row.index:
            return ""
        return ui.table(case_facts(ds, row.loc[state["case"]].rename(state["case"])), scroll=False)

    board.panel("timeline", "", timeline, {"case", "as_of"}, kind="figure")
    board.panel("case_facts", "", facts, {"case", "as_of"})
    board.update()
    filters = w.HBox([station, as_of, order])
    return w.VBox([ui.dated_header("个案与小组督导看板", "督导前查看一个社工站的个案和小组：各阶段数量、需关注事项、单个个案的服务经过。",
                                   as_of),
                   filters, *[p.widget for p in board.panels[:4]], case, *[p.widget for p in board.panels[4:]]])
