"""Logging filters: what the site's log says, one line per event, so that a log collector can read it."""

import logging
import time


class CacheUnavailable(logging.Filter):
    """While Redis is down, django-redis logs every cache call it skipped, with a traceback: say it once a minute.

    The record becomes one WARNING line naming the error; the rest of the minute's are dropped.
    """

    def __init__(self, every: float = 60):
        super().__init__()
        self.every, self.last = every, -every

    def filter(self, record):
        now = time.monotonic()
        if now - self.last < self.every:
            return False
        self.last = now
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "The cache (Redis) cannot be reached; serving without it: %r", (cause,)
        record.exc_info = record.exc_text = None
        return True
