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
   the subscriptions app records it and asks the address to confirm (`comment.confirmation_emailed`
   says whether it did, for the page after posting). A receiver that fails loses only what it was
   asked (logged), never the comment.
6. The check (check_for_spam, a task run by the worker): Akismet says spam or discard -> spam;
   not spam -> the rules' verdict; not spam "for now" (X-akismet-recheck-after: it is still
   checking links or images) -> held as provisional, no email yet, asked again after that delay,
   decided earlier by Akismet's webhook if it calls (decide_from_webhook), and by the rules at
   twice the delay if nothing decides (settle_provisional); no answer -> held as "Akismet
   unreachable" and asked again with growing delays until it answers (and the first answer after an
   outage has every waiting comment asked at once); the key invalid -> held for a person, not asked
   again until the key changes; no key configured -> held for a moderator; its author erased their
   data meanwhile (erasure.py) -> not sent to Akismet at all, held for a moderator; the comment
   deleted meanwhile, before or while Akismet is asked -> nothing to check. A check that is not the
   first says why (akismet.RecheckReason): a retry, a moderator's "Check the queue again"
   (check_the_queue_again), an edit of a comment Akismet has not settled (text_edited).
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
from .models import Actor, Comment, CommentEvent, Reason, Status
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
    """Store a validated comment and queue its spam check; raise CommentRefused if it may not be stored.

    The comment returned says whether its author was emailed a link to confirm following (`confirmation_emailed`).
    """
    comment = form.build_comment(post=post)
    comment.confirmation_emailed = False
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
                comment.confirmation_emailed = _ask_to_follow(comment, new_comments, new_posts)
    return comment


def _ask_to_follow(comment, new_comments: bool, new_posts: bool) -> bool:
    """Say the reader asked to follow; whether a confirmation email is on its way to them. A receiver that fails
    takes back only its own work, never the comment."""
    try:
        with transaction.atomic():  # a savepoint: what a failing receiver wrote goes, the comment stays
            answers = signals.follow_requested.send(
                sender=Comment, comment=comment, new_comments=new_comments, new_posts=new_posts
            )
    except Exception:  # whatever a receiver raises: following is an extra, the comment is what the reader sent
        logger.exception("Comment %s was kept, but what its author asked to follow could not be recorded.", comment.pk)
        return False
    return any(answer is True for _, answer in answers)


AKISMET_VERDICT_REASONS = {akismet.Verdict.SPAM: Reason.AKISMET_SPAM, akismet.Verdict.DISCARD: Reason.AKISMET_DISCARD}


WAITING_FOR_CHECK = (Reason.SPAM_CHECK, Reason.AKISMET_UNREACHABLE)
# Held until Akismet settles them: waiting for a check, or for the key to be fixed, or Akismet still checking.
UNSETTLED = (*WAITING_FOR_CHECK, Reason.AKISMET_KEY_INVALID, Reason.AKISMET_PROVISIONAL)
NOTHING_TO_CHECK = "nothing to check: the comment was deleted"


def _locked_if_waiting(comment_id: int, recheck_reason=None) -> tuple[Comment | None, str]:
    """(The comment, locked to the end of the transaction, "") while Akismet has it to settle; else (None, why not).

    A moderator's "Check the queue again" (RECHECK_QUEUE) asks about every held comment, whatever held it.
    """
    comment = (
        Comment.objects.select_for_update(of=("self",)).select_related("post", "user").filter(pk=comment_id).first()
    )
    if comment is None:
        return None, NOTHING_TO_CHECK  # deleted at its author's request (erasure.py), or by a moderator
    if comment.status != Status.PENDING:
        return None, "already decided"
    if comment.reason not in UNSETTLED and recheck_reason != akismet.RecheckReason.RECHECK_QUEUE:
        return None, "already decided"
    return comment, ""


