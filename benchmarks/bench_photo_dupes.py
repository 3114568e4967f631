"""Duplicate finder: precision and recall on generated photos, and the threshold sweep it was chosen from.

The set: 60 scene families × 3 shots (different photos of similar scenes) and,
of each family's first shot, four near-duplicates (resized, re-compressed,
cropped 5–10 %, watermark strip): 60 × 3 + 60 × 4 = 420 photos. Scanned
exactly as ``sgz photos scan`` reads files (draft JPEG decoding included).
"""

from __future__ import annotations

import time

import pandas as pd

from sgzlib.demo import photogen
from sgzlib.photos import hashing

FAMILIES = 60


def run(families: int = FAMILIES, thresholds=range(0, 17, 2)) -> pd.DataFrame:
    return photogen.duplicate_benchmark(families, thresholds)


def main() -> None:
    start = time.perf_counter()
    table = run()
    print(f"照片 {table['photos'].iloc[0]} 张（{FAMILIES} 组场景 × 3 张 + 每组 4 张近似副本），"
          f"用时 {time.perf_counter() - start:.1f} 秒；当前阈值 THRESHOLD = {hashing.THRESHOLD} 位")
    shown = table.rename(columns={"threshold": "阈值(位)", "recall": "召回率", "precision": "精确率",
                                  "false_pairs": "误配对", "similar_false": "相似场景误配对", "found_pairs": "找到的对",
                                  "true_pairs": "真实的对", "recall_resize": "缩放", "recall_recompress": "重压缩",
                                  "recall_crop": "裁剪", "recall_watermark": "水印条"}).drop(columns="photos")
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200,
                           "display.float_format", "{:.3f}".format):
        print(shown.to_string(index=False))


if __name__ == "__main__":
    main()
