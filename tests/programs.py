"""Programs some tests need (Chromium, LibreOffice, poppler, a PostgreSQL server, npm), found where sgz finds
them (``sgzlib.runtime.system_packages.PROGRAMS``): a test that needs a missing one is skipped, or fails in CI,
where nothing skips; the run ends with one line naming what was skipped and the command that enables it.
"""

from __future__ import annotations

import os

import pytest

from sgzlib.runtime import system_packages

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MISSING = "缺少"  # how the reason of a skip for a missing program begins (``skipped_line`` finds them by it)


def have(*keys: str) -> bool:
    """Whether every program ``keys`` of ``system_packages.PROGRAMS`` is here (for outputs made only then)."""
    return all(system_packages.PROGRAMS[k].find() for k in keys)


def lacking(key: str) -> str:
    """「缺少 Chromium 浏览器」: how a skip for program ``key`` begins."""
    label = system_packages.PROGRAMS[key].label
    return f"{MISSING} {label}" if label[0].isascii() else f"{MISSING}{label}"


def missing(key: str, detail: str = ""):
    """Skip for a missing program (outside CI), or fail (in CI)."""
    what = lacking(key) + (f"（{detail}）" if detail else "")
    if IN_CI:
        pytest.fail(f"CI 中不能跳过：{what}")
    pytest.skip(f"{what}，跳过")


def need(key: str) -> str:
    """The path of program ``key``; skips (fails in CI) when it is missing."""
    found = system_packages.PROGRAMS[key].find()
    return found if found else missing(key)


def skipped_line(reports) -> str:
    """One Chinese line: which test files were skipped for want of which program, and the command that
    enables them (``reports``: the run's skip reports)."""
    files: dict[str, set[str]] = {}
    count = other = 0
    for rep in reports:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        key = next((k for k in system_packages.PROGRAMS if lacking(k) in reason), None)
        if key is None:
            other += 1
            continue
        files.setdefault(key, set()).add(rep.nodeid.split("::")[0])
        count += 1
    also = f"另有 {other} 项因其他原因跳过（pytest -rs 列出原因）。" if other else ""
    if not files:
        return also
    parts = [f"{lacking(k)}：{'、'.join(sorted(v))}" for k, v in files.items()]
    # a test skipped for its first missing program may need another one too: install every one the tests lack
    wanted = {system_packages.PROGRAMS[k].package for k in files} | \
        set(system_packages.missing_packages("tests", os.environ))
    packages = [p.package for p in system_packages.PROGRAMS.values() if p.package in wanted]
    return (f"跳过了 {count} 项测试（{'；'.join(parts)}）。{also}"
            f"安装后全部运行：{system_packages.install_command(packages, 'make test')}")
