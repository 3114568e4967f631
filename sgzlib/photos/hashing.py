"""Perceptual fingerprints that survive the ways a photo gets re-used: resize, re-compress, crop, watermark strip.

One perceptual hash (``imagehash.phash``, 64 bits) of the whole picture survives
resizing and re-compression, but not a 10 % crop or a watermark strip
(measured in ``benchmarks/bench_photo_dupes.py``: a crop moved the hash by up to
22 bits while two different photos of the same room were 14 bits apart). So a
photo carries a small set of hashes: the whole picture, windows cropped by
5 % and 10 % at nine positions each, and the picture without its bottom strip
(where watermark apps stamp time and place). Two photos are the same picture
when the whole-picture hash of one is close to any window of the other (one
is a crop of the other), or their strip-less hashes are close (one was
stamped). The threshold is chosen from the measurement (``THRESHOLD``).
"""

from __future__ import annotations

import imagehash
import numpy as np
import scipy.fftpack
from PIL import Image

# Bits (of 64) within which two hashes are taken for the same picture, chosen from the measurement
# (benchmarks/bench_photo_dupes.py, 420 generated photos): at 4 bits a tenth of the 5–10 % crops are
# missed (recall 0.95); at 6 every near-duplicate is found and no two different photos are paired; at 8
# photos of the same scene minutes apart start to pair (10 false pairs). On 700 photos 6 bits gives
# recall 0.988 with no false pair. (phash distances here are almost always even, so 7 behaves as 6.)
THRESHOLD = 6
CROPS = (0.05, 0.10)
POSITIONS = (0.0, 0.5, 1.0)
STRIP = 0.15  # share of the height left out at the bottom for the strip-less hash
N_HASHES = 2 + len(CROPS) * len(POSITIONS) ** 2  # whole, strip-less, crop windows


def windows(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Boxes, in order: the whole picture, the picture without its bottom strip, then the crop windows."""
    boxes = [(0, 0, width, height), (0, 0, width, int(round(height * (1 - STRIP))))]
    for share in CROPS:
        dx, dy = width * share, height * share
        for fy in POSITIONS:
            for fx in POSITIONS:
                left, top = int(round(dx * fx)), int(round(dy * fy))
                boxes.append((left, top, int(round(width - dx + left)), int(round(height - dy + top))))
    return boxes


BASE = 128  # the picture is reduced to this many pixels on its long side before hashing


def fingerprint(img: Image.Image) -> np.ndarray:
    """``N_HASHES`` perceptual hashes (uint64) of ``img`` (any mode; a reduced draft is fine).

    Each hash is ``imagehash.phash`` of one window (the test compares them with
    ``imagehash`` itself); the DCTs of all windows are computed in one call.
    """
    gray = img.convert("L")
    if max(gray.size) > BASE:
        gray = gray.resize(_fit(gray.size, BASE), Image.Resampling.BILINEAR)
    pixels = np.stack([np.asarray(gray.crop(box).resize((32, 32), imagehash.ANTIALIAS))
                       for box in windows(*gray.size)])
    return phash_batch(pixels)


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    w, h = size
    scale = side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def phash_batch(pixels: np.ndarray) -> np.ndarray:
    """``imagehash.phash`` (hash_size 8) of each 32 × 32 grey array in ``pixels``, as uint64."""
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels.astype(float), axis=1), axis=2)[:, :8, :8]
    bits = dct.reshape(len(pixels), 64) > np.median(dct.reshape(len(pixels), 64), axis=1)[:, None]
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def as_int(h: imagehash.ImageHash) -> int:
    """An ``imagehash`` hash as the integer this module stores."""
    return int(str(h), 16)


def to_hex(fp: np.ndarray) -> str:
    return "".join(f"{int(v):016x}" for v in fp)


def from_hex(text: str) -> np.ndarray:
    return np.array([int(text[i:i + 16], 16) for i in range(0, len(text), 16)], dtype=np.uint64)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).astype(np.int16)


def distance_matrix(fps: np.ndarray) -> np.ndarray:
    """Pairwise distance (bits) between fingerprints ``fps`` (n × N_HASHES): the smallest of

    whole(a) vs any window of b, whole(b) vs any window of a, strip-less(a) vs strip-less(b).
    """
    whole, strip = fps[:, 0], fps[:, 1]
    n = len(fps)
    d = _popcount(strip[:, None] ^ strip[None, :])
    for j in range(fps.shape[1]):
        w = _popcount(whole[:, None] ^ fps[None, :, j])  # whole of row vs window j of column
        d = np.minimum(d, np.minimum(w, w.T))
    d[np.arange(n), np.arange(n)] = 0
    return d


def similar_pairs(fps: np.ndarray, threshold: int = THRESHOLD, block: int = 2000) -> list[tuple[int, int, int]]:
    """(i, j, distance) with i < j for every pair within ``threshold`` bits, in blocks to bound memory."""
    out = []
    n = len(fps)
    for a in range(0, n, block):
        rows = fps[a:a + block]
        for b in range(a, n, block):
            cols = fps[b:b + block]
            d = _cross(rows, cols)
            i, j = np.nonzero(d <= threshold)
            keep = (a + i) < (b + j)
            out.extend(zip((a + i[keep]).tolist(), (b + j[keep]).tolist(), d[i[keep], j[keep]].tolist()))
    return out


def _cross(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    d = _popcount(rows[:, 1][:, None] ^ cols[:, 1][None, :])
    for j in range(rows.shape[1]):
        d = np.minimum(d, _popcount(rows[:, 0][:, None] ^ cols[None, :, j]))
        d = np.minimum(d, _popcount(rows[:, j][:, None] ^ cols[None, :, 0]))
    return d
