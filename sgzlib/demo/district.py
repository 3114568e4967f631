"""The seeded synthetic demo district (云岭区), built with a fixed random seed.

One county hub, seven township stations with two village rooms each, one
2025 project per township station across the seed catalogues and both budget
tiers of seed 002, and a full year of ledgers. It carries on purpose the
problems supervisors hunt for; ``PLANTED`` lists them so tests, docs and
demos can point at them:

- 北岭街道 (YL04) is well behind pace: fewer services, cases and groups;
- stalled cases (no session since summer, still open);
- cases missing records (预估表, 评估表, a session without 过程记录表);
- groups with sessions below 6 attendees;
- services without a watermark photo, and one photo reused by two records;
- beneficiaries whose post-test is worse than their pre-test, and pre-tests
  with no post-test;
- overdue supervision action items;
- two recorded supervision sessions per township station (``RECORDED_SESSIONS``, the 督导议程记录 of the
  supervision cycle) with action items done, in progress, cancelled and overdue, and in the stations of
  ``overdue_action_stations`` a 督导记录 item carried over three sessions.
- one instance of each data-quality finding (a person on two rosters, a worker at two stations on one
  day, a month entered late, a 300-minute case session, a copied summary): ``PLANTED.quality``
  (``demo.quality``), with the first-seen date of every dated row;
- in 西山镇's photo folder and the 经费支出 sheets: see ``demo_photos.PHOTO_PLANTED``
  (a photo re-saved for a second record, photos taken weeks early or far away,
  photos never delivered, unused files, one expense against each spending rule).

Nothing here is a real person: names are drawn from common surnames and
given-name characters, phone numbers and ID numbers are made up (ID numbers
carry a valid GB 11643 check digit so validators treat them as well formed).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pandas as pd

from ..domain.dataset import Dataset
from ..domain.supervision_records import session_code
from ..domain.validation import validate
from . import photos as demo_photos
from . import quality as demo_quality

SEED = 20251231
YEAR = 2025
START = dt.date(YEAR, 1, 1)
END = dt.date(YEAR, 12, 31)
# The date the demo's supervision reports and dashboards look from (mid-year).
AS_OF = dt.date(YEAR, 10, 31)
DISTRICT = "云岭区"
HUB = "YL00"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉建国建华志强海燕春梅淑珍凤兰桂芝文博子涵浩宇欣怡雨桐梓轩一诺思远")

TOWNSHIPS = (
    # code, name, catalogue, tier, optional tasks
    ("YL01", "东湖街道", "zhalainuoer-2026", None, "特殊困难老年人探访"),
    ("YL02", "西山镇", "zhalainuoer-2026", None, "婚姻家庭辅导服务"),
    ("YL03", "南桥镇", "jiuyuan-2024", None, "社区治理、志愿服务项目、社会工作专业人才培养"),
    ("YL04", "北岭街道", "jiuyuan-2024", None, "社工站建设、社区治理、志愿服务规范化管理"),
    ("YL05", "清河镇", "civil-affairs-2024", "10万", None),
    ("YL06", "石门乡", "civil-affairs-2024", "20万", None),
    ("YL07", "桃源镇", "panzhihua-2021", None, None),
)
BEHIND = "YL04"
# Who supervises which station (the 督导者 of 社工站): each demo supervisor writes a digest of their own stations.
# Sessions are led by either of them (a colleague stands in), as the supervision records show.
SUPERVISOR_OF = {"YL01": "王督导", "YL02": "王督导", "YL03": "王督导", "YL04": "王督导", "YL05": "李督导",
                 "YL06": "李督导", "YL07": "李督导"}
VILLAGES = ("幸福社区", "和平村", "光明社区", "团结村", "新华社区", "红旗村", "永安社区", "长青村",
            "胜利村", "东风社区", "向阳村", "建设社区", "五星村", "民主社区")
PROVIDERS = ("云岭区益众社会工作服务中心", "云岭区同心社会工作服务社", "云岭区阳光社会工作事务所")

CARE_DOMAINS = {
    # domain: (roster category, sub-categories, share of the roster)
    "社会救助": ("社会救助", ("低保", "特困", "低收入"), 0.3),
    "养老服务": ("困难老人", ("独居", "空巢", "失能", "留守"), 0.3),
    "儿童关爱保护": ("困境儿童", ("留守", "困境", "流动"), 0.2),
    "扶残助残": ("残疾人", ("肢体", "精神", "智力"), 0.2),
}
SCALES_BY_DOMAIN = {
    "社会救助": ("SSRS", 12, 66, 1),
    "养老服务": ("UCLA-3", 20, 80, -1),
    "儿童关爱保护": ("SDQ", 0, 40, -1),
    "扶残助残": ("Barthel", 0, 100, 1),
}
CHECKLIST_ITEMS = ("人员管理制度", "财务管理制度", "志愿者管理制度", "服务场所使用管理制度", "文书档案管理制度",
                   "人员保密制度", "人员培训制度", "社工站组织架构图", "办公场所", "办公设备", "个案咨询室", "小组活动室")


@dataclass(frozen=True)
class Planted:
    """Where the demo's deliberate problems are, for tests and docs."""

    behind_station: str = BEHIND
    reused_photo: str = "YL02-2025-02-照片-0040.jpg"
    reused_by: tuple[str, str] = ("YL02-S0040", "YL02-S0041")
    stalled_cases: tuple[str, ...] = ("YL01-C03", "YL03-C02", "YL05-C04", "YL04-C01")
    cases_missing_records: tuple[str, ...] = ("YL01-C05", "YL02-C02", "YL06-C03")
    short_groups: tuple[str, ...] = ("YL01-G02", "YL03-G04", "YL06-G01")
    worsened: tuple[str, ...] = ("YL01-B0002", "YL03-B0004", "YL06-B0006")
    overdue_action_stations: tuple[str, ...] = ("YL01", "YL04", "YL06")
    # one instance of each data-quality finding (``analysis.quality``), see ``demo.quality``
    quality: demo_quality.QualityPlanted = demo_quality.QualityPlanted()


