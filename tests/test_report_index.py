"""The report folder's front page (out/index.html), browser discovery and the fallback to ipynb + HTML."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from sgzlib import cli
from sgzlib.errors import ConfigError
from sgzlib.reports import batch, index, jobs
from sgzlib.reports.html import external_resources
from sgzlib.runtime import browser
from sgzlib.store import storage


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('index') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


def _written(job, out, formats):
    """A successful result whose files exist (empty files: the index only links them)."""
    result = batch.ReportResult(job)
    for fmt in formats:
        path = job.path(out, f".{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
        result.files[fmt] = path
    return result


def _with_record(result, out):
    """A station report's result with the 督导记录 workbook its kernel writes next to it."""
    result.files["record"] = result.job.path(out, batch.RECORD_SUFFIX)
    result.files["record"].write_text("x", encoding="utf-8")
    return result


def _links(page: str) -> list[str]:
    """The page's links to files (not its anchors to its own sections, nor the dashboards' address)."""
    return [h for h in re.findall(r'<a href="([^"]+)"', page) if not h.startswith(("#", "http"))]


def test_index_lists_supervisor_digests_in_their_own_section(demo_url, tmp_path):
    out = tmp_path / "out"
    digests = jobs.digest_jobs(demo_url, None, "2025-10-31") + jobs.digest_jobs(demo_url, ["YL02"], "2025-10-31")
    station = jobs.station_jobs(demo_url, ["YL01"], "2025-10-31")
    results = [_written(j, out, ("html", "pdf")) for j in digests + station]
    page = index.record(out, index.entries_for(results, out, demo_url)).read_text(encoding="utf-8")
    section = page.split("<h2>督导简报</h2>", 1)[1].split("<h2", 1)[0]
    # 李督导, 王督导 and the one over YL02, each with HTML and PDF; not under a station's heading
    assert [re.sub("<[^>]+>", "", r).split("2025")[0] for r in re.findall(r"<tr><td>(.*?)</td>", section)] == [
        "YL02", "李督导", "王督导"]
    assert len(_links(section)) == 6 and "digest/YL02_2025-10-31.pdf" in _links(section)
    assert 'id="station-YL02"' not in page and 'id="station-YL01"' in page
    assert "督导简报 3 份" in "\n".join(index.summary(out))


def test_index_groups_every_report_by_station_with_its_date(demo_url, tmp_path):
    out = tmp_path / "out"
    stations = jobs.station_jobs(demo_url, ["YL01", "YL04"], "2025-10-31")
    assessment = jobs.assessment_jobs(demo_url, ["YL04"], "2025-12-31")
    district = jobs.district_jobs(demo_url, ["云岭区"], "2025-10-31")
    results = [_written(j, out, ("ipynb", "html")) for j in stations + district]
    results.append(_written(assessment[0], out, ("ipynb", "html", "xlsx")))
    results.append(batch.ReportResult(jobs.station_jobs(demo_url, ["YL02"], "2025-10-31")[0], error="失败了"))
    (out / "评估_2025-10-31.xlsx").write_text("x", encoding="utf-8")
    page_path = index.record(out, index.entries_for(results, out, demo_url))
    page = page_path.read_text(encoding="utf-8")

    assert page_path == out / "index.html"
    assert external_resources(page) == [] and "<script" not in page.split("</head>")[0].split("<style")[0]
    links = _links(page)
    # 2 station reports × 2 files + district × 2 + assessment × 3 + the evaluation workbook = 10 links.
    assert len(links) == 10
    for code in ("YL01", "YL04"):
        assert f"station/{code}_2025-10-31.html" in links
    assert "assessment/P2025-YL04_2025-12-31.xlsx" in links
    assert "district/" + "%E4%BA%91%E5%B2%AD%E5%8C%BA" + "_2025-10-31.html" in links  # 云岭区, URL-quoted
    assert "%E8%AF%84%E4%BC%B0_2025-10-31.xlsx" in links
    assert "YL02" not in page  # the failed report is not listed
    # The assessment of YL04 sits in YL04's section, after its supervision report, each with its date.
    yl04 = page.split("YL04 北岭街道社会工作服务站")[1]
    assert yl04.index("督导报告（YL04）") < yl04.index("年终评估（P2025-YL04）")
    assert "2025-12-31" in yl04 and "云岭区" in yl04
    assert page.index("区县概览") < page.index("YL01 东湖街道社会工作服务站") < page.index("YL04 北岭街道")
    assert "共 4 份报告" in page


