"""Comment emails: moderators told of held comments, one-click moderation links, post authors told of new comments.

Comments go through the real form and pipeline; the spam check and the emails run in the real
database task queue (`run_tasks`); mail goes through Django's SMTP backend to a real SMTP
server on 127.0.0.1 (tests/fakes/smtp_server.py), which the SMTP-down tests stop and restart.
"""

import itertools
import re
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import links, notifications, pipeline
from comments.forms import CommentForm, GuestCommentForm, issue_timestamp
from comments.models import Actor, Comment, CommentEvent, Reason, Status
from comments.moderation import change_status
from groundwork import mail
from groundwork.retry import MAIL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_through_smtp")]

_numbers = itertools.count(1)
LINK_LINES = {"approve": "Approve it", "spam": "Mark it as spam", "trash": "Move it to the Trash"}
SEND_TASK = "groundwork.mail.send_email"


def may_moderate(user):
    user.user_permissions.add(Permission.objects.get(codename="change_comment", content_type__app_label="comments"))
    return user


@pytest.fixture
def writer(author):
    """The post's author, Ada: staff who writes in the admin, with no rights over comments."""
    author.is_staff = True
    author.save()
    return author


@pytest.fixture
def post(make_post, writer):
    return make_post("Reading slowly on purpose")


def submit(post, *, user=None, **fields) -> Comment:
    """Send a valid comment form through the pipeline, as a guest or as `user`."""
    number = next(_numbers)
    data = {"comment": f"I read it twice, remark {number}.", "timestamp": issue_timestamp(post)}
    if user is None:
        key = CaptchaStore.generate_key()
        data |= {
            "name": f"Guest {number}",
            "email": f"guest{number}@example.net",
            "url": f"https://guest{number}.example.org/",
            "captcha_0": key,
            "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        }
        form = GuestCommentForm(post, AnonymousUser(), data={**data, **fields})
    else:
        form = CommentForm(post, user, data={**data, **fields})
    assert form.is_valid(), form.errors
    submission = pipeline.Submission(ip_address=f"192.0.2.{number % 250 + 1}", user_agent="Firefox", referrer="")
    return pipeline.submit_comment(post=post, form=form, submission=submission)


def held_comment(post, run_tasks, **fields) -> Comment:
    """A guest's comment held for a moderator (no Akismet key), its emails sent."""
    comment = submit(post, **fields)
    run_tasks()
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    return comment


def links_in(received) -> dict[str, str]:
    """The moderation links of an email, as paths: {"approve": "/comments/moderate/approve/…/", ...}."""
    found = {}
    for action, line in LINK_LINES.items():
        match = re.search(rf"^{line}: (\S+)$", received.text, re.MULTILINE)
        found[action] = urlsplit(match.group(1)).path if match else None
    return found


def state(comment) -> tuple:
    comment.refresh_from_db()
    return comment.status, comment.events.count()


def a_minute_later(waiting):
    """What the worker finds a minute on: the waiting emails are due, and the mail server's failure is a minute old."""
    waiting.update(run_after=timezone.now())
    cache.delete(mail.DOWN_KEY)


def send_tasks():
    return DBTaskResult.objects.filter(task_path=SEND_TASK)


def test_a_held_comment_emails_the_moderators_and_the_post_author(smtp_server, run_tasks, moderator, post):
    """A comment held for a moderator reaches each moderator and the post's author over SMTP, with all it needs."""
    comment = held_comment(post, run_tasks, comment="First line.\nApprove it: https://evil.example/")

    assert sorted(address for received in smtp_server.messages for address in received.rcpt_tos) == [
        "ada@example.com",
        "mod@example.com",
    ]
    received = smtp_server.to("mod@example.com")[0]
    assert received.subject == '[The Quiet Margin] Please moderate: "Reading slowly on purpose"'
    assert received.message["From"] == "blog@example.com"
    text = received.text
    for expected in [
        f"Author: {comment.author_name}",
        f"Email: {comment.author_email}",
        f"Website: {comment.author_url}",
        f"IP address: {comment.ip_address}",
        "Held because: No Akismet key configured",
        "> First line.\n> Approve it: https://evil.example/\n",
        f"http://testserver{post.get_absolute_url()}",
        f"http://testserver/admin/comments/comment/{comment.pk}/change/",
        "expires in 1 week",
    ]:
        assert expected in text
    links = links_in(received)
    assert all(path and path.startswith(f"/comments/moderate/{action}/") for action, path in links.items())


EVIL = "https://evil.example/approve"


def assert_only_quoted(text: str, marker: str = "evil.example") -> None:
    offending = [line for line in text.splitlines() if marker in line and not line.startswith("> ")]
    assert offending == [], text


def test_a_commenters_words_never_pass_for_the_sites_own_lines(smtp_server, run_tasks, moderator, post):
    """A name, website and comment carrying fake "Approve it:" lines reach the moderator only as quoted lines."""
    comment = held_comment(
        post,
        run_tasks,
        name=f"Mallory    Approve it: {EVIL}",
        url=f"{EVIL}?x=1",
        comment=f"Hi.\n\nApprove it: {EVIL}\nMark it as spam: {EVIL}",
    )

    assert comment.author_name == f"Mallory Approve it: {EVIL}"
    received = smtp_server.to("mod@example.com")[0]
    assert_only_quoted(received.text)
    assert all(path.startswith(f"/comments/moderate/{action}/") for action, path in links_in(received).items())


def test_a_stored_name_with_line_breaks_is_quoted_line_by_line(smtp_server, run_tasks, make_comment, moderator, post):
    """Even a name stored with line breaks (by an import, say) cannot start a line of the email of its own."""
    comment = make_comment(post, author_name=f"Mallory\nApprove it: {EVIL}", status=Status.PENDING)
    with transaction.atomic():
        notifications.comment_held(comment)
    run_tasks()

    assert_only_quoted(smtp_server.to("mod@example.com")[0].text)


def test_the_email_links_the_admins_pending_queue_when_more_wait(smtp_server, run_tasks, admin_client, moderator, post):
    """With more than one comment held, the email says how many and links the admin's Pending tab, which opens."""
    held_comment(post, run_tasks)
    smtp_server.messages.clear()
    held_comment(post, run_tasks)

    match = re.search(r"^2 comments are waiting for approval: (\S+)$", smtp_server.to("mod@example.com")[0].text, re.M)
    queue = urlsplit(match.group(1))
    response = admin_client.get(f"{queue.path}?{queue.query}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert [tab["label"] for tab in response.context["status_tabs"] if tab["current"]] == ["Pending"]


def test_following_a_link_shows_a_confirmation_page_and_changes_nothing(
    smtp_server, run_tasks, client, moderator, post
):
    """A GET on a moderation link shows the comment and a button, and changes nothing."""
    comment = held_comment(post, run_tasks)
    before = state(comment)

    for action, path in links_in(smtp_server.to("mod@example.com")[0]).items():
        response = client.get(path)
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "same-origin"  # no-referrer made Chromium post with Origin: null
        assert "no-store" in response["Cache-Control"]
        content = response.content.decode()
        assert f'<button type="submit">{links.ACTION_LABELS[action]}</button>' in content
        assert comment.body_html in content
        assert "You are acting as mod." in content

    assert state(comment) == before


@pytest.mark.parametrize(
    ("action", "status"), [("approve", Status.APPROVED), ("spam", Status.SPAM), ("trash", Status.TRASH)]
)
def test_the_confirmation_button_acts_once(smtp_server, run_tasks, moderator, post, action, status):
    """The confirmation page's POST (with its CSRF token) acts as the moderator, once; the link is then refused."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])[action]
    browser = Client(enforce_csrf_checks=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(path).content.decode()).group(1)

    response = browser.post(path, {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "Done: the comment is now" in response.content.decode()
    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (status, Reason.MODERATOR)
    event = comment.events.last()
    assert (event.actor, event.moderator, event.from_status, event.to_status) == (
        Actor.MODERATOR,
        moderator,
        Status.PENDING,
        status,
    )
    assert event.note == "Via the link in the moderation email."
    after = state(comment)
    for again in (browser.get(path), browser.post(path, {"csrfmiddlewaretoken": token})):
        assert again.status_code == 410
        assert "This comment has been dealt with since the email was sent" in again.content.decode()
    assert state(comment) == after


def test_the_button_without_its_csrf_token_changes_nothing(smtp_server, run_tasks, moderator, post):
    """A POST from elsewhere, without the page's CSRF token, is refused by Django and changes nothing."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    before = state(comment)

    assert Client(enforce_csrf_checks=True).post(path).status_code == 403
    assert state(comment) == before


def test_once_one_link_is_used_the_others_are_refused(smtp_server, run_tasks, client, make_user, moderator, post):
    """After "Approve", the same email's Spam and Trash links, and another moderator's links, are refused."""
    may_moderate(make_user("grace", is_staff=True))
    comment = held_comment(post, run_tasks)
    mine, theirs = links_in(smtp_server.to("mod@example.com")[0]), links_in(smtp_server.to("grace@example.com")[0])
    assert client.post(mine["approve"]).status_code == 200
    after = state(comment)

    for path in [mine["spam"], mine["trash"], *theirs.values()]:
        assert client.post(path).status_code == 410
    assert state(comment) == after


def test_a_link_is_spent_by_a_change_of_status_even_one_undone(smtp_server, run_tasks, client, moderator, post):
    """A link is spent by any change of status, even one undone since (approve, then unapprove)."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["spam"]
    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR)
    change_status(comment, Status.PENDING, actor=Actor.MODERATOR, reason=Reason.MODERATOR)

    assert client.post(path).status_code == 410
    assert state(comment)[0] == Status.PENDING


def test_an_expired_link_is_refused(smtp_server, run_tasks, client, monkeypatch, moderator, post):
    """A link opened after COMMENTS_MODERATION_LINK_MAX_AGE (a week) is refused, GET and POST, and changes nothing."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    before = state(comment)
    eight_days_later = time.time() + 8 * 24 * 3600
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: eight_days_later))

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "This link has expired." in response.content.decode()
    assert state(comment) == before


