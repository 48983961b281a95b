"""A text progress bar for the terminal: redrawn in place on a TTY, a line per 10 % otherwise."""

from __future__ import annotations

import time
from typing import TextIO


def bar(fraction: float, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


class TerminalProgress:
    def __init__(self, stream: TextIO, label: str = "Writing tickets") -> None:
        self.stream = stream
        self.label = label
        self.interactive = stream.isatty()
        self.started = time.monotonic()
        self._last_decile = -1
        self._last: tuple[int, int] | None = None

    def update(self, done: int, total: int, stage: str = "") -> None:
        if (done, total) == self._last:
            return
        self._last = (done, total)
        fraction = done / total if total else 1.0
        line = f"{self.label} {bar(fraction)} {fraction:4.0%} {done}/{total} {stage}"
        if self.interactive:
            self.stream.write("\r\033[K" + line[:120])
            if done >= total:
                self.stream.write("\n")
        elif int(fraction * 10) > self._last_decile or done >= total:
            self._last_decile = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()
