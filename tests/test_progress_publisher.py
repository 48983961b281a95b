"""The throttled progress publisher: at most one publish per interval, the final state always."""

from __future__ import annotations

import itertools
import threading

from jobs.thread.throttle import ThrottledPublisher


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_updates_within_an_interval_are_coalesced_and_the_last_one_wins() -> None:
    clock = ManualClock()
    published: list[int] = []
    publisher = ThrottledPublisher(published.append, interval_s=2.0, clock=clock)
    publisher.update(1)  # first: at once
    for value in range(2, 10):
        clock.now += 0.1
        publisher.update(value)
    assert published == [1]
    clock.now = 2.5
    publisher.update(10)  # the interval has passed: the newest state goes out, the ones between never do
    assert published == [1, 10]
    publisher.close(11)
    assert published == [1, 10, 11]
    publisher.update(12)  # after close: ignored
    assert published == [1, 10, 11]


def test_a_quiet_run_still_shows_its_latest_state() -> None:
    published: list[int] = []
    arrived = threading.Event()

    def publish(value: int) -> None:
        published.append(value)
        if value == 2:
            arrived.set()

    publisher = ThrottledPublisher(publish, interval_s=0.05)
    publisher.update(1)
    publisher.update(2)  # within the interval: held back, then sent by the timer
    assert arrived.wait(5)
    assert published == [1, 2]
    publisher.close()
    assert published == [1, 2]  # nothing pending: close publishes nothing new


def test_rate_never_exceeds_one_per_interval() -> None:
    clock = ManualClock()
    published: list[float] = []
    publisher = ThrottledPublisher(lambda v: published.append(clock.now), interval_s=2.0, clock=clock)
    for step in range(1000):
        clock.now = step * 0.01
        publisher.update(step)
    publisher.close()
    gaps = [b - a for a, b in itertools.pairwise(published[:-1])]  # the final close may come sooner
    assert all(gap >= 2.0 for gap in gaps)
    assert len(published) <= 10 / 2.0 + 2
