"""The evidence page (station report, assessment) and the demo district's planted photo problems."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from sgzlib.demo import district as demo
from sgzlib.demo import photogen
from sgzlib.demo import photos as demo_photos
from sgzlib.domain.dataset import Dataset
from sgzlib.photos import checks
from sgzlib.photos import scan as photo_scan
from sgzlib.reports import photo_evidence
from sgzlib.store.photo_index import tidy_index

D = dt.date.fromisoformat
STATION = {"code": "S1", "name": "测试街道社会工作服务站", "level": "乡镇街道站", "parent_code": None, "district": "测试区"}


def _reused_pairs(tmp_path, n):
    """``n`` pictures, each used by a record and, re-saved smaller with a watermark strip, by a later one."""
    folder = tmp_path / "S1"
    rows = []
    for k in range(n):
        img = photogen.scene(k, 0, (640, 480))
        photogen.save(img, folder / f"{k}.jpg", taken=dt.datetime(2025, 3, 1 + k % 28, 9))
        photogen.save(photogen.watermarked(photogen.resized(img, 0.6)), folder / f"{k}-copy.jpg",
                      taken=dt.datetime(2025, 6, 1 + k % 28, 9))
        rows += [{"code": f"A{k:02d}", "date": D(f"2025-03-{1 + k % 28:02d}"), "photos": f"{k}.jpg"},
                 {"code": f"B{k:02d}", "date": D(f"2025-06-{1 + k % 28:02d}"), "photos": f"{k}-copy.jpg"}]
    found = photo_scan.scan_folder(folder, {})
    index = tidy_index(pd.DataFrame(found.rows).assign(station_code="S1"))
    services = pd.DataFrame(rows).assign(station_code="S1", domain="社会救助", category="关爱帮扶")
    ds = Dataset({"stations": pd.DataFrame([STATION]), "services": services})
    ds.frames["photo_files"] = index
    thumbs = {("S1", r["path"]): r["thumbnail"] for r in found.rows}
    return ds, thumbs


def test_reused_pairs_side_by_side_and_50_thumbnails_stay_small(tmp_path):
    ds, thumbs = _reused_pairs(tmp_path, 30)
    page = photo_evidence.from_dataset(ds, "S1", "2025-12-31")
    page.thumbs = thumbs
    assert page.counts()[checks.REUSED_CONTENT] == 30
    text = page.html()
    images = re.findall(r'<img src="data:image/jpeg;base64,', text)
    assert len(images) == 50  # 25 pairs of 2 fill the limit of 50 thumbnails
    assert "另有 5 处未显示缩略图" in text
    first = text.index("服务记录 A00")  # caption of the first use, then the re-use beside it
    assert text.index("服务记录 B00") > first and "src=" not in text[:text.index("<h4>")]
    assert len(text.encode()) < 1_000_000  # 50 thumbnails of 160 px: well under the 5 MB a report may take
    assert "http" not in text  # nothing to fetch: the page works offline


def test_time_mismatch_shows_capture_time_beside_record_date(tmp_path):
    folder = tmp_path / "S1"
    photogen.save(photogen.scene(1, 0, (320, 240)), folder / "a.jpg", taken=dt.datetime(2025, 2, 10, 14, 5))
    found = photo_scan.scan_folder(folder, {})
    ds = Dataset({"stations": pd.DataFrame([STATION]), "services": pd.DataFrame([
        {"code": "R1", "station_code": "S1", "date": D("2025-03-04"), "domain": "社会救助", "category": "关爱帮扶",
         "photos": "a.jpg、b.jpg"}])})
    ds.frames["photo_files"] = tidy_index(pd.DataFrame(found.rows).assign(station_code="S1"))
    page = photo_evidence.from_dataset(ds, "S1", "2025-12-31")
    page.thumbs = {("S1", "a.jpg"): found.rows[0]["thumbnail"]}
    text = page.html()
    assert "记录日期 2025-03-04<br><span class=\"bad\">拍摄 2025-02-10 14:05</span>" in text
    assert "拍摄时间与记录日期不符（1 处）" in text and "台账写了、照片文件夹中没有的照片" in text and "b.jpg" in text


def test_page_without_an_index_says_so():
    ds = Dataset({"stations": pd.DataFrame([STATION])})
    text = photo_evidence.from_dataset(ds, "S1", "2025-12-31").html()
    # in the workers' words (issue 30: no developer words): the folder was not read, so what cannot be checked
    assert "本站的照片文件夹还没有读入" in text and "只能按文件名核对照片" in text
    assert "内容重复、拍摄时间和地点无法核查" in text


@pytest.mark.slow
def test_demo_photo_folder_has_the_planted_problems(tmp_path):
    ds = demo.build()
    assert demo_photos.write_photos(ds, tmp_path)["unchanged"] == 0
    assert demo_photos.write_photos(ds, tmp_path)["written"] == 0  # rerun: same bytes, files untouched
    found = photo_scan.scan_folder(tmp_path / "YL02", {})
    ds.frames["photo_files"] = tidy_index(pd.DataFrame(found.rows).assign(station_code="YL02"))
    f = checks.photo_findings(ds).findings
    by = {code: sorted(f.loc[f["finding"] == code, "record_id"]) for code in checks.FINDINGS}
    p = demo_photos.PHOTO_PLANTED
    assert by[checks.MISSING_FILE] == sorted(p.missing)
    assert p.copied_by[1] in by[checks.REUSED_CONTENT]
    assert set(p.early) <= set(by[checks.TIME_MISMATCH])
    assert by[checks.NO_CAPTURE_TIME] == sorted(p.no_exif)
    assert by[checks.PLACE_MISMATCH] == sorted(p.far)
    assert sorted(checks.photo_findings(ds).unused["path"]) == sorted(p.unused)


def test_demo_spending_has_one_planted_expense_per_rule(demo_ds):
    from sgzlib.indicators import evaluate

    sp = evaluate(demo_ds, "2025-12-31", projects=["P2025-YL01", "P2025-YL02"]).spending
    found = sorted(zip(sp.records["check_id"], sp.records["record_id"]))
    assert found == sorted(demo_photos.PHOTO_PLANTED.spending)


def test_maybe_shared_flags_exactly_the_repeated_files():
    """``context._maybe_shared`` against pandas' ``duplicated`` (a hash collision of these few would be a
    one-in-10¹¹ chance)."""
    from sgzlib.indicators.context import _maybe_shared

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 50, 20_000):
        files = np.array([f"T0-S{int(i):07d}.jpg" for i in rng.integers(0, 3 * n + 1, n)], dtype=object)
        expected = pd.Series(files, dtype=object).duplicated(keep=False).to_numpy()
        assert (_maybe_shared(files) == expected).all()
