"""Synthetic watermark photos, with a fixed random seed: shared by the tests, the benchmarks and the demo.

A scene is a sky-and-ground picture with a few people-like figures, a table
and a banner, drawn with Pillow. Scenes of one *family* share layout and
palette (the same room photographed twice, minutes apart, by the same app)
and differ in where the figures stand: "different photos of similar scenes".
Near-duplicates are made from one scene the way photos get re-used in real
ledgers: resized, re-compressed, cropped by up to 10 %, or stamped with a
watermark strip. EXIF (capture time, GPS, camera, software) is written with
Pillow's own EXIF writer.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter

from ..photos.checks import content_groups
from ..photos.scan import scan_folder
from ..store.photo_index import tidy_index

# EXIF tag numbers (EXIF 2.32): IFD0, the Exif IFD and the GPS IFD.
TAG_MAKE, TAG_MODEL, TAG_SOFTWARE, TAG_DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
TAG_EXIF_IFD, TAG_GPS_IFD = 0x8769, 0x8825
TAG_DATETIME_ORIGINAL = 0x9003
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


def scene(family: int, shot: int = 0, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """One photo: ``family`` fixes layout and palette, ``shot`` where the figures stand."""
    base = random.Random(family * 7919 + 17)
    rng = random.Random(family * 104729 + shot * 31 + 5)
    w, h = size
    horizon = int(h * base.uniform(0.35, 0.6))
    sky = np.array([base.randrange(60, 230) for _ in range(3)], dtype=float)
    ground = np.array([base.randrange(30, 200) for _ in range(3)], dtype=float)
    y = np.arange(h, dtype=float)[:, None]
    t = np.where(y < horizon, y / max(horizon, 1), (y - horizon) / max(h - horizon, 1))
    rows = np.where(y < horizon, sky, ground) * (1 - 0.35 * t)
    img = Image.fromarray(np.repeat(rows[:, None, :], w, axis=1).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(base.randrange(2, 5)):  # fixed furniture: walls, windows, a table
        x0, y0 = base.randrange(0, w - 40), base.randrange(0, h - 40)
        x1, y1 = x0 + base.randrange(40, w // 2), y0 + base.randrange(30, h // 3)
        d.rectangle([x0, y0, x1, y1], fill=tuple(base.randrange(0, 255) for _ in range(3)))
    banner = tuple(base.randrange(120, 255) for _ in range(3))
    d.rectangle([int(w * 0.15), int(h * 0.08), int(w * 0.85), int(h * 0.18)], fill=banner)
    for _ in range(rng.randrange(3, 8)):  # the people, different in every shot
        x, y = rng.randrange(0, w), rng.randrange(horizon - h // 8, h)
        s = rng.randrange(h // 12, h // 5)
        colour = tuple(rng.randrange(0, 255) for _ in range(3))
        d.ellipse([x - s // 3, y - s, x + s // 3, y - s // 3], fill=(230, 190, 160))
        d.rectangle([x - s // 2, y - s // 3, x + s // 2, y + s], fill=colour)
    for _ in range(rng.randrange(2, 6)):
        x, y = rng.randrange(0, w), rng.randrange(0, h)
        r = rng.randrange(10, w // 6)
        d.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(0, 255) for _ in range(3)))
    grain = np.random.default_rng(family * 1000003 + shot).normal(0, 18, (h, w, 1))
    pixels = np.asarray(img.filter(ImageFilter.GaussianBlur(1.2)), dtype=float) + grain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


# -- near-duplicates ---------------------------------------------------------------

def resized(img: Image.Image, factor: float) -> Image.Image:
    return img.resize((max(8, int(img.width * factor)), max(8, int(img.height * factor))), Image.Resampling.LANCZOS)


def recompressed(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def cropped(img: Image.Image, share: float, rng: random.Random) -> Image.Image:
    """Cut ``share`` (≤ 0.1) of the width and height, split at random between the sides."""
    dx, dy = int(img.width * share), int(img.height * share)
    left, top = rng.randrange(0, dx + 1), rng.randrange(0, dy + 1)
    return img.crop((left, top, img.width - (dx - left), img.height - (dy - top)))


def watermarked(img: Image.Image, text: str = "2025-03-05 10:21  云岭区") -> Image.Image:
    """A watermark-camera strip across the bottom (about 12 % of the height) with time and place."""
    out = img.copy()
    d = ImageDraw.Draw(out)
    strip = int(out.height * 0.12)
    d.rectangle([0, out.height - strip, out.width, out.height], fill=(20, 20, 20))
    d.rectangle([8, out.height - strip + 6, 14, out.height - 6], fill=(250, 200, 0))
    d.text((22, out.height - strip + 6), text.encode("ascii", "replace").decode(), fill=(255, 255, 255))
    return out


def variants(img: Image.Image, seed: int) -> dict[str, Image.Image]:
    """The four ways a photo is re-used: resize, re-compress, crop ≤10 %, watermark strip."""
    rng = random.Random(seed)
    return {"resize": resized(img, rng.uniform(0.4, 0.8)),
            "recompress": recompressed(img, rng.randrange(25, 60)),
            "crop": cropped(img, rng.uniform(0.05, 0.10), rng),
            "watermark": watermarked(img)}


# -- writing with EXIF ---------------------------------------------------------------

def exif_bytes(taken: dt.datetime | None = None, gps: tuple[float, float] | None = None,
               camera: tuple[str, str] | None = ("Huawei", "P40"), software: str | None = "WatermarkCam 3.2") -> bytes:
    """EXIF with capture time (DateTimeOriginal), GPS position (lat, lon), camera and software tags."""
    exif = Image.Exif()
    if camera:
        exif[TAG_MAKE], exif[TAG_MODEL] = camera
    if software:
        exif[TAG_SOFTWARE] = software
    if taken:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[TAG_DATETIME] = stamp
        exif.get_ifd(TAG_EXIF_IFD)[TAG_DATETIME_ORIGINAL] = stamp
    if gps:
        lat, lon = gps
        g = exif.get_ifd(TAG_GPS_IFD)
        g[GPS_LAT_REF], g[GPS_LAT] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        g[GPS_LON_REF], g[GPS_LON] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def save(img: Image.Image, path: Path | str, quality: int = 85, **exif) -> Path:
    """Write ``img`` as JPEG (or PNG by suffix) with the given EXIF (see ``exif_bytes``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = exif_bytes(**exif) if exif else None
    if path.suffix.lower() == ".png":
        img.save(path, "PNG", **({"exif": data} if data else {}))
    else:
        img.save(path, "JPEG", quality=quality, **({"exif": data} if data else {}))
    return path


# -- the duplicate finder's measurement (benchmarks/bench_photo_dupes.py and its test) ----------------------------

def duplicate_set(folder: Path | str, families: int, shots: int = 3, size: tuple[int, int] = (480, 360)) -> pd.DataFrame:
    """Write ``families × shots`` originals and four near-duplicates of each family's first shot.

    Returns one row per file: ``path``, ``picture`` (family/shot: the same picture), ``family``, ``kind``.
    """
    folder = Path(folder)
    rows = []
    for f in range(families):
        for s in range(shots):
            img = scene(f, s, size)
            rel = f"{f:03d}/{s}-orig.jpg"
            save(img, folder / rel, quality=88)
            rows.append({"path": rel, "picture": f"{f}/{s}", "family": f, "kind": "orig"})
            if s == 0:
                for kind, v in variants(img, f).items():
                    rel = f"{f:03d}/{s}-{kind}.jpg"
                    save(v, folder / rel, quality=90 if kind != "recompress" else 95)
                    rows.append({"path": rel, "picture": f"{f}/{s}", "family": f, "kind": kind})
    return pd.DataFrame(rows)


def measure_duplicates(truth: pd.DataFrame, index: pd.DataFrame, thresholds) -> pd.DataFrame:
    """Recall and false pairs of the content grouping at each threshold.

    A true pair is two files of the same picture; a found pair is two files in
    the same content group. ``recall`` = true pairs found / true pairs;
    ``precision`` = true pairs found / pairs found; ``false_pairs`` = found
    pairs of different pictures (``similar_false``: of the same family, i.e.
    different photos of a similar scene).
    """
    frame = index.merge(truth, on="path")
    pictures = frame["picture"].to_numpy()
    family = frame["family"].to_numpy()
    n = len(frame)
    i, j = np.triu_indices(n, 1)
    same = pictures[i] == pictures[j]
    out = []
    for t in thresholds:
        groups, _ = content_groups(frame, int(t))
        found = groups[i] == groups[j]
        tp = int((found & same).sum())
        row = {"threshold": int(t), "photos": n, "true_pairs": int(same.sum()), "found_pairs": int(found.sum()),
               "recall": tp / max(int(same.sum()), 1), "precision": tp / max(int(found.sum()), 1),
               "false_pairs": int((found & ~same).sum()),
               "similar_false": int((found & ~same & (family[i] == family[j])).sum())}
        kinds = frame["kind"].to_numpy()
        for kind in ("resize", "recompress", "crop", "watermark"):
            pair = same & (((kinds[i] == "orig") & (kinds[j] == kind)) | ((kinds[j] == "orig") & (kinds[i] == kind)))
            row[f"recall_{kind}"] = int((found & pair).sum()) / max(int(pair.sum()), 1)
        out.append(row)
    return pd.DataFrame(out)


def duplicate_benchmark(families: int, thresholds) -> pd.DataFrame:
    """Write ``duplicate_set`` to a temporary folder, scan it as ``sgz photos scan`` does, measure each threshold."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        truth = duplicate_set(tmp, families)
        index = tidy_index(pd.DataFrame(scan_folder(Path(tmp), {}).rows).assign(station_code="S"))
    return measure_duplicates(truth, index, thresholds)
