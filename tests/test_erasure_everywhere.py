"""Erased means erased, everywhere the site puts it: links, logs, the front cache and the shared cache.

A reader's address and name reach more than the database: the links of every email the site
sends (and so the access logs of nginx and gunicorn, and browser histories), the task worker's
log, every address the front nginx keeps a page under, and the comment sections stored in Redis.
Here each is shown to hold nothing readable, or to lose the name at once when it is erased, or
when its comment is unapproved, marked as spam or trashed. Real parts throughout: SMTP to a local
server, `manage.py run_worker`, gunicorn behind Debian's nginx with deploy/nginx/blog.conf (pages
kept an hour, so that only a purge can change them while a test runs), Redis.
"""

import base64
import contextlib
import re
import time
import zlib
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import links as comment_links
from comments.caching import section_key
from comments.models import Comment
from comments.moderation import moderate
from privacy import data
from privacy import links as privacy_links
from subscriptions import links as subscription_links
from subscriptions.models import Address, Subscription
from tests.servers import eventually
from tests.test_your_data import EMAIL, NAME, approve, ask_for_link, comment_as_guest, press, stored_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_through_smtp", "comments_from_one_test_client")]

BASE_DIR = Path(__file__).resolve().parent.parent
MODERATOR_EMAIL = "mod@example.com"
# What no link, log line or cached copy may show once it should not: the address, and the name's parts.
NEEDLES = (EMAIL, EMAIL.partition("@")[0], "zephyrine", "quillfeather")
URL = re.compile(r"https?://[^\s\"'<>]+")
TEXT_PARTS = ("text/plain", "text/html")
LINK_PATHS = ("/privacy/your-data/", "/subscriptions/confirm/", "/subscriptions/manage/", "/subscriptions/unsubscribe/",
              "/comments/moderate/")  # fmt: skip


def named(text: str) -> list[str]:
    """The needles `text` shows, looked for case-insensitively."""
    return [needle for needle in NEEDLES if needle.lower() in text.lower()]


# Links


def link_paths(smtp_server) -> list[str]:
    """The path of every emailed link to a page that opens with a token: in text, HTML and List-Unsubscribe."""
    found = []
    for received in smtp_server.messages:
        message = received.message
        parts = [part.get_content() for part in message.walk() if part.get_content_type() in TEXT_PARTS]
        for url in URL.findall("\n".join([*parts, message.get("List-Unsubscribe", "")])):
            path = urlsplit(url.rstrip(">.,")).path
            if path.startswith(LINK_PATHS) and path not in LINK_PATHS:
                found.append(path)
    return found


def readings(path: str) -> str:
    """All a stranger can read out of a link's path: as it is, percent-decoded, and each piece of it decoded from
    base64 (and unzipped), the way a value signed with Django's signing, JSON in base64, is read."""
    texts = [path, unquote(path)]
    for piece in re.split(r"[/:.]", unquote(path)):
        try:
            raw = base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
        except ValueError:
            continue
        texts.append(raw.decode("latin-1"))
        with contextlib.suppress(zlib.error):
            texts.append(zlib.decompress(raw).decode("latin-1"))
    return "\n".join(texts)


def test_no_emailed_link_shows_the_address_or_the_name_however_it_is_read(
    client, smtp_server, run_tasks, moderator, post
):
    """Moderation, confirm, manage, unsubscribe and data links, in text, HTML and List-Unsubscribe: nothing readable."""
    held = comment_as_guest(client, post, comment="Held for a moderator.", subscribe_comments="subscribe")
    run_tasks()  # the moderators' email and the confirmation
    confirmation = next(received for received in smtp_server.to(EMAIL) if "confirm" in received.subject.lower())
    confirm = next(path for path in link_paths(SimpleNamespace(messages=[confirmation])) if "/confirm/" in path)
    assert press(Client(enforce_csrf_checks=True), confirm).status_code == 200
    approve(held, moderator)  # "Your comment is now published"
    other = comment_as_guest(Client(), post, comment="Another view.", email="other@example.org", name="Other Reader")
    approve(other, moderator)  # the follower hears of it
    ask_for_link(Client(), EMAIL)
    run_tasks()

    paths = link_paths(smtp_server)
    assert {kind for kind in LINK_PATHS for path in paths if path.startswith(kind)} == set(LINK_PATHS)
    for path in paths:
        assert named(readings(path)) == [], path
        assert MODERATOR_EMAIL not in readings(path).lower(), path
    assert all(Client().get(path).status_code == 200 for path in paths if "/moderate/" not in path)


