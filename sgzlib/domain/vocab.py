"""Controlled vocabularies of the ledger contract, with the synonyms users type.

Each vocabulary maps a canonical Chinese value to the spellings that mean it.
``normalize(vocab, value)`` returns the canonical value or ``None`` when the
value is not allowed; callers turn ``None`` into a Chinese error that lists
``VOCABS[name].values``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Vocab:
    """An enumerated column: canonical values, their synonyms, and optional codes."""

    name: str
    label: str
    values: tuple[str, ...]
    synonyms: dict[str, str] = field(default_factory=dict)

    def normalize(self, value: object) -> str | None:
        """Canonical value for ``value``, or ``None`` when it is not allowed."""
        text = fold(value)
        if text in self.values:
            return text
        return self.synonyms.get(text)


def fold(value: object) -> str:
    """Fold full-width characters and strip all white space of a cell value."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


def _vocab(name: str, label: str, values: str, synonyms: dict[str, str] | None = None) -> Vocab:
    return Vocab(name, label, tuple(values.split()), synonyms or {})


LEVEL = _vocab(
    "level",
    "层级",
    "县区总站 乡镇街道站 村社区室",
    {"总站": "县区总站", "县级总站": "县区总站", "乡镇站": "乡镇街道站", "街道站": "乡镇街道站",
     "社工站": "乡镇街道站", "村室": "村社区室", "社区室": "村社区室", "服务室": "村社区室"},
)
CERTIFICATE = _vocab(
    "certificate",
    "持证等级",
    "无 助理社会工作师 社会工作师 高级社会工作师",
    {"初级": "助理社会工作师", "中级": "社会工作师", "高级": "高级社会工作师", "未持证": "无"},
)
BENEFICIARY_CATEGORY = _vocab(
    "beneficiary_category",
    "对象类别",
    "社会救助 困难老人 困境儿童 残疾人 其他",
    {"救助": "社会救助", "老人": "困难老人", "老年人": "困难老人", "儿童": "困境儿童",
     "残疾": "残疾人", "助残": "残疾人"},
)
ASSESSMENT_METHOD = _vocab("assessment_method", "评估方式", "入户 电话 其他", {"上门": "入户"})
RISK = _vocab("risk", "风险等级", "低 中 高", {"低风险": "低", "中风险": "中", "高风险": "高"})
DOMAIN = _vocab(
    "domain",
    "领域",
    "社会救助 养老服务 儿童关爱保护 扶残助残 社区社会组织 慈善资源 志愿服务 社区治理 专业人才 自选",
    {"救助": "社会救助", "养老": "养老服务", "儿童": "儿童关爱保护", "儿童关爱": "儿童关爱保护",
     "助残": "扶残助残", "残疾人": "扶残助残", "社会组织": "社区社会组织", "慈善": "慈善资源",
     "志愿": "志愿服务", "治理": "社区治理", "人才": "专业人才", "自选项目": "自选"},
)
SERVICE_CATEGORY = _vocab(
    "service_category",
    "服务类别",
    "需求调研 资源链接 关爱帮扶 跟踪回访 政策宣传 组织活动 骨干培训 志愿服务活动 居民需求调查 "
    "议事协商 社区服务 慈善项目 慈善推介 专业培训 其他",
    {"调研": "需求调研", "链接资源": "资源链接", "帮扶": "关爱帮扶", "回访": "跟踪回访",
     "宣传": "政策宣传", "培训": "专业培训", "志愿活动": "志愿服务活动", "推介": "慈善推介"},
)
CLOSE_REASON = _vocab("close_reason", "结案原因", "目标达成 转介 服务对象退出 其他", {"退出": "服务对象退出"})
CASE_RECORD_KIND = _vocab(
    "case_record_kind",
    "文书类型",
    "接案记录表 预估表 服务协议 工作计划表 评估表 结案表",
    {"接案表": "接案记录表", "个案接案记录表": "接案记录表", "服务协议书": "服务协议",
     "计划表": "工作计划表", "结案记录表": "结案表"},
)
SESSION_MODE = _vocab("session_mode", "服务方式", "面谈 入户 电话 其他", {"上门": "入户"})
ORG_TYPE = _vocab("org_type", "组织类型", "社区服务类 公益慈善类 志愿服务类 居民互助类 文体活动类")
CULTIVATION_TYPE = _vocab("cultivation_type", "培育类型", "功能服务型 兴趣爱好志愿服务型",
                          {"功能型": "功能服务型", "兴趣型": "兴趣爱好志愿服务型", "兴趣爱好型": "兴趣爱好志愿服务型"})
