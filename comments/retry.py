"""How background work that failed is tried again: one back-off rule for every retry.

Attempt 1 failed: wait `first`; attempt 2 failed: twice that; then four times, eight times...,
never more than `most`; after `attempts` attempts (None: never) give up. The spam check asks an
unreachable Akismet again this way, reports to Akismet are resent this way, and so are emails
a mail server did not take. When the service answers again, `due_now` brings every retry
still waiting out its delay forward, so nothing waits for a service that is back.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


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


def due_now(task) -> int:
    """Every queued retry of `task` waiting out its back-off is due now: how many there were.

    Runs queued without a delay are left alone: django-tasks-db gives them the largest date, which
    sorts them after every dated run, so the retries brought forward go first, not behind them.
    """
    now = timezone.now()
    waiting = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    return waiting.filter(run_after__gt=now, run_after__lt=get_date_max()).update(run_after=now)
