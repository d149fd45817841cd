"""Following the conversation: the two "Notify me" boxes, double opt-in, new-comment, reply, digest,
"now published" and new-post emails, the reader's page and one-click unsubscribe, and the admin.

Comments go through the real form view and pipeline; the tasks run in the real database queue
(`run_tasks`); mail goes through Django's SMTP backend to a real SMTP server on 127.0.0.1
(tests/fakes/smtp_server.py), and the links in the mails it receives are followed with the test
client. A worker killed in the middle of a new-post batch is a real `manage.py db_worker` process.
"""

import itertools
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from captcha.models import CaptchaStore
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from comments import moderation
from comments.forms import issue_timestamp
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from devtools.stack import BASE_DIR, database_url, stop_process
from subscriptions import links
from subscriptions.announcements import NEW_POST_WINDOW
from subscriptions.models import Address, Announcement, CommentNotice, Delivery, DeliveryState, Subscription
from tests.test_social_login import log_in, post_comment

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
NEW_COMMENTS = "Notify me of new comments via email."
NEW_POSTS = "Notify me of new posts via email."
URL = re.compile(r"https?://\S+")
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def mail_through_smtp(mail_through_smtp, settings):
    """Mail goes to the test's SMTP server (conftest), and a reader may comment as often as a test needs."""
    settings.COMMENTS_FLOOD_SECONDS = 0
    return mail_through_smtp


@pytest.fixture
def moderator(make_user):
    """A staff user in the Moderators group."""
    user = make_user("mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


# Helpers


def comment_as_guest(client, post, *, email=None, name=None, comment=None, ip="192.0.2.10", honeypot="", **boxes):
    """Post the comment form as a guest with JavaScript (token, timestamp, captcha fetched), ticking `boxes`."""
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
    return Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))


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


# The boxes under the form


def test_the_form_has_both_boxes_unticked_and_the_same_for_every_guest(post):
    """Under the form: WordPress.com's two boxes, unticked, in an article page that is the same bytes for everyone."""
    first, second = Client().get(post.get_absolute_url()), Client().get(post.get_absolute_url())
    page = first.content.decode()

    assert first.content == second.content
    for name, label in [("subscribe_comments", NEW_COMMENTS), ("subscribe_blog", NEW_POSTS)]:
        box = re.search(rf'<input type="checkbox" name="{name}" value="subscribe" id="id_{name}">', page)
        assert box, f"{name} missing or ticked"
        assert f'<label for="id_{name}">{label}</label>' in page


def test_ticking_both_boxes_sends_one_confirmation_and_nothing_else(client, smtp_server, run_tasks, post):
    """Both boxes ticked: two subscriptions wait, and the address gets one email asking to confirm both."""
    comment = comment_as_guest(client, post, subscribe_comments=True, subscribe_blog=True)
    run_tasks()

    waiting = Subscription.objects.filter(address__email=comment.author_email)
    assert {(sub.post_id, sub.confirmed) for sub in waiting} == {(post.pk, False), (None, False)}
    [received] = smtp_server.to(comment.author_email)
    assert subject(received) == "[The Quiet Margin] Please confirm your subscription"
    assert f'- new comments on "{post.title}"\n- new posts on The Quiet Margin' in received.text
    assert link(received, "confirm")


def test_an_unticked_form_subscribes_nobody(client, smtp_server, run_tasks, post):
    """No box ticked: no address stored, no email to the commenter."""
    comment = comment_as_guest(client, post)
    run_tasks()

    assert not Address.objects.exists()
    assert smtp_server.to(comment.author_email) == []


def test_a_filled_honeypot_asks_for_nothing(client, smtp_server, run_tasks, post):
    """A robot's comment (hidden honeypot filled) with the boxes ticked stores no address and sends no email."""
    comment = comment_as_guest(
        client, post, subscribe_comments=True, subscribe_blog=True, honeypot="http://spam.example/"
    )
    run_tasks()

    assert Comment.objects.get(pk=comment.pk).status == Status.SPAM
    assert not Address.objects.exists()
    assert smtp_server.to(comment.author_email) == []


