"""A new post, emailed to the site's subscribers by the worker, in batches, each copy once.

1. A post is saved published (`post_saved`, connected to blog's post_save): `announce_post` is
   queued to run when the post goes live - now, or at the time a scheduled post is due. Saving
   it again queues it again; that is harmless (step 2 happens once per post). Only posts are
   announced, not pages, and only one dated within NEW_POST_WINDOW of when it is published:
   imported or backdated posts are not news. A post live at once with no subscriber yet queues
   nothing.
2. `announce_post`, at that time: if the post is public (a post rescheduled or withdrawn meanwhile
   is left to its own next run), its `Announcement` is made, once, with a `Delivery` row for
   every confirmed subscriber whose address may be emailed; `send_batch` is queued.
3. `send_batch` sends the next SUBSCRIPTIONS_BATCH_SIZE waiting deliveries over one connection
   to the mail server (groundwork's `mail.send_now`, the one way the site's email leaves it).
   Each row is claimed ("sending", with the time) by an update that only one worker can win,
   before the server is spoken to, and marked "sent" after; then the next batch is queued. The
   email is written per reader, when sent, as every email is (emails.py, `mail.build_email`);
   one who stopped following meanwhile is skipped. A recipient the server refuses is marked
   failed; a server that is down puts the row back to waiting and the next batch after the
   back-off of groundwork's retry.MAIL.
   Batches run at a lower priority than the other tasks, so comment emails and spam checks
   do not wait behind ten thousand new-post emails.
4. django-tasks-db has no lease: a worker killed mid-batch leaves its task "running" for good,
   and the batch chain stops. `watch_announcements` runs every SUBSCRIPTIONS_RESUME_AFTER_SECONDS
   while an announcement is unfinished (it queues its own next run first, so a kill cannot break
   it): an announcement with no progress for that long gets a new batch. The one row the killed
   worker was handing over ("sending" since then) is marked interrupted and never sent again:
   it may have been delivered, and nobody gets a post twice.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from blog.models import Post
from groundwork import locking, mail, retry

from . import emails
from .models import Address, Announcement, Delivery, DeliveryState, Subscription

logger = logging.getLogger(__name__)

NEW_POST_WINDOW = timedelta(days=2)
BATCH_PRIORITY = -10


def post_saved(sender, instance, raw=False, **kwargs) -> None:
    """Receiver of blog's post_save: queue the announcement of a post published now or scheduled."""
    post = instance
    if raw or post.kind != Post.Kind.POST or post.status != Post.Status.PUBLISHED:
        return
    now = timezone.now()
    if post.published_at < now - NEW_POST_WINDOW or Announcement.objects.filter(post=post).exists():
        return
    if post.published_at <= now and not Address.objects.following_new_posts().exists():
        return  # live already, and nobody to tell (a scheduled post waits: someone may subscribe meanwhile)
    announce_post.using(run_after=post.published_at).enqueue(post.pk)


@task
def announce_post(post_id: int) -> str:
    """Make the post's announcement, once, with a delivery per subscriber, and start the batches."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None or post.kind != Post.Kind.POST or not post.is_public:
        return "not announced: the post is not public (now)"
    with transaction.atomic():
        locking.hold(f"subscriptions.announce.{post_id}")
        if Announcement.objects.filter(post=post).exists():
            return "already announced"
        announcement = Announcement.objects.create(post=post)
        count = 0
        subscribers = Address.objects.following_new_posts().order_by("pk").values_list("pk", flat=True)
        chunk = []
        for address_id in subscribers.iterator(chunk_size=2000):
            chunk.append(Delivery(announcement=announcement, address_id=address_id))
            if len(chunk) == 1000:
                count += len(Delivery.objects.bulk_create(chunk))
                chunk = []
        count += len(Delivery.objects.bulk_create(chunk))
        send_batch.enqueue(announcement.pk)
        schedule_watch()
    return f"announced to {count} subscriber(s)"


@task(priority=BATCH_PRIORITY)
def send_batch(announcement_id: int) -> str:
    """Send the next batch of the announcement's waiting deliveries; queue the one after."""
    announcement = Announcement.objects.select_related("post__author").filter(pk=announcement_id).first()
    if announcement is None or announcement.finished_at is not None:
        return "nothing to send"
    post = announcement.post
    if not post.is_public:
        skipped = announcement.deliveries.waiting().update(
            state=DeliveryState.SKIPPED, detail="The post was withdrawn."
        )
        _finish(announcement)
        return f"the post is not public any more: {skipped} skipped"
    batch = list(
        announcement.deliveries.waiting().select_related("address").order_by("pk")[: settings.SUBSCRIPTIONS_BATCH_SIZE]
    )
    if not batch:
        _finish(announcement)
        return "finished"
    following = dict(
        Subscription.objects.confirmed()
        .to_new_posts()
        .filter(address_id__in=[delivery.address_id for delivery in batch])
        .values_list("address_id", "pk")
    )
    counts = dict.fromkeys(DeliveryState.values, 0)
    try:
        connection = mail.open_connection()
    except (smtplib.SMTPException, OSError) as error:
        return _server_trouble(announcement, error)
    try:
        for delivery in batch:
            if not _claim(delivery):
                continue  # another worker has it
            subscription_id = following.get(delivery.address_id)
            if subscription_id is None or delivery.address.opted_out:
                _mark(delivery, DeliveryState.SKIPPED, "Stopped following before it was sent.")
                counts[DeliveryState.SKIPPED] += 1
                continue
            message = emails.new_post_message(post, delivery.address, subscription_id)
            try:
                mail.send_now([message], connection)
            except smtplib.SMTPRecipientsRefused as error:
                _mark(delivery, DeliveryState.FAILED, repr(error))
                counts[DeliveryState.FAILED] += 1
                continue
            except (smtplib.SMTPException, OSError) as error:
                _mark(delivery, DeliveryState.WAITING)  # not taken: it goes with the next batch
                return _server_trouble(announcement, error)
            _mark(delivery, DeliveryState.SENT)
            counts[DeliveryState.SENT] += 1
    finally:
        connection.close()
    Announcement.objects.filter(pk=announcement.pk).update(failed_attempts=0, resume_after=None)
    send_batch.enqueue(announcement.pk)
    return ", ".join(f"{count} {state}" for state, count in counts.items() if count) or "nothing sent"


