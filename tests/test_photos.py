"""Photo evidence: scanning a folder, matching ledger names, the checks, and their effect on counting."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from PIL import Image

from sgzlib import photogen
from sgzlib.dataset import Dataset
from sgzlib.photos import hashing, match
from sgzlib.photos import scan as photo_scan
from sgzlib.photos.store import tidy_index

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
