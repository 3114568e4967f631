"""评估打分 and 签字确认 without a browser: a stored scheme, entered scores read back into the score sheet, a
sign-off that a later import cannot change silently.

Demo district on SQLite, project P2025-YL01 (扎赉诺尔区清单) on 2025-12-31: ZL-JS-02 (办公场所) is 达标,
ZL-JS-05 (服务内容展示墙) is 待核验 with 0 of 1 item.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from ledger_books import rows, write_book
from openpyxl import load_workbook

from sgzlib.actions import scores as sc
from sgzlib.actions import signoff as so
from sgzlib.actions import verify as vf
from sgzlib.errors import DataError, DefinitionError
from sgzlib.ledger import import_workbook
from sgzlib.reports import assessment
from sgzlib.store import audit, evaluation_records, signoffs, storage
from sgzlib.store.access import User

END = dt.date(2025, 12, 31)
PING = User("ping", "评估方", masked=True, districts=("云岭区",), name="平评估")
SCHEME = """
title: 云岭区2025年社工站评分细则（测试）
catalogue: zhalainuoer-2026
to_verify: zero
indicators:
  - {id: ZL-JS-02, points: 5, credit: all_or_nothing}
  - {id: ZL-JS-05, points: 10, credit: all_or_nothing}
"""


@pytest.fixture
def url(demo_db_copy):
    return f"sqlite:///{demo_db_copy}"


def test_a_scheme_is_checked_and_stored_for_its_catalogue(url):
    engine = storage.connect(url)
    with pytest.raises(DefinitionError) as exc:
        sc.upload_scheme(engine, PING, SCHEME.replace("ZL-JS-05, points: 10", "ZL-XX-99, points: -1"), "细则.yaml")
    assert {p.code for p in exc.value.problems} == {"unknown_indicator", "bad_points"}
    with pytest.raises(DataError, match="用的是《2024年包头市九原区"):
        sc.upload_scheme(engine, PING, SCHEME, "细则.yaml", project="P2025-YL03")
    scheme_id = sc.upload_scheme(engine, PING, SCHEME.encode("utf-8"), "细则.yaml")
    project = sc.projects.project_row(engine, "P2025-YL01")
    stored = evaluation_records.stored_scheme(engine, project)
    assert (stored.id, stored.project, stored.scheme.max_points) == (scheme_id, None, 15.0)
    assert evaluation_records.stored_scheme(engine, sc.projects.project_row(engine, "P2025-YL03")) is None
    row = audit.read(engine).iloc[-1]
    assert row["action"] == "scoring_scheme" and "满分 15" in row["detail"]


def test_entered_scores_are_read_back_into_the_score_sheet(url, tmp_path):
    engine = storage.connect(url)
    sc.upload_scheme(engine, PING, SCHEME, "细则.yaml")
    with pytest.raises(DataError, match="0 到该指标分值 5 之间"):
        sc.enter_scores(engine, PING, "P2025-YL01", {"ZL-JS-02": (6, None), "ZL-JS-05": (8, "展示墙布置一般")})
    assert evaluation_records.scores(engine, ["P2025-YL01"]).empty  # all or none
    assert sc.enter_scores(engine, PING, "P2025-YL01", {"ZL-JS-02": (4.5, "场地偏小"), "ZL-JS-05": (8, "展示墙布置一般")}) == 2
    report = assessment.build(url, "P2025-YL01", END)
    table = report.score_table().set_index("指标")
    # the scheme's own score (系统得分): 达标 full points, 待核验 0 (to_verify: zero); the entered ones beside it
    assert table.loc["社工站办公场所", ["分值", "得分", "评估员得分", "评估员意见"]].tolist() == [5.0, 5.0, 4.5, "场地偏小"]
    assert table.loc["服务内容剪影与文宣展示", ["得分", "评估员得分"]].tolist() == [0.0, 8.0]
    path = tmp_path / "评分表.xlsx"
    report.write_scoresheet(path)
    ws = load_workbook(path)["评分表"]
    head = [c.value for c in ws[4]]
    body = {r[head.index("指标")]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[head.index("指标")]}
    assert body["社工站办公场所"][head.index("评估员得分")] == 4.5
    assert body["服务内容剪影与文宣展示"][head.index("评估员意见")] == "展示墙布置一般"
    # the total row (h-outputs: labelled so that the 分值 total reads as the full marks) sums the entered scores
    # of every indicator row, rows 5 to the last one above it
    total = body["合计（分值合计即满分）"]
    letter = chr(ord("A") + head.index("评估员得分"))
    assert total[head.index("评估员得分")] == f"=SUM({letter}5:{letter}{4 + len(body) - 1})"
    assert audit.read(engine)["action"].iloc[-1] == "scores"


def checklist_book(path, item: str):
    """A workbook with one 站点建设 row of YL01: ``item`` ticked on 2025-06-01."""
    return write_book(path, {"站点建设": rows("checklist", [
        {"station_code": "YL01", "item": item, "done": True, "done_date": dt.date(2025, 6, 1), "evidence": "照片"}])})


def test_an_import_that_changes_signed_figures_is_refused_until_confirmed(url, tmp_path):
    engine = storage.connect(url)
    so.sign(engine, PING, "P2025-YL01", END)
    state = so.status(engine, ["P2025-YL01"]).iloc[0]
    assert state["state"] == "有效" and state["signed_by"] == "ping" and state["as_of"] == END
    frozen = state["changes"].set_index("indicator_id")
    assert frozen.loc["ZL-JS-05", "status"] == "待核验" and len(frozen) == 60  # the catalogue's 60 indicators (README)
    # while signed, verifying is refused
    with pytest.raises(DataError, match="已由 ping 于 .* 签字确认"):
        vf.verify(engine, PING, "P2025-YL01", "ZL-JS-05", "服务内容展示墙", "已核验", END, "现场查看")
    # an import that changes no figure goes through and leaves the sign-off valid
    import_workbook(engine, checklist_book(tmp_path / "other.xlsx", "消防器材"))
    assert so.status(engine, ["P2025-YL01"])["state"].iloc[0] == "有效"
    # ticking 服务内容展示墙 would make ZL-JS-05 达标: refused, nothing written
    book = checklist_book(tmp_path / "tick.xlsx", "服务内容展示墙")
    before = len(audit.read(engine))
    with pytest.raises(signoffs.SignoffConflict) as exc:
        import_workbook(engine, book)
    changed = {(p.value, p.column): p.message.rsplit("」", 1)[1] for p in exc.value.problems}
    assert changed == {("ZL-JS-05", "实际"): "0 → 1", ("ZL-JS-05", "状态"): "待核验 → 达标"}
    assert len(audit.read(engine)) == before
    assert "服务内容展示墙" not in set(storage.load_dataset(engine, "YL01").checklist["item"])
    # a dry run lists the change without refusing; confirmed, the import lands and the sign-off lapses
    dry = import_workbook(engine, book, dry_run=True)
    assert [c.project for c in dry.signoff_changes] == ["P2025-YL01"]
    done = import_workbook(engine, book, accept_signoff_changes=True,
                           user=User("w_yl01", "站点社工", masked=False, stations=("YL01",)))
    assert done.changed_anything and len(done.signoff_changes) == 1
    [notice] = so.notices(engine, ["P2025-YL01"]).to_dict("records")
    assert notice["state"] == "已失效" and notice["file_name"] == "tick.xlsx"
    assert notice["changes"][["indicator_id", "figure", "before", "after"]].values.tolist() == [
        ["ZL-JS-05", "实际", 0, 1], ["ZL-JS-05", "状态", "待核验", "达标"]]
    assert "已失效" in so.lapsed_text(pd.Series(notice)) and "tick.xlsx" in so.lapsed_text(pd.Series(notice))
    assert "已使签字确认失效：P2025-YL01" in audit.read(engine)["detail"].iloc[-1]
    # the evaluator signs again: the new figures are frozen
    with pytest.raises(DataError, match="没有签字确认可撤销"):
        so.revoke(engine, PING, "P2025-YL03", "测试")
    so.sign(engine, PING, "P2025-YL01", END)
    again = so.status(engine, ["P2025-YL01"]).iloc[0]
    assert again["state"] == "有效" and again["changes"].set_index("indicator_id").loc["ZL-JS-05", "status"] == "达标"
    so.revoke(engine, PING, "P2025-YL01", "补充核验")
    assert so.status(engine, ["P2025-YL01"])["state"].iloc[0] == "已撤销"
    assert audit.read(engine)["action"].tolist()[-2:] == ["signoff", "signoff_revoke"]
