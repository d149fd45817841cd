"""Every change of a comment's status after it is stored, and its history.

`change_status` is the single function that moves a comment from one status to another; it
checks the move is allowed, saves, and writes a `CommentEvent` saying who or what (a rule,
Akismet, a moderator) made it and why. The pipeline, the spam check, admin actions and the
signed moderation links all come through here.

What follows a change, queued in the same transaction (the task queue is a database table):
- a moderator who moves a comment into spam, or out of it, corrects Akismet: submit-spam or
  submit-ham is sent by a task, retried until Akismet answers;
- a comment that becomes approved may be announced to the post's author.
"""

from django.db import transaction

from . import notifications
from .models import Actor, Comment, CommentEvent, Reason, Status

ALLOWED_TRANSITIONS = {
    Status.PENDING: {Status.PENDING, Status.APPROVED, Status.SPAM, Status.TRASH},
    Status.APPROVED: {Status.PENDING, Status.SPAM, Status.TRASH},
    Status.SPAM: {Status.PENDING, Status.APPROVED, Status.TRASH},
    Status.TRASH: {Status.PENDING, Status.APPROVED, Status.SPAM},
}


class TransitionNotAllowed(Exception):
    pass


@transaction.atomic
def change_status(
    comment: Comment, to: Status, *, actor: Actor, reason: Reason, moderator=None, note: str = ""
) -> CommentEvent:
    """Move `comment` to status `to` for `reason`, and record it."""
    from_status = comment.status
    if to not in ALLOWED_TRANSITIONS[Status(from_status)]:
        raise TransitionNotAllowed(f"A comment cannot go from {from_status} to {to}.")
    comment.status, comment.reason = to, reason
    comment.save(update_fields=["status", "reason", "akismet_attempts", "updated_at"])
    event = CommentEvent.objects.create(
        comment=comment,
        actor=actor,
        moderator=moderator,
        from_status=from_status,
        to_status=to,
        reason=reason,
        note=note[:500],
    )
    if actor == Actor.MODERATOR and (from_status == Status.SPAM) != (to == Status.SPAM):
        from .tasks import report_to_akismet

        report_to_akismet.enqueue(comment.pk, to == Status.SPAM)
    if to == Status.APPROVED and from_status != Status.APPROVED:
        notifications.comment_approved(comment)
    return event


def record_note(comment: Comment, *, actor: Actor, note: str) -> CommentEvent:
    """A history row that changes nothing, e.g. "reported to Akismet as spam"."""
    return CommentEvent.objects.create(
        comment=comment,
        actor=actor,
        from_status=comment.status,
        to_status=comment.status,
        reason=comment.reason,
        note=note[:500],
    )


def record_received(comment: Comment) -> CommentEvent:
    """The first history row: the comment arrived and waits for its checks."""
    return CommentEvent.objects.create(
        comment=comment, actor=Actor.AUTHOR, from_status="", to_status=comment.status, reason=comment.reason
    )