def test_a_link_is_still_good_just_before_it_expires(smtp_server, run_tasks, client, monkeypatch, moderator, post):
    """Six days after the email the link still works."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    six_days_later = time.time() + 6 * 24 * 3600
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: six_days_later))

    assert client.post(path).status_code == 200
    assert state(comment)[0] == Status.APPROVED


def _flip(character: str) -> str:
    return "B" if character != "B" else "C"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda action, token: (action, token[:-1] + _flip(token[-1])), id="signature"),
        pytest.param(lambda action, token: (action, token[:5] + _flip(token[5]) + token[6:]), id="payload"),
        pytest.param(lambda action, token: (action, token[: len(token) // 2]), id="cut-short"),
        pytest.param(lambda action, token: ("spam" if action == "approve" else "approve", token), id="other-action"),
    ],
)
def test_a_tampered_link_is_refused(smtp_server, run_tasks, client, moderator, post, tamper):
    """A link whose token was changed, cut short, or moved to another action is refused and changes nothing."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    _, _, _, action, token, _ = path.split("/")
    action, token = tamper(action, token)
    before = state(comment)

    response = client.post(reverse("comments:moderate", args=[action, token]))

    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert state(comment) == before


def test_a_link_sent_to_someone_who_may_no_longer_moderate_is_refused(smtp_server, run_tasks, client, moderator, post):
    """A moderator's link stops working when their account is deactivated."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    moderator.is_active = False
    moderator.save()

    assert client.post(path).status_code == 403
    assert state(comment)[0] == Status.PENDING


def test_a_post_author_without_rights_over_comments_is_told_without_links(smtp_server, run_tasks, moderator, post):
    """The post's author who may not moderate hears of the held comment, without links, email or IP address."""
    comment = held_comment(post, run_tasks)

    text = smtp_server.to("ada@example.com")[0].text
    assert f'A new comment on the post "{post.title}" is waiting for approval.' in text
    assert "The blog's moderators have been asked to approve it or not." in text
    assert links_in(smtp_server.to("ada@example.com")[0]) == dict.fromkeys(LINK_LINES)
    assert "/comments/moderate/" not in text and "/admin/" not in text
    assert comment.author_email not in text and comment.ip_address not in text