def sealed_tokens(post, make_comment, moderator) -> dict[str, tuple[str, str]]:
    """A token of every kind of link, and the address it opens at: {kind: (token, path)}."""
    address = Address.objects.for_email(EMAIL)
    subscription = Subscription.objects.create(address=address, post=post, confirmed_at=timezone.now())
    held = make_comment(post, status=Comment.Status.PENDING)
    urls = {
        "data": privacy_links.data_url(EMAIL),
        "confirm": subscription_links.confirm_url(address, [subscription.pk]),
        "manage": subscription_links.manage_url(address),
        "unsubscribe": subscription_links.unsubscribe_url(address, subscription.pk),
        "moderate": comment_links.moderation_link(held, "approve", moderator.pk),
    }
    return {kind: (urlsplit(url).path.split("/")[-2], urlsplit(url).path) for kind, url in urls.items()}


def test_a_link_of_one_kind_opens_as_no_other(post, make_comment, moderator):
    """Each kind's token, put in each other kind's address, is refused as not valid; in its own, it opens."""
    tokens = sealed_tokens(post, make_comment, moderator)
    for kind, (_, path) in tokens.items():
        for other, (token, _) in tokens.items():
            response = Client().get(path.replace(tokens[kind][0], token))
            if other == kind:
                assert response.status_code == 200, (kind, response.content.decode()[:300])
            else:
                assert response.status_code == 400, (other, "in", kind)
                assert "This link is not valid" in response.content.decode()


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 3000, "gAAAAA" + "B" * 120, "é" * 20, "%00%FF", "gAAAAA==", ".eJyLVkpKUYoFAAeuAig:1a:b"],
    ids=["short", "long", "fernet-shaped", "unicode", "bytes", "padding", "signing-shaped"],
)
def test_a_made_up_token_is_refused_by_every_kind_of_link(post, make_comment, moderator, token):
    """Whatever a stranger puts where a token goes, every kind of link answers 400 and shows nothing."""
    for kind, (real, path) in sealed_tokens(post, make_comment, moderator).items():
        response = Client().get(path.replace(real, token))
        assert response.status_code == 400, (kind, response.status_code)
        assert "This link is not valid" in response.content.decode()


def test_links_sent_before_links_were_sealed_work_until_they_expire(client, post, monkeypatch, settings):
    """A readable unsubscribe or data link from an older email still does its job, and still expires."""
    address = Address.objects.for_email(EMAIL)
    subscription = Subscription.objects.create(address=address, post=post, confirmed_at=timezone.now())
    old_unsubscribe = signing.dumps([address.pk, EMAIL, subscription.pk], salt="subscriptions.unsubscribe-link")
    old_data = signing.dumps(["data", EMAIL], salt="privacy.data-link", compress=True)

    one_click = {"List-Unsubscribe": "One-Click"}
    stopped = client.post(reverse("subscriptions:unsubscribe", args=[old_unsubscribe]), one_click)
    assert stopped.status_code == 200 and not Subscription.objects.filter(pk=subscription.pk).exists()
    assert client.get(reverse("privacy:your-data", args=[old_data])).status_code == 200

    later = time.time() + settings.PRIVACY_LINK_MAX_AGE + 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    assert client.get(reverse("privacy:your-data", args=[old_data])).status_code == 410


