"""Who is told what about comments, by email. Sending happens in tasks, never in a request.

- `comment_held(comment)`: a new comment waits for moderation - tell the moderators (the
  addresses in COMMENTS_MODERATOR_EMAILS, or else every active staff user who may change
  comments) and the post's author (COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD).
- `comment_approved(comment)`: a comment was published - tell the post's author
  (COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED), unless they wrote or approved it themselves.

A post's author hears of comments only while they are active staff: imported authors and the
demo's writer, who cannot log in, are never emailed.

Both only queue a `send_notification` task per recipient, in the caller's transaction (the
queue is a database table, so a comment and its emails are stored together or not at all).
The task renders `templates/comments/email/<kind>_{subject,body}.txt` from the comment as it
is *then*: a comment decided before its "held" email goes out is not announced. Sending
goes through the "default" mailer; an SMTP error or an unreachable server re-queues the
email 1, 2, 4 ... minutes later, `SEND_ATTEMPTS` times in all, and never raises.

A held comment's email carries one-click Approve / Spam / Trash links. Each is signed for
one action (the salt names it) and holds the comment's id, its status and how many times its
status has changed when the email was sent, and the recipient's account if they have one.
So a link expires (COMMENTS_MODERATION_LINK_MAX_AGE), works once (any change of status,
by whatever means, uses up every link sent before it), and acts as the person it was sent
to. Opening it shows a confirmation page; only that page's POST (with its CSRF token)
changes the comment, through `moderation.moderate`, as the admin's buttons do.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil

from .models import Comment, CommentEvent, Status

logger = logging.getLogger(__name__)

MAILER = "default"
SEND_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)

HELD, APPROVED = "held", "approved"
# A one-click link's action (one of moderation.MODERATOR_ACTIONS), and its button.
ACTIONS = ("approve", "spam", "trash")
ACTION_LABELS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to Trash"}
MODERATE_PERMISSION = "comments.change_comment"
LINK_NOTE = "Via the link in the moderation email."


@dataclass(frozen=True)
class Recipient:
    email: str
    user_id: int | None = None


def comment_held(comment):
    """Queue the moderators' email about a held comment."""
    for recipient in held_recipients(comment):
        _queue(HELD, comment, recipient)


def comment_approved(comment):
    """Queue the post author's email about a published comment."""
    author = comment.post.author
    if not settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED or not _on_the_team(author) or _written_by(comment, author):
        return
    _queue(APPROVED, comment, Recipient(author.email, author.pk))


def _queue(kind, comment, recipient):
    from .tasks import send_notification

    send_notification.enqueue(kind, comment.pk, recipient.email, recipient.user_id)


def _on_the_team(user) -> bool:
    return user.is_active and user.is_staff and bool(user.email)


def _written_by(comment, user) -> bool:
    return comment.user_id == user.pk or comment.author_email.casefold() == user.email.casefold()


def moderators():
    """Active staff users who may change comments (directly, through a group, or as superusers)."""
    permission = Permission.objects.filter(content_type__app_label="comments", codename="change_comment")
    may_change = Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
    return get_user_model().objects.filter(may_change, is_active=True, is_staff=True).distinct().order_by("pk")


def held_recipients(comment) -> list[Recipient]:
    """Who hears of a held comment: one entry per address, with the account it belongs to if any."""
    staff = list(moderators().exclude(email=""))
    if settings.COMMENTS_MODERATOR_EMAILS:
        accounts = {user.email.casefold(): user.pk for user in staff}
        recipients = [Recipient(email, accounts.get(email.casefold())) for email in settings.COMMENTS_MODERATOR_EMAILS]
    else:
        recipients = [Recipient(user.email, user.pk) for user in staff]
    author = comment.post.author
    if settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD and _on_the_team(author):
        recipients.append(Recipient(author.email, author.pk))
    unique = {}
    for recipient in recipients:
        unique.setdefault(recipient.email.casefold(), recipient)
    return list(unique.values())


def may_moderate(user) -> bool:
    """Whether a link sent to `user` may act: active staff who may change comments."""
    return user.is_active and user.is_staff and user.has_perm(MODERATE_PERMISSION)


# Sending, in the task worker.


def send(kind: str, comment_id: int, to: str, user_id: int | None = None, *, attempt: int = 1) -> str:
    """Render and send one email; on failure queue the next attempt. Returns what happened."""
    comment = Comment.objects.select_related("post__author", "parent").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    if kind == HELD and comment.status != Status.PENDING:
        return f"not sent: the comment is {comment.status} now"
    if kind == APPROVED and comment.status != Status.APPROVED:
        return f"not sent: the comment is {comment.status} now"
    if kind == APPROVED and _approved_by_post_author(comment):
        return "not sent: the post's author approved it"

    message = build_message(kind, comment, Recipient(to, user_id))
    try:
        message.send(using=MAILER)
    except (smtplib.SMTPException, OSError) as error:
        return _retry_later(kind, comment_id, to, user_id, attempt=attempt, error=error)
    return f"sent to {to}"


