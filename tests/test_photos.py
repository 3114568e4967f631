"""Photo evidence: scanning a folder, matching ledger names, the checks, and their effect on counting."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from PIL import Image

from sgzlib.cli import main
from sgzlib.demo import photogen
from sgzlib.domain.dataset import Dataset
from sgzlib.photos import checks, hashing, match
from sgzlib.photos import scan as photo_scan
from sgzlib.store import storage
from sgzlib.store.photo_index import load_index, tidy_index

D = dt.date.fromisoformat
T = dt.datetime.fromisoformat
HOME = (49.4500, 117.7000)  # the station's 纬度, 经度 in these tests
STATION = {"code": "S1", "name": "测试街道社会工作服务站", "level": "乡镇街道站", "parent_code": None,
           "district": "测试区", "latitude": HOME[0], "longitude": HOME[1]}


def _photo(folder, rel, family, shot=0, **exif):
    return photogen.save(photogen.scene(family, shot, size=(320, 240)), folder / rel, **exif)


def _services(*rows):
    return pd.DataFrame([{"code": c, "station_code": "S1", "date": D(d), "domain": "社会救助", "category": "关爱帮扶",
                          "photos": p} for c, d, p in rows])


def _ds(services, index=None, **frames):
    ds = Dataset({"stations": pd.DataFrame([STATION]), "services": services, **frames})
    if index is not None:
        ds.frames["photo_files"] = index
    return ds


def _index(folder, station="S1"):
    found = photo_scan.scan_folder(folder, {})
    return tidy_index(pd.DataFrame([{**r, "station_code": station} for r in found.rows]))


# -- reading a file -------------------------------------------------------------------

def test_read_photo_gets_exif_time_gps_camera_and_size(tmp_path):
    path = _photo(tmp_path, "a.jpg", 1, taken=T("2025-03-05 10:21:33"), gps=(49.4561, -117.7123),
                  camera=("Xiaomi", "13"), software="WatermarkCam 3.3")
    facts = photo_scan.read_photo(path)
    assert facts["readable"] and facts["error"] is None
    assert facts["taken_at"] == T("2025-03-05 10:21:33")
    # 49.4561° written as 49° 27' 21.96" and read back; 4 decimal places of seconds ≈ 3 mm
    assert facts["latitude"] == pytest.approx(49.4561, abs=1e-6)
    assert facts["longitude"] == pytest.approx(-117.7123, abs=1e-6)
    assert (facts["camera"], facts["software"]) == ("Xiaomi 13", "WatermarkCam 3.3")
    assert (facts["width"], facts["height"]) == (320, 240)
    import hashlib
    assert facts["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(facts["phash"]) == 16 * hashing.N_HASHES
    assert Image.open(__import__("io").BytesIO(facts["thumbnail"])).size == (160, 120)


def test_png_without_exif_and_broken_and_heic_files(tmp_path):
    _photo(tmp_path, "plain.png", 2)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "iphone.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic")
    facts = {r["path"]: r for r in photo_scan.scan_folder(tmp_path, {}).rows}
    assert facts["plain.png"]["readable"] and facts["plain.png"]["taken_at"] is None
    assert not facts["broken.jpg"]["readable"] and facts["broken.jpg"]["error"].startswith("无法读取图片")
    if not photo_scan.HEIC:
        assert facts["iphone.HEIC"]["error"] == photo_scan.NO_HEIC_READER


def test_fingerprint_hashes_are_imagehash_phash_of_each_window():
    import imagehash

    img = photogen.scene(3, 1)
    gray = img.convert("L").resize(hashing._fit(img.size, hashing.BASE), Image.Resampling.BILINEAR)
    expected = [hashing.as_int(imagehash.phash(gray.crop(box))) for box in hashing.windows(*gray.size)]
    assert [int(v) for v in hashing.fingerprint(img)] == expected


def test_rescan_reads_only_changed_files(tmp_path):
    for i in range(3):
        _photo(tmp_path, f"2025-03/{i}.jpg", i)
    first = photo_scan.scan_folder(tmp_path, {})
    known = {r["path"]: (r["size"], r["mtime"]) for r in first.rows}
    assert sorted(known) == ["2025-03/0.jpg", "2025-03/1.jpg", "2025-03/2.jpg"]
    _photo(tmp_path, "2025-03/1.jpg", 9)  # replaced
    os.utime(tmp_path / "2025-03/1.jpg", (1e9, 1e9))
    (tmp_path / "2025-03/2.jpg").unlink()
    again = photo_scan.scan_folder(tmp_path, known)
    assert [r["path"] for r in again.rows] == ["2025-03/1.jpg"]
    assert (again.unchanged, again.removed) == (1, ["2025-03/2.jpg"])


# -- matching names -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status", "found"), [
    ("IMG_001.jpg", match.MATCHED, ["2025-03/IMG_001.jpg"]),
    ("img_001.JPG", match.MATCHED, ["2025-03/IMG_001.jpg"]),       # case
    ("ＩＭＧ＿００１．ｊｐｇ", match.MATCHED, ["2025-03/IMG_001.jpg"]),  # full-width
    ("IMG_001", match.MATCHED, ["2025-03/IMG_001.jpg"]),           # no extension
    ("活动 合影", match.AMBIGUOUS, ["2025-03/活动合影.jpg", "2025-04/活动合影.png"]),
    ("2025-04/活动合影", match.MATCHED, ["2025-04/活动合影.png"]),   # a folder picks one
    ("IMG_002.jpg", match.MISSING, []),
])
def test_names_match_files_tolerantly(name, status, found):
    folder = match.FolderIndex(pd.Series(["2025-03/IMG_001.jpg", "2025-03/活动合影.jpg", "2025-04/活动合影.png"]))
    assert folder.find(name) == (status, found)


# -- the checks ---------------------------------------------------------------------------

NEAR = (49.4600, 117.7000)   # 0.0100° of latitude north of HOME: 0.01 × 111.195 km = 1.11 km
FAR = (49.5400, 117.7000)    # 0.0900° north: 0.09 × 111.195 km = 10.0 km (> 5 km)


@pytest.fixture
def folder(tmp_path):
    """A station folder with hand-set EXIF: each photo named for what it tests."""
    f = tmp_path / "S1"
    _photo(f, "2025-03/a.jpg", 1, taken=T("2025-03-05 09:00"), gps=NEAR)        # good for 3-05
    _photo(f, "2025-03/b.jpg", 2, taken=T("2025-03-01 09:00"), gps=NEAR)        # 4 days before 3-05
    _photo(f, "2025-03/c.jpg", 3, taken=T("2025-03-06 23:00"), gps=NEAR)        # 1 day after 3-05: allowed
    _photo(f, "2025-03/d.jpg", 4, taken=T("2025-03-05 10:00"), gps=FAR)         # 10 km away
    _photo(f, "2025-03/e.jpg", 5)                                               # no EXIF at all
    shot = photogen.scene(1, 0, size=(320, 240))                                # a.jpg's picture, re-saved
    photogen.save(photogen.watermarked(photogen.resized(shot, 0.7)), f / "2025-04/a副本.jpg",
                  taken=T("2025-04-02 09:00"), gps=NEAR)
    (f / "2025-04/f.jpg").write_bytes((f / "2025-03/c.jpg").read_bytes())     # c.jpg byte for byte
    _photo(f, "2025-04/unused.jpg", 7, taken=T("2025-04-09 09:00"))
    return f


def _checked(folder, rows, **kw):
    ds = _ds(_services(*rows), _index(folder))
    return checks.photo_findings(ds, **kw)


def _codes(found):
    return sorted(zip(found.findings["record_id"], found.findings["finding"]))


def test_each_check_with_hand_set_times_and_positions(folder):
    found = _checked(folder, [("R1", "2025-03-05", "a.jpg"), ("R2", "2025-03-05", "b"), ("R3", "2025-03-05", "c.JPG"),
                              ("R4", "2025-03-05", "d.jpg"), ("R5", "2025-03-05", "e.jpg"), ("R6", "2025-03-05", "x.jpg"),
                              ("R7", "2025-04-02", "a副本.jpg"), ("R8", "2025-03-06", "f.jpg")])
    assert _codes(found) == [
        ("R2", checks.TIME_MISMATCH),     # 3-01 vs 3-05: 4 days > 1
        ("R4", checks.PLACE_MISMATCH),    # 10.0 km > 5
        ("R5", checks.NO_CAPTURE_TIME),
        ("R6", checks.MISSING_FILE),
        ("R7", checks.REUSED_CONTENT),    # a.jpg resized to 70 % and stamped: R1 used it first
        ("R8", checks.REUSED_CONTENT),    # the same bytes as c.jpg, which R3 used on 3-05
    ]
    f = found.findings.set_index("record_id")
    assert f.at["R2", "reason"] == "照片「b」拍摄于 2025-03-01 09:00，与记录日期 2025-03-05 相差 4 天（允许 1 天）"
    assert f.at["R4", "km_off"] == pytest.approx(0.09 * 111.195, abs=0.01)
    assert "服务记录 R1" in f.at["R7", "reason"] and "内容近似" in f.at["R7", "reason"]
    assert "服务记录 R3" in f.at["R8", "reason"] and "内容完全相同" in f.at["R8", "reason"]
    assert list(found.unused["path"]) == ["2025-04/unused.jpg"]


def test_limits_are_settings(folder):
    found = _checked(folder, [("R2", "2025-03-05", "b.jpg"), ("R4", "2025-03-05", "d.jpg")], max_days=4, max_km=10.5)
    assert _codes(found) == []  # 4 days ≤ 4, 10.0 km ≤ 10.5
    found = _checked(folder, [("R3", "2025-03-05", "c.jpg")], max_days=0)
    assert _codes(found) == [("R3", checks.TIME_MISMATCH)]  # 3-06 vs 3-05 is 1 day > 0


def test_reuse_counts_across_stations_and_tables(folder, tmp_path):
    # S2's folder holds a 10 % crop of S1's a.jpg; a group session of S2 uses it a month later.
    s2 = tmp_path / "S2"
    shot = photogen.scene(1, 0, size=(320, 240))
    photogen.save(photogen.cropped(shot, 0.1, __import__("random").Random(1)), s2 / "x.jpg", taken=T("2025-04-08 10:00"))
    index = pd.concat([_index(folder), _index(s2, "S2")], ignore_index=True)
    stations = pd.DataFrame([STATION, {**STATION, "code": "S2", "name": "另一街道社工站"}])
    ds = Dataset({"stations": stations, "services": _services(("R1", "2025-03-05", "a.jpg")),
                  "groups": pd.DataFrame([{"code": "G1", "station_code": "S2", "domain": "养老服务", "name": "乐龄"}]),
                  "group_sessions": pd.DataFrame([{"group_code": "G1", "seq": 1, "date": D("2025-04-08"),
                                                   "attendance": 8, "photos": "x.jpg"}])})
    ds.frames["photo_files"] = index
    found = checks.photo_findings(ds)
    assert _codes(found) == [("G1/1", checks.REUSED_CONTENT)]
    assert found.findings["first_record"].iloc[0] == "服务记录 R1"


def test_no_index_means_no_findings(folder):
    found = checks.photo_findings(_ds(_services(("R1", "2025-03-05", "nothing.jpg"))))
    assert found.findings.empty and found.uses.empty


def test_ambiguous_name_is_reported_not_guessed(tmp_path):
    f = tmp_path / "S1"
    _photo(f, "3月/合影.jpg", 1, taken=T("2025-03-05 09:00"))
    _photo(f, "4月/合影.jpg", 2, taken=T("2025-03-05 09:00"))
    found = _checked(f, [("R1", "2025-03-05", "合影.jpg")])
    assert _codes(found) == [("R1", checks.AMBIGUOUS_FILE)]
    assert "3月/合影.jpg、4月/合影.jpg" in found.findings["reason"].iloc[0]
    assert found.unused.empty  # both candidates are named, neither is "unused"


def test_haversine_against_a_known_distance():
    # Beijing (39.9042, 116.4074) – Shanghai (31.2304, 121.4737): 1067 km on the 6371 km sphere
    # (independent value: the great-circle calculator at movable-type.co.uk gives 1068 km for these points).
    assert checks.haversine_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1067.3, abs=1.5)


# -- counting, by catalogue setting -------------------------------------------------------

PROJECT = {"code": "P1", "station_code": "S1", "year": 2025, "start": D("2025-01-01"), "end": D("2025-12-31"),
           "budget": 100000, "catalogue": "zhalainuoer-2026"}


def _verdicts(folder, rows, catalogue="zhalainuoer-2026"):
    from sgzlib.indicators.context import Context

    project = {**PROJECT, "catalogue": catalogue, "tier": "10万" if catalogue == "civil-affairs-2024" else None}
    ds = _ds(_services(*rows), _index(folder), projects=pd.DataFrame([project]))
    s = Context(ds, "2025-12-31").services
    return {c: (bool(v), None if pd.isna(r) else r) for c, v, r in zip(s["code"], s["valid"], s["reason"])}


def test_seed_000_refuses_missing_and_reused_and_flags_time_and_place(folder):
    v = _verdicts(folder, [("R1", "2025-03-05", "a.jpg"), ("R2", "2025-03-05", "b.jpg"), ("R4", "2025-03-05", "d.jpg"),
                           ("R6", "2025-03-05", "x.jpg"), ("R7", "2025-04-02", "a副本.jpg"),
                           ("R9", "2025-03-05", "x.jpg、e.jpg")])
    assert v["R1"] == (True, None)
    assert v["R2"][0] and v["R2"][1].startswith("已计入，需核验：照片「b.jpg」拍摄于 2025-03-01")
    assert v["R4"][0] and "10.0 公里" in v["R4"][1]
    assert v["R6"] == (False, "照片「x.jpg」不在站点照片文件夹中，不认定服务次数")
    assert not v["R7"][0] and v["R7"][1].endswith("重复照片只认定一次，不认定服务次数")
    assert v["R9"][0]  # x.jpg is missing but e.jpg is there (flagged: no capture time)
    assert "没有拍摄时间" in v["R9"][1] and "x.jpg" in v["R9"][1]


def test_a_catalogue_without_photo_checks_only_flags_missing_files(folder):
    # civil-affairs-2024 requires photos but states no photo_checks: reuse refuses (photo_required), the rest flag.
    v = _verdicts(folder, [("R1", "2025-03-05", "a.jpg"), ("R6", "2025-03-05", "x.jpg"),
                           ("R7", "2025-04-02", "a副本.jpg")], catalogue="civil-affairs-2024")
    assert v["R6"][0] and "不在站点照片文件夹中" in v["R6"][1]
    assert not v["R7"][0]


def test_catalogue_photo_settings_are_checked():
    from sgzlib.errors import DefinitionError
    from sgzlib.indicators.catalogue import parse_catalogue

    text = ("id: x\ntitle: x\nsource: x\nevidence: {photo_checks: {missing_file: drop, nonsense: flag}, "
            "photo_max_km: -1}\nindicators: []\n")
    with pytest.raises(DefinitionError) as err:
        parse_catalogue(text)
    fields = sorted(p.column for p in err.value.problems)
    assert fields == ["evidence.photo_checks", "evidence.photo_checks", "evidence.photo_max_km", "indicators"]


# -- the command ------------------------------------------------------------------------

def test_sgz_photos_scan_is_incremental_and_feeds_explain(folder, tmp_path, capsys):
    from sgzlib.domain import dataset

    url = f"sqlite:///{tmp_path / 'p.db'}"
    ds = _ds(_services(("R1", "2025-03-05", "a.jpg"), ("R7", "2025-04-02", "a副本.jpg")),
             projects=pd.DataFrame([PROJECT]))
    assert isinstance(ds, dataset.Dataset)
    storage.write_dataset(storage.connect(url), ds)
    assert main(["photos", "scan", str(folder), "--station", "S1", "--db", url, "--quiet"]) == 0
    assert "读取 8 张，未变 0 张" in capsys.readouterr().out
    assert main(["photos", "scan", str(folder), "--station", "S1", "--db", url, "--quiet"]) == 0
    assert "读取 0 张，未变 8 张" in capsys.readouterr().out
    index = load_index(storage.connect(url))
    assert len(index) == 8 and index["sha256"].str.len().eq(64).all()
    assert main(["photos", "check", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "R7" in out and "2025-04/unused.jpg" in out and "2025-03/b.jpg" in out
    assert main(["explain", "--db", url, "--project", "P1", "--indicator", "ZL-SA-03", "--as-of", "2025-12-31"]) == 0
    out = capsys.readouterr().out
    assert "服务记录 R7：照片「a副本.jpg」与服务记录 R1" in out


# -- the duplicate finder, measured ------------------------------------------------------------

def test_duplicate_finder_recall_and_no_false_pair_on_350_photos():
    """50 families × 3 shots + 50 × 4 near-duplicates = 350 photos (the benchmark uses 60 families)."""
    row = photogen.duplicate_benchmark(families=50, thresholds=[hashing.THRESHOLD]).iloc[0]
    assert row["photos"] == 350
    assert row["true_pairs"] == 50 * 10  # each family: shot 0 and its 4 copies are one picture → C(5,2) = 10 pairs
    assert row["recall"] >= 0.95
    assert row["false_pairs"] == 0 and row["precision"] == 1.0


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_index_round_trips_through_both_databases(backend, request, folder):
    from sgzlib.store.photo_index import known_files, thumbnails, write_scan

    engine = request.getfixturevalue("sqlite_engine" if backend == "sqlite" else "pg_engine")
    scan1 = photo_scan.scan_folder(folder, {})
    write_scan(engine, "S1", scan1)
    index = load_index(engine).set_index("path")
    assert len(index) == 8
    assert index.at["2025-03/b.jpg", "taken_at"] == pd.Timestamp("2025-03-01 09:00")
    assert index.at["2025-03/d.jpg", "latitude"] == pytest.approx(FAR[0], abs=1e-6)
    (folder / "2025-03/e.jpg").unlink()
    scan2 = photo_scan.scan_folder(folder, known_files(engine, "S1"))
    write_scan(engine, "S1", scan2)
    assert (len(scan2.rows), scan2.removed) == (0, ["2025-03/e.jpg"])
    assert len(load_index(engine)) == 7
    thumb = thumbnails(engine, [("S1", "2025-03/a.jpg")])[("S1", "2025-03/a.jpg")]
    assert thumb == next(r["thumbnail"] for r in scan1.rows if r["path"] == "2025-03/a.jpg")


def test_the_index_columns_are_the_tables():
    """The photo index's column list (``photos.scan.INDEX_COLUMNS``) is the database table's, less the thumbnail."""
    from sgzlib.photos.scan import INDEX_COLUMNS
    from sgzlib.store.db import PHOTO_FILES

    assert [c.name for c in PHOTO_FILES.columns if c.name != "thumbnail"] == INDEX_COLUMNS