def test_a_post_author_who_may_moderate_gets_links_that_act_as_them(smtp_server, run_tasks, client, writer, post):
    """A post author who may change comments is sent links, and their link acts as them."""
    may_moderate(writer)
    comment = held_comment(post, run_tasks)

    assert client.post(links_in(smtp_server.to("ada@example.com")[0])["trash"]).status_code == 200
    assert comment.events.last().moderator == writer


def test_a_post_author_who_is_not_staff_is_never_told(
    smtp_server, run_tasks, make_post, make_user, moderator, known_author
):
    """An author who cannot log in (imported, or the demo's writer) is emailed neither held nor approved comments."""
    post = make_post(author=make_user("imported"))
    submit(post)
    submit(post, **known_author)

    run_tasks()

    assert [received.rcpt_tos for received in smtp_server.messages] == [["mod@example.com"]] * 2


def test_addresses_from_the_settings_get_links_that_act_as_nobody(smtp_server, run_tasks, client, settings, post):
    """COMMENTS_MODERATOR_EMAILS replaces the staff list; a link to an address with no account records no moderator."""
    settings.COMMENTS_MODERATOR_EMAILS = ["desk@example.com"]
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = False
    comment = held_comment(post, run_tasks)
    assert [received.rcpt_tos for received in smtp_server.messages] == [["desk@example.com"]]

    assert client.post(links_in(smtp_server.messages[0])["spam"]).status_code == 200
    event = comment.events.last()
    assert (event.to_status, event.moderator, event.note) == (
        Status.SPAM,
        None,
        "Via the link in the moderation email.",
    )


