"""A synthetic province for benchmarks: many township stations, one year of ledgers, built with numpy.

``province(n_stations)`` returns a ``Dataset`` whose frames already have the
declared dtypes (no row-by-row Python): 1,000 stations give about two million
service records. The four seed catalogues and both tiers of seed 002 are
spread over the stations in turn. Values are random but plausible, so every
rule kind has work to do (missing and reused photos, short group sessions,
incomplete case records, follow-up ledgers, charity aid below 1,000 yuan).

Service records follow the seasons of a station's year (``day_weights``), so
that a forecast from the pace so far has something to get wrong: a dip around
the Spring Festival (which moves between late January and mid-February from
year to year), a dip in the National Day week, a summer peak of children's
activities while schools are out, and a year-end push. Stations differ in how
busy they are, how deep their dips and how strong their pushes, and whether
they speed up or slow down in the second half of the year. Everything is drawn
from the seed, so the same arguments give the same province.

``province(n, history=True)`` adds the previous year's contract of every
station (projects ``P2024-…``, records coded ``…-HS…``, ``…-HC…``), drawn from
a generator of its own so the current year's rows are the same with or without
it: what a forecast may learn the seasons from (``benchmarks/bench_forecast.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sgzlib.domain import schema
from sgzlib.domain.dataset import Dataset

YEAR = 2025
START, END = np.datetime64(f"{YEAR}-01-01", "D"), np.datetime64(f"{YEAR}-12-31", "D")
CATALOGUES = (("zhalainuoer-2026", None, "特殊困难老年人探访"), ("jiuyuan-2024", None, "O3、O9、O7"),
              ("civil-affairs-2024", "10万", None), ("civil-affairs-2024", "20万", None), ("panzhihua-2021", None, None))
CARE = ("社会救助", "养老服务", "儿童关爱保护", "扶残助残")
ROSTER = ("社会救助", "困难老人", "困境儿童", "残疾人")
# (domain, category, services per station per month)
MONTHLY = [(d, c, 15) for d in CARE for c in ("资源链接", "关爱帮扶")] + [
    ("社区社会组织", "组织活动", 6), ("社区社会组织", "骨干培训", 1), ("志愿服务", "志愿服务活动", 6),
    ("社区治理", "社区服务", 4), ("社区治理", "居民需求调查", 1), ("社会救助", "政策宣传", 4),
    ("慈善资源", "慈善项目", 2), ("慈善资源", "慈善推介", 1), ("自选", "关爱帮扶", 4), ("社区治理", "议事协商", 1)]
# The Spring Festival (春节, first day of the lunar year) of the years a province may hold.
SPRING_FESTIVAL = {2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17"}
SUMMER_DOMAIN = "儿童关爱保护"


@dataclass(frozen=True)
class Year:
    """One contract year of the province: its dates, and the tag its record codes carry (``""`` for the
    evaluated year, ``"H"`` for the history year: ``T0001-HS0000001``)."""

    year: int
    tag: str = ""

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-01-01", "D")

    @property
    def end(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-12-31", "D")

    def day(self, month_day: str) -> np.datetime64:
        return np.datetime64(f"{self.year}-{month_day}", "D")


@dataclass(frozen=True)
class Traits:
    """How each station's year goes (one value per station): ``busy`` scales every count; the rest shape
    the seasons (``day_weights``)."""

    busy: np.ndarray  # lognormal around 1: how much a station does, kept from year to year
    dip: np.ndarray  # activity left in the Spring Festival weeks (0.2–0.5)
    push: np.ndarray  # year-end push, mid-November to Christmas (1.15–1.6)
    summer: np.ndarray  # children's activities in the summer holidays (1.4–2.2)
    trend: np.ndarray  # the second half of the year against the first (lognormal around 1)


def traits(rng, busy: np.ndarray) -> Traits:
    n = len(busy)
    return Traits(busy, rng.uniform(0.2, 0.5, n), rng.uniform(1.15, 1.6, n), rng.uniform(1.4, 2.2, n),
                  rng.lognormal(0.0, 0.2, n))


def day_weights(y: Year, t: Traits, summer: bool = False) -> np.ndarray:
    """Relative activity of each station (rows) on each day of the year (columns), 1 on an ordinary day.

    Spring Festival: the week before to two weeks after (``dip``); National Day week, 1–7 October: 0.4;
    year-end push, 15 November – 25 December (``push``); with ``summer``, 10 July – 31 August (``summer``);
    from 1 July on, times ``trend``.
    """
    days = np.arange(y.start, y.end + 1)
    w = np.ones((len(t.busy), len(days)))
    sf = np.datetime64(SPRING_FESTIVAL[y.year], "D")
    spans = [((sf - 7, sf + 14), t.dip), ((y.day("10-01"), y.day("10-07")), np.full(len(t.busy), 0.4)),
             ((y.day("11-15"), y.day("12-25")), t.push)]
    if summer:
        spans.append(((y.day("07-10"), y.day("08-31")), t.summer))
    for (lo, hi), factor in spans:
        w[:, (days >= lo) & (days <= hi)] *= factor[:, None]
    w[:, days >= y.day("07-01")] *= t.trend[:, None]
    return w


def seasonal_days(rng, owner: np.ndarray, weights: np.ndarray, y: Year) -> np.ndarray:
    """One date per record of station ``owner``, drawn from that station's day weights (inverse CDF over all
    stations at once: station k's cumulative shares are shifted by k, so one sorted search serves all)."""
    n_days = weights.shape[1]
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:] + np.arange(len(weights))[:, None]
    flat = np.searchsorted(cdf.ravel(), rng.random(len(owner)) + owner, side="right")
    day = np.clip(flat - owner * n_days, 0, n_days - 1)
    return (y.start + day).astype("datetime64[s]")


