"""Workbooks built to exhaust memory are refused quickly and in bounded memory (issue 27, docs/ledger.md「导入时的检查与上限」).

Two files, each a blank template with extra sheets of blank space (they compress a thousandfold):

- five sheets of 230 MB, 1,150 MB in all: over the 1,024 MB total, refused from the sizes the zip directory
  declares before anything is unpacked (before: 14.9 s and 1,066 MB of memory, refused at the fifth part);
- four sheets of 250 MB, 1,000 MB in all: under every size limit, refused at the first row of more than
  64 MB (before: 128 s and 1,135 MB, then imported with the four sheets ignored).

Each refusal runs in its own process: the figure is the time of ``read_workbook`` and the peak resident
memory of that process (``VmHWM``). Run: ``python -m benchmarks hostile_files``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from sgzlib.ledger import write_template

MB = 2 ** 20
CASES = (  # (name, sheets, MB each, goal seconds, goal peak MB)
    ("五个 230 MB 的部件（合计超过上限）", 5, 230, 1.0, 300),
    ("四个 250 MB 的部件（每项都在上限内）", 4, 250, 10.0, 600),
)
PROBE = """
import sys, time
from sgzlib.errors import DataError
from sgzlib.ledger import read_workbook
t0 = time.perf_counter()
try:
    read_workbook(sys.argv[1])
    outcome = "导入"
except DataError as exc:
    outcome = "拒绝：" + exc.problems[0].message[:60]
took = time.perf_counter() - t0
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(f"{took:.3f} {peak:.0f} {outcome}")
"""


def build(folder: Path, sheets: int, megabytes: int) -> Path:
    """The blank template with ``sheets`` more sheets, each a header cell and ``megabytes`` MB of blank space."""
    from openpyxl import load_workbook

    plain = folder / "plain.xlsx"
    write_template(plain)
    wb = load_workbook(plain)
    for i in range(sheets):
        wb.create_sheet(f"大表{i}")["A1"] = "PAD"
    wb.save(plain)
    big = {f"xl/worksheets/sheet{len(wb.sheetnames) - sheets + i + 1}.xml" for i in range(sheets)}
    out = folder / "big.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename not in big:
                dst.writestr(info.filename, data)
                continue
            head, tail = data.split(b"PAD", 1)
            with dst.open(info.filename, "w", force_zip64=True) as stream:
                stream.write(head + b"PAD")
                pad = b" " * MB
                for _ in range(megabytes):
                    stream.write(pad)
                stream.write(tail)
    return out


def main() -> None:
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, sheets, megabytes, goal_s, goal_mb in CASES:
            folder = Path(tmp) / str(sheets)
            folder.mkdir()
            path = build(folder, sheets, megabytes)
            run = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True)
            took, peak, outcome = run.stdout.split(" ", 2)
            ok = outcome.startswith("拒绝") and float(took) <= goal_s and float(peak) <= goal_mb
            failed |= not ok
            print(f"{name}：{outcome.strip()}")
            print(f"  用时 {float(took):.2f} 秒（目标 ≤ {goal_s:g} 秒），内存峰值 {float(peak):.0f} MB"
                  f"（目标 ≤ {goal_mb} MB）：{'达到' if ok else '未达到'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