def test_the_confirmation_link_asks_first_and_the_button_confirms(client, smtp_server, run_tasks, post):
    """GET on the link shows what it confirms and changes nothing; the button's POST confirms both."""
    comment = comment_as_guest(client, post, subscribe_comments=True, subscribe_blog=True)
    run_tasks()
    path = link(smtp_server.to(comment.author_email)[0], "confirm")

    page = client.get(path)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    assert "Confirm your subscription" in page.content.decode()
    assert not Subscription.objects.confirmed().exists()

    done = press(Client(enforce_csrf_checks=True), path)
    assert done.status_code == 200
    assert "You are subscribed" in done.content.decode()
    assert Subscription.objects.confirmed().count() == 2
    assert not Subscription.objects.exclude(ip_address=None).exists()  # not kept once confirmed


def test_without_javascript_the_ticked_boxes_survive_the_confirm_page(smtp_server, run_tasks, post):
    """The cached page's form (no token, no timestamp) comes back ticked on the "almost done" page, and then counts."""
    browser = Client(enforce_csrf_checks=True)
    typed = {
        "comment": "No script here.",
        "name": "Ada",
        "email": "ada-nojs@example.net",
        "subscribe_comments": "subscribe",
    }
    confirm_page = browser.post(reverse("comments:post", args=[post.pk]), {**typed, "timestamp": ""})

    page = confirm_page.content.decode()
    assert confirm_page.status_code == 200 and "Almost done" in page
    assert re.search(r'name="subscribe_comments" value="subscribe" id="id_subscribe_comments" checked>', page)
    assert re.search(r'name="subscribe_blog" value="subscribe" id="id_subscribe_blog">', page)
    fields = dict(
        re.findall(r'<input type="hidden"\s+name="(csrfmiddlewaretoken|timestamp|captcha_0)"\s+value="([^"]*)"', page)
    )
    answer = CaptchaStore.objects.get(hashkey=fields["captcha_0"]).response
    posted = browser.post(reverse("comments:post", args=[post.pk]), {**typed, **fields, "captcha_1": answer})
    assert posted.status_code == 302
    run_tasks()

    assert [(sub.post_id, sub.confirmed) for sub in Subscription.objects.all()] == [(post.pk, False)]
    assert len(smtp_server.to("ada-nojs@example.net")) == 1


def test_a_reader_whose_provider_verified_the_address_skips_confirmation(
    client, providers, smtp_server, run_tasks, post
):
    """Logged in with Google (which reports the address verified), the boxes subscribe at once, no email needed."""
    log_in(client, providers, "google", post)
    assert EmailAddress.objects.get(email="marianne@example.com").verified
    post_comment(client, post, "The broad beans are up.", subscribe_comments="subscribe", subscribe_blog="subscribe")
    run_tasks()

    assert Subscription.objects.confirmed().filter(address__email="marianne@example.com").count() == 2
    assert not Subscription.objects.exclude(ip_address=None).exists()  # not kept once confirmed
    assert smtp_server.to("marianne@example.com") == []


def test_a_logged_in_reader_with_an_unverified_address_confirms_like_a_guest(
    client, make_user, smtp_server, run_tasks, post
):
    """An account whose address nobody verified (staff logged in at the admin, say) gets the confirmation email."""
    user = make_user("reader")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    response = client.post(
        reverse("comments:post", args=[post.pk]),
        {"comment": "Logged in.", "timestamp": issue_timestamp(post), "subscribe_comments": "subscribe"},
    )
    assert response.status_code == 302
    run_tasks()

    assert not Subscription.objects.confirmed().exists()
    assert subjects(smtp_server, user.email) == ["[The Quiet Margin] Please confirm your subscription"]


# Nobody subscribes someone else


def test_confirmation_emails_are_rationed_per_address(client, smtp_server, run_tasks, make_post, settings):
    """Five comments on five posts naming one victim's address, from five addresses: three confirmation emails a day."""
    for number in range(5):
        comment_as_guest(
            client, make_post(), email="victim@example.org", ip=f"198.51.100.{number}", subscribe_comments=True
        )
    run_tasks()

    assert len(smtp_server.to("victim@example.org")) == settings.SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS == 3
    assert not Subscription.objects.confirmed().exists()


