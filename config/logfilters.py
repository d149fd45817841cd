"""Logging filters: what the site's log says, one line per event, so that a log collector can read it."""

import logging
import time


class OnceAMinute(logging.Filter):
    """An outage makes every request log the same thing: let one record through a minute (per process)."""

    def __init__(self, every: float = 60):
        super().__init__()
        self.every, self.last = every, -every

    def filter(self, record):
        now = time.monotonic()
        if now - self.last < self.every:
            return False
        self.last = now
        return True


class CacheUnavailable(OnceAMinute):
    """While Redis is down, django-redis logs every cache call it skipped, with a traceback: say it once a minute.

    The record becomes one WARNING line naming the error; the rest of the minute's are dropped.
    """

    def filter(self, record):
        if not super().filter(record):
            return False
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "The cache (Redis) cannot be reached; serving without it, abuse limits not counted: %r"
        record.args = (cause,)
        record.exc_info = record.exc_text = None
        return True
