"""Every change of a comment's status after it is stored, and its history.

`change_status` is the single function that moves a comment from one status to another; it
checks the move is allowed, saves, and writes a `CommentEvent` saying who or what (a rule,
Akismet, a moderator) made it and why. The pipeline, the spam check, admin actions and the
signed moderation links all come through here.

Moderators act through `moderate` (the admin's actions and buttons) and `act_on_link` (the
signed links in emails, links.py).

What follows a change, queued in the same transaction (the task queue is a database table):
- a moderator who moves a comment into spam, or out of it, corrects Akismet: submit-spam or
  submit-ham is sent by a task, retried until Akismet answers;
- a comment that becomes approved may be announced to the post's author, and is announced to
  whoever listens to `signals.comment_published` (the subscriptions app: followers, the commenter);
- a moderator's decision on a reported comment is sent to whoever sent a notice about it, and a comment
  a moderator moves to the Trash gets its author a statement of reasons (decisions.decided).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from blog.models import Post
from groundwork.email_addresses import email_key
from groundwork.links import LinkRefused

from . import akismet, caching, decisions, links, notifications, rules, signals
from .models import Actor, Comment, CommentEvent, Kind, Reason, Status, TrustedCommenter, comments_changed

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
    comment.save(update_fields=["status", "reason", "akismet_attempts", "akismet_guid", "updated_at"], touch_post=False)
    event = CommentEvent.objects.record(comment, actor=actor, from_status=from_status, moderator=moderator, note=note)
    if actor == Actor.MODERATOR and (from_status == Status.SPAM) != (to == Status.SPAM):
        akismet.report_to_akismet.enqueue(comment.pk, to == Status.SPAM)
    if (from_status == Status.APPROVED) != (to == Status.APPROVED):
        caching.purge_comment(comment)  # it appears on its article, or leaves it
    if to == Status.APPROVED and from_status != Status.APPROVED:
        notifications.comment_approved(comment)
        signals.comment_published.send(sender=Comment, comment=comment, event=event)
    if actor == Actor.MODERATOR:
        decisions.decided(comment, event)
    # Last: the post's row stays locked from here to the commit only, not while the rest is done, since
    # every comment of a busy post being approved at once waits for it.
    comment.touched_post()
    return event


def record_received(comment: Comment) -> CommentEvent:
    """The first history row: the comment arrived and waits for its checks."""
    return CommentEvent.objects.record(comment, actor=Actor.AUTHOR, from_status="")


# What a moderator does: the admin's actions and one-click buttons, and the signed links in
# emails, all call `moderate`, which calls `change_status` with the moderator's name on it.


@dataclass(frozen=True)
class ModeratorAction:
    """One of a moderator's buttons: the statuses it applies to and the status it gives.

    `to` is None for "Not spam" and "Restore": they put the comment back where it was before
    it went to spam or the trash, pending or approved, as WordPress does.
    """

    name: str
    label: str
    done: str
    applies_to: frozenset
    to: Status | None

    def applies(self, comment: Comment) -> bool:
        return comment.status in self.applies_to


MODERATOR_ACTIONS = {
    action.name: action
    for action in (
        ModeratorAction("approve", "Approve", "approved", frozenset({Status.PENDING, Status.SPAM}), Status.APPROVED),
        ModeratorAction("unapprove", "Unapprove", "unapproved", frozenset({Status.APPROVED}), Status.PENDING),
        ModeratorAction(
            "spam", "Spam", "marked as spam", frozenset({Status.PENDING, Status.APPROVED, Status.TRASH}), Status.SPAM
        ),
        ModeratorAction("not_spam", "Not spam", "marked as not spam", frozenset({Status.SPAM}), None),
        ModeratorAction(
            "trash", "Trash", "moved to the Trash", frozenset({Status.PENDING, Status.APPROVED}), Status.TRASH
        ),
        ModeratorAction("restore", "Restore", "restored", frozenset({Status.TRASH}), None),
    )
}

# Deleting is for good and takes the history with it, so only what was thrown away can go.
DELETABLE_STATUSES = frozenset({Status.SPAM, Status.TRASH})


def status_before(comment: Comment) -> Status:
    """Where a comment in spam or the trash was before it went there: pending or approved (pending if unknown)."""
    moves_here = comment.events.filter(to_status=comment.status).exclude(from_status=comment.status)
    arrival = moves_here.order_by("-at", "-pk").first()
    previous = arrival.from_status if arrival else ""
    return Status(previous) if previous in (Status.PENDING, Status.APPROVED) else Status.PENDING


def moderate(comment: Comment, action: str, *, moderator, note: str = "") -> CommentEvent:
    """Apply a moderator's action (a key of MODERATOR_ACTIONS); TransitionNotAllowed if it does not apply."""
    step = MODERATOR_ACTIONS[action]
    if not step.applies(comment):
        raise TransitionNotAllowed(f"{step.label} does not apply to a comment in {comment.get_status_display()}.")
    to = step.to or status_before(comment)
    return change_status(comment, to, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator, note=note)