def test_confirmation_emails_are_rationed_per_ip_address(client, smtp_server, run_tasks, post, settings):
    """One IP address naming twelve addresses gets ten confirmation emails sent in an hour, no more."""
    for number in range(12):
        comment_as_guest(client, post, email=f"someone{number}@example.org", subscribe_blog=True)
    run_tasks()

    assert len(smtp_server.messages) == settings.SUBSCRIPTIONS_CONFIRMATIONS_PER_IP == 10


def test_a_second_comment_with_the_box_ticked_asks_nothing_new_within_the_hour(client, smtp_server, run_tasks, post):
    """The same reader ticking the same box twice in a row gets one confirmation email, not two."""
    comment_as_guest(client, post, email="twice@example.org", subscribe_comments=True)
    comment_as_guest(client, post, email="Twice@Example.org", subscribe_comments=True)
    run_tasks()

    assert len(smtp_server.to("twice@example.org")) == 1
    assert Address.objects.count() == 1


def test_a_comment_found_to_be_spam_sends_no_confirmation(client, smtp_server, run_tasks, akismet_fake, post):
    """Akismet calls the comment spam before the confirmation goes out: the address is not emailed."""
    akismet_fake.mode = "spam"
    comment = comment_as_guest(client, post, email="victim@example.org", subscribe_comments=True)
    results = run_tasks()

    comment.refresh_from_db()
    assert comment.status == Status.SPAM
    assert smtp_server.to("victim@example.org") == []
    assert "not sent: nothing left to confirm" in " ".join(str(result.return_value) for result in results)


def test_an_unconfirmed_subscription_expires(client, smtp_server, run_tasks, monkeypatch, post, settings):
    """Past SUBSCRIPTIONS_CONFIRM_MAX_AGE the link is refused and the waiting subscription is forgotten, unused."""
    comment_as_guest(client, post, email="late@example.org", subscribe_comments=True)
    run_tasks()
    path = link(smtp_server.to("late@example.org")[0], "confirm")
    later = time.time() + settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE + 60
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: later))
    Subscription.objects.update(
        requested_at=timezone.now() - timedelta(seconds=settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE + 60)
    )

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "This confirmation link has expired" in response.content.decode()
    comment_as_guest(client, post, email="next@example.org", subscribe_blog=True)  # the next request sweeps them away
    assert not Subscription.objects.filter(address__email="late@example.org").exists()


def _flip(character: str) -> str:
    return "B" if character != "B" else "C"


@pytest.mark.parametrize("kind", ["confirm", "manage", "unsubscribe"])
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-1] + _flip(token[-1]), id="signature"),
        pytest.param(lambda token: token[:3] + _flip(token[3]) + token[4:], id="payload"),
        pytest.param(lambda token: token[: len(token) // 2], id="cut-short"),
    ],
)
def test_a_tampered_link_is_refused(client, kind, tamper):
    """A link whose token was changed or cut short is refused, GET and POST, and changes nothing."""
    subscription = follower("reader@example.org", confirmed=False)
    address = subscription.address
    url = {
        "confirm": links.confirm_url(address, [subscription.pk]),
        "manage": links.manage_url(address),
        "unsubscribe": links.unsubscribe_url(address, subscription.pk),
    }[kind]
    token = urlsplit(url).path.split("/")[3]
    path = reverse(f"subscriptions:{kind}", args=[tamper(token)])

    for response in (
        client.get(path),
        client.post(path, {"List-Unsubscribe": "One-Click", "action": "stop-everything"}),
    ):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    subscription.refresh_from_db()
    assert not subscription.confirmed and not Address.objects.get().opted_out


