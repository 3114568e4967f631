"""The browser sgz prints PDFs with (Chromium), where it is looked for, and what installs it.

The one home of "where is Chromium": the PDF printer, ``sgz doctor``, ``make demo``'s system-packages step
and the tests all ask ``find_chromium``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import ConfigError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
CHROMIUM_ENV_VAR = "SGZ_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DEBIAN_CHROMIUM = "/usr/bin/chromium"
# What enables PDFs on Debian / Ubuntu: the browser and the CJK fonts the reports are set in.
SYSTEM_PACKAGES = ("chromium", "fonts-noto-cjk")
INSTALL_COMMAND = "sudo apt-get install -y " + " ".join(SYSTEM_PACKAGES)


def find_chromium() -> str | None:
    """The Chromium sgz prints with, or ``None``.

    When ``$SGZ_CHROMIUM`` is set it is the only candidate (a path that does not exist means no browser);
    otherwise ``chromium`` (or ``chromium-browser``) on the ``PATH``, then Debian's ``/usr/bin/chromium``.
    """
    chosen = os.environ.get(CHROMIUM_ENV_VAR)
    if chosen:
        path = shutil.which(chosen) if os.sep not in chosen else chosen
        return path if path and Path(path).is_file() and os.access(path, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return DEBIAN_CHROMIUM if Path(DEBIAN_CHROMIUM).is_file() and os.access(DEBIAN_CHROMIUM, os.X_OK) else None


def chromium_path() -> str:
    """The browser of ``find_chromium``; ``ConfigError`` (what to do, in Chinese) when there is none."""
    found = find_chromium()
    if found:
        return found
    chosen = os.environ.get(CHROMIUM_ENV_VAR)
    where = f"环境变量 {CHROMIUM_ENV_VAR} 指定的「{chosen}」不存在或不可执行" if chosen else "PATH 和 /usr/bin 中都没有"
    raise ConfigError(f"找不到 Chromium 浏览器，无法生成 PDF（{where}）：请安装 chromium 和中文字体（Debian / Ubuntu："
                      f"{INSTALL_COMMAND}），或用环境变量 {CHROMIUM_ENV_VAR} 指定其路径，"
                      "或只生成 HTML（--format ipynb,html）")


def enable_pdf_command() -> str:
    """The exact command that makes PDFs possible here (Debian / Ubuntu), then the demo again."""
    if os.environ.get(CHROMIUM_ENV_VAR):
        return f"unset {CHROMIUM_ENV_VAR}（或改为浏览器的实际路径）；如未安装：{_apt_prefix()}apt-get install -y " \
               + " ".join(SYSTEM_PACKAGES) + "，然后重新运行 make demo"
    return f"{_apt_prefix()}apt-get install -y {' '.join(SYSTEM_PACKAGES)} && make demo"


def _apt_prefix() -> str:
    return "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