CHARITY_USE = _vocab("charity_use", "用途", "共募资金 专项基金 慈善项目")
PHASE = _vocab("phase", "阶段", "前测 后测 跟踪", {"跟踪测": "跟踪", "随访": "跟踪"})
SUPERVISION_FORM = _vocab("supervision_form", "形式", "个别 团体 现场")
ACTION_STATUS = _vocab("action_status", "完成情况", "未开始 进行中 已完成 已取消",
                       {"完成": "已完成", "未完成": "进行中", "待办": "未开始", "取消": "已取消"})
GENDER = _vocab("gender", "性别", "男 女")
EXPENSE_CATEGORY = _vocab(
    "expense_category",
    "经费类别",
    "活动物资 发放物品 办公耗材 宣传印刷 培训会务 交通燃油 餐饮 设备购置 米面油 其他",
    {"物资": "活动物资", "发放": "发放物品", "慰问品": "发放物品", "办公用品": "办公耗材", "印刷": "宣传印刷",
     "宣传": "宣传印刷", "培训": "培训会务", "会务": "培训会务", "燃油费": "交通燃油", "燃油": "交通燃油",
     "油费": "交通燃油", "交通": "交通燃油", "固定资产": "设备购置", "设备": "设备购置", "粮油": "米面油"},
)

VOCABS: dict[str, Vocab] = {
    v.name: v
    for v in (LEVEL, CERTIFICATE, BENEFICIARY_CATEGORY, ASSESSMENT_METHOD, RISK, DOMAIN,
              SERVICE_CATEGORY, CLOSE_REASON, CASE_RECORD_KIND, SESSION_MODE, ORG_TYPE,
              CULTIVATION_TYPE, CHARITY_USE, PHASE, SUPERVISION_FORM, ACTION_STATUS, GENDER, EXPENSE_CATEGORY)
}

TRUE_WORDS = frozenset(["是", "有", "Y", "YES", "TRUE", "T", "1", "√", "✓", "✔", "对"])
FALSE_WORDS = frozenset(["否", "无", "N", "NO", "FALSE", "F", "0", "×", "✗", "✘", "X", "没有"])


def parse_bool(value: object) -> bool | None:
    """是/否 and its variants (Y/N, √/×, 有/无, TRUE/FALSE); ``None`` if unrecognised."""
    if isinstance(value, bool):
        return value
    text = fold(value).upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


# Station levels, in tree order, with their English identifiers.
LEVEL_IDS = {"县区总站": "county", "乡镇街道站": "township", "村社区室": "village"}

# The seven records a complete case must have (seed 001), in process order.
CASE_RECORD_SET = ("接案记录表", "预估表", "服务协议", "工作计划表", "过程记录表", "评估表", "结案表")
# The four records a complete group must have (seed 001).
GROUP_RECORD_SET = ("小组服务计划书", "单元计划书", "过程记录表", "评估总结报告")

# Case stages in process order, as the case process of the sources names them (docs/counting-rules.md).
CASE_STAGES = ("接案", "预估", "计划", "介入", "评估", "结案")
REFERRAL_STAGE = "转介结案"
GROUP_STAGES = ("筹备", "开展中", "已结束")

LIST_SEPARATOR = "、"