PLANTED = Planted()


class _Gen:
    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        self.rows: dict[str, list[dict]] = {}
        self.used_names: set[str] = set()

    def add(self, table: str, **row) -> dict:
        self.rows.setdefault(table, []).append(row)
        return row

    def name(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def phone(self) -> str:
        return self.rng.choice(("138", "139", "150", "151", "158", "177", "186", "189")) + \
            f"{self.rng.randrange(10**8):08d}"

    def id_number(self, birth: dt.date) -> str:
        body = f"150702{birth:%Y%m%d}{self.rng.randrange(1000):03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
        return body + check

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))


def build(seed: int = SEED, quality_problems: bool = True) -> Dataset:
    """The demo district as a validated ``Dataset``; the same seed gives the same data.

    ``quality_problems=False``: without the planted data-quality problems (``PLANTED.quality``), the rest
    unchanged (what the tests check gives no finding).
    """
    g = _Gen(seed)
    g.add("stations", code=HUB, name=f"{DISTRICT}社会工作服务总站", level="县区总站", parent_code=None,
          district=DISTRICT, provider=PROVIDERS[0])
    for i, (code, town, catalogue, tier, options) in enumerate(TOWNSHIPS):
        _station(g, i, code, town, catalogue, tier, options)
    demo_photos.expenses(g.rows)
    if quality_problems:
        demo_quality.plant(g.rows, PLANTED.quality)
    ds = validate(Dataset({name: pd.DataFrame(rows) for name, rows in g.rows.items()}))
    ds.frames["first_seen"] = demo_quality.first_seen_dates(ds, PLANTED.quality if quality_problems else None)
    return ds


