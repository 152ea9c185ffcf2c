"""Rate limits for the patient channel: "N per second|minute|hour" per key.

In memory for one server; in Redis (`CLINIC_WEB_LIMITS_STORAGE=redis://...`)
when several replicas must share the count.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

PERIODS = {"second": 1, "minute": 60, "hour": 3600}


@dataclass(frozen=True)
class RateLimit:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "RateLimit":
        """'20/minute' -> RateLimit(20, 60)."""
        amount, _, period = text.strip().partition("/")
        if period not in PERIODS or not amount.isdigit() or int(amount) < 1:
            raise ValueError(f"rate limit '{text}' should look like '20/minute' (second, minute or hour)")
        return cls(int(amount), PERIODS[period])


class MemoryRateLimiter:
    """A sliding window per key: at most `amount` hits in any `seconds` span."""

    def __init__(self, clock=time.monotonic):
        self._hits: dict[str, deque] = {}
        self._clock = clock

    async def hit(self, key: str, limit: RateLimit) -> float:
        """Counts one hit; returns 0 when allowed, else the seconds to wait."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - limit.seconds:
            hits.popleft()
        if len(hits) >= limit.amount:
            return hits[0] + limit.seconds - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle visitors so memory stays bounded
            self._forget_idle(now, limit.seconds)
        return 0.0

    def _forget_idle(self, now: float, seconds: int) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - seconds]:
            del self._hits[key]


class RedisRateLimiter:
    """A fixed window per key in Redis, shared by every replica."""

    def __init__(self, url: str):
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(url)

    async def hit(self, key: str, limit: RateLimit) -> float:
        now = time.time()
        window = int(now // limit.seconds)
        name = f"clinic:rate:{key}:{limit.seconds}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, limit.seconds + 1).execute()
        if count > limit.amount:
            return (window + 1) * limit.seconds - now
        return 0.0


def rate_limiter(storage_url: str | None):
    return RedisRateLimiter(storage_url) if storage_url else MemoryRateLimiter()
