"""Following the conversation (subscriptions/): what every test here shares.

Comments go through the real form view and pipeline; the tasks run in the real database queue
(`run_tasks`); mail goes through Django's SMTP backend to a real SMTP server on 127.0.0.1
(tests/fakes/smtp_server.py), and the links in the mails it receives are followed with the test
client. The helpers below are imported by the test modules (`from .conftest import ...`).
"""

import itertools
import re
from urllib.parse import urlsplit

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse
from django.utils import timezone

from comments import moderation
from comments.forms import issue_timestamp
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from subscriptions.models import Address, Subscription

_numbers = itertools.count(1)
URL = re.compile(r"https?://\S+")


@pytest.fixture(autouse=True)
def mail_to_the_test_smtp_server(mail_through_smtp, comments_from_one_test_client):
    """Mail goes to the test's SMTP server (tests/conftest.py), and a reader may comment as often as a test needs."""


def comment_as_guest(client, post, *, email=None, name=None, comment=None, ip="192.0.2.10", honeypot="", **boxes):
    """Post the comment form as a guest with JavaScript (token, timestamp, captcha fetched), ticking `boxes`; the
    comment, with `landing`, the address the reader is sent to."""
    number = next(_numbers)
    key = CaptchaStore.generate_key()
    data = {
        "comment": comment or f"I read it twice, remark {number}.",
        "name": name or f"Guest {number}",
        "email": email or f"guest{number}@example.net",
        "timestamp": issue_timestamp(post),
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        "address2": honeypot,
        **{box: "subscribe" for box, ticked in boxes.items() if ticked},
    }
    response = client.post(reverse("comments:post", args=[post.pk]), data, REMOTE_ADDR=ip)
    assert response.status_code == 302, response.content.decode()[:2000]
    comment = Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))
    comment.landing = response["Location"]  # the page the browser goes to next
    return comment


def urls_in(received) -> list[str]:
    return URL.findall(received.text)


def link(received, kind: str) -> str:
    """The path of the first `kind` link ("confirm", "manage", "unsubscribe") in a received email's text."""
    for url in urls_in(received):
        path = urlsplit(url).path
        if path.startswith(f"/subscriptions/{kind}/"):
            return path
    raise AssertionError(f"no {kind} link in:\n{received.text}")


def press(client, path, **data):
    """Open a page with a form (GET), then press its button: POST with the page's CSRF token and `data`."""
    page = client.get(path)
    assert page.status_code == 200, page.content.decode()[:1000]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(path, {"csrfmiddlewaretoken": token, **data})


def follower(email, post=None, *, confirmed=True) -> Subscription:
    """A subscription stored directly: `email` follows `post`'s comments (no post: the new posts)."""
    address = Address.objects.for_email(email)
    return Subscription.objects.create(address=address, post=post, confirmed_at=timezone.now() if confirmed else None)


def approve(comment, moderator):
    moderation.moderate(Comment.objects.get(pk=comment.pk), "approve", moderator=moderator)


def approved_comment(post, run_tasks, client, **fields) -> Comment:
    """A guest's comment through the form, held (no Akismet key), then approved as the rules approve a known author."""
    comment = comment_as_guest(client, post, **fields)
    run_tasks()
    comment.refresh_from_db()
    change_status(comment, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    return comment


def subject(received) -> str:
    """The Subject as a mail client shows it: Python's email package may fold a long one onto a line of its own."""
    return " ".join(received.subject.split())


def subjects(smtp_server, address):
    return [subject(received) for received in smtp_server.to(address)]
