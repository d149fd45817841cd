"""Every email the site sends, written one way (groundwork's `mail.build_email`) and sent one way (`mail.send_now`).

One scenario makes one email of each kind through the real flows: a guest's comment held for the
moderators (and the post's author), approved (the post's author told, the commenter told it is
published, a follower told, a reply told as a reply, a digest once the hour's emails are spent), a
confirmation, a new post announced in batches, and the "Your comments and data" link. The tasks run
in the real database queue (`run_tasks`); mail goes over SMTP to a real server on 127.0.0.1
(tests/fakes/smtp_server.py), and the tests read the bytes it received.
"""

import re
from urllib.parse import urlsplit

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from comments import moderation
from comments.forms import issue_timestamp
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from groundwork import mail
from subscriptions.models import Address, Subscription

pytestmark = pytest.mark.django_db

SEND_TASK = "groundwork.mail.send_email"
PREFIX = "[The Quiet Margin] "
TITLE = 'Tom\'s "<b>bold</b>" & co'  # what HTML escapes, and what a subject must show as it is
SCRIPT = "<script>alert('x')</script>"
UNSUBSCRIBE = r"<http://testserver/subscriptions/unsubscribe/[^/>\s]+/>"
SUBSCRIPTION_KINDS = {"confirmation", "new comment", "reply", "digest", "published", "new post"}
OTHER_KINDS = {"held", "approved", "data link"}


@pytest.fixture(autouse=True)
def mail_through_smtp(mail_through_smtp, settings):
    """Mail goes to the test's SMTP server (conftest); one comment email an hour, so the second makes a digest."""
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR = 1
    return mail_through_smtp


def comment_as_guest(client, post, *, email, comment=f"{SCRIPT}\nApprove it: https://evil.example/", follow=True):
    """Post the comment form as Mallory, a guest (held: no Akismet key), ticking "Notify me of new comments"."""
    key = CaptchaStore.generate_key()
    data = {
        "comment": comment,
        "name": "Mallory",
        "email": email,
        "timestamp": issue_timestamp(post),
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        **({"subscribe_comments": "subscribe"} if follow else {}),
    }
    response = client.post(reverse("comments:post", args=[post.pk]), data, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302, response.content.decode()[:2000]
    return Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))


