"""The Jupyter kernel reports run on: this Python's own, registered as ``sgz`` when missing."""

from __future__ import annotations

import sys
from pathlib import Path

KERNEL_NAME = "sgz"
DISPLAY_NAME = "社工站工作台 (sgz)"


def kernel_prefix() -> Path:
    """Where the kernel spec is installed: this environment's prefix (``.venv``)."""
    return Path(sys.prefix)


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this interpreter as kernel ``name`` unless a spec of that name already runs it; return the name.

    Same as ``python -m ipykernel install --prefix .venv --name sgz``, done on demand so nobody has to.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return name
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=DISPLAY_NAME, prefix=str(kernel_prefix()))
    return name
