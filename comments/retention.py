"""How long comment data is kept, and the daily task that forgets the rest.

- Spam is deleted once it has sat in spam, untouched, for COMMENTS_SPAM_RETENTION_DAYS
  (15, as Akismet does), with its history.
- Commenters' IP addresses are blanked on comments older than COMMENTS_IP_RETENTION_DAYS
  (60); the comment stays.
- Captchas handed out and never answered are deleted once expired.

The privacy page states both numbers. django.tasks has no scheduler, so `daily_maintenance`
queues its own next run a day later, first thing, before doing the work (so a failure does
not break the chain). `schedule_daily()` makes sure exactly one run waits in the queue: the
task and `manage.py schedule_maintenance` (run at every start and deployment) both call it,
and it checks and queues under a lock, so however often it is called there is never a second
copy waiting. A run lost to a crashed worker is queued again by the next start.
"""

import logging
from datetime import timedelta

from captcha.models import CaptchaStore
from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from . import locking
from .models import Comment

logger = logging.getLogger(__name__)

INTERVAL = timedelta(days=1)


def purge_old_spam(now=None) -> int:
    """Delete spam left untouched for the retention period; returns how many comments went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.COMMENTS_SPAM_RETENTION_DAYS)
    old = Comment.objects.spam().filter(updated_at__lt=cutoff)
    deleted = old.delete()[1].get(Comment._meta.label, 0)
    if deleted:
        logger.info("Deleted %s spam comment(s) older than %s.", deleted, cutoff)
    return deleted


def forget_old_ips(now=None) -> int:
    """Blank the IP address of comments older than the retention period; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.COMMENTS_IP_RETENTION_DAYS)
    return Comment.objects.filter(created_at__lt=cutoff, ip_address__isnull=False).update(ip_address=None)


@task
def daily_maintenance() -> str:
    """Queue tomorrow's run, then forget what is due (old spam, old IP addresses, expired captchas)."""
    schedule_daily(run_after=timezone.now() + INTERVAL)
    spam, ips, captchas = purge_old_spam(), forget_old_ips(), forget_expired_captchas()
    return f"deleted {spam} old spam comment(s), forgot {ips} IP address(es), {captchas} expired captcha(s)"


def forget_expired_captchas(now=None) -> int:
    """Captchas handed out and never answered (django-simple-captcha keeps them until someone posts)."""
    return CaptchaStore.objects.filter(expiration__lte=now or timezone.now()).delete()[0]


def pending_runs():
    return DBTaskResult.objects.filter(task_path=daily_maintenance.module_path, status="READY")


def schedule_daily(*, run_after=None) -> tuple[DBTaskResult | None, bool]:
    """Make sure one daily run waits in the queue (at `run_after`, or now, if none does).

    Returns the waiting run and whether this call queued it; (None, False) when the task
    backend is not the database queue, which is the only one that can wait a day.
    """
    if not isinstance(daily_maintenance.get_backend(), DatabaseBackend):
        logger.warning("Daily comment maintenance needs the database task backend; it is not scheduled.")
        return None, False
    using = DBTaskResult.objects.db
    with exclusive_transaction(using):
        locking.hold("comments.retention.schedule_daily", using=using)
        waiting = pending_runs().order_by("run_after").first()
        if waiting is not None:
            return waiting, False
        result = daily_maintenance.using(run_after=run_after or timezone.now()).enqueue()
        return result.db_result, True
