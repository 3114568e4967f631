"""The words users see for the engine's codes, each defined once.

Statuses and their order, period words, result and explanation columns with
their Chinese headers, and reason codes with their Chinese labels. The
engine, the CLI, the reports, every xlsx and the dashboards take them from
here; nothing else spells them out. (Ledger vocabularies — what users type in
the workbooks — live in ``vocab``.)
"""

from __future__ import annotations

import pandas as pd

# -- statuses -------------------------------------------------------------------------
MET, ON_TRACK, BEHIND, NOT_STARTED, MISSED, TO_VERIFY = "达标", "进度正常", "落后", "未开始", "未达标", "待核验"
# Most urgent first.
STATUS_ORDER = (MISSED, BEHIND, TO_VERIFY, NOT_STARTED, ON_TRACK, MET)
# Statuses that need someone's attention (the first four of the order).
NEEDS_ATTENTION = STATUS_ORDER[:4]
# The assessment's bucket for indicators whose period has not ended and are neither met nor to verify.
IN_PROGRESS = "进行中"
STATUS_HINT = {MISSED: "（期间已结束仍未达到目标）", BEHIND: "（低于按时间进度应达值）", TO_VERIFY: "（检查项尚未勾选，也未经评估方核验）"}

# -- forecast (``indicators.forecast``) ------------------------------------------------------
# The flag of an indicator that will not be met by the end of its project at the pace so far.
WILL_MISS = "按当前进度年底无法达标"
FORECAST_METHODS = {"pace": "按当前进度", "seasonal": "按当前进度并计入季节规律", "state": "按当前状态"}
FORECAST_HEADERS = {
    "project_code": "项目编码", "station_code": "站点编码", "indicator_id": "指标编号", "method": "预测方法",
    "projected": "预计期末值", "target": "目标", "unit": "单位", "missed_periods": "已未达标的期",
    "projected_missed": "预计未达标的期", "met_by": "按此进度达标日期", "needed": "每月还需",
    "needed_text": "还需", "will_miss": "预测", "note": "预测说明",
}

# -- data-quality findings (``analysis.quality``) ---------------------------------------------
DATA_QUALITY = "数据质量"
QUALITY_CHECKS = {
    "duplicate_person": "同一人在两站名单",
    "worker_two_places": "社工同日在两站",
    "late_entry": "补录",
    "peer_outlier": "与同清单站点相比异常",
    "copied_summary": "内容摘要雷同",
}
QUALITY_HEADERS = {
    "check": "问题", "station_code": "站点编码", "station_name": "站点名称", "month": "月份", "why": "说明",
    "records": "涉及记录", "n_records": "记录数", "other_station": "另一站点", "other_records": "另一站点的记录",
    "indicators": "计入的指标",
}

# -- periods ----------------------------------------------------------------------------
PERIOD_WHOLE = "全期"
# Period kind → its word (as in 周期类型), "every …" and the unit of a count of periods.
PERIOD_KIND_LABELS = {"whole": PERIOD_WHOLE, "month": "月", "quarter": "季度"}
PERIOD_EVERY = {"month": "每月", "quarter": "每季度"}
PERIOD_UNIT = {"month": "个月", "quarter": "个季度"}

# -- yes / no, mandatory / optional -------------------------------------------------------
YES_NO = {True: "是", False: "否"}
MANDATORY = {True: "必选", False: "自选"}