def test_a_link_sealed_before_the_secret_key_changed_opens_while_the_old_key_is_a_fallback(client, settings):
    """SECRET_KEY_FALLBACKS opens links sealed with a retired key, as it does Django's signed values; without it, no."""
    token = privacy_links.data_token(EMAIL)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key", [settings.SECRET_KEY]
    assert client.get(reverse("privacy:your-data", args=[token])).status_code == 200
    assert privacy_links.open_data_link(privacy_links.data_token(EMAIL)) == EMAIL  # new links: the new key

    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(reverse("privacy:your-data", args=[token])).status_code == 400


# Logs


@pytest.mark.django_db(transaction=True)
def test_the_task_workers_log_names_no_recipient(smtp_server, moderator, post, workers):
    """Held-comment, confirmation and data-link emails, and one the mail server refuses: the log has ids only."""
    refused = "nobody-here.quillfeather@example.org"
    smtp_server.refused.add(refused)
    worker = workers(
        EMAIL_URL=f"smtp://{smtp_server.host}:{smtp_server.port}",
        DEFAULT_FROM_EMAIL="blog@example.com",
        COMMENTS_MIN_SECONDS="0",
    )
    comment = comment_as_guest(Client(), post, comment="Held, and mailed about.", subscribe_comments="subscribe")
    ask_for_link(Client(), EMAIL)
    assert eventually(lambda: len(smtp_server.to(EMAIL)) == 2 and smtp_server.to(MODERATOR_EMAIL)), worker.log
    ask_for_link(Client(), refused, ip="192.0.2.51")  # last: a refusal holds the mail back for a minute
    assert eventually(lambda: "SMTPRecipientsRefused" in worker.log), worker.log
    log = worker.log
    worker.stop()

    assert named(log) == [] and refused not in log and MODERATOR_EMAIL not in log, log
    assert not re.search(r"\S@\S", log), log
    assert "task=comments.pipeline.check_for_spam id=" in log and f"args=[{comment.pk}]" in log
    assert f'args=["comments.notifications.compose", ["…", {comment.pk}, "…", {moderator.pk}]]' in log
    assert 'args=["privacy.emails.compose_data_link", ["…"]]' in log
    assert DBTaskResult.objects.filter(return_value__icontains=refused).exists()  # the task's row, which erasure covers


@pytest.fixture
def front(front_cache, settings):
    """nginx's front cache before one gunicorn (conftest), two top-level comments a page on both sides."""
    settings.COMMENTS_PER_PAGE = 2
    return front_cache(COMMENTS_PER_PAGE="2")