def _codes(prefix: np.ndarray, sep: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(np.char.add(prefix.astype(str), sep), np.char.zfill(numbers.astype(str), width)).astype(object)


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """A frame with the table's columns in their declared dtypes (columns not given are blank)."""
    t = schema.TABLE_BY_NAME[table]
    n = len(next(iter(columns.values())))
    blank = schema.empty_frame(t)
    return pd.DataFrame({c.name: pd.Series(columns[c.name]).astype(schema.PANDAS_DTYPES[c.kind])
                         if c.name in columns else blank[c.name].reindex(range(n)) for c in t.columns})


def _days(rng, n, lo=START, hi=END) -> np.ndarray:
    span = (np.asarray(hi) - np.asarray(lo)).astype(int) + 1
    return (np.asarray(lo) + (rng.random(n) * span).astype(int)).astype("datetime64[s]")


def province(n_stations: int = 1000, seed: int = 7, history: bool = False) -> Dataset:
    """The synthetic province as a ``Dataset`` (about 2,000 service records per station).

    ``history``: also the previous year's contract of every station (see the module's docstring).
    """
    rng = np.random.default_rng(seed)
    frames: dict[str, pd.DataFrame] = {}
    n_counties = max(1, n_stations // 20)
    county = np.char.add("C", np.char.zfill(np.arange(n_counties).astype(str), 3))
    town_idx = np.arange(n_stations)
    town = np.char.add("T", np.char.zfill(town_idx.astype(str), 4))
    villages = np.concatenate([np.char.add(town, "-V1"), np.char.add(town, "-V2")])
    codes = np.concatenate([county, town, villages])
    frames["stations"] = _frame("stations", {
        "code": codes.astype(object),
        "name": np.char.add(codes, "社会工作服务站").astype(object),
        "level": np.repeat(["县区总站", "乡镇街道站", "村社区室"], [n_counties, n_stations, 2 * n_stations]).astype(object),
        "parent_code": np.concatenate([np.full(n_counties, None), county[town_idx % n_counties],
                                       np.concatenate([town, town])]).astype(object),
        "district": np.concatenate([county, county[town_idx % n_counties], county[town_idx % n_counties],
                                    county[town_idx % n_counties]]).astype(object)})
    # The seasons come from generators of their own: the rest of the province draws what it always drew.
    busy = np.random.default_rng([seed, 1]).lognormal(0.0, 0.3, n_stations)
    years = [(Year(YEAR), rng, traits(np.random.default_rng([seed, 2]), busy))]
    if history:
        years.append((Year(YEAR - 1, "H"), np.random.default_rng([seed, YEAR - 1]),
                      traits(np.random.default_rng([seed, 3]), busy)))
    parts: dict[str, list[pd.DataFrame]] = {}
    for y, year_rng, station_traits in years:
        one: dict[str, pd.DataFrame] = {}
        one["projects"] = _projects(town, y)
        roster = _people(year_rng, town, one, y)
        _services(year_rng, town, roster, one, y, station_traits)
        _work(year_rng, town, one, y)
        _station_tables(year_rng, town, one, y)
        for name, frame in one.items():
            parts.setdefault(name, []).append(frame)
    frames.update({name: pd.concat(p, ignore_index=True) if len(p) > 1 else p[0] for name, p in parts.items()})
    ds = Dataset.__new__(Dataset)  # frames are built in their declared dtypes: skip the row-wise coercion
    ds.frames = {t.name: frames.get(t.name, schema.empty_frame(t)) for t in schema.TABLES}
    return ds


def _projects(town, y: Year) -> pd.DataFrame:
    n_stations = len(town)
    pick = np.arange(n_stations) % len(CATALOGUES)
    return _frame("projects", {
        "code": np.char.add(f"P{y.year}-", town).astype(object), "station_code": town.astype(object),
        "year": np.full(n_stations, y.year), "start": np.full(n_stations, y.start, dtype="datetime64[s]"),
        "end": np.full(n_stations, y.end, dtype="datetime64[s]"), "budget": np.full(n_stations, 100000.0),
        "catalogue": np.array([CATALOGUES[i][0] for i in pick], dtype=object),
        "tier": np.array([CATALOGUES[i][1] for i in pick], dtype=object),
        "optional_tasks": np.array([CATALOGUES[i][2] for i in pick], dtype=object)})


def _people(rng, town, frames, y: Year) -> pd.DataFrame:
    per = rng.integers(150, 250, len(town))
    owner = np.repeat(np.arange(len(town)), per)
    seq = np.arange(len(owner)) - np.repeat(np.cumsum(per) - per, per)
    codes = _codes(town[owner], f"-{y.tag}B", seq + 1, 4)
    category = np.array(ROSTER)[seq % 4]
    follow_up = rng.random(len(owner)) < 0.3
    # People taken in during the year are neither on the follow-up roster (visited every quarter from
    # January) nor among the first 24 of a station (the case beneficiaries, opened from January on):
    # no record about a person may be dated before the person joined (checks.before_joined_problems).
    late = (rng.random(len(owner)) >= 0.85) & ~follow_up & (seq >= 24)
    joined = np.where(late, _days(rng, len(owner), y.start, y.end - 120), y.start)
    station = np.where(rng.random(len(owner)) < 0.3, np.char.add(town[owner], "-V1"), town[owner])
    frames["beneficiaries"] = _frame("beneficiaries", {
        "code": codes, "name": np.full(len(owner), "某某", dtype=object), "station_code": station.astype(object),
        "category": category.astype(object), "joined": joined.astype("datetime64[s]"), "follow_up": follow_up,
        # the history year's people leave the roster the day after their year ends
        **({"left": np.full(len(owner), y.end + 1, dtype="datetime64[s]")} if y.tag else {})})
    assessed = rng.random(len(owner)) < 0.95
    frames["assessments"] = _frame("assessments", {
        "beneficiary_code": codes[assessed], "date": (joined[assessed].astype("datetime64[D]")
                                                      + rng.integers(0, 60, assessed.sum())).astype("datetime64[s]"),
        "method": np.where(rng.random(assessed.sum()) < 0.9, "入户", "电话").astype(object)})
    return pd.DataFrame({"owner": owner, "code": codes, "category": category, "follow_up":
                         frames["beneficiaries"]["follow_up"].to_numpy(dtype=bool)})


def _services(rng, town, roster, frames, y: Year, t: Traits) -> None:
    n_town = len(town)
    weights = {False: day_weights(y, t), True: day_weights(y, t, summer=True)}
    # a station's expected count over the year follows its seasons: a stronger push means more records
    scale = {k: t.busy * w.mean(axis=1) for k, w in weights.items()}
    parts = []
    for domain, category, per_month in MONTHLY:
        summer = domain == SUMMER_DOMAIN
        n = rng.poisson(per_month * 12 * scale[summer], n_town)
        owner = np.repeat(np.arange(n_town), n)
        parts.append((owner, np.full(len(owner), domain), np.full(len(owner), category),
                      seasonal_days(rng, owner, weights[summer], y), np.full(len(owner), None, dtype=object)))
    tracked = roster[roster["follow_up"]]
    visits = np.repeat(np.arange(len(tracked)), 4)
    quarter = np.tile(np.arange(4), len(tracked))
    keep = rng.random(len(visits)) < 0.93
    visits, quarter = visits[keep], quarter[keep]
    q_start = (np.datetime64(f"{y.year}-01", "M") + 3 * quarter).astype("datetime64[D]")
    domain = np.array(CARE)[pd.Categorical(tracked["category"].to_numpy()[visits], categories=ROSTER).codes]
    parts.append((tracked["owner"].to_numpy()[visits], domain, np.full(len(visits), "跟踪回访"),
                  (q_start + rng.integers(0, 90, len(visits))).astype("datetime64[s]"),
                  tracked["code"].to_numpy()[visits]))
    owner = np.concatenate([p[0] for p in parts])
    n = len(owner)
    seq = np.arange(n)
    codes = _codes(town[owner], f"-{y.tag}S", seq, 7)
    photos = np.char.add(codes.astype(str), ".jpg").astype(object)
    photos[rng.random(n) < 0.03] = None
    reused = rng.choice(n, size=n // 1000, replace=False)
    photos[reused] = photos[rng.choice(n, size=len(reused))]
    frames["services"] = _frame("services", {
        "code": codes, "station_code": np.where(rng.random(n) < 0.2, np.char.add(town[owner], "-V1"),
                                                town[owner]).astype(object),
        "date": np.concatenate([p[3] for p in parts]), "domain": np.concatenate([p[1] for p in parts]).astype(object),
        "category": np.concatenate([p[2] for p in parts]).astype(object),
        "beneficiary_codes": np.concatenate([p[4] for p in parts]).astype(object),
        "attendance": rng.integers(1, 40, n), "photos": photos, "uploaded": rng.random(n) < 0.95})


def _work(rng, town, frames, y: Year) -> None:
    n_town = len(town)
    # cases: 6 per care domain, 5–8 sessions, most with the full record set
    owner = np.repeat(np.arange(n_town), 24)
    k = np.tile(np.arange(24), n_town)
    codes = _codes(town[owner], f"-{y.tag}C", k, 2)
    opened = _days(rng, len(owner), y.start, y.day("06-30"))
    n_sess = rng.integers(3, 9, len(owner))
    closed = np.where(n_sess >= 5, (opened.astype("datetime64[D]") + 7 * n_sess + 20).astype("datetime64[s]"),
                      np.datetime64("NaT"))
    frames["cases"] = _frame("cases", {
        "code": codes, "station_code": town[owner].astype(object),
        "beneficiary_code": _codes(town[owner], f"-{y.tag}B", k + 1, 4),
        "domain": np.array(CARE)[k % 4].astype(object), "opened": opened, "closed": closed,
        "evaluated": closed, "close_reason": np.where(n_sess >= 5, "目标达成", None).astype(object),
        "exemplary": rng.random(len(owner)) < 0.15})
    s_owner = np.repeat(np.arange(len(owner)), n_sess)
    s_seq = np.arange(len(s_owner)) - np.repeat(np.cumsum(n_sess) - n_sess, n_sess)
    s_date = (opened[s_owner].astype("datetime64[D]") + 3 + 7 * s_seq).astype("datetime64[s]")
    frames["case_sessions"] = _frame("case_sessions", {
        "case_code": codes[s_owner], "seq": s_seq + 1, "date": s_date, "process_record": rng.random(len(s_owner)) < 0.97,
        "photos": _codes(codes[s_owner], "-", s_seq + 1, 2)})
    kinds = np.array(["接案记录表", "预估表", "服务协议", "工作计划表", "评估表", "结案表"])
    r_owner = np.repeat(np.arange(len(owner)), 6)
    r_kind = np.tile(np.arange(6), len(owner))
    keep = (rng.random(len(r_owner)) < 0.97) & ((r_kind < 4) | ~np.isnat(closed[r_owner]))
    frames["case_records"] = _frame("case_records", {
        "case_code": codes[r_owner[keep]], "kind": kinds[r_kind[keep]].astype(object),
        "date": np.where(r_kind[keep] < 4, opened[r_owner[keep]], closed[r_owner[keep]]).astype("datetime64[s]")})
    # groups: 7 per care domain, 4–7 sessions of 3–14 people
    g_owner = np.repeat(np.arange(n_town), 28)
    gk = np.tile(np.arange(28), n_town)
    g_codes = _codes(town[g_owner], f"-{y.tag}G", gk, 2)
    g_start = _days(rng, len(g_owner), y.day("02-01"), y.day("09-30"))
    g_n = rng.integers(4, 8, len(g_owner))
    frames["groups"] = _frame("groups", {
        "code": g_codes, "station_code": town[g_owner].astype(object), "domain": np.array(CARE)[gk % 4].astype(object),
        "name": np.char.add(g_codes.astype(str), "小组").astype(object),
        "plan_date": (g_start.astype("datetime64[D]") - 7).astype("datetime64[s]"),
        "report_date": (g_start.astype("datetime64[D]") + 7 * g_n + 3).astype("datetime64[s]"),
        "exemplary": rng.random(len(g_owner)) < 0.1})
    gs_owner = np.repeat(np.arange(len(g_owner)), g_n)
    gs_seq = np.arange(len(gs_owner)) - np.repeat(np.cumsum(g_n) - g_n, g_n)
    frames["group_sessions"] = _frame("group_sessions", {
        "group_code": g_codes[gs_owner], "seq": gs_seq + 1,
        "date": (g_start[gs_owner].astype("datetime64[D]") + 7 * gs_seq).astype("datetime64[s]"),
        "attendance": rng.integers(3, 15, len(gs_owner)), "unit_plan": rng.random(len(gs_owner)) < 0.98,
        "process_record": np.ones(len(gs_owner), dtype=bool), "sign_in": rng.random(len(gs_owner)) < 0.97,
        "photos": _codes(g_codes[gs_owner], "-", gs_seq + 1, 2)})


def _station_tables(rng, town, frames, y: Year) -> None:
    n_town = len(town)
    if not y.tag:  # staff and the checklist belong to the station, not to a year
        certs = np.array(["社会工作师", "助理社会工作师", "无"])
        owner = np.repeat(np.arange(n_town), 3)
        k = np.tile(np.arange(3), n_town)
        frames["staff"] = _frame("staff", {
            "code": _codes(town[owner], "-W", k, 1), "name": np.full(len(owner), "某某", dtype=object),
            "station_code": town[owner].astype(object), "role": np.where(k == 0, "站长", "驻站社工").astype(object),
            "certificate": certs[rng.integers(0, 3, len(owner))].astype(object),
            "joined": np.full(len(owner), np.datetime64("2024-03-01"), dtype="datetime64[s]")})
    owner = np.repeat(np.arange(n_town), 7)
    k = np.tile(np.arange(7), n_town)
    frames["community_orgs"] = _frame("community_orgs", {
        "code": _codes(town[owner], f"-{y.tag}O", k, 1), "station_code": town[owner].astype(object),
        "name": np.full(len(owner), "社区社会组织", dtype=object),
        "cultivation_type": np.where(k % 2 == 0, "功能服务型", "兴趣爱好志愿服务型").astype(object),
        "org_type": np.array(["社区服务类", "志愿服务类", "文体活动类", "公益慈善类", "居民互助类", "志愿服务类", "文体活动类"])[k]
        .astype(object), "reformed_community": rng.random(len(owner)) < 0.35,
        "started": _days(rng, len(owner), y.start, y.day("08-31")),
        "has_rules": rng.random(len(owner)) < 0.8, "core_members": rng.integers(2, 12, len(owner)),
        "registered": np.where(k == 0, np.datetime64(f"{y.year}-09-01"), np.datetime64("NaT")).astype("datetime64[s]")})
    n_vol = rng.integers(20, 60, n_town)
    owner = np.repeat(np.arange(n_town), n_vol)
    seq = np.arange(len(owner)) - np.repeat(np.cumsum(n_vol) - n_vol, n_vol)
    frames["volunteers"] = _frame("volunteers", {
        "code": _codes(town[owner], f"-{y.tag}V", seq, 3), "station_code": town[owner].astype(object),
        "name": np.full(len(owner), "志愿者", dtype=object), "registered_on": _days(rng, len(owner), y.start, y.end),
        "national_system": rng.random(len(owner)) < 0.9})
    owner = np.repeat(np.arange(n_town), 4)
    k = np.tile(np.arange(4), n_town)
    frames["charity_funds"] = _frame("charity_funds", {
        "code": _codes(town[owner], f"-{y.tag}F", k, 1), "station_code": town[owner].astype(object),
        "date": _days(rng, len(owner), y.start, y.end), "amount": rng.integers(4, 18, len(owner)) * 500.0,
        "use": np.array(["共募资金", "专项基金", "慈善项目", "共募资金"])[k].astype(object)})
    owner = np.repeat(np.arange(n_town), 12)
    month = np.tile(np.arange(12), n_town)
    keep = rng.random(len(owner)) < 0.9
    first = (np.datetime64(f"{y.year}-01", "M") + month[keep]).astype("datetime64[D]")
    frames["charity_aid"] = _frame("charity_aid", {
        "code": _codes(town[owner[keep]], f"-{y.tag}A", month[keep], 2), "station_code": town[owner[keep]].astype(object),
        "date": (first + rng.integers(0, 28, keep.sum())).astype("datetime64[s]"),
        "amount": np.array([800.0, 1000.0, 1500.0, 2000.0])[rng.integers(0, 4, keep.sum())]})
    if not y.tag:
        items = np.array(["人员管理制度", "财务管理制度", "志愿者管理制度", "服务场所使用管理制度", "文书档案管理制度", "人员保密制度",
                          "人员培训制度", "社工站组织架构图", "办公场所", "办公设备", "个案咨询室", "小组活动室"])
        owner = np.repeat(np.arange(n_town), len(items))
        done = rng.random(len(owner)) < 0.9
        frames["checklist"] = _frame("checklist", {
            "station_code": town[owner].astype(object), "item": np.tile(items, n_town).astype(object), "done": done,
            "done_date": np.where(done, np.datetime64(f"{YEAR}-02-01"), np.datetime64("NaT")).astype("datetime64[s]")})
