"""Per-client limits, by client address: sessions held, and room joins per minute.

One client must not take every session slot, nor guess room codes at speed.
A whole class behind one NAT shares one address, so the limits are generous.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SessionsPerClient:
    """How many sessions each address holds; ``start`` refuses one past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: dict[str, int] = {}  # only addresses holding a session: bounded by them

    def start(self, address: str) -> bool:
        """Count one more session for ``address``, unless it already holds ``limit``."""
        count = self.held.get(address, 0)
        if count >= self.limit:
            return False
        self.held[address] = count + 1
        return True

    def finish(self, address: str) -> None:
        """One session of ``address`` ended."""
        count = self.held.pop(address, 0) - 1
        if count > 0:
            self.held[address] = count


class JoinRate:
    """A token bucket per address: ``per_minute`` joins at once, then one every 60/per_minute s.

    Memory stays bounded: an address unseen for as long as its bucket takes to
    refill is forgotten (it would come back to a full bucket anyway), and past
    ``max_addresses`` the least recently seen go first.
    """

    def __init__(
        self,
        per_minute: float,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = max(1.0, per_minute)  # a bucket under one token would never allow
        self.rate = per_minute / 60.0  # tokens per second
        self.refill_s = self.capacity / self.rate  # an untouched bucket is full after this
        self.max_addresses = max_addresses
        self.clock = clock
        # address → (tokens, when last seen), least recently seen first
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow_join(self, address: str) -> bool:
        """May ``address`` join a room now? A refused attempt costs nothing."""
        now = self.clock()
        tokens, seen = self.buckets.pop(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[address] = (tokens - 1.0 if allowed else tokens, now)
        self._forget(now)
        return allowed

    def _forget(self, now: float) -> None:
        while self.buckets:
            oldest = next(iter(self.buckets))
            full = now - self.buckets[oldest][1] >= self.refill_s
            if not full and len(self.buckets) <= self.max_addresses:
                return
            del self.buckets[oldest]
