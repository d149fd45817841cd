"""What happens to a submitted comment, in order.

1. The form has validated the input (forms.py): required fields and sizes, email and
   website, the post accepts comments, the parent is an approved comment on this post
   and not too deep, the captcha for guests, and the signed form timestamp.
2. Refuse a banned author (bans.refusal: an in-force ban on their account, email, email's domain
   or network), then a duplicate, a flood or an email at a refused domain (rules.refusal): nothing is
   stored, the reader is told why (a ban's reason, and when a suspension ends). The checks and the
   insert happen under a lock on the sender (email, account, address), so the same form sent twice
   at once, or a burst from one reader, is judged one at a time.
3. Store the comment, status pending, reason "waiting for the spam check", with what Akismet
   needs (IP, user agent, referrer, times), and its first history row.
4. Run the local rules (rules.verdict) and remember their verdict on the comment. A filled-in
   honeypot makes it spam at once; a form sent back implausibly fast is held.
5. Queue the spam check in the same transaction as the comment: the queue is a database
   table, so the comment and its check are stored together or not at all. If the reader ticked
   "Notify me of new comments / posts", say so (signals.follow_requested) in that transaction:
   the subscriptions app records it and asks the address to confirm. A receiver that fails loses
   only what it was asked (logged), never the comment.
6. The check (check_for_spam, a task run by the worker): Akismet says spam or discard -> spam;
   not spam -> the rules' verdict; no answer -> held as "Akismet unreachable" and asked again
   with growing delays until it answers (and the first answer after an outage has every waiting
   comment asked at once); no key configured -> held for a moderator; its author erased their
   data meanwhile (erasure.py) -> not sent to Akismet at all, held for a moderator; the comment
   deleted meanwhile, before or while Akismet is asked -> nothing to check.
7. A comment left waiting for a person (held by a rule, no key, or Akismet unreachable the
   first time) is announced to the moderators, once: one held comment, one email.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from groundwork import locking
from groundwork.proxies import client_ip

from . import akismet, bans, notifications, rules, signals
from .models import Actor, Comment, Reason, Status
from .moderation import change_status, record_received

logger = logging.getLogger(__name__)


@dataclass
class CommentRefused(Exception):
    message: str
    final: bool = False  # sending it again cannot help (a ban), unlike a duplicate or a flood


@dataclass
class Submission:
    """Where a comment came from, as Akismet wants to know it."""

    ip_address: str | None
    user_agent: str
    referrer: str

    @classmethod
    def from_request(cls, request):
        meta = request.META
        return cls(
            ip_address=client_ip(meta),
            user_agent=meta.get("HTTP_USER_AGENT", "")[:500],
            referrer=meta.get("HTTP_REFERER", "")[:500],
        )


def submit_comment(*, post, form, submission: Submission) -> Comment:
    """Store a validated comment and queue its spam check; raise CommentRefused if it may not be stored."""
    comment = form.build_comment(post=post)
    comment.ip_address = submission.ip_address
    comment.user_agent = submission.user_agent
    comment.referrer = submission.referrer

    with transaction.atomic():
        locking.hold(*rules.sender_locks(comment))  # Until saved: a second request waits, then sees this one.
        message = bans.refusal(comment)
        if message:
            raise CommentRefused(message, final=True)
        message = rules.refusal(comment)
        if message:
            raise CommentRefused(message)

        comment.rule_status, comment.rule_reason = rules.verdict(comment)
        if form.sent_too_fast and comment.rule_status != Status.TRASH:
            comment.rule_status, comment.rule_reason = Status.PENDING, Reason.TOO_FAST
        comment.save()
        record_received(comment)
        if comment.honeypot_value:
            change_status(comment, Status.SPAM, actor=Actor.RULE, reason=Reason.HONEYPOT)
        else:
            check_for_spam.enqueue(comment.pk)
            new_comments, new_posts = form.follow_choices()
            if new_comments or new_posts:
                _ask_to_follow(comment, new_comments, new_posts)
    return comment


def _ask_to_follow(comment, new_comments: bool, new_posts: bool) -> None:
    """Say the reader asked to follow; a receiver that fails takes back only its own work, never the comment."""
    try:
        with transaction.atomic():  # a savepoint: what a failing receiver wrote goes, the comment stays
            signals.follow_requested.send(
                sender=Comment, comment=comment, new_comments=new_comments, new_posts=new_posts
            )
    except Exception:  # whatever a receiver raises: following is an extra, the comment is what the reader sent
        logger.exception("Comment %s was kept, but what its author asked to follow could not be recorded.", comment.pk)


AKISMET_VERDICT_REASONS = {akismet.Verdict.SPAM: Reason.AKISMET_SPAM, akismet.Verdict.DISCARD: Reason.AKISMET_DISCARD}


WAITING_FOR_CHECK = (Reason.SPAM_CHECK, Reason.AKISMET_UNREACHABLE)
NOTHING_TO_CHECK = "nothing to check: the comment was deleted"


def _locked_if_waiting(comment_id: int) -> tuple[Comment | None, str]:
    """(The comment, locked to the end of the transaction, "") while it waits for its check; else (None, why not)."""
    comment = (
        Comment.objects.select_for_update(of=("self",)).select_related("post", "user").filter(pk=comment_id).first()
    )
    if comment is None:
        return None, NOTHING_TO_CHECK  # deleted at its author's request (erasure.py), or by a moderator
    if comment.status != Status.PENDING or comment.reason not in WAITING_FOR_CHECK:
        return None, "already decided"
    return comment, ""


@task
def check_for_spam(comment_id: int) -> str:
    """Ask Akismet about a held comment and apply the answer, in the task worker; returns what happened.

    Akismet is asked with no lock held, and its answer applied to the comment as it is then: one
    deleted in the meantime leaves nothing to check, one a moderator decided stays as decided.
    """
    with transaction.atomic():
        comment, nothing_to_do = _locked_if_waiting(comment_id)
        if nothing_to_do:
            return nothing_to_do
        if not akismet.is_configured():
            change_status(comment, Status.PENDING, actor=Actor.SYSTEM, reason=Reason.NO_AKISMET_KEY)
            notifications.comment_held(comment)
            return "held: no Akismet key"
        if comment.data_erased_at is not None:
            change_status(comment, Status.PENDING, actor=Actor.SYSTEM, reason=Reason.DATA_ERASED)
            if not comment.akismet_attempts:  # a failed first attempt has announced it already
                notifications.comment_held(comment)
            return "held: its author erased their data, so it is not sent to Akismet"

    verdict = akismet.check(comment)
    with transaction.atomic():
        comment, nothing_to_do = _locked_if_waiting(comment_id)
        if nothing_to_do:
            return nothing_to_do
        return _apply_verdict(comment, verdict)


def _apply_verdict(comment: Comment, verdict: akismet.Verdict) -> str:
    if verdict == akismet.Verdict.UNKNOWN:
        akismet.note_unreachable()
        comment.akismet_attempts += 1
        delay = akismet.backoff().delay(comment.akismet_attempts)
        note = f"Attempt {comment.akismet_attempts} failed; asking again in {delay}."
        change_status(comment, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_UNREACHABLE, note=note)
        check_for_spam.using(run_after=timezone.now() + delay).enqueue(comment.pk)
        if comment.akismet_attempts == 1:
            notifications.comment_held(comment)
        return "held: Akismet unreachable"
    akismet.note_reachable()  # if it answers again, every check and report waiting out a back-off goes now
    if verdict in AKISMET_VERDICT_REASONS:
        change_status(comment, Status.SPAM, actor=Actor.AKISMET, reason=AKISMET_VERDICT_REASONS[verdict])
        return f"spam ({verdict})"
    change_status(comment, comment.rule_status, actor=Actor.RULE, reason=comment.rule_reason, note="Akismet: not spam")
    if comment.status == Status.PENDING and not comment.akismet_attempts:
        notifications.comment_held(comment)  # A failed first attempt has announced it already.
    return comment.rule_status


def queue_forgotten_checks(older_than: timedelta = timedelta(minutes=1)) -> int:
    """Comments waiting for their spam check that no queued task will check (its task was lost): queue one each.

    The worker's housekeeping calls this (ops/worker.py); `older_than` leaves alone what is being stored now.
    """
    waiting = Comment.objects.pending().filter(reason__in=WAITING_FOR_CHECK, updated_at__lt=timezone.now() - older_than)
    if not waiting.exists():  # the usual case: no need to read every queued check's arguments
        return 0
    queued = DBTaskResult.objects.filter(
        task_path=check_for_spam.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    being_checked = {args_kwargs["args"][0] for args_kwargs in queued.values_list("args_kwargs", flat=True)}
    forgotten = list(waiting.exclude(pk__in=being_checked).values_list("pk", flat=True))
    for comment_id in forgotten:
        check_for_spam.enqueue(comment_id)
    return len(forgotten)
