"""Akismet, the spam service: the only module that talks to it.

`check(comment)` asks Akismet's comment-check about a stored comment and answers with an
`Answer`: a `Verdict`, Akismet's name for the check (X-akismet-guid, kept on the comment and sent
back with a report) and, when its "not spam" is provisional, when to ask again
(X-akismet-recheck-after). Anything that goes wrong - no key, network error, time-out, HTTP
error, an answer that makes no sense - is `Verdict.UNKNOWN`, never an exception: the caller keeps
the comment held and asks again later. An invalid key is not an outage: it is `Verdict.INVALID_KEY`,
noted in `AkismetState`, and nothing is sent until the key changes or the worker finds it valid
again. A check that is not a first one says why (`recheck_reason`: RETRY, RECHECK_QUEUE, EDIT,
RECHECK).

When a moderator corrects Akismet, `report_to_akismet` (a task) sends submit-spam or submit-ham,
and sends it again with the back-off of `backoff` while Akismet cannot be reached, noting each try
in the comment's history. The first answer after a check or a report failed sends every check and
report still waiting out its back-off at once (`note_reachable`). A comment whose author erased
their data (erasure.py) is never sent again.

What Akismet says about the site itself - the key verified or not, an alert (X-akismet-alert-code
and -msg: a usage limit, a suspended key) until a call succeeds without one, the last answer -
is kept in `AkismetState`, every call in `AkismetCall`; `refresh_health` (a task the worker
queues every AKISMET_HEALTH_SECONDS) verifies the key and reads usage-limit and key-sites, and
`health()` is what the admin shows of it all, without calling Akismet.

The context sent is the one Akismet documents; `SENT_FIELDS` lists it, and the privacy page
shows that list to readers. The akismet package sends only the arguments it knows, so what it
does not (comment_parent, the honeypot's value, guid, callback; key-sites' api_key, which it
forgets) is added by our transport (`_Transport`), which also keeps the answers' headers.
"""

import contextlib
import enum
import functools
import hashlib
import hmac
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import akismet
import httpx
from django.conf import settings
from django.db.models import Count, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from groundwork import retry
from groundwork.site_url import absolute_url

from .models import Actor, AkismetCall, AkismetState, Comment, CommentEvent, Reason, Status

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://rest.akismet.com"
COMMENT_CHECK, VERIFY_KEY, KEY_SITES = "comment-check", "verify-key", "key-sites"

# What Akismet receives about each comment, in the words of the privacy page.
SENT_FIELDS = {
    "user_ip": "your IP address",
    "user_agent": "your browser's user-agent string",
    "referrer": "the page you came from (the Referer header)",
    "permalink": "the address of the article",
    "comment_type": "that it is a comment or a reply",
    "comment_parent": "which comment you replied to, if it is a reply",
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
    settings.COMMENTS_HONEYPOT_FIELD: "what that hidden field held (empty, from a person)",
    "comment_context": "the article's categories and tags",
    "recheck_reason": "why a comment is checked again, if it is (an outage, an edit, a moderator asked)",
    "guid": "Akismet's own name for its check of your comment, sent back when a moderator tells Akismet it was wrong",
    "callback": "the address where Akismet may send its final answer, if the site takes one",
}


class Verdict(enum.StrEnum):
    HAM = "ham"
    SPAM = "spam"
    DISCARD = "discard"
    UNKNOWN = "unknown"
    INVALID_KEY = "invalid-key"


class RecheckReason(enum.StrEnum):
    """Why a comment is checked again (comment-check's recheck_reason); a first check sends none."""

    RETRY = "retry"  # the last try could not reach Akismet
    RECHECK_QUEUE = "recheck_queue"  # a moderator's "Check the queue again"
    EDIT = "edit"  # its text changed since Akismet last saw it
    RECHECK = "recheck"  # Akismet's "not spam" was provisional (X-akismet-recheck-after)


@dataclass(frozen=True)
class Answer:
    """What comment-check said; `recheck_after` is set when its "not spam" is provisional."""

    verdict: Verdict
    guid: str = ""
    recheck_after: timedelta | None = None


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


