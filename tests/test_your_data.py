"""Your comments and data: a commenter asks for a link, and through it sees, downloads and erases what the site holds.

Comments go through the real form and pipeline; tasks run in the real database queue (`run_tasks`);
mail goes over SMTP to a real server on 127.0.0.1 (tests/fakes/smtp_server.py), and the links in the
mails it receives are followed with the test client. Logins go through the local OAuth provider
(tests/fakes/oauth_server.py); Akismet is the loopback fake. The cookie, front-cache and cache checks
run against a real gunicorn, nginx and Redis.
"""

import itertools
import json
import re
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from axes.models import AccessAttempt
from captcha.models import CaptchaStore
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from redis import Redis

from comments import moderation, notifications
from comments.akismet import SENT_FIELDS
from comments.forms import issue_timestamp
from comments.models import Actor, Comment, CommentEvent, Reason, Status
from comments.retention import kept_here
from demo.provider import Person
from privacy import data, links
from privacy.models import DataRequest
from subscriptions import links as subscription_links
from subscriptions.models import Address, Subscription
from tests.servers import GuestBrowser
from tests.test_social_login import log_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_through_smtp", "comments_from_one_test_client")]

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.q@example.net"
WEBSITE = "https://zephyrine.example.net/"
IP = "198.51.100.77"
AGENT = "ZephyrBrowser/9.1 (X11; Quill)"
REFERRER = "https://search.example/?q=quillfeather"
# What must be gone from everywhere once erased, looked for case-insensitively.
NEEDLES = ("quillfeather", "zephyrine", IP, "zephyrbrowser")
URL = re.compile(r"https?://\S+")
_numbers = itertools.count(1)


# Helpers


