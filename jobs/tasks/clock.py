"""The current time, passed in so that tests and the sweeper agree on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.models import utcnow

Clock = Callable[[], datetime]
system_clock: Clock = utcnow
