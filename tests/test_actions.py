"""The workbench's actions and its shell without a browser (issue 29): upload, reports, the gate, sessions,
which pages a role is served, and which report files a server hands out.

The demo district on SQLite; a workbook is YL01's ledger as exported (re-importing it changes nothing),
edited by hand: the expected counts are the edits.
"""

from __future__ import annotations

import io
import os
import threading
import time

import openpyxl
import pytest
import workbench_harness as wh
from ledger_books import write_book

from sgzlib.actions import gate, reports, upload
from sgzlib.dashboards import pages
from sgzlib.dashboards.session import local_login, resolve_user
from sgzlib.dashboards.voila_main import download_bytes, report_file
from sgzlib.errors import ConfigError, DataError, Problem
from sgzlib.reports import index
from sgzlib.reports.html import plotly_file, plotly_js, plotly_tag, write_plotly
from sgzlib.runtime import resources
from sgzlib.store import audit, storage
from sgzlib.store.access import User
from sgzlib.workbench import open_workbench

WORKER = User("yl01_worker", "站点社工", masked=False, stations=("YL01",))


@pytest.fixture
def db(demo_ds, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, demo_ds)
    yield url, engine
    engine.dispose()


@pytest.fixture
def yl01(db, tmp_path):
    return wh.export_station(db[1], "YL01", tmp_path / "导出.xlsx")


# -- upload ---------------------------------------------------------------------------------------------

