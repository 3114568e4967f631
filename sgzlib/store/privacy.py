"""Masking personal data (names, phone numbers, ID numbers) for anything that leaves the station.

One mechanism: ``mask_dataset`` returns a copy of a dataset that is safe to share, and every output
that leaves the station (``sgz export --mask``, masked reports and score sheets, ``sgz outcomes``,
``sgz evaluate``, ``sgz explain``, the dashboards) is computed from such a copy. Codes are never changed,
so counting on a masked dataset gives the same results as on the original.

Text is compared after normalisation (``fold``): NFKC (full-width digits and letters, compatibility
ideographs), every Unicode space (U+3000 alignment spaces, no-break spaces …) and invisible format
characters (zero-width spaces) removed from names. The rules:

- **Name columns** (``NAME_COLUMNS``): a name of 1 character becomes ``*``; 2 characters show the first
  (``武红`` → ``武*``); 3 characters show the first and last (``张小三`` → ``张*三``); 4 or more show the
  first and last with one ``*`` per hidden character (``欧阳小明`` → ``欧**明``). Characters are counted
  after normalisation, so ``武　红`` is a two-character name.
- **Phone and ID-number columns**: a mobile number keeps its first 3 and last 4 digits (``138****1234``), any
  other phone only its last 4; an ID number keeps the region (first 6) and the last 4.
- **Free-text columns** (every other text column of ``schema``, except the labels the indicator rules
  match on, ``LABEL_COLUMNS``) are scanned for
  - numbers that look like phones or ID numbers, written with spaces, dashes, brackets or full-width
    digits: a digit run of 7 digits or more that is not a date (``2025-03-01``, ``20250301``) or a
    quantity (``1000000元``) is masked like a phone (11-digit mobiles, 10–12-digit landlines starting
    with 0, 7–8-digit local numbers) or an ID number (15 or 18 characters), any other long run keeps only
    its last 4 digits;
  - the dataset's own people (every name in a name column, 2 characters or more), also when typed with
    spaces inside; each is replaced by its masked form. One-character names cannot be told apart from
    ordinary text and are not searched for in free text.

Not covered: codes (对象编码 …) and file names (水印照片) are kept as they are, because records are matched on
them; people who are not in the dataset (e.g. a relative named only in a 内容摘要) cannot be recognised.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..domain import schema
from ..domain.dataset import DECISION_FRAMES

# Person-name columns, masked as names.
NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "beneficiaries": ("name",),
    "staff": ("name",),
    "volunteers": ("name",),
    "assessments": ("assessor",),
    "supervisions": ("supervisor",),
    "supervision_items": ("supervisor",),
}
PHONE_COLUMNS: dict[str, tuple[str, ...]] = {"beneficiaries": ("phone",), "volunteers": ("phone",)}
ID_COLUMNS: dict[str, tuple[str, ...]] = {"beneficiaries": ("id_number",)}
# Text columns whose values the indicator rules or reports match on: organisational labels, not free text.
LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "stations": ("name", "district"),
    "projects": ("catalogue", "tier"),
    "checklist": ("item",),
    "measurements": ("scale",),
    "staff": ("role",),  # a staff-count rule may count one 岗位 only (``indicators.rules.station``)
}


def _free_text_columns() -> dict[str, tuple[str, ...]]:
    out = {}
    for t in schema.TABLES:
        skip = set(NAME_COLUMNS.get(t.name, ())) | set(LABEL_COLUMNS.get(t.name, ()))
        cols = tuple(c.name for c in t.columns if c.kind == "text" and c.name not in skip)
        if cols:
            out[t.name] = cols
    return out


FREE_TEXT_COLUMNS: dict[str, tuple[str, ...]] = _free_text_columns()

# Kept for callers that mask one table's frame: table → {column: kind}.
PERSONAL_TABLES: dict[str, dict[str, str]] = {}
for _kind, _columns in (("name", NAME_COLUMNS), ("phone", PHONE_COLUMNS), ("id_number", ID_COLUMNS)):
    for _table, _cols in _columns.items():
        PERSONAL_TABLES.setdefault(_table, {}).update({c: _kind for c in _cols})


# --- normalisation -------------------------------------------------------------------------------------------

def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def fold(text: str) -> str:
    """``text`` as compared for masking: NFKC, without spaces and invisible characters (``武　红`` → ``武红``)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not _invisible(ch))


def _folded_with_map(text: str, drop_spaces: bool) -> tuple[str, list[int] | range]:
    """Per-character NFKC of ``text`` and, for each folded character, the index of its original character.

    Spaces become one ASCII space (or are dropped with ``drop_spaces``); format characters are dropped.
    Most text is already NFKC with no space or format character but ASCII spaces: it folds to itself.
    """
    if text.isprintable() and unicodedata.is_normalized("NFKC", text) and not (drop_spaces and " " in text):
        return text, range(len(text))
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if out.isspace() or unicodedata.category(out) in ("Zs", "Zl", "Zp"):
                if drop_spaces:
                    continue
                out = " "
            elif unicodedata.category(out) in ("Cf", "Cc"):
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


def _digits(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isascii() and ch.isdigit())