def test_one_kind_of_link_cannot_pass_for_another(client):
    """A manage link's token used as an unsubscribe or confirmation link is refused: each kind has its own salt."""
    subscription = follower("reader@example.org")
    token = urlsplit(links.manage_url(subscription.address)).path.split("/")[3]

    for kind in ("unsubscribe", "confirm"):
        response = client.post(reverse(f"subscriptions:{kind}", args=[token]), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_link_for_one_address_cannot_stop_anothers_subscription(client):
    """On Alice's page, a form naming Bob's subscription stops nothing of Bob's."""
    alice, bob = follower("alice@example.org"), follower("bob@example.org")

    response = press(
        Client(enforce_csrf_checks=True),
        urlsplit(links.manage_url(alice.address)).path,
        action="stop",
        subscription=bob.pk,
    )

    assert response.status_code == 200
    assert "That was already stopped." in response.content.decode()
    assert Subscription.objects.filter(pk=bob.pk).exists() and Subscription.objects.filter(pk=alice.pk).exists()


def test_a_link_for_a_forgotten_address_is_refused_even_if_its_id_is_reused(client):
    """An address deleted (and its id taken by another) makes its old links useless: the link names the email too."""
    subscription = follower("gone@example.org")
    url = links.manage_url(subscription.address)
    Address.objects.all().delete()
    Address.objects.create(pk=subscription.address_id, email="newcomer@example.org")

    response = client.get(urlsplit(url).path)
    assert response.status_code == 410
    assert "newcomer@example.org" not in response.content.decode()


def test_replaying_a_confirmation_link_after_unsubscribing_subscribes_nobody(client, smtp_server, run_tasks, post):
    """Confirm, unsubscribe, then open the old confirmation link again: still unsubscribed."""
    comment_as_guest(client, post, email="changed-mind@example.org", subscribe_comments=True)
    run_tasks()
    path = link(smtp_server.to("changed-mind@example.org")[0], "confirm")
    press(Client(enforce_csrf_checks=True), path)
    subscription = Subscription.objects.get()
    Client().post(
        urlsplit(links.unsubscribe_url(subscription.address, subscription.pk)).path, {"List-Unsubscribe": "One-Click"}
    )
    assert not Subscription.objects.exists()

    for again in (client.get(path), client.post(path)):
        assert again.status_code == 200
        assert "Nothing left to confirm" in again.content.decode()
    assert not Subscription.objects.exists()


def test_a_flood_of_follow_requests_stays_within_the_rations(client, smtp_server, run_tasks, make_post, settings):
    """Forty comments from eight IP addresses naming four victims: no victim gets more than three emails."""
    posts = [make_post() for _ in range(5)]
    for number in range(40):
        comment_as_guest(
            client,
            posts[number % 5],
            email=f"victim{number % 4}@example.org",
            ip=f"203.0.113.{number % 8}",
            subscribe_comments=True,
            subscribe_blog=True,
        )
    run_tasks()

    per_victim = [len(smtp_server.to(f"victim{n}@example.org")) for n in range(4)]
    assert max(per_victim) <= settings.SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS
    assert sum(per_victim) == len(smtp_server.messages)
    assert not Subscription.objects.confirmed().exists()


# New comments


def test_followers_get_each_new_comment_but_never_their_own(client, smtp_server, run_tasks, post):
    """Two confirmed followers: each hears of the other's comment (text, name, link), neither of their own."""
    follower("alice@example.org", post)
    follower("bob@example.org", post)
    follower("carol@example.org", post, confirmed=False)

    comment = approved_comment(
        post, run_tasks, client, email="alice@example.org", name="Alice", comment="Line one.\nLine two."
    )
    run_tasks()

    assert smtp_server.to("alice@example.org") == [] and smtp_server.to("carol@example.org") == []
    [received] = smtp_server.to("bob@example.org")
    assert subject(received) == f'[The Quiet Margin] New comment on "{post.title}"'
    assert "> Author: Alice\n>\n> Line one.\n> Line two.\n" in received.text
    comment_url = f"http://testserver{comment.get_absolute_url()}"
    assert comment_url in received.text
    page = client.get(urlsplit(comment_url).path)
    assert page.status_code == 200 and f'id="comment-{comment.pk}"' in page.content.decode()


@pytest.mark.parametrize("approver", ["rules", "akismet", "moderator", "email-link"])
def test_whatever_approves_a_comment_followers_hear_of_it(
    client, smtp_server, run_tasks, akismet_fake, make_post, make_comment, moderator, post, settings, approver
):
    """Approved by the rules, by Akismet after an outage, by a moderator or by an email link: followers are told."""
    follower("watcher@example.org", post)
    known = make_comment(make_post(), created_at=timezone.now() - timedelta(days=1))
    if approver == "rules":
        comment_as_guest(client, post, email=known.author_email, name=known.author_name)
    elif approver == "akismet":
        settings.AKISMET_TIMEOUT = 0.3
        akismet_fake.mode = "error"
        comment_as_guest(client, post, email=known.author_email, name=known.author_name)
        run_tasks()
        assert smtp_server.to("watcher@example.org") == []
        akismet_fake.mode = "ham"
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    elif approver == "moderator":
        comment = comment_as_guest(client, post)
        run_tasks()
        moderation.moderate(Comment.objects.get(pk=comment.pk), "approve", moderator=moderator)
    else:
        comment_as_guest(client, post)
        run_tasks()
        moderators_mail = smtp_server.to("mod@example.com")[0]
        approve_path = urlsplit(re.search(r"^Approve it: (\S+)$", moderators_mail.text, re.M).group(1)).path
        assert client.post(approve_path).status_code == 200
    run_tasks()

    assert Comment.objects.filter(post=post).get().status == Status.APPROVED
    assert len(smtp_server.to("watcher@example.org")) == 1


def test_a_comment_approved_twice_is_told_once(client, smtp_server, run_tasks, moderator, post):
    """Approved, unapproved and approved again: the follower hears of it once."""
    follower("watcher@example.org", post)
    comment = approved_comment(post, run_tasks, client)
    moderation.moderate(comment, "unapprove", moderator=moderator)
    moderation.moderate(comment, "approve", moderator=moderator)
    run_tasks()

    assert len(smtp_server.to("watcher@example.org")) == 1
    assert CommentNotice.objects.count() == 1


def test_a_comment_unapproved_before_its_email_goes_out_is_not_sent(client, smtp_server, run_tasks, moderator, post):
    """Followers are told by the worker, from the comment as it is then: one trashed meanwhile is not announced."""
    follower("watcher@example.org", post)
    comment = comment_as_guest(client, post, email="quick@example.org")
    run_tasks()
    approve(comment, moderator)
    moderation.moderate(Comment.objects.get(pk=comment.pk), "trash", moderator=moderator)
    results = [result.return_value for result in run_tasks()]

    assert "not told: the comment is not published now" in results
    assert "not sent: the comment is trash now" in results  # its author's "now published" email
    assert smtp_server.to("watcher@example.org") == [] and smtp_server.to("quick@example.org") == []


def test_a_busy_post_sends_a_few_emails_an_hour_and_then_one_digest(client, smtp_server, run_tasks, post, settings):
    """Five comments in a row: three emails, then the other two together in one digest once the hour allows."""
    follower("watcher@example.org", post)
    for _ in range(5):
        approved_comment(post, run_tasks, client)
    run_tasks()

    assert len(smtp_server.to("watcher@example.org")) == settings.SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR == 3
    digest = DBTaskResult.objects.get(task_path="subscriptions.followers.send_digest", status="READY")
    first = CommentNotice.objects.filter(in_digest=False).order_by("created_at").first()
    assert digest.run_after == first.created_at + timedelta(hours=1)

    DBTaskResult.objects.filter(pk=digest.pk).update(run_after=timezone.now())
    run_tasks()
    received = smtp_server.to("watcher@example.org")
    assert len(received) == 4
    assert subject(received[-1]) == f'[The Quiet Margin] 2 new comments on "{post.title}"'
    assert received[-1].text.count("Read it on the site, and reply:") == 2


def test_a_reply_to_a_followers_comment_is_told_as_a_reply(client, smtp_server, run_tasks, make_comment, post):
    """The author of a comment who asked to be notified is told when someone replies to it."""
    follower("marianne@example.org", post)
    mine = make_comment(post, author_email="marianne@example.org", author_name="Marianne")
    reply = comment_as_guest(client, post, name="Gertrude")
    Comment.objects.filter(pk=reply.pk).update(parent=mine, depth=2)
    reply.refresh_from_db()
    change_status(reply, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    run_tasks()

    [received] = smtp_server.to("marianne@example.org")
    assert subject(received) == f'[The Quiet Margin] New reply to your comment on "{post.title}"'
    assert "There is a new reply to your comment" in received.text
    assert "> Author: Gertrude\n> In reply to: Marianne\n" in received.text


# Held comments


def test_a_held_comment_approved_by_a_moderator_tells_its_author_once(client, smtp_server, run_tasks, moderator, post):
    """A guest whose comment waited for a moderator hears once that it is published; never again after re-approval."""
    comment = comment_as_guest(client, post, email="patient@example.org")
    run_tasks()
    approve(comment, moderator)
    run_tasks()
    comment.refresh_from_db()
    moderation.moderate(comment, "unapprove", moderator=moderator)
    moderation.moderate(comment, "approve", moderator=moderator)
    run_tasks()

    [received] = smtp_server.to("patient@example.org")
    assert subject(received) == f'[The Quiet Margin] Your comment on "{post.title}" is now published'
    assert f"http://testserver{comment.get_absolute_url()}" in received.text


def test_the_now_published_email_can_be_turned_off(client, smtp_server, run_tasks, moderator, post, settings):
    """COMMENTS_NOTIFY_COMMENTER_OF_APPROVED off: the commenter is not told."""
    settings.COMMENTS_NOTIFY_COMMENTER_OF_APPROVED = False
    comment = comment_as_guest(client, post, email="patient@example.org")
    run_tasks()
    approve(comment, moderator)
    run_tasks()

    assert smtp_server.to("patient@example.org") == []


def test_a_comment_the_rules_approve_at_once_sends_its_author_nothing(
    client, smtp_server, run_tasks, akismet_fake, make_comment, make_post, post
):
    """A known author's comment approved straight after the spam check was never held: no "now published" email."""
    known = make_comment(make_post(), created_at=timezone.now() - timedelta(days=1))
    comment = comment_as_guest(client, post, email=known.author_email, name=known.author_name)
    run_tasks()

    assert Comment.objects.get(pk=comment.pk).status == Status.APPROVED
    assert smtp_server.to(known.author_email) == []


# What every email carries


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


# The reader's page


def test_the_readers_page_lists_what_they_follow_and_stops_any_of_it(client, smtp_server, run_tasks, post, make_post):
    """The manage link lists the address's subscriptions (not others'); Stop ends one; Stop all ends all, opts out."""
    other_post = make_post("Another post")
    mine = [follower("me@example.org", post), follower("me@example.org", other_post), follower("me@example.org")]
    follower("someone-else@example.org", post)
    path = urlsplit(links.manage_url(mine[0].address)).path
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(path).content.decode()
    assert page.count('name="subscription"') == 3 and "someone-else" not in page
    assert f'New comments on “<a href="{post.get_absolute_url()}">{post.title}</a>”' in page

    stopped = press(browser, path, action="stop", subscription=mine[1].pk)
    assert "Stopped: new comments on “Another post”" in stopped.content.decode()
    assert set(Subscription.objects.filter(address=mine[0].address)) == {mine[0], mine[2]}

    everything = press(browser, path, action="stop-everything")
    assert "we will send nothing more" in everything.content.decode()
    assert not Subscription.objects.filter(address=mine[0].address).exists()
    assert Address.objects.get(email="me@example.org").opted_out
    assert Subscription.objects.filter(address__email="someone-else@example.org").exists()

    press(browser, path, action="allow-again")
    assert not Address.objects.get(email="me@example.org").opted_out


def test_the_readers_page_refuses_an_expired_link(client, monkeypatch, settings):
    """A manage link older than SUBSCRIPTIONS_LINK_MAX_AGE is refused and changes nothing."""
    subscription = follower("me@example.org")
    path = urlsplit(links.manage_url(subscription.address)).path
    later = time.time() + settings.SUBSCRIPTIONS_LINK_MAX_AGE + 60
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: later))

    response = client.post(path, {"action": "stop-everything"})
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()


