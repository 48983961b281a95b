"""Named points where a test can make this process die as if killed (TICKETBOT_FAULT=point[:n]).

Only fault drills set the variable; `os._exit` skips every cleanup, exactly like SIGKILL would.
"""

from __future__ import annotations

import os
import signal

FAULT_VARIABLE = "TICKETBOT_FAULT"
FAULT_SCOPE_VARIABLE = "TICKETBOT_FAULT_SCOPE"  # "group": kill the worker's whole process group


def fault_point(name: str, count: int | None = None) -> None:
    """Die here when TICKETBOT_FAULT names this point (and, for `name:n`, when count == n)."""
    wanted = os.environ.get(FAULT_VARIABLE)
    if not wanted:
        return
    point, _, number = wanted.partition(":")
    if point == name and (not number or (count is not None and count == int(number))):
        if os.environ.get(FAULT_SCOPE_VARIABLE) == "group":
            # The whole worker dies, as when its container is killed: RQ's work horse runs in a
            # session of its own, so its parent (the worker) is killed first, then the horse.
            os.kill(os.getppid(), signal.SIGKILL)
        os._exit(137)
