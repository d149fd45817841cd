"""How background work that failed is tried again: one back-off rule for every retry.

Attempt 1 failed: wait `first`; attempt 2 failed: twice that; then four times, eight times...,
never more than `most`; after `attempts` attempts (None: never) give up. The spam check asks an
unreachable Akismet again this way, reports to Akismet are resent this way, and so are emails
a mail server did not take.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class Backoff:
    first: timedelta
    most: timedelta
    attempts: int | None = None

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt number `attempt` (1 for the first)."""
        return min(self.first * 2 ** max(attempt - 1, 0), self.most)

    def gives_up_after(self, attempt: int) -> bool:
        return self.attempts is not None and attempt >= self.attempts


def akismet_backoff(*, attempts: int | None = None) -> Backoff:
    """30 s, 1 min, 2 min ... at most hourly (AKISMET_RETRY_SECONDS, AKISMET_RETRY_MAX_SECONDS)."""
    first, most = settings.AKISMET_RETRY_SECONDS, settings.AKISMET_RETRY_MAX_SECONDS
    return Backoff(timedelta(seconds=first), timedelta(seconds=most), attempts)


MAIL = Backoff(first=timedelta(minutes=1), most=timedelta(days=1), attempts=10)
