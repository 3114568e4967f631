"""``sgz evaluate`` and ``sgz explain`` on the demo district stored in SQLite: scopes, formats, errors."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest

from sgzlib import cli
from sgzlib.commands.evaluate import HEADERS
from sgzlib.demo import district as demo
from sgzlib.domain.labels import WILL_MISS
from sgzlib.indicators import RESULT_COLUMNS, evaluate
from sgzlib.indicators.forecast import forecast
from sgzlib.store import storage

AS_OF = demo.AS_OF.isoformat()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('evaluate') / 'sgz.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True)
    return url


@pytest.fixture(scope="module")
def expected(demo_ds):
    """The library's own evaluation, to compare the command's output against."""
    return evaluate(demo_ds, demo.AS_OF)


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_of_one_project(capsys, db_url, expected, demo_ds):
    code, out, _ = run(capsys, "evaluate", "--db", db_url, "--as-of", AS_OF, "--project", "P2025-YL04")
    assert code == 0
    # the catalogue by its Chinese title (the `title:` line of sgzlib/catalogues/jiuyuan-2024.yaml), not its id
    title = "2024年包头市九原区民政领域社会工作服务项目任务和服务标准指导目录"
    assert "评估日期：2025-10-31" in out and f"项目 P2025-YL04  北岭街道社会工作服务站  指标清单 {title}" in out
    assert "jiuyuan-2024" not in out
    for header in ("指标编号", "指标名称", "实际", "目标", "截至评估日应达", "状态", "预测", "说明"):
        assert header in out
    tally = expected.for_project("P2025-YL04").summary["status"].value_counts()
    assert f"落后 {tally['落后']}" in out and f"达标 {tally['达标']}" in out
    # the year-end forecast beside the status: one flag per indicator the forecast says will miss
    flagged = forecast(demo_ds, expected)
    flagged = flagged[flagged["project_code"] == "P2025-YL04"].drop_duplicates("indicator_id")
    assert out.count(WILL_MISS) == flagged["will_miss"].sum() > 0
    assert "P2025-YL03" not in out


def test_csv_has_the_documented_columns_and_every_row(capsys, db_url, expected):
    code, out, _ = run(capsys, "evaluate", "--db", db_url, "--as-of", AS_OF, "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [HEADERS[c] for c in RESULT_COLUMNS]
    assert len(frame) == len(expected.results)
    # 全期 rows carry the status of each indicator; ISO dates; 是/否 for mandatory
    whole = frame[frame["周期"] == "全期"]
    assert whole.groupby("状态").size().to_dict() == expected.summary.groupby("status").size().to_dict()
    assert frame["周期结束日"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and set(frame["必选"]) <= {"是", "否"}


def test_json_of_a_station(capsys, db_url, expected):
    code, out, _ = run(capsys, "evaluate", "--db", db_url, "--as-of", AS_OF, "--station", "YL06", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["as_of"] == AS_OF
    rows = payload["results"]
    assert set(rows[0]) == set(RESULT_COLUMNS)
    assert {r["project_code"] for r in rows} == {"P2025-YL06"}
    assert len(rows) == len(expected.for_station("YL06").results)
    assert {r["tier"] for r in rows} == {"20万"}


def test_xlsx_has_summary_detail_and_records(capsys, db_url, tmp_path, expected, demo_ds):
    path = tmp_path / "评估.xlsx"
    code, out, _ = run(capsys, "evaluate", "--db", db_url, "--as-of", AS_OF, "--format", "xlsx", "--out", str(path))
    assert code == 0 and "已写入" in out
    book = openpyxl.load_workbook(path, read_only=True)
    # the demo's zhalainuoer-2026 projects carry spending checks: their checklist and flagged expenses follow
    assert book.sheetnames == ["汇总", "明细", "计入与未计入的记录", "经费使用核查", "经费需核查的支出"]
    assert book["汇总"].max_row == len(expected.summary) + 1  # plus the header row
    status = RESULT_COLUMNS.index("status") + 1
    # the forecast beside the status (the manager's workbook): flag, projected value, what is needed; its note last
    assert [c.value for c in next(book["汇总"].iter_rows(max_row=1))] == [
        *[HEADERS[c] for c in RESULT_COLUMNS[:status]], "预测", "预计期末值", "还需",
        *[HEADERS[c] for c in RESULT_COLUMNS[status:]], "预测说明"]
    summary = pd.read_excel(path, sheet_name="汇总")
    flagged = forecast(demo_ds, expected)  # the demo has no past year: the pace alone
    assert (summary["预测"] == WILL_MISS).sum() == flagged["will_miss"].sum() > 0
    assert set(summary["预测"].dropna()) == {WILL_MISS}


@pytest.mark.parametrize("args, message", [
    (["evaluate", "--format", "xlsx"], "--out"),
    (["evaluate", "--project", "P-NONE"], "项目编码不存在：P-NONE"),
    (["evaluate", "--as-of", "2025-13-45"], "评估日期「2025-13-45」不是有效日期"),
    (["explain", "--project", "P2025-YL01", "--indicator", "NOPE"], "没有指标「NOPE」"),
])
def test_errors_are_chinese_messages(capsys, db_url, args, message):
    code, _, err = run(capsys, *args, "--db", db_url)
    assert code == 2 and message in err


def test_explain_names_the_reused_photo(capsys, db_url):
    code, out, _ = run(capsys, "explain", "--db", db_url, "--as-of", AS_OF, "--project", "P2025-YL02",
                       "--indicator", "zl-ch-02")
    assert code == 0
    refused = out.split("未计入的记录")[1]
    assert demo.PLANTED.reused_photo in refused and "YL02-S0040" in refused
    assert "原文：" in out and "≥2次/月" in out and "各期：" in out


def test_explain_names_the_groups_with_short_sessions(capsys, db_url):
    code, out, _ = run(capsys, "explain", "--db", db_url, "--as-of", AS_OF, "--project", "P2025-YL01",
                       "--indicator", "ZL-SA-07")
    assert code == 0
    refused = out.split("未计入的记录")[1]
    assert "YL01-G02" in refused and "签到 4 人<6" in refused and "签到 3 人<6" in refused
    # the other planted groups are under catalogues without a per-session minimum: counted, attendance shown
    for project, group in (("P2025-YL03", "YL03-G04"), ("P2025-YL06", "YL06-G01")):
        indicator = "JY-M03-SA" if project.endswith("YL03") else "CA-SA-07"
        _, text, _ = run(capsys, "explain", "--db", db_url, "--as-of", AS_OF, "--project", project,
                         "--indicator", indicator)
        line = next(x for x in text.splitlines() if group in x)
        assert "各节签到人数：" in line and "、4、3、" in line


def test_explain_json(capsys, db_url, expected):
    code, out, _ = run(capsys, "explain", "--db", db_url, "--as-of", AS_OF, "--project", "P2025-YL05",
                       "--indicator", "CA-CR-07", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    mine = expected.explain("P2025-YL05", "CA-CR-07")
    assert sorted(r["record_id"] for r in payload["records"]) == sorted(mine["record_id"])
    assert {r["reason_code"] for r in payload["records"] if not r["counted"]} <= {"below_minimum"}


def test_explanations_are_put_together_only_when_read(capsys, db_url, demo_ds, expected, monkeypatch):
    """csv needs only results: the 1.7-million-row explanation frame of a province is never built for it."""
    from sgzlib.indicators import engine

    built = []
    tidy = engine._tidy_explanations
    monkeypatch.setattr(engine, "_tidy_explanations", lambda parts: built.append(len(parts)) or tidy(parts))
    code, out, _ = run(capsys, "evaluate", "--db", db_url, "--as-of", AS_OF, "--format", "csv")
    assert code == 0 and len(out.splitlines()) == len(expected.results) + 1 and built == []
    ev = evaluate(demo_ds, demo.AS_OF)
    assert built == []
    pd.testing.assert_frame_equal(ev.explanations, expected.explanations)  # read: built once, the same rows
    ev.explanations  # noqa: B018 - a second read reuses the frame
    assert len(built) == 1
