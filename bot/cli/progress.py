"""A text progress bar for the terminal: redrawn in place on a TTY, a line per 10 % otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def bar(fraction: float, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def eta_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"ETA {seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"ETA {minutes} min {rest:02d} s" if minutes < 60 else f"ETA {minutes // 60} h {minutes % 60:02d} min"


class TerminalProgress:
    def __init__(self, stream: TextIO, label: str = "Writing tickets", *, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.label = label
        self.enabled = enabled
        self.interactive = stream.isatty()
        self._clock = clock
        self._first: tuple[int, float] | None = None  # (done, when) of the first update: a resumed run's rate
        self.initial_eta_s: float | None = None  # before the first ticket is back: the estimate's figure
        self._last_decile = -1
        self._last: tuple[int, int] | None = None

    def eta(self, done: int, total: int) -> str:
        now = self._clock()
        if self._first is None:
            self._first = (done, now)
        first_done, first_at = self._first
        if done >= total:
            return ""
        if done > first_done and now > first_at:
            rate = (done - first_done) / (now - first_at)
            return eta_text((total - done) / rate)
        return eta_text(self.initial_eta_s) if self.initial_eta_s else ""

    def update(self, done: int, total: int, stage: str = "") -> None:
        if not self.enabled or (done, total) == self._last:
            return
        self._last = (done, total)
        fraction = done / total if total else 1.0
        eta = self.eta(done, total)
        line = f"{self.label} {bar(fraction)} {fraction:4.0%} {done}/{total}" + (f" {eta}" if eta else "") + \
            (f" {stage}" if stage else "")
        if self.interactive:
            self.stream.write("\r\033[K" + line[:120])
            if done >= total:
                self.stream.write("\n")
        elif int(fraction * 10) > self._last_decile or done >= total:
            self._last_decile = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        """On a TTY, leave the bar's line before printing something else."""
        if self.enabled and self.interactive and self._last and self._last[0] < self._last[1]:
            self.stream.write("\n")
            self.stream.flush()