# New posts


def test_a_new_post_is_emailed_to_confirmed_subscribers_only(smtp_server, run_tasks, author):
    """Publishing a post emails its title, excerpt and link to each confirmed, reachable subscriber, once."""
    for email in ("one@example.org", "two@example.org"):
        follower(email)
    follower("waiting@example.org", confirmed=False)
    follower("gone@example.org")
    Address.objects.filter(email="gone@example.org").update(opted_out_at=timezone.now())

    post = Post.objects.create(
        title="Fresh ink",
        slug="fresh-ink",
        author=author,
        body="<p>The body.</p>",
        excerpt="A short excerpt.",
        status=Post.Status.PUBLISHED,
    )
    post.save()  # saved twice: still one announcement
    run_tasks()

    assert sorted(address for received in smtp_server.messages for address in received.rcpt_tos) == [
        "one@example.org",
        "two@example.org",
    ]
    received = smtp_server.to("one@example.org")[0]
    assert subject(received) == "[The Quiet Margin] Fresh ink"
    assert "A short excerpt." in received.text and f"http://testserver{post.get_absolute_url()}" in received.text
    assert Announcement.objects.get().finished_at is not None
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 2


def test_a_scheduled_post_is_emailed_when_it_goes_live(smtp_server, run_tasks, make_post):
    """A post scheduled for later is announced by the worker at its time, not before."""
    follower("reader@example.org")
    post = make_post("Tomorrow's news", days_ago=-1)
    waiting = DBTaskResult.objects.get(task_path="subscriptions.announcements.announce_post", status="READY")
    assert waiting.run_after == post.published_at
    assert run_tasks() == [] and smtp_server.messages == []

    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))  # the time comes
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    run_tasks()

    assert [subject(received) for received in smtp_server.messages] == ["[The Quiet Margin] Tomorrow's news"]