def comment_as_guest(client, post, *, comment, email=EMAIL, name=NAME, url=WEBSITE, ip=IP, agent=AGENT, **fields):
    """Post the comment form as a guest with JavaScript (token, timestamp, captcha fetched), from `ip` with `agent`."""
    key = CaptchaStore.generate_key()
    form = {
        "comment": comment,
        "name": name,
        "email": email,
        "url": url,
        "timestamp": issue_timestamp(post),
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        **fields,
    }
    response = client.post(
        reverse("comments:post", args=[post.pk]), form, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, HTTP_REFERER=REFERRER
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def press(client, path, action=None, **data):
    """Open the page at `path`, then press a button of it: POST to `action` (or `path`) with its CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.content.decode()[:1000]
    return client.post(action or path, {"csrfmiddlewaretoken": csrf_token(page), **data})


def ask_for_link(client, email, *, ip="192.0.2.50"):
    page = client.get(reverse("privacy:request"))
    return client.post(
        reverse("privacy:request"), {"csrfmiddlewaretoken": csrf_token(page), "email": email}, REMOTE_ADDR=ip
    )


def data_links(smtp_server, email) -> list[str]:
    """The paths of the data links mailed to `email`, oldest first."""
    found = []
    for received in smtp_server.to(email):
        if "Your comments and data" in received.subject:
            paths = [urlsplit(url).path for url in URL.findall(received.text)]
            found += [path for path in paths if path != reverse("privacy:request")]
    return found


def emailed_link(client, smtp_server, run_tasks, email=EMAIL) -> str:
    """Ask for a link for `email`, let the worker send it, and return the path the email holds."""
    assert ask_for_link(client, email).status_code == 200
    run_tasks()
    return data_links(smtp_server, email)[-1]


def erase(client, link, choice="anonymize", **data):
    return press(client, link, action=link + "erase/", comments=choice, sure="on", **data)


def approve(comment, moderator):
    moderation.moderate(Comment.objects.get(pk=comment.pk), "approve", moderator=moderator)


def everything_in_the_database() -> str:
    """Every row of every table, as text, lower-cased: what a search for a left-over must find nothing in."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows += [f"{table}: {row!r}" for row in cursor.fetchall()]
    return "\n".join(rows).lower()


def left_over(text: str) -> list[str]:
    text = text.lower()
    return [needle for needle in NEEDLES if needle.lower() in text]


# The whole flow


def test_a_reader_sees_downloads_and_erases_their_data_through_the_emailed_link(
    client, smtp_server, run_tasks, moderator, post, make_post
):
    """Comments in two statuses and a subscription: the link shows them, the file holds them; erased, Anonymous."""
    other = make_post("Small tools, kept sharp")
    published = comment_as_guest(client, post, comment="Slow reading is a habit.", subscribe_comments="subscribe")
    comment_as_guest(client, other, comment="Screwdrivers deserve names.")
    run_tasks()
    approve(published, moderator)
    confirmation = next(m for m in smtp_server.to(EMAIL) if "confirm" in m.subject)
    confirm = next(urlsplit(u).path for u in URL.findall(confirmation.text) if "/subscriptions/confirm/" in u)
    assert press(Client(enforce_csrf_checks=True), confirm).status_code == 200
    run_tasks()

    reader = Client(enforce_csrf_checks=True)
    link = emailed_link(reader, smtp_server, run_tasks)
    page = reader.get(link)
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    for shown in ("Slow reading is a habit.", "Screwdrivers deserve names.", "Published", "Awaiting moderation"):
        assert shown in text
    assert post.title in text and other.title in text and IP in text and AGENT in text
    assert f'New comments on “<a href="{post.get_absolute_url()}">{post.title}</a>”' in text

    download = press(reader, link, action=link + "download/")
    assert download["Content-Type"] == "application/json"
    assert download["Content-Disposition"].startswith('attachment; filename="the-quiet-margin-your-data-')
    exported = json.loads(download.content)
    by_text = {item["text"]: item for item in exported["comments"]}
    assert by_text["Slow reading is a habit."]["where_it_stands"] == "Published"
    assert by_text["Slow reading is a habit."]["article"] == {
        "title": post.title,
        "address": f"http://testserver{post.get_absolute_url()}",
    }
    assert by_text["Screwdrivers deserve names."]["where_it_stands"] == "Awaiting moderation"
    assert {(item["name"], item["email"], item["website"]) for item in by_text.values()} == {(NAME, EMAIL, WEBSITE)}
    assert {(item["ip_address"], item["user_agent"], item["referrer"]) for item in by_text.values()} == {
        (IP, AGENT, REFERRER)
    }
    [followed] = exported["subscriptions"]["followed"]
    assert followed["article"]["title"] == post.title and followed["confirmed_at"]

    done = erase(reader, link)
    assert done.status_code == 200
    assert "Your data is erased" in done.content.decode()
    article = Client().get(post.get_absolute_url()).content.decode()
    assert "Slow reading is a habit." in article and "Anonymous" in article
    assert left_over(article) == []
    kept = Comment.objects.get(pk=published.pk)
    assert (kept.author_name, kept.author_email, kept.author_url, kept.ip_address, kept.user_agent) == (
        "Anonymous",
        "",
        "",
        None,
        "",
    )
    assert kept.status == Status.APPROVED and kept.data_erased_at
    assert kept.events.filter(note__contains="erased at their request", actor=Actor.AUTHOR).exists()
    assert not Address.objects.exists()
    assert list(DataRequest.objects.order_by("at").values_list("action", "requester", "comments", "subscriptions")) == [
        ("export", "owner", 2, 1),
        ("anonymize", "owner", 2, 1),
    ]


def test_asking_for_a_link_answers_the_same_whether_or_not_the_address_is_known(client, smtp_server, run_tasks, post):
    """A stranger learns nothing: an address with comments and one without get the same page, and each a link."""
    comment_as_guest(client, post, comment="Known here.")
    stranger = "nobody.here@example.org"

    known, unknown = ask_for_link(Client(), EMAIL), ask_for_link(Client(), stranger)

    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.content.decode().replace(EMAIL, "ADDRESS") == unknown.content.decode().replace(stranger, "ADDRESS")
    run_tasks()
    assert len(data_links(smtp_server, EMAIL)) == len(data_links(smtp_server, stranger)) == 1
    page = Client().get(data_links(smtp_server, stranger)[0]).content.decode()
    assert "Nothing: no comment, subscription or account on this site uses this address." in page


def test_every_email_the_site_sends_links_to_your_comments_and_data(
    client, smtp_server, run_tasks, moderator, make_user, make_post
):
    """Moderators', post author's, confirmation, new-comment, published, new-post and data-link emails all link it."""
    writer = make_user("writer", is_staff=True)
    post = make_post("Letters from the shed", author=writer)
    for followed in (post, None):
        Subscription.objects.create(
            address=Address.objects.for_email("follower@example.org"), post=followed, confirmed_at=timezone.now()
        )
    held = comment_as_guest(client, post, comment="A first word.", subscribe_comments="subscribe")
    run_tasks()
    approve(held, moderator)
    make_post("A new post for the followers", days_ago=0)
    ask_for_link(Client(), EMAIL)
    run_tasks()

    subjects = {received.subject for received in smtp_server.messages}
    for expected in (
        "Please moderate",
        "Comment:",
        "Please confirm",
        "New comment on",
        "is now published",
        "A new post",
    ):
        assert any(expected in subject for subject in subjects), (expected, subjects)
    assert any("Your comments and data" in subject for subject in subjects)
    footer = "Your comments and data: http://testserver/privacy/your-data/\n"
    for received in smtp_server.messages:
        assert footer in received.text, (received.subject, received.text)
        html = received.message.get_body(preferencelist=("html",))
        if html is not None:
            assert '<a href="http://testserver/privacy/your-data/"' in html.get_content()


# Hostile links


def _flip(character: str) -> str:
    return "B" if character != "B" else "C"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-1] + _flip(token[-1]), id="signature"),
        pytest.param(lambda token: token[:5] + _flip(token[5]) + token[6:], id="payload"),
        pytest.param(lambda token: token[: len(token) // 2], id="cut-short"),
        pytest.param(
            lambda token: subscription_links.manage_url(Address.objects.for_email(EMAIL)).split("/")[-2],
            id="another-links-token",
        ),
        pytest.param(lambda token: signing.dumps(["data", EMAIL]), id="signed-without-the-salt"),
    ],
)
def test_a_tampered_link_shows_and_changes_nothing(client, smtp_server, run_tasks, post, tamper):
    """A data link changed, cut short, or another link's token in its place is refused: GET, download and erase."""
    comment_as_guest(client, post, comment="Mine to keep.")
    token = emailed_link(client, smtp_server, run_tasks).split("/")[-2]
    link = reverse("privacy:your-data", args=[tamper(token)])

    for response in (client.get(link), client.post(link + "download/"), client.post(link + "erase/", {"sure": "on"})):
        assert response.status_code in (400, 403), response.status_code
        assert NAME not in response.content.decode()
    assert client.get(link).status_code == 400
    assert "This link is not valid" in client.get(link).content.decode()
    assert Comment.objects.get(body="Mine to keep.").author_name == NAME
    assert not DataRequest.objects.exists()


