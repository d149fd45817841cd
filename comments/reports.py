"""Readers' reports of comments, notices of illegal content, and statements of reasons.

In the EU a blog that keeps its readers' comments is a hosting service under the Digital Services
Act (Regulation (EU) 2022/2065), and two of its duties are here:

- Art. 16, notice and action: anyone can tell the site a comment is illegal, with what the article
  asks of a notice: why the sender holds it illegal, its exact address, their name and email, and a
  statement that they act in good faith. The sender is told at once that it arrived (Art. 16(4)) and,
  when a moderator decides, what was decided (Art. 16(5)), and that no automated means decide notices
  here (Art. 16(6)).
- Art. 17, statement of reasons: a commenter whose comment a moderator removes (the Trash) is told
  what was removed, on what ground, whether anything automated took part, and how to object. Not for
  spam (Art. 17(1) does not ask it for deceptive, high-volume commercial content), not for what a rule
  did, and not when the author left no email or erased their data.

Every published comment has a "Report" link to a page of its own (`views.report_comment`, never
cached): a reason (spam, abusive, off-topic, illegal content, something else) and a note; "illegal
content" asks for the notice's details too. `file_report` stores it, in the comment's row lock:

1. a reader reports a comment once: an account once; a guest once per browser (a random id in a
   signed cookie, `REPORTER_COOKIE`) and once per address (a guest can drop a cookie, not an address);
   each report is noted in the comment's history, with its reason (who sent it is on the report only);
2. a notice's sender is sent the acknowledgement (decisions.compose_acknowledgement);
3. the COMMENTS_REPORTS_TO_HOLD-th reader's report (3) puts the comment back in the queue, pending
   with reason "Reported by readers" (actor: the readers), and the moderators get one email
   (decisions.compose_reported); the lock makes sure two reports at once cannot both be that one. A comment a
   moderator approved after it was reported is not held again: later reports are counted, no more.

How many reports a reader may file is limited (COMMENTS_RATE_REPORTS, per account or else per address,
groundwork/limits.py). What a moderator then decides, and whom it is told, is decisions.py: the
notice's outcome (Art. 16(5)) and the statement of reasons (Art. 17), with every email of this part.

A report keeps its sender's name, email, IP address and browser id COMMENTS_REPORT_RETENTION_DAYS (180:
the six months Art. 20 gives to object to a decision); retention.py blanks them after that.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from groundwork import mail
from groundwork.proxies import client_ip

from . import cookies, decisions, moderation, notifications
from .models import Actor, Comment, CommentEvent, Report, ReportReason, Status
from .models import Reason as CommentReason

REPORTER_COOKIE = cookies.REPORTER
REPORTER_SALT = "comments.reporter"


class NotReportable(Exception):
    """The comment is not published (any more): there is nothing to report."""


class AlreadyReported(Exception):
    message = "You have already reported this comment. Thank you: a moderator will look at it."


@dataclass(frozen=True)
class Reader:
    """Who reports: an account, or a guest known by their browser's id and their address."""

    user: object | None
    reporter_id: str
    ip_address: str | None

    @classmethod
    def from_request(cls, request) -> "Reader":
        user = request.user if request.user.is_authenticated else None
        known = request.get_signed_cookie(REPORTER_COOKIE, default="", salt=REPORTER_SALT)
        reporter_id = "" if user else (known if _is_reporter_id(known) else secrets.token_hex(16))
        return cls(user=user, reporter_id=reporter_id, ip_address=client_ip(request.META))

    def has_reported(self, comment) -> bool:
        reports = comment.reports.all()
        if self.user is not None:
            return reports.filter(user=self.user).exists()
        same_browser = reports.filter(reporter_id=self.reporter_id)
        same_address = reports.filter(ip_address=self.ip_address) if self.ip_address else Report.objects.none()
        return (same_browser | same_address).exists()

    def remember(self, response) -> None:
        """Keep a guest's id in their browser, so that the same browser counts once whatever its address."""
        if self.reporter_id:
            response.set_signed_cookie(
                REPORTER_COOKIE,
                self.reporter_id,
                salt=REPORTER_SALT,
                max_age=settings.COMMENTS_REPORT_RETENTION_DAYS * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )


def _is_reporter_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def reportable(comment_id: int):
    """The published comment `comment_id` with its post, or None."""
    return Comment.objects.published().select_related("post").filter(pk=comment_id).first()


def file_report(comment_id: int, reader: Reader, details: dict) -> Report:
    """Store a reader's report (`details`: the form's fields) and do what follows from it (the steps above).

    NotReportable when the comment is not published, AlreadyReported for a second report by the same reader.
    """
    with transaction.atomic():
        comment = Comment.objects.published().select_for_update().filter(pk=comment_id).first()
        if comment is None:
            raise NotReportable
        if reader.has_reported(comment):
            raise AlreadyReported
        report = Report.objects.create(
            comment=comment, user=reader.user, reporter_id=reader.reporter_id, ip_address=reader.ip_address, **details
        )
        CommentEvent.objects.record(
            comment, actor=Actor.READERS, note=f"Reported by a reader: {report.get_reason_display()}."
        )
        if report.reason == ReportReason.ILLEGAL:
            mail.send_later(decisions.compose_acknowledgement, report.pk)
        _hold_if_reported(comment)
    return report


def _hold_if_reported(comment: Comment) -> None:
    """Hold a published comment that enough readers reported, unless a moderator approved it since the first report."""
    count = comment.reports.count()
    if count < settings.COMMENTS_REPORTS_TO_HOLD or comment.status != Status.APPROVED:
        return
    first = comment.reports.order_by("created_at").values_list("created_at", flat=True).first()
    if comment.events.approvals().filter(actor=Actor.MODERATOR, at__gte=first).exists():
        return
    note = f"Reported by {count} readers."
    moderation.change_status(comment, Status.PENDING, actor=Actor.READERS, reason=CommentReason.REPORTED, note=note)
    for recipient in notifications.held_recipients(comment):
        mail.send_later(decisions.compose_reported, comment.pk, recipient.email)