class _Transport(httpx.HTTPTransport):
    """What the akismet package cannot do, done where httpx lets a client change its requests.

    Sends its requests to AKISMET_API_URL instead of Akismet's own host, adds the fields it does not
    know (`extra`, by endpoint: form fields of a POST, parameters of a GET), and keeps the last answer,
    whose headers it does not return.
    """

    def __init__(self, api_url: str, extra: dict[str, dict]):
        super().__init__(verify=_tls_context())
        self.api_url = httpx.URL(api_url)
        self.extra = extra
        self.last_response: httpx.Response | None = None

    def handle_request(self, request):
        url = request.url.copy_with(scheme=self.api_url.scheme, host=self.api_url.host, port=self.api_url.port)
        headers = request.headers.copy()
        headers["Host"] = self.api_url.netloc.decode()
        content = request.read()
        extra = self.extra.get(request.url.path.rstrip("/").rsplit("/", 1)[-1])
        if extra and request.method == "GET":
            url = url.copy_merge_params(extra)
        elif extra:
            content += b"&" + urlencode(extra).encode()
            headers["Content-Length"] = str(len(content))
        outgoing = httpx.Request(request.method, url, headers=headers, content=content, extensions=request.extensions)
        response = super().handle_request(outgoing)
        self.last_response = response
        return response


VERIFIED_SECONDS = 24 * 3600  # a verified key is verified again daily, and whenever a call answers "invalid"


def _key_digest() -> str:
    """Which key, site address and API address the key's state is about: changing any of them starts afresh."""
    return hashlib.sha256(
        f"{settings.AKISMET_API_KEY} {settings.SITE_URL}/ {settings.AKISMET_API_URL}".encode()
    ).hexdigest()


def _state_for_this_key() -> AkismetState:
    state = AkismetState.current()
    if state.key_digest != _key_digest():
        state.key_digest, state.key_verified_at, state.key_invalid_at = _key_digest(), None, None
    return state


def key_is_invalid() -> bool:
    """Akismet said the key in use is invalid (and the worker has not found it valid since)."""
    return _state_for_this_key().key_invalid_at is not None


def _key_now_invalid() -> None:
    logger.error("Akismet says the API key (or the site's address) is invalid; nothing is sent until it changes.")
    AkismetState.objects.filter(pk=AkismetState.current().pk).update(
        key_digest=_key_digest(), key_invalid_at=timezone.now(), key_verified_at=None
    )


@contextlib.contextmanager
def _client(extra: dict[str, dict] | None = None, *, verify: bool = False):
    """(A client whose key is known to be valid, its transport); its connections are closed whatever happens.

    `verify` asks Akismet about the key even when it is known to be invalid or was verified today.
    """
    state = _state_for_this_key()
    if state.key_invalid_at is not None and not verify:
        raise akismet.APIKeyError("Akismet said the API key (or the site's address) is invalid.")
    transport = _Transport(settings.AKISMET_API_URL, extra or {})
    http_client = httpx.Client(
        headers={"User-Agent": akismet.USER_AGENT},
        timeout=settings.AKISMET_TIMEOUT,
        verify=_tls_context(),
        transport=transport,
    )
    config = akismet.Config(key=settings.AKISMET_API_KEY, url=settings.SITE_URL + "/")
    with http_client:
        client = akismet.SyncClient(config=config, http_client=http_client)
        recently = timezone.now() - timedelta(seconds=VERIFIED_SECONDS)
        if verify or state.key_verified_at is None or state.key_verified_at < recently:
            if not client.verify_key():
                _key_now_invalid()
                raise akismet.APIKeyError("Akismet says the API key or the site's address is invalid.")
            _noted(
                VERIFY_KEY,
                transport.last_response,
                key_digest=_key_digest(),
                key_verified_at=timezone.now(),
                key_invalid_at=None,
            )
        try:
            yield client, transport
        except akismet.APIKeyError:
            _key_now_invalid()
            raise