def test_inactive_staff_and_staff_without_comment_rights_are_not_told(smtp_server, run_tasks, make_user, post):
    """Only active staff who may change comments (and superusers) are moderators."""
    make_user("editor", is_staff=True)
    make_user("gone", is_staff=True, is_superuser=True, is_active=False)
    make_user("boss", is_staff=True, is_superuser=True)
    held_comment(post, run_tasks)

    assert sorted(address for received in smtp_server.messages for address in received.rcpt_tos) == [
        "ada@example.com",
        "boss@example.com",
    ]


def test_spam_is_not_announced(smtp_server, run_tasks, akismet_fake, moderator, post):
    """A comment Akismet calls spam sends no email at all."""
    akismet_fake.mode = "spam"
    comment = submit(post)

    run_tasks()

    assert state(comment)[0] == Status.SPAM
    assert smtp_server.messages == []
    assert not send_tasks().exists()


def test_a_comment_held_through_an_akismet_outage_is_announced_once(
    smtp_server, run_tasks, akismet_fake, settings, moderator, post
):
    """Held as "Akismet unreachable", then held by a rule once Akismet says ham: the moderators get one email."""
    settings.AKISMET_TIMEOUT = 0.3
    akismet_fake.mode = "error"
    comment = submit(post)
    run_tasks()
    akismet_fake.mode = "ham"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert len(smtp_server.to("mod@example.com")) == 1


def test_an_approved_comment_emails_the_post_author(
    smtp_server, run_tasks, akismet_fake, moderator, post, known_author
):
    """A comment published at once (known author, Akismet says ham) is emailed to the post's author only."""
    comment = submit(post, **known_author)

    run_tasks()

    assert state(comment)[0] == Status.APPROVED
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ada@example.com"]
    assert received.subject == '[The Quiet Margin] Comment: "Reading slowly on purpose"'
    assert received.message["Reply-To"] == comment.author_email
    assert f"> {comment.body}" in received.text
    assert f"http://testserver{comment.get_absolute_url()}" in received.text
    assert "IP address" not in received.text


def test_approving_through_a_link_emails_the_post_author(smtp_server, run_tasks, client, moderator, post):
    """A moderator's approval by email link is announced to the post's author."""
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("mod@example.com")[0])["approve"]
    smtp_server.messages.clear()

    assert client.post(path).status_code == 200
    run_tasks()

    [received] = smtp_server.to("ada@example.com")  # the commenter is told too (tests/following/)
    assert received.rcpt_tos == ["ada@example.com"]
    assert f'A new comment on your post "{post.title}" has been published.' in received.text
    assert f"> Author: {comment.author_name}\n> Website: {comment.author_url}\n" in received.text


def test_no_approved_email_for_the_post_authors_own_comment(smtp_server, run_tasks, writer, moderator, post):
    """The post's author is not told of their own comment being approved."""
    comment = submit(post, user=writer)
    run_tasks()
    smtp_server.messages.clear()

    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator)
    run_tasks()

    assert smtp_server.messages == []


def test_no_approved_email_when_the_post_author_approved_it(smtp_server, run_tasks, client, writer, post):
    """The post's author who approves a comment themselves is not told of it."""
    may_moderate(writer)
    comment = held_comment(post, run_tasks)
    path = links_in(smtp_server.to("ada@example.com")[0])["approve"]
    smtp_server.messages.clear()

    assert client.post(path).status_code == 200
    run_tasks()

    assert state(comment)[0] == Status.APPROVED
    assert smtp_server.to("ada@example.com") == []  # (the commenter is told, tests/following/)


def test_the_post_authors_emails_can_be_turned_off(smtp_server, run_tasks, akismet_fake, settings, post, known_author):
    """COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD and _OF_APPROVED off: the post's author hears of nothing."""
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = False
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED = False
    submit(post)
    submit(post, **known_author)

    run_tasks()

    assert smtp_server.messages == []
    assert not send_tasks().exists()


