"""Akismet, the spam service: the only module that talks to it.

`check(comment)` asks Akismet's comment-check about a stored comment and answers with a
`Verdict`. Anything that goes wrong - no key, network error, time-out, HTTP error, an answer
that makes no sense, an invalid key - is `Verdict.UNKNOWN`, never an exception: the caller
keeps the comment held and asks again later. When a moderator corrects Akismet,
`report_to_akismet` (a task) sends submit-spam or submit-ham, and sends it again with the
back-off of `backoff` while Akismet cannot be reached, noting each try in the
comment's history. The first answer after a check or a report failed sends every check and
report still waiting out its back-off at once (`note_reachable`). A comment whose author erased
their data (erasure.py) is never sent again.

The context sent is the one Akismet documents; `SENT_FIELDS` lists it, and the privacy page
shows that list to readers.
"""

import contextlib
import enum
import functools
import hashlib
import logging
from datetime import timedelta

import akismet
import httpx
from django.conf import settings
from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from groundwork import retry
from groundwork.site_url import absolute_url

from .models import Actor, Comment, CommentEvent

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://rest.akismet.com"

# What Akismet receives about each comment, in the words of the privacy page.
SENT_FIELDS = {
    "user_ip": "your IP address",
    "user_agent": "your browser's user-agent string",
    "referrer": "the page you came from (the Referer header)",
    "permalink": "the address of the article",
    "comment_type": "that it is a comment or a reply",
    "comment_author": "the name you gave",
    "comment_author_email": "the email address you gave",
    "comment_author_url": "the website you gave",
    "comment_content": "the text of your comment",
    "comment_date_gmt": "when you posted it",
    "comment_post_modified_gmt": "when the article was last changed",
    "blog_lang": "the site's language",
    "blog_charset": "the site's character set",
    "user_role": "whether you were logged in, and as what",
    "honeypot_field_name": "the name of a hidden form field that people never fill in",
    "comment_context": "the article's categories and tags",
}


class Verdict(enum.StrEnum):
    HAM = "ham"
    SPAM = "spam"
    DISCARD = "discard"
    UNKNOWN = "unknown"


def backoff(*, attempts: int | None = None) -> retry.Backoff:
    """30 s, 1 min, 2 min ... at most hourly (AKISMET_RETRY_SECONDS, AKISMET_RETRY_MAX_SECONDS)."""
    first, most = settings.AKISMET_RETRY_SECONDS, settings.AKISMET_RETRY_MAX_SECONDS
    return retry.Backoff(timedelta(seconds=first), timedelta(seconds=most), attempts)


def is_configured() -> bool:
    return bool(settings.AKISMET_API_KEY)


@functools.cache
def _tls_context():
    """One TLS context for every call: building one re-reads the CA bundle (about 50 ms of CPU)."""
    return httpx.create_ssl_context()


class _ApiUrlTransport(httpx.HTTPTransport):
    """Sends the client's requests to AKISMET_API_URL instead of Akismet's own host."""

    def __init__(self, api_url: str):
        super().__init__(verify=_tls_context())
        self.api_url = httpx.URL(api_url)

    def handle_request(self, request):
        request.url = request.url.copy_with(scheme=self.api_url.scheme, host=self.api_url.host, port=self.api_url.port)
        request.headers["Host"] = self.api_url.netloc.decode()
        return super().handle_request(request)


# Whether Akismet has said the (key, site, API address) in use is valid, kept in the cache that every
# web process and worker shares: the key is verified once, not before every call (which doubled the
# round trips), again only after Akismet answers a call with "invalid", and at least daily.
VERIFIED_SECONDS = 24 * 3600


def _verified_key(config) -> str:
    digest = hashlib.sha256(f"{config.key} {config.url} {settings.AKISMET_API_URL}".encode()).hexdigest()
    return f"akismet.verified.{digest[:32]}"


@contextlib.contextmanager
def _client():
    """A client whose key is known to be valid; its connections are closed whatever happens."""
    transport = None
    if settings.AKISMET_API_URL.rstrip("/") != DEFAULT_API_URL:
        transport = _ApiUrlTransport(settings.AKISMET_API_URL)
    http_client = httpx.Client(
        headers={"User-Agent": akismet.USER_AGENT},
        timeout=settings.AKISMET_TIMEOUT,
        verify=_tls_context(),
        transport=transport,
    )
    config = akismet.Config(key=settings.AKISMET_API_KEY, url=settings.SITE_URL + "/")
    verified = _verified_key(config)
    with http_client:
        client = akismet.SyncClient(config=config, http_client=http_client)
        if not cache.get(verified):
            if not client.verify_key():
                raise akismet.APIKeyError("Akismet says the API key or the site's address is invalid.")
            cache.set(verified, True, VERIFIED_SECONDS)
        try:
            yield client
        except akismet.APIKeyError:
            cache.delete(verified)
            raise