def _claim(delivery: Delivery) -> bool:
    """Mark the delivery as being handed to the mail server, if it still waits: only one worker wins."""
    claimed = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.WAITING).update(
        state=DeliveryState.SENDING, attempted_at=timezone.now()
    )
    return claimed == 1


def _mark(delivery: Delivery, state: DeliveryState, detail: str = "") -> None:
    fields = {"state": state, "detail": detail[:300]}
    if state == DeliveryState.SENT:
        fields["sent_at"] = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


def _server_trouble(announcement: Announcement, error) -> str:
    """The mail server did not take an email: the next batch waits for the back-off of retry.MAIL."""
    attempts = announcement.failed_attempts + 1
    why = mail.without_addresses(repr(error))  # for the log: a recipient the server refused goes unnamed
    if retry.MAIL.gives_up_after(attempts):
        failed = announcement.deliveries.waiting().update(state=DeliveryState.FAILED, detail=repr(error)[:300])
        _finish(announcement)
        logger.error("Gave up announcing %s after %s attempts: %s", announcement.post, attempts, why)
        return f"gave up after {attempts} attempts, {failed} not sent: {error!r}"
    resume_after = timezone.now() + retry.MAIL.delay(attempts)
    Announcement.objects.filter(pk=announcement.pk).update(failed_attempts=attempts, resume_after=resume_after)
    send_batch.using(run_after=resume_after).enqueue(announcement.pk)
    logger.warning("Announcing %s: the mail server failed (%s); next batch at %s", announcement.post, why, resume_after)
    return f"mail server trouble, next batch at {resume_after:%H:%M:%S}: {error!r}"


def _finish(announcement: Announcement) -> None:
    """Nothing waits any more: mark it done (a row a killed worker left "sending" is marked interrupted)."""
    announcement.deliveries.interrupt_stalled(timezone.now() - watch_interval())
    Announcement.objects.filter(pk=announcement.pk).update(finished_at=timezone.now())


# Resuming after a killed worker.


def watch_interval() -> timedelta:
    return timedelta(seconds=settings.SUBSCRIPTIONS_RESUME_AFTER_SECONDS)


@task
def watch_announcements() -> str:
    """Resume announcements whose batches stopped (a killed worker); queue the next look while any is unfinished."""
    unfinished = list(Announcement.objects.unfinished())
    if not unfinished:
        return "nothing to watch"
    now = timezone.now()
    schedule_watch(run_after=now + watch_interval())
    stalled_since = now - watch_interval()
    resumed = interrupted = 0
    for announcement in unfinished:
        if announcement.resume_after and announcement.resume_after > now:
            continue  # waiting for the mail server on purpose
        interrupted += announcement.deliveries.interrupt_stalled(stalled_since)
        latest = announcement.deliveries.exclude(attempted_at=None).order_by("-attempted_at").first()
        last_progress = latest.attempted_at if latest else announcement.created_at
        if last_progress < stalled_since:
            send_batch.enqueue(announcement.pk)
            resumed += 1
    return f"resumed {resumed}, {interrupted} interrupted delivery(ies)"


def schedule_watch(*, run_after=None) -> bool:
    """Make sure one `watch_announcements` waits in the queue; True if this call queued it."""
    return retry.one_waiting(watch_announcements, run_after=run_after or timezone.now() + watch_interval())[1]