# -- result and explanation columns ---------------------------------------------------------
EXPECTED = "截至评估日应达"
RESULT_HEADERS = {
    "station_code": "站点编码", "station_name": "站点名称", "project_code": "项目编码", "catalogue": "指标清单",
    "tier": "档位", "indicator_id": "指标编号", "indicator_name": "指标名称", "domain": "领域", "mandatory": "必选",
    "rule": "计算规则", "period": "周期", "period_kind": "周期类型", "period_end": "周期结束日", "actual": "实际",
    "target": "目标", "expected": EXPECTED, "unit": "单位", "status": "状态", "points": "分值",
    "score": "得分", "credit_rule": "计分规则", "note": "说明",
}
EXPLAIN_HEADERS = {
    "project_code": "项目编码", "indicator_id": "指标编号", "period": "周期", "record_table": "记录所在表",
    "record_id": "记录编号", "counted": "是否计入", "reason_code": "原因类别", "reason": "原因",
}
# Spending checks (``indicators.spending``): a checklist line per project × check, and each flagged expense.
SPENDING_HEADERS = {
    "project_code": "项目编码", "check_id": "核查编号", "name": "核查项", "source_text": "原文", "status": "结果",
    "n_flagged": "需核查笔数", "amount_flagged": "需核查金额(元)", "record_id": "记录编号", "date": "日期",
    "amount": "金额(元)", "category": "类别", "item": "物品", "place": "地点", "reason": "原因",
    "basis": "依据", "decision": "评估方复核", "decided_by": "复核人", "decided_at": "复核时间", "decision_note": "复核说明",
    "n_cleared": "复核撤销笔数", "evaluator_action": "评估方怎么做", "station_action": "站点怎么做",
}

# -- reason codes -----------------------------------------------------------------------------
# Why a record, person, case or group did not count (``explanations.reason_code``).
REASON_LABELS = {
    "no_photo": "无水印照片",
    "reused_photo": "照片重复使用",
    "not_uploaded": "未上传中国社会工作网",
    "below_minimum": "金额低于每次下限",
    "other_use": "资金用途不符",
    "other_population": "不属于本任务的服务对象",
    "too_few_visits": "回访次数不足",
    "no_assessment": "无需求评估",
    "flag_not_set": "台账标记未填",
    "not_listed": "不在名单内",
    "not_certified": "未持证",
    "not_ticked": "检查项未勾选",
    "rejected": "评估核验不符合",
    "too_few_sessions": "有效节次不足",
    "records_missing": "文书不全",
    "not_finished": "尚未结案或结束",
    # photo findings once a station's photo folder is indexed (``photos.checks.FINDINGS``)
    "missing_file": "照片文件缺失",
    "ambiguous_file": "照片名对应多个文件",
    "unreadable": "照片无法读取",
    "reused_content": "照片内容重复",
    "time_mismatch": "拍摄时间不符",
    "no_capture_time": "照片无拍摄时间",
    "place_mismatch": "拍摄地点不符",
    # measurements left out of a pre/post pair (``outcomes.unpaired``)
    "no_project": "不属于任何服务",
    "no_post": "无后测",
    "no_pre": "无前测",
    "extra_pre": "多余的前测",
    "extra_post": "多余的后测",
}


def reason_label(code) -> str | None:
    """The Chinese label of a reason code (``None`` for a counted row).

    A code without a label comes back unchanged, so the output scan in the tests
    (``tests/test_vocabulary.py``) names it instead of a report failing.
    """
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return None
    return REASON_LABELS.get(code, code)


def reason_labels(codes: pd.Series) -> pd.Series:
    """``reason_label`` of every value of ``codes``."""
    return codes.map(reason_label).astype(object)

