"""The evidence page (station report, assessment) and the demo district's planted photo problems."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from sgzlib.demo import district as demo
from sgzlib.demo import photogen
from sgzlib.demo import photos as demo_photos
from sgzlib.domain.dataset import LIST_SEPARATOR, Dataset
from sgzlib.photos import checks
from sgzlib.photos import scan as photo_scan
from sgzlib.reports import photo_evidence
from sgzlib.store import photo_index, storage
from sgzlib.store.photo_index import tidy_index
from sgzlib.workbench import open_workbench

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


def _exact_reuse(ds, as_of, stations) -> set[tuple[str, str]]:
    """(record, first record) of every use of a byte-identical file some other record used earlier, by a
    pandas group-by on SHA-256 over the whole photo index (names matched to files by their base name)."""
    index = ds.frames["photo_files"].assign(base=lambda f: f["path"].str.rsplit("/", n=1).str[-1])
    index = index[~index.duplicated(["station_code", "base"], keep=False)]
    indexed, parent = set(index["station_code"]), ds.stations.set_index("code")["parent_code"]
    uses = []
    for table, sheet, ids, _ in checks.PHOTO_TABLES:
        frame = ds[table]
        rid = frame[list(ids)].astype("string").agg("/".join, axis=1) if len(ids) > 1 else frame[ids[0]]
        names = frame["photos"].dropna().str.split(LIST_SEPARATOR).explode().str.strip()
        names = names[names != ""]
        uses.append(pd.DataFrame({"table": table, "sheet": sheet, "record_id": rid.loc[names.index].to_numpy(),
                                  "station": ds.station_column(table).loc[names.index].to_numpy(),
                                  "date": pd.to_datetime(frame["date"].loc[names.index]).to_numpy(),
                                  "base": names.to_numpy()}))
    uses = pd.concat(uses, ignore_index=True).drop_duplicates(["table", "record_id", "base"])
    # the folder: the station's own, else its parent's (the demo tree: county → township → village room)
    uses["folder"] = [s if s in indexed else parent.get(s) for s in uses["station"]]
    uses = uses.merge(index[["station_code", "base", "sha256"]], left_on=["folder", "base"],
                      right_on=["station_code", "base"])
    found = set()
    for _, g in uses.sort_values(["date", "table", "record_id"], kind="stable").groupby("sha256"):
        first = g.iloc[0]
        later = g[(g["record_id"] != first["record_id"]) | (g["table"] != first["table"])]
        found |= {(r, f"{first['sheet']} {first['record_id']}") for r, s, d in
                  zip(later["record_id"], later["station"], later["date"]) if s in stations and d <= as_of}
    return found


@pytest.mark.slow
def test_a_report_reads_its_station_and_finds_the_reuse_the_whole_database_shows(tmp_path):
    """``build`` reads the station and the stations sharing its pictures, and finds what the whole-database
    path finds: planted here, a picture YL02-S0100 uses is in YL01's folder, named by an earlier YL01 record."""
    ds = demo.build()
    borrowed = ds.services[ds.services["station_code"] == "YL01"].iloc[[0]].assign(
        code="YL01-S9999", date=pd.Timestamp("2025-01-02"), photos="借用.jpg")
    ds.frames["services"] = pd.concat([ds.services, borrowed], ignore_index=True)
    demo_photos.write_photos(ds, tmp_path / "photos")
    taken = ds.services.set_index("code").at[demo_photos.PHOTO_PLANTED.copied_by[0], "photos"]
    source = next((tmp_path / "photos" / "YL02").rglob(taken.split(LIST_SEPARATOR)[0].strip()))
    (tmp_path / "photos" / "YL01").mkdir()
    shutil.copy(source, tmp_path / "photos" / "YL01" / "借用.jpg")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = storage.connect(url)
    storage.write_dataset(engine, ds, prune=True, scope=None)
    for code in ("YL01", "YL02"):
        photo_index.write_scan(engine, code, photo_scan.scan_folder(tmp_path / "photos" / code, {}))
    as_of = pd.Timestamp("2025-12-31")
    whole = open_workbench(url, masked=True, output="photo_evidence").ds
    townships = ds.stations.loc[ds.stations["level"] == "乡镇街道站", "code"].tolist()
    for code in townships:
        old = photo_evidence.from_dataset(whole, code, as_of)
        part, folders = photo_evidence.related(engine, code)
        new = photo_evidence.from_dataset(part, code, as_of, folders=folders)
        # "row" is the record's position in the frame read (the whole database, or the part): not shown
        pd.testing.assert_frame_equal(old.findings.drop(columns="row"), new.findings.drop(columns="row"),
                                      check_dtype=len(old.findings) > 0)
        pd.testing.assert_frame_equal(old.unused, new.unused, check_dtype=len(old.unused) > 0)
        reused = new.findings[(new.findings["finding"] == checks.REUSED_CONTENT)
                              & new.findings["reason"].str.contains("内容完全相同")]
        assert set(zip(reused["record_id"], reused["first_record"])) == _exact_reuse(
            whole, as_of, set(ds.descendants(code))), code
        read = set(part.services["station_code"])
        if code in ("YL01", "YL02"):  # they share a picture: each reads the other, and nothing else
            assert read == set(ds.descendants(["YL01", "YL02"])) & set(ds.services["station_code"]), code
        else:  # no picture shared: only its own records
            assert read <= set(ds.descendants(code)), code
    page = photo_evidence.build(url, "YL02", as_of)
    reuse = page.findings[page.findings["finding"] == checks.REUSED_CONTENT].set_index("record_id")["first_record"]
    # the group's first use is now YL01's: S0100 re-uses it byte for byte, S0120 (its re-saved copy) too
    copied = demo_photos.PHOTO_PLANTED.copied_by
    assert {code: reuse[code] for code in copied} == {code: "服务记录 YL01-S9999" for code in copied}
    assert ("YL01", "借用.jpg") in page.thumbs  # the other station's picture shown beside this one's
    # the files no record uses are the planted ones, though YL01's 931 demo photo names find no file in its
    # folder (a use with no file once shifted the pairing of folders and paths: 605 "unused" files)
    assert sorted(page.unused["path"]) == sorted(demo_photos.PHOTO_PLANTED.unused)
    engine.dispose()
