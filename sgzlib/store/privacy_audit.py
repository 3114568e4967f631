"""The linkage audit: read masked outputs as a determined reader would and try to rebuild what masking hid.

The auditor knows the clear data (``Secrets``, from the whole database) and reads each output (``Output``:
its text as a person would read it, and its tables where it has rows of people). It tries:

- **direct values**: every ID number, phone and birth date of the database, and every name ``personal``
  masks for the output's audience (people of every station: a one-station output is searched for the
  others' people too), in the text folded as masking folds (NFKC, no spaces, U+3000, zero-width characters,
  dots, dashes or brackets; HTML entities, ``\\uXXXX`` escapes and the CSV and Excel files embedded in a
  page as ``data:`` links decoded); a name shown in full with stars between its characters (``武*红``) unless
  that form is another person's correct mask;
- **ID numbers rebuilt**: from the region, birth date (or year) and suffix a row or a text shows, every
  candidate number with a valid check digit; a number is rebuilt when it is among at most ``CANDIDATES``;
- **combined masks**: the characters of a name and the digits of a phone shown by all the outputs for one
  person (by code), together; a value is rebuilt when they cover it all.

Nothing here prints a real value: a ``Finding`` names the output, the person's code and the way.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import html as htmllib
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..domain import personal, schema
from . import masking_sql, privacy

CANDIDATES = 10  # a rebuilt value is among at most this many candidates a reader could try one by one
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643 check digit
CHECK = "10X98765432"
KIND_LABELS = {"id_number": "身份证号", "phone": "联系电话", "name": "姓名", "birth_date": "出生日期"}


def check_digit(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


@dataclass(frozen=True)
class Finding:
    output: str
    kind: str  # id_number, phone, name, birth_date
    who: str  # the person's code (or 督导者/评估人 for names without one)
    how: str

    def describe(self) -> str:
        return f"{self.output}：{KIND_LABELS[self.kind]}（{self.who}）{self.how}"


@dataclass
class Output:
    """One masked output: its name, audience, text as read, and the tables of people it holds."""

    name: str
    audience: str
    text: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # ledger table name → rows (schema columns)

    @functools.cached_property
    def reading(self) -> Reading:
        return Reading.of(self.text)


# --- what the auditor knows ----------------------------------------------------------------------------------

@dataclass
class Secrets:
    """The clear values of the whole database, each tied to a person."""

    people: pd.DataFrame  # code, person, name (folded), phones (digits, list), id_number, birth (date)
    label_words: set[str]
    event_dates: set

    @classmethod
    def of(cls, ds) -> Secrets:
        rows = []
        b = ds.frames["beneficiaries"]
        for r in b.itertuples(index=False):
            rows.append({"code": r.code, "person": personal.BENEFICIARY, "name": privacy.fold(r.name or ""),
                         "phones": [privacy.digits_of(r.phone)] if isinstance(r.phone, str) else [],
                         "id_number": privacy.fold(r.id_number).upper() if isinstance(r.id_number, str) else None,
                         "birth": None if pd.isna(r.birth_date) else pd.Timestamp(r.birth_date).date()})
        for table, person in (("volunteers", personal.VOLUNTEER), ("staff", personal.STAFF)):
            for r in ds.frames[table].itertuples(index=False):
                phone = getattr(r, "phone", None)
                rows.append({"code": r.code, "person": person, "name": privacy.fold(r.name or ""),
                             "phones": [privacy.digits_of(phone)] if isinstance(phone, str) else [],
                             "id_number": None, "birth": None})
        known = {(r["person"], r["name"]) for r in rows}
        for f in personal.name_fields():
            if f.table in ("beneficiaries", "volunteers", "staff"):
                continue
            for n in ds.frames[f.table][f.column].dropna().unique():
                if (f.person, privacy.fold(n)) not in known:
                    known.add((f.person, privacy.fold(n)))
                    rows.append({"code": f"{personal.PERSON_LABELS[f.person]}{privacy.mask_name(n)}", "person": f.person,
                                 "name": privacy.fold(n), "phones": [], "id_number": None, "birth": None})
        labels = {privacy.fold(str(v)) for t, cols in personal.LABELS.items() for c in cols
                  for v in ds.frames[t][c].dropna().unique()}
        events = set()
        for t in schema.TABLES:
            for c in t.columns:
                if c.kind == "date" and (t.name, c.name) not in {(f.table, f.column) for f in personal.PERSONAL}:
                    events |= {pd.Timestamp(v).date() for v in ds.frames[t.name][c.name].dropna().unique()}
        return cls(pd.DataFrame(rows, dtype=object), labels, events)


# --- reading outputs ----------------------------------------------------------------------------------------

_BLOCK = re.compile(r"<(?:/?(?:td|th|tr|p|div|li|br|h[1-6]|table|section|option|title)\b[^>]*)>", re.I)
_TAG = re.compile(r"<[^>]+>")
_DATA_URI = re.compile(r"data:([\w/.+-]+);base64,([A-Za-z0-9+/=]+)")
SEP = "¦"  # between cells and blocks: never part of a value


def html_text(page: str) -> str:
    """A page's text as a reader sees it (cells apart, inline tags not), with its embedded downloads."""
    page = re.sub(r"<script\b[^>]*>.*?</script>", lambda m: _scripted(m.group()), page, flags=re.S | re.I)
    page = re.sub(r"<style\b[^>]*>.*?</style>", "", page, flags=re.S | re.I)
    embedded = [_decoded(kind, data) for kind, data in _DATA_URI.findall(page)]
    text = _TAG.sub("", _BLOCK.sub(SEP, page))
    return htmllib.unescape(text) + SEP + SEP.join(embedded)