def test_a_rescheduled_or_withdrawn_post_is_not_sent_early(smtp_server, run_tasks, make_post):
    """A scheduled post moved later, or back to draft, before its time: the earlier run sends nothing."""
    follower("reader@example.org")
    post = make_post("Moving target", days_ago=-1)
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    post.status = Post.Status.DRAFT
    post.save()
    run_tasks()

    assert smtp_server.messages == [] and not Announcement.objects.exists()


def test_pages_imports_and_backdated_posts_are_not_news(smtp_server, run_tasks, make_post):
    """A page, or a post dated before NEW_POST_WINDOW (an import), is never announced."""
    follower("reader@example.org")
    make_post("About", kind=Post.Kind.PAGE, slug="about")
    make_post("From the archive", days_ago=NEW_POST_WINDOW.days + 1)
    run_tasks()

    assert smtp_server.messages == [] and not Announcement.objects.exists()


def test_a_new_post_waits_for_a_mail_server_that_is_down_and_sends_each_copy_once(
    smtp_server, run_tasks, author, settings
):
    """SMTP down: the batch waits (retry.MAIL's back-off) and then sends everyone the post exactly once."""
    settings.SUBSCRIPTIONS_BATCH_SIZE = 3
    for number in range(7):
        follower(f"reader{number}@example.org")
    smtp_server.stop()
    Post.objects.create(title="Patience", slug="patience", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED)
    run_tasks()

    announcement = Announcement.objects.get()
    assert announcement.resume_after is not None and announcement.failed_attempts == 1
    assert Delivery.objects.filter(state=DeliveryState.WAITING).count() == 7

    smtp_server.start()
    DBTaskResult.objects.filter(status="READY", task_path="subscriptions.announcements.send_batch").update(
        run_after=timezone.now()
    )
    run_tasks()

    recipients = [address for received in smtp_server.messages for address in received.rcpt_tos]
    assert sorted(recipients) == sorted(f"reader{number}@example.org" for number in range(7))
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 7