def _station(g: _Gen, i: int, code: str, town: str, catalogue: str, tier: str | None, options: str | None) -> None:
    behind = code == BEHIND
    lat, lon = demo_photos.position(code)
    g.add("stations", code=code, name=f"{town}社会工作服务站", level="乡镇街道站", parent_code=HUB,
          district=DISTRICT, provider=PROVIDERS[i % len(PROVIDERS)], supervisors=SUPERVISOR_OF[code],
          latitude=lat, longitude=lon)
    for v in range(2):
        village = VILLAGES[(2 * i + v) % len(VILLAGES)]
        g.add("stations", code=f"{code}-V{v + 1}", name=f"{village}社会工作服务室", level="村社区室",
              parent_code=code, district=DISTRICT, provider=PROVIDERS[i % len(PROVIDERS)])
    budget = 200000 if tier == "20万" else 100000
    g.add("projects", code=f"P{YEAR}-{code}", station_code=code, year=YEAR, start=START, end=END,
          budget=budget, catalogue=catalogue, tier=tier, optional_tasks=options)
    staff = _staff(g, code, behind)
    roster = _roster(g, code, behind)
    _assessments(g, roster, behind)
    _services(g, code, roster, behind)
    cases = _cases(g, code, roster, staff, behind)
    groups = _groups(g, code, staff, behind)
    _measurements(g, code, roster, cases, groups)
    _organisations(g, code, behind)
    _charity(g, code, roster, behind)
    _checklist(g, code, behind)
    _supervisions(g, code, cases)
    _catalogue_extras(g, code, catalogue, behind)
    _recorded_sessions(g, code, staff)


def _staff(g: _Gen, code: str, behind: bool) -> list[str]:
    certs = ("无", "助理社会工作师") if behind else ("社会工作师", "助理社会工作师", "无")
    out = []
    for k, cert in enumerate(certs, 1):
        sc = f"{code}-W{k}"
        g.add("staff", code=sc, name=g.name(), station_code=code, role="站长" if k == 1 else "驻站社工",
              certificate=cert, joined=dt.date(YEAR - 1 - k % 2, 3 + k, 1), left=None)
        out.append(sc)
    return out


def _roster(g: _Gen, code: str, behind: bool) -> list[dict]:
    size = 48 if behind else g.rng.randint(70, 90)
    roster = []
    n = 0
    for domain, (category, subs, share) in CARE_DOMAINS.items():
        for _ in range(round(size * share)):
            n += 1
            age = {"困难老人": (62, 92), "困境儿童": (6, 16)}.get(category, (25, 70))
            birth = dt.date(YEAR - g.rng.randint(*age), g.rng.randint(1, 12), g.rng.randint(1, 28))
            joined = START if g.rng.random() < 0.85 else g.day(dt.date(YEAR, 2, 1), dt.date(YEAR, 8, 31))
            sub = g.rng.choice(subs)
            row = g.add("beneficiaries", code=f"{code}-B{n:04d}", name=g.name(), gender=g.rng.choice("男女"),
                        birth_date=birth, phone=g.phone(), id_number=g.id_number(birth), station_code=code,
                        category=category, subcategory=sub, joined=joined, left=None,
                        follow_up=sub in ("特困", "独居", "失能", "留守", "精神") or g.rng.random() < 0.15)
            roster.append({**row, "domain": domain})
    return roster


def _assessments(g: _Gen, roster: list[dict], behind: bool) -> None:
    share = 0.6 if behind else 0.97
    for b in roster:
        if g.rng.random() > share:
            continue
        date = g.day(max(b["joined"], START), min(b["joined"] + dt.timedelta(days=75), END))
        g.add("assessments", beneficiary_code=b["code"], date=date,
              method="入户" if g.rng.random() < 0.9 else "电话", assessor=None,
              needs=g.rng.choice(("生活照料", "经济救助", "心理疏导", "政策咨询", "康复训练", "课业辅导", "就业援助")),
              risk=g.rng.choices(("低", "中", "高"), (6, 3, 1))[0])


def _months():
    return [dt.date(YEAR, m, 1) for m in range(1, 13)]


