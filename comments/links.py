"""The moderation links in the held-comment emails: Approve / Spam / Trash in one click.

Sealed and opened as every link the site emails is (groundwork/links.py).

A moderation link (Approve / Spam / Trash in a held comment's email) is made for one action
(its purpose names it) and holds the comment's id, its status and how many times its status had
changed when the email was sent, and the recipient's account if they have one. So a link
expires (COMMENTS_MODERATION_LINK_MAX_AGE), works once (any change of status, by whatever
means, uses up every link sent before it), and acts as the person it was sent to.

`open_moderation_link` checks one and says what it would do (a `ModerationLink`), or why it
may not be used (`LinkRefused`); doing it is `moderation.act_on_link`, as the admin's buttons
go through `moderation.moderate`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse

from groundwork.links import NOT_VALID, LinkRefused, seal, unseal
from groundwork.site_url import absolute_url

from .models import Comment, CommentEvent
from .moderators import may_moderate

# A link's action (one of moderation.MODERATOR_ACTIONS), and its button.
ACTIONS = ("approve", "spam", "trash")
ACTION_LABELS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to Trash"}
LINK_NOTE = "Via the link in the moderation email."  # what a link's action notes in the history


def _salt(action: str) -> str:
    return f"comments.moderation-link.{action}"


def status_changes(comment) -> int:
    """How many times the comment's status has changed: a link made before the next change is spent."""
    return CommentEvent.objects.filter(comment=comment).exclude(from_status=F("to_status")).count()


def moderation_link(comment, action: str, user_id: int | None) -> str:
    """The absolute URL of a sealed link doing `action` to `comment`, once, as user `user_id`."""
    token = seal([comment.pk, comment.status, status_changes(comment), user_id], purpose=_salt(action))
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
    """Check a link's seal, age and freshness; raise LinkRefused if it may not be used."""
    if action not in ACTIONS:
        raise LinkRefused("This is not a moderation link.", status=404)
    payload = unseal(
        token,
        purpose=_salt(action),
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