def get(front, path) -> httpx.Response:
    return httpx.get(front.url + path, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_opening_the_emailed_links_leaves_no_address_in_the_access_logs(front, post, make_comment, moderator):
    """Every kind of link, opened through nginx and gunicorn: neither log names the address it was sent to."""
    for kind, (_, path) in sealed_tokens(post, make_comment, moderator).items():
        assert get(front, path).status_code == 200, kind

    logs = front.access_log() + front.app.log
    assert "/privacy/your-data/" in logs and "/subscriptions/unsubscribe/" in logs
    assert named(readings(logs)) == [] and "@" not in logs


# The front cache


def thread_with_my_comments(post, make_comment) -> SimpleNamespace:
    """Five top-level comments (three pages of two), mine the newest (the article's own page) and a reply of mine
    on the first page: my name on both, and in the feeds."""
    first = make_comment(post, author_name="Olwen", body="The first word.")
    for number in range(3):
        make_comment(post, author_name=f"Tomos {number}", body=f"A middle word {number}.")
    reply = make_comment(post, parent=first, author_name=NAME, author_email=EMAIL, body="My reply on page one.")
    newest = make_comment(post, author_name=NAME, author_email=EMAIL, body="My word on the last page.")
    return SimpleNamespace(reply=reply, newest=newest)


def kept_addresses(post) -> list[str]:
    """Every address the front cache keeps a copy under that shows the thread: pages, their variants, feeds."""
    article = post.get_absolute_url()
    return [
        article,
        f"{article}comment-page-1/",
        f"{article}comment-page-3/",
        f"{article}?utm_source=newsletter&utm_medium=email",
        f"{article}comment-page-1/?fbclid=IwAR0abc",
        f"{article}feed/",
        f"{article}feed/atom/",
        "/comments/feed/",
        "/comments/feed/atom/",
    ]


def passed_by(post, comment) -> list[str]:
    """Addresses whose query string the page may depend on: never kept, always the site's answer."""
    article = post.get_absolute_url()
    return [f"{article}?replytocom={comment.pk}", f"{article}?x=1", f"{article}?page=3", f"{article}?UTM_SOURCE=x"]


def fill(front, addresses, shows: str) -> None:
    """Ask for each address twice: every copy the front cache keeps is made, and shows `shows` (case-insensitive)."""
    for path in addresses:
        get(front, path)
        response = get(front, path)
        assert response.status_code == 200, (path, response.status_code)
        assert shows.lower() in response.text.lower(), path


@pytest.mark.django_db(transaction=True)
def test_an_erased_name_leaves_every_cached_address_of_the_article_at_once(front, post, make_comment):
    """Pages, comment-page-N, tracker-tagged addresses and feeds: the next reader of each sees no trace of the name."""
    mine = thread_with_my_comments(post, make_comment)
    fill(front, kept_addresses(post) + passed_by(post, mine.reply), NAME)
    assert {get(front, path).headers["x-cache"] for path in kept_addresses(post)} == {"HIT"}
    assert {get(front, path).headers["x-cache"] for path in passed_by(post, mine.reply)} == {"BYPASS"}

    data.erase(data.holdings(EMAIL))

    for path in kept_addresses(post) + passed_by(post, mine.reply):
        response = get(front, path)
        assert response.status_code == 200 and named(response.text) == [], path
    assert "My reply on page one." in get(front, f"{post.get_absolute_url()}comment-page-1/").text


@pytest.mark.django_db(transaction=True)
def test_with_the_app_server_down_no_cached_address_brings_an_erased_name_back(front, post, make_comment):
    """Stale on error serves what the cache still has: after the erasure it has nothing with the name, however asked."""
    mine = thread_with_my_comments(post, make_comment)
    fill(front, kept_addresses(post), NAME)

    data.erase(data.holdings(EMAIL))
    front.app.stop()

    for _ in range(3):
        for path in kept_addresses(post) + passed_by(post, mine.reply):
            assert named(get(front, path).text) == [], path


@pytest.mark.django_db(transaction=True)
def test_an_erased_name_leaves_an_article_whose_address_is_not_ascii(front, make_post, make_comment):
    """The purge names the article's percent-encoded address; nginx keeps it decoded: the same key."""
    post = make_post("Хлеб на закваске", slug="хлеб-на-закваске")
    thread_with_my_comments(post, make_comment)
    assert "%d1%85" in post.get_absolute_url()  # WordPress writes it in lower case
    fill(front, kept_addresses(post)[:5], NAME)

    data.erase(data.holdings(EMAIL))

    assert all(named(get(front, path).text) == [] for path in kept_addresses(post)[:5])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["unapprove", "spam", "trash"])
def test_a_comment_taken_down_leaves_every_cached_address_and_stays_gone_while_the_app_is_down(
    front, post, make_comment, moderator, action
):
    """Unapproved, marked as spam or trashed: gone from every kept address for the next reader, and not served stale."""
    mine = thread_with_my_comments(post, make_comment)
    showing_it = [path for path in kept_addresses(post) if "comment-page-1/" not in path]
    fill(front, showing_it, "My word on the last page.")

    moderate(Comment.objects.get(pk=mine.newest.pk), action, moderator=moderator)

    for path in showing_it:
        assert "My word on the last page." not in get(front, path).text, path
    front.app.stop()
    for path in showing_it:
        assert "My word on the last page." not in get(front, path).text, path


