"""The tables of the workbench, declared once as data.

Every entity of the ledger contract (``docs/ledger.md``) is a table here: its
English name (used in code, DataFrames and the database), its Chinese sheet
name, its columns with the Chinese header, kind, whether it is required, and
the natural key that makes re-import idempotent. Storage, the importer, the
template, the exporter and the DataFrame dtypes are all derived from this.

Column kinds:

``code``  a natural key or reference, kept as text (``001`` stays ``001``)
``text``  free text
``enum``  one value of the vocabulary named by ``vocab``
``list``  several values joined by ``、`` (beneficiary codes, photo files)
``date``  a calendar date
``int`` / ``money``  whole numbers / amounts in yuan
``number``  a decimal number kept to six places (a station's longitude and latitude)
``bool``  是/否
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import Problem


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    header: str
    kind: str = "text"
    required: bool = False
    vocab: str | None = None
    ref: str | None = None  # "table.column" this code refers to
    minimum: float | None = None  # smallest value that means something (counts, amounts, 节次)
    maximum: float | None = None  # largest such value (a longitude's 180, a session's 1,440 minutes)
    prose: bool = False  # free text written as sentences (内容摘要), kept as typed: see ``ledger.invisible``

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.name}")
        if (self.kind == "enum") != (self.vocab is not None):
            raise ValueError(f"column {self.name}: enum columns and only they name a vocab")
        if self.kind in NUMERIC_KINDS and self.maximum is None:
            raise ValueError(f"column {self.name}: every number column declares its maximum")
        if self.prose and self.kind != "text":
            raise ValueError(f"column {self.name}: only text columns are prose")


@dataclass(frozen=True)
class Table:
    """One table: a ledger sheet and a database table."""

    name: str
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    station_column: str | None = "station_code"
    note: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        missing = [k for k in self.key if k not in names]
        if missing or len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: bad key {missing} or duplicate columns")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


KINDS = ("code", "text", "enum", "list", "date", "int", "money", "bool", "number")
NUMERIC_KINDS = ("int", "money", "number")

PANDAS_DTYPES = {
    "code": "string",
    "text": "string",
    "enum": "string",
    "list": "string",
    "date": "datetime64[s]",
    "int": "Int64",
    "money": "Float64",
    "bool": "boolean",
    "number": "Float64",
}


def C(name: str, header: str, kind: str = "text", required: bool = False,
      vocab: str | None = None, ref: str | None = None, minimum: float | None = None,
      maximum: float | None = None, prose: bool = False) -> Column:
    """Short constructor used by the declarations below."""
    return Column(name, header, kind, required, vocab, ref, minimum, maximum, prose)


# What every database accepts alike (PostgreSQL refuses what SQLite would store): the longest text of
# each kind (codes and vocabulary words are VARCHAR columns; other text as Excel's cell limit), the
# range of whole numbers (INTEGER) and of amounts (NUMERIC(14, 2)). NUL characters are refused in all text.
# Each number column declares a narrower range of its own below (docs/ledger.md「数值的范围」): what a station's
# ledger can mean, so that a mistyped 1e20 or a amount with four zeros too many is refused at its cell.
MAX_LENGTH = {"code": 64, "enum": 32, "text": 32767, "list": 32767}
INT_RANGE = (-(2 ** 31), 2 ** 31 - 1)
MONEY_LIMIT = 10 ** 12
# Domain ranges shared by several columns.
YEARS = (2000, 2100)  # 年度 of a government-purchased service project
MONEY_MAX = 100_000_000  # 1 亿元: above any station's contract, fund or expense
PEOPLE_MAX = 100_000  # 参与人次 of one activity: a township's whole population
SEQ_MAX = 999  # 节次 and 议程序号


STATION = "stations.code"
BENEFICIARY = "beneficiaries.code"

TABLES: tuple[Table, ...] = (
    Table("stations", "社工站", (
        C("code", "站点编码", "code", True),
        C("name", "站点名称", "text", True),
        C("level", "层级", "enum", True, "level"),
        C("parent_code", "上级站点编码", "code", ref=STATION),
        C("district", "所属区县", "text", True),
        C("provider", "承接机构"),
        C("supervisors", "督导者"),  # who supervises the station: names separated by 、 (the supervisors' digests)
        C("longitude", "经度", "number", minimum=-180, maximum=180),
        C("latitude", "纬度", "number", minimum=-90, maximum=90),
    ), key=("code",), station_column="code"),
    Table("projects", "项目", (
        C("code", "项目编码", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("year", "年度", "int", True, minimum=YEARS[0], maximum=YEARS[1]),
        C("start", "开始日期", "date", True),
        C("end", "结束日期", "date", True),
        C("budget", "合同金额(元)", "money", True, minimum=0, maximum=MONEY_MAX),
        C("catalogue", "指标清单", "text", True),
        C("tier", "档位"),
        C("optional_tasks", "自选任务", "list"),
    ), key=("code",)),
    Table("staff", "驻站人员", (
        C("code", "人员编码", "code", True),
        C("name", "姓名", "text", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("role", "岗位"),
        C("certificate", "持证等级", "enum", True, "certificate"),
        C("joined", "入职日期", "date"),
        C("left", "离职日期", "date"),
    ), key=("code",)),
    Table("beneficiaries", "服务对象", (
        C("code", "对象编码", "code", True),
        C("name", "姓名", "text", True),
        C("gender", "性别", "enum", vocab="gender"),
        C("birth_date", "出生日期", "date"),
        C("phone", "联系电话", "code"),
        C("id_number", "身份证号", "code"),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("category", "对象类别", "enum", True, "beneficiary_category"),
        C("subcategory", "对象子类"),
        C("joined", "纳入日期", "date", True),
        C("left", "退出日期", "date"),
        C("follow_up", "跟踪回访", "bool"),
    ), key=("code",)),
    Table("assessments", "需求评估", (
        C("beneficiary_code", "对象编码", "code", True, ref=BENEFICIARY),
        C("date", "评估日期", "date", True),
        C("method", "评估方式", "enum", True, "assessment_method"),
        C("assessor", "评估人"),
        C("needs", "主要需求", prose=True),
        C("risk", "风险等级", "enum", vocab="risk"),
    ), key=("beneficiary_code", "date"), station_column=None),
    Table("services", "服务记录", (
        C("code", "记录编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "服务日期", "date", True),
        C("domain", "领域", "enum", True, "domain"),
        C("category", "服务类别", "enum", True, "service_category"),
        C("beneficiary_codes", "服务对象编码", "list", ref=BENEFICIARY),
        C("attendance", "参与人次", "int", minimum=0, maximum=PEOPLE_MAX),
        C("place", "地点"),
        C("summary", "内容摘要", prose=True),
        C("photos", "水印照片", "list"),
        C("uploaded", "已上传中国社会工作网", "bool"),
    ), key=("code",)),
    Table("cases", "个案", (
        C("code", "个案编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("beneficiary_code", "对象编码", "code", True, ref=BENEFICIARY),
        C("domain", "领域", "enum", True, "domain"),
        C("worker_code", "负责社工编码", "code", ref="staff.code"),
        C("opened", "接案日期", "date", True),
        C("assessed", "预估日期", "date"),
        C("agreement", "服务协议日期", "date"),
        C("planned", "工作计划日期", "date"),
        C("evaluated", "评估日期", "date"),
        C("closed", "结案日期", "date"),
        C("close_reason", "结案原因", "enum", vocab="close_reason"),
        C("referral_to", "转介去向"),
        C("risk", "风险等级", "enum", vocab="risk"),
        C("exemplary", "成功案例", "bool"),
    ), key=("code",)),
    Table("case_records", "个案文书", (
        C("case_code", "个案编号", "code", True, ref="cases.code"),
        C("kind", "文书类型", "enum", True, "case_record_kind"),
        C("date", "完成日期", "date", True),
    ), key=("case_code", "kind"), station_column=None),
    Table("case_sessions", "个案服务", (
        C("case_code", "个案编号", "code", True, ref="cases.code"),
        C("seq", "节次", "int", True, minimum=1, maximum=SEQ_MAX),
        C("date", "服务日期", "date", True),
        C("mode", "服务方式", "enum", vocab="session_mode"),
        C("minutes", "时长(分钟)", "int", minimum=0, maximum=24 * 60),
        C("process_record", "过程记录表", "bool"),
        C("photos", "水印照片", "list"),
    ), key=("case_code", "seq"), station_column=None),
    Table("groups", "小组", (
        C("code", "小组编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("domain", "领域", "enum", True, "domain"),
        C("name", "小组名称", "text", True),
        C("kind", "小组类型"),
        C("leader_code", "带领社工编码", "code", ref="staff.code"),
        C("plan_date", "计划书日期", "date"),
        C("report_date", "评估总结报告日期", "date"),
        C("exemplary", "成功案例", "bool"),
    ), key=("code",)),
    Table("group_sessions", "小组活动", (
        C("group_code", "小组编号", "code", True, ref="groups.code"),
        C("seq", "节次", "int", True, minimum=1, maximum=SEQ_MAX),
        C("date", "活动日期", "date", True),
        C("attendance", "签到人数", "int", True, maximum=1000),  # a negative count: lifecycle.group_problems
        C("unit_plan", "单元计划书", "bool"),
        C("process_record", "过程记录表", "bool"),
        C("sign_in", "签到表", "bool"),
        C("photos", "水印照片", "list"),
    ), key=("group_code", "seq"), station_column=None),
    Table("community_orgs", "社区社会组织", (
        C("code", "组织编码", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("name", "组织名称", "text", True),
        C("org_type", "组织类型", "enum", vocab="org_type"),
        C("cultivation_type", "培育类型", "enum", vocab="cultivation_type"),
        C("reformed_community", "涉改社区", "bool"),
        C("started", "培育开始日期", "date", True),
        C("has_rules", "制度文件", "bool"),
        C("core_members", "骨干人数", "int", minimum=0, maximum=1000),
        C("registered", "登记注册日期", "date"),
    ), key=("code",)),
    Table("volunteers", "志愿者", (
        C("code", "志愿者编码", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("name", "姓名", "text", True),
        C("phone", "联系电话", "code"),
        C("registered_on", "登记日期", "date", True),
        C("national_system", "已在全国志愿服务信息系统注册", "bool"),
    ), key=("code",)),
    Table("checklist", "站点建设", (
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("item", "检查项", "text", True),
        C("done", "完成", "bool", True),
        C("done_date", "完成日期", "date"),
        C("evidence", "佐证", prose=True),
    ), key=("station_code", "item")),
    Table("charity_funds", "慈善资金", (
        C("code", "记录编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "日期", "date", True),
        C("amount", "金额(元)", "money", True, minimum=0, maximum=MONEY_MAX),
        C("source", "来源/合作慈善组织"),
        C("use", "用途", "enum", vocab="charity_use"),
    ), key=("code",)),
    Table("charity_aid", "慈善救助", (
        C("code", "记录编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "日期", "date", True),
        C("beneficiary_code", "对象编码", "code", ref=BENEFICIARY),
        C("amount", "金额(元)", "money", True, minimum=0, maximum=MONEY_MAX),
        C("content", "内容", prose=True),
    ), key=("code",)),
    Table("expenses", "经费支出", (
        C("code", "记录编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "日期", "date", True),
        C("amount", "金额(元)", "money", True, minimum=0, maximum=MONEY_MAX),
        C("category", "类别", "enum", True, "expense_category"),
        C("item", "物品"),
        C("place", "地点"),
        C("receipt", "领取单据", "bool"),
        C("photos", "水印照片", "list"),
    ), key=("code",), note="一行一笔项目经费支出；发放物品须有领取单据，小型物品须有合照或领取照片。"),
    Table("measurements", "前后测", (
        C("beneficiary_code", "对象编码", "code", True, ref=BENEFICIARY),
        C("scale", "量表", "text", True),
        C("phase", "阶段", "enum", True, "phase"),
        C("date", "测评日期", "date", True),
        C("score", "得分", "money", True, minimum=-10_000, maximum=10_000),
        C("case_code", "个案编号", "code", ref="cases.code"),
        C("group_code", "小组编号", "code", ref="groups.code"),
    ), key=("beneficiary_code", "scale", "phase", "date"), station_column=None),
    Table("supervisions", "督导记录", (
        C("code", "记录编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "督导日期", "date", True),
        C("supervisor", "督导者", "text", True),
        C("form", "形式", "enum", vocab="supervision_form"),
        C("topic", "议题", prose=True),
        C("case_codes", "讨论个案编号", "list", ref="cases.code"),
        C("action", "行动项", prose=True),
        C("action_due", "行动项期限", "date"),
        C("action_status", "完成情况", "enum", vocab="action_status"),
    ), key=("code",), note="一行一次督导；一次督导有多个行动项时，每个行动项各占一行、各有记录编号。"),
    # The supervision cycle (``supervision_cycle``): the pre-filled 督导记录 workbook of one session comes
    # back as one row per agenda item; each action item's status at each session is kept in the history.
    Table("supervision_items", "督导议程记录", (
        C("session_code", "督导编号", "code", True),
        C("item_no", "议程序号", "int", True, minimum=1, maximum=SEQ_MAX),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "督导日期", "date", True),
        C("supervisor", "督导者", "text", True),
        C("form", "形式", "enum", vocab="supervision_form"),
        C("participants", "参加人员"),
        C("level", "优先级"),
        C("topic", "议题", prose=True),
        C("item", "议程内容", prose=True),
        C("why", "原因", prose=True),
        C("records", "涉及记录", prose=True),
        C("discussion", "讨论情况", prose=True),
        C("decision", "决定", prose=True),
        C("action_code", "行动项编号", "code"),
        C("action", "行动项", prose=True),
        C("owner_code", "责任人编码", "code", ref="staff.code"),
        C("due", "期限", "date"),
        C("status", "完成情况", "enum", vocab="action_status"),
    ), key=("session_code", "item_no"),
        note="一行一个议程项；行动项编号相同的行是同一行动项在不同督导中的记录（沿用上次的编号即为延续）。"),
    Table("action_history", "行动项历史", (
        C("action_code", "行动项编号", "code", True),
        C("session_code", "督导编号", "code", True),
        C("station_code", "站点编码", "code", True, ref=STATION),
        C("date", "记录日期", "date", True),
        C("item_no", "议程序号", "int", minimum=1, maximum=SEQ_MAX),
        C("status", "完成情况", "enum", True, "action_status"),
        C("note", "说明"),
    ), key=("action_code", "session_code"),
        note="由「督导议程记录」导入时自动追加：每个行动项每次督导记录一行，只增不改；两次督导之间在网页上改的状态"
             "也追加一行（督导编号以 -U 日期 结尾），附说明。"),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_BY_SHEET: dict[str, Table] = {t.sheet: t for t in TABLES}

# How a table without a station column reaches its station: (parent table, local column).
STATION_VIA: dict[str, tuple[str, str]] = {
    "assessments": ("beneficiaries", "beneficiary_code"),
    "measurements": ("beneficiaries", "beneficiary_code"),
    "case_records": ("cases", "case_code"),
    "case_sessions": ("cases", "case_code"),
    "group_sessions": ("groups", "group_code"),
}


def value_problems(table: str | Table, frame: pd.DataFrame) -> list[Problem]:
    """Values no database may hold or that mean nothing: too long, NUL characters, numbers out of range, below minimum."""
    t = TABLE_BY_NAME[table] if isinstance(table, str) else table
    out = []

    def bad(idx, c: Column, code: str, message: str, value) -> None:
        out.append(Problem(code, message, where=t.sheet, column=c.header, value=_short(value),
                           key=tuple(frame.at[idx, k] for k in t.key)))

    for c in t.columns:
        if c.name not in frame.columns:
            continue
        series = frame[c.name].dropna()
        if series.empty:
            continue
        if c.kind in MAX_LENGTH:
            text = series.astype(str)
            for idx in text.index[text.str.contains("\x00", regex=False).to_numpy(dtype=bool)]:
                bad(idx, c, "nul_character", "含有空字符（NUL，常见于从其他系统复制的内容），请删去后重新填写",
                    text[idx].replace("\x00", "\\0"))
            limit = MAX_LENGTH[c.kind]
            for idx in text.index[(text.str.len() > limit).to_numpy(dtype=bool)]:
                bad(idx, c, "too_long", f"长度 {len(text[idx])} 个字符，超过上限 {limit} 个字符", text[idx])
        elif c.kind in NUMERIC_KINDS:
            number = pd.to_numeric(series, errors="coerce").astype("float64")
            low, high = bounds(c)
            for idx in number.index[((number < low) | (number > high)).to_numpy(dtype=bool)]:
                code, message = range_problem(c, float(number[idx]))
                bad(idx, c, code, message, series[idx])
    return out


def bounds(column: Column) -> tuple[float, float]:
    """The smallest and largest value a number column may hold: its declared range within what storage holds.

    A column without a minimum (签到人数, whose negative values ``lifecycle`` explains) is bounded below by
    storage alone.
    """
    low, high = INT_RANGE if column.kind == "int" else (-MONEY_LIMIT, MONEY_LIMIT)
    if column.minimum is not None:
        low = max(low, column.minimum)
    return low, min(high, column.maximum)


def range_problem(column: Column, number: float) -> tuple[str, str] | None:
    """(reason code, Chinese reason) when ``number`` lies outside the column's range, else ``None``."""
    low, high = bounds(column)
    if low <= number <= high:
        return None
    if column.minimum in (0, 1) and number < column.minimum:  # a count or a 节次
        return "below_minimum", ("不能为负数" if column.minimum == 0 else f"不能小于 {_num(column.minimum)}")
    return "out_of_range", (f"超出「{column.header}」的合理范围（{range_text(column)}）："
                            "请核对是否多写或少写了数字、填错了列")