def test_an_expired_link_is_refused(client, smtp_server, run_tasks, post, monkeypatch):
    """Opened after PRIVACY_LINK_MAX_AGE (an hour), the link shows nothing and erases nothing."""
    comment_as_guest(client, post, comment="Mine to keep.")
    link = emailed_link(client, smtp_server, run_tasks)
    page = client.get(link)  # the form's token, fetched while the link was good
    later = time.time() + 3601
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: later))

    refused = client.get(link)
    assert refused.status_code == 410
    assert "This link has expired" in refused.content.decode() and NAME not in refused.content.decode()
    erased = client.post(link + "erase/", {"csrfmiddlewaretoken": csrf_token(page), "sure": "on"})
    assert erased.status_code == 410
    assert Comment.objects.get(body="Mine to keep.").author_name == NAME


def test_a_link_for_one_address_never_reaches_another(client, smtp_server, run_tasks, post):
    """The pages use the link's address alone: another address named in the form is neither shown nor erased."""
    comment_as_guest(client, post, comment="Mine.")
    theirs = comment_as_guest(client, post, comment="Someone else's.", email="other@example.org", name="Other Person")
    link = emailed_link(client, smtp_server, run_tasks)

    assert "Someone else" not in client.get(link).content.decode()
    erase(client, link, email="other@example.org", address="other@example.org")

    theirs.refresh_from_db()
    assert (theirs.author_name, theirs.author_email) == ("Other Person", "other@example.org")
    assert Comment.objects.get(body="Mine.").author_name == "Anonymous"


def test_a_replayed_link_finds_nothing_left_to_show_or_erase(client, smtp_server, run_tasks, post):
    """Opened again after the erasure, the link shows that nothing is held; pressing Erase again changes nothing."""
    comment_as_guest(client, post, comment="Gone soon.")
    link = emailed_link(client, smtp_server, run_tasks)
    erase(client, link)

    again = client.get(link).content.decode()
    assert "Nothing: no comment, subscription or account" in again and NAME not in again
    assert erase(client, link).status_code == 200
    assert list(DataRequest.objects.order_by("at").values_list("comments", flat=True)) == [1, 0]
    assert Comment.objects.get(body="Gone soon.").author_name == "Anonymous"