def test_the_front_cache_ignores_only_query_parameters_the_site_never_reads():
    """No code or template of the site names a tag that deploy/nginx/blog.conf leaves out of a page's key."""
    conf = (BASE_DIR / "deploy" / "nginx" / "blog.conf").read_text()
    block = re.search(r"^map \$args \$blog_query_may_change_page \{\n(.*?)^\}", conf, flags=re.M | re.S).group(1)
    tags = re.search(r'"~\^\(\?:\(\?:([^)]+)\)', block).group(1).split("|")
    assert "fbclid" in tags and "utm_[A-Za-z_]+" in tags
    # A name in quotes, as code that reads a parameter writes it: 'fbclid', "utm_" and whatever follows.
    quoted = re.compile("|".join(rf"""["']{tag.replace("[A-Za-z_]+", "[A-Za-z_]*")}["']""" for tag in tags))
    folders = ("accounts", "blog", "comments", "config", "ops", "privacy", "static", "subscriptions", "templates")
    sources = [
        path
        for folder in (*folders, "wordpress")
        for path in (BASE_DIR / folder).rglob("*")
        if path.suffix in (".py", ".html", ".txt", ".js")
    ]
    assert len(sources) > 100
    naming = [(path.name, found) for path in sources for found in quoted.findall(path.read_text(errors="replace"))]
    assert naming == []
    assert quoted.search("request.GET.get('utm_campaign')") and not quoted.search('GET.get("page")')


# The shared cache


@pytest.fixture(params=["redis", "in-process"])
def shared_cache(request, settings):
    """The site's two caches: Redis (every value read back over its protocol), and the in-process one."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": server.url}}
        return lambda: b"\n".join(stored_values(server))
    return lambda: b"\n".join(cache._cache.values())  # LocMemCache keeps pickled values: text shows as UTF-8


def read_every_page(post) -> None:
    for page in ("", "comment-page-1/", "comment-page-2/", "comment-page-3/"):
        assert Client().get(post.get_absolute_url() + page).status_code == 200


def test_no_stored_section_of_any_version_keeps_an_erased_name(shared_cache, settings, post, make_comment, moderator):
    """Pages stored, the thread changed since (older versions of them are what was left behind), then erased."""
    settings.COMMENTS_PER_PAGE = 2
    thread_with_my_comments(post, make_comment)
    read_every_page(post)
    later = make_comment(post, author_name="Late Comer", status=Comment.Status.PENDING)
    approve(later, moderator)  # the thread's version moves on; read again, for pages of both versions
    read_every_page(post)
    assert NAME.encode() in shared_cache()

    data.erase(data.holdings(EMAIL))

    assert named(shared_cache().decode("utf-8", "replace")) == []
    assert all(cache.get(section_key(post.pk, number)) is None for number in range(1, 6))
    read_every_page(post)
    assert named(shared_cache().decode("utf-8", "replace")) == []


@pytest.mark.parametrize("action", ["unapprove", "spam", "trash"])
def test_no_stored_section_keeps_a_comment_taken_down(shared_cache, settings, post, make_comment, moderator, action):
    """Unapproved, marked as spam or trashed: no stored page of the thread, of whatever version, still holds it."""
    settings.COMMENTS_PER_PAGE = 2
    mine = thread_with_my_comments(post, make_comment)
    read_every_page(post)
    approve(make_comment(post, status=Comment.Status.PENDING), moderator)
    read_every_page(post)
    assert b"My word on the last page." in shared_cache()

    moderate(Comment.objects.get(pk=mine.newest.pk), action, moderator=moderator)

    assert b"My word on the last page." not in shared_cache()


# What the site says


def test_the_privacy_page_says_what_the_logs_keep_and_for_how_long(client):
    """What the logs hold, and their 14 days, as deploy/ keeps them (Debian's nginx logrotate, a journald drop-in)."""
    page = client.get(reverse("privacy:policy")).content.decode()
    logs = re.search(r'<h2 id="logs">(.*?)<h2', page, flags=re.S).group(1)
    for said in ("your IP address", "user-agent", "by number", "deleted after 14 days", "No email address", "sealed"):
        assert said in logs, said
    journald = (BASE_DIR / "deploy" / "systemd" / "journald.conf.d" / "blog.conf").read_text()
    assert "MaxRetentionSec=14day" in journald and "MaxFileSec=1day" in journald
