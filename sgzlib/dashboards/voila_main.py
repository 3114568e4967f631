"""Voila, with its preheated kernel pools filled one kernel at a time: ``python -m sgzlib.dashboards.voila_main``.

Voila 0.5 fills every dashboard's pool at once when it starts. On this 2-core machine, with the three
dashboards preheating together, about one visit in five stalled for good: the page stopped after the
first cell because the pooled render never got its cell's reply (seen with 8 servers of one dashboard:
no stall; 8 servers of three: stalls). Filling the pools one after another (start a kernel, run its
notebook, then the next) removed the stall, and each notebook runs alone on the cores, so the pools are
ready no later than before. A visit that arrives while its kernel is still rendering waits for it, as
it would without the pool.

Everything else is Voila's own command line (``voila.app.main``).
"""

from __future__ import annotations

import asyncio

import voila.app
from voila.voila_kernel_manager import voila_kernel_manager_factory

# How long one pool kernel may hold up the next (a notebook that never finishes must not starve the others).
RENDER_WAIT = 120.0


def serial_pool_factory(base_class, preheat_kernel: bool, default_pool_size: int, **kwargs):
    """Voila's kernel manager class, with pool kernels started and rendered one at a time."""
    cls = voila_kernel_manager_factory(base_class, preheat_kernel, default_pool_size, **kwargs)
    if not preheat_kernel:
        return cls

    class SerialPoolKernelManager(cls):
        _fill_lock: asyncio.Lock | None = None

        async def _initialize(self, notebook_path: str, kernel_id: str | None = None, **kwargs):
            if kernel_id is not None:  # a restart of a kernel in use: not a pool fill
                return await super()._initialize(notebook_path, kernel_id, **kwargs)
            if self._fill_lock is None:
                self._fill_lock = asyncio.Lock()
            async with self._fill_lock:
                content = await super()._initialize(notebook_path, kernel_id, **kwargs)
                # Let the notebook finish rendering before the next kernel starts; a failed render
                # is Voila's to report when the page is visited, not ours to raise here.
                await asyncio.wait([content["task"]], timeout=RENDER_WAIT)
            return content

    SerialPoolKernelManager.__name__ = cls.__name__
    return SerialPoolKernelManager


def main() -> None:
    voila.app.voila_kernel_manager_factory = serial_pool_factory
    voila.app.main()


if __name__ == "__main__":
    main()
