"""The site's email: one way to write it, one way to send it, from the task worker until the mail server takes it.

`build_email(template, context, subject=..., to=...)` writes every email the site sends: the
subject after "[<BLOG_TITLE>] ", made one line; a plain-text part (`<template>.txt`) and an HTML
part (`<template>.html`, on templates/groundwork/email/base.html: no outside resources, every
value escaped); `Auto-Submitted: auto-generated` (RFC 3834: no out-of-office replies, please); and,
only on the emails a reader asked for (`unsubscribe=`, subscriptions/), `List-Unsubscribe` with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). Every template has `blog_title`,
`language`, `home_url` and `data_url` (the "Your comments and data" page every email's footer
links to).

The headers the site writes (the subject and the headers above) go over the wire as written when they are ASCII,
folded at their spaces only (`FoldedAtSpaces`). Python's email package would fold them its own way: a line too long
for it (a List-Unsubscribe link longer than 78 characters) becomes RFC 2047 encoded words
(`=?utf-8?q?=3Chttp...?=`), where a mail client looking for `<https://...>` finds nothing and offers no unsubscribe
button; and a subject just over the line is folded straight after "Subject:", read back with a leading space. A
subject with other characters must be encoded words anyway, and Python's folding is left to do it.

`send_now(messages)` is the one place an email leaves the site: `send_email` below uses it, and so
do the new-post announcements' batches (subscriptions/announcements.py), over one connection kept
open for a batch (`open_connection`).

`send_later(compose, *args)` queues a `send_email` task in the caller's transaction (the queue
is a database table, so whatever triggered an email and the email are stored together or not
at all). The worker calls `compose(*args)` when it sends, so the email says what is true *then*
(a comment decided before its "held" email goes out is not announced): the composer returns
an EmailMessage, or a sentence saying why there is nothing to send.

Sending goes through the "default" mailer. An SMTP error or an unreachable server queues the
email again after the back-off of `retry.MAIL` (1, 2, 4 ... minutes, ten attempts in all), and
never raises. While the server is down only one email a minute tries it (the others wait for
that try, noted in the shared cache); the first that gets through sends every waiting email at
once, so the queue catches up within a minute of the server's return, not at the end of each
email's own back-off.

What the log says of an email names nobody (`ids_only`, `without_addresses`): the worker's log is
kept for days (the privacy page says how long), and an address in it would outlive its erasure.
"""

import email.policy
import logging
import re
import smtplib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from . import retry
from .site_url import absolute_url

logger = logging.getLogger(__name__)

MAILER = "default"
DOWN_KEY = "mail.down-since"  # when sending last failed, while it has not worked since
PROBE_SECONDS = 60
OUTAGE = retry.Outage(
    DOWN_KEY, logger=logger, caught_up="The mail server answers again: %s waiting email(s) go out now."
)

Composer = Callable[..., EmailMessage | str]

ADDRESS = re.compile(r"[^\s'\"<>()\[\]{},;:]+@[^\s'\"<>()\[\]{},;:]+")


def data_page_url() -> str:
    """The page where a reader asks for a link to see, download or erase their data (EMAIL_DATA_PAGE, a URL name)."""
    return absolute_url(reverse(settings.EMAIL_DATA_PAGE))


