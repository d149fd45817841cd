"""A comment has been published: who is told, in order.

1. comments' `signals.comment_published` says so, in the transaction that approved it, whatever
   approved it (the rules after the spam check, a moderator, an email link). `comment_published`
   only queues: `tell_followers` if the post has followers, and the commenter's email (3), so
   the request or task that approved it stays quick.
2. `tell_followers`, in the worker: every confirmed follower of the post whose address may be
   emailed, except the comment's own author (never a copy of one's own comment), gets a
   `CommentNotice`, once per comment: approved, unapproved and approved again is told once.
   One who has had SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR emails about the post in the last hour
   gets no more that hour: the rest wait for one digest, sent when the hour allows another
   email (`send_digest`). A comment that answers the follower's own comment is told as a reply.
3. The commenter is told "Your comment on ... is now published" once, when a moderator approves a
   comment that was held for them, unless COMMENTS_NOTIFY_COMMENTER_OF_APPROVED is off. Not when
   the rules approved it straight after the spam check (the commenter saw it appear), and not
   to staff (a moderator's own reply, the post's author).

The emails themselves are queued with comments' `mail.send_later` and written when sent
(emails.py), so a comment unapproved or a subscription stopped meanwhile sends nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from comments.models import Actor, Comment, CommentEvent, Kind, Status
from groundwork import locking, mail

from . import emails
from .models import CommentNotice, Subscription

HOUR = timedelta(hours=1)


def comment_published(sender, *, comment, event, **kwargs) -> None:
    """Receiver of comments' `comment_published`, in the approving transaction: queue what is to be told."""
    if Subscription.objects.confirmed().reaching().to_comments_on(comment.post).exists():
        tell_followers.enqueue(comment.pk)
    tell_author(comment, event)


@task
def tell_followers(comment_id: int) -> str:
    """Tell each follower of the post about the comment (once); returns how."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or comment.status != Status.APPROVED or comment.kind == Kind.NOTE:
        return "not told: the comment is not published now"
    followers = (
        Subscription.objects.confirmed()
        .reaching()
        .to_comments_on(comment.post)
        .exclude(address__email_key=comment.author_email_key)
        .order_by("pk")
    )
    outcomes = [notify(subscription, comment) for subscription in followers]
    return f"{outcomes.count('email')} email(s), {outcomes.count('digest')} for a digest"


def notify(subscription: Subscription, comment: Comment) -> str:
    """Tell one follower of one comment, once: "email", "digest", or "already" if they were told."""
    with transaction.atomic():
        locking.hold(f"subscriptions.notices.{subscription.pk}")
        if CommentNotice.objects.filter(subscription=subscription, comment=comment).exists():
            return "already"
        now = timezone.now()
        this_hour = subscription.notices.filter(in_digest=False, created_at__gte=now - HOUR).order_by("created_at")
        if this_hour.count() < settings.SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR:
            notice = CommentNotice.objects.create(subscription=subscription, comment=comment, created_at=now)
            mail.send_later(emails.compose_comment_notice, notice.pk)
            return "email"
        digest_waiting = subscription.notices.filter(in_digest=True, digest_queued_at__isnull=True).exists()
        CommentNotice.objects.create(subscription=subscription, comment=comment, created_at=now, in_digest=True)
        if not digest_waiting:
            send_digest.using(run_after=this_hour.first().created_at + HOUR).enqueue(subscription.pk)
        return "digest"


@task
def send_digest(subscription_id: int) -> str:
    """Queue one email with every comment held back from the follower since their last email."""
    with transaction.atomic():
        locking.hold(f"subscriptions.notices.{subscription_id}")
        held_back = CommentNotice.objects.filter(
            subscription_id=subscription_id, in_digest=True, digest_queued_at__isnull=True
        )
        ids = list(held_back.order_by("pk").values_list("pk", flat=True))
        if not ids:
            return "nothing held back"
        CommentNotice.objects.filter(pk__in=ids).update(digest_queued_at=timezone.now())
        mail.send_later(emails.compose_digest, subscription_id, ids)
    return f"digest of {len(ids)} comment(s)"


def tell_author(comment: Comment, event: CommentEvent) -> bool:
    """Queue "Your comment ... is now published" if a moderator has just approved a reader's comment, the first time.

    Not to staff (a moderator's own reply, the post's author): they see the comments in the admin.
    """
    if not settings.COMMENTS_NOTIFY_COMMENTER_OF_APPROVED or event.actor != Actor.MODERATOR:
        return False
    if not comment.author_email or comment.kind != Kind.COMMENT or (comment.user_id and comment.user.is_staff):
        return False
    if comment.events.approvals().exclude(pk=event.pk).exists():
        return False  # approved before: they were told then, or saw it
    mail.send_later(emails.compose_published, comment.pk)
    return True
