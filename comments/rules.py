"""The local rules WordPress users know, and the trust rules beyond them: plain functions of a comment and settings.

Two kinds:
- refusals (`refusal`): the comment is not stored and the reader is told why, politely - an email
  at a refused domain (COMMENTS_REFUSED_DOMAINS), a duplicate, or posting too quickly (flood);
- verdicts (`verdict`): what the rules would do with a stored comment - trash it, hold it,
  or approve it. A verdict is final only once Akismet has said "not spam".

This is the one place that says their order; the first rule that applies decides, with its reason:
1. a disallowed word (COMMENTS_DISALLOWED_WORDS) -> trash. It goes before everything, the refused
   domains included: a comment that would be trashed is stored in the Trash, never answered with why;
2. an email at a refused domain -> refused (refusal, above: not stored);
3. an email at a held domain (COMMENTS_HELD_DOMAINS) -> held, "Email domain held for moderation";
4. hold everything (COMMENTS_HOLD_ALL) -> held;
5. an author whose comments are often rejected (COMMENTS_REJECTION_RATE) -> held;
6. a trusted author (a moderator's `TrustedCommenter` mark, or COMMENTS_TRUSTED_AFTER approved comments)
   -> approved, "Trusted commenter": the word and link holds below are skipped, and so is the
   approved-comment count (trust counts as known);
7. a moderation word (COMMENTS_MODERATION_WORDS), then too many links (COMMENTS_MAX_LINKS) -> held;
8. fewer approved comments than COMMENTS_APPROVED_TO_SKIP_HOLD (WordPress's rule is 1) -> held,
   "no approved comment yet" or "too few approved comments"; otherwise approved as a known author.
   With COMMENTS_REQUIRE_KNOWN_AUTHOR off, or the count 0, what passes is approved.

Who an author is, in two strengths:
- for approvals (the count of rule 8 and automatic trust), the same person as WordPress reads it:
  the account, or the same name and email - borrowing someone's address alone does not borrow
  their standing;
- for rejections (rule 5) and an author's standing (`author_standing`, the queue's author panel),
  the account or the email alone - a new name does not wash away what was rejected.
Rejections are the author's comments written in the last COMMENTS_REJECTION_DAYS days that are now in
spam or the Trash (put there by a moderator, Akismet or a rule), against those decided (approved, spam
or Trash); the rate counts once COMMENTS_REJECTION_MIN are decided, so one rejected comment is not
100 %. Spam is deleted after COMMENTS_SPAM_RETENTION_DAYS (15): a longer window sees less of it.
Each question is one query an index answers (the account's; the email key's and status).

A domain listed in COMMENTS_HELD_DOMAINS or COMMENTS_REFUSED_DOMAINS matches itself and its
subdomains, and is read as an email's domain is (addresses.email_key: IDNA, ASCII case, a final dot
dropped), so `Example.COM.` is `example.com` and `mail.example.com` is under it.

All thresholds come from settings (see config/settings/base.py, COMMENTS_*). A sender's email is
compared by its key (addresses.email_key), so `X@Mail.Example` is `x@mail.example`, and the same
spelled with a dotless i is someone else.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from groundwork.email_addresses import email_key

from .models import Comment, Reason, Status, TrustedCommenter

# A written link counts once, whatever its text; a bare address is a link too. No part of the
# pattern can run past the next tag, so a long body of unclosed "<a " stays linear.
LINK_PATTERN = re.compile(r"<a\s[^<>]*>(?:(?!<a\s|</a>).)*</a>|https?://", re.IGNORECASE | re.DOTALL)

DUPLICATE_MESSAGE = "Duplicate comment detected; it looks as though you’ve already said that!"  # noqa: RUF001 (WordPress's words)
FLOOD_MESSAGE = "You are posting comments too quickly. Slow down."
REFUSED_DOMAIN_MESSAGE = "Sorry, this site does not accept comments from email addresses at {domain}."


def refusal(comment: Comment) -> str | None:
    """The message refusing this not-yet-stored comment, or None if it may be stored.

    It reads what is stored, so the caller holds `sender_locks(comment)` until the comment is
    saved: two requests from one sender must not both pass before either is stored.
    """
    refused = listed_domain(comment.author_email, settings.COMMENTS_REFUSED_DOMAINS)
    if refused and not _disallowed(comment):
        return REFUSED_DOMAIN_MESSAGE.format(domain=refused)
    same_author = _same_author(comment)
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


def _disallowed(comment: Comment) -> bool:
    return _contains_any(_searchable_text(comment), settings.COMMENTS_DISALLOWED_WORDS)


# Who an author is (the module's docstring says why two ways).


def _same_author(comment: Comment) -> Q:
    """The comments written with this comment's account or its email (any spelling of it)."""
    same = Q(author_email_key=email_key(comment.author_email)) if comment.author_email else Q(pk__in=[])
    return same | Q(user_id=comment.user_id) if comment.user_id else same


def approved_count(comment: Comment, up_to: int) -> int:
    """How many approved comments the same person has (account, or name and email together, as WordPress reads
    a known author), counted only as far as `up_to` (what a rule asks). One query per way of knowing them, each
    answered by an index (the account's; the email key's and status)."""
    if up_to <= 0:
        return 0
    approved = Comment.objects.approved().order_by()
    ways = [Q(user_id=comment.user_id)] if comment.user_id else []
    if comment.author_email:
        ways.append(Q(author_email_key=email_key(comment.author_email), author_name=comment.author_name))
    found = set()
    for way in ways:
        if len(found) >= up_to:
            break
        found.update(approved.filter(way).values_list("pk", flat=True)[:up_to])
    return min(len(found), up_to)