# -- why a ledger workbook was refused (the 问题类别 of the errors workbook) -----------------------------------
# By the code of the problem (``errors.Problem.code``); codes of a value that could not be read are
# "bad_<kind>" and "formula_<kind>" (``PROBLEM_KIND_LABELS``); a case whose dates contradict each other has a
# code ending in _before_… / _after_….
PROBLEM_LABELS = {
    "required": "必填项为空", "unknown_reference": "引用的编码不存在", "duplicate_key": "编码重复且内容不同",
    "ambiguous_code": "编码写法有歧义", "ambiguous_name": "名称有歧义", "missing_column": "缺少必需的列",
    "duplicate_column": "列名重复", "no_header": "找不到表头", "no_sheets": "没有台账工作表",
    "hidden_sheet": "隐藏的台账工作表", "lookalike_sheet": "工作表名写法不对", "bad_file": "文件无法读取",
    "masked_workbook": "脱敏工作簿不能导入", "masked_value": "含脱敏后的值", "out_of_range": "数值超出范围",
    "too_long": "内容过长", "nul_character": "含不可见字符", "negative_attendance": "人数为负",
    "outside_project_period": "日期不在项目期内", "before_joined": "早于纳入日期", "unit_mismatch": "单位无法换算",
    "score_out_of_range": "得分超出量表范围", "unknown_scale": "量表未登记", "unknown_station": "站点不存在",
    "out_of_scope": "超出本账号的站点范围", "read_only": "本账号只能查看", "session_order": "节次顺序不对",
    "report_before_last_session": "评估早于最后一节", "status_refused": "行动项状态不能这样改",
    "owner_elsewhere": "责任人不是本站人员", "action_without_code": "行动项缺编号", "session_mixed": "督导记录混写",
    "dates_out_of_order": "日期先后矛盾",
}
PROBLEM_KIND_LABELS = {"date": "日期无法识别", "int": "不是整数", "number": "不是数字", "money": "金额无法识别",
                       "bool": "是/否无法识别", "enum": "不在可选值中", "code": "编码写法不对", "list": "列表写法不对",
                       "text": "文字有误"}
PROBLEM_OTHER = "其他问题"


def problem_label(code) -> str:
    """The Chinese category of a problem code (``PROBLEM_OTHER`` for a code without one)."""
    code = str(code or "")
    if code in PROBLEM_LABELS:
        return PROBLEM_LABELS[code]
    if code.startswith("formula_"):
        return "公式出错或没有计算结果"
    if code.startswith("bad_"):
        return PROBLEM_KIND_LABELS.get(code[4:], "填写的值无法识别")
    if "_before_" in code or "_after_" in code:
        return "日期先后矛盾"
    return PROBLEM_OTHER


# -- the audit trail (sgz audit) ------------------------------------------------------------
AUDIT_ACTIONS = {"import": "导入", "export": "导出", "report": "报告批次", "access": "权限变更",
                 "spending_overrule": "经费核查复核", "supervision": "督导记录", "action_status": "行动项状态",
                 "verify": "评估核验", "scoring_scheme": "评分细则", "scores": "评估打分", "signoff": "签字确认",
                 "signoff_revoke": "撤销签字确认"}
AUDIT_HEADERS = {
    "at": "时间", "login": "账号", "action": "操作", "file_name": "文件", "stations": "站点", "new": "新增",
    "changed": "修改", "removed": "删除", "dry_run": "试运行", "masked": "脱敏", "sha256": "文件SHA-256",
    "detail": "说明",
}

# -- the supervision cycle (``supervision_cycle``) ---------------------------------------------
# Action item statuses (the ledger vocabulary ``action_status`` holds the same words).
ACTION_NOT_STARTED, ACTION_IN_PROGRESS, ACTION_DONE, ACTION_CANCELLED = "未开始", "进行中", "已完成", "已取消"
ACTION_OPEN = (ACTION_NOT_STARTED, ACTION_IN_PROGRESS)
# The state machine of an action item: status → the statuses a later session may record.
ACTION_TRANSITIONS = {
    ACTION_NOT_STARTED: (ACTION_NOT_STARTED, ACTION_IN_PROGRESS, ACTION_DONE, ACTION_CANCELLED),
    ACTION_IN_PROGRESS: (ACTION_IN_PROGRESS, ACTION_DONE, ACTION_CANCELLED),
    ACTION_DONE: (ACTION_DONE,),
    ACTION_CANCELLED: (ACTION_CANCELLED,),
}
ACTION_FLAG_OVERDUE = "已逾期"
ACTION_FLAG_CARRIED = "多次延续"
# Columns of the pre-filled 督导记录 workbook that the supervisor fills in (the rest is pre-filled).
SESSION_FILLED = ("form", "participants", "discussion", "decision", "action", "owner_code", "due", "status")
# What became of an action item since it was set / last reviewed.
ACTION_FATE_UNREVIEWED = "尚未复核"
# Case and group changes since the last supervision.
SINCE_CHANGES = {"opened": "新开个案", "closed": "结案", "stalled": "转为停滞", "unstalled": "恢复服务"}
# Caseload columns (per social worker, ``caseload.caseload``), in the order shown.
CASELOAD_HEADERS = {
    "worker_code": "人员编码", "worker_name": "社工", "station_code": "站点编码", "role": "岗位",
    "open_cases": "在案个案", "active_groups": "在开展小组", "sessions_month": "本月服务节次",
    "stalled_cases": "停滞个案", "overdue_records": "逾期文书", "overloaded": "个案过多",
}

