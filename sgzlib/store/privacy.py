"""Masking personal data for anything that leaves the station, designed against linkage.

Which columns are personal, whose they are and where each is masked is decided by one rule,
``domain.personal``; this module masks the values. ``mask_dataset(ds, audience, people)`` returns a
copy of a dataset that may go to ``audience``; every output that leaves the station is computed from
such a copy (``storage.shared_dataset``). Codes are never changed, so counting on a masked dataset gives
the same results as on the original. The masked PostgreSQL views apply the same algorithm in SQL
(``store.masking_sql``, generated from the constants below).

Text is compared after normalisation (``fold``): NFKC (full-width digits and letters, compatibility
ideographs, Kangxi radicals), every Unicode space (U+3000 alignment spaces, no-break spaces …), the dots
inside names (``阿依古丽·买买提``) and invisible format characters (zero-width spaces) removed.

Against linkage, no masked value keeps a part that another masked value completes:

- **names**: 1 character → ``*``; 2 → the first (``武红`` → ``武*``); 3 → first and last (``张*三``);
  4 or more → first and last with one ``*`` per hidden character (``欧阳小明`` → ``欧**明``);
- **ID numbers** keep their region (first 6 characters, the county, which the station tells anyway) and
  nothing of the birth date, sequence or check digit (``150702************``): a birth date or birth year
  found elsewhere cannot complete them;
- **birth dates** become the birth year (stored as 1 January of that year, shown as 出生年份);
- **phones** are masked by their digits, whatever else the value holds (``138*1234*5678``): a mobile keeps
  its first 3 and last 4 digits (``138****5678``), any other number its last 4; a value already in one of
  these two masked forms is left as it is;
- **free text** (``personal.FREE_TEXT``) is scanned for digit runs of 7 or more (with spaces, dashes,
  brackets, stars or zero-width characters between the digits, full-width or circled digits) that are not
  dates or quantities: they are masked like a phone or, at 15 or 18 characters, like an ID number; for dates
  (``1945-03-02``, ``1945年3月2日``, ``19450302``) equal to a person's birth date, which keep only the year;
  and for the names of the people ``personal`` masks for the audience, anywhere in the database (also of
  other stations), also when typed with spaces, U+3000, zero-width characters or dots inside. One-character
  names cannot be told from ordinary text and are masked only in name columns.

Not covered: codes and photo file names are kept (records are matched on them); people who are not in the
database (a relative named only in a 内容摘要), and a person called only by the given name, are not
recognised.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..domain import personal
from ..domain.dataset import Dataset
from ..domain.personal import BIRTH_DATE, ID_NUMBER, NAME, PHONE, TEXT

# Kept for the importer (a masked value in these columns refuses a workbook): table → {column: kind}.
PERSONAL_TABLES: dict[str, dict[str, str]] = {}
for _f in personal.PERSONAL:
    if _f.kind in (NAME, PHONE, ID_NUMBER):
        PERSONAL_TABLES.setdefault(_f.table, {})[_f.column] = _f.kind


# --- normalisation -------------------------------------------------------------------------------------------

# Dots people put inside names (阿依古丽·买买提), dropped when names are compared.
NAME_DOTS = "\u00b7\u2022\u2027\u2219\u30fb\uff65\u0387"


def is_space(ch: str) -> bool:
    """A character folded to one ASCII space in text (and dropped from names)."""
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def is_invisible(ch: str) -> bool:
    """A character dropped from text before it is scanned: format and control characters."""
    return unicodedata.category(ch) in ("Cf", "Cc") and not is_space(ch)


def fold(text: str) -> str:
    """``text`` as compared for masking: NFKC, without spaces, dots and invisible characters (``武　红`` → ``武红``)."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if not (is_space(ch) or is_invisible(ch) or ch in NAME_DOTS):
            out.append(ch)
    return "".join(out)


def folded_with_map(text: str, drop_spaces: bool) -> tuple[str, list[int] | range]:
    """Per-character NFKC of ``text`` and, for each folded character, the index of its original character.

    Spaces become one ASCII space (or, with ``drop_spaces``, are dropped with the dots of names); format
    and control characters are dropped. Text that is already NFKC, printable and (with ``drop_spaces``)
    without spaces or dots folds to itself.
    """
    if text.isprintable() and unicodedata.is_normalized("NFKC", text) and not (
            drop_spaces and (" " in text or any(d in text for d in NAME_DOTS))):
        return text, range(len(text))
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if is_space(out):
                if drop_spaces:
                    continue
                out = " "
            elif is_invisible(out) or (drop_spaces and out in NAME_DOTS):
                continue
            chars.append(out)
            where.append(i)
    return "".join(chars), where


# --- single values -------------------------------------------------------------------------------------------