def test_a_flood_from_one_network_is_refused_and_one_address_gets_few_links(settings, smtp_server, run_tasks):
    """Past PRIVACY_RATE_REQUESTS an IP address gets 429s; past PRIVACY_LINKS_PER_ADDRESS the same answer, no mail."""
    settings.PRIVACY_RATE_REQUESTS = ["5/d", "100/d"]  # a day: no window ends inside the test
    settings.PRIVACY_LINKS_PER_ADDRESS = "3/d"

    from_one_ip = [ask_for_link(Client(), f"flood{n}@example.org", ip="203.0.113.9").status_code for n in range(8)]
    at_one_address = [ask_for_link(Client(), EMAIL, ip=f"192.0.2.{n}").status_code for n in range(1, 7)]

    assert from_one_ip == [200] * 5 + [429] * 3
    assert at_one_address == [200] * 6
    run_tasks()
    assert len(data_links(smtp_server, EMAIL)) == 3
    assert sum(len(data_links(smtp_server, f"flood{n}@example.org")) for n in range(8)) == 5


def test_script_in_every_field_stays_text_on_every_page(client, smtp_server, run_tasks, post):
    """A name, comment, website, user agent and referrer carrying markup are shown escaped, and downloaded as data."""
    script = "<script>alert('x')</script>"
    comment_as_guest(
        client, post, comment=f"Hello {script}", name=f"Eve {script}", url="https://eve.example/?q=<b>", agent=script
    )
    link = emailed_link(client, smtp_server, run_tasks)

    page = client.get(link).content.decode()
    assert script not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    download = press(client, link, action=link + "download/")
    assert download["Content-Type"] == "application/json" and download["X-Content-Type-Options"] == "nosniff"
    assert json.loads(download.content)["comments"][0]["name"] == f"Eve {script}"
    assert script not in erase(client, link).content.decode()


# What erasing reaches


