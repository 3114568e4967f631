"""Masking personal data (names, phone numbers, ID numbers) for anything that leaves the station."""

from __future__ import annotations

import re

import pandas as pd

# Tables that hold people, and their personal columns by kind.
PERSONAL_TABLES = {
    "beneficiaries": {"name": "name", "phone": "phone", "id_number": "id_number"},
    "staff": {"name": "name"},
    "volunteers": {"name": "name", "phone": "phone"},
}


def mask_name(name: object) -> object:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明; blanks stay blank."""
    if not isinstance(name, str) or not name.strip():
        return name
    name = name.strip()
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: object) -> object:
    """13812341234 → 138****1234; a landline keeps its last four digits only."""
    if not isinstance(phone, str) or not phone.strip():
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_id_number(number: object) -> object:
    """110101199003071234 → 110101********1234 (region kept, birth date hidden)."""
    if not isinstance(number, str) or not number.strip():
        return number
    text = number.strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


MASKERS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id_number}


def mask_frame(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with the named columns masked; ``columns`` maps column → kind."""
    out = frame.copy()
    for col, kind in columns.items():
        if col in out.columns:
            out[col] = out[col].map(MASKERS[kind], na_action="ignore").astype(out[col].dtype)
    return out


def mask_dataset(ds):
    """A copy of the dataset with every person's name, phone and ID number masked."""
    from .dataset import Dataset

    frames = dict(ds.frames)
    for table, columns in PERSONAL_TABLES.items():
        frames[table] = mask_frame(frames[table], columns)
    return Dataset(frames)