def mask_phone(phone: object) -> object:
    """13812341234 → 138****1234; any other number keeps its last four digits only (short ones: all ``*``)."""
    if not isinstance(phone, str) or not phone.strip() or "*" in phone:  # blank, or masked already
        return phone
    digits = _digits(phone)
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * max(len(digits), 1)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(number: object) -> object:
    """110101199003071234 → 110101********1234 (region kept, birth date hidden); short values all ``*``."""
    if not isinstance(number, str) or not number.strip():
        return number
    text = fold(number).upper()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


# --- free text -----------------------------------------------------------------------------------------------

_SEP = r"[ \-‐‑‒–—―()（）.]"
_DIGIT_RUN = re.compile(rf"(?<![0-9])[0-9](?:{_SEP}{{0,2}}[0-9])*(?:[xX](?![A-Za-z]))?")
_DATE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?:[-./年][0-9]{1,2}[-./月][0-9]{1,2}日?|[-./年][0-9]{1,2}月?)(?![0-9])")
_QUANTITY_AFTER = re.compile(r"\s*(?:元|万|亿|人|次|个|户|天|分|小时|份|件|册|米|平方|%|％)")


def _is_date_digits(d: str) -> bool:
    """20250301-like: eight digits that read as a plausible date."""
    return (len(d) == 8 and d[:2] in ("19", "20") and 1 <= int(d[4:6]) <= 12 and 1 <= int(d[6:]) <= 31)


def _mask_number(d: str) -> str | None:
    """The masked form of a digit run ``d`` (an ID number may end in X), or None when it is not personal."""
    if len(d) in (15, 18):
        return mask_id_number(d)
    if len(d) < 7 or not d[:-1].isdigit() or _is_date_digits(d):
        return None
    return mask_phone(d)


def _mask_numbers(text: str) -> str:
    if not any(map(str.isdigit, text)):
        return text
    folded, where = _folded_with_map(text, drop_spaces=False)
    scan = _DATE.sub(lambda m: "#" * len(m.group()), folded)
    spans = []
    for m in _DIGIT_RUN.finditer(scan):
        end = m.end()
        d = re.sub(r"[^0-9]", "", m.group())
        if m.group()[-1] in "xX":
            if len(d) == 17:
                d += "X"
            else:
                end -= 1
        masked = _mask_number(d)
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


class NameIndex:
    """The dataset's own people's names (folded, 2 characters or more), to find them in free text."""

    def __init__(self, names):
        self.names = {f for f in (fold(n) for n in names if isinstance(n, str)) if len(f) >= 2}
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)
        self.first = {n[0] for n in self.names}

    def mask(self, text: str) -> str:
        if not self.names or self.first.isdisjoint(unicodedata.normalize("NFKC", text)):
            return text
        folded, where = _folded_with_map(text, drop_spaces=True)
        spans, i = [], 0
        while i < len(folded):
            hit = None
            if folded[i] in self.first:
                hit = next((n for n in self.lengths if i + n <= len(folded) and folded[i:i + n] in self.names), None)
            if hit:
                spans.append((where[i], where[i + hit - 1] + 1, mask_name(folded[i:i + hit])))
                i += hit
            else:
                i += 1
        return _replace(text, spans)


def mask_text(text: object, names: NameIndex | None = None) -> object:
    """Free text with phone numbers, ID numbers and (given ``names``) the dataset's people masked."""
    if not isinstance(text, str) or not text:
        return text
    text = _mask_numbers(text)
    return names.mask(text) if names is not None else text


# --- frames and datasets -------------------------------------------------------------------------------------

MASKERS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id_number}


def mask_frame(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns masked; ``columns`` maps column → kind."""
    out = frame.copy(deep=False)  # copy-on-write: the masked columns are new, the others shared read-only
    for col, kind in columns.items():
        if col in out.columns:
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


def known_names(ds) -> NameIndex:
    """Every name in the dataset's name columns (each distinct value folded once)."""
    values: set = set()
    for table, cols in NAME_COLUMNS.items():
        frame = ds.frames.get(table)
        if frame is None:
            continue
        for col in cols:
            if col in frame.columns:
                values.update(frame[col].dropna().unique())
    return NameIndex(values)


def mask_dataset(ds):
    """A copy of the dataset that may leave the station: people's names, phones and ID numbers masked,
    and free text scanned for phones, ID numbers and the dataset's own people."""
    from ..domain.dataset import Dataset

    names = known_names(ds)
    frames = dict(ds.frames)
    for table in set(PERSONAL_TABLES) | set(FREE_TEXT_COLUMNS):
        frame = frames.get(table)
        if frame is None:
            continue
        frame = mask_frame(frame, PERSONAL_TABLES.get(table, {}))
        for col in FREE_TEXT_COLUMNS.get(table, ()):
            if col in frame.columns:
                frame[col] = _map(frame[col], lambda v: mask_text(v, names))
        frames[table] = frame
    for name in DECISION_FRAMES:  # an evaluator's note may name a person
        decisions = frames.get(name)
        if decisions is not None and len(decisions):
            frames[name] = decisions.assign(note=_map(decisions["note"], lambda v: mask_text(v, names)))
    out = Dataset.__new__(Dataset)  # every frame already has its declared dtypes: no second coercion
    out.frames = frames
    return out


def shared_dataset(engine, stations=None):
    """The stations' data as it may leave the station (``mask_dataset`` of ``storage.load_dataset``)."""
    from . import storage

    return mask_dataset(storage.load_dataset(engine, stations))