def range_text(column: Column) -> str:
    """The range of a number column as people read it: ``0 至 100,000``, or ``最多 1000`` without a minimum."""
    low, high = bounds(column)
    return f"{_num(low)} 至 {_num(high)}" if column.minimum is not None else f"最多 {_num(high)}"


def _num(value: float) -> str:
    """A bound as people read it: 2100, 100,000, -180 (separators from five digits on)."""
    if float(value).is_integer():
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.0f}"
    return f"{value:g}"


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + f"……（共 {len(text)} 个字符）"


def empty_frame(table: str | Table) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes (a copy of one built once per table: an import
    asks for hundreds)."""
    t = TABLE_BY_NAME[table] if isinstance(table, str) else table
    if t.name not in _EMPTY:
        _EMPTY[t.name] = pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPES[c.kind]) for c in t.columns})
    return _EMPTY[t.name].copy()


_EMPTY: dict[str, pd.DataFrame] = {}


def coerce_frame(table: str | Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the table's columns, in order, with the declared dtypes.

    Missing optional columns are added empty. Values must already be clean
    (the importer does the tolerant parsing); this only fixes the dtypes.
    """
    t = TABLE_BY_NAME[table] if isinstance(table, str) else table
    out = {}
    for c in t.columns:
        if c.name in frame.columns:
            series = frame[c.name]
        else:
            series = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        out[c.name] = _as_dtype(series, c.kind)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _as_dtype(series: pd.Series, kind: str) -> pd.Series:
    dtype = PANDAS_DTYPES[kind]
    if str(series.dtype) == dtype:
        if dtype == "string":
            blank = series == ""
            return series.mask(blank) if blank.any() else series
        return series
    if kind == "date":
        return pd.to_datetime(series).astype(dtype)
    if kind in ("code", "text", "enum", "list"):
        s = series.astype(dtype)
        return s.mask(s == "")
    return series.astype(dtype)