def test_with_smtp_down_the_comment_is_kept_and_the_email_sent_once_later(smtp_server, run_tasks, moderator, post):
    """An unreachable mail server leaves the comment stored and held; the email is retried and arrives once."""
    smtp_server.stop()
    comment = submit(post)

    started = timezone.now()
    results = run_tasks()

    assert state(comment)[0] == Status.PENDING
    assert sorted(result.return_value for result in results if result.task_path == SEND_TASK) == [
        "attempt 1 failed, retrying in 0:01:00: ConnectionRefusedError(111, 'Connection refused')",
        "waiting: the mail server could not be reached a moment ago",  # one try a minute while it is down
    ]
    retries = send_tasks().filter(status="READY")
    assert sorted(retry.args_kwargs["args"][-1] for retry in retries) == [1, 2]
    for retry in retries:
        assert started + timedelta(minutes=1) <= retry.run_after <= timezone.now() + timedelta(minutes=1)
    assert run_tasks() == []

    smtp_server.start()
    a_minute_later(retries)
    run_tasks()
    run_tasks()

    assert sorted(address for received in smtp_server.messages for address in received.rcpt_tos) == [
        "ada@example.com",
        "mod@example.com",
    ]
    assert not send_tasks().filter(status="READY").exists()


def test_sending_is_retried_with_growing_delays_then_given_up(smtp_server, run_tasks, settings, post):
    """Each failed attempt waits twice as long as the one before (1, 2, 4 ... minutes); the tenth is the last."""
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = False
    settings.COMMENTS_MODERATOR_EMAILS = ["desk@example.com"]
    smtp_server.stop()
    held_comment(post, run_tasks)

    delays = []
    for _ in range(MAIL.attempts - 1):
        retry = send_tasks().get(status="READY")
        delays.append(retry.run_after - retry.enqueued_at)
        a_minute_later(send_tasks().filter(status="READY"))
        run_tasks()

    assert [round(delay.total_seconds() / 60) for delay in delays] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert not send_tasks().filter(status="READY").exists()
    last = send_tasks().order_by("-finished_at").first()
    assert last.return_value.startswith("gave up after 10 attempts")


def test_a_comment_decided_before_its_email_goes_out_is_not_announced(smtp_server, run_tasks, moderator, post):
    """If a moderator deals with the comment while the mail server is down, the "held" email is dropped."""
    smtp_server.stop()
    comment = held_comment(post, run_tasks)
    change_status(comment, Status.TRASH, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator)
    smtp_server.start()

    a_minute_later(send_tasks().filter(status="READY"))
    results = run_tasks()

    held_emails = [result for result in results if result.args_kwargs["args"][0] == "comments.notifications.compose"]
    assert [result.return_value for result in held_emails] == ["not sent: the comment is trash now"] * 2
    # The commenter gets the statement of reasons for the Trash (tests/test_reports.py), nothing about moderating.
    assert [message.rcpt_tos for message in smtp_server.messages] == [[comment.author_email]]
    assert CommentEvent.objects.filter(comment=comment).count() == 3


def test_once_the_mail_server_is_back_every_waiting_email_goes_within_a_minute(smtp_server, run_tasks, settings, post):
    """Twenty emails wait out an outage, one trying the server a minute; the first through sends the rest."""
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = False
    settings.COMMENTS_MODERATOR_EMAILS = [f"desk{n}@example.com" for n in range(20)]
    smtp_server.stop()
    held_comment(post, run_tasks)

    def tries():
        return sum(str(result.return_value).startswith("attempt") for result in send_tasks())

    assert tries() == 1  # one try at the down server; the nineteen others wait for the next one
    for minute in range(2, 5):  # three more minutes of outage: still one try a minute
        a_minute_later(send_tasks().filter(status="READY"))
        run_tasks()
        assert tries() == minute
    assert send_tasks().filter(status="READY").count() == 20

    smtp_server.start()
    a_minute_later(send_tasks().filter(status="READY"))  # the next minute's try gets through...
    run_tasks()  # ...and takes every waiting email along, at once

    received = sorted(address for message in smtp_server.messages for address in message.rcpt_tos)
    assert received == sorted(settings.COMMENTS_MODERATOR_EMAILS)
    assert not send_tasks().filter(status="READY").exists()


def test_an_address_no_mail_server_can_be_given_is_given_up_at_once(smtp_server, run_tasks, settings, post):
    """An address stored before the forms refused it (a non-ASCII local part) ends its email as given up, not FAILED."""
    settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = False
    settings.COMMENTS_MODERATOR_EMAILS = ["desk@example.com", "ſam@example.com"]  # noqa: RUF001 (the long s)
    held_comment(post, run_tasks)

    results = [result for result in send_tasks() if result.return_value.startswith("gave up")]
    assert len(results) == 1 and results[0].status == "SUCCESSFUL"
    assert "@" not in results[0].return_value
    assert not send_tasks().filter(status="READY").exists()
    assert [received.rcpt_tos for received in smtp_server.messages] == [["desk@example.com"]]