def build_email(
    template: str,
    context: dict,
    *,
    subject: str,
    to: str,
    reply_to: str | None = None,
    unsubscribe: str | None = None,
) -> EmailMultiAlternatives:
    """The email `template` ("<app>/email/<name>": its .txt and .html) to `to`, as the site writes every email.

    `subject` is said without the site's name, which goes before it; a title in it is quoted with straight quotes.
    `reply_to` is whom a reply reaches (the commenter, in their post author's email). `unsubscribe` is the one-click
    link that stops an email the reader asked for (List-Unsubscribe); the site's other emails (to moderators, the
    data link) have none.
    """
    context = {
        "blog_title": settings.BLOG_TITLE,
        "language": settings.BLOG_LANGUAGE,
        "home_url": absolute_url("/"),
        "data_url": data_page_url(),
        **context,
    }
    one_click = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    headers = {**(one_click if unsubscribe else {}), "Auto-Submitted": "auto-generated"}
    message = SiteEmail(
        # One line, whatever a title holds. (Straight quotes: a subject that is all ASCII is never folded by Python's
        # email package into encoded words, which its parser then reads back with a doubled space.)
        subject=" ".join(f"[{settings.BLOG_TITLE}] {subject}".split()),
        body=render_to_string(f"{template}.txt", context),
        to=[to],
        reply_to=[reply_to] if reply_to else [],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


class FoldedAtSpaces(str):
    """An ASCII header value that folds only where it has a space, however long a word in it (a link) is."""

    def __new__(cls, name: str, value: str):
        header = super().__new__(cls, value)
        header.name = name  # what Python's email package asks of a header it is given ready-made
        return header

    def fold(self, *, policy) -> str:
        width, start = policy.max_line_length or sys.maxsize, f"{self.name}:"
        lines = [start]
        for word in self.split():
            if lines[-1] not in (start, "") and len(lines[-1]) + 1 + len(word) > width:  # a long word stays whole
                lines.append("")
            lines[-1] += f" {word}"
        return policy.linesep.join(lines) + policy.linesep


class SiteEmail(EmailMultiAlternatives):
    """An email whose subject and extra headers, when ASCII, are folded at their spaces only (see the module)."""

    def message(self, *, policy=email.policy.default):
        message = super().message(policy=policy)
        for name in ("Subject", *self.extra_headers):
            value = str(message[name])
            if value.isascii():
                message.replace_header(name, FoldedAtSpaces(name, value))
        return message


def open_connection():
    """A connection to the mail server, open, for many `send_now` calls in a row; the caller closes it.
    Raises what an unreachable server raises (smtplib.SMTPException, OSError)."""
    connection = mailers[MAILER]
    connection.open()
    return connection


def send_now(messages: list[EmailMessage], connection=None) -> int:
    """Hand `messages` to the mail server now, over `connection` (left open) or a connection of their own.

    The one place the site's email leaves it. Raises the server's refusal (smtplib.SMTPRecipientsRefused for a
    recipient it will not take, other smtplib.SMTPException or OSError when it is down) and ValueError for an
    address no mail server can be given.
    """
    return (connection or mailers[MAILER]).send_messages(messages)


def send_later(compose: Composer, *args) -> None:
    """Queue an email that `compose(*args)` writes when it is sent (the arguments must be JSON: ids, addresses)."""
    send_email.enqueue(f"{compose.__module__}.{compose.__qualname__}", list(args))


@task
def send_email(composer: str, args: list, attempt: int = 1) -> str:
    """Compose and send one email; on failure queue the next attempt. Returns what happened."""
    down_since = OUTAGE.since()
    if down_since and time.time() - down_since < PROBE_SECONDS:
        # The mail server failed moments ago: wait for the next try at it rather than fail again.
        send_email.using(run_after=_moment(down_since + PROBE_SECONDS)).enqueue(composer, args, attempt)
        return "waiting: the mail server could not be reached a moment ago"
    # By its dotted path, as django.tasks names tasks: the composers' modules import this one.
    message = import_string(composer)(*args)
    if isinstance(message, str):
        return message
    try:
        send_now([message])
    except (smtplib.SMTPException, OSError) as error:
        OUTAGE.failed()
        return _retry_later(composer, args, attempt, error)
    except ValueError as error:  # an address no mail server can be given (stored before forms refused it)
        logger.error("Gave up an email (%s%s): %s", composer, ids_only(args), without_addresses(str(error)))
        return f"gave up: {without_addresses(str(error))}"
    if down_since:  # the mail server answers again: every email waiting out a back-off goes now
        OUTAGE.answered(send_email)
    return f"sent to {', '.join(message.to)}"


def ids_only(value):
    """A task's arguments as a log may show them: numbers, and the dotted path of a function the process has
    loaded (an email's composer); any other text, which may be an address or a name, as "…"."""
    if isinstance(value, list | tuple):
        return [ids_only(item) for item in value]
    if value is None or isinstance(value, int | float) or (isinstance(value, str) and _names_a_function(value)):
        return value
    return "…"


def _names_a_function(text: str) -> bool:
    """Whether `text` is the dotted path of a function already imported: code, not someone's data. (An address
    cannot be one: "@" is in no Python name.) Only modules already loaded are looked in: nothing is imported."""
    module, _, name = text.rpartition(".")
    return callable(getattr(sys.modules.get(module), name, None))


def without_addresses(text: str) -> str:
    """`text` (a result, an error) with every email address in it blanked, as a log may show it."""
    return ADDRESS.sub("…", text)


def _moment(timestamp: float):
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _retry_later(composer, args, attempt, error) -> str:
    email, why = f"{composer}{ids_only(args)}", without_addresses(repr(error))  # for the log: naming nobody
    if retry.MAIL.gives_up_after(attempt) or not send_email.get_backend().supports_defer:
        logger.error("Gave up an email (%s) after %s attempts: %s", email, attempt, why)
        return f"gave up after {attempt} attempts: {error!r}"
    delay = retry.MAIL.delay(attempt)
    logger.warning("Could not send an email (%s), retrying in %s: %s", email, delay, why)
    send_email.using(run_after=timezone.now() + delay).enqueue(composer, args, attempt + 1)
    return f"attempt {attempt} failed, retrying in {delay}: {error!r}"
