"""Running notebooks through papermill on a kernel that stays alive between reports.

Starting a kernel and importing pandas, plotly and sgzlib costs a few seconds;
a batch of reports pays it once per worker. ``KernelSession`` owns one kernel;
``run`` hands it to papermill through the ``sgz`` engine registered here, which
clears the user namespace (``%reset -f``) before each notebook so no report sees
another's variables.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path

import papermill as pm
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from ..runtime.kernel import KERNEL_NAME, ensure_kernel

ENGINE_NAME = "sgz"
log = logging.getLogger("papermill")


class _ReusedKernelClient(PapermillNotebookClient):
    """A papermill client that uses an already running kernel and client and leaves both running."""

    def __init__(self, nb_man, km, kc, **kw):
        super().__init__(nb_man, km=km, **kw)
        self.kc = kc

    def papermill_execute_cells(self):
        self.wait_for_reply(self.kc.execute("%reset -f", silent=True, store_history=False))
        super().papermill_execute_cells()


class ReusedKernelEngine(NBClientEngine):
    """papermill engine ``sgz``: executes on the ``km``/``kc`` passed in (a fresh kernel when none)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, km=None, kc=None, **kwargs):
        if km is None:
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output, stdout_file=stdout_file,
                                                    stderr_file=stderr_file, start_timeout=start_timeout,
                                                    execution_timeout=execution_timeout, **kwargs)
        client = _ReusedKernelClient(nb_man, km, kc, timeout=execution_timeout, startup_timeout=start_timeout,
                                     kernel_name=kernel_name, log=log, log_output=log_output,
                                     stdout_file=stdout_file, stderr_file=stderr_file)
        return client.execute()


papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


class KernelSession:
    """One kernel kept alive for many notebooks (started on first use, restarted if it died)."""

    def __init__(self, kernel_name: str = KERNEL_NAME, cwd: str | os.PathLike | None = None,
                 execution_timeout: int = 600, env: dict[str, str] | None = None):
        self.kernel_name = kernel_name
        self.cwd = str(cwd or os.getcwd())
        self.env = {**os.environ, **(env or {})}
        self.execution_timeout = execution_timeout
        self.km: AsyncKernelManager | None = None
        self.kc = None

    def start(self) -> None:
        ensure_kernel(self.kernel_name)
        if os.name == "posix":  # local sockets: no TCP port, nothing readable on the network
            ip = os.path.join(tempfile.gettempdir(), f"sgz-kernel-{uuid.uuid4().hex[:12]}")
            self.km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=ip)
        else:
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        run_sync(self.km.start_kernel)(cwd=self.cwd, env=self.env)
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=60)

    @property
    def alive(self) -> bool:
        return self.km is not None and run_sync(self.km.is_alive)()

    def run(self, notebook: str | os.PathLike, output: str | os.PathLike, parameters: dict):
        """Execute ``notebook`` with ``parameters`` into ``output`` (papermill); returns the executed notebook.

        Raises ``papermill.PapermillExecutionError`` (with the failing cell) when a cell fails; the
        executed notebook is still written, with the error shown.
        """
        if not self.alive:
            self.close()
            self.start()
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, engine_name=ENGINE_NAME,
                                   kernel_name=self.kernel_name, progress_bar=False, km=self.km, kc=self.kc,
                                   execution_timeout=self.execution_timeout, cwd=None)

    def close(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if run_sync(self.km.is_alive)():
                    run_sync(self.km.shutdown_kernel)(now=True)
            finally:
                self.km = None

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def notebook_path(name: str) -> Path:
    """The shipped notebook ``name`` (``station_supervision`` …) in the project's ``notebooks/`` folder."""
    return Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.ipynb"