def ask_for_data_link(email):
    client = Client()
    page = client.get(reverse("privacy:request"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert client.post(reverse("privacy:request"), {"csrfmiddlewaretoken": token, "email": email}).status_code == 200


def first(smtp_server, address, subject_part):
    """The first email `address` received whose subject says `subject_part`."""
    return next(r for r in smtp_server.to(address) if subject_part in " ".join(r.subject.split()))


@pytest.fixture
def every_email(client, smtp_server, run_tasks, make_user, make_comment, author):
    """One received email of each kind the site sends, by kind."""
    author.is_staff = True  # the post's author hears of its comments
    author.save()
    moderator = make_user("mod", is_staff=True)
    may_change = Permission.objects.get(codename="change_comment", content_type__app_label="comments")
    moderator.user_permissions.add(may_change)
    post = Post.objects.create(title=TITLE, slug="toms", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED)
    watcher = Address.objects.for_email("watcher@example.org")
    Subscription.objects.create(address=watcher, post=post, confirmed_at=timezone.now())
    Subscription.objects.create(address=Address.objects.for_email("reader@example.org"), confirmed_at=timezone.now())

    held = comment_as_guest(client, post, email="held@example.org")
    run_tasks()  # the moderators' emails, the confirmation
    moderation.moderate(Comment.objects.get(pk=held.pk), "approve", moderator=moderator)
    run_tasks()  # the post's author told, the commenter told, the follower told (the hour's one email)
    watchers_own = make_comment(post, author_email="watcher@example.org", author_name="Watcher")
    reply = make_comment(status=Status.PENDING, parent=watchers_own, author_name="Gertrude")
    change_status(reply, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    run_tasks()  # the watcher's email for the hour spent: the reply waits for the digest
    DBTaskResult.objects.filter(status="READY", task_path="subscriptions.followers.send_digest").update(
        run_after=timezone.now()
    )
    run_tasks()  # the digest
    watcher.subscriptions.all().delete()  # following afresh, the watcher has an email to spend: a reply, told alone
    Subscription.objects.create(address=watcher, post=post, confirmed_at=timezone.now())
    second = make_comment(status=Status.PENDING, parent=watchers_own, author_name="Gertrude")
    change_status(second, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    Post.objects.create(
        title="Fresh ink", slug="fresh-ink", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED
    )
    ask_for_data_link("someone@example.org")
    run_tasks()
    run_tasks()
    return {
        "held": first(smtp_server, "mod@example.com", "Please moderate"),
        "approved": first(smtp_server, "ada@example.com", "Comment:"),
        "confirmation": first(smtp_server, "held@example.org", "Please confirm"),
        "published": first(smtp_server, "held@example.org", "is now published"),
        "new comment": first(smtp_server, "watcher@example.org", "New comment on"),
        "digest": first(smtp_server, "watcher@example.org", "new comment on"),
        "reply": first(smtp_server, "watcher@example.org", "New reply to your comment"),
        "new post": first(smtp_server, "reader@example.org", "Fresh ink"),
        "data link": first(smtp_server, "someone@example.org", "Your comments and data"),
    }


def headers_on_the_wire(received) -> str:
    """The raw header block as the SMTP server received it (folded lines joined back)."""
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return re.sub(r"\r\n[ \t]+", " ", head).replace("\r\n", "\n")


def test_every_email_has_the_sites_subject_style_and_says_it_is_automatic(every_email):
    """Each kind: "[<blog title>] " then the subject, one line, the title as written; Auto-Submitted on the wire."""
    subjects = {kind: " ".join(received.subject.split()) for kind, received in every_email.items()}

    assert subjects == {
        "held": f'{PREFIX}Please moderate: "{TITLE}"',
        "approved": f'{PREFIX}Comment: "{TITLE}"',
        "confirmation": f"{PREFIX}Please confirm your subscription",
        "published": f'{PREFIX}Your comment on "{TITLE}" is now published',
        "new comment": f'{PREFIX}New comment on "{TITLE}"',
        "digest": f'{PREFIX}1 new comment on "{TITLE}"',
        "reply": f'{PREFIX}New reply to your comment on "{TITLE}"',
        "new post": f"{PREFIX}Fresh ink",
        "data link": f"{PREFIX}Your comments and data",
    }
    for kind, received in every_email.items():
        assert re.search(r"^Auto-Submitted: auto-generated$", headers_on_the_wire(received), re.MULTILINE), kind


def test_every_email_has_a_text_part_and_a_plain_escaped_html_part(every_email):
    """Each kind: text and HTML alternatives, the HTML escaping what people typed and loading nothing from outside."""
    for kind, received in every_email.items():
        message = received.message
        assert message.get_content_type() == "multipart/alternative", kind
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"], kind
        html = message.get_body(("html",)).get_content()
        assert re.search(r"<(img|link|script|iframe|style|object|embed)\b|\bsrc=|url\(|@import", html) is None, kind
        assert "<b>bold</b>" not in html and "<script" not in html, kind
        links = re.findall(r'href="([^"]*)"', html)
        assert f"http://testserver{reverse('privacy:request')}" in links, kind
        assert all(urlsplit(link).netloc == "testserver" for link in links), (kind, links)  # none a commenter's
        assert f"Your comments and data: http://testserver{reverse('privacy:request')}" in received.text, kind
    for kind in ("held", "approved", "published", "new comment"):  # Mallory's comment
        html = every_email[kind].message.get_body(("html",)).get_content()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html, kind
        told = [line for line in every_email[kind].text.splitlines() if "evil.example" in line]
        assert told and all(line.startswith("> ") for line in told), kind


def test_list_unsubscribe_is_on_the_emails_a_reader_asked_for_and_on_no_other(every_email):
    """Subscription emails carry List-Unsubscribe with One-Click; the moderators' emails and the data link, neither."""
    assert set(every_email) == SUBSCRIPTION_KINDS | OTHER_KINDS
    for kind in SUBSCRIPTION_KINDS:
        message, head = every_email[kind].message, headers_on_the_wire(every_email[kind])
        assert re.fullmatch(UNSUBSCRIBE, message["List-Unsubscribe"]), kind
        assert re.search(r"^List-Unsubscribe: ", head, re.MULTILINE), kind
        assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", head, re.MULTILINE), kind
    for kind in OTHER_KINDS:
        head = headers_on_the_wire(every_email[kind])
        assert re.search(r"^List-Unsubscribe", head, re.MULTILINE | re.IGNORECASE) is None, kind


def test_list_unsubscribe_goes_over_the_wire_as_a_plain_link(every_email):
    """List-Unsubscribe is sent as "<link>", as RFC 2369 has it, not as encoded words a mail client may not decode."""
    for kind in SUBSCRIPTION_KINDS:
        head = headers_on_the_wire(every_email[kind])
        assert re.search(rf"^List-Unsubscribe: {UNSUBSCRIBE}$", head, re.MULTILINE), kind
    for kind, received in every_email.items():  # every header here is ASCII: none needs an encoded word
        assert b"=?" not in received.raw.split(b"\r\n\r\n", 1)[0], kind


def send_titled(smtp_server, subject):
    """Send one email with `subject` over SMTP; what the server received."""
    context = {"link": "x", "lifetime": "1 hour"}
    mail.send_now([mail.build_email("privacy/email/data_link", context, subject=subject, to="a@example.org")])
    (received,) = smtp_server.to("a@example.org")
    return received


def test_a_subject_is_folded_at_a_space_and_reads_back_without_a_leading_space(smtp_server):
    """A subject just over the line's 78 characters is folded between two of its words, never after "Subject:"."""
    subject = "Your comments and data, and a few more words to go over"  # Python would fold after "Subject:"
    received = send_titled(smtp_server, subject)
    assert received.subject == f"{PREFIX}{subject}"
    (folded,) = re.findall(rb"^Subject:.*\r\n(?:[ \t].*\r\n)*", received.raw, re.MULTILINE)
    lines = folded.removesuffix(b"\r\n").split(b"\r\n")
    assert lines[0].startswith(b"Subject: [The Quiet Margin] Your") and len(lines) == 2
    assert all(len(line) <= 78 for line in lines) and re.fullmatch(rb" \w[\w ]*", lines[1])


def test_a_subject_in_other_characters_still_goes_as_encoded_words(smtp_server, settings):
    """A non-ASCII title, or sender's name, reaches the mail client whole: RFC 2047 encoded words over 7-bit SMTP."""
    settings.DEFAULT_FROM_EMAIL = "Caf\N{LATIN SMALL LETTER E WITH ACUTE} Margin <blog@example.com>"
    subject = 'New comment on "Tom\N{RIGHT SINGLE QUOTATION MARK}s café, déjà vu" and more words to go over the line'
    received = send_titled(smtp_server, subject)
    assert received.subject == f"{PREFIX}{subject}"
    assert received.message["From"] == settings.DEFAULT_FROM_EMAIL
    assert received.raw.isascii() and b"Subject: [The Quiet Margin] New comment on" in received.raw


def test_every_email_carries_one_set_of_headers_and_goes_through_the_one_send_task(every_email):
    """The same headers on every kind (Reply-To only to reach a commenter); all but the batches' via send_email."""
    common = {"Content-Type", "MIME-Version", "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted"}
    for kind, received in every_email.items():
        extra = {"List-Unsubscribe", "List-Unsubscribe-Post"} if kind in SUBSCRIPTION_KINDS else set()
        extra |= {"Reply-To"} if kind == "approved" else set()
        assert set(received.message.keys()) == common | extra, kind
    assert every_email["approved"].message["Reply-To"] == "held@example.org"

    sent = DBTaskResult.objects.filter(task_path=SEND_TASK, status="SUCCESSFUL")
    composers = {(result.args_kwargs["args"][0], result.return_value) for result in sent}
    for composer, address in [
        ("comments.notifications.compose", "mod@example.com"),
        ("comments.notifications.compose", "ada@example.com"),
        ("subscriptions.emails.compose_confirmation", "held@example.org"),
        ("subscriptions.emails.compose_published", "held@example.org"),
        ("subscriptions.emails.compose_comment_notice", "watcher@example.org"),
        ("subscriptions.emails.compose_digest", "watcher@example.org"),
        ("privacy.emails.compose_data_link", "someone@example.org"),
    ]:
        assert (composer, f"sent to {address}") in composers
    batches = DBTaskResult.objects.filter(task_path="subscriptions.announcements.send_batch")
    assert "1 sent" in set(batches.values_list("return_value", flat=True))


def test_a_title_cannot_add_a_line_or_a_header_to_a_subject(smtp_server, run_tasks, make_user, author):
    """A post title carrying line breaks and a header of its own reaches the moderators' subject as one line."""
    author.is_staff = True
    author.save()
    post = Post.objects.create(
        title="Line one\r\nBcc: victim@example.net\nLine three",
        slug="lines",
        author=author,
        body="<p>x</p>",
        status=Post.Status.PUBLISHED,
    )
    comment_as_guest(Client(), post, email="guest@example.org", comment="Hello.", follow=False)
    run_tasks()

    [received] = smtp_server.to("ada@example.com")
    assert received.subject == f'{PREFIX}Please moderate: "Line one Bcc: victim@example.net Line three"'
    assert received.message["Bcc"] is None
    assert [address for r in smtp_server.messages for address in r.rcpt_tos] == ["ada@example.com"]