def mask_name(name: object) -> object:
    """1 character → ``*``, 2 → ``武*``, 3 → ``张*三``, 4+ → ``欧**明`` (counted after ``fold``); blanks stay blank."""
    if not isinstance(name, str) or not name.strip():
        return name
    text = fold(name)
    if not text:
        return name
    if len(text) == 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def digits_of(value: str) -> str:
    """The ASCII digits of ``value`` after NFKC (full-width and circled digits count)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if "0" <= ch <= "9")


MASKED_PHONE = re.compile(r"1[0-9]{2}\*{4}[0-9]{4}|\*+[0-9]{4}|\*+")


def mask_phone(phone: object) -> object:
    """Masked by its digits: 13812341234 → 138****1234; other numbers keep their last four digits only
    (four or fewer: all ``*``). A value already in one of these forms is kept."""
    if not isinstance(phone, str) or not phone.strip():
        return phone
    text = fold(phone)
    if MASKED_PHONE.fullmatch(text):
        return text
    return _mask_phone_digits(digits_of(phone))


def _mask_phone_digits(digits: str) -> str:
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * max(len(digits), 1)
    return "*" * (len(digits) - 4) + digits[-4:]


REGION = 6  # leading characters of an ID number kept: the region (county) code


def mask_id_number(number: object) -> object:
    """110101199003071234 → 110101************ (region kept; birth date, sequence, check digit hidden)."""
    if not isinstance(number, str) or not number.strip():
        return number
    text = fold(number).upper()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:REGION] + "*" * (len(text) - REGION)


# --- free text -----------------------------------------------------------------------------------------------

# What may stand between the digits of one number typed in free text (at most two in a row), and the
# stars that a half-masked value carries (any number).
SEPARATORS = " ()（）.‐‑‒–—―-"  # a character class as written, "-" last (Python and PostgreSQL alike)
DIGIT_RUN = r"(?<![0-9])[0-9](?:(?:[" + SEPARATORS + r"]{1,2}|\*+)?[0-9])*(?:[xX](?![A-Za-z]))?"
DATE = (r"(?<![0-9])(?:19|20)[0-9]{2}(?:[-./年][0-9]{1,2}[-./月][0-9]{1,2}日?|[-./年][0-9]{1,2}月?)"
        r"(?![0-9])")
QUANTITY_UNITS = ("元", "万", "亿", "人", "次", "个", "户", "天", "分", "小时", "份", "件", "册", "米", "平方", "%")
_DIGIT_RUN = re.compile(DIGIT_RUN)
_DATE = re.compile(DATE)
_QUANTITY_AFTER = re.compile(r" *(?:" + "|".join(map(re.escape, QUANTITY_UNITS)) + ")")


def _date_of(text: str) -> dt.date | None:
    """The calendar date a date-like string names (``1945-03-02``, ``1945年3月2日``, ``19450302``), if any."""
    parts = re.findall(r"[0-9]+", text)
    if len(parts) == 1 and len(parts[0]) == 8:
        parts = [parts[0][:4], parts[0][4:6], parts[0][6:]]
    if len(parts) != 3:
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _mask_date(text: str) -> str:
    """A birth date written in text, its month and day hidden: ``1945-03-02`` → ``1945-**-**``."""
    return text[:4] + re.sub(r"[0-9]", "*", text[4:])


def _is_date_digits(d: str) -> bool:
    """20250301-like: eight digits that read as a plausible date."""
    return len(d) == 8 and d[:2] in ("19", "20") and 1 <= int(d[4:6]) <= 12 and 1 <= int(d[6:]) <= 31


def mask_number(d: str, births: frozenset = frozenset()) -> str | None:
    """The masked form of a digit run ``d`` (an ID number may end in X), or None when it is not personal."""
    if len(d) in (15, 18):
        return mask_id_number(d)
    if len(d) < 7 or not d[:-1].isdigit():
        return None
    if _is_date_digits(d):
        return _mask_date(d) if _date_of(d) in births else None
    return _mask_phone_digits(re.sub(r"[^0-9]", "", d))


def _mask_numbers(text: str, births: frozenset) -> str:
    if not any(map(str.isdigit, text)):
        return text
    folded, where = folded_with_map(text, drop_spaces=False)
    spans = []
    scan = list(folded)
    for m in _DATE.finditer(folded):
        if births and _date_of(m.group()) in births:
            spans.append((where[m.start()], where[m.end() - 1] + 1, _mask_date(m.group())))
        scan[m.start():m.end()] = "#" * (m.end() - m.start())
    scan = "".join(scan)
    for m in _DIGIT_RUN.finditer(scan):
        run, end = m.group(), m.end()
        if MASKED_PHONE.fullmatch(run):
            continue  # a mobile already masked (138****5678)
        d = re.sub(r"[^0-9]", "", run)
        if run[-1] in "xX":
            if len(d) == 17:
                d += "X"
            else:
                end -= 1
        masked = mask_number(d, births)
        if masked is None or (len(d) <= 8 and _QUANTITY_AFTER.match(scan, end)):
            continue
        spans.append((where[m.start()], where[end - 1] + 1, masked))
    return _replace(text, spans)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, repl in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], repl]
        last = end
    out.append(text[last:])
    return "".join(out)


@dataclass
class People:
    """What free text is scanned for: the folded names (2 characters or more) of the people whose names
    the audience masks, the names it shows (``keep``: a staff member 孙敏磊 stays whole although a volunteer
    is called 孙敏), and the birth dates of everyone."""

    names: set[str] = field(default_factory=set)
    births: frozenset = frozenset()
    keep: set[str] = field(default_factory=set)

    def __post_init__(self):
        self.names = {n for n in self.names if len(n) >= 2}
        self.keep = {n for n in self.keep if len(n) >= 2} - self.names
        every = self.names | self.keep
        self.lengths = sorted({len(n) for n in every}, reverse=True)
        self.first = {n[0] for n in self.names}
        self.firsts = {n[0] for n in every}

    def mask_names(self, text: str) -> str:
        if not self.names or self.first.isdisjoint(fold(text)):
            return text
        folded, where = folded_with_map(text, drop_spaces=True)
        spans, i = [], 0
        while i < len(folded):
            hit = None
            if folded[i] in self.firsts:
                hit = next((n for n in self.lengths if i + n <= len(folded) and (
                    folded[i:i + n] in self.names or folded[i:i + n] in self.keep)), None)
            if hit:
                if folded[i:i + hit] in self.names:
                    spans.append((where[i], where[i + hit - 1] + 1, mask_name(folded[i:i + hit])))
                i += hit
            else:
                i += 1
        return _replace(text, spans)


def mask_text(text: object, people: People | None = None) -> object:
    """Free text with phones, ID numbers, (given ``people``) birth dates and the people's names masked."""
    if not isinstance(text, str) or not text:
        return text
    text = _mask_numbers(text, people.births if people is not None else frozenset())
    return people.mask_names(text) if people is not None else text


