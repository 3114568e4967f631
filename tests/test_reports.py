"""Report library pieces without a kernel: jobs, offline check, score sheet, CLI arguments, notebook hygiene."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sgzlib import cli
from sgzlib.domain.dataset import Dataset
from sgzlib.domain.supervision_records import stations_of_supervisor
from sgzlib.errors import ConfigError, NotFoundError
from sgzlib.reports import assessment, batch, jobs
from sgzlib.reports.engine import notebook_path
from sgzlib.reports.html import external_resources
from sgzlib.store import storage


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


@pytest.mark.parametrize("html, found", [
    ('<script src="https://cdn.plot.ly/plotly.js"></script>', ["https://cdn.plot.ly/plotly.js"]),
    ('<link rel="stylesheet" href="//fonts.example.com/a.css">', ["//fonts.example.com/a.css"]),
    ('<img src="http://x.org/a.png">', ["http://x.org/a.png"]),
    ("<style>@import 'https://x.org/a.css'; body{background:url(http://x.org/b.png)}</style>",
     ["https://x.org/a.css", "http://x.org/b.png"]),
    ('<div style="background: url(https://x.org/c.png)"></div>', ["https://x.org/c.png"]),
    ('<a href="https://plotly.com/">plotly</a><script>var u = "https://cdn.plot.ly/"</script>', []),
    ('<img src="data:image/png;base64,AAAA"><script src="report.js"></script>', []),
])
def test_external_resources(html, found):
    assert external_resources(html) == found


def test_station_jobs(demo_url):
    all_jobs = jobs.station_jobs(demo_url, None, "2025年10月31日", "quarter")
    # The seven township stations with a project; the county hub and the village rooms have none.
    assert [j.target for j in all_jobs] == [f"YL0{i}" for i in range(1, 8)]
    first = all_jobs[0]
    assert first.parameters == {"station": "YL01", "as_of": "2025-10-31", "period": "quarter",
                                "db_url": jobs.kernel_db_url(demo_url), "unmasked": False}
    assert first.stem == "YL01_2025-10-31" and first.label == "YL01 东湖街道社会工作服务站"
    with pytest.raises(NotFoundError, match="NOPE"):
        jobs.station_jobs(demo_url, ["NOPE"], "2025-10-31")
    with pytest.raises(ConfigError, match="督导周期"):
        jobs.station_jobs(demo_url, ["YL01"], "2025-10-31", "week")


def test_assessment_and_district_jobs(demo_url):
    by_station = jobs.assessment_jobs(demo_url, ["YL03"], "2025-12-31")
    assert [(j.target, j.parameters["as_of"]) for j in by_station] == [("P2025-YL03", "2025-12-31")]
    # Without --as-of each project is assessed on its own end date.
    assert {j.parameters["as_of"] for j in jobs.assessment_jobs(demo_url, None)} == {"2025-12-31"}
    assert [j.target for j in jobs.district_jobs(demo_url, None, "2025-10-31")] == ["云岭区"]
    with pytest.raises(NotFoundError):
        jobs.district_jobs(demo_url, ["不存在区"], "2025-10-31")


def test_digest_jobs(demo_url, demo_ds):
    # the demo's 社工站 sheet names each township station's 督导者 (issue 30): 王督导 YL01–YL04, 李督导 YL05–YL07;
    # the sessions are led by either of them (a colleague stands in), which does not make a station theirs
    every = jobs.digest_jobs(demo_url, None, "2025-10-31")
    assert [(j.target, j.parameters["stations"]) for j in every] == [
        ("李督导", ["YL05", "YL06", "YL07"]), ("王督导", ["YL01", "YL02", "YL03", "YL04"])]
    assert every[1].parameters["supervisor"] == "王督导" and every[1].stem == "王督导_2025-10-31"
    picked = jobs.digest_jobs(demo_url, ["YL02", "YL05"], "2025-10-31")
    assert [(j.target, j.parameters["supervisor"], j.parameters["stations"]) for j in picked] == [
        ("YL02、YL05", None, ["YL02", "YL05"])]
    json.dumps(every[0].parameters)
    with pytest.raises(NotFoundError, match="督导者「张督导」.*已知的督导者：李督导、王督导"):
        jobs.digest_jobs(demo_url, None, "2025-10-31", ["张督导"])
    # before any session (the first 督导记录 is on 02-13) the sheet's assignment alone gives the stations
    early = jobs.digest_jobs(demo_url, None, "2025-01-31", ["王督导"])
    assert [(j.target, j.parameters["stations"]) for j in early] == [("王督导", ["YL01", "YL02", "YL03", "YL04"])]
    # a sheet that names nobody: before any session nobody supervises yet
    unnamed = Dataset({**demo_ds.frames, "stations": demo_ds.stations.drop(columns="supervisors")})
    with pytest.raises(NotFoundError, match="还没有任何督导记录"):
        stations_of_supervisor(unnamed, "王督导", "2025-01-31")
    with pytest.raises(NotFoundError, match="NOPE"):
        jobs.digest_jobs(demo_url, ["NOPE"], "2025-10-31")


def test_password_never_in_parameters():
    url = "postgresql+psycopg://sgz:secret@db.local:5432/sgz"
    assert jobs.notebook_db_url(url) is None
    assert jobs.kernel_env(url) == {"SGZ_DATABASE_URL": url}
    assert jobs.notebook_db_url("sqlite:///relative.db").startswith("sqlite:////")


@pytest.mark.parametrize("argv, message", [
    (["report", "station"], "二者选一"),
    (["report", "station", "YL01", "--all"], "二者选一"),
    (["report", "district", "云岭区", "--format", "html,docx"], "输出格式"),
    (["report", "digest"], "三者选一"),
    (["report", "digest", "YL01", "--supervisor", "王督导"], "三者选一"),
    (["report", "digest", "--supervisor", "王督导", "--district", "云岭区"], "只能与 --all 同用"),
    (["report", "digest", "--supervisor", "张督导"], "已知的督导者：李督导、王督导"),
    (["report", "station", "YL01", "--max-open-cases", "-1"], "不小于 0"),
])
def test_cli_refuses(argv, message, capsys, demo_url):
    assert cli.main([*argv, "--db", demo_url]) == 2
    assert message in capsys.readouterr().err


def test_cli_passes_arguments_and_exit_code(monkeypatch, demo_url, tmp_path, capsys):
    seen = {}

    def fake_run_jobs(todo, out, formats, workers, progress, env):
        seen.update(todo=todo, out=out, formats=formats, workers=workers, env=env)
        return [batch.ReportResult(todo[0], error="笔记本第 3 格出错"), batch.ReportResult(todo[1])]

    monkeypatch.setattr(batch, "run_jobs", fake_run_jobs)
    rc = cli.main(["report", "station", "YL01", "YL04", "--as-of", "2025-10-31", "--unmasked", "--db", demo_url,
                   "--out", str(tmp_path), "--format", "html,pdf", "--jobs", "3", "--quiet"])
    assert rc == 1  # one of the two failed
    assert [j.parameters["unmasked"] for j in seen["todo"]] == [True, True]
    assert (seen["formats"], seen["workers"], seen["out"]) == (("html", "pdf"), 3, str(tmp_path))
    err = capsys.readouterr().err
    assert "成功 1 份，失败 1 份" in err and "笔记本第 3 格出错" in err and "--unmasked" in err
    from sgzlib.store import audit, storage

    last = audit.read(storage.connect(demo_url)).iloc[-1]  # the batch is in the audit trail, unmasked
    assert (last["action"], last["stations"], bool(last["masked"])) == ("report", "YL01、YL04", False)
    assert "成功 1 份，失败 1 份" in last["detail"]


ALLOWED_CALLS = {"show", "report", "rep"}


@pytest.mark.parametrize("name", sorted(jobs.NOTEBOOKS.values()))
def test_notebooks_hold_no_logic(name):
    """Each notebook: a parameters cell of constants, then imports, one ``report.build`` and display calls."""
    nb = nbformat.read(notebook_path(name), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assert nb.metadata.kernelspec.name == "sgz"
    for stmt in ast.parse(code[0].source).body:
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
    for cell in code[1:]:
        assert not cell.outputs
        for stmt in ast.parse(cell.source).body:
            if isinstance(stmt, ast.ImportFrom):
                assert stmt.module.startswith("sgzlib")
                continue
            # a loop, a condition or any other statement is logic: named by its source, not an AttributeError
            assert isinstance(stmt, (ast.Expr, ast.Assign)), f"{name}: not a single call: {ast.unparse(stmt)}"
            call = stmt.value
            assert isinstance(call, ast.Call), f"{name}: not a single call: {ast.unparse(stmt)}"
            root = call.func
            while isinstance(root, ast.Attribute):
                root = root.value
            assert isinstance(root, ast.Name) and root.id in ALLOWED_CALLS, ast.unparse(stmt)


def test_scoresheet(demo_url, tmp_path):
    rep = assessment.build(demo_url, "P2025-YL01", "2025-12-31")
    path = tmp_path / "score.xlsx"
    rep.write_scoresheet(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["评分表", "证据明细", "前后测", "待完成事项"]
    ws = wb["评分表"]
    header = [c.value for c in ws[4]]
    # 指标编号 first (issue 30): the key the 评分表 shares with 证据明细
    assert header[:4] == ["序号", "指标编号", "领域", "指标"] and "评估员得分" in header and "评估员意见" in header
    summary = rep.summary
    rows = list(ws.iter_rows(min_row=5, max_row=4 + len(summary), values_only=True))
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["指标"]] for r in rows] == list(summary["indicator_name"])
    assert [r[col["指标编号"]] for r in rows] == list(summary["indicator_id"])
    # no scheme given: no points, no system score and no 合计 row anywhere (docs/counting-rules.md rule 12;
    # docs/cli.md: 有评分细则时才有分值、系统得分和合计行)
    assert "系统得分" not in header and "分值" not in header and "不计算总分" in ws["A3"].value
    score = get_column_letter(col["评估员得分"] + 1)
    assert ws.max_row == 4 + len(summary) and ws.cell(5 + len(summary), col["指标"] + 1).value is None
    assert str(ws.data_validations.dataValidation[0].sqref) == f"{score}5:{score}{4 + len(summary)}"
    evidence = wb["证据明细"]
    assert evidence.max_row - 3 == len(rep.explanations)
    assert next(evidence.iter_rows(min_row=3, max_row=3, values_only=True))[0] == "指标编号"


def test_report_parameters_are_json(demo_url):
    for job in jobs.station_jobs(demo_url, ["YL01"], "2025-10-31"):
        json.dumps(job.parameters)  # papermill writes them into the notebook


def test_kernel_registration_survives_many_threads_at_once(tmp_path, monkeypatch):
    """A batch starts its kernels from threads; on a fresh .venv they all find the spec missing.

    CI once failed with FileExistsError from two threads copying the spec at the same moment.
    """
    import json
    import sys
    import threading

    from sgzlib.runtime import kernel

    monkeypatch.setattr(kernel, "kernel_prefix", lambda: tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    name = "sgz-race-test"
    results, errors = [], []
    start = threading.Barrier(8)

    def register():
        start.wait()
        try:
            results.append(kernel.ensure_kernel(name))
        except Exception as exc:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [name] * 8
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / name / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == kernel.DISPLAY_NAME


def test_station_notebook_caseload_limit_is_the_library_default(demo_url):
    from sgzlib.domain import caseload

    nb = nbformat.read(notebook_path("station_supervision"), as_version=4)
    params = {}
    exec(nb.cells[0].source, {}, params)  # the parameters cell: constants only (test_notebooks_hold_no_logic)
    assert params["max_open_cases"] == caseload.MAX_OPEN_CASES
    # --max-open-cases reaches the notebook; without it the notebook's default applies
    assert jobs.station_jobs(demo_url, ["YL01"], "2025-10-31", max_open_cases=3)[0].parameters["max_open_cases"] == 3
    assert "max_open_cases" not in jobs.station_jobs(demo_url, ["YL01"], "2025-10-31")[0].parameters
