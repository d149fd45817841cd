"""What readers' reports and moderators' decisions tell whom, by email, as the Digital Services Act asks.

`moderation.change_status` calls `decided(comment, event)` on every change a moderator makes:
- the reports on the comment no moderator has decided yet are decided: approved means "kept", moved to
  spam or the Trash "removed"; the sender of each notice of illegal content among them is told
  (`compose_outcome`, DSA Art. 16(5)), with how to contest it;
- moved to the Trash, its author gets the statement of reasons (`compose_statement`, Art. 17): what
  was removed, on what ground, whether anything automated took part, how to object. Not for spam
  (Art. 17 does not ask it for deceptive, high-volume commercial content), not for what a rule did
  (only a moderator's change comes here), not when the author left no email or erased their data.

`keep(comment, moderator=...)` is the admin's "Keep" for a reported comment that is still published:
its reports are decided "kept" without a change of status, noted in its history.

The emails are written when the worker sends them (groundwork/mail.py), from templates/comments/email/,
with what the comment's author and the readers wrote quoted: `compose_acknowledgement` (a notice's receipt,
Art. 16(4)), `compose_outcome`, `compose_statement`, and `compose_reported` (the moderators': readers'
reports held a comment, reports.py). A reader who objects replies to the email: it goes to the first of
COMMENTS_MODERATOR_EMAILS, or else to the site's own address.

This is apart from reports.py, which files reports and holds comments through `change_status`: the
moderation module calls this one, and reports.py calls the moderation module.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from groundwork import mail
from groundwork.site_url import absolute_url

from . import notifications
from .links import LINK_NOTE
from .models import Actor, Comment, CommentEvent, Report, ReportOutcome, Status
from .models import Reason as CommentReason

OUTCOMES = {
    Status.APPROVED: ReportOutcome.KEPT,
    Status.SPAM: ReportOutcome.REMOVED,
    Status.TRASH: ReportOutcome.REMOVED,
}


def decided(comment: Comment, event: CommentEvent) -> None:
    """A moderator moved `comment` (called by `change_status`): decide its reports, and tell whom the DSA says."""
    if event.actor != Actor.MODERATOR or event.from_status == event.to_status:
        return
    outcome = OUTCOMES.get(event.to_status)
    if outcome is not None:
        _decide(comment, outcome, event)
    if event.to_status == Status.TRASH and comment.author_email and comment.data_erased_at is None:
        mail.send_later(compose_statement, comment.pk, event.pk)


def _decide(comment: Comment, outcome: ReportOutcome, event: CommentEvent) -> int:
    undecided = comment.reports.undecided()
    notices = list(undecided.notices().values_list("pk", flat=True))
    count = undecided.update(outcome=outcome, decided_at=event.at)
    for report_id in notices:
        mail.send_later(compose_outcome, report_id)
    return count


@transaction.atomic
def keep(comment: Comment, *, moderator) -> int:
    """A moderator read the reports on a published comment and keeps it: they are decided, and notices answered."""
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not comment.reports.undecided().exists():
        return 0
    event = CommentEvent.objects.record(
        comment, actor=Actor.MODERATOR, moderator=moderator, note="Reports read: the comment is kept."
    )
    return _decide(comment, ReportOutcome.KEPT, event)


# The emails, written by the worker when it sends them (groundwork/mail.py).

AUTOMATED = (
    "No automated means decided this: a moderator did. Reports from several readers can take a comment out of "
    "view automatically until a moderator decides."
)


def _reply_to() -> str | None:
    """Where a reader's objection goes: the moderators' first address, else the site's own (the From)."""
    return settings.COMMENTS_MODERATOR_EMAILS[0] if settings.COMMENTS_MODERATOR_EMAILS else None


def _report_context(report: Report) -> dict:
    comment = report.comment
    return {
        "report": report,
        "comment": comment,
        "post": comment.post,
        "quoted_comment": notifications.quote(comment.body),
        "quoted_explanation": notifications.quote(report.explanation),
        "post_url": absolute_url(comment.post.get_absolute_url()),
        "automated": AUTOMATED,
    }


def _notice(report_id: int) -> Report | str:
    report = Report.objects.select_related("comment__post").filter(pk=report_id).first()
    if report is None:
        return "report deleted"
    if not report.reporter_email:
        return "not sent: the sender's details were erased"
    return report


def compose_acknowledgement(report_id: int):
    """The notice's receipt, to its sender (DSA Art. 16(4))."""
    report = _notice(report_id)
    if isinstance(report, str):
        return report
    Report.objects.filter(pk=report.pk).update(acknowledged_at=timezone.now())
    subject = f'Your notice about a comment on "{report.comment.post.title}" was received'
    context = _report_context(report)
    return mail.build_email(
        "comments/email/notice_received", context, subject=subject, to=report.reporter_email, reply_to=_reply_to()
    )


def compose_outcome(report_id: int):
    """What a moderator decided on a notice, to its sender (DSA Art. 16(5)), and how to object."""
    report = _notice(report_id)
    if isinstance(report, str):
        return report
    Report.objects.filter(pk=report.pk).update(outcome_sent_at=timezone.now())
    subject = f'Your notice about a comment on "{report.comment.post.title}": decided'
    context = _report_context(report) | {"removed": report.outcome == ReportOutcome.REMOVED}
    return mail.build_email(
        "comments/email/notice_outcome", context, subject=subject, to=report.reporter_email, reply_to=_reply_to()
    )


def compose_statement(comment_id: int, event_id: int):
    """The statement of reasons (DSA Art. 17) to the author of a comment a moderator moved to the Trash."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    if comment.status != Status.TRASH:
        return f"not sent: the comment is {comment.status} now"
    if not comment.author_email or comment.data_erased_at:
        return "not sent: the author's email was erased"
    event = CommentEvent.objects.filter(pk=event_id).first()
    reasons = sorted({report.get_reason_display() for report in comment.reports.all()})
    context = {
        "comment": comment,
        "post": comment.post,
        "quoted_comment": notifications.quote(comment.body),
        "post_url": absolute_url(comment.post.get_absolute_url()),
        "moderators_note": event.note if event and event.note != LINK_NOTE else "",
        "report_reasons": reasons,
        "written_at": comment.created_at,
        "decided_at": event.at if event else timezone.now(),
        "automated": AUTOMATED,
        "policy_url": absolute_url(reverse("privacy:policy")),
    }
    subject = f'Your comment on "{comment.post.title}" was removed'
    return mail.build_email(
        "comments/email/statement_of_reasons", context, subject=subject, to=comment.author_email, reply_to=_reply_to()
    )


def compose_reported(comment_id: int, to: str):
    """The moderators' email: readers' reports took a comment out of view."""
    comment = Comment.objects.select_related("post", "parent").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    if comment.status != Status.PENDING or comment.reason != CommentReason.REPORTED:
        return f"not sent: the comment is {comment.status} now"
    reports = list(comment.reports.order_by("created_at", "pk"))
    context = {
        "comment": comment,
        "post": comment.post,
        "quoted": notifications.commenters_words(comment, with_contact=True),
        "reports": [
            {
                "report": report,
                "note": notifications.quote(report.note) if report.note else "",
                "explanation": notifications.quote(report.explanation) if report.explanation else "",
            }
            for report in reports
        ],
        "admin_url": absolute_url(reverse("admin:comments_comment_change", args=[comment.pk])),
        "queue_url": absolute_url(reverse("admin:comments_comment_changelist") + "?reported=1"),
    }
    subject = f'Reported by readers: "{comment.post.title}"'
    return mail.build_email("comments/email/reported", context, subject=subject, to=to)