# --- frames and datasets -------------------------------------------------------------------------------------

MASKERS = {NAME: mask_name, PHONE: mask_phone, ID_NUMBER: mask_id_number}


def mask_frame(frame: pd.DataFrame, columns: dict[str, str], people: People | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns masked; ``columns`` maps column → kind (``personal``)."""
    out = frame.copy(deep=False)  # copy-on-write: the masked columns are new, the others shared read-only
    for col, kind in columns.items():
        if col not in out.columns:
            continue
        if kind == BIRTH_DATE:
            out[col] = out[col] - pd.to_timedelta(out[col].dt.day_of_year - 1, unit="D")
        elif kind == TEXT:
            out[col] = _map(out[col], lambda v: mask_text(v, people))
        else:
            out[col] = _map(out[col], MASKERS[kind])
    return out


def _map(series: pd.Series, func) -> pd.Series:
    """``func`` applied to each distinct non-blank value once; blanks stay blank; the dtype is kept.

    Only the non-blank values are factorised: a province's free-text columns are mostly blank.
    """
    present = series.notna().to_numpy(dtype=bool)
    if not present.any():
        return series.copy()
    found, uniques = pd.factorize(series[present], use_na_sentinel=True)
    codes = np.full(len(series), -1, dtype=np.intp)
    codes[present] = found
    mapped = np.array([func(u) for u in uniques] + [pd.NA], dtype=object)  # code -1 (blank) → the last
    return pd.Series(mapped[codes], index=series.index, name=series.name).astype(series.dtype)


def people_frame(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every name of a name column with the kind of person (columns ``name``, ``person``), distinct."""
    parts = []
    for f in personal.name_fields():
        frame = frames.get(f.table)
        if frame is not None and f.column in frame.columns:
            parts.append(pd.DataFrame({"name": frame[f.column].dropna().unique(), "person": f.person}))
    if not parts:
        return pd.DataFrame({"name": pd.Series(dtype=object), "person": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def people_index(names: pd.DataFrame, births, audience: str) -> People:
    """The ``People`` an audience's free text is scanned for, from all names (``people_frame``) and birth dates."""
    wanted = names["person"].isin(personal.persons_masked(audience))
    births = frozenset(pd.Timestamp(b).date() for b in births if b is not None and not pd.isna(b))
    return People({fold(str(n)) for n in names.loc[wanted, "name"].unique()}, births,
                  {fold(str(n)) for n in names.loc[~wanted, "name"].unique()})


def people_of(ds, audience: str = personal.EXTERNAL) -> People:
    """The ``People`` of a dataset itself (all of it: ``storage.shared_dataset`` passes the whole database's)."""
    births = ds.frames["beneficiaries"]["birth_date"].dropna() if "beneficiaries" in ds.frames else []
    return people_index(people_frame(ds.frames), births, audience)


def mask_dataset(ds, audience: str = personal.EXTERNAL, people: People | None = None):
    """A copy of the dataset that may go to ``audience`` (``personal``): the personal columns masked, free
    text scanned for phones, ID numbers, birth dates and ``people`` (default: the dataset's own)."""
    if people is None:
        people = people_of(ds, audience)
    frames = dict(ds.frames)
    for table in personal.tables(audience):
        if frames.get(table) is not None:
            frames[table] = mask_frame(frames[table], personal.columns(table, audience), people)
    out = Dataset.__new__(Dataset)  # every frame already has its declared dtypes: no second coercion
    out.frames = frames
    return out
