"""How background work that failed is tried again: one back-off rule for every retry.

Attempt 1 failed: wait `first`; attempt 2 failed: twice that; then four times, eight times...,
never more than `most`; after `attempts` attempts (None: never) give up. The spam check asks an
unreachable Akismet again this way, reports to Akismet are resent this way, and so are emails
a mail server did not take. When the service answers again, `due_now` brings every retry
still waiting out its delay forward, so nothing waits for a service that is back: an `Outage`
notes the failure in the cache every worker shares, and the first answer after it does that.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from . import locking
from .task_queue import exclusive_transaction, get_date_max


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


MAIL = Backoff(first=timedelta(minutes=1), most=timedelta(days=1), attempts=10)


def due_now(task) -> int:
    """Every queued retry of `task` (a task, or the dotted path it is queued by) waiting out its back-off is due now.

    Returns how many there were.

    Runs queued without a delay are left alone: django-tasks-db gives them the largest date, which
    sorts them after every dated run, so the retries brought forward go first, not behind them.
    """
    now = timezone.now()
    path = task if isinstance(task, str) else task.module_path
    waiting = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY)
    return waiting.filter(run_after__gt=now, run_after__lt=get_date_max()).update(run_after=now)


def one_waiting(task, *, run_after) -> tuple[DBTaskResult | None, bool]:
    """Make sure one run of `task` (a recurring job) waits in the queue, queued at `run_after` if none does.

    Returns the waiting run and whether this call queued it; (None, False) when the task backend is
    not the database queue, the only one that can wait that long. A lock keeps two callers at once
    (workers finishing, `manage.py` commands) from queueing two.
    """
    if not isinstance(task.get_backend(), DatabaseBackend):
        return None, False
    using = DBTaskResult.objects.db
    with exclusive_transaction(using):
        locking.hold(f"one-waiting:{task.module_path}", using=using)
        waiting = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
        if run := waiting.order_by("run_after").first():
            return run, False
        return task.using(run_after=run_after).enqueue().db_result, True


class Outage:
    """A service that failed, noted under `key` in the cache every worker shares until it answers again.

    `answered(*tasks)` on each success: the first one after a failure clears the note and brings
    every waiting retry of `tasks` forward (`due_now`), logging `caught_up % how_many` to `logger`.
    """

    def __init__(self, key: str, *, logger: logging.Logger, caught_up: str):
        self.key = key
        self.logger = logger
        self.caught_up = caught_up

    def failed(self) -> None:
        cache.set(self.key, time.time(), None)

    def since(self) -> float | None:
        """When it last failed (a Unix time), while it has not answered since; None when it is up."""
        return cache.get(self.key)

    def answered(self, *tasks) -> int:
        """It answered: if it had failed until now, every retry of `tasks` waiting out a back-off is due now.

        Returns how many retries were brought forward.
        """
        if cache.get(self.key) is None:
            return 0
        cache.delete(self.key)
        brought_forward = sum(due_now(task) for task in tasks)
        if brought_forward:
            self.logger.info(self.caught_up, brought_forward)
        return brought_forward
