"""Signed one-click links in the site's emails: what they hold, how they are made and checked.

A moderation link (Approve / Spam / Trash in a held comment's email) is signed for one action
(the salt names it) and holds the comment's id, its status and how many times its status had
changed when the email was sent, and the recipient's account if they have one. So a link
expires (COMMENTS_MODERATION_LINK_MAX_AGE), works once (any change of status, by whatever
means, uses up every link sent before it), and acts as the person it was sent to.

`open_moderation_link` checks one and says what it would do (a `ModerationLink`), or why it
may not be used (`LinkRefused`); doing it is `moderation.act_on_link`, as the admin's buttons
go through `moderation.moderate`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import F
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil

from blog.site import absolute_url

from .models import Comment, CommentEvent
from .moderators import may_moderate

# A link's action (one of moderation.MODERATOR_ACTIONS), and its button.
ACTIONS = ("approve", "spam", "trash")
ACTION_LABELS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to Trash"}

NOT_VALID = "This link is not valid: it may have been cut short or changed."


class LinkRefused(Exception):
    """A link that may not be used; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, comment=None):
        super().__init__(message)
        self.message, self.status, self.comment = message, status, comment


def unsign(token: str, *, salt: str, max_age: int, expired: str):
    """The payload signed in `token`; LinkRefused (410 with `expired` if too old, else 400) if it does not check out."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefused(expired, status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused(NOT_VALID) from None


def lifetime_in_words(seconds: int) -> str:
    """How long a link lives, in words for an email or a page: "1 hour", "3 days"."""
    now = timezone.now()
    return timeuntil(now + timedelta(seconds=seconds), now).replace("\xa0", " ")


def render_link_page(request, template: str, context: dict, status: int = 200):
    """A page opened from an email's signed link (moderation, following, "Your comments and data")."""
    response = render(request, template, context, status=status)
    # The token is in the address: keep it on this site, yet let the page's own POST carry its Origin.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _salt(action: str) -> str:
    return f"comments.moderation-link.{action}"


def status_changes(comment) -> int:
    """How many times the comment's status has changed: a link made before the next change is spent."""
    return CommentEvent.objects.filter(comment=comment).exclude(from_status=F("to_status")).count()


def moderation_link(comment, action: str, user_id: int | None) -> str:
    """The absolute URL of a signed link doing `action` to `comment`, once, as user `user_id`."""
    payload = [comment.pk, comment.status, status_changes(comment), user_id]
    token = signing.dumps(payload, salt=_salt(action), compress=True)
    return absolute_url(reverse("comments:moderate", args=[action, token]))


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

    def is_spent_for(self, comment) -> bool:
        """Whether `comment`, as it is now, has changed since the link was sent."""
        return (comment.status, status_changes(comment)) != (self.comment.status, self.status_changes)


def used_message(comment) -> str:
    return f"This comment has been dealt with since the email was sent: it is now {comment.get_status_display()}."


def open_moderation_link(action: str, token: str) -> ModerationLink:
    """Check a link's signature, age and freshness; raise LinkRefused if it may not be used."""
    if action not in ACTIONS:
        raise LinkRefused("This is not a moderation link.", status=404)
    payload = unsign(
        token,
        salt=_salt(action),
        max_age=settings.COMMENTS_MODERATION_LINK_MAX_AGE,
        expired="This link has expired. Moderate the comment in the admin instead.",
    )
    try:
        comment_id, status, changes, user_id = payload
    except (ValueError, TypeError):
        raise LinkRefused(NOT_VALID) from None
    comment = Comment.objects.select_related("post__author", "user").filter(pk=comment_id).first()
    if comment is None:
        raise LinkRefused("This comment no longer exists.", status=410)
    if (comment.status, status_changes(comment)) != (status, changes):
        raise LinkRefused(used_message(comment), status=410, comment=comment)
    moderator = None
    if user_id is not None:
        moderator = get_user_model().objects.filter(pk=user_id).first()
        if moderator is None or not may_moderate(moderator):
            raise LinkRefused("The account this link was sent to may no longer moderate comments.", status=403)
    return ModerationLink(action, comment, changes, moderator)