def _printable(text: str, most: int) -> str:
    """A header's text as the admin may show it: no control characters, at most `most` characters."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C").strip()[:most]


GUID = re.compile(r"[0-9A-Za-z._-]{1,64}")
SECONDS = re.compile(r"[0-9]{1,9}")
LONGEST_RECHECK = timedelta(days=1)  # Akismet says minutes; a header saying more is not believed


def _guid(headers) -> str:
    value = headers.get("X-akismet-guid", "").strip()
    return value if GUID.fullmatch(value) else ""


def _recheck_after(headers) -> timedelta | None:
    value = headers.get("X-akismet-recheck-after", "").strip()
    if not SECONDS.fullmatch(value) or int(value) == 0:
        return None
    return min(timedelta(seconds=int(value)), LONGEST_RECHECK)


def _noted(endpoint: str, response: httpx.Response | None, **changes) -> None:
    """A call was answered: the state notes when, and the alert its answer carries, or that there is none."""
    now = timezone.now()
    state = AkismetState.current()
    headers = response.headers if response is not None else {}
    code = _printable(headers.get("X-akismet-alert-code", ""), 12)
    message = _printable(headers.get("X-akismet-alert-msg", ""), 500)
    if code != state.alert_code or message != state.alert_message:
        if code:
            logger.warning("Akismet alert %s: %s", code, message)
        changes.update(alert_code=code, alert_message=message, alert_at=now if code else None)
    if state.last_answer_at is None or state.last_answer_at < now - timedelta(seconds=60) or changes:
        changes["last_answer_at"] = now  # at most once a minute when nothing else changes: no hot row per check
    if changes:
        AkismetState.objects.filter(pk=state.pk).update(**changes)
    if endpoint != VERIFY_KEY:
        AkismetCall.objects.create(endpoint=endpoint, answered=True)


def _failed(endpoint: str, error: Exception, comment) -> None:
    logger.warning("Akismet %s failed for comment %s: %r", endpoint, comment.pk, error)
    AkismetCall.objects.create(endpoint=endpoint, answered=False)


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
    """The keyword arguments the akismet package takes about this comment (user_ip apart)."""
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
        "honeypot_field_name": settings.COMMENTS_HONEYPOT_FIELD,
        "comment_context": [c.name for c in post.categories.all()] + [t.name for t in post.tags.all()],
    }
    if settings.AKISMET_IS_TEST:
        arguments["is_test"] = True
    return arguments


def extra_arguments(comment) -> dict:
    """What Akismet takes about this comment that the akismet package does not send (`_Transport` adds it).

    The honeypot's value is empty but for a robot, whose comment is spam before any check; it is sent
    all the same, as Akismet asks, beside the field's name.
    """
    extra = {settings.COMMENTS_HONEYPOT_FIELD: comment.honeypot_value}
    if comment.parent_id:
        extra["comment_parent"] = str(comment.parent_id)
    return extra


def _gmt(moment) -> str:
    return timezone.localtime(moment, timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_url() -> str:
    """Where Akismet may send its final answer about a provisional "not spam" (AKISMET_WEBHOOK)."""
    return absolute_url(reverse("comments:akismet-webhook"))


def check(comment, *, recheck_reason: RecheckReason | None = None) -> Answer:
    """Akismet's comment-check answer about a comment; UNKNOWN when Akismet could not say."""
    if not is_configured():
        return Answer(Verdict.UNKNOWN)
    arguments = comment_arguments(comment)
    if recheck_reason:
        arguments["recheck_reason"] = str(recheck_reason)
    extra = extra_arguments(comment)
    if settings.AKISMET_WEBHOOK:
        extra["callback"] = webhook_url()
    try:
        with _client({COMMENT_CHECK: extra}) as (client, transport):
            response = client.comment_check(comment.ip_address or "", **arguments)
    except akismet.APIKeyError:
        return Answer(Verdict.INVALID_KEY)
    except (akismet.AkismetError, httpx.HTTPError) as error:
        _failed(COMMENT_CHECK, error, comment)
        return Answer(Verdict.UNKNOWN)
    headers = transport.last_response.headers
    _noted(COMMENT_CHECK, transport.last_response)
    verdict = {
        akismet.CheckResponse.HAM: Verdict.HAM,
        akismet.CheckResponse.SPAM: Verdict.SPAM,
        akismet.CheckResponse.DISCARD: Verdict.DISCARD,
    }[response]
    recheck_after = _recheck_after(headers) if verdict == Verdict.HAM else None
    return Answer(verdict, guid=_guid(headers), recheck_after=recheck_after)


