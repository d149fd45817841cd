"""New posts emailed to the blog's subscribers: confirmed and reachable ones only, when the post goes
live (scheduled, rescheduled, withdrawn), never pages or imports, in batches that wait out a mail
server that is down, skip whoever stops following meanwhile, and - with the production task worker
(`manage.py run_worker`) SIGKILLed mid-batch and started again - send nobody a second copy."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from subscriptions.announcements import NEW_POST_WINDOW
from subscriptions.models import Address, Announcement, Delivery, DeliveryState, Subscription
from tests.servers import eventually

from .conftest import follower, subject

pytestmark = pytest.mark.django_db


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
def test_a_worker_killed_mid_batch_sends_nobody_a_second_copy_after_restart(smtp_server, author, workers):
    """The production worker (`manage.py run_worker`) SIGKILLed halfway through a new post; restarted, it sends no
    copy twice."""
    subscribers = 300
    addresses = Address.objects.bulk_create(Address(email=f"reader{n}@example.org") for n in range(subscribers))
    Subscription.objects.bulk_create(
        Subscription(address=address, confirmed_at=timezone.now()) for address in addresses
    )
    Post.objects.create(title="Killed", slug="killed", author=author, body="<p>x</p>", status=Post.Status.PUBLISHED)
    env = {
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "SUBSCRIPTIONS_BATCH_SIZE": "25",
        "SUBSCRIPTIONS_RESUME_AFTER_SECONDS": "1",  # the killed batch is taken up by watch_announcements, not the lease
    }

    first = workers(**env)
    wait_for(lambda: len(smtp_server.messages) >= subscribers // 2, first)
    first.kill()
    at_kill = len(smtp_server.messages)
    assert 0 < at_kill < subscribers, "the worker was not killed in the middle"

    second = workers(**env)
    wait_for(lambda: Announcement.objects.filter(finished_at__isnull=False).exists(), second)
    second.stop()

    received = [address for received in smtp_server.messages for address in received.rcpt_tos]
    assert len(received) == len(set(received)), "someone got the post twice"
    states = dict(Delivery.objects.values_list("address__email", "state"))
    interrupted = [email for email, state in states.items() if state == DeliveryState.INTERRUPTED]
    assert len(interrupted) <= 1
    assert set(received) | set(interrupted) == {f"reader{n}@example.org" for n in range(subscribers)}
    assert {email for email, state in states.items() if state == DeliveryState.SENT} == set(received) - set(interrupted)


def wait_for(condition, worker):
    """Wait (generously: the machine may be busy) until `condition()`; fail with its log should the worker end first."""
    eventually(lambda: condition() or not worker.alive, seconds=120)
    assert condition(), f"{'not yet' if worker.alive else 'the worker ended'}:\n{worker.log[-3000:]}"
