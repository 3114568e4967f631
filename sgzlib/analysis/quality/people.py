"""The same person on two township stations' rosters, and which indicators count that person at each."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pandas as pd

from ...domain import schema
from ...domain.dataset import split_list
from ...domain.vocab import LIST_SEPARATOR
from .findings import finding_frame

KIND_WORDS = {"id": "身份证号相同", "name_birth": "姓名和出生日期相同", "name_phone": "姓名和联系电话相同"}
ROSTER = schema.TABLE_BY_NAME["beneficiaries"].sheet


def duplicate_people(ds, index, evaluation=None) -> pd.DataFrame:
    """One finding per roster member of ``ds`` whose identity key is on another township station's roster.

    The keys (``index.people``) compare ID numbers, or names with birth dates, or names with phones, after
    folding full-width characters and spaces. The finding names both stations and both codes and, from the
    engine's explanations of ``evaluation``, the indicators of this station that counted this person's
    records (roster, services naming them, their cases, charity aid to them): counted again at the other.
    """
    people = index.people
    if people.empty or ds.beneficiaries.empty:
        return finding_frame([])
    keys, counts = np.unique(people["key"].to_numpy(dtype=np.uint64), return_counts=True)
    shared = people[people["key"].isin(keys[counts > 1])]  # a key held by one roster row cannot match another
    local = shared[shared["beneficiary_code"].isin(ds.beneficiaries["code"].to_numpy(dtype=object))]
    pairs = local.merge(shared, on="key", suffixes=("", "_other"))
    pairs = pairs[pairs["station_code"] != pairs["station_code_other"]]
    if pairs.empty:
        return finding_frame([])
    counted = indicators_counting(ds, evaluation, set(pairs["beneficiary_code"])) if evaluation is not None else {}
    rows = []
    keys = ["beneficiary_code", "beneficiary_code_other"]
    for (code, other), g in pairs.groupby(keys, sort=True):
        first = g.iloc[0]
        why = "、".join(dict.fromkeys(KIND_WORDS[k] for k in g["kind"]))
        ids = counted.get(code, ())
        rows.append({
            "check": "duplicate_person", "station_code": first["station_code"], "station_name": first["station_name"],
            "month": None, "why": f"服务对象 {code}（{first['station_name']}）与 {other}（{first['station_name_other']}）"
                                  f"{why}，同一人在两个站点的名单上，两站各自计数会重复；"
                                  + counted_words(first["station_name"], ids),
            "records": f"{ROSTER} {code}", "n_records": 1, "other_station": first["station_code_other"],
            "other_records": f"{ROSTER} {other}", "indicators": "、".join(ids) or None})
    return finding_frame(rows)


def counted_words(station_name: str, ids) -> str:
    return f"{station_name}计入此人记录的指标：{'、'.join(ids) if ids else '无'}"


def indicators_counting(ds, evaluation, codes: set[str]) -> dict[str, tuple[str, ...]]:
    """Beneficiary code → the indicator ids whose counted explanation rows are that person's records: the
    person on a roster (服务对象), services naming them, their cases, charity aid to them."""
    tables = schema.TABLE_BY_NAME
    s = ds.services
    listed = s["beneficiary_codes"].dropna()
    text = listed.to_numpy(dtype=object)
    several = np.fromiter(map(operator.contains, text, itertools.repeat(LIST_SEPARATOR)), dtype=bool, count=len(text))
    one = pd.Series(np.fromiter(map(str.strip, text[~several]), dtype=object, count=int((~several).sum())),
                    index=listed.index[~several], dtype=object)
    named = pd.concat([one, split_list(listed[several])])  # most rows name one person: no split needed
    named = named[named.isin(codes)]
    records = [pd.DataFrame({"record_table": ROSTER, "record_id": sorted(codes), "beneficiary_code": sorted(codes)}),
               pd.DataFrame({"record_table": tables["services"].sheet,
                             "record_id": s.loc[named.index, "code"].astype(object).to_numpy(),
                             "beneficiary_code": named.to_numpy()})]
    for table in ("cases", "charity_aid"):
        f = ds[table]
        f = f[f["beneficiary_code"].isin(codes)]
        records.append(pd.DataFrame({"record_table": tables[table].sheet, "record_id": f["code"].astype(object),
                                     "beneficiary_code": f["beneficiary_code"].astype(object)}))
    records = pd.concat(records, ignore_index=True)
    e = evaluation.explanations
    e = e[e["counted"].to_numpy(dtype=bool) & e["record_id"].isin(set(records["record_id"]))]
    hits = e[["record_table", "record_id", "indicator_id"]].astype(object).merge(records, on=["record_table", "record_id"])
    return {code: tuple(dict.fromkeys(sorted(g["indicator_id"]))) for code, g in hits.groupby("beneficiary_code")}