def report(comment, *, as_spam: bool) -> bool:
    """Tell Akismet it was wrong (submit-spam / submit-ham), naming its check; False when it could not be told."""
    if not is_configured():
        return False
    endpoint = "submit-spam" if as_spam else "submit-ham"
    extra = extra_arguments(comment)
    if comment.akismet_guid:
        extra["guid"] = comment.akismet_guid
    try:
        with _client({endpoint: extra}) as (client, transport):
            submit = client.submit_spam if as_spam else client.submit_ham
            submitted = submit(comment.ip_address or "", **comment_arguments(comment))
    except akismet.APIKeyError:
        return False
    except (akismet.AkismetError, httpx.HTTPError) as error:
        _failed(endpoint, error, comment)
        return False
    _noted(endpoint, transport.last_response)
    return submitted


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
    if key_is_invalid():
        CommentEvent.objects.record(
            comment, actor=Actor.AKISMET, note=f"Not reported to Akismet as {what}: the Akismet key is invalid."
        )
        return "not reported: the key is invalid"
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


# The health box: read by the worker (refresh_health), shown by the admin (health), never asked for in a request.

CALLS_KEPT = timedelta(days=2)


@task
def refresh_health() -> str:
    """Verify the key (even one known to be invalid: it may have been fixed) and read usage-limit and key-sites."""
    AkismetCall.objects.filter(at__lt=timezone.now() - CALLS_KEPT).delete()
    if not is_configured():
        return "no Akismet key"
    # key-sites needs the key, which the akismet package (25.10) forgets to send.
    extra = {KEY_SITES: {"api_key": settings.AKISMET_API_KEY}}
    changes = {"read_at": timezone.now()}
    try:
        with _client(extra, verify=True) as (client, transport):
            changes["usage"] = _storable(client.usage_limit())
            changes["key_sites"] = _storable(client.key_sites())
    except akismet.APIKeyError:
        AkismetState.objects.filter(pk=AkismetState.current().pk).update(**changes)
        return "the key is invalid"
    except (akismet.AkismetError, httpx.HTTPError, ValueError) as error:  # ValueError: not JSON
        logger.warning("Akismet's usage or sites could not be read: %r", error)
        AkismetState.objects.filter(pk=AkismetState.current().pk).update(**changes)
        return "could not read Akismet's usage"
    _noted(KEY_SITES, transport.last_response, **changes)
    return "read"


def _storable(answer):
    """Akismet's JSON answer as a JSON field can keep it: PostgreSQL refuses NUL in text, so NULs go."""
    if isinstance(answer, str):
        return answer.replace("\x00", "")
    if isinstance(answer, list):
        return [_storable(item) for item in answer]
    if isinstance(answer, dict):
        return {_storable(name): _storable(value) for name, value in answer.items()}
    return answer


def keep_health_fresh() -> bool:
    """Queue `refresh_health` when what it read is older than AKISMET_HEALTH_SECONDS, or about another key.

    The worker's housekeeping calls this (ops/worker.py); returns whether a run was queued.
    """
    if not is_configured():
        return False
    state = AkismetState.current()
    now = timezone.now()
    stale = state.read_at is None or state.read_at < now - timedelta(seconds=settings.AKISMET_HEALTH_SECONDS)
    if not stale and state.key_digest == _key_digest():
        return False
    return retry.one_waiting(refresh_health, run_after=now)[1]


@dataclass(frozen=True)
class Site:
    """One site on the key, as key-sites counts this month."""

    site: str
    api_calls: str
    spam: str
    ham: str
    missed_spam: str
    false_positives: str
    is_revoked: bool