def _month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _services(g: _Gen, code: str, roster: list[dict], behind: bool) -> None:
    counter = {"n": 0}

    def service(date, domain, category, people=(), attendance=None, photo=True, place=None, summary=None):
        counter["n"] += 1
        rid = f"{code}-S{counter['n']:04d}"
        photos = f"{code}-{date:%Y-%m}-照片-{counter['n']:04d}.jpg" if photo else None
        g.add("services", code=rid, station_code=code, date=date, domain=domain, category=category,
              beneficiary_codes="、".join(people) or None, attendance=attendance or max(len(people), 1),
              place=place or g.rng.choice(("社工站", "服务对象家中", "社区活动室", "村委会")),
              summary=summary or f"{domain}{category}", photos=photos, uploaded=g.rng.random() < 0.9)
        return rid

    by_domain = {d: [b for b in roster if b["domain"] == d] for d in CARE_DOMAINS}
    for month in _months():
        last = _month_end(month)
        for domain, people in by_domain.items():
            for category in ("资源链接", "关爱帮扶"):
                n = g.rng.choice((0, 1, 2)) if behind else g.rng.choice((2, 2, 3))
                for _ in range(n):
                    who = [p["code"] for p in g.rng.sample(people, k=min(len(people), g.rng.randint(1, 3)))
                           if p["joined"] <= month]
                    service(g.day(month, last), domain, category, who,
                            photo=g.rng.random() > (0.08 if behind else 0.03))
            if month.month % 3 == 1:
                service(g.day(month, last), domain, "需求调研", attendance=g.rng.randint(8, 30))
        for category, domain, per_month in (("组织活动", "社区社会组织", 2), ("骨干培训", "社区社会组织", 1),
                                            ("志愿服务活动", "志愿服务", 2), ("社区服务", "社区治理", 1),
                                            ("政策宣传", "社会救助", 1)):
            n = per_month - (g.rng.random() < 0.5 if behind else 0)
            for _ in range(n):
                service(g.day(month, last), domain, category, attendance=g.rng.randint(10, 60))
        if month.month % 3 == 2:
            service(g.day(month, last), "社区治理", "居民需求调查", attendance=g.rng.randint(20, 80))
            service(g.day(month, last), "慈善资源", "慈善推介", attendance=g.rng.randint(15, 50))
        if month.month in (4, 10):
            service(g.day(month, last), "社区治理", "议事协商", attendance=g.rng.randint(12, 25))
        if month.month in (3, 6, 9, 12):
            service(g.day(month, last), "专业人才", "专业培训", attendance=g.rng.randint(15, 30))
    # Follow-up visits: every tracked person, each quarter (the behind station misses many).
    for b in roster:
        if not b["follow_up"]:
            continue
        for q in range(4):
            first = dt.date(YEAR, 3 * q + 1, 1)
            if b["joined"] > first or (behind and g.rng.random() < 0.4):
                continue
            for _ in range(g.rng.choice((1, 1, 2))):
                service(g.day(first, _month_end(dt.date(YEAR, 3 * q + 3, 1))), b["domain"], "跟踪回访", [b["code"]],
                        place="服务对象家中")
    if code == "YL02":
        _plant_reused_photo(g)


def _plant_reused_photo(g: _Gen) -> None:
    rows = {r["code"]: r for r in g.rows["services"] if r["station_code"] == "YL02"}
    first, second = (rows[c] for c in PLANTED.reused_by)
    first["photos"] = second["photos"] = PLANTED.reused_photo


def _cases(g: _Gen, code: str, roster: list[dict], staff: list[str], behind: bool) -> list[dict]:
    per_domain = 1 if behind else 6
    cases, n = [], 0
    for domain in CARE_DOMAINS:
        people = [b for b in roster if b["domain"] == domain and b["joined"] == START]
        for person in g.rng.sample(people, k=per_domain):
            n += 1
            cc = f"{code}-C{n:02d}"
            opened = g.day(dt.date(YEAR, 1, 10), dt.date(YEAR, 6, 30))
            sessions = g.rng.randint(5, 8)
            stalled = cc in PLANTED.stalled_cases
            missing = cc in PLANTED.cases_missing_records
            if stalled:
                opened, sessions = dt.date(YEAR, 4, 10) + dt.timedelta(days=n), 3
            if behind and not stalled:
                sessions = g.rng.randint(2, 4)
            cases.append(_one_case(g, cc, code, person, domain, staff, opened, sessions, stalled, missing))
    return cases


