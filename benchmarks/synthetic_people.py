"""People for the synthetic province: names, phones, ID numbers, birth dates, and free text that names them.

``synthetic.province`` leaves people anonymous (its benchmarks measure counting, not masking);
``with_people(ds)`` gives every beneficiary, volunteer and staff member a plausible Chinese name (two to four
characters, some with a two-character surname), beneficiaries a mobile number, a birth date and an ID number
that agrees with it (valid check digit), volunteers a phone, each township station two supervision sessions
led by a named supervisor, and writes into some free text (内容摘要, 主要需求, 议题, 行动项) the people's
names, phones, ID numbers and birth dates the way people type them: with spaces, U+3000 or zero-width
characters inside a name, stars or dashes inside a phone, an ID number in groups, and people of other
stations. The linkage audit (``sgz privacy check``) runs on it (``tests/test_privacy_audit.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sgzlib.domain import schema
from sgzlib.domain.dataset import Dataset

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
DOUBLE = ["欧阳", "司马", "诸葛", "上官", "东方", "慕容"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫燚淼森宇轩浩然子涵欣怡梓晨")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def _names(rng, n: int) -> np.ndarray:
    surname = np.where(rng.random(n) < 0.05, np.array(DOUBLE)[rng.integers(0, len(DOUBLE), n)],
                       np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)])
    first = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    second = np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    return np.char.add(np.char.add(surname, first), second).astype(object)


def _mobiles(rng, n: int, prefix: str) -> np.ndarray:
    numbers = rng.choice(10 ** 8, n, replace=False)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), 8)).astype(object)


def id_number(region: str, birth: pd.Timestamp, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


def _typed_name(name: str, k: int) -> str:
    """A name as someone typed it: plain, with a space, U+3000 or a zero-width space between characters."""
    sep = ["", " ", "\u3000", "\u200b"][k % 4]
    return sep.join(name)


def _typed_phone(phone: str, k: int) -> str:
    return [phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]}*{phone[3:7]}*{phone[7:]}",
            f"{phone[:3]} {phone[3:7]} {phone[7:]}"][k % 4]


def with_people(ds: Dataset, seed: int = 11, mention_share: float = 0.05) -> Dataset:
    """``ds`` (a ``synthetic.province``) with people's personal data and free text that names them."""
    rng = np.random.default_rng(seed)
    frames = {k: v.copy() for k, v in ds.frames.items()}
    b = frames["beneficiaries"]
    n = len(b)
    births = pd.to_datetime("1930-01-01") + pd.to_timedelta(rng.integers(0, 88 * 365, n), unit="D")
    regions = {c: f"15{i % 100:02d}{(i // 100) % 100:02d}" for i, c in enumerate(sorted(frames["stations"]["district"].unique()))}
    district = b["station_code"].map(frames["stations"].set_index("code")["district"])
    b["name"] = _names(rng, n)
    b["gender"] = np.where(rng.random(n) < 0.5, "男", "女")
    b["birth_date"] = births.astype("datetime64[s]")
    b["phone"] = _mobiles(rng, n, "139")
    b["id_number"] = [id_number(regions[d], t, i % 1000) for i, (d, t) in enumerate(zip(district, births))]
    for table in ("staff", "volunteers"):
        frames[table]["name"] = _names(rng, len(frames[table]))
    frames["volunteers"]["phone"] = _mobiles(rng, len(frames["volunteers"]), "137")
    _supervisions(rng, frames)
    _mentions(rng, frames, mention_share)
    out = Dataset.__new__(Dataset)
    out.frames = {t.name: frames[t.name].astype({c.name: schema.PANDAS_DTYPES[c.kind] for c in t.columns})
                  for t in schema.TABLES}
    return out


def _supervisions(rng, frames) -> None:
    towns = frames["stations"].loc[frames["stations"]["level"] == "乡镇街道站", "code"].to_numpy()
    supervisors = _names(rng, max(1, len(towns) // 5 + 1))
    staff = frames["staff"].groupby("station_code")["name"].first()
    rows = []
    for i, code in enumerate(towns):
        for k in range(2):
            rows.append({"code": f"{code}-D{k + 1}", "station_code": code, "date": pd.Timestamp(f"2025-{4 + 4 * k:02d}-15"),
                         "supervisor": supervisors[i // 5], "form": "个别",
                         "topic": f"与{staff.get(code, '')}讨论个案", "action": "整理个案文书"})
    frames["supervisions"] = pd.DataFrame(rows).reindex(columns=schema.TABLE_BY_NAME["supervisions"].names)


def _mentions(rng, frames, share: float) -> None:
    """Free text naming people (some of other stations), with their phones, ID numbers and birth dates."""
    b = frames["beneficiaries"]
    people = b[["name", "phone", "id_number", "birth_date"]].to_numpy()
    s = frames["services"]
    chosen = np.flatnonzero(rng.random(len(s)) < share)
    texts = []
    for k in range(len(chosen)):
        name, phone, number, birth = people[rng.integers(0, len(people))]  # anyone, often of another station
        parts = [f"走访{_typed_name(name, k)}", f"电话{_typed_phone(phone, k)}"]
        if k % 3 == 0:
            parts.append(f"证件{number[:6]} {number[6:14]} {number[14:]}")
        if k % 5 == 0:
            parts.append(f"{pd.Timestamp(birth):%Y年%-m月%-d日}生")
        texts.append("，".join(parts))
    summary = s["summary"].astype(object).to_numpy().copy()
    summary[chosen] = texts
    s["summary"] = summary
    a = frames["assessments"]
    needs = a["needs"].astype(object).to_numpy().copy()
    by_code = b.set_index("code")
    picked = np.flatnonzero(rng.random(len(a)) < share)
    for k, idx in enumerate(picked):
        person = by_code.loc[a["beneficiary_code"].iat[idx]]
        needs[idx] = f"{_typed_name(person['name'], k + 1)}需要助餐，联系{_typed_phone(person['phone'], k + 1)}"
    a["needs"] = needs
    sup = frames["supervisions"]
    if len(sup):
        sup["action"] = [f"回访{_typed_name(people[i][0], i)}（{_typed_phone(people[i][1], i + 2)}）"
                         for i in rng.integers(0, len(people), len(sup))]
