"""Photo index speed: first scan of N photos of 1–3 MB, and an unchanged rescan (goals: ≥50 photos/s, ≤5 s).

The photos are generated at benchmark time in a temporary folder (set
``SGZ_BENCH_PHOTOS`` for another count than 10,000; about 2 MB each, so
10,000 take about 20 GB of temporary disk): 24 large scenes encoded once, and
each file those bytes with its own EXIF segment (capture time, GPS) spliced
in, so every file has its own SHA-256 and is fully decoded like a camera
photo. Scanning uses 2 processes (``sgz photos scan --jobs 2``) and writes
the index to a SQLite database, as the command does.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import resource
import struct
import tempfile
import time
from pathlib import Path

from sgzlib.demo import photogen
from sgzlib.photos import scan, store
from sgzlib.store import storage

N = int(os.environ.get("SGZ_BENCH_PHOTOS", "10000"))
SIZES = ((2400, 1800, 92), (3000, 2000, 90), (3264, 2448, 88))  # width, height, JPEG quality


def base_images(count: int = 24) -> list[bytes]:
    """Large JPEGs (no EXIF) of 1–3 MB: scenes upscaled, with fine grain so they compress like photos."""
    out = []
    for k in range(count):
        w, h, q = SIZES[k % len(SIZES)]
        img = photogen.scene(k, 0, (w // 2, h // 2)).resize((w, h))
        import numpy as np
        from PIL import Image

        grain = np.random.default_rng(k).normal(0, 6, (h, w, 1))
        img = Image.fromarray(np.clip(np.asarray(img, dtype=float) + grain, 0, 255).astype(np.uint8), "RGB")
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q)
        out.append(buf.getvalue())
    return out


def with_exif(jpeg: bytes, taken: dt.datetime, gps: tuple[float, float]) -> bytes:
    """``jpeg`` with an APP1 EXIF segment inserted after the SOI marker."""
    exif = photogen.exif_bytes(taken=taken, gps=gps)
    payload = exif if exif.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def write_folder(root: Path, n: int) -> int:
    bases = base_images()
    total = 0
    start = dt.datetime(2025, 1, 1, 8, 0)
    for i in range(n):
        taken = start + dt.timedelta(hours=i)
        folder = root / f"{taken:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        data = with_exif(bases[i % len(bases)], taken, (49.45 + i * 1e-6, 117.70))
        (folder / f"IMG_{i:05d}.jpg").write_bytes(data)
        total += len(data)
    return total


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the scan's worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "照片"
        t0 = time.perf_counter()
        total = write_folder(root, N)
        print(f"生成 {N} 张照片，平均 {total / N / 1e6:.2f} MB，共 {total / 1e9:.1f} GB，用时 {time.perf_counter() - t0:.0f} 秒")
        engine = storage.connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0, cpu0 = time.perf_counter(), _cpu()
        first = scan.scan_folder(root, store.known_files(engine, "S1"), jobs=2)
        store.write_scan(engine, "S1", first)
        took, cpu = time.perf_counter() - t0, _cpu() - cpu0
        readable = sum(r["readable"] for r in first.rows)
        n = len(first.rows)
        print(f"首次读取：{n} 张（可读 {readable}），{took:.1f} 秒，{n / took:.0f} 张/秒（2 进程；目标 ≥50）")
        print(f"  CPU 时间 {cpu:.1f} 秒（每张 {cpu / n * 1000:.0f} 毫秒）：2 核不被其他程序占用时约 {n / (cpu / 2):.0f} 张/秒；"
              f"机器负载 {os.getloadavg()[0]:.1f}")
        t0 = time.perf_counter()
        again = scan.scan_folder(root, store.known_files(engine, "S1"), jobs=2)
        store.write_scan(engine, "S1", again)
        took = time.perf_counter() - t0
        print(f"未变时重新扫描：读取 {len(again.rows)} 张，未变 {again.unchanged} 张，{took:.2f} 秒（目标 ≤5 秒）")


if __name__ == "__main__":
    main()