def test_an_address_that_stops_following_mid_announcement_is_skipped(smtp_server, run_tasks, author, settings):
    """Someone who unsubscribes after the post went out to the first batch but before theirs gets nothing."""
    settings.SUBSCRIPTIONS_BATCH_SIZE = 2
    subscriptions = [follower(f"reader{number}@example.org") for number in range(4)]
    Post.objects.create(title="Halfway", slug="halfway", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED)
    from subscriptions.announcements import announce_post, send_batch

    announce_post.call(Post.objects.get(slug="halfway").pk)
    send_batch.call(Announcement.objects.get().pk)
    subscriptions[3].delete()
    DBTaskResult.objects.filter(status="READY").delete()
    while send_batch.call(Announcement.objects.get().pk) != "finished":
        pass

    assert sorted(a for r in smtp_server.messages for a in r.rcpt_tos) == [f"reader{n}@example.org" for n in range(3)]
    assert Delivery.objects.get(address__email="reader3@example.org").state == DeliveryState.SKIPPED


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_sends_nobody_a_second_copy_after_restart(smtp_server, author):
    """A real `manage.py db_worker` killed (SIGKILL) halfway through a new post; restarted, it sends no copy twice."""
    subscribers = 300
    addresses = Address.objects.bulk_create(Address(email=f"reader{n}@example.org") for n in range(subscribers))
    Subscription.objects.bulk_create(
        Subscription(address=address, confirmed_at=timezone.now()) for address in addresses
    )
    Post.objects.create(title="Killed", slug="killed", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED)
    env = worker_env(smtp_server, batch_size=25, resume_after=1)

    first = start_worker(env)
    wait_for(lambda: len(smtp_server.messages) >= subscribers // 2, first)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = len(smtp_server.messages)
    assert 0 < at_kill < subscribers, "the worker was not killed in the middle"

    second = start_worker(env)
    try:
        wait_for(lambda: Announcement.objects.filter(finished_at__isnull=False).exists(), second, timeout=60)
    finally:
        stop_process(second)

    received = [address for received in smtp_server.messages for address in received.rcpt_tos]
    assert len(received) == len(set(received)), "someone got the post twice"
    states = dict(Delivery.objects.values_list("address__email", "state"))
    interrupted = [email for email, state in states.items() if state == DeliveryState.INTERRUPTED]
    assert len(interrupted) <= 1
    assert set(received) | set(interrupted) == {f"reader{n}@example.org" for n in range(subscribers)}
    assert {email for email, state in states.items() if state == DeliveryState.SENT} == set(received) - set(interrupted)


def worker_env(smtp_server, *, batch_size, resume_after):
    from django.conf import settings

    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "SITE_URL": "http://testserver",
        "SUBSCRIPTIONS_BATCH_SIZE": str(batch_size),
        "SUBSCRIPTIONS_RESUME_AFTER_SECONDS": str(resume_after),
        "LOG_LEVEL": "WARNING",
    }