def _approved_by_post_author(comment) -> bool:
    approval = comment.events.filter(to_status=Status.APPROVED).exclude(from_status=Status.APPROVED).last()
    return approval is not None and approval.moderator_id == comment.post.author_id


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt`: 1, 2, 4 ... minutes."""
    return FIRST_RETRY * 2 ** (attempt - 1)


def _retry_later(kind, comment_id, to, user_id, *, attempt, error) -> str:
    from .tasks import send_notification

    if attempt >= SEND_ATTEMPTS or not send_notification.get_backend().supports_defer:
        logger.error(
            "Gave up emailing %s about comment %s (%s) after %s attempts: %r", to, comment_id, kind, attempt, error
        )
        return f"gave up after {attempt} attempts: {error!r}"
    delay = retry_delay(attempt)
    logger.warning("Could not email %s about comment %s (%s), retrying in %s: %r", to, comment_id, kind, delay, error)
    send_notification.using(run_after=timezone.now() + delay).enqueue(kind, comment_id, to, user_id, attempt + 1)
    return f"attempt {attempt} failed, retrying in {delay}: {error!r}"


def build_message(kind: str, comment, recipient: Recipient) -> EmailMessage:
    now = timezone.now()
    context = {
        "comment": comment,
        "post": comment.post,
        "blog_title": settings.BLOG_TITLE,
        "quoted": _commenters_words(comment, with_contact=kind == HELD and _may_act(recipient)),
        "post_url": absolute(comment.post.get_absolute_url()),
        "comment_url": absolute(comment.get_absolute_url()),
        "admin_url": absolute(reverse("admin:comments_comment_change", args=[comment.pk])),
    }
    if kind == HELD and _may_act(recipient):
        lifetime = timeuntil(now + timedelta(seconds=settings.COMMENTS_MODERATION_LINK_MAX_AGE), now)
        context |= {
            "links": {action: moderation_link(comment, action, recipient.user_id) for action in ACTIONS},
            "link_lifetime": lifetime.replace("\xa0", " "),
            "pending_count": Comment.objects.pending().count(),
            "queue_url": absolute(reverse("admin:comments_comment_changelist") + "?status=pending"),
        }
    subject = render_to_string(f"comments/email/{kind}_subject.txt", context)
    body = render_to_string(f"comments/email/{kind}_body.txt", context)
    reply_to = [comment.author_email] if kind == APPROVED else []
    return EmailMessage(" ".join(subject.split()), body, to=[recipient.email], reply_to=reply_to)


def quote(text: str) -> str:
    """`text` with every line marked "> ", as mail quotes: the reader can tell it from the site's own lines."""
    return "\n".join(f"> {line}".rstrip() for line in (text.splitlines() or [""]))


def _commenters_words(comment, *, with_contact: bool) -> str:
    """What the commenter wrote, quoted: their details, then their comment.

    Nothing a commenter typed may pass for a line of the site's, such as a fake "Approve it:" link.
    """
    details = [f"Author: {comment.author_name}"]
    if with_contact:
        details.append(f"Email: {comment.author_email}")
    details.append(f"Website: {comment.author_url or '(none)'}")
    if comment.parent:
        details.append(f"In reply to: {comment.parent.author_name}")
    return quote("\n".join([*details, "", comment.body]))


def _may_act(recipient: Recipient) -> bool:
    """Links go to the moderators' addresses from the settings and to accounts that may moderate."""
    if recipient.user_id is None:
        return True
    user = get_user_model().objects.filter(pk=recipient.user_id).first()
    return user is not None and may_moderate(user)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# One-click moderation links.


class LinkRefused(Exception):
    """A moderation link that may not be used; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, comment=None):
        super().__init__(message)
        self.message, self.status, self.comment = message, status, comment


def _salt(action: str) -> str:
    return f"comments.moderation-link.{action}"


def _status_changes(comment) -> int:
    return CommentEvent.objects.filter(comment=comment).exclude(from_status=F("to_status")).count()


def moderation_link(comment, action: str, user_id: int | None) -> str:
    """The absolute URL of a signed link doing `action` to `comment`, once, as user `user_id`."""
    payload = [comment.pk, comment.status, _status_changes(comment), user_id]
    token = signing.dumps(payload, salt=_salt(action), compress=True)
    return absolute(reverse("comments:moderate", args=[action, token]))


@dataclass
class ModerationLink:
    """A link that checked out: what it does, to which comment, on whose behalf."""

    action: str
    comment: Comment
    status_changes: int
    moderator: object | None = None

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]

    def perform(self) -> CommentEvent:
        """Do the action, once: the comment is locked and checked again first."""
        from .moderation import TransitionNotAllowed, moderate

        with transaction.atomic():
            comment = Comment.objects.select_for_update().get(pk=self.comment.pk)
            if (comment.status, _status_changes(comment)) != (self.comment.status, self.status_changes):
                raise LinkRefused(_used_message(comment), status=410, comment=comment)
            comment.post = self.comment.post
            try:
                event = moderate(comment, self.action, moderator=self.moderator, note=LINK_NOTE)
            except TransitionNotAllowed as error:
                raise LinkRefused(str(error), status=409, comment=comment) from None
        self.comment = comment
        return event


def _used_message(comment) -> str:
    return f"This comment has been dealt with since the email was sent: it is now {comment.get_status_display()}."


def open_moderation_link(action: str, token: str) -> ModerationLink:
    """Check a link's signature, age and freshness; raise LinkRefused if it may not be used."""
    if action not in ACTIONS:
        raise LinkRefused("This is not a moderation link.", status=404)
    try:
        comment_id, status, changes, user_id = signing.loads(
            token, salt=_salt(action), max_age=settings.COMMENTS_MODERATION_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        raise LinkRefused("This link has expired. Moderate the comment in the admin instead.", status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused("This link is not valid: it may have been cut short or changed.") from None
    comment = Comment.objects.select_related("post__author", "user").filter(pk=comment_id).first()
    if comment is None:
        raise LinkRefused("This comment no longer exists.", status=410)
    if (comment.status, _status_changes(comment)) != (status, changes):
        raise LinkRefused(_used_message(comment), status=410, comment=comment)
    moderator = None
    if user_id is not None:
        moderator = get_user_model().objects.filter(pk=user_id).first()
        if moderator is None or not may_moderate(moderator):
            raise LinkRefused("The account this link was sent to may no longer moderate comments.", status=403)
    return ModerationLink(action, comment, changes, moderator)