def has_known_author(comment: Comment) -> bool:
    """True when the same person (account, or name and email) has an approved comment.

    An account without an email is known by the account alone. Each question is one query that an index answers
    (the account's; the email key's and status), however many comments are approved.
    """
    return approved_count(comment, 1) == 1


# Domains, read as an email's domain is read (the module's docstring).


def domain_key(domain: str) -> str:
    """A domain as `email_key` reads an address's: IDNA's ASCII form, ASCII lower case, no dot at either end."""
    return email_key("@" + domain.strip().lstrip("@").strip(".")).rpartition("@")[2].strip(".")


def listed_domain(address: str, domains) -> str | None:
    """The entry of `domains` that `address`'s domain is, or is a subdomain of (as `domain_key` reads both)."""
    if "@" not in address:
        return None
    domain = domain_key(address.rpartition("@")[2])
    for listed in filter(None, map(domain_key, domains)):
        if domain == listed or domain.endswith("." + listed):
            return listed
    return None


# Rejections and trust.

REJECTED = (Status.SPAM, Status.TRASH)


def _decisions(comment: Comment, *, since=None) -> dict:
    """The author's comments (account or email) by status, written since `since` if given: one query."""
    comments = Comment.objects.filter(_same_author(comment))
    if since is not None:
        comments = comments.filter(created_at__gte=since)
    return comments.aggregate(
        approved=Count("pk", filter=Q(status=Status.APPROVED)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        rejected=Count("pk", filter=Q(status__in=REJECTED)),
    )


def often_rejected(comment: Comment) -> bool:
    """More than COMMENTS_REJECTION_RATE % of the author's decided comments of the last days were rejected."""
    rate = settings.COMMENTS_REJECTION_RATE
    if rate <= 0:
        return False
    counts = _decisions(comment, since=timezone.now() - timedelta(days=settings.COMMENTS_REJECTION_DAYS))
    decided = counts["approved"] + counts["rejected"]
    return decided >= max(1, settings.COMMENTS_REJECTION_MIN) and counts["rejected"] * 100 > rate * decided


def trust_mark(comment: Comment) -> TrustedCommenter | None:
    """A moderator's mark trusting the author of `comment` (by account or email), if any."""
    marks = TrustedCommenter.objects.of_author(user_id=comment.user_id, email=comment.author_email).order_by()
    return next(iter(marks[:1]), None)


def is_trusted(comment: Comment, approved: int | None = None) -> bool:
    """Marked trusted by a moderator, or with COMMENTS_TRUSTED_AFTER approved comments (`approved`: counted already)."""
    return trust_mark(comment) is not None or _trusted_automatically(comment, approved)


def _trusted_automatically(comment: Comment, approved: int | None = None) -> bool:
    needed = settings.COMMENTS_TRUSTED_AFTER
    if needed <= 0:
        return False
    return (approved if approved is not None else approved_count(comment, needed)) >= needed


@dataclass(frozen=True)
class Standing:
    """What the site knows of a comment's author (account or email), for a moderator deciding on it."""

    approved: int
    pending: int
    rejected: int
    trusted: bool
    trust_mark: TrustedCommenter | None


def author_standing(comment: Comment) -> Standing:
    """The author's comments by status (all of them, this one included, by account or email; none once erased), and
    whether the rules trust them: for the queue's author panel."""
    mark = trust_mark(comment)
    return Standing(**_decisions(comment), trusted=mark is not None or _trusted_automatically(comment), trust_mark=mark)


def verdict(comment: Comment) -> tuple[Status, Reason]:
    """What the local rules do with a stored comment, and why: the first rule that applies, in the docstring's order."""
    if _disallowed(comment):
        return Status.TRASH, Reason.DISALLOWED_WORDS
    if listed_domain(comment.author_email, settings.COMMENTS_HELD_DOMAINS):
        return Status.PENDING, Reason.HELD_DOMAIN
    if settings.COMMENTS_HOLD_ALL:
        return Status.PENDING, Reason.HOLD_ALL
    if often_rejected(comment):
        return Status.PENDING, Reason.REJECTION_RATE
    needed = settings.COMMENTS_APPROVED_TO_SKIP_HOLD if settings.COMMENTS_REQUIRE_KNOWN_AUTHOR else 0
    approved = approved_count(comment, max(needed, settings.COMMENTS_TRUSTED_AFTER))
    if is_trusted(comment, approved):
        return Status.APPROVED, Reason.TRUSTED
    if _contains_any(_searchable_text(comment), settings.COMMENTS_MODERATION_WORDS):
        return Status.PENDING, Reason.MODERATION_WORDS
    if settings.COMMENTS_MAX_LINKS and len(LINK_PATTERN.findall(comment.body)) >= settings.COMMENTS_MAX_LINKS:
        return Status.PENDING, Reason.TOO_MANY_LINKS
    if needed <= 0:
        return Status.APPROVED, Reason.RULES_PASSED
    if approved >= needed:
        return Status.APPROVED, Reason.KNOWN_AUTHOR
    return Status.PENDING, Reason.FIRST_COMMENT if approved == 0 else Reason.TOO_FEW_APPROVED


def comments_closed(post) -> bool:
    """Closed by the author, or older than the configured number of days (off by default)."""
    if not post.comments_open:
        return True
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    return bool(days) and post.published_at < timezone.now() - timedelta(days=days)