def start_worker(env):
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, process, *, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the worker exited: {process.stderr.read().decode()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


# The admin


def test_moderators_see_subscriptions_filter_them_and_remove_them(client, moderator, post, make_post):
    """A moderator lists subscriptions by post, confirmation and address, sees counts on the post, and deletes one."""
    other = make_post("Quiet one")
    kept = follower("alice@example.org", post)
    follower("bob@example.org", post, confirmed=False)
    follower("alice@example.org", other)
    gone = follower("carol@example.org")
    client.force_login(moderator)
    changelist = reverse("admin:subscriptions_subscription_changelist")

    def listed(query=""):
        return [sub.pk for sub in client.get(changelist + query).context["cl"].result_list]

    assert sorted(listed()) == sorted(Subscription.objects.values_list("pk", flat=True))
    assert sorted(listed(f"?post={post.pk}")) == sorted(
        Subscription.objects.filter(post=post).values_list("pk", flat=True)
    )
    assert listed("?post=new-posts") == [gone.pk]
    assert listed("?confirmed=no") == [Subscription.objects.get(address__email="bob@example.org").pk]
    assert sorted(listed(f"?address={kept.address_id}")) == sorted(
        Subscription.objects.filter(address=kept.address).values_list("pk", flat=True)
    )
    assert listed("?q=carol") == [gone.pk]

    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Subscription.objects.filter(pk=gone.pk).exists()


def test_the_posts_admin_page_counts_its_followers(admin_client, post):
    """A post's change page says how many follow its comments, and links to them."""
    follower("alice@example.org", post)
    follower("bob@example.org", post, confirmed=False)
    follower("carol@example.org")

    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert (
        f'<a href="/admin/subscriptions/subscription/?post={post.pk}">1 confirmed, 1 waiting for confirmation</a>'
        in page
    )


def test_nobody_adds_or_edits_a_subscription_in_the_admin(admin_client, post):
    """Only an address's owner subscribes it (through the confirmation email): the admin offers no add or edit."""
    subscription = follower("alice@example.org", post, confirmed=False)

    assert admin_client.get(reverse("admin:subscriptions_subscription_add")).status_code == 403
    admin_client.post(
        reverse("admin:subscriptions_subscription_change", args=[subscription.pk]), {"confirmed_at": "2026-01-01"}
    )
    subscription.refresh_from_db()
    assert not subscription.confirmed


def test_change_status_still_records_one_event_with_followers(post, make_comment, moderator):
    """Telling followers adds no history row: approving writes one CommentEvent, as before."""
    follower("watcher@example.org", post)
    comment = make_comment(post, status=Status.PENDING)

    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator)

    assert comment.events.count() == 1