def act_on_link(link: links.ModerationLink) -> CommentEvent:
    """Do what a signed link from a moderator's email says, once: the comment is locked and checked again first."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=link.comment.pk)
        if link.is_spent_for(comment):
            raise LinkRefused(links.used_message(comment), status=410, comment=comment)
        comment.post = link.comment.post
        try:
            event = moderate(comment, link.action, moderator=link.moderator, note=links.LINK_NOTE)
        except TransitionNotAllowed as error:
            raise LinkRefused(str(error), status=409, comment=comment) from None
    link.comment = comment
    return event


def moderate_each(comments, action: str, *, moderator) -> tuple[int, int]:
    """Apply `action` to every comment it applies to; returns (changed, left alone)."""
    changed = skipped = 0
    for comment in comments:
        try:
            moderate(comment, action, moderator=moderator)
        except TransitionNotAllowed:
            skipped += 1
        else:
            changed += 1
    return changed, skipped


REVIEWED_NOTE = "Reviewed: left as it is."


@transaction.atomic
def mark_reviewed(comments, *, moderator) -> int:
    """Note in each comment's history that a moderator read it and left it as it is, so it leaves the
    "not reviewed yet" view (Comment.objects.not_reviewed); returns how many were noted."""
    noted = 0
    for comment in comments:
        CommentEvent.objects.record(comment, actor=Actor.MODERATOR, moderator=moderator, note=REVIEWED_NOTE)
        noted += 1
    return noted


EDITABLE_FIELDS = ("author_name", "author_email", "author_url", "body")


@transaction.atomic
def edit(comment: Comment, *, moderator, fields) -> CommentEvent | None:
    """Save a moderator's corrections to the text or the author's details, and note them in the history.

    Only the edited fields are written, so a status set meanwhile (by the spam check, say) stays.
    """
    edited = [name for name in EDITABLE_FIELDS if name in fields]
    if not edited:
        return None
    if "body" in edited:
        comment.render_body()
    comment.save(update_fields=[*edited, *(["body_html"] if "body" in edited else []), "updated_at"])
    comment.refresh_from_db(fields=["status", "reason"])
    if comment.status == Status.APPROVED:
        caching.purge_comment(comment)
    names = ", ".join(str(Comment._meta.get_field(name).verbose_name) for name in edited)
    return CommentEvent.objects.record(comment, actor=Actor.MODERATOR, moderator=moderator, note=f"Edited: {names}.")


class ReplyNotAllowed(Exception):
    pass


@transaction.atomic
def reply(parent: Comment, *, moderator, body: str) -> Comment:
    """Publish a moderator's reply to `parent`, approving a pending `parent` first (WordPress's "Approve and Reply")."""
    if parent.status not in (Status.PENDING, Status.APPROVED):
        raise ReplyNotAllowed("Only a pending or approved comment can be answered.")
    if parent.depth >= settings.COMMENTS_MAX_DEPTH:
        raise ReplyNotAllowed(f"Replies can't be nested more than {settings.COMMENTS_MAX_DEPTH} deep.")
    if not body.strip():
        raise ReplyNotAllowed("The reply is empty.")
    if parent.status == Status.PENDING:
        moderate(parent, "approve", moderator=moderator, note="Approved to reply to it.")
    answer = Comment.build(
        post=parent.post,
        parent=parent,
        body=body,
        user=moderator,
        author_name=moderator.get_full_name() or moderator.get_username(),
        author_email=moderator.email,
        status=Status.PENDING,
        reason=Reason.MODERATOR,
        rule_status=Status.APPROVED,
        rule_reason=Reason.MODERATOR,
    )
    answer.save()
    record_received(answer)
    moderate(answer, "approve", moderator=moderator, note="Written in the admin.")
    return answer


# Trust (issue 22): a moderator marks a comment's author trusted, or stops trusting them (rules.py says what trust
# skips). The mark is kept on `TrustedCommenter`; the comment it was done from gets a note in its history.

TRUSTED_NOTE = "Its author was marked trusted: their comments skip the link and word holds."
UNTRUSTED_NOTE = "Its author is no longer trusted by a moderator."


@transaction.atomic
def trust_author(comment: Comment, *, moderator, note: str = "") -> TrustedCommenter | None:
    """Trust whoever wrote `comment` (their account if they wrote with one, else their email); None if they already
    were, or nobody is left to trust (their data was erased)."""
    if rules.trust_mark(comment) is not None:
        return None
    if comment.user_id:
        who = {"user_id": comment.user_id}
    elif comment.author_email:
        who = {"email_key": email_key(comment.author_email)}
    else:
        return None
    mark, made = TrustedCommenter.objects.get_or_create(**who, defaults={"marked_by": moderator, "note": note})
    if made:
        CommentEvent.objects.record(comment, actor=Actor.MODERATOR, moderator=moderator, note=TRUSTED_NOTE)
    return mark if made else None


@transaction.atomic
def stop_trusting(comment: Comment, *, moderator) -> int:
    """Remove every moderator's mark trusting the author of `comment` (by account or email); how many went."""
    removed, _ = TrustedCommenter.objects.of_author(user_id=comment.user_id, email=comment.author_email).delete()
    if removed:
        CommentEvent.objects.record(comment, actor=Actor.MODERATOR, moderator=moderator, note=UNTRUSTED_NOTE)
    return removed


