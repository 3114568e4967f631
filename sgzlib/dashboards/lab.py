"""JupyterLab on a workspace folder, for ``sgz lab``: the gallery, the kernel, the database, start and stop.

``LabServer`` starts ``jupyter lab`` the way ``sgz lab`` and the browser test
need it: on 127.0.0.1 only, on exactly the port asked for (``port_retries=0``),
with a random token, ``--allow-root`` when run as root, the ``sgz`` kernel
registered (``reports.kernel.ensure_kernel``) and made the default, the interface in Chinese (the
official language pack) without update or news questions, Jupyter's English log written to a file
(``default_log_path``) instead of the console, and the database URL handed to the kernels through
``SGZ_DATABASE_URL`` in their environment (``sgz.open()`` reads it), so it is
never written into a notebook.

``prepare_workspace`` copies the gallery notebooks (``sgzlib/reports/notebooks/gallery``) into
the workspace on first use. A notebook is copied once: a copy the user edited,
renamed or deleted is never overwritten or brought back (the names already
handed out are kept in ``.sgz-gallery.json``); a notebook added to the gallery
by a later version of sgz is copied the next time.

``stop`` ends the server with SIGTERM (Jupyter then shuts its kernels down),
waits, and ends by process id any kernel or child still running after that,
so no process is left behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..runtime import processes, resources
from ..runtime.kernel import KERNEL_NAME, ensure_kernel
from ..store.storage import ENV_VAR as DB_ENV_VAR
from .server import HOST, absolute_url, port_free

GALLERY_DIR = resources.path("reports", "notebooks", "gallery")
# JupyterLab's settings for sgz (its app_settings_dir): the interface in Simplified Chinese (the official
# language pack, jupyterlab-language-pack-zh-CN) and no question about Jupyter news or updates.
LAB_SETTINGS_DIR = resources.path("dashboards", "share", "lab-settings")
LOG_NAME = "sgz-lab.log"  # Jupyter's own (English) log, kept out of the console
DEFAULT_WORKSPACE = Path("工作台")
DEFAULT_PORT = 8888
MARKER = ".sgz-gallery.json"


@dataclass(frozen=True)
class GalleryCopy:
    """What ``prepare_workspace`` did: notebooks copied now, and those left alone."""

    copied: tuple[str, ...]
    kept: tuple[str, ...]


def gallery_notebooks(gallery: Path = GALLERY_DIR) -> list[Path]:
    """The gallery's notebooks, in name order."""
    return sorted(gallery.glob("*.ipynb"))


def prepare_workspace(workspace: Path, gallery: Path = GALLERY_DIR) -> GalleryCopy:
    """Create ``workspace`` if needed and copy in the gallery notebooks it has not had yet."""
    workspace = Path(workspace)
    if workspace.exists() and not workspace.is_dir():
        raise ConfigError(f"工作台目录 {workspace} 已存在但不是文件夹，请用 --workspace 指定另一个文件夹")
    workspace.mkdir(parents=True, exist_ok=True)
    marker = workspace / MARKER
    try:
        handed_out = set(json.loads(marker.read_text(encoding="utf-8")).get("copied", [])) if marker.exists() else set()
    except (json.JSONDecodeError, AttributeError):
        handed_out = set()
    copied, kept = [], []
    for nb in gallery_notebooks(gallery):
        target = workspace / nb.name
        if nb.name in handed_out or target.exists():
            kept.append(nb.name)
        else:
            shutil.copyfile(nb, target)
            copied.append(nb.name)
        handed_out.add(nb.name)
    marker.write_text(json.dumps({"copied": sorted(handed_out)}, ensure_ascii=False, indent=1) + "\n",
                      encoding="utf-8")
    return GalleryCopy(tuple(copied), tuple(kept))


def lab_argv(port: int, workspace: Path, token: str, allow_root: bool | None = None,
             log_level: str = "WARN") -> list[str]:
    """The ``jupyter lab`` command line serving ``workspace``."""
    argv = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={Path(workspace).resolve()}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.log_level={log_level}",
        f"--LabApp.log_level={log_level}",
        f"--LabApp.app_settings_dir={LAB_SETTINGS_DIR}",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    if allow_root if allow_root is not None else (hasattr(os, "geteuid") and os.geteuid() == 0):
        argv.append("--allow-root")
    return argv


def default_log_path() -> Path:
    """Where Jupyter's log goes: its runtime folder (``JUPYTER_RUNTIME_DIR``), never the user's console."""
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()) / LOG_NAME


def lab_env(db_url: str | None = None, base: dict | None = None) -> dict[str, str]:
    """The environment of the JupyterLab process, inherited by every kernel it starts."""
    env = dict(os.environ if base is None else base)
    env[DB_ENV_VAR] = absolute_url(db_url)
    return env


class LabServer(processes.Served):
    """A JupyterLab process on a workspace; a context manager that stops it (and its kernels) on exit."""

    def __init__(self, db_url: str | None = None, port: int = DEFAULT_PORT, workspace: Path = DEFAULT_WORKSPACE,
                 log_path: Path | None = None, log_level: str = "WARN", token: str | None = None):
        if not port_free(port):
            raise ConfigError(f"端口 {port} 已被占用：请关闭占用它的程序，或用 --port 换一个端口")
        self.port = port
        self.workspace = Path(workspace).resolve()
        self.token = token or secrets.token_urlsafe(24)
        self.argv = lab_argv(port, self.workspace, self.token, log_level=log_level)
        self.env = lab_env(db_url)
        self.log_path = Path(log_path) if log_path else default_log_path()
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        """The address to open in a browser (with the token)."""
        return f"http://{HOST}:{self.port}/lab?token={self.token}"

    def start(self) -> LabServer:
        ensure_kernel()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.workspace, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Block until the server answers; raise ``ConfigError`` if it exits or time runs out."""
        deadline = time.monotonic() + timeout
        status = f"http://{HOST}:{self.port}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ConfigError(f"JupyterLab 未能启动（退出码 {self.process and self.process.returncode}）"
                                  + (f"，日志见 {self.log_path}" if self.log_path else ""))
            if processes.answers(status):
                return
            time.sleep(0.3)
        raise ConfigError(f"JupyterLab 在 {timeout:.0f} 秒内没有响应：{self.url}")

    def children(self) -> list:
        """Every process the server started and that still runs (kernels run in sessions of their own)."""
        return processes.children(self.process)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the server (it shuts its kernels down), then end whatever it left running, by process id."""
        processes.stop_tree(self.process, timeout)
        if self._log:
            self._log.close()
            self._log = None
