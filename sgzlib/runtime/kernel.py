"""The Jupyter kernel reports run on: this Python's own, registered as ``sgz`` when missing."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

KERNEL_NAME = "sgz"
DISPLAY_NAME = "社工站工作台 (sgz)"

_install_lock = threading.Lock()


def kernel_prefix() -> Path:
    """Where the kernel spec is installed: this environment's prefix (``.venv``)."""
    return Path(sys.prefix)


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this interpreter as kernel ``name`` unless a spec of that name already runs it; return the name.

    Same as ``python -m ipykernel install --prefix .venv --name sgz``, done on demand so nobody has to.
    """
    with _install_lock:  # report batches start several kernels from threads at once
        if _runs_this_python(name):
            return name
        from ipykernel.kernelspec import install

        try:
            install(kernel_name=name, display_name=DISPLAY_NAME, prefix=str(kernel_prefix()))
        except FileExistsError:
            # Another process (a second `sgz report`, a test worker) installed it between our look
            # and our copy; what it writes is the same spec, so wait for it to finish writing.
            for _ in range(50):
                if _runs_this_python(name):
                    break
                time.sleep(0.1)
            else:
                raise
    return name


def _runs_this_python(name: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return bool(spec.argv) and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
