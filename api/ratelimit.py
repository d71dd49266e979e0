"""Per-API-key rate limit: a moving window of ``P2P_RATE_LIMIT_PER_MINUTE`` requests.

One portal key usually serves many people, so the default is generous (100 a second): the
limit is there to stop a runaway client from starving the others, not to meter users. The
window lives in each serving process's memory (``limits``), so with ``serve --workers N``
a key may reach N times the limit in the worst case; that keeps a database round trip off
every request.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.errors import ApiProblem


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key_id: str) -> None:
        """Count one request of ``key_id``; 429 with ``Retry-After`` when over the limit."""
        if self.limiter.hit(self.item, key_id):
            return
        reset_at, _ = self.limiter.get_window_stats(self.item, key_id)
        wait = max(1, math.ceil(reset_at - time.time()))
        raise ApiProblem(
            "rate-limited",
            f"This API key sent more than {self.item.amount} requests in a minute. "
            f"Wait {wait} seconds, then retry; spread requests out or ask for a higher limit.",
            headers={"Retry-After": str(wait)},
        )