def test_index_keeps_earlier_batches_replaces_a_rewrite_and_drops_deleted_files(demo_url, tmp_path):
    out = tmp_path / "out"
    first = [_written(j, out, ("html",)) for j in jobs.station_jobs(demo_url, ["YL01"], "2025-10-31")]
    index.record(out, index.entries_for(first, out, demo_url))
    second = [_written(j, out, ("html", "pdf")) for j in jobs.station_jobs(demo_url, ["YL01", "YL03"], "2025-10-31")]
    index.record(out, index.entries_for(second, out, demo_url))
    manifest = json.loads((out / index.MANIFEST).read_text(encoding="utf-8"))
    assert sorted((e["target"], sorted(e["files"])) for e in manifest) == [("YL01", ["html", "pdf"]),
                                                                          ("YL03", ["html", "pdf"])]
    (out / "station" / "YL03_2025-10-31.html").unlink()
    (out / "station" / "YL03_2025-10-31.pdf").unlink()
    page = index.write_index(out).read_text(encoding="utf-8")
    assert _links(page) == ["station/YL01_2025-10-31.html", "station/YL01_2025-10-31.pdf"]
    assert "YL03" not in page


def test_summary_says_what_was_written_and_where_to_start(demo_url, tmp_path):
    out = tmp_path / "out"
    results = [_written(j, out, ("ipynb", "html", "xlsx")) for j in jobs.assessment_jobs(demo_url, None)]
    index.record(out, index.entries_for(results, out, demo_url))
    text = "\n".join(index.summary(out))
    assert "年终评估 7 份（html、ipynb，另有评分表 7 份）" in text  # seven demo projects
    assert f"用浏览器打开 {out / 'index.html'}" in text


def test_station_reports_list_their_supervision_record_workbook(demo_url, tmp_path):
    out = tmp_path / "out"
    results = [_written(j, out, ("html",)) for j in jobs.station_jobs(demo_url, ["YL01", "YL02"])]
    for r in results:  # as `sgz report station` adds the pre-filled 督导记录 workbook it wrote next to the report
        r.files["record"] = r.job.path(out, "_督导记录.xlsx")
        r.files["record"].write_text("x", encoding="utf-8")
    page = index.record(out, index.entries_for(results, out, demo_url)).read_text(encoding="utf-8")
    stem = results[0].job.stem
    assert f"station/{stem}_%E7%9D%A3%E5%AF%BC%E8%AE%B0%E5%BD%95.xlsx" in _links(page) and "督导记录（Excel，督导后填写导入）" in page
    assert "督导报告 2 份（html，另有督导记录工作簿 2 份）" in "\n".join(index.summary(out))


# -- which browser sgz may use ------------------------------------------------

def _fake_browser(folder, name="chromium"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\necho Chromium 1.0\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_sgz_chromium_is_the_only_browser_when_set(tmp_path, monkeypatch):
    on_path = _fake_browser(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    assert browser.find_chromium() is None  # neither PATH nor /usr/bin/chromium is consulted
    with pytest.raises(ConfigError, match="SGZ_CHROMIUM"):
        browser.chromium_path()
    chosen = _fake_browser(tmp_path / "other", "my-chromium")
    monkeypatch.setenv("SGZ_CHROMIUM", chosen)
    assert browser.find_chromium() == chosen
    monkeypatch.delenv("SGZ_CHROMIUM")
    assert browser.find_chromium() == on_path  # PATH before /usr/bin/chromium


def test_without_a_browser_the_default_drops_pdf_and_an_explicit_pdf_fails(demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    assert batch.default_formats() == ("ipynb", "html")
    seen = {}

    def fake_run_jobs(todo, out, formats, workers, progress, env):
        seen["formats"] = formats
        return [_with_record(_written(j, tmp_path / "out", ("ipynb", "html")), tmp_path / "out") for j in todo]

    monkeypatch.setattr(batch, "run_jobs", fake_run_jobs)
    assert cli.main(["report", "station", "YL01", "--as-of", "2025-10-31", "--db", demo_url,
                     "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert seen["formats"] == ("ipynb", "html")
    assert _links((tmp_path / "out" / "index.html").read_text(encoding="utf-8")) == [
        "station/YL01_2025-10-31.html", "station/YL01_2025-10-31_%E7%9D%A3%E5%AF%BC%E8%AE%B0%E5%BD%95.xlsx",  # 督导记录
        "station/YL01_2025-10-31.ipynb"]
    monkeypatch.undo()
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    with pytest.raises(ConfigError, match="找不到 Chromium"):
        batch.run_jobs(jobs.station_jobs(demo_url, ["YL01"], "2025-10-31"), tmp_path / "x", formats=("pdf",),
                       progress=False)
    assert not (tmp_path / "x").exists()  # refused before any work


def test_explicit_pdf_without_browser_is_a_clear_cli_error(demo_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    assert cli.main(["report", "station", "YL01", "--as-of", "2025-10-31", "--db", demo_url,
                     "--out", str(tmp_path / "out"), "--format", "pdf", "--quiet"]) == 2
    assert "找不到 Chromium 浏览器，无法生成 PDF" in capsys.readouterr().err


def test_enable_pdf_command_names_the_packages(monkeypatch):
    monkeypatch.delenv("SGZ_CHROMIUM", raising=False)
    command = browser.enable_pdf_command()
    assert command.endswith("apt-get install -y chromium fonts-noto-cjk && make demo")
    assert command.startswith("sudo ") == (os.geteuid() != 0)