def _one_case(g: _Gen, cc: str, code: str, person: dict, domain: str, staff: list[str], opened: dt.date,
              n_sessions: int, stalled: bool, missing: bool) -> dict:
    assessed = opened + dt.timedelta(days=g.rng.randint(3, 10))
    agreed = assessed + dt.timedelta(days=g.rng.randint(2, 7))
    day = agreed + dt.timedelta(days=g.rng.randint(3, 10))
    dates = []
    for _ in range(n_sessions):
        dates.append(day)
        day += dt.timedelta(days=g.rng.randint(10, 21))
    closes = not stalled and n_sessions >= 5 and dates[-1] + dt.timedelta(days=20) <= AS_OF
    evaluated = dates[-1] + dt.timedelta(days=g.rng.randint(3, 10)) if closes else None
    closed = evaluated + dt.timedelta(days=g.rng.randint(2, 8)) if closes else None
    referral = closes and g.rng.random() < 0.1
    risk = g.rng.choices(("低", "中", "高"), (5, 3, 2))[0]
    g.add("cases", code=cc, station_code=code, beneficiary_code=person["code"], domain=domain,
          worker_code=g.rng.choice(staff), opened=opened, assessed=assessed, agreement=agreed, planned=agreed,
          evaluated=evaluated, closed=closed, close_reason=("转介" if referral else "目标达成") if closes else None,
          referral_to="区残疾人联合会" if referral else None, risk=risk,
          exemplary=closes and g.rng.random() < 0.2)
    kinds = {"接案记录表": opened, "预估表": assessed, "服务协议": agreed, "工作计划表": agreed,
             "评估表": evaluated, "结案表": closed}
    if missing:
        kinds["预估表"] = None
        kinds["评估表"] = None
    for kind, date in kinds.items():
        if date is not None:
            g.add("case_records", case_code=cc, kind=kind, date=date)
    for seq, date in enumerate(dates, 1):
        g.add("case_sessions", case_code=cc, seq=seq, date=date,
              mode=g.rng.choice(("面谈", "入户", "入户", "电话")), minutes=g.rng.choice((45, 60, 90)),
              process_record=not (missing and seq == 2), photos=f"{cc}-第{seq}节.jpg")
    return {"code": cc, "beneficiary": person["code"], "domain": domain, "opened": opened,
            "closed": closed, "last": dates[-1], "stalled": stalled}


def _groups(g: _Gen, code: str, staff: list[str], behind: bool) -> list[dict]:
    per_domain = 1 if behind else 7
    themes = {"社会救助": "自强互助", "养老服务": "乐龄健康", "儿童关爱保护": "快乐成长", "扶残助残": "康复同行"}
    groups, n = [], 0
    for domain in CARE_DOMAINS:
        for k in range(per_domain):
            n += 1
            gc = f"{code}-G{n:02d}"
            start = g.day(dt.date(YEAR, 2, 1), dt.date(YEAR, 7, 31))
            sessions = g.rng.randint(2, 4) if behind else g.rng.randint(5, 7)
            dates = [start + dt.timedelta(days=7 * s) for s in range(sessions)]
            short = gc in PLANTED.short_groups
            attendance = [g.rng.randint(6, 14) for _ in dates]
            if short:
                attendance[1], attendance[2], attendance[-1] = 4, 3, 5
            if behind:
                attendance = [g.rng.randint(3, 8) for _ in dates]
            ended = dates[-1] + dt.timedelta(days=10)
            g.add("groups", code=gc, station_code=code, domain=domain, name=f"{themes[domain]}小组（第{k + 1}期）",
                  kind=g.rng.choice(("支持小组", "成长小组", "兴趣小组", "互助小组")), leader_code=g.rng.choice(staff),
                  plan_date=start - dt.timedelta(days=7), report_date=ended if ended <= AS_OF and not behind else None,
                  exemplary=g.rng.random() < 0.1)
            for seq, (date, people) in enumerate(zip(dates, attendance), 1):
                g.add("group_sessions", group_code=gc, seq=seq, date=date, attendance=people, unit_plan=True,
                      process_record=True, sign_in=g.rng.random() > 0.05, photos=f"{gc}-第{seq}节.jpg")
            groups.append({"code": gc, "domain": domain, "start": start, "end": dates[-1]})
    return groups