@dataclass(frozen=True)
class Health:
    """What the admin shows of Akismet (the health box, and the banner when something needs a person)."""

    configured: bool
    key_invalid: bool
    key_verified_at: object = None
    key_invalid_at: object = None
    last_answer_at: object = None
    alert_code: str = ""
    alert_message: str = ""
    alert_at: object = None
    checks_last_day: int = 0
    errors_last_day: int = 0
    held_unreachable: int = 0
    usage: dict | None = None
    sites: list[Site] = field(default_factory=list)
    read_at: object = None

    @property
    def usage_limit(self) -> int | None:
        return _whole_number(self.usage, "limit")

    @property
    def usage_count(self) -> int | None:
        return _whole_number(self.usage, "usage")

    @property
    def throttled(self) -> bool:
        return bool(self.usage and self.usage.get("throttled") is True)


def _whole_number(answer, name) -> int | None:
    value = answer.get(name) if isinstance(answer, dict) else None
    return int(value) if isinstance(value, int | str) and str(value).isascii() and str(value).isdigit() else None


def _sites(answer) -> list[Site]:
    """The sites in key-sites' answer ({"2026-12": [{"site": ..., "api_calls": ...}], "limit": ...}), if it is one."""
    if not isinstance(answer, dict):
        return []
    rows = next((value for name, value in answer.items() if re.fullmatch(r"[0-9]{4}-[0-9]{2}", name)), [])
    sites = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("site"), str):
            counts = {name: _printable(str(row.get(name, "")), 20) for name in Site.__dataclass_fields__}
            counts.update(site=_printable(row["site"], 200), is_revoked=row.get("is_revoked") is True)
            sites.append(Site(**counts))
    return sites


def health() -> Health:
    """Akismet's health as the worker last found it, and the last day's calls and held comments (three queries)."""
    if not is_configured():
        return Health(configured=False, key_invalid=False)
    state = _state_for_this_key()
    calls = AkismetCall.objects.filter(at__gte=timezone.now() - timedelta(days=1)).aggregate(
        checks=Count("pk", filter=Q(endpoint=COMMENT_CHECK)), errors=Count("pk", filter=Q(answered=False))
    )
    return Health(
        configured=True,
        key_invalid=state.key_invalid_at is not None,
        key_verified_at=state.key_verified_at,
        key_invalid_at=state.key_invalid_at,
        last_answer_at=state.last_answer_at,
        alert_code=state.alert_code,
        alert_message=state.alert_message,
        alert_at=state.alert_at,
        checks_last_day=calls["checks"],
        errors_last_day=calls["errors"],
        held_unreachable=Comment.objects.filter(status=Status.PENDING, reason=Reason.AKISMET_UNREACHABLE).count(),
        usage=state.usage if isinstance(state.usage, dict) else None,
        sites=_sites(state.key_sites),
        read_at=state.read_at,
    )


# Akismet's webhook (AKISMET_WEBHOOK): its final answers about checks it had called provisional.

WEBHOOK_MOST_COMMENTS = 100


class WebhookRefused(Exception):
    """Not from Akismet: no key, or another key than ours."""


def webhook_answers(body: bytes) -> list[tuple[str, bool]]:
    """(guid, is spam) for each comment-check answer in a webhook call: {"key": ..., "endpoint": "comment-check",
    "comments": [{"guid": ..., "result": "true" or "false"}, ...]}.

    Raises WebhookRefused unless it carries our key; anything else it may say (another endpoint, a malformed
    entry, a result that is neither) is ignored.
    """
    try:
        call = json.loads(body)
    except ValueError:
        call = None
    key = call.get("key") if isinstance(call, dict) else None
    if (
        not is_configured()
        or not isinstance(key, str)
        or not hmac.compare_digest(key.encode(), settings.AKISMET_API_KEY.encode())
    ):
        raise WebhookRefused
    comments = call.get("comments")
    if call.get("endpoint") != COMMENT_CHECK or not isinstance(comments, list):
        return []
    answers = []
    for entry in comments[:WEBHOOK_MOST_COMMENTS]:
        guid = entry.get("guid") if isinstance(entry, dict) else None
        result = entry.get("result") if isinstance(entry, dict) else None
        if isinstance(guid, str) and GUID.fullmatch(guid) and result in ("true", "false"):
            answers.append((guid, result == "true"))
    return answers
