"""The system step of ``make demo`` and ``make test``: install with apt what they use, when it may.

``make demo`` needs Chromium and CJK fonts for the PDFs; ``make test`` needs those and LibreOffice Calc
(ledgers saved by it), poppler-utils (the PDFs' text and pictures), a PostgreSQL server (the tests start a
throwaway one) and npm (the multi-user dashboards' proxy). Runs only on Debian / Ubuntu, only as root or
with passwordless sudo, and never when ``SGZ_SYSTEM_PACKAGES=no`` (or ``0``, ``false``, ``off``). It says
what it is about to install before it starts. Whatever happens it exits 0: without the packages the demo
writes its reports as ipynb and HTML, and the tests that need a missing program are skipped, the run
ending with the one command that enables them.

    python -m sgzlib.runtime.system_packages            # for make demo
    python -m sgzlib.runtime.system_packages --tests    # for make test

``PROGRAMS`` is where the tests, too, look for these programs (``tests/programs.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from . import throwaway_postgres
from .browser import CHROMIUM_ENV_VAR, find_chromium

SWITCH = "SGZ_SYSTEM_PACKAGES"
OFF = ("no", "0", "false", "off", "否")


def find_cjk_fonts() -> str | None:
    """A CJK font family fontconfig knows (``fc-list :lang=zh``), or ``None``."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else None


def find_libreoffice() -> str | None:
    """LibreOffice on the ``PATH`` (``libreoffice``, ``soffice`` or ``localc``), or ``None``."""
    return next(filter(None, map(shutil.which, ("libreoffice", "soffice", "localc"))), None)


def find_poppler() -> str | None:
    """``pdftotext`` when ``pdftoppm`` is there too (both from poppler-utils), or ``None``."""
    text, pictures = shutil.which("pdftotext"), shutil.which("pdftoppm")
    return text if text and pictures else None


def find_postgres_server() -> str | None:
    found = throwaway_postgres.bindir()
    return str(found) if found else None


@dataclass(frozen=True)
class Program:
    """A program sgz or its tests use: its Chinese name, the Debian package that brings it, how to find it."""

    label: str
    package: str
    find: Callable[[], str | None]


PROGRAMS = {
    "chromium": Program("Chromium 浏览器", "chromium", find_chromium),
    "fonts": Program("中文字体", "fonts-noto-cjk", find_cjk_fonts),
    "libreoffice": Program("LibreOffice Calc", "libreoffice-calc-nogui", find_libreoffice),
    "poppler": Program("poppler-utils（pdftotext、pdftoppm）", "poppler-utils", find_poppler),
    "postgres": Program("PostgreSQL 服务器", "postgresql", find_postgres_server),
    "npm": Program("npm（多用户看板的代理 configurable-http-proxy）", "npm", lambda: shutil.which("npm")),
}
PURPOSES = {
    "demo": ("chromium", "fonts"),
    "tests": ("chromium", "fonts", "libreoffice", "poppler", "postgres", "npm"),
}
WHAT_FOR = {"demo": "生成 PDF", "tests": "运行全部测试"}


@dataclass(frozen=True)
class Plan:
    """What the step will do: the packages to install and the commands, or why it does nothing."""

    packages: tuple[str, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()
    reason: str = ""


def missing_packages(purpose: str, env) -> tuple[str, ...]:
    """The packages of ``purpose`` whose program this machine lacks.

    A browser named by ``SGZ_CHROMIUM`` is the user's choice: installing another one would not be used.
    """
    out = []
    for key in PURPOSES[purpose]:
        if key == "chromium" and env.get(CHROMIUM_ENV_VAR):
            continue
        if PROGRAMS[key].find() is None:
            out.append(PROGRAMS[key].package)
    return tuple(out)


def plan(env, euid: int, apt: bool, sudo_ok: bool, wanted: tuple[str, ...]) -> Plan:
    """Decide from the facts of this machine (pure; ``main`` gathers the facts)."""
    if switched_off(env):
        return Plan(reason=f"{SWITCH}=no：不安装系统软件包")
    if not wanted:
        return Plan(reason="所需的程序都已就绪")
    if not apt:
        return Plan(packages=wanted, reason="不是 Debian / Ubuntu（没有 apt-get），不自动安装")
    if euid == 0:
        prefix: tuple[str, ...] = ()
    elif sudo_ok:
        prefix = ("sudo", "-n")
    else:
        return Plan(packages=wanted, reason="不是 root，sudo 也需要密码，不自动安装")
    install = (*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *wanted)
    return Plan(packages=wanted, commands=((*prefix, "apt-get", "update", "-qq"), install))


def install_command(packages, then: str) -> str:
    """The one command that installs ``packages`` here (Debian / Ubuntu), then runs ``then``."""
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    unset = f"unset {CHROMIUM_ENV_VAR} && " if "chromium" in packages and os.environ.get(CHROMIUM_ENV_VAR) else ""
    return f"{unset}{sudo}apt-get install -y {' '.join(packages)} && {then}"


def _sudo_ok() -> bool:
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0


def switched_off(env) -> bool:
    return env.get(SWITCH, "").strip().lower() in OFF


def main(argv: list[str] | None = None) -> int:
    purpose = "tests" if "--tests" in (sys.argv[1:] if argv is None else argv) else "demo"
    if switched_off(os.environ):  # say nothing, look at nothing
        return 0
    apt = shutil.which("apt-get") is not None and os.path.exists("/etc/debian_version")
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    step = plan(os.environ, euid, apt, euid != 0 and _sudo_ok(), missing_packages(purpose, os.environ))
    after = "演示照常生成 ipynb 和 HTML" if purpose == "demo" else "需要它们的测试将跳过"
    if not step.commands:
        if step.packages:
            print(f"{WHAT_FOR[purpose]}需要 {'、'.join(step.packages)}：{step.reason}；{after}。")
        return 0
    print(f"将用 apt-get 安装 {'、'.join(step.packages)}（{WHAT_FOR[purpose]}用；不想让 make 改动系统，请设 {SWITCH}=no）……",
          flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in step.commands:
        if subprocess.run(command, env=env, check=False).returncode != 0:
            print(f"安装未成功（{' '.join(command)}）；{after}，结束时会给出启用它们的命令。")
            return 0
    print(f"已安装 {'、'.join(step.packages)}。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