# Pinning: a moderator puts a few published top-level comments first on page 1 of their thread (models.Comment.pinned).


class PinNotAllowed(Exception):
    pass


@transaction.atomic
def pin(comment: Comment, *, moderator) -> CommentEvent:
    """Pin `comment` first on page 1 of its thread: only a published top-level one, COMMENTS_MAX_PINNED a post."""
    comment = Comment.objects.select_for_update(of=("self",)).select_related("post").get(pk=comment.pk)
    if comment.depth != 1 or comment.status != Status.APPROVED or comment.kind == Kind.NOTE:
        raise PinNotAllowed("Only a published top-level comment can be pinned.")
    if comment.is_pinned:
        raise PinNotAllowed("The comment is pinned already.")
    Post.objects.select_for_update().filter(pk=comment.post_id).first()  # two moderators pinning at once: in turn
    if Comment.objects.for_post(comment.post_id).pinned().count() >= settings.COMMENTS_MAX_PINNED:
        raise PinNotAllowed(f"A post has at most {settings.COMMENTS_MAX_PINNED} pinned comments: unpin one first.")
    return _set_pinned(comment, timezone.now(), moderator=moderator, note="Pinned first on page 1 of the thread.")


@transaction.atomic
def unpin(comment: Comment, *, moderator) -> CommentEvent:
    """Put a pinned comment back in its place in the thread."""
    comment = Comment.objects.select_for_update(of=("self",)).select_related("post").get(pk=comment.pk)
    if comment.pinned_at is None:
        raise PinNotAllowed("The comment is not pinned.")
    return _set_pinned(comment, None, moderator=moderator, note="Unpinned: back in its place in the thread.")


def _set_pinned(comment: Comment, pinned_at, *, moderator, note: str) -> CommentEvent:
    comment.pinned_at = pinned_at
    comment.save(update_fields=["pinned_at", "updated_at"], touch_post=False)
    comments_changed(comment.post_id)
    caching.purge_comment(comment)  # every page: page 1 gains or loses it, the others' threads move
    return CommentEvent.objects.record(comment, actor=Actor.MODERATOR, moderator=moderator, note=note)
