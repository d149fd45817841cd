"""The local rules WordPress users know, as plain functions of a comment and the settings.

Two kinds:
- refusals (`refusal`): the comment is not stored and the reader is told why - a duplicate,
  or posting too quickly (flood);
- verdicts (`verdict`): what the rules would do with a stored comment - trash it, hold it,
  or approve it. Like WordPress, the rules run in this order: disallowed words (trash), hold
  everything (option), moderation words, too many links, then auto-approve an author who
  already has an approved comment. A verdict is final only once Akismet has said "not spam".

All thresholds come from settings (see config/settings/base.py, COMMENTS_*). A sender's email is
compared by its key (addresses.email_key), so `X@Mail.Example` is `x@mail.example`, and the same
spelled with a dotless i is someone else.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from groundwork.email_addresses import email_key

from .models import Comment, Reason, Status

# A written link counts once, whatever its text; a bare address is a link too. No part of the
# pattern can run past the next tag, so a long body of unclosed "<a " stays linear.
LINK_PATTERN = re.compile(r"<a\s[^<>]*>(?:(?!<a\s|</a>).)*</a>|https?://", re.IGNORECASE | re.DOTALL)

DUPLICATE_MESSAGE = "Duplicate comment detected; it looks as though you’ve already said that!"  # noqa: RUF001 (WordPress's words)
FLOOD_MESSAGE = "You are posting comments too quickly. Slow down."


def refusal(comment: Comment) -> str | None:
    """The message refusing this not-yet-stored comment, or None if it may be stored.

    It reads what is stored, so the caller holds `sender_locks(comment)` until the comment is
    saved: two requests from one sender must not both pass before either is stored.
    """
    same_author = Q(author_email_key=email_key(comment.author_email)) if comment.author_email else Q(pk__in=[])
    if comment.user_id:
        same_author |= Q(user_id=comment.user_id)
    earlier = Comment.objects.exclude(status=Status.TRASH)
    if earlier.filter(same_author, post_id=comment.post_id, body=comment.body).exists():
        return DUPLICATE_MESSAGE
    if settings.COMMENTS_FLOOD_SECONDS <= 0:
        return None  # the flood rule is off
    recent = Comment.objects.filter(created_at__gte=timezone.now() - timedelta(seconds=settings.COMMENTS_FLOOD_SECONDS))
    same_sender = same_author | Q(ip_address=comment.ip_address) if comment.ip_address else same_author
    if recent.filter(same_sender).exists():
        return FLOOD_MESSAGE
    return None


def sender_locks(comment: Comment) -> list[str]:
    """Lock names for everything `refusal` knows a sender by: email, account and address."""
    names = [f"comments.sender.email:{email_key(comment.author_email)}"] if comment.author_email else []
    if comment.user_id:
        names.append(f"comments.sender.user:{comment.user_id}")
    if comment.ip_address:
        names.append(f"comments.sender.ip:{comment.ip_address}")
    return names


def _contains_any(text: str, words) -> bool:
    lowered = text.lower()
    return any(word.strip() and word.strip().lower() in lowered for word in words)


def _searchable_text(comment: Comment) -> str:
    """Every field WordPress searches for moderation and disallowed words."""
    return "\n".join(
        [comment.author_name, comment.author_email, comment.author_url, comment.body, comment.ip_address or "",
         comment.user_agent]
    )  # fmt: skip


def has_known_author(comment: Comment) -> bool:
    """True when the same person (account, or name and email) has an approved comment.

    An account without an email is known by the account alone. Each question is one query that an index answers
    (the account's; the email key's and status), however many comments are approved.
    """
    approved = Comment.objects.approved()
    if comment.user_id and approved.filter(user_id=comment.user_id).exists():
        return True
    if not comment.author_email:
        return False
    return approved.filter(author_email_key=email_key(comment.author_email), author_name=comment.author_name).exists()


def verdict(comment: Comment) -> tuple[Status, Reason]:
    """What the local rules do with a stored comment, and why."""
    text = _searchable_text(comment)
    if _contains_any(text, settings.COMMENTS_DISALLOWED_WORDS):
        return Status.TRASH, Reason.DISALLOWED_WORDS
    if settings.COMMENTS_HOLD_ALL:
        return Status.PENDING, Reason.HOLD_ALL
    if _contains_any(text, settings.COMMENTS_MODERATION_WORDS):
        return Status.PENDING, Reason.MODERATION_WORDS
    if settings.COMMENTS_MAX_LINKS and len(LINK_PATTERN.findall(comment.body)) >= settings.COMMENTS_MAX_LINKS:
        return Status.PENDING, Reason.TOO_MANY_LINKS
    if not settings.COMMENTS_REQUIRE_KNOWN_AUTHOR:
        return Status.APPROVED, Reason.RULES_PASSED
    if has_known_author(comment):
        return Status.APPROVED, Reason.KNOWN_AUTHOR
    return Status.PENDING, Reason.FIRST_COMMENT


def comments_closed(post) -> bool:
    """Closed by the author, or older than the configured number of days (off by default)."""
    if not post.comments_open:
        return True
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    return bool(days) and post.published_at < timezone.now() - timedelta(days=days)