def _measurements(g: _Gen, code: str, roster: list[dict], cases: list[dict], groups: list[dict]) -> None:
    taken: set[tuple] = set()

    def free(person, scale, phase, date):
        while (person, scale, phase, date) in taken:
            date += dt.timedelta(days=1)
        taken.add((person, scale, phase, date))
        return date

    def pair(person, domain, pre_date, post_date, case_code=None, group_code=None, worsen=False):
        scale, low, high, direction = SCALES_BY_DOMAIN[domain]
        span = high - low
        pre = g.rng.randint(low + span // 5, low + span // 2) if direction > 0 else \
            g.rng.randint(low + span // 2, high - span // 5)
        change = g.rng.randint(max(1, span // 20), max(2, span // 6)) * (-1 if worsen else 1) * direction
        if not worsen and g.rng.random() < 0.15:
            change = 0
        g.add("measurements", beneficiary_code=person, scale=scale, phase="前测",
              date=free(person, scale, "前测", pre_date), score=pre,
              case_code=case_code, group_code=group_code)
        if post_date is not None:
            post = min(high, max(low, pre + change))
            g.add("measurements", beneficiary_code=person, scale=scale, phase="后测",
                  date=free(person, scale, "后测", post_date), score=post,
                  case_code=case_code, group_code=group_code)

    for c in cases:
        worsen = c["beneficiary"] in PLANTED.worsened
        post = c["closed"] or (None if c["stalled"] else c["last"])
        pair(c["beneficiary"], c["domain"], c["opened"], post, case_code=c["code"], worsen=worsen)
    planted = [p for p in PLANTED.worsened if p.startswith(code) and p not in {c["beneficiary"] for c in cases}]
    by_domain = {d: [b for b in roster if b["domain"] == d and b["code"] not in planted and b["joined"] == START]
                 for d in CARE_DOMAINS}
    for grp in groups:
        members = g.rng.sample(by_domain[grp["domain"]], k=min(4, len(by_domain[grp["domain"]])))
        for k, m in enumerate(members):
            no_post = k == 3 and g.rng.random() < 0.5
            pair(m["code"], grp["domain"], grp["start"], None if no_post else grp["end"], group_code=grp["code"])
    for person in planted:
        b = next(b for b in roster if b["code"] == person)
        pair(person, b["domain"], dt.date(YEAR, 3, 2), dt.date(YEAR, 9, 15), worsen=True)


def _organisations(g: _Gen, code: str, behind: bool) -> None:
    kinds = (("功能服务型", "社区服务类"), ("功能服务型", "公益慈善类"), ("功能服务型", "居民互助类"),
             ("兴趣爱好志愿服务型", "文体活动类"), ("兴趣爱好志愿服务型", "志愿服务类"), ("兴趣爱好志愿服务型", "文体活动类"),
             ("功能服务型", "志愿服务类"))
    names = ("邻里互助会", "爱心帮帮团", "夕阳红志愿队", "广场舞队", "巾帼志愿服务队", "书画协会", "平安巡逻队")
    for k, ((cult, kind), name) in enumerate(zip(kinds[:4] if behind else kinds, names), 1):
        g.add("community_orgs", code=f"{code}-O{k}", station_code=code, name=name, org_type=kind,
              cultivation_type=cult, reformed_community=k % 3 == 0, started=g.day(START, dt.date(YEAR, 6, 30)),
              has_rules=not (behind and k > 2), core_members=g.rng.randint(3, 12),
              registered=None if k > 2 else g.day(dt.date(YEAR, 7, 1), dt.date(YEAR, 10, 31)))
    for k in range(1, (18 if behind else g.rng.randint(32, 45)) + 1):
        g.add("volunteers", code=f"{code}-V{k:03d}", station_code=code, name=g.name(), phone=g.phone(),
              registered_on=g.day(START, dt.date(YEAR, 9, 30)), national_system=g.rng.random() < 0.9)


def _charity(g: _Gen, code: str, roster: list[dict], behind: bool) -> None:
    for k in range(1, (2 if behind else 4) + 1):
        g.add("charity_funds", code=f"{code}-F{k}", station_code=code, date=g.day(START, dt.date(YEAR, 10, 31)),
              amount=float(g.rng.randrange(2000, 9000, 500)), source="云岭区慈善总会",
              use=("共募资金", "专项基金", "慈善项目", "共募资金")[k - 1])
    for q in range(4):
        if behind and q % 2:
            continue
        first = dt.date(YEAR, 3 * q + 1, 1)
        person = g.rng.choice([b for b in roster if b["joined"] == START])
        g.add("charity_aid", code=f"{code}-A{q + 1}", station_code=code,
              date=g.day(first, _month_end(dt.date(YEAR, 3 * q + 3, 1))), beneficiary_code=person["code"],
              amount=float(g.rng.choice((800, 1000, 1500, 2000, 3000))), content="慈善救助金发放")


def _checklist(g: _Gen, code: str, behind: bool) -> None:
    for k, item in enumerate(CHECKLIST_ITEMS):
        done = not (behind and k % 3 == 0)
        g.add("checklist", station_code=code, item=item, done=done,
              done_date=dt.date(YEAR, 1, 15) + dt.timedelta(days=3 * k) if done else None,
              evidence=f"{item}上墙照片.jpg" if done else None)


def _supervisions(g: _Gen, code: str, cases: list[dict]) -> None:
    topics = ("个案服务进展", "小组招募与签到", "台账规范", "需求评估质量", "慈善资源链接", "服务记录上传")
    for k, month in enumerate(range(2, 11, 2), 1):
        date = dt.date(YEAR, month, 12 + k)
        chosen = cases[k % len(cases)]
        case = chosen["code"] if chosen["opened"] <= date else None
        due = date + dt.timedelta(days=30)
        overdue = code in PLANTED.overdue_action_stations and month >= 6
        status = "进行中" if overdue else ("已完成" if due <= AS_OF else "进行中")
        g.add("supervisions", code=f"{code}-D{k}", station_code=code, date=date, supervisor="王督导" if k % 2 else "李督导",
              form=("个别", "团体", "现场")[k % 3], topic=topics[k % len(topics)], case_codes=case,
              action=f"{topics[k % len(topics)]}：整改并补齐材料", action_due=due, action_status=status)



# The two recorded sessions of every township station (the supervision cycle's 督导议程记录).
RECORDED_SESSIONS = (dt.date(YEAR, 9, 18), dt.date(YEAR, 10, 20))


def _recorded_sessions(g: _Gen, code: str, staff: list[str]) -> None:
    """Two recorded sessions with their agenda items and action item history (no RNG: other rows stay as they are).

    Session 1 sets two action items and reviews the open 督导记录 items; session 2 closes one, keeps one in
    progress, sets two more (one already past due by ``AS_OF``) and cancels the 督导记录 item of October in
    half of the stations. In the stations of ``overdue_action_stations`` the June item (D3) is still in
    progress at the August 督导记录 session and at both recorded sessions: carried over three times.
    """
    first, second = RECORDED_SESSIONS
    s1, s2 = session_code(code, first), session_code(code, second)
    owner, other = staff[0], staff[-1]
    planted = code in PLANTED.overdue_action_stations
    odd = int(code[-1]) % 2 == 1

    def item(session, date, no, topic, text, why, discussion, decision, action=None, action_code=None, who=None,
             due=None, status=None, supervisor="王督导"):
        g.add("supervision_items", session_code=session, item_no=no, station_code=code, date=date, supervisor=supervisor,
              level="重要", topic=topic, item=text, why=why, records=None, discussion=discussion, decision=decision,
              action_code=action_code, action=action, owner_code=who, due=due, status=status)
        if action_code:
            g.add("action_history", action_code=action_code, session_code=session, station_code=code, date=date,
                  item_no=no, status=status)

    item(s1, first, 1, "个案", "停滞个案逐案研判", "超过 30 天无服务或文书进展", "逐案梳理停滞原因", "本月内恢复联系",
         "停滞个案逐案制定跟进计划", f"{s1}-01", owner, dt.date(YEAR, 10, 10), "未开始")
    item(s1, first, 2, "台账规范", "个案文书缺失", "按所处阶段应有的文书未完成", "核对文书清单", "补齐文书",
         "补齐缺失的个案文书", f"{s1}-02", other, dt.date(YEAR, 11, 30), "未开始")
    item(s1, first, 3, "服务成效", "前后测安排", "部分对象无后测", "讨论后测时间", "下次督导再议")
    no = 4
    legacy = [("D3", "进行中")] if planted else []
    if planted:
        legacy.append(("D4", "进行中"))
        g.add("action_history", action_code=f"{code}-D3", session_code=session_code(code, dt.date(YEAR, 8, 16)),
              station_code=code, date=dt.date(YEAR, 8, 16), item_no=None, status="进行中")
    for d, status in legacy:
        item(s1, first, no, "督导行动项", f"复核行动项 {code}-{d}", "上次督导的行动项", "仍在整改", "继续跟进",
             "整改并补齐材料", f"{code}-{d}", owner, None, status)
        no += 1
    item(s2, second, 1, "督导行动项", f"复核行动项 {s1}-01", "上次督导的行动项", "已恢复联系并制定计划", "完成",
         "停滞个案逐案制定跟进计划", f"{s1}-01", owner, dt.date(YEAR, 10, 10), "已完成", "李督导")
    item(s2, second, 2, "督导行动项", f"复核行动项 {s1}-02", "上次督导的行动项", "已补齐一半", "继续",
         "补齐缺失的个案文书", f"{s1}-02", other, dt.date(YEAR, 11, 30), "进行中", "李督导")
    item(s2, second, 3, "服务成效", "有前测无后测", "无法比较前后测", "排出补测时间", "本月完成补测",
         "安排前测未后测对象补测", f"{s2}-03", other, dt.date(YEAR, 11, 20), "未开始", "李督导")
    item(s2, second, 4, "佐证材料", "签到表不全", "室内活动须有含联系电话的签到表", "核对签到表", "一周内补齐",
         "整理小组签到表", f"{s2}-04", owner, dt.date(YEAR, 10, 27), "进行中", "李督导")
    no = 5
    for d, status in legacy:
        item(s2, second, no, "督导行动项", f"复核行动项 {code}-{d}", "上次督导的行动项", "仍未完成", "继续跟进",
             "整改并补齐材料", f"{code}-{d}", owner, None, status, "李督导")
        no += 1
    item(s2, second, no, "督导行动项", f"复核行动项 {code}-D5", "上次督导的行动项", "情况变化" if odd else "推进中",
         "取消" if odd else "继续", "整改并补齐材料", f"{code}-D5", owner, None, "已取消" if odd else "进行中", "李督导")


def _catalogue_extras(g: _Gen, code: str, catalogue: str, behind: bool) -> None:
    """Records some catalogues count that the rest of the generator does not make.

    Monthly charity projects (服务类别 慈善项目) everywhere, self-chosen-item
    services (领域 自选) where the catalogue asks for them, and a charity aid
    in every month where the catalogue counts aid per month. Drawn from an RNG
    of their own and appended last, so every other row of the demo is unchanged.
    """
    rng = random.Random(f"{SEED}-{code}-extras")
    n = sum(1 for r in g.rows["services"] if r["station_code"] == code)

    def service(month, domain, category, summary):
        nonlocal n
        n += 1
        date = month + dt.timedelta(days=rng.randrange(_month_end(month).day))
        g.add("services", code=f"{code}-S{n:04d}", station_code=code, date=date, domain=domain, category=category,
              beneficiary_codes=None, attendance=rng.randint(8, 40), place=rng.choice(("社工站", "社区活动室", "村委会")),
              summary=summary, photos=f"{code}-{date:%Y-%m}-照片-{n:04d}.jpg", uploaded=True)

    aid_months = {r["date"].month for r in g.rows["charity_aid"] if r["station_code"] == code}
    roster = [r["code"] for r in g.rows["beneficiaries"] if r["station_code"] == code and r["joined"] == START]
    for month in _months():
        if not behind or month.month % 2:
            service(month, "慈善资源", "慈善项目", "社区慈善项目")
        if catalogue == "zhalainuoer-2026":
            for _ in range(2 + (rng.random() < 0.3)):
                service(month, "自选", "关爱帮扶", "自选项目服务")
        if catalogue == "civil-affairs-2024" and month.month not in aid_months:
            date = month + dt.timedelta(days=rng.randrange(_month_end(month).day))
            g.add("charity_aid", code=f"{code}-A{month.month + 4:02d}", station_code=code, date=date,
                  beneficiary_code=rng.choice(roster), amount=float(rng.choice((500, 1000, 1200, 2000))),
                  content="慈善救助物资与救助金发放")
