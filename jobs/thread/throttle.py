"""A progress publisher that coalesces updates: at most one publish per interval, the last one always."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ThrottledPublisher(Generic[T]):
    """Publishes the newest state at most once per `interval_s`; `close()` publishes the final state.

    Updates between two publishes are coalesced: only the newest is sent when the interval has passed
    (by a timer, so a run that goes quiet still shows its latest state).
    """

    def __init__(self, publish: Callable[[T], None], interval_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._publish = publish
        self._interval = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: T | None = None
        self._has_pending = False
        self._last_publish = float("-inf")
        self._timer: threading.Timer | None = None
        self._closed = False
        self.published = 0

    def update(self, state: T) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending, self._has_pending = state, True
            wait = self._last_publish + self._interval - self._clock()
            if wait <= 0:
                self._flush_locked()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def close(self, final: T | None = None) -> None:
        """Publish `final` (or what is pending) now, whatever the interval; later updates are ignored."""
        with self._lock:
            if final is not None:
                self._pending, self._has_pending = final, True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._has_pending:
                self._flush_locked()
            self._closed = True

    def cancel(self) -> None:
        """Drop what is pending and stop: nothing more is published (the caller shows the end itself)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._pending, self._has_pending, self._closed = None, False, True

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._has_pending and not self._closed:
                self._flush_locked()

    def _flush_locked(self) -> None:
        state = self._pending
        self._pending, self._has_pending = None, False
        self._last_publish = self._clock()
        self.published += 1
        assert state is not None
        self._publish(state)
