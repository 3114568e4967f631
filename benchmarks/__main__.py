"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (default: all ``bench_*`` modules)."""

from __future__ import annotations

import importlib
import pkgutil
import platform
import subprocess
import sys
from pathlib import Path


def machine() -> str:
    cores = len(__import__("os").sched_getaffinity(0))
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1] if Path("/proc/meminfo").exists() else "?"
    return f"{platform.machine()}, {cores} 核, 内存 {int(mem) // 1024 // 1024 if mem != '?' else '?'} GiB, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    print(f"机器：{machine()}")
    failed = []
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        print(f"\n== {module} ==", flush=True)
        # Each benchmark in its own process, so peak memory is its own; it exits 1 when a figure missed its goal
        # or a result disagreed with its reference (benchmarks/judge.py), otherwise when it failed outright.
        rc = subprocess.call([sys.executable, "-c", f"import benchmarks.{module} as m; m.main()"])
        if rc:
            failed.append(module.removeprefix("bench_"))
    print("\n== 基准结论：" + (f"{len(failed)} 项未达到目标或出错：{'、'.join(failed)}（退出码 1）" if failed
                            else f"{len(names)} 项全部达到目标"))
    return 1 if failed else 0


if __name__ == "__main__":
    importlib.invalidate_caches()
    sys.exit(main(sys.argv[1:]))