@task
def check_for_spam(comment_id: int, recheck_reason: str = "") -> str:
    """Ask Akismet about a held comment and apply the answer, in the task worker; returns what happened.

    Akismet is asked with no lock held, and its answer applied to the comment as it is then: one
    deleted in the meantime leaves nothing to check, one a moderator decided stays as decided.
    `recheck_reason` (akismet.RecheckReason) says why this is not the comment's first check.
    """
    recheck_reason = akismet.RecheckReason(recheck_reason) if recheck_reason else None
    with transaction.atomic():
        comment, nothing_to_do = _locked_if_waiting(comment_id, recheck_reason)
        if nothing_to_do:
            return nothing_to_do
        if not akismet.is_configured():
            if comment.reason in WAITING_FOR_CHECK:
                change_status(comment, Status.PENDING, actor=Actor.SYSTEM, reason=Reason.NO_AKISMET_KEY)
                notifications.comment_held(comment)
            return "held: no Akismet key"
        if comment.data_erased_at is not None:
            if comment.reason in WAITING_FOR_CHECK:
                change_status(comment, Status.PENDING, actor=Actor.SYSTEM, reason=Reason.DATA_ERASED)
                if not comment.akismet_attempts:  # a failed first attempt has announced it already
                    notifications.comment_held(comment)
            return "held: its author erased their data, so it is not sent to Akismet"

    answer = akismet.check(comment, recheck_reason=recheck_reason)
    with transaction.atomic():
        comment, nothing_to_do = _locked_if_waiting(comment_id, recheck_reason)
        if nothing_to_do:
            return nothing_to_do
        return _apply_answer(comment, answer)


def _announced(comment: Comment) -> bool:
    """The moderators were told of this held comment already (its first check failed, or the key was invalid)."""
    return bool(comment.akismet_attempts) or comment.reason == Reason.AKISMET_KEY_INVALID


def _apply_answer(comment: Comment, answer: akismet.Answer) -> str:
    verdict = answer.verdict
    if answer.guid:
        comment.akismet_guid = answer.guid
    if comment.reason not in UNSETTLED:  # held by a rule or a person, asked again from the queue
        return _rechecked_from_the_queue(comment, verdict)
    if verdict == akismet.Verdict.INVALID_KEY:
        return _held_for_the_key(comment)
    if verdict == akismet.Verdict.UNKNOWN:
        if comment.reason == Reason.AKISMET_PROVISIONAL:  # it said "not spam" once; settle_provisional follows
            CommentEvent.objects.record(comment, actor=Actor.AKISMET, note="Asking again failed; still provisional.")
            return "provisional: Akismet unreachable"
        return _held_until_reachable(comment)
    akismet.note_reachable()  # if it answers again, every check and report waiting out a back-off goes now
    if verdict in AKISMET_VERDICT_REASONS:
        change_status(comment, Status.SPAM, actor=Actor.AKISMET, reason=AKISMET_VERDICT_REASONS[verdict])
        return f"spam ({verdict})"
    if answer.recheck_after is not None:
        return _provisional(comment, answer.recheck_after)
    return _follow_the_rules(comment, note="Akismet: not spam")


def _held_until_reachable(comment: Comment) -> str:
    akismet.note_unreachable()
    comment.akismet_attempts += 1
    delay = akismet.backoff().delay(comment.akismet_attempts)
    note = f"Attempt {comment.akismet_attempts} failed; asking again in {delay}."
    change_status(comment, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_UNREACHABLE, note=note)
    check_for_spam.using(run_after=timezone.now() + delay).enqueue(comment.pk, akismet.RecheckReason.RETRY)
    if comment.akismet_attempts == 1:
        notifications.comment_held(comment)
    return "held: Akismet unreachable"


def _held_for_the_key(comment: Comment) -> str:
    """Akismet says the key is invalid: no retry can help, so the comment waits for a person."""
    announced = _announced(comment)
    note = "Akismet says the key is invalid: held for a person; Akismet is not asked until the key changes."
    change_status(comment, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_KEY_INVALID, note=note)
    if not announced:
        notifications.comment_held(comment)
    return "held: the Akismet key is invalid"


def _provisional(comment: Comment, recheck_after: timedelta) -> str:
    """Akismet says "not spam" but is still checking (links, images): held, no email yet, asked again after
    `recheck_after`; its webhook may decide earlier, and if nothing does, the rules decide at twice the delay."""
    if comment.reason == Reason.AKISMET_PROVISIONAL:
        CommentEvent.objects.record(comment, actor=Actor.AKISMET, note="Akismet is still checking.")
        return "provisional: Akismet is still checking"
    note = f"Akismet: not spam for now, still checking; asked again in {recheck_after}."
    change_status(comment, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_PROVISIONAL, note=note)
    now = timezone.now()
    check_for_spam.using(run_after=now + recheck_after).enqueue(comment.pk, akismet.RecheckReason.RECHECK)
    settle_provisional.using(run_after=now + 2 * recheck_after).enqueue(comment.pk)
    return "provisional: not spam for now"


