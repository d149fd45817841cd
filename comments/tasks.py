"""Background work for comments (django.tasks, run by `manage.py db_worker`).

Each task takes ids, loads the rows and calls the module that owns the logic.
"""

from django.tasks import task
from django.utils import timezone

from .models import Actor, Comment, CommentEvent

AKISMET_REPORT_ATTEMPTS = 10


@task
def check_for_spam(comment_id: int) -> str:
    from .pipeline import run_spam_check

    return run_spam_check(comment_id)


@task
def report_to_akismet(comment_id: int, as_spam: bool, attempt: int = 1) -> str:
    """Tell Akismet a moderator corrected it; ask again later while it cannot be reached."""
    from . import akismet
    from .pipeline import retry_delay

    comment = Comment.objects.select_related("post", "user").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    what = "spam" if as_spam else "not spam"
    if akismet.report(comment, as_spam=as_spam):
        CommentEvent.objects.record(comment, actor=Actor.AKISMET, note=f"Reported to Akismet as {what}.")
        return "reported"
    if not akismet.is_configured():
        return "no Akismet key"
    if attempt >= AKISMET_REPORT_ATTEMPTS:
        CommentEvent.objects.record(
            comment, actor=Actor.AKISMET, note=f"Could not report to Akismet as {what}; gave up."
        )
        return "gave up"
    CommentEvent.objects.record(
        comment, actor=Actor.AKISMET, note=f"Could not report to Akismet as {what} (attempt {attempt})."
    )
    run_after = timezone.now() + retry_delay(attempt)
    report_to_akismet.using(run_after=run_after).enqueue(comment_id, as_spam, attempt + 1)
    return "will retry"


@task
def send_notification(kind: str, comment_id: int, to: str, user_id: int | None = None, attempt: int = 1) -> str:
    """Email `to` about a comment (notifications.HELD or APPROVED); a failure is retried later, never raised."""
    from . import notifications

    return notifications.send(kind, comment_id, to, user_id, attempt=attempt)


@task
def daily_maintenance() -> str:
    """Forget old spam and old IP addresses, and come back tomorrow (see comments/retention.py)."""
    from . import retention

    return retention.run_daily()