def test_an_upload_is_kept_under_its_name_and_refused_when_too_large_empty_or_not_a_workbook(tmp_path, monkeypatch):
    monkeypatch.setenv("SGZ_UPLOAD_LIMIT_MB", "1")
    assert upload.limit_text() == "文件须为 Excel 工作簿（.xlsx），大小不超过 1 MB。"
    saved = upload.save("东湖街道/台账.xlsx", b"PK..", tmp_path)
    assert saved == tmp_path / "东湖街道_台账.xlsx" and saved.read_bytes() == b"PK.."
    with pytest.raises(upload.UploadRefused, match="有 1.5 MB，超过上限 1 MB"):
        upload.save("大.xlsx", b"x" * (3 * 1024 * 1024 // 2), tmp_path)
    with pytest.raises(upload.UploadRefused, match="是空文件"):
        upload.save("空.xlsx", b"", tmp_path)
    with pytest.raises(upload.UploadRefused, match="不是 Excel 工作簿"):
        upload.save("台账.xls", b"x", tmp_path)


def test_a_clean_workbook_is_checked_as_its_changes_with_the_rows_behind_them(db, yl01, tmp_path):
    url, engine = db
    book = wh.edit_book(yl01, tmp_path / "东湖街道.xlsx", {("服务记录", 2, "参与人次"): 9, ("服务记录", 3, "参与人次"): 11})
    checked = upload.check(url, WORKER, book)
    assert checked.ok and checked.result.dry_run
    counts = upload.changes(checked.result).set_index("工作表")
    assert counts.loc["服务记录", "修改"] == 2 and counts["修改"].sum() == 2 and counts["新增"].sum() == 0
    rows = upload.rows_behind(checked.result, "服务记录", "changed", masked=False)
    assert rows["Excel 行号"].tolist() == [2, 3] and rows["参与人次"].tolist() == [9, 11]
    before = audit.read(engine)
    assert before["dry_run"].astype(bool).tolist() == [True]  # the check is a dry run, recorded as one
    result = upload.commit(url, WORKER, checked)
    assert not result.dry_run and sum(len(s.changed) for s in result.sheets) == 2
    log = audit.read(engine)
    assert log[["login", "action", "changed"]].values.tolist()[-1] == ["yl01_worker", "import", 2]


def test_pruning_deletes_the_rows_the_workbook_no_longer_has(db, yl01, tmp_path):
    url, engine = db
    before = len(storage.load_dataset(engine, "YL01").volunteers)
    wb = openpyxl.load_workbook(yl01)
    wb["志愿者"].delete_rows(2)  # one volunteer fewer
    book = tmp_path / "少一名志愿者.xlsx"
    wb.save(book)
    kept = upload.check(url, WORKER, book)
    volunteers = next(s for s in kept.result.sheets if s.sheet == "志愿者")
    assert len(volunteers.removed) == 1 and not kept.result.pruned
    gone = upload.rows_behind(kept.result, "志愿者", "removed", masked=False)
    assert gone.columns.tolist() == ["志愿者编码"] and len(gone) == 1
    pruned = upload.check(url, WORKER, book, prune=True)
    upload.commit(url, WORKER, pruned)
    assert len(storage.load_dataset(engine, "YL01").volunteers) == before - 1


def test_a_long_sheet_reports_its_reading_progress(db, tmp_path):
    url, _ = db
    seen: list[tuple[str, int | None, int]] = []

    class Bar:
        def __init__(self, desc, total):
            self.desc, self.total, self.done = desc, total, 0

        def update(self, n):
            self.done += n

        def close(self):
            seen.append((self.desc, self.total, self.done))

    header = ["记录编号", "站点编码", "服务日期", "领域", "服务类别", "服务对象编码", "参与人次"]
    rows_ = [header] + [[f"YL01-X{i:05d}", "YL01", "2025-03-01", "养老服务", "关爱帮扶", "YL01-B0001", 1]
                        for i in range(2500)]
    book = write_book(tmp_path / "长.xlsx", {"服务记录": rows_})
    upload.check(url, WORKER, book, progress=Bar)
    assert seen == [("读取「服务记录」", 2501, 2500)]  # of the sheet's 2,501 rows (header included), the 2,500 below it


def test_a_bad_workbook_gives_every_error_and_the_errors_workbook(db, yl01, tmp_path):
    url, _ = db
    book = wh.edit_book(yl01, tmp_path / "有错.xlsx", {("服务记录", 2, "服务日期"): "2025-13-45",
                                                        ("服务对象", 3, "对象类别"): "外星人"})
    checked = upload.check(url, WORKER, book)
    assert not checked.ok
    frame = upload.errors_frame(checked.error, checked.letters)
    assert frame[["工作表", "行号", "单元格"]].values.tolist() == [["服务对象", 3, "H3"], ["服务记录", 2, "C2"]]
    sheet = openpyxl.load_workbook(io.BytesIO(upload.errors_workbook(checked.error, checked.letters)))["错误清单"]
    assert [r[1:4] for r in sheet.iter_rows(min_row=2, values_only=True)] == [("服务对象", 3, "H3"), ("服务记录", 2, "C2")]


def test_a_station_outside_the_scope_or_a_read_only_user_is_refused_and_nothing_is_written(db, yl01):
    url, engine = db
    other = User("yl02_worker", "站点社工", masked=False, stations=("YL02",))
    refused = upload.check(url, other, yl01)
    assert refused.error.problems[0].message.startswith("账号 yl02_worker（站点社工）的权限范围不包括站点 YL01、YL01-V1、YL01-V2")
    evaluator = User("pg", "评估方", masked=True, districts=("云岭区",))
    assert "不能导入：个人信息对该账号脱敏" in upload.check(url, evaluator, yl01).error.problems[0].message
    assert audit.read(engine).empty  # refused before anything was written, audit row included


def test_a_masked_user_sees_personal_values_masked_in_errors():
    problems = [Problem("x", "姓名重复：张小三", where="服务对象", row=3, column="姓名", value="张小三"),
                Problem("y", "号码有误", where="服务对象", row=4, column="联系电话", value="13812345678"),
                Problem("z", "见摘要：来电13812345678", where="服务记录", row=5, column="内容摘要", value="13812345678 来电")]
    masked = upload.mask_problems(problems, masked=True)
    assert [p.value for p in masked] == ["张*三", "138****5678", "138****5678 来电"]
    assert masked[2].message == "见摘要：来电138****5678"
    assert upload.mask_problems(problems, masked=False) == problems


def test_a_second_upload_waits_its_turn_then_gives_up_clearly(db, monkeypatch):
    url, _ = db
    monkeypatch.setattr(gate, "POLL_SECONDS", 0.2)
    waited: list[float] = []
    holding, release = threading.Event(), threading.Event()

    def first():
        with gate.turn(url):
            holding.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    holding.wait(10)
    with pytest.raises(gate.UploadBusy, match="另一份台账正在检查或导入，已等候 1 秒仍未轮到"), \
            gate.turn(url, waited.append, limit=1.0):
        pass
    assert waited and all(0 <= s < 1.0 for s in waited)
    release.set()
    t.join()
    with gate.turn(url, waited.append, limit=1.0):  # free again: no wait
        pass


# -- reports --------------------------------------------------------------------------------------------

def test_report_choices_follow_the_scope(db):
    url, _ = db
    mine = reports.choices(open_workbench(url, stations=["YL01"]), WORKER)
    assert mine["station"] == [("东湖街道社会工作服务站（YL01）", "YL01")]
    assert mine["assessment"] == [("P2025-YL01 东湖街道社会工作服务站（2025 年）", "P2025-YL01")]
    assert mine["digest"] == [("东湖街道社会工作服务站（YL01）", "YL01")] and mine["district"] == []
    manager = User("m", "项目负责人", masked=False, districts=("云岭区",))
    theirs = reports.choices(open_workbench(url), manager)
    assert theirs["district"] == [("云岭区", "云岭区")] and len(theirs["station"]) == 7
    assert theirs["digest"][0] == ("本人范围内的全部社工站（7 个）", ",".join(f"YL0{i}" for i in range(1, 8)))


def test_a_report_outside_the_choices_is_refused_before_anything_starts(db, tmp_path):
    url, _ = db
    offered = {"station": [("东湖街道社会工作服务站（YL01）", "YL01")]}
    with pytest.raises(ConfigError, match="「YL02」不在本账号可以生成督导报告的范围内"):
        reports.start(url, WORKER, tmp_path, offered, "station", "YL02")
    assert reports.jobs_of(tmp_path) == []


def test_written_reports_are_listed_newest_first_with_their_downloads_only(tmp_path):
    for name, age in (("YL01_2025-10-31", 100), ("YL02_2025-10-31", 10)):
        for suffix in (".html", ".pdf", ".ipynb"):
            path = tmp_path / "station" / f"{name}{suffix}"
            path.parent.mkdir(exist_ok=True)
            path.write_text("x")
            os.utime(path, (time.time() - age, time.time() - age))
    index.record(tmp_path, [index.Entry("station", code, f"{code} 站", "2025-10-31", station=code,
                                        files={f: f"station/{code}_2025-10-31.{f}" for f in ("html", "pdf", "ipynb")})
                            for code in ("YL01", "YL02")])
    listed = reports.written(tmp_path)
    assert [r.label for r in listed] == ["YL02 站", "YL01 站"]
    assert listed[0].files == {"html": "station/YL02_2025-10-31.html", "pdf": "station/YL02_2025-10-31.pdf"}


# -- who is served what -------------------------------------------------------------------------------------

def test_the_user_comes_from_the_access_file_or_is_this_computer_s_admin(tmp_path):
    local = resolve_user(None, None)
    assert (local.login, local.role, local.all_stations) == (local_login(), "管理员", True)
    path = tmp_path / "access.yaml"
    path.write_text("users:\n  - {login: yl01_worker, role: 站点社工, stations: [YL01]}\n", encoding="utf-8")
    assert resolve_user("yl01_worker", path).stations == ("YL01",)
    with pytest.raises(ConfigError, match="登录名「stranger」不在访问权限文件"):
        resolve_user("stranger", path)


def test_a_role_s_server_holds_only_the_notebooks_of_its_pages(tmp_path):
    source = resources.path("dashboards", "notebooks")  # shipped inside the package (issue 26)
    served = pages.prepare_root("评估方", source, tmp_path / "root")
    names = sorted(p.name for p in (tmp_path / "root").iterdir())
    assert names == sorted(p.notebook for p in served) and "upload.ipynb" not in names
    assert "upload" in [p.name for p in pages.refused("评估方")]
    assert [p.name for p in pages.refused("管理员")] == []
    pages.prepare_root("站点社工", source, tmp_path / "root")  # a role changed: the folder follows it
    assert "upload.ipynb" in {p.name for p in (tmp_path / "root").iterdir()}


def test_only_report_files_inside_the_user_s_folder_are_handed_out(tmp_path):
    mine = tmp_path / "mine"
    (mine / "station").mkdir(parents=True)
    (mine / "station" / "YL01.html").write_text("report")
    (mine / ".sgz-reports.json").write_text("[]")
    (mine / "station" / "YL01.ipynb").write_text("{}")
    secret = tmp_path / "access.yaml"
    secret.write_text("users: []")
    (mine / "station" / "link.html").symlink_to(secret)
    assert report_file(mine, "station/YL01.html") == (mine / "station" / "YL01.html").resolve()
    for bad in ("../access.yaml", "station/../../access.yaml", ".sgz-reports.json", "station/YL01.ipynb",
                "station/link.html", "/etc/passwd", ""):
        assert report_file(mine, bad) is None, bad


def test_a_downloaded_html_report_carries_its_plotly(tmp_path):
    folder = tmp_path / "station"
    shared = write_plotly(folder)
    assert shared.name == plotly_file() and shared.read_bytes() == plotly_js().encode("utf-8")
    page = folder / "YL01.html"
    page.write_text(f"<html><head>{plotly_tag()}</head><body>报告</body></html>", encoding="utf-8")
    sent = download_bytes(page).decode("utf-8")
    # the one file a browser saves opens offline alone: the script inlined, no src left
    assert sent == f'<html><head><script type="text/javascript">{plotly_js()}</script></head><body>报告</body></html>'
    (folder / "YL01.pdf").write_bytes(b"%PDF-1.4 x")
    assert download_bytes(folder / "YL01.pdf") == b"%PDF-1.4 x"
    stamp = shared.stat().st_mtime_ns
    write_plotly(folder)  # already there, whole: not written again
    assert shared.stat().st_mtime_ns == stamp


def test_a_refused_check_says_what_where_why_in_chinese():
    error = DataError([Problem("out_of_scope", "账号 a 的权限范围不包括站点 YL02", where="x.xlsx")])
    # no English code on the page: the columns of the errors workbook, the problem's category a Chinese label
    frame = upload.errors_frame(error, {})
    assert frame.columns.tolist() == ["序号", "工作表", "行号", "单元格", "列", "填写的值", "问题及改法", "问题类别"]
    assert frame["问题类别"].tolist() == ["超出本账号的站点范围"] and "out_of_scope" not in frame.to_string()
