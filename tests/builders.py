"""Small hand-built datasets for tests: one station, a few people, cases and groups written out in full."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sgzlib.domain.dataset import Dataset

D = dt.date.fromisoformat

STATION = {"code": "S1", "name": "测试街道社会工作服务站", "level": "乡镇街道站", "parent_code": None,
           "district": "测试区", "provider": None}
PERSON = {"code": "B1", "name": "张小三", "station_code": "S1", "category": "社会救助", "joined": D("2025-01-01"),
          "phone": "13812341234"}
ALL_RECORDS = ("接案记录表", "预估表", "服务协议", "工作计划表", "评估表", "结案表")


def case_row(code="C1", **dates) -> dict:
    row = {"code": code, "station_code": "S1", "beneficiary_code": "B1", "domain": "社会救助",
           "opened": D("2025-01-10")}
    row.update({k: D(v) if isinstance(v, str) and k not in ("close_reason", "referral_to", "risk") else v
                for k, v in dates.items()})
    return row


def sessions(case="C1", dates=(), no_record=()) -> list[dict]:
    return [{"case_code": case, "seq": i, "date": D(d), "process_record": i not in no_record,
             "photos": f"{case}-{i}.jpg"} for i, d in enumerate(dates, 1)]


def records(case="C1", kinds=ALL_RECORDS, date="2025-01-10") -> list[dict]:
    return [{"case_code": case, "kind": k, "date": D(date)} for k in kinds]


def group_sessions(group="G1", attendance=(), start="2025-03-01", sign_in=None, unit_plan=True) -> list[dict]:
    first = D(start)
    return [{"group_code": group, "seq": i, "date": first + dt.timedelta(days=7 * (i - 1)), "attendance": n,
             "unit_plan": unit_plan, "process_record": True,
             "sign_in": True if sign_in is None else sign_in[i - 1], "photos": f"{group}-{i}.jpg"}
            for i, n in enumerate(attendance, 1)]


def group_row(code="G1", plan="2025-02-20", report=None) -> dict:
    return {"code": code, "station_code": "S1", "domain": "养老服务", "name": "乐龄小组",
            "plan_date": D(plan) if plan else None, "report_date": D(report) if report else None}


def dataset(cases=(), case_sessions=(), case_records=(), groups=(), group_sessions_=(), **extra) -> Dataset:
    frames = {"stations": pd.DataFrame([STATION]), "beneficiaries": pd.DataFrame([PERSON]),
              "cases": pd.DataFrame(list(cases)), "case_sessions": pd.DataFrame(list(case_sessions)),
              "case_records": pd.DataFrame(list(case_records)), "groups": pd.DataFrame(list(groups)),
              "group_sessions": pd.DataFrame(list(group_sessions_))}
    frames.update({k: pd.DataFrame(v) for k, v in extra.items()})
    return Dataset({k: v for k, v in frames.items() if len(v)})
