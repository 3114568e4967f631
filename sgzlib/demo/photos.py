"""The demo district's photo folder and spending ledger, with planted problems (``PHOTO_PLANTED``).

One township station (西山镇, YL02) delivers its photo folder, laid out as
stations keep it (``照片/YL02/2025-03/…``): a small generated picture for every
photo its ledger names, with EXIF capture time on the record's date and a GPS
position near the station. Planted: a photo re-saved under another name for a
later record (same picture, different file), photos taken weeks before the
service, photos without EXIF, one taken far away, files named in the ledger
but never delivered, and files no record uses. Two zhalainuoer-2026 stations
(YL01, YL02) keep a 经费支出 sheet with one expense against each spending rule.
Everything is drawn from its own seeded RNG, so the rest of the demo is unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..domain.dataset import split_list
from ..photos.checks import PHOTO_TABLES
from . import photogen

PHOTO_STATION = "YL02"
POSITIONS = {  # 纬度, 经度 of the township stations (around 扎赉诺尔, made up)
    "YL01": (49.4560, 117.7100), "YL02": (49.5010, 117.6530), "YL03": (49.4120, 117.7820),
    "YL04": (49.4810, 117.8350), "YL05": (49.3890, 117.6210), "YL06": (49.5320, 117.7460),
    "YL07": (49.4350, 117.5880),
}
THUMB = (200, 150)


@dataclass(frozen=True)
class PhotoPlanted:
    """Where the demo's photo and spending problems are."""

    station: str = PHOTO_STATION
    copied_by: tuple[str, str] = ("YL02-S0100", "YL02-S0120")  # the second's file is the first's picture re-saved
    early: tuple[str, ...] = ("YL02-S0060", "YL02-S0061", "YL02-S0140")  # taken 20 days before the service
    no_exif: tuple[str, ...] = ("YL02-S0080", "YL02-S0081")
    far: tuple[str, ...] = ("YL02-S0090",)  # taken about 30 km away
    missing: tuple[str, ...] = ("YL02-S0070", "YL02-S0071", "YL02-S0150")  # named, never delivered
    unused: tuple[str, ...] = ("2025-06/IMG_20250611_093015.jpg", "2025-09/活动花絮.jpg")
    spending: tuple[tuple[str, str], ...] = (("ZL-JF-01", "YL01-E03"), ("ZL-JF-02", "YL02-E02"),
                                             ("ZL-JF-03", "YL02-E04"), ("ZL-JF-04", "YL01-E05"),
                                             ("ZL-JF-05", "YL02-E06"))


PHOTO_PLANTED = PhotoPlanted()


def expenses(rows: dict[str, list[dict]]) -> None:
    """Add the 经费支出 rows of YL01 and YL02 to the generator's ``rows`` (one per spending rule planted)."""
    rng = random.Random("demo-expenses")
    plan = {
        "YL01": [("活动物资", "彩纸、胶棒", 86.0, "社工站", None), ("培训会务", "志愿者培训茶歇", 420.0, "社区活动室", None),
                 ("设备购置", "笔记本电脑", 4999.0, "社工站", None), ("交通燃油", "入户走访加油", 300.0, "东湖街道", None),
                 ("发放物品", "重阳节慰问棉被 20 床", 1600.0, "幸福社区", False)],
        "YL02": [("办公耗材", "A4 纸、墨盒", 260.0, "社工站", None), ("米面油", "节日慰问大米、食用油", 1200.0, "光明社区", True),
                 ("发放物品", "儿童文具礼包 30 份", 900.0, "团结村", True), ("交通燃油", "燃油费", 480.0, "扎赉诺尔—海拉尔往返", None),
                 ("宣传印刷", "政策宣传折页", 350.0, "社工站", None), ("发放物品", "防暑小风扇 15 个", 225.0, "团结村", True)],
    }
    for code, items in plan.items():
        for k, (category, item, amount, place, receipt) in enumerate(items, 1):
            rid = f"{code}-E{k:02d}"
            photo = None if (category != "发放物品" or rid == "YL02-E06") else f"{rid}-领取合影.jpg"
            rows.setdefault("expenses", []).append({
                "code": rid, "station_code": code, "date": dt.date(2025, 1 + 2 * k - (k > 5), 5 + rng.randrange(20)),
                "amount": amount, "category": category, "item": item, "place": place,
                "receipt": True if receipt is None and category == "发放物品" else receipt, "photos": photo})


def position(code: str) -> tuple[float | None, float | None]:
    return POSITIONS.get(code, (None, None))


# -- the folder ----------------------------------------------------------------------------

def named_photos(ds, station: str = PHOTO_STATION) -> pd.DataFrame:
    """Every photo the station's ledger names: record id, date, name (services, sessions, expenses)."""
    parts = []
    for table, _, ids, _ in PHOTO_TABLES:
        frame = ds[table]
        mine = ds.station_column(table).isin(ds.descendants(station)).fillna(False).to_numpy()
        frame = frame[mine]
        names = split_list(frame["photos"])
        rid = frame[list(ids)].astype("string").agg("/".join, axis=1) if len(ids) > 1 else frame[ids[0]]
        parts.append(pd.DataFrame({"record": rid.loc[names.index].to_numpy(dtype=object),
                                   "date": frame.loc[names.index, "date"].to_numpy(), "name": names.to_numpy()}))
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates("name").reset_index(drop=True)


def write_photos(ds, root: Path | str) -> dict[str, int]:
    """Write the photo folder under ``root`` (``root/YL02/...``); unchanged files are left untouched."""
    p = PHOTO_PLANTED
    folder = Path(root) / p.station
    named = named_photos(ds, p.station)
    rng = random.Random("demo-photos")
    lat, lon = POSITIONS[p.station]
    by_record = dict(zip(named["record"], named["name"]))
    copies = {by_record[p.copied_by[1]]: by_record[p.copied_by[0]]}
    written = skipped = 0
    for rec, date, name in zip(named["record"], named["date"], named["name"]):
        if rec in p.missing:
            continue
        day = pd.Timestamp(date).to_pydatetime()
        taken = day.replace(hour=9 + rng.randrange(8), minute=rng.randrange(60))
        if rec in p.early:
            taken -= dt.timedelta(days=20)
        gps = (lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01))
        if rec in p.far:
            gps = (lat + 0.27, lon)  # 0.27° of latitude ≈ 30 km north
        source = copies.get(name, name)
        img = photogen.scene(_family(source), 0, THUMB)
        if name in copies:
            img = photogen.watermarked(photogen.resized(img, 0.8))
        exif = {} if rec in p.no_exif else {"taken": taken, "gps": gps}
        changed = _write(img, folder / f"{day:%Y-%m}" / name, exif)
        written, skipped = written + changed, skipped + (not changed)
    for k, rel in enumerate(p.unused):
        changed = _write(photogen.scene(900 + k, 0, THUMB), folder / rel,
                         {"taken": dt.datetime(2025, 6 + 3 * k, 11, 9, 30), "gps": (lat, lon)})
        written, skipped = written + changed, skipped + (not changed)
    return {"written": written, "unchanged": skipped}


def _family(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def _write(img, path: Path, exif: dict) -> bool:
    """Write ``img`` as JPEG at ``path`` unless the same bytes are already there (keeps rescans unchanged)."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80, **({"exif": photogen.exif_bytes(**exif)} if exif else {}))
    data = buf.getvalue()
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True