def test_nothing_erased_remains_anywhere_in_the_database(
    client, providers, smtp_server, run_tasks, moderator, post, make_comment, admin_user
):
    """Comments, history notes, subscriptions, sessions, social accounts, the admin's log, login attempts, the queue."""
    providers.person = Person(NAME, EMAIL, profile_url=WEBSITE)
    reader = Client()
    log_in(reader, providers, "google", post)
    account = get_user_model().objects.get(email=EMAIL)
    form = {"comment": "Written while logged in.", "timestamp": issue_timestamp(post), "subscribe_blog": "subscribe"}
    reader.post(reverse("comments:post", args=[post.pk]), form, REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    guest = comment_as_guest(Client(), post, comment="Written as a guest.", subscribe_comments="subscribe")
    run_tasks()
    approve(guest, moderator)
    make_comment(post, parent=Comment.objects.get(pk=guest.pk), body="An answer from someone else.")
    CommentEvent.objects.record(guest, actor=Actor.MODERATOR, moderator=moderator, note=f"Wrote to {NAME} about it.")
    LogEntry.objects.log_actions(admin_user.pk, [Comment.objects.get(pk=guest.pk)], CHANGE, change_message="[]")
    Client().post(reverse("admin:login"), {"username": EMAIL, "password": "guess"}, REMOTE_ADDR=IP)
    run_tasks()
    assert left_over(everything_in_the_database()) == list(NEEDLES)  # all of it is there to start with
    assert SocialAccount.objects.filter(user=account).exists() and AccessAttempt.objects.exists()

    link = emailed_link(Client(), smtp_server, run_tasks)
    assert erase(reader, link).status_code == 200

    assert left_over(everything_in_the_database()) == []
    assert not get_user_model().objects.filter(pk=account.pk).exists()
    assert not EmailAddress.objects.filter(email__iexact=EMAIL).exists()
    assert not Session.objects.exists()
    assert Comment.objects.filter(body__in=["Written while logged in.", "Written as a guest."]).count() == 2
    assert CommentEvent.objects.filter(note=f"Wrote to {NAME} about it.").count() == 0
    assert DataRequest.objects.get().sessions == 1


def test_tasks_queued_before_an_erasure_send_nothing_of_it_afterwards(
    client, smtp_server, run_tasks, akismet_fake, moderator, post, make_comment
):
    """A spam check, an Akismet report, the moderators' email, "now published": queued, then erased, none sends it."""
    checked = comment_as_guest(client, post, comment="Waiting for the spam check.")
    corrected = make_comment(post, author_name=NAME, author_email=EMAIL, ip_address=IP, status=Status.SPAM)
    moderation.moderate(corrected, "not_spam", moderator=moderator)  # queues the report to Akismet
    approved = make_comment(post, author_name=NAME, author_email=EMAIL, ip_address=IP, status=Status.PENDING)
    approve(approved, moderator)  # queues "Your comment ... is now published"
    notifications.comment_held(Comment.objects.get(pk=checked.pk))  # queues the moderators' email
    queued = DBTaskResult.objects.filter(status="READY").count()

    data.erase(data.holdings(EMAIL))
    run_tasks()

    assert queued >= 4
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing failed, to be tried again
    assert not Address.objects.exists()  # "now published" asked for no address without one
    assert akismet_fake.requests == []
    assert Comment.objects.get(pk=checked.pk).reason == Reason.DATA_ERASED
    assert smtp_server.to(EMAIL) == []
    held = [received for received in smtp_server.to("mod@example.com") if "Please moderate" in received.subject]
    assert held and all("Author: Anonymous" in received.text for received in held)
    assert left_over("\n".join(received.message.as_string() for received in smtp_server.messages)) == []


def test_deleting_entirely_keeps_the_replies_of_others_in_the_thread(
    client, smtp_server, run_tasks, post, make_comment
):
    """Chosen deletion removes the reader's comments; those others answered stay as empty placeholders ("deleted by
    its author"), the replies others wrote in place under them."""
    mine = make_comment(post, author_name=NAME, author_email=EMAIL, body="My opening remark.")
    answer = make_comment(post, parent=mine, author_name="Olwen", body="Olwen answers.")
    my_reply = make_comment(post, parent=answer, author_name=NAME, author_email=EMAIL, body="My rejoinder.")
    last = make_comment(post, parent=my_reply, author_name="Tomos", body="Tomos has the last word.")
    link = emailed_link(client, smtp_server, run_tasks)

    assert erase(client, link, choice="delete").status_code == 200

    emptied = Comment.objects.filter(pk__in=[mine.pk, my_reply.pk])
    assert {(c.status, c.reason, c.author_name, c.author_email, c.body) for c in emptied} == {
        (Status.TRASH, Reason.AUTHOR_DELETED, "", "", "")
    }
    answer.refresh_from_db()
    last.refresh_from_db()
    assert (answer.parent_id, answer.depth, answer.root_id) == (mine.pk, 2, mine.pk)
    assert (last.parent_id, last.depth, last.root_id) == (my_reply.pk, 4, mine.pk)
    article = Client().get(post.get_absolute_url()).content.decode()
    assert "Olwen answers." in article and "Tomos has the last word." in article
    assert article.count("This comment was deleted by its author.") == 2
    assert "My opening remark." not in article and left_over(article) == []
    assert DataRequest.objects.get().action == "delete"


def test_a_site_that_keeps_erased_comments_offers_no_deletion(client, smtp_server, run_tasks, post, settings):
    """With PRIVACY_ALLOW_DELETING_COMMENTS off, the choice is not offered and a forged one is refused."""
    settings.PRIVACY_ALLOW_DELETING_COMMENTS = False
    comment_as_guest(client, post, comment="Kept, whatever happens.")
    link = emailed_link(client, smtp_server, run_tasks)

    assert "Delete them entirely" not in client.get(link).content.decode()
    assert erase(client, link, choice="delete").status_code == 400
    assert Comment.objects.get(body="Kept, whatever happens.").author_name == NAME


def test_each_erasure_choice_says_beside_it_what_it_does(client, smtp_server, run_tasks, post, settings):
    """The default keeps the text as Anonymous, the other deletes: each says so under it, tied to its radio button;
    "disappear" is said of deletion only, and not at all where deletion is not offered."""
    comment_as_guest(client, post, comment="Which shall it be?")
    link = emailed_link(client, smtp_server, run_tasks)

    page = client.get(link).content.decode()

    choices = re.findall(r'<input type="radio" name="comments" value="(\w+)"([^>]*)>', page)
    assert [value for value, _ in choices] == ["anonymize", "delete"] and "checked" in choices[0][1]
    effects = {}
    for value, attributes in choices:
        described_by = re.search(r'aria-describedby="([^"]+)"', attributes).group(1)
        effects[value] = re.search(rf'id="{described_by}">(.*?)</p>', page, re.S).group(1)
    assert "“Anonymous” replaces the name" in effects["anonymize"] and "disappear" not in effects["anonymize"]
    assert "The comments disappear from the articles at once." in effects["delete"]
    assert page.count("disappear") == 1

    settings.PRIVACY_ALLOW_DELETING_COMMENTS = False
    page = client.get(link).content.decode()
    assert "“Anonymous” replaces the name" in page and "disappear" not in page


def test_erasing_without_ticking_the_box_changes_nothing(client, smtp_server, run_tasks, post):
    """The confirmation box is required: without it the page comes back with a message."""
    comment_as_guest(client, post, comment="Still mine.")
    link = emailed_link(client, smtp_server, run_tasks)

    response = press(client, link, action=link + "erase/", comments="anonymize")

    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert Comment.objects.get(body="Still mine.").author_name == NAME


# The admin


@pytest.fixture
def owner(make_user):
    return make_user("owner", is_staff=True, is_superuser=True)


def test_the_admin_finds_downloads_and_erases_an_address_after_a_confirmation(client, owner, post, make_comment):
    """For a request by post: find the address, download (logged), confirm, erase (logged with who did it)."""
    make_comment(post, author_name=NAME, author_email=EMAIL, body="Sent by letter.")
    client.force_login(owner)

    found = client.post(reverse("admin:privacy_datarequest_find"), {"email": EMAIL})
    assert found.status_code == 200 and NAME in found.content.decode()
    download = client.post(reverse("admin:privacy_datarequest_download"), {"email": EMAIL})
    assert json.loads(download.content)["comments"][0]["text"] == "Sent by letter."
    asked = client.post(reverse("admin:privacy_datarequest_erase"), {"email": EMAIL})
    assert asked.status_code == 200 and "Yes, erase it" in asked.content.decode()
    unticked = client.post(reverse("admin:privacy_datarequest_erase"), {"email": EMAIL, "confirmed": "yes"})
    assert unticked.status_code == 200 and Comment.objects.get().author_name == NAME

    done = client.post(
        reverse("admin:privacy_datarequest_erase"),
        {"email": EMAIL, "confirmed": "yes", "comments": "anonymize", "sure": "on"},
    )

    assert done.status_code == 302
    assert Comment.objects.get().author_name == "Anonymous"
    assert Comment.objects.get().events.get().moderator == owner
    log = list(DataRequest.objects.order_by("at").values_list("action", "requester", "moderator_name"))
    assert log == [("export", "moderator", "owner"), ("anonymize", "moderator", "owner")]
    listing = client.get(reverse("admin:privacy_datarequest_changelist")).content.decode()
    assert "owner" in listing and EMAIL not in listing


def test_staff_without_the_permissions_may_not_find_download_or_erase(client, moderator, post, make_comment):
    """A moderator without the personal-data permissions is refused all three."""
    make_comment(post, author_name=NAME, author_email=EMAIL)
    client.force_login(moderator)

    for name in ("find", "download", "erase"):
        assert client.post(reverse(f"admin:privacy_datarequest_{name}"), {"email": EMAIL}).status_code == 403
    assert Comment.objects.get().author_name == NAME


# The privacy page


def test_the_privacy_page_says_how_long_each_detail_sent_to_akismet_is_kept(client, settings):
    """Every field sent to Akismet is listed with how long it is kept here; every period is the setting in force."""
    settings.AKISMET_API_KEY = "a-key"
    settings.COMMENTS_IP_RETENTION_DAYS = 45
    settings.COMMENTS_TRASH_RETENTION_DAYS = 21
    settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE = 2 * 24 * 3600

    page = client.get(reverse("privacy:policy")).content.decode()

    assert set(kept_here()) == set(SENT_FIELDS)
    for field in SENT_FIELDS:
        item = re.search(rf"<li><code>{field}</code>: (.*?)</li>", page).group(1)
        assert "Kept here: " in item, field
    assert "45 days, then deleted from your comment" in re.search(r"<code>user_ip</code>(.*?)</li>", page).group(1)
    assert "Comments moved to the Trash are deleted after 21 days." in page
    text = " ".join(page.split())
    assert "all of it is forgotten after 2 days" in text
    assert "in your browser for 365 days" in text and "awaiting moderation, for 30 days" in text
    assert f'<a href="{reverse("privacy:request")}">Your comments and data</a>' in page


@pytest.mark.parametrize("notifies", [True, False])
def test_the_privacy_page_says_a_commenter_is_emailed_when_their_held_comment_is_approved(client, settings, notifies):
    """With COMMENTS_NOTIFY_COMMENTER_OF_APPROVED on the page says the commenter is emailed; off, it does not."""
    settings.COMMENTS_NOTIFY_COMMENTER_OF_APPROVED = notifies

    text = " ".join(client.get(reverse("privacy:policy")).content.decode().split())

    said = "you are emailed once, at the address you gave, when a moderator approves it"
    assert (said in text) is notifies
    assert ("is now published" in text) is notifies


# Against real servers


@pytest.mark.django_db(transaction=True)
def test_erasing_clears_the_readers_cookies_through_gunicorn(gunicorn, post):
    """The erasure's answer, through gunicorn, deletes the remembered details, own-comments and reporter cookies."""
    server = gunicorn(COMMENTS_MIN_SECONDS="0")
    with GuestBrowser(server.url) as guest:
        posted = guest.post_comment(post, name=NAME, email=EMAIL, remember="yes")
        assert posted.status_code == 302
        assert {"comment_author", "comment_author_email", "comments_own"} <= set(guest.http.cookies.keys())
        link = reverse("privacy:your-data", args=[links.data_token(EMAIL)])
        page = guest.http.get(link)
        answer = guest.http.post(
            link + "erase/",
            data={"csrfmiddlewaretoken": csrf_token(SimpleNamespace(content=page.content)), "comments": "anonymize",
                  "sure": "on"},
            headers={"Origin": server.url, "Referer": server.url + link},
        )  # fmt: skip

    assert answer.status_code == 200, answer.text[:500]
    cleared = {
        cookie.split("=", 1)[0]
        for cookie in answer.headers.get_list("set-cookie")
        if "Max-Age=0" in cookie and "expires=Thu, 01 Jan 1970" in cookie
    }
    assert {
        "comment_author",
        "comment_author_email",
        "comment_author_url",
        "comments_own",
        "comments_reporter",
    } <= cleared
    assert "comment_author" not in guest.http.cookies
    assert Comment.objects.get(body="A reply sent over real HTTP.").author_name == "Anonymous"


@pytest.fixture
def front(front_cache):
    """nginx's front cache before one gunicorn (conftest)."""
    return front_cache()


@pytest.mark.django_db(transaction=True)
def test_an_erased_name_leaves_the_cached_article_for_every_reader_at_once(front, post, make_comment):
    """The front cache keeps the article with the name; once erased, the very next anonymous reader sees Anonymous."""
    make_comment(post, author_name=NAME, author_email=EMAIL, author_url=WEBSITE, body="Cached with my name.")
    for _ in range(3):
        cached = httpx.get(front.url + post.get_absolute_url(), timeout=60)
    assert cached.headers["x-cache"] == "HIT" and NAME in cached.text

    data.erase(data.holdings(EMAIL))

    after = httpx.get(front.url + post.get_absolute_url(), timeout=60)
    assert "Cached with my name." in after.text and "Anonymous" in after.text
    assert left_over(after.text) == []


def stored_values(server) -> list[bytes]:
    """Every value Redis holds (django-redis pickles them: text shows as its UTF-8 bytes)."""
    connection = Redis.from_url(server.url)
    try:
        return [connection.get(key) or b"" for key in connection.scan_iter()]
    finally:
        connection.close()


def test_no_copy_of_an_erased_comment_is_left_in_the_shared_cache(settings, redis_server, client, post, make_comment):
    """The stored thread that held the name is deleted from Redis, not only left behind under an old key."""
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server.url}}
    make_comment(post, author_name=NAME, author_email=EMAIL, body="Stored in the cache.")
    for _ in range(2):
        assert NAME in client.get(post.get_absolute_url()).content.decode()
    assert any(NAME.encode() in value for value in stored_values(redis_server))

    data.erase(data.holdings(EMAIL))

    assert not any(NAME.encode() in value for value in stored_values(redis_server))
    assert "Anonymous" in client.get(post.get_absolute_url()).content.decode()
