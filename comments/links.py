"""The one-click links in the site's emails: sealed, expiring, each good for one purpose only.

Every kind of link the site emails (moderation here; confirm, manage and unsubscribe in
subscriptions/links.py; "Your comments and data" in privacy/links.py) carries what it needs
*sealed*: `seal(payload, purpose=...)` encrypts and authenticates it with Fernet (the
`cryptography` package: AES, HMAC and the time it was made), under a key derived from SECRET_KEY
and the purpose. So a link's token says nothing to whoever reads it (an access log, a browser's
history, a mail filter): no address, no id; it cannot be changed; and one made for one purpose
opens for no other. `unseal` opens it, or refuses it (`LinkRefused`) when it is not the site's
(400) or older than its kind allows (410). A link made with a key since moved to
SECRET_KEY_FALLBACKS still opens, as Django's signed values do. Links sent before links were
sealed (Django's signing, readable) open too, until they expire: the longest kind lives a year.

A moderation link (Approve / Spam / Trash in a held comment's email) is made for one action
(its purpose names it) and holds the comment's id, its status and how many times its status had
changed when the email was sent, and the recipient's account if they have one. So a link
expires (COMMENTS_MODERATION_LINK_MAX_AGE), works once (any change of status, by whatever
means, uses up every link sent before it), and acts as the person it was sent to.

`open_moderation_link` checks one and says what it would do (a `ModerationLink`), or why it
may not be used (`LinkRefused`); doing it is `moderation.act_on_link`, as the admin's buttons
go through `moderation.moderate`.
"""

import base64
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import F
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
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


def seal(payload, *, purpose: str) -> str:
    """`payload` (JSON-ready) sealed for `purpose`: a token for a link's address that only the site can read."""
    return _sealer(purpose).encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def unseal(token: str, *, purpose: str, max_age: int, expired: str):
    """The payload sealed in `token` for `purpose`; LinkRefused (410 with `expired` if too old, else 400)."""
    sealer = _sealer(purpose)
    try:
        sealed = _as_sealed(token)
        payload = json.loads(sealer.decrypt(sealed))
        made_at = sealer.extract_timestamp(sealed)
    except (InvalidToken, ValueError, TypeError):
        return _unsign(token, purpose=purpose, max_age=max_age, expired=expired)
    if time.time() - made_at > max_age:
        raise LinkRefused(expired, status=410)
    return payload


def _sealer(purpose: str) -> MultiFernet:
    """Fernet under a key of `purpose`'s own, derived from SECRET_KEY (and each fallback, to open older links)."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    derived = (salted_hmac(purpose, "link-key", secret=key, algorithm="sha256").digest() for key in keys)
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived])


def _as_sealed(token: str) -> bytes:
    """The Fernet token that `seal` wrote as `token` (without its padding); ValueError for any other spelling.

    Base64 has several spellings of the same bytes (the last letter's unused bits, letters it skips):
    a link changed in any way is refused, even when the change means nothing.
    """
    sealed = base64.urlsafe_b64encode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    if sealed.decode().rstrip("=") != token:
        raise ValueError("Not a token as sealed.")
    return sealed


def _unsign(token: str, *, purpose: str, max_age: int, expired: str):
    """A link from before links were sealed: Django's signing, salted with the purpose. Remove a year after
    sealed links shipped (SUBSCRIPTIONS_LINK_MAX_AGE, the longest life of any link): none will open then."""
    try:
        return signing.loads(token, salt=purpose, max_age=max_age)
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