def _scripted(script: str) -> str:
    """Data a page's script carries (plotly figures): kept when small, the plotly.js library dropped."""
    return "" if len(script) > 200_000 else script


def _decoded(kind: str, data: str) -> str:
    raw = base64.b64decode(data)
    if "csv" in kind or "text" in kind:
        return raw.decode("utf-8-sig", "replace")
    if "sheet" in kind:
        return xlsx_text(io.BytesIO(raw))
    return ""


def xlsx_text(source) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(source, read_only=True)
    try:
        return "\n".join(SEP.join("" if v is None else str(v) for v in row)
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    finally:
        wb.close()


def export_tables(path: Path) -> dict[str, pd.DataFrame]:
    """The sheets of a (masked) ledger export as frames with the schema's column names."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    out = {}
    for t in schema.TABLES:
        frame = sheets.get(t.sheet)
        if frame is None:
            continue
        headers = {c.header: c.name for c in t.columns}
        headers[personal.BIRTH_YEAR_HEADER] = "birth_date"
        out[t.name] = frame.rename(columns=headers)
    return out


def read_file(path: Path, audience: str) -> Output:
    """An output file (xlsx, html, csv, json, txt) as the auditor reads it."""
    path = Path(path)
    if path.suffix == ".xlsx":
        return Output(path.name, audience, xlsx_text(path), export_tables(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".html", ".htm", ".ipynb"):
        text = html_text(text)
    return Output(path.name, audience, text)


# --- the attacks ---------------------------------------------------------------------------------------------

_SQUASH = re.compile(r"[\s\-‐‑‒–—―()（）.+" + re.escape(privacy.NAME_DOTS) + "]")
_INVISIBLE = re.compile(f"[{masking_sql.INVISIBLE}]")
_WRITTEN_DATE = re.compile(r"((?:19|20)[0-9]{2})(?:年|/)([0-9]{1,2})(?:月|/)([0-9]{1,2})")


def blob(text: str) -> str:
    """Output text folded as masking folds values: what a reader who ignores separators reads."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), htmllib.unescape(text))
    text = unicodedata.normalize("NFKC", text).replace("\t", SEP).replace("\n", SEP)
    return _SQUASH.sub("", _INVISIBLE.sub("", text)).upper()


@dataclass
class Reading:
    """What a reader can pick out of one output's folded text, each kind once."""

    text: str
    numbers: set[str]  # every piece (7 to 18 characters) of every run of digits
    words: set[str]  # runs of letters (where names are)
    dates: set  # dates written out (1945年3月2日, 1945/3/2); 19450302 is among ``numbers``
    starred: str  # the text around stars

    @functools.cached_property
    def starred_chars(self) -> set[str]:
        return set(self.starred)

    @classmethod
    def of(cls, text: str) -> Reading:
        text = blob(text)
        numbers = set()
        digits = re.sub(r"(?<=[0-9])\*+(?=[0-9])", "", text)  # 139*2679*6250 reads as 13926796250
        for run in set(re.findall(r"[0-9]{7,}X?", digits)):
            numbers.update(run[i:i + n] for n in range(7, 19) for i in range(len(run) - n + 1))
        dates = set()
        for y, m, d in set(_WRITTEN_DATE.findall(text)):
            with contextlib.suppress(ValueError):
                dates.add(dt.date(int(y), int(m), int(d)))
        starred = SEP.join(text[max(0, m.start() - 12):m.end() + 12] for m in re.finditer(r"\*+", text))
        return cls(text, numbers, set(re.findall(r"[^\W\d_]+", text)), dates, starred)

    def names(self, sought: set[str], shown: set[str]) -> set[str]:
        """The ``sought`` names written in the text, but where they are part of a ``shown`` name (longest first)."""
        every = sought | shown
        lengths = sorted({len(n) for n in every}, reverse=True)
        firsts = {n[0] for n in every}
        found = set()
        for word in self.words:
            i = 0
            while i < len(word):
                hit = next((word[i:i + n] for n in lengths if word[i] in firsts and word[i:i + n] in every), None)
                if hit in sought and hit not in shown:
                    found.add(hit)
                i += len(hit) if hit else 1
        return found


def _birth_written(d, reading: Reading) -> bool:
    return f"{d:%Y%m%d}" in reading.numbers or d in reading.dates


def _attributable(birth, secrets: Secrets) -> bool:
    """A birth date a reader could tell from other dates: not an event date of the data, and not 1 January
    (the form every masked birth date takes: a reader cannot tell a real 1 January from a masked year)."""
    return birth is not None and birth not in secrets.event_dates and (birth.month, birth.day) != (1, 1)


def direct(out: Output, secrets: Secrets) -> list[Finding]:
    """Real values shown as they are, anywhere in the output's text."""
    found: list[Finding] = []
    reading = out.reading
    sought = personal.persons_masked(out.audience)
    people = secrets.people
    shown = {n.upper() for n, p in zip(people["name"], people["person"]) if p not in sought and len(n) >= 2}
    wanted = {n.upper() for n, p in zip(people["name"], people["person"])
              if p in sought and len(n) >= 2 and n not in secrets.label_words}
    named = reading.names(wanted, shown)
    legit = {privacy.mask_name(n) for n in people["name"] if n}
    for r in people.itertuples(index=False):
        if r.id_number and r.id_number in reading.numbers:
            found.append(Finding(out.name, "id_number", r.code, "原样出现"))
        found += [Finding(out.name, "phone", r.code, "原样出现") for p in r.phones if p in reading.numbers]
        if _attributable(r.birth, secrets) and _birth_written(r.birth, reading):
            found.append(Finding(out.name, "birth_date", r.code, "原样出现"))
        name = r.name.upper()
        if name not in wanted or r.name in shown:
            continue
        if name in named:
            found.append(Finding(out.name, "name", r.code, "原样出现（含空格、全角空格、零宽字符、间隔点等写法）"))
            continue
        if not set(name) <= reading.starred_chars:
            continue
        for m in re.finditer(r"\**".join(map(re.escape, name)), reading.starred):
            if "*" in m.group() and m.group() not in legit:
                found.append(Finding(out.name, "name", r.code, "各字以星号隔开仍全部显示"))
                break
    return found


def id_candidates(region: str, birth_dates, suffix: str) -> list[str] | None:
    """Every 18-character ID number with this region, one of these birth dates and ending in ``suffix`` (up to
    the last four: three digits of the sequence and the check digit) whose check digit is valid; None when
    they would be more than ``CANDIDATES`` (too many to try: not rebuilt)."""
    if len(region) != 6 or not region.isdigit() or len(suffix) > 4:
        return None
    known = suffix[:-1] if suffix else ""  # sequence digits shown
    free = 3 - len(known)
    dates = list(birth_dates)
    if not dates or len(dates) * 10 ** free / (11 if suffix else 1) > 2 * CANDIDATES:
        return None
    out = []
    for d in dates:
        for tail in itertools.product("0123456789", repeat=free):
            body = f"{region}{d:%Y%m%d}{''.join(tail)}{known}"
            number = body + check_digit(body)
            if number.endswith(suffix):
                out.append(number)
    return out if len(out) <= CANDIDATES else None


_PARTIAL_ID = re.compile(r"([0-9]{6})[*]{2,}([0-9]{0,3}[0-9X]?)")
_DATE_IN_TEXT = re.compile(r"((?:19|20)[0-9]{2})[-./年]?([0-9]{1,2})[-./月]?([0-9]{1,2})日?")


def _dates_in(text: str) -> set:
    out = set()
    for y, m, d in _DATE_IN_TEXT.findall(text):
        try:
            out.add(pd.Timestamp(int(y), int(m), int(d)).date())
        except ValueError:
            continue
    return out


def _birth_guesses(value) -> list[list]:
    """The birth dates a reader tries from a birth cell, in turn: the date as shown, and, for a year (or
    1 January, the masked form of a year), every day of that year."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip())):
        year = int(float(value))
        return [list(pd.date_range(f"{year}-01-01", f"{year}-12-31").date)]
    when = pd.Timestamp(value)
    year = [list(pd.date_range(f"{when.year}-01-01", f"{when.year}-12-31").date)] if when.day_of_year == 1 else []
    return [[when.date()], *year]


def _rebuilt_from_row(masked: str, birth, code: str, real: dict[str, set[str]]) -> int | None:
    """How many candidates held the person's own ID number, when a row's masked ID and birth cell rebuild it."""
    m = re.fullmatch(r"([0-9]{6})[*]+([0-9]{0,3}[0-9X]?)", masked)
    if not m or len(masked) != 18:
        return None
    for dates in _birth_guesses(birth):
        hits = id_candidates(m.group(1), dates, m.group(2)) or []
        if any(code in real.get(h, ()) for h in hits):
            return len(hits)
    return None


def rebuilt_ids(out: Output, secrets: Secrets) -> list[Finding]:
    """ID numbers rebuilt from region + birth date (or year) + suffix, in a row or in one text."""
    # One ID number may be held by two rows (the same person registered at two stations, a duplicate the
    # quality checks find): it is each row's own number, so it maps to every code holding it.
    real: dict[str, set[str]] = {}
    for r in secrets.people.itertuples(index=False):
        if r.id_number:
            real.setdefault(r.id_number, set()).add(r.code)
    found = []
    people = out.tables.get("beneficiaries")
    if people is not None and "id_number" in people:
        for r in people.itertuples(index=False):
            masked = privacy.fold(r.id_number).upper() if isinstance(r.id_number, str) else ""
            n = _rebuilt_from_row(masked, getattr(r, "birth_date", None), str(r.code), real)
            if n is not None:
                found.append(Finding(out.name, "id_number", str(r.code), f"可由地区码、出生日期和末位还原（候选 {n} 个）"))
    for piece in out.reading.text.split(SEP):
        if "*" not in piece:
            continue
        dates = _dates_in(piece)
        for m in _PARTIAL_ID.finditer(piece):
            hits = id_candidates(m.group(1), dates, m.group(2)) or []
            found += [Finding(out.name, "id_number", who, f"文本中的地区码、日期和末位可还原（候选 {len(hits)} 个）")
                      for h in hits for who in sorted(real.get(h, ()))]
    return found


def combined(outputs: list[Output], secrets: Secrets) -> list[Finding]:
    """Names and phones whose shown parts, put together across every output, give the whole value."""
    truth = {(r.code, "name"): r.name for r in secrets.people.itertuples(index=False)}
    truth.update({(r.code, "phone"): r.phones[0] for r in secrets.people.itertuples(index=False) if r.phones})
    seen: dict[tuple, set] = {}
    names: dict[tuple, set] = {}
    for out in outputs:
        sought = personal.persons_masked(out.audience)
        for table, person, cols in (("beneficiaries", personal.BENEFICIARY, ("name", "phone")),
                                    ("volunteers", personal.VOLUNTEER, ("name", "phone")),
                                    ("staff", personal.STAFF, ("name",))):
            frame = out.tables.get(table)
            if frame is None:
                continue
            for col in cols:
                if col not in frame:
                    continue
                for code, value in zip(frame["code"], frame[col]):
                    real = truth.get((str(code), col))
                    if not isinstance(value, str) or not real or (col == "name" and person not in sought):
                        continue
                    shown = privacy.fold(value) if col == "name" else re.sub(r"[^0-9*]", "", value)
                    if len(shown) != len(real):
                        continue
                    positions = {i for i, ch in enumerate(shown) if ch != "*" and ch == real[i]}
                    seen.setdefault((str(code), col), set()).update(positions)
                    names.setdefault((str(code), col), set()).add(out.name)
    found = []
    for (code, col), positions in seen.items():
        if len(positions) == len(truth[(code, col)]) and len(names[(code, col)]) > 1:
            found.append(Finding("、".join(sorted(names[(code, col)])), col, code, "各输出显示的部分合起来是全部"))
    return found


def audit(outputs: list[Output], secrets: Secrets) -> list[Finding]:
    """Every finding of every attack on these outputs (empty: nothing could be rebuilt)."""
    found = []
    for out in outputs:
        found += direct(out, secrets) + rebuilt_ids(out, secrets)
    found += combined(outputs, secrets)
    return sorted(set(found), key=lambda f: (f.output, f.kind, f.who, f.how))


@dataclass
class Tried:
    """What the audit tried (for the summary): counts of values and outputs."""

    outputs: int
    ids: int
    phones: int
    names: int
    births: int

    @classmethod
    def of(cls, outputs: list[Output], secrets: Secrets) -> Tried:
        p = secrets.people
        return cls(len(outputs), int(p["id_number"].notna().sum()), int(p["phones"].map(len).sum()),
                   int((p["name"].str.len() >= 2).sum()), int(p["birth"].notna().sum()))

    def describe(self) -> str:
        return (f"读取 {self.outputs} 份输出；尝试还原身份证号 {self.ids} 个（地区码＋出生日期或年份＋末位，校验码核对）、"
                f"电话 {self.phones} 个、姓名 {self.names} 个（含空格、全角空格、零宽字符、间隔点写法和两字姓名，"
                f"全库所有站点的人）、出生日期 {self.births} 个，并把同一人在各输出中显示的部分合起来")
