"""Fault points for the reliability tests: kill or pause the process at a named step of a write.

``point(name)`` does nothing unless the environment variable ``SGZ_FAULT_AT``
names this point; then ``SGZ_FAULT_ACTION`` says what happens: ``kill`` (the
process ends at once with SIGKILL, as a power cut or ``kill -9`` would end it)
or ``sleep:SECONDS`` (to hold a transaction open while another one starts).
The points: ``import-read`` (an import has locked and read its stations),
``import-written`` (an import has written everything, before COMMIT),
``migrate-created`` (the first migration has created the tables, before COMMIT).
"""

from __future__ import annotations

import os
import signal
import time

POINTS = ("import-read", "import-written", "migrate-created")


def point(name: str) -> None:
    """Kill or pause here when the environment asks for it (tests only)."""
    if os.environ.get("SGZ_FAULT_AT") != name:
        return
    action = os.environ.get("SGZ_FAULT_ACTION", "kill")
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("sleep:"):
        time.sleep(float(action.split(":", 1)[1]))