# -- the evaluation workflow (``actions.verify``, ``actions.scores``, ``actions.signoff``) ------------
# An evaluator's verdict on a checklist item (stored as the code, shown as the word).
VERIFIED, REJECTED = "已核验", "不符合"
VERDICTS = {"verified": VERIFIED, "rejected": REJECTED}
# Where a checklist item stands for the evaluator: the verdict, else whether the station ticked it.
CHECK_TICKED, CHECK_PENDING = "站点已勾选", "待核验"
# A project's sign-off (签字确认): its latest event.
SIGNOFF_STATES = {"signed": "有效", "stale": "已失效", "revoked": "已撤销"}
# The figures a sign-off freezes and compares (per indicator, 全期).
SIGNOFF_FIGURES = {"actual": "实际", "target": "目标", "expected": EXPECTED, "status": "状态"}
# Column headers of the action pages (``dashboards.pages``: 督导记录, 评估核验, 评分与签字).
ACTION_HEADERS = {
    "code": "行动项编号", "date": "提出日期", "topic": "议题", "action": "行动项", "owner_name": "责任人",
    "due": "期限", "status": "完成情况", "status_date": "最近记录日期", "flags": "提示", "days_overdue": "逾期天数",
}
HISTORY_HEADERS = {"date": "日期", "session_code": "记录于", "status": "完成情况", "note": "说明"}
CHECK_HEADERS = {
    "station_name": "社工站", "project_code": "项目", "indicator_id": "指标编号", "indicator_name": "指标",
    "status": "指标状态", "item": "检查项", "state": "核验状态", "source_text": "原文", "evidence_wanted": "应有佐证",
    "ticked_on": "站点勾选日期", "station_evidence": "站点所附佐证", "verdict_date": "核验日期",
    "verdict_note": "核验说明", "verdict_by": "核验人", "evidence_name": "佐证文件",
}
SCORE_HEADERS = {
    "indicator_id": "指标编号", "indicator_name": "指标", "status": "状态", "actual": "实际", "target": "目标",
    "unit": "单位", "points": "分值", "rule": "计分规则", "system": "系统得分", "score": "评估员得分",
    "note": "评估员意见", "scored_by": "打分人",
}
DIFF_HEADERS = {"indicator_id": "指标编号", "indicator_name": "指标", "figure": "数字", "before": "签字时", "after": "导入后"}
# -- the analysis API's frames (``sgzlib.api``): the Chinese label each column carries -------------------------------
# A frame of ``Workbench`` keeps its English column names (code uses them) and carries these labels in
# ``frame.attrs["sgz_labels"]``; JupyterLab shows them as the headers (the English name on hover). Ledger tables
# carry their sheet's headers (``schema``). ``API_LABELS_OF`` holds what a column means in one kind of frame.
API_LABELS = {
    **RESULT_HEADERS, **EXPLAIN_HEADERS, **CASELOAD_HEADERS,
    "case_sessions_month": "本月个案服务节次", "group_sessions_month": "本月小组活动节次",
    "month": "月份", "month_end": "月末", "station": "站点", "rank": "排名", "indicators": "指标数",
    "good_share": "达标及进度正常占比", "good": "达标及进度正常占比",
    "beneficiary_code": "对象编码", "beneficiary_name": "服务对象", "scale": "量表", "scale_name": "量表名称",
    "work_type": "服务方式", "case_code": "个案编号", "group_code": "小组编号", "pre_date": "前测日期", "pre": "前测",
    "post_date": "后测日期", "post": "后测", "change": "后测减前测", "improvement": "改善值", "rci": "可靠变化指数",
    "rci_class": "可靠变化", "rci_note": "可靠变化说明", "n": "配对人数", "mean_improvement": "平均改善",
    "median_improvement": "改善中位数", "t": "配对 t", "p_t": "t 检验 p", "w": "符号秩检验 W", "p_w": "符号秩检验 p",
    "p_w_method": "符号秩检验方法", "d_z": "效应量 dz", "r_rb": "效应量 r", "improved": "可靠改善",
    "unchanged": "无可靠变化", "deteriorated": "可靠恶化", "rci_unavailable": "RCI 无法计算", "worse_raw": "得分变差",
    "ci_low": "95%置信区间下限", "ci_high": "95%置信区间上限", "improved_share": "可靠改善比例", "ended": "服务结束日",
    "days_since_end": "结束后天数", "reason": "原因", "worker_code": "负责社工", "stage": "阶段", "opened": "接案日期",
    "sessions": "节次", "days_idle": "无进展天数", "open_days": "开案天数", "risk": "风险", "counted": "是否计入",
    "count_reason": "不计入原因", "not_counted": "不计入", "stalled": "停滞", "missing_any": "文书缺失",
    "high_risk": "高风险", "open_too_long": "开案过久", "flags": "关注原因", "missing": "缺少的文书",
    "urgency": "紧急程度", "leader_code": "带领社工", "counted_sessions": "有效节次", "needed": "尚缺节次",
    "short_sessions": "签到不足的节次", "why": "原因", "kind": "问题", "record": "记录", "date": "日期",
    "detail": "说明", "supervisor": "督导者", "topic": "议题", "action": "行动项", "due": "期限",
    "overdue": "已逾期", "days_overdue": "逾期天数", "last_session": "上次督导提出", "owner_code": "责任人编码",
    "carried_over": "延续次数", "trail": "经过", "closed": "结案日期", "close_reason": "结案原因",
    "referral_to": "转介去向", "days_assessed": "接案到预估（天）", "days_planned": "接案到计划（天）",
    "days_first_session": "接案到首次服务（天）", "days_evaluated": "接案到评估（天）", "days_closed": "接案到结案（天）",
    "is_closed": "已结案", "days_observed": "观察天数", "median_days": "中位数（天）", "mean_days": "平均（天）",
    "group": "分组", "days": "天数", "at_risk": "仍在观察", "censored": "删失", "still_open": "仍未结案比例",
    "cases": "个案数", "share": "占比", "previous_case": "上一个案", "previous_closed": "上一个案结案日期",
    "previous_close_reason": "上一个案结案原因", "days_between": "间隔天数", "group_name": "小组名称", "seq": "节次",
    "attendance": "签到人数", "first_attendance": "首节人数", "share_of_first": "占首节比例",
    "change_from_previous": "比上节增减", "last_attendance": "末节人数", "dropoff": "流失人数",
    "dropoff_share": "流失比例", "biggest_drop_seq": "流失最多的节次", "biggest_drop": "该节减少人数",
}
API_LABELS_OF = {
    "cases": {"code": "个案编号", "sessions": "服务节次"}, "groups": {"code": "小组编号", "name": "小组名称",
                                                              "sessions": "活动节次"},
    "actions": {"code": "行动项编号", "date": "提出日期"}, "durations": {"n": "个案数"},
    "curve": {"closed": "结案数"}, "dropoff": {"sessions": "节数"},
}
