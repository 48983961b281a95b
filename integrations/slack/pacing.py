"""Pacing of chat.postMessage: Slack allows about one message per second per channel, per workspace.

Every process that posts (the bot and each worker) shares one pacer in Redis, so two workers posting
drafts into the same channel do not together exceed the limit; 429s are still honoured by the client.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

MAX_WAIT_S = 60.0  # a pacer never holds a post back longer than this


class PostPacer(Protocol):
    def wait_turn(self, channel: str) -> None:
        """Block until this process may post one message into `channel`."""
        ...


class NoPacing:
    def wait_turn(self, channel: str) -> None:
        return None


class LocalPostPacer:
    """One process: posts into a channel at least `interval_s` apart."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait_turn(self, channel: str) -> None:
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next.get(channel, now))
            self._next[channel] = turn + self.interval_s
        if turn > now:
            time.sleep(turn - now)


class RedisPostPacer:
    """Every process: a key per channel that lives `interval_s`; whoever sets it may post."""

    def __init__(self, redis: Redis, interval_s: float = 1.0, prefix: str = "ticketbot:slack-post") -> None:
        self.redis = redis
        self.interval_ms = max(1, int(interval_s * 1000))
        self.prefix = prefix
        self.fallback = LocalPostPacer(interval_s)

    def wait_turn(self, channel: str) -> None:
        key = f"{self.prefix}:{channel}"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + MAX_WAIT_S
        try:
            while time.monotonic() < deadline:
                if self.redis.set(key, token, nx=True, px=self.interval_ms):
                    return
                wait_ms = self.redis.pttl(key)
                time.sleep(min(max(int(wait_ms) if isinstance(wait_ms, int) else 50, 5), self.interval_ms) / 1000)
        except RedisError:
            self.fallback.wait_turn(channel)  # Redis is away: pace this process alone