def _gmt(moment) -> str:
    return timezone.localtime(moment, timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


DOWN_KEY = "akismet.unreachable"  # set while checks or reports fail, in the cache every worker shares
CHECK_TASK = "comments.pipeline.check_for_spam"  # by the path it is queued by: the pipeline imports this module
OUTAGE = retry.Outage(
    DOWN_KEY,
    logger=logger,
    caught_up="Akismet answers again: %s spam check(s) and report(s) waiting out a back-off go now.",
)


def note_unreachable() -> None:
    OUTAGE.failed()


def note_reachable() -> int:
    """Akismet answered: if it had been unreachable until now, every check and report waiting out a back-off goes now.

    Returns how many were brought forward.
    """
    return OUTAGE.answered(CHECK_TASK, report_to_akismet)


def comment_arguments(comment) -> dict:
    """The keyword arguments for Akismet's API about this comment (user_ip apart)."""
    post = comment.post
    user = comment.user
    if user is None:
        role = "guest"
    elif user.is_staff:
        role = "administrator"
    else:
        role = "subscriber"
    arguments = {
        "user_agent": comment.user_agent,
        "referrer": comment.referrer,
        "permalink": absolute_url(post.get_absolute_url()),
        "comment_type": "reply" if comment.parent_id else "comment",
        "comment_author": comment.author_name,
        "comment_author_email": comment.author_email,
        "comment_author_url": comment.author_url,
        "comment_content": comment.body,
        "comment_date_gmt": _gmt(comment.created_at),
        "comment_post_modified_gmt": _gmt(post.modified_at),
        "blog_lang": settings.BLOG_LANGUAGE,
        "blog_charset": "UTF-8",
        "user_role": role,
        # The akismet package sends only documented keys, so the honeypot's value cannot go
        # along; it is always empty here, since a filled-in honeypot is spam before any check.
        "honeypot_field_name": settings.COMMENTS_HONEYPOT_FIELD,
        "comment_context": [c.name for c in post.categories.all()] + [t.name for t in post.tags.all()],
    }
    if settings.AKISMET_IS_TEST:
        arguments["is_test"] = True
    return arguments


def check(comment) -> Verdict:
    """Akismet's comment-check verdict on a comment; UNKNOWN when Akismet could not say."""
    if not is_configured():
        return Verdict.UNKNOWN
    try:
        with _client() as client:
            response = client.comment_check(comment.ip_address or "", **comment_arguments(comment))
    except (akismet.AkismetError, httpx.HTTPError) as error:
        logger.warning("Akismet comment-check failed for comment %s: %r", comment.pk, error)
        return Verdict.UNKNOWN
    return {
        akismet.CheckResponse.HAM: Verdict.HAM,
        akismet.CheckResponse.SPAM: Verdict.SPAM,
        akismet.CheckResponse.DISCARD: Verdict.DISCARD,
    }[response]


def report(comment, *, as_spam: bool) -> bool:
    """Tell Akismet it was wrong (submit-spam / submit-ham); False when it could not be told."""
    if not is_configured():
        return False
    try:
        with _client() as client:
            submit = client.submit_spam if as_spam else client.submit_ham
            return submit(comment.ip_address or "", **comment_arguments(comment))
    except (akismet.AkismetError, httpx.HTTPError) as error:
        logger.warning("Akismet submit-%s failed for comment %s: %r", "spam" if as_spam else "ham", comment.pk, error)
        return False


REPORT_ATTEMPTS = 10


@task
def report_to_akismet(comment_id: int, as_spam: bool, attempt: int = 1) -> str:
    """Tell Akismet a moderator corrected it; ask again later while it cannot be reached."""
    comment = Comment.objects.select_related("post", "user").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    if comment.data_erased_at is not None:
        return "not reported: its author erased their data"
    what = "spam" if as_spam else "not spam"
    if report(comment, as_spam=as_spam):
        CommentEvent.objects.record(comment, actor=Actor.AKISMET, note=f"Reported to Akismet as {what}.")
        note_reachable()
        return "reported"
    if not is_configured():
        return "no Akismet key"
    note_unreachable()
    reports = backoff(attempts=REPORT_ATTEMPTS)
    if reports.gives_up_after(attempt):
        CommentEvent.objects.record(
            comment, actor=Actor.AKISMET, note=f"Could not report to Akismet as {what}; gave up."
        )
        return "gave up"
    CommentEvent.objects.record(
        comment, actor=Actor.AKISMET, note=f"Could not report to Akismet as {what} (attempt {attempt})."
    )
    report_to_akismet.using(run_after=timezone.now() + reports.delay(attempt)).enqueue(comment_id, as_spam, attempt + 1)
    return "will retry"
