"""How long comment data is kept, and the daily task that forgets the rest.

- Spam is deleted once it has sat in spam, untouched, for COMMENTS_SPAM_RETENTION_DAYS
  (15, as Akismet does), with its history.
- Trashed comments are deleted once they have sat in the Trash, untouched, for
  COMMENTS_TRASH_RETENTION_DAYS (30, as WordPress empties its Trash), with their history.
  Either stays while a reply still hangs under it: the thread shows a placeholder in its place.
- What the commenter's browser told us (IP address, user agent, referrer), which only Akismet
  needs, is blanked on comments older than COMMENTS_IP_RETENTION_DAYS (60); the comment stays.
- Readers' reports keep their sender's name, email, IP address and browser id for
  COMMENTS_REPORT_RETENTION_DAYS (180), then those are blanked; the report stays with its comment.
- Captchas handed out and never answered are deleted once expired.
- The task queue's finished rows (their arguments and results name comments and the addresses
  emails went to) are deleted TASK_RESULT_RETENTION_DAYS (14) after they finished.

The privacy page states these numbers, and for each detail sent to Akismet how long it is
kept here (`kept_here`). django.tasks has no scheduler, so `daily_maintenance`
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
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from groundwork import retry

from .models import Comment, Report

logger = logging.getLogger(__name__)

INTERVAL = timedelta(days=1)


def delete_old_spam(now=None) -> int:
    """Delete spam left untouched for the retention period; returns how many comments went."""
    return _delete_untouched(Comment.objects.spam(), settings.COMMENTS_SPAM_RETENTION_DAYS, "spam", now)


def delete_old_trash(now=None) -> int:
    """Delete comments left untouched in the Trash for the retention period; returns how many went."""
    return _delete_untouched(Comment.objects.trashed(), settings.COMMENTS_TRASH_RETENTION_DAYS, "trashed", now)


def _delete_untouched(comments, days: int, described: str, now=None) -> int:
    """Delete the `comments` not updated for `days` days, with their history; returns how many comments went."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    holding_up_replies = Comment.objects.behind_a_placeholder().values("pk")  # the thread shows them as placeholders
    old = comments.filter(updated_at__lt=cutoff).exclude(pk__in=holding_up_replies)
    deleted = old.delete()[1].get(Comment._meta.label, 0)
    if deleted:
        logger.info("Deleted %s %s comment(s) older than %s.", deleted, described, cutoff)
    return deleted


def erase_old_ips(now=None) -> int:
    """Blank the IP address, user agent and referrer of comments older than the retention period; returns how many.

    An update, which leaves updated_at alone: the spam and Trash retention clocks are not reset.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.COMMENTS_IP_RETENTION_DAYS)
    sent = Q(ip_address__isnull=False) | ~Q(user_agent="") | ~Q(referrer="")
    return Comment.objects.filter(sent, created_at__lt=cutoff).update(ip_address=None, user_agent="", referrer="")


def forget_reporters(now=None) -> int:
    """Blank the sender's name, email, IP address and browser id of reports older than the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.COMMENTS_REPORT_RETENTION_DAYS)
    old = Report.objects.filter(created_at__lt=cutoff, data_erased_at__isnull=True)
    return old.update(
        reporter_name="", reporter_email="", reporter_email_key="", ip_address=None, reporter_id="", data_erased_at=now
    )


def kept_here() -> dict[str, str]:
    """How long this site keeps each detail it sends Akismet (akismet.SENT_FIELDS), in the reader's words."""
    browser = f"{settings.COMMENTS_IP_RETENTION_DAYS} days, then deleted from your comment"
    yours = "as long as your comment, or until you erase it"
    the_sites = "nothing about you (the site's own)"
    return {
        "user_ip": browser,
        "user_agent": browser,
        "referrer": browser,
        "permalink": "nothing about you (the article's address)",
        "comment_type": "as long as your comment",
        "comment_parent": "as long as your comment",
        "comment_author": yours,
        "comment_author_email": yours,
        "comment_author_url": yours,
        "comment_content": "as long as your comment (erasing your data keeps it, as Anonymous, unless you delete it)",
        "comment_date_gmt": "as long as your comment",
        "comment_post_modified_gmt": "nothing about you (the article's)",
        "blog_lang": the_sites,
        "blog_charset": the_sites,
        "user_role": yours,
        "honeypot_field_name": the_sites,
        settings.COMMENTS_HONEYPOT_FIELD: "nothing: a comment that fills it in is spam, and deleted with the spam",
        "comment_context": "nothing about you (the article's)",
        "recheck_reason": the_sites,
        "guid": "as long as your comment",
        "callback": the_sites,
    }


@task
def daily_maintenance() -> str:
    """Queue tomorrow's run, then forget what is due (old spam and trash, reports' senders, IP addresses, captchas,
    finished tasks)."""
    schedule_daily(run_after=timezone.now() + INTERVAL)
    spam, trash, ips = delete_old_spam(), delete_old_trash(), erase_old_ips()
    captchas, tasks, reporters = delete_expired_captchas(), delete_finished_tasks(), forget_reporters()
    return (
        f"deleted {spam} old spam comment(s), {trash} old trashed comment(s), the senders of {reporters} old "
        f"report(s), forgot the IP address and browser details of {ips} comment(s), {captchas} expired captcha(s), "
        f"{tasks} finished task(s)"
    )


def delete_expired_captchas(now=None) -> int:
    """Captchas handed out and never answered (django-simple-captcha keeps them until someone posts)."""
    return CaptchaStore.objects.filter(expiration__lte=now or timezone.now()).delete()[0]


def delete_finished_tasks(now=None) -> int:
    """Finished tasks (done or failed) once TASK_RESULT_RETENTION_DAYS old; waiting and running ones stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    return DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()[0]


def schedule_daily(*, run_after=None) -> tuple[DBTaskResult | None, bool]:
    """Make sure one daily run waits in the queue (at `run_after`, or now, if none does).

    Returns the waiting run and whether this call queued it; (None, False) when the task
    backend is not the database queue, which is the only one that can wait a day.
    """
    if not isinstance(daily_maintenance.get_backend(), DatabaseBackend):
        logger.warning("Daily comment maintenance needs the database task backend; it is not scheduled.")
    return retry.one_waiting(daily_maintenance, run_after=run_after or timezone.now())
