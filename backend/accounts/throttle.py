"""Login throttling: backoff per (account, client address), plus two coarse ceilings.

Counting failures per account alone let anyone lock an engineer out by typing wrong passwords
for their e-mail. Counting per pair slows the guesser only: after a few free failures each
further one doubles the wait for that pair (2 s, 4 s, ... up to ``max_s``), while the owner
on another address logs in as usual. A success clears the pair. Two ceilings count failures
too: per account, set high (it only stops guessing from many addresses at once) and per
address (slows spraying many accounts). Only failures count, so logging in from phone and
laptop never throttles anyone.

Counters live in the rate limiter's storage (Redis in production, memory without it, and
this process's memory while Redis is down) through the ``limits`` library; the ceilings are
``limits`` fixed windows. Flask-Limiter is not used on login because its response headers
would replace our ``Retry-After`` with its window's.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from backend.accounts.operations import normalise_email
from backend.config import Config, settings


@dataclass(frozen=True)
class Backoff:
    free_failures: int = 3
    base_s: int = 2
    max_s: int = 900
    window_s: int = 24 * 3600  # failures are forgotten this long after the first one

    def delay(self, failures: int) -> int:
        """Seconds the pair must wait after its ``failures``-th failure."""
        over = failures - self.free_failures
        if over <= 0:
            return 0
        return int(min(self.max_s, self.base_s * 2 ** min(over - 1, 32)))

    @classmethod
    def from_config(cls, cfg: Config | Mapping[str, Any]) -> Backoff:
        typed = settings(cfg)
        return cls(
            free_failures=typed.LOGIN_BACKOFF_FREE_FAILURES,
            base_s=typed.LOGIN_BACKOFF_BASE_S,
            max_s=typed.LOGIN_BACKOFF_MAX_S,
            window_s=typed.LOGIN_BACKOFF_WINDOW_S,
        )


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    message: str


class LoginThrottle:
    def __init__(
        self,
        storage: Storage,
        policy: Backoff,
        per_account: str = "200 per hour",
        per_address: str = "30 per 15 minutes",
    ) -> None:
        self.storage = storage
        self.policy = policy
        self.windows = FixedWindowRateLimiter(storage)
        self.per_account: RateLimitItem = parse(per_account)
        self.per_address: RateLimitItem = parse(per_address)

    def _ceilings(self, email: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [
            (self.per_account, "login-account:" + normalise_email(email), "for this account"),
            (self.per_address, "login-ip:" + address, "from this address"),
        ]

    def check(self, email: str, address: str) -> Refusal | None:
        """Why this attempt must wait, or None: it may go ahead."""
        wait = self.retry_after(email, address)
        if wait:
            return Refusal(wait, f"too many failed logins; try again in {wait} s")
        for limit, key, where in self._ceilings(email, address):
            if not self.windows.test(limit, key):
                reset = self.windows.get_window_stats(limit, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                return Refusal(wait, f"too many failed logins {where}; try again in {wait} s")
        return None

    @staticmethod
    def _key(email: str, address: str) -> str:
        # Hashed: the storage need not hold e-mail addresses.
        pair = f"{normalise_email(email)}\n{address}".encode()
        return "login-pair:" + hashlib.sha256(pair).hexdigest()[:32]

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until this pair may try again (0: now)."""
        key = self._key(email, address) + ":wait"
        if self.storage.get(key) <= 0:
            return 0
        return max(1, math.ceil(self.storage.get_expiry(key) - time.time()))

    def failed(self, email: str, address: str) -> int:
        """Record a failure; the delay it imposes (0 while failures are still free)."""
        for limit, ceiling_key, _where in self._ceilings(email, address):
            self.windows.hit(limit, ceiling_key)
        key = self._key(email, address)
        failures = self.storage.incr(key + ":n", self.policy.window_s)
        wait = self.policy.delay(failures)
        if wait:
            self.storage.clear(key + ":wait")
            self.storage.incr(key + ":wait", wait)
        return wait

    def succeeded(self, email: str, address: str) -> None:
        key = self._key(email, address)
        self.storage.clear(key + ":n")
        self.storage.clear(key + ":wait")

    def lift_delay(self, email: str, address: str) -> None:
        """End the current wait but keep the count (the wait ran out; tests, support)."""
        self.storage.clear(self._key(email, address) + ":wait")


_FALLBACK = MemoryStorage()


def _storage() -> Storage:
    """The limiter's storage while it answers; this process's memory while it does not. A
    Redis outage must degrade login throttling to per-process counts, never fail a login
    (the same fallback Flask-Limiter applies to the other limits)."""
    from backend.extensions import limiter

    storage = limiter.storage
    try:
        healthy = storage.check()
    except Exception:
        healthy = False
    return storage if healthy else _FALLBACK


def login_throttle() -> LoginThrottle:
    cfg = settings()
    return LoginThrottle(
        _storage(),
        Backoff.from_config(cfg),
        per_account=cfg.LOGIN_LIMIT_PER_ACCOUNT,
        per_address=cfg.LOGIN_LIMIT_PER_IP,
    )
