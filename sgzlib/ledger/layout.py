"""How the workbook presents the schema to a person: what each sheet is for, how to fill each column.

Headers, kinds, vocabularies and keys come from ``schema`` and ``vocab``;
this module only adds the sentences of the 说明 sheet and the display
details (widths, number formats, drop-down lists).
"""

from __future__ import annotations

import unicodedata

from ..domain import schema
from ..domain.vocab import VOCABS

# What a sheet holds and what one row is.
SHEET_HELP = {
    "stations": "站点名录：县区总站、乡镇（街道）社工站、村（社区）社工室，一行一个站点；经度、纬度（可不填）用于核对照片拍摄地点。",
    "projects": "政府购买服务项目：一行一个项目（合同），写明年度、起止日期、金额和所用指标清单。",
    "staff": "驻站人员：一行一人，写明持证等级和入职、离职日期。",
    "beneficiaries": "服务对象名册：一行一人，写明对象类别和纳入日期。",
    "assessments": "需求评估：一行一次评估（同一对象同一天只记一行）。",
    "services": "服务记录：一行一次服务或活动（需求调研、关爱帮扶、政策宣传、志愿服务活动、议事协商等）。",
    "cases": "个案：一行一个个案，按接案、预估、协议、计划、评估、结案填写各环节日期。",
    "case_records": "个案文书：一行一份文书（同一个案每种文书一行）。",
    "case_sessions": "个案服务：一行一节个案服务，节次从 1 起编号。",
    "groups": "小组：一行一个小组。",
    "group_sessions": "小组活动：一行一节小组活动，节次从 1 起编号，写明签到人数。",
    "community_orgs": "社区社会组织：一行一个培育的组织。",
    "volunteers": "志愿者：一行一人。",
    "checklist": "站点建设：一行一个检查项（制度、组织架构图、场地设备等），写明是否完成。",
    "charity_funds": "慈善资金：一行一笔链接或募集的资金。",
    "charity_aid": "慈善救助：一行一次救助发放。",
    "expenses": "经费支出：一行一笔项目经费支出（类别从下拉列表选择）；发放物品填是否有领取单据，并写合照或领取照片的文件名。",
    "measurements": "前后测：一行一次量表测评（前测、后测或跟踪）。",
    "supervisions": "督导记录：一行一次督导的一个行动项。",
    "supervision_items": "督导议程记录：由督导报告预填的本次督导议程，一行一个议程项，督导时填写讨论、决定和行动项。",
    "action_history": "行动项历史：每个行动项在每次督导中的完成情况，导入督导议程记录时自动追加。",
}

GENERAL_RULES = (
    "一个工作簿可以是一个站点的台账，也可以是整个县区的台账；不需要的工作表可以删除，删除的工作表不影响数据库中已有的该类数据。",
    "第一行是表头，列名请勿修改；表头上方可以有标题行，表头中多余的空格、换行、全角括号和单位不影响导入。",
    "表头为红色的列是必填列。编码（编号）是每一行的唯一标识：重复导入同一工作簿不会重复计数，改过的行会更新。",
    "编码列已设为文本格式，001 请照原样填写；已写成数字 1 的编码按其他工作表或数据库中唯一的 001 匹配，"
    "有两种可能（如 01 和 001）时报错。日期可写 2026-03-05、2026/3/5、2026.3.5 或 2026年3月5日。",
    "是/否列也可写 Y/N、√/×、有/无；多个编码或照片文件名用「、」分隔（也接受逗号、分号或空格）。",
    "空行和最后的合计行会被跳过。有任何错误时整个工作簿都不会写入，并列出所有错误（工作表、行号、列、原因），改正后重新导入即可。",
)

KIND_HINTS = {
    "code": "编码，按文本填写",
    "text": "文字",
    "list": "可填多个，用「、」分隔",
    "date": "日期，如 2026-03-05",
    "int": "整数",
    "money": "金额（元），可带两位小数",
    "bool": "是 / 否",
    "number": "数字（经纬度写十进制度数，如 117.7536）",
}

NUMBER_FORMATS = {"date": "yyyy-mm-dd", "code": "@", "int": "0", "money": "0.00", "number": "0.000000"}
TEXT_FORMAT = NUMBER_FORMATS["code"]
DATE_WIDTH = 12
MIN_WIDTH, MAX_WIDTH = 8, 40


def display_width(text: object) -> int:
    """Width of a text in Excel columns: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def holds_codes(column: schema.Column) -> bool:
    """Whether a column's cells are codes, written and formatted as text (a code, or a list of codes)."""
    return column.kind == "code" or (column.kind == "list" and column.ref is not None)


def number_format(column: schema.Column) -> str | None:
    """The number format of a column of the template and of exports."""
    return TEXT_FORMAT if holds_codes(column) else NUMBER_FORMATS.get(column.kind)


def column_hint(column: schema.Column) -> str:
    """How to fill a column, in Chinese: its kind, allowed values and what its codes must refer to."""
    if column.kind == "enum":
        hint = "从下拉列表选择：" + "、".join(VOCABS[column.vocab].values)
    elif column.kind == "money" and "元" not in column.header:  # 得分: a decimal number, not an amount
        hint = "数字，可带两位小数"
    else:
        hint = KIND_HINTS[column.kind]
    if column.kind in schema.NUMERIC_KINDS:
        hint += f"，{schema.range_text(column)}"
    if column.ref:
        table, col = column.ref.split(".")
        target = schema.TABLE_BY_NAME[table]
        hint += f"；须是「{target.sheet}」表中已有的{target.column(col).header}"
    return hint


def choices(column: schema.Column) -> tuple[str, ...] | None:
    """The drop-down values of a column: its vocabulary, or 是/否."""
    if column.kind == "enum":
        return VOCABS[column.vocab].values
    if column.kind == "bool":
        return ("是", "否")
    return None


def key_text(table: schema.Table) -> str:
    return " + ".join(table.column(k).header for k in table.key)
