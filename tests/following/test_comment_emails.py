"""The emails about comments: followers told of each new comment (never their own) whatever approved it,
once; replies told as replies; a busy post's digest; and the "now published" email to the author of a
comment that waited for a moderator."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import moderation
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from subscriptions.models import CommentNotice

from .conftest import approve, approved_comment, comment_as_guest, follower, subject

pytestmark = pytest.mark.django_db


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
    assert smtp_server.to("watcher@example.org") == []
    # Its author hears only why it was removed (the statement of reasons, tests/test_reports.py).
    assert [message.message["Subject"].strip() for message in smtp_server.to("quick@example.org")] == [
        f'[The Quiet Margin] Your comment on "{post.title}" was removed'
    ]


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
