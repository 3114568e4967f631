"""Whose data is personal, and where each is shown: the one rule, as data (no I/O).

Every output that leaves the station, the masked PostgreSQL views and the linkage audit read this
module and nothing else to decide what to mask (``store.privacy`` masks values, ``store.access``
writes the views, ``store.privacy_audit`` checks the outputs).

**Persons.** Four kinds of people appear in the ledgers:

- 服务对象 (``beneficiary``) and 志愿者 (``volunteer``): private persons;
- 驻站人员 (``staff``, also the 评估人 of a needs assessment) and 督导者 (``supervisor``): professionals
  acting in their role.

**Audiences.** An output goes to one of three audiences:

- ``station`` (站内): the station itself (an unmasked export, ``--unmasked`` reports): nothing is masked;
- ``supervision`` (督导): the station's supervisors and project team (the supervision report, the
  supervisor's digest, the dashboards): professionals are shown by name, because the agenda, the action
  items and the caseload are about their work; everything else personal is masked;
- ``external`` (对外): anyone outside the project (``sgz export --mask``, the year-end assessment and its
  score sheet, the district overview, ``sgz evaluate`` / ``explain`` / ``outcomes``, the analysis API, the
  masked PostgreSQL role of 评估方): every person's name is masked, professionals included.

Phones, ID numbers and birth dates are masked in every audience but ``station``, whoever they belong to.
Free text is scanned for the names of exactly the people whose names the audience masks, and for
phones, ID numbers and birth dates.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import schema

# Kinds of people.
BENEFICIARY, VOLUNTEER, STAFF, SUPERVISOR = "beneficiary", "volunteer", "staff", "supervisor"
PERSON_LABELS = {BENEFICIARY: "服务对象", VOLUNTEER: "志愿者", STAFF: "驻站人员", SUPERVISOR: "督导者"}
PROFESSIONALS = frozenset({STAFF, SUPERVISOR})

# Audiences, from the most trusted to the least.
STATION, SUPERVISION, EXTERNAL = "station", "supervision", "external"
AUDIENCE_LABELS = {STATION: "站内", SUPERVISION: "督导", EXTERNAL: "对外"}

# What a masked output calls a birth date shown as its year.
BIRTH_YEAR_HEADER = "出生年份"

# Kinds of values.
NAME, PHONE, ID_NUMBER, BIRTH_DATE, TEXT, LABEL = "name", "phone", "id_number", "birth_date", "text", "label"


@dataclass(frozen=True)
class Field:
    """One column that holds a person's data: its table, column, kind of value and whose it is."""

    table: str
    column: str
    kind: str
    person: str


PERSONAL: tuple[Field, ...] = (
    Field("beneficiaries", "name", NAME, BENEFICIARY),
    Field("beneficiaries", "phone", PHONE, BENEFICIARY),
    Field("beneficiaries", "id_number", ID_NUMBER, BENEFICIARY),
    Field("beneficiaries", "birth_date", BIRTH_DATE, BENEFICIARY),
    Field("volunteers", "name", NAME, VOLUNTEER),
    Field("volunteers", "phone", PHONE, VOLUNTEER),
    Field("staff", "name", NAME, STAFF),
    Field("assessments", "assessor", NAME, STAFF),
    Field("supervisions", "supervisor", NAME, SUPERVISOR),
    Field("supervision_items", "supervisor", NAME, SUPERVISOR),
)

# Text columns whose values the indicator rules or reports match on: organisational labels, not free text.
LABELS: dict[str, tuple[str, ...]] = {
    "stations": ("name", "district"),
    "projects": ("catalogue", "tier"),
    "checklist": ("item",),
    "measurements": ("scale",),
    "staff": ("role",),  # a staff-count rule may count one 岗位 only (``indicators.rules.station``)
}

# Which output goes to which audience (``sgz`` commands and reports name their key).
OUTPUTS: dict[str, str] = {
    "export": EXTERNAL,  # sgz export --mask
    "assessment": EXTERNAL,  # 年终评估报告与评分表
    "district": EXTERNAL,  # 区县概览
    "evaluate": EXTERNAL,  # sgz evaluate / explain
    "outcomes": EXTERNAL,  # sgz outcomes
    "photo_evidence": EXTERNAL,  # 照片佐证核查
    "api": EXTERNAL,  # sgz.open() in JupyterLab
    "masked_role": EXTERNAL,  # the masked PostgreSQL role (评估方) and its views
    "station_report": SUPERVISION,  # 督导报告（默认脱敏）
    "digest": SUPERVISION,  # 督导简报
    "dashboard": SUPERVISION,  # 看板
}


