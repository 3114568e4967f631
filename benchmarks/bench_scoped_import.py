"""Importing one station's workbook into a province database costs about what it costs into an empty one.

The import locks the workbook's stations and reads only their rows and the
rows they refer to, so the other stations' rows are never read or compared.
The benchmark builds the synthetic province (``synthetic.province``, 1,000
township stations, about two million service records), takes one township
station (with its two village rooms) out as a ledger workbook, and imports
that workbook twice: into a database holding only the county station above
it, and into a database holding the 999 other stations and their ledgers.

Run: ``python -m benchmarks.bench_scoped_import [N_STATIONS]`` (or ``python -m benchmarks scoped_import``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sgzlib.domain.dataset import Dataset
from sgzlib.ledger import export_workbook, import_workbook
from sgzlib.store import storage

from .synthetic import province

STATION = "T0001"
# "About as much": the import into the province may take at most this many times the empty-database time.
TARGET_RATIO = 1.5


def _without(ds: Dataset, codes: set[str]) -> Dataset:
    frames = {}
    for name, frame in ds.frames.items():
        keep = ~ds.station_column(name).isin(codes).fillna(False).to_numpy(dtype=bool)
        frames[name] = frame[keep].reset_index(drop=True)
    out = Dataset.__new__(Dataset)
    out.frames = frames
    return out


def main(n_stations: int = 1000) -> None:
    t0 = time.perf_counter()
    ds = province(n_stations)
    # The synthetic ledgers are made for the indicator engine; the import checks them, so people join first.
    ds.frames["beneficiaries"]["joined"] = ds.frames["beneficiaries"]["joined"].where(
        ds.frames["beneficiaries"]["joined"] < "2025-01-01", ds.frames["beneficiaries"]["joined"].min())
    station = ds.subset(STATION)
    codes = set(station.stations["code"])
    county = ds.stations.loc[ds.stations["code"] == station.stations.set_index("code").at[STATION, "parent_code"]]
    print(f"生成 {n_stations} 个乡镇站的合成省份：{time.perf_counter() - t0:.1f} 秒；"
          f"站点 {STATION} 的台账 {sum(station.sizes().values()):,} 行")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = export_workbook(station, folder / f"{STATION}.xlsx")

        empty = storage.connect(f"sqlite:///{folder / 'empty.db'}")
        storage.write_dataset(empty, Dataset({"stations": county}), scope=list(county["code"]))
        import_workbook(empty, book, dry_run=True)  # load catalogues and scales once, outside the timings
        t0 = time.perf_counter()
        import_workbook(empty, book)
        alone = time.perf_counter() - t0

        big = storage.connect(f"sqlite:///{folder / 'province.db'}")
        t0 = time.perf_counter()
        rest = _without(ds, codes)
        storage.write_dataset(big, rest, scope=list(rest.stations["code"]))
        print(f"写入其余 {n_stations - 1} 个站点（{sum(rest.sizes().values()):,} 行）：{time.perf_counter() - t0:.1f} 秒")
        t0 = time.perf_counter()
        result = import_workbook(big, book)
        crowded = time.perf_counter() - t0
        assert result.stations == sorted(codes), result.stations
        again = import_workbook(big, book)
        assert not again.changed_anything
    ratio = crowded / alone
    verdict = "达标" if ratio <= TARGET_RATIO else "未达标"
    print(f"导入一个站点（{STATION}）到只有上级站点的库：{alone:.2f} 秒")
    print(f"导入同一站点到有 {n_stations - 1} 个其他站点的库：{crowded:.2f} 秒"
          f"（{ratio:.2f} 倍，目标 ≤ {TARGET_RATIO} 倍，{verdict}）")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
