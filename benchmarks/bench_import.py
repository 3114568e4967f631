"""Importing a 100,000-row service-record sheet (target: under 60 s on the project's 2-core machine).

The workbook is what a station's Excel or WPS would save: one station, 300
beneficiaries and 100,000 service records, written with openpyxl and saved
again by LibreOffice (shared strings and a stored sheet size, as Excel and WPS
write them). Without LibreOffice the openpyxl file itself is used, which is
slower to read (openpyxl writes every text inline). Times: the first import
into an empty SQLite database, then the same workbook again (nothing changes).

Run: ``python -m benchmarks.bench_import`` (or ``python -m benchmarks import``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from sgzlib.domain import schema
from sgzlib.ledger import import_workbook
from sgzlib.store import storage

ROWS = 100_000
PEOPLE = 300
TARGET_SECONDS = 60


def build_workbook(folder: Path, rows: int = ROWS) -> Path:
    """The benchmark workbook in ``folder`` (re-saved by LibreOffice when it is installed)."""
    wb = Workbook(write_only=True)
    sheets = {t.name: t for t in schema.TABLES}
    ws = wb.create_sheet("社工站")
    ws.append([c.header for c in sheets["stations"].columns])
    ws.append(["BM01", "基准街道社会工作服务站", "乡镇街道站", None, "基准区", "基准社会工作服务中心"])
    ws = wb.create_sheet("项目")
    ws.append([c.header for c in sheets["projects"].columns])
    ws.append(["P2025-BM01", "BM01", 2025, dt.date(2025, 1, 1), dt.date(2025, 12, 31), 200000, "zhalainuoer-2026"])
    ws = wb.create_sheet("服务对象")
    ws.append([c.header for c in sheets["beneficiaries"].columns])
    for i in range(1, PEOPLE + 1):
        ws.append([f"BM01-B{i:04d}", f"对象{i}", "女" if i % 2 else "男", dt.date(1950 + i % 50, 1 + i % 12, 1),
                   f"138{i:08d}", None, "BM01", "困难老人", "独居", dt.date(2025, 1, 1), None, "是"])
    ws = wb.create_sheet("服务记录")
    ws.append([c.header for c in sheets["services"].columns])
    domains = ("社会救助", "养老服务", "儿童关爱保护", "扶残助残")
    categories = ("关爱帮扶", "资源链接", "跟踪回访", "政策宣传")
    start = dt.date(2025, 1, 1)
    for i in range(1, rows + 1):
        people = "、".join(f"BM01-B{(i * k) % PEOPLE + 1:04d}" for k in (1, 7))
        ws.append([f"BM01-S{i:06d}", "BM01", start + dt.timedelta(days=i % 365), domains[i % 4], categories[i % 4 - 1],
                   people, 2, "社区活动室", f"第{i}次入户关爱帮扶", f"BM01-照片-{i:06d}.jpg", "是" if i % 3 else "否"])
    raw = folder / "raw.xlsx"
    wb.save(raw)
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office:
        return raw
    out = folder / "saved"
    subprocess.run([office, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(raw)],
                   check=True, capture_output=True, timeout=900)
    return out / "raw.xlsx"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path = build_workbook(folder)
        print(f"生成 {ROWS:,} 行服务记录工作簿：{time.perf_counter() - t0:.1f} 秒"
              f"（{'经 LibreOffice 另存' if 'saved' in path.parts else 'openpyxl 直接写出'}，"
              f"{path.stat().st_size / 2**20:.1f} MiB）")
        engine = storage.connect(f"sqlite:///{folder / 'bench.db'}")
        t0 = time.perf_counter()
        result = import_workbook(engine, path)
        first = time.perf_counter() - t0
        services = next(s for s in result.sheets if s.table == "services")
        assert len(services.new) == ROWS, len(services.new)
        t0 = time.perf_counter()
        again = import_workbook(engine, path)
        second = time.perf_counter() - t0
        assert not again.changed_anything
        verdict = "达标" if first < TARGET_SECONDS else "未达标"
        print(f"首次导入 {ROWS:,} 行服务记录（空 SQLite 库）：{first:.1f} 秒（目标 < {TARGET_SECONDS} 秒，{verdict}）")
        print(f"再次导入同一工作簿（无变化）：{second:.1f} 秒")
        raw = folder / "raw.xlsx"
        if raw != path:
            engine = storage.connect(f"sqlite:///{folder / 'raw.db'}")
            t0 = time.perf_counter()
            import_workbook(engine, raw)
            print(f"导入 openpyxl 直接写出的同一工作簿（文字内嵌、无共享字符串）：{time.perf_counter() - t0:.1f} 秒")


if __name__ == "__main__":
    main()