def _check() -> None:
    known = {t.name: set(t.names) for t in schema.TABLES}
    for f in PERSONAL:
        if f.column not in known.get(f.table, ()):
            raise ValueError(f"personal field {f.table}.{f.column} is not a column of the schema")
        if f.person not in PERSON_LABELS or f.kind not in (NAME, PHONE, ID_NUMBER, BIRTH_DATE):
            raise ValueError(f"personal field {f.table}.{f.column}: unknown person or kind")
    for table, cols in LABELS.items():
        if not set(cols) <= known.get(table, set()):
            raise ValueError(f"label columns {table}.{cols} are not columns of the schema")
    if set(OUTPUTS.values()) - set(AUDIENCE_LABELS):
        raise ValueError("an output names an unknown audience")


_check()


def masked(field: Field, audience: str) -> bool:
    """Whether ``field`` is masked for ``audience``: the rule itself."""
    if audience not in AUDIENCE_LABELS:
        raise ValueError(f"unknown audience {audience!r}")
    if audience == STATION:
        return False
    return not (audience == SUPERVISION and field.kind == NAME and field.person in PROFESSIONALS)


def audience_of(output: str) -> str:
    """The audience an output goes to (``OUTPUTS``)."""
    return OUTPUTS[output]


def notice(audience: str) -> str:
    """The sentence an output for ``audience`` carries about what is masked (reports' banner)."""
    masked_names = [PERSON_LABELS[p] for p in PERSON_LABELS if p in persons_masked(audience)]
    shown = [PERSON_LABELS[p] for p in PERSON_LABELS if p not in persons_masked(audience)]
    if not shown:
        return f"本报告中所有人（{'、'.join(masked_names)}）的姓名、联系电话、身份证号均已脱敏，出生日期只保留年份。"
    return (f"本报告中{'、'.join(masked_names)}的姓名和所有人的联系电话、身份证号均已脱敏，出生日期只保留年份；"
            f"{'、'.join(shown)}以工作身份按姓名显示。")


def _text_columns() -> dict[str, tuple[str, ...]]:
    personal = {(f.table, f.column) for f in PERSONAL}
    out = {}
    for t in schema.TABLES:
        cols = tuple(c.name for c in t.columns if c.kind == "text" and (t.name, c.name) not in personal
                     and c.name not in LABELS.get(t.name, ()))
        if cols:
            out[t.name] = cols
    return out


# Tables kept beside the ledgers whose free text goes out with the data: an evaluator's note on a spending flag
# (``store.spending_overrules``) may name a person.
OTHER_FREE_TEXT: dict[str, tuple[str, ...]] = {"spending_overrules": ("note",)}

# Every other text column of the schema is free text, scanned for people, phones, ID numbers and birth dates
# (a text column added to ``schema`` later is free text unless declared here).
FREE_TEXT: dict[str, tuple[str, ...]] = {**_text_columns(), **OTHER_FREE_TEXT}


def columns(table: str, audience: str) -> dict[str, str]:
    """Column → kind of value (``name``, ``phone``, ``id_number``, ``birth_date``, ``text``) masked in ``table``."""
    if audience == STATION:
        return {}
    out = {c: TEXT for c in FREE_TEXT.get(table, ())}
    out.update({f.column: f.kind for f in PERSONAL if f.table == table and masked(f, audience)})
    return out


def tables(audience: str) -> list[str]:
    """The tables with a column masked for ``audience``, in schema order (then the others of ``OTHER_FREE_TEXT``)."""
    return [name for name in [t.name for t in schema.TABLES] + list(OTHER_FREE_TEXT) if columns(name, audience)]


def name_fields(persons=None) -> list[Field]:
    """The name columns (of the given kinds of people, default all)."""
    return [f for f in PERSONAL if f.kind == NAME and (persons is None or f.person in persons)]


def persons_masked(audience: str) -> frozenset[str]:
    """The kinds of people whose names ``audience`` masks (and looks for in free text)."""
    return frozenset(f.person for f in name_fields() if masked(f, audience))


def fields(kind: str) -> list[Field]:
    """The personal columns of one kind of value."""
    return [f for f in PERSONAL if f.kind == kind]
