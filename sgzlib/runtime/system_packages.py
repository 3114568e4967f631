"""``make demo``'s system step: install Chromium and CJK fonts with apt when it may, so PDFs can be made.

Runs only on Debian / Ubuntu, only as root or with passwordless sudo, and
never when ``SGZ_SYSTEM_PACKAGES=no`` (or ``0``, ``false``, ``off``). It says
what it is about to install before it starts. Whatever happens it exits 0:
without the packages the demo still writes every report as ipynb and HTML,
and its closing summary prints the command that enables PDFs.

    python -m sgzlib.runtime.system_packages
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from .browser import CHROMIUM_ENV_VAR, find_chromium

SWITCH = "SGZ_SYSTEM_PACKAGES"
OFF = ("no", "0", "false", "off", "否")
CHROMIUM_PACKAGE = "chromium"
FONT_PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True)
class Plan:
    """What the step will do: the packages to install and the commands, or why it does nothing."""

    packages: tuple[str, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()
    reason: str = ""


def plan(env: dict[str, str], euid: int, apt: bool, sudo_ok: bool, chromium: bool, fonts: bool) -> Plan:
    """Decide from the facts of this machine (pure; ``main`` gathers the facts)."""
    if switched_off(env):
        return Plan(reason=f"{SWITCH}=no：不安装系统软件包")
    # A browser named by SGZ_CHROMIUM is the user's choice: installing another one would not be used.
    wanted = tuple(p for p, have in ((CHROMIUM_PACKAGE, chromium or bool(env.get(CHROMIUM_ENV_VAR))),
                                     (FONT_PACKAGE, fonts)) if not have)
    if not wanted:
        return Plan(reason="Chromium 和中文字体都已就绪")
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


def has_cjk_fonts() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(done.stdout.strip())


def _sudo_ok() -> bool:
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0


def switched_off(env) -> bool:
    return env.get(SWITCH, "").strip().lower() in OFF


def main() -> int:
    if switched_off(os.environ):  # say nothing, look at nothing
        return 0
    apt = shutil.which("apt-get") is not None and os.path.exists("/etc/debian_version")
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    step = plan(dict(os.environ), euid, apt, euid != 0 and _sudo_ok(), find_chromium() is not None, has_cjk_fonts())
    if not step.commands:
        if step.packages:
            print(f"生成 PDF 需要 {'、'.join(step.packages)}：{step.reason}；演示照常生成 ipynb 和 HTML。")
        return 0
    print(f"将用 apt-get 安装 {'、'.join(step.packages)}（生成 PDF 用；不想让 make 改动系统，请设 {SWITCH}=no）……",
          flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in step.commands:
        if subprocess.run(command, env=env, check=False).returncode != 0:
            print(f"安装未成功（{' '.join(command)}）；演示照常生成 ipynb 和 HTML，结束时会给出启用 PDF 的命令。")
            return 0
    print(f"已安装 {'、'.join(step.packages)}。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