def _follow_the_rules(comment: Comment, *, note: str) -> str:
    """Akismet has no objection: the local rules' verdict applies, and a comment they hold is announced once."""
    announced = _announced(comment)
    change_status(comment, comment.rule_status, actor=Actor.RULE, reason=comment.rule_reason, note=note)
    if comment.status == Status.PENDING and not announced:
        notifications.comment_held(comment)
    return comment.rule_status


def _rechecked_from_the_queue(comment: Comment, verdict: akismet.Verdict) -> str:
    """A comment held by a rule or a person, asked about again: spam goes to Spam, anything else leaves it held."""
    if verdict in AKISMET_VERDICT_REASONS:
        change_status(comment, Status.SPAM, actor=Actor.AKISMET, reason=AKISMET_VERDICT_REASONS[verdict])
        return f"spam ({verdict})"
    said = {akismet.Verdict.HAM: "not spam", akismet.Verdict.INVALID_KEY: "the key is invalid"}
    note = f"Checked again from the queue: {said.get(verdict, 'Akismet could not be reached')}; left held."
    comment.save(update_fields=["akismet_guid"], touch_post=False)
    CommentEvent.objects.record(comment, actor=Actor.AKISMET, note=note)
    return "left held"


@task
def settle_provisional(comment_id: int) -> str:
    """Twice Akismet's recheck-after has passed and it never decided: the local rules do, as WordPress does."""
    with transaction.atomic():
        comment, nothing_to_do = _locked_if_waiting(comment_id)
        if nothing_to_do or comment.reason != Reason.AKISMET_PROVISIONAL:
            return nothing_to_do or "already decided"
        return _follow_the_rules(comment, note="Akismet did not decide in time; the site's rules do.")


def decide_from_webhook(guid: str, *, spam: bool) -> str:
    """Akismet's webhook gives its final answer about the check `guid`: applied to a comment it has not settled."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update(of=("self",)).filter(akismet_guid=guid).first()
        if comment is None or comment.status != Status.PENDING or comment.reason not in UNSETTLED:
            return "ignored"
        if spam:
            change_status(
                comment, Status.SPAM, actor=Actor.AKISMET, reason=Reason.AKISMET_SPAM, note="Akismet's webhook: spam"
            )
            return "spam"
        return _follow_the_rules(comment, note="Akismet's webhook: not spam")


def check_the_queue_again() -> int:
    """A moderator's "Check the queue again", as WordPress's "Check for Spam": every held comment is asked about
    again (RECHECK_QUEUE) but those already waiting for a check or with their author's data erased. Returns how many."""
    held = Comment.objects.pending().filter(data_erased_at__isnull=True).exclude(pk__in=_being_checked())
    comment_ids = list(held.values_list("pk", flat=True))
    for comment_id in comment_ids:
        check_for_spam.enqueue(comment_id, akismet.RecheckReason.RECHECK_QUEUE)
    return len(comment_ids)


def text_edited(comment: Comment) -> bool:
    """A moderator changed the text of a comment Akismet has not settled: Akismet is asked about the new text
    (EDIT), since what it said, or is still checking, was about the old. Returns whether it was queued."""
    if comment.status != Status.PENDING or comment.reason not in UNSETTLED or comment.data_erased_at is not None:
        return False
    check_for_spam.enqueue(comment.pk, akismet.RecheckReason.EDIT)
    return True


def _being_checked() -> set[int]:
    """The comments a queued or running spam check is about."""
    queued = DBTaskResult.objects.filter(
        task_path=check_for_spam.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    return {args_kwargs["args"][0] for args_kwargs in queued.values_list("args_kwargs", flat=True)}


def queue_forgotten_checks(older_than: timedelta = timedelta(minutes=1)) -> int:
    """Comments waiting for their spam check that no queued task will check (its task was lost): queue one each.

    The worker's housekeeping calls this (ops/worker.py); `older_than` leaves alone what is being stored now.
    """
    waiting = Comment.objects.pending().filter(reason__in=WAITING_FOR_CHECK, updated_at__lt=timezone.now() - older_than)
    if not waiting.exists():  # the usual case: no need to read every queued check's arguments
        return 0
    forgotten = list(waiting.exclude(pk__in=_being_checked()).values_list("pk", "akismet_attempts"))
    for comment_id, attempts in forgotten:
        check_for_spam.enqueue(comment_id, akismet.RecheckReason.RETRY if attempts else "")
    return len(forgotten)
