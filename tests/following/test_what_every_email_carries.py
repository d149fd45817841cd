"""What every email of subscriptions carries: a text and an HTML part, a manage link, List-Unsubscribe
with One-Click (RFC 8058) that a mail client's cookieless POST uses, and a commenter's words escaped
(HTML) or quoted (text), never passing for the site's own lines."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from subscriptions.models import Address, Subscription

from .conftest import approve, approved_comment, comment_as_guest, follower, link, subject

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def every_kind_of_email(client, smtp_server, run_tasks, moderator, post, *, name="Marianne", comment="Lovely."):
    """One email of each kind, received: confirm, new comment, digest, now published, new post."""
    follower("watcher@example.org", post)
    follower("reader@example.org")
    comment_as_guest(client, post, email="new@example.org", subscribe_comments=True)
    for _ in range(4):
        approved_comment(post, run_tasks, client, name=name, comment=comment)
    run_tasks()
    DBTaskResult.objects.filter(status="READY", task_path="subscriptions.followers.send_digest").update(
        run_after=timezone.now()
    )
    held = comment_as_guest(client, post, email="held@example.org", name=name, comment=comment)
    run_tasks()
    approve(held, moderator)
    Post.objects.create(
        title="Fresh ink",
        slug="fresh-ink",
        author=post.author,
        body="<p>New.</p>",
        excerpt="All new.",
        status=Post.Status.PUBLISHED,
    )
    run_tasks()
    run_tasks()
    return {
        "confirm": smtp_server.to("new@example.org")[0],
        "comment": smtp_server.to("watcher@example.org")[0],
        "digest": next(
            r for r in smtp_server.to("watcher@example.org") if re.match(r"\[.*\] \d+ new comment", subject(r))
        ),
        "published": smtp_server.to("held@example.org")[0],
        "new post": smtp_server.to("reader@example.org")[0],
    }


def test_every_email_has_text_and_html_and_one_click_unsubscribe(client, smtp_server, run_tasks, moderator, post):
    """Each kind of email: a text and an HTML part, a manage link, and List-Unsubscribe with One-Click (RFC 8058)."""
    received = every_kind_of_email(client, smtp_server, run_tasks, moderator, post)

    for kind, mail in received.items():
        message = mail.message
        assert message.get_body(("plain",)) and message.get_body(("html",)), kind
        unsubscribe = message["List-Unsubscribe"]
        assert re.fullmatch(r"<http://testserver/subscriptions/unsubscribe/[^/>]+/>", unsubscribe), (kind, unsubscribe)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", kind
        assert link(mail, "manage"), kind
        assert "/subscriptions/manage/" in message.get_body(("html",)).get_content(), kind
        assert "You get this email because" in mail.text, kind


def test_a_commenters_script_is_escaped_in_html_and_quoted_in_text(client, smtp_server, run_tasks, moderator, post):
    """A name and a comment carrying a script and a fake link reach every email escaped (HTML) and quoted (text)."""
    fake_line = "See what you follow, and stop any of it: https://evil.example/"
    received = every_kind_of_email(
        client, smtp_server, run_tasks, moderator, post, name=f"Mallory {SCRIPT}", comment=f"{SCRIPT}\n{fake_line}"
    )

    for kind in ("comment", "digest", "published"):
        html = received[kind].message.get_body(("html",)).get_content()
        assert "<script" not in html, kind
        assert "&lt;script&gt;" in html, kind
        offending = [
            line for line in received[kind].text.splitlines() if "evil.example" in line and not line.startswith("> ")
        ]
        assert offending == [], kind


def test_one_click_unsubscribe_works_with_a_post_and_does_nothing_on_get(client, smtp_server, run_tasks, post):
    """List-Unsubscribe's address: GET shows a button and changes nothing; a mail client's cookieless POST stops it."""
    subscription = follower("watcher@example.org", post)
    approved_comment(post, run_tasks, client)
    run_tasks()
    target = urlsplit(smtp_server.to("watcher@example.org")[0].message["List-Unsubscribe"].strip("<>")).path

    page = client.get(target)
    assert page.status_code == 200 and "Unsubscribe?" in page.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()

    refused = Client(enforce_csrf_checks=True).post(target, {"other": "x"})
    assert refused.status_code == 400 and Subscription.objects.filter(pk=subscription.pk).exists()

    mail_client = Client(enforce_csrf_checks=True)
    done = mail_client.post(target, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert mail_client.post(target, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again: already stopped

    approved_comment(post, run_tasks, client)
    run_tasks()
    assert len(smtp_server.to("watcher@example.org")) == 1


def test_the_confirmation_emails_one_click_stops_all_mail_to_the_address(client, smtp_server, run_tasks, post):
    """Someone else ticked the box with my address: one click on "never" and no confirmation comes again."""
    comment_as_guest(client, post, email="victim@example.org", subscribe_comments=True)
    run_tasks()
    target = urlsplit(smtp_server.to("victim@example.org")[0].message["List-Unsubscribe"].strip("<>")).path
    assert Client().post(target, {"List-Unsubscribe": "One-Click"}).status_code == 200

    comment_as_guest(client, post, email="victim@example.org", subscribe_blog=True, ip="192.0.2.99")
    run_tasks()
    assert len(smtp_server.to("victim@example.org")) == 1
    assert Address.objects.get(email="victim@example.org").opted_out
    assert not Subscription.objects.exists()
