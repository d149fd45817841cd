"""Who follows what by email, and what has been sent to them.

- `Address`: an email address that asked to follow something (or a commenter told that their
  comment is published), one per mailbox: found by its key (comments' addresses.email_key), so
  `X@Mail.Example` is `x@mail.example`'s row, and the same with a dotless i has its own. Its
  owner may ask for no email at all from the site (`opted_out_at`): then nothing is sent to it,
  not even a confirmation.
- `Subscription`: an address follows the comments of one post, or (no post) the site's new
  posts. It waits (`confirmed_at` empty) until the address's owner confirms it through the
  signed link of a confirmation email, and is forgotten if they have not within
  SUBSCRIPTIONS_CONFIRM_MAX_AGE. The IP address it was asked from is kept only until then.
- `ConfirmationEmail`: one confirmation email queued to an address, from an IP address; the
  rate limits count them.
- `CommentNotice`: an approved comment told to one follower, in an email of its own or gathered
  into a digest (`in_digest`). One per follower and comment, so nobody hears of a comment twice.
- `Announcement` and `Delivery`: a new post's email to the site's subscribers, made once per
  post, with a row per subscriber that says whether it was sent. The row is marked "sending"
  before the mail server is spoken to and "sent" after, so a worker killed in the middle of a
  batch leaves a record of exactly who may have it, and a restarted one sends nobody a second copy.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from groundwork.email_addresses import KEY_LENGTH, email_key


class AddressQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Addresses stored in bulk get their key, as `Address.save` gives it."""
        objs = list(objs)
        for address in objs:
            address.email_key = email_key(address.email)
        return super().bulk_create(objs, *args, **kwargs)

    def reachable(self):
        """Addresses that have not asked for no email at all."""
        return self.filter(opted_out_at__isnull=True)

    def following_new_posts(self):
        """Reachable addresses with a confirmed subscription to the site's new posts."""
        confirmed = Subscription.objects.confirmed().to_new_posts()
        return self.reachable().filter(pk__in=confirmed.values("address_id"))

    def get_by_email(self, email: str) -> "Address | None":
        """The address `email` under any spelling of it (same key), if known."""
        return self.filter(email_key=email_key(email)).first()

    def for_email(self, email: str) -> "Address":
        """The address `email` (any spelling of it), made if it is new."""
        return self.get_by_email(email) or self.create(email=email)


class Address(models.Model):
    email = models.EmailField(max_length=254, help_text="As first written; matched by its key.")
    email_key = models.CharField(
        max_length=KEY_LENGTH,
        unique=True,
        editable=False,
        help_text="The email as comments' addresses.email_key reads it: one row per mailbox.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    opted_out_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its owner asked for no email at all from this site: nothing is sent to it, "
        "not even a confirmation, until they allow it again on their page.",
    )

    objects = AddressQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email_key = email_key(self.email)
        if kwargs.get("update_fields") is not None and "email" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "email_key"}
        super().save(*args, **kwargs)

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def waiting(self):
        """Not confirmed yet, and not expired."""
        return self.filter(confirmed_at__isnull=True, requested_at__gte=confirmation_deadline())

    def expired(self):
        return self.filter(confirmed_at__isnull=True, requested_at__lt=confirmation_deadline())

    def to_new_posts(self):
        return self.filter(post__isnull=True)

    def to_comments_on(self, post):
        return self.filter(post=post)

    def reaching(self):
        """Subscriptions whose address may be emailed."""
        return self.filter(address__opted_out_at__isnull=True)

    def confirm(self, now) -> int:
        """Confirm them at `now`; the IP address they were asked from is of no more use, and is not kept."""
        return self.update(confirmed_at=now, ip_address=None)


def confirmation_deadline():
    """Subscriptions asked for before this and still unconfirmed have expired."""
    return timezone.now() - timedelta(seconds=settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE)


class Subscription(models.Model):
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="subscriptions")
    post = models.ForeignKey(
        "blog.Post",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        help_text="The post whose new comments are followed; empty for the site's new posts.",
    )
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The comment whose form asked for it: a confirmation is not sent for a comment that is spam.",
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    asked_at = models.DateTimeField(null=True, blank=True, help_text="When a confirmation email was last queued.")
    confirmed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, help_text="Where it was asked for from.")

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "post"], condition=Q(post__isnull=False), name="subscriptions_one_per_post"
            ),
            models.UniqueConstraint(fields=["address"], condition=Q(post__isnull=True), name="subscriptions_one_site"),
        ]

    def __str__(self):
        return f"{self.address} → {self.describe()}"

    def describe(self) -> str:
        return f"new comments on “{self.post.title}”" if self.post_id else "new posts"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class ConfirmationEmail(models.Model):
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="confirmation_emails")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"Confirmation to {self.address} at {self.queued_at:%Y-%m-%d %H:%M}"


class CommentNotice(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notices")
    comment = models.ForeignKey("comments.Comment", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    in_digest = models.BooleanField(default=False, help_text="Gathered into a digest: the follower had had enough.")
    digest_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "comment"], name="subscriptions_one_notice")]

    def __str__(self):
        return f"{self.comment_id} → {self.subscription.address}"


class AnnouncementQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(finished_at__isnull=True)

    def with_progress(self):
        """Annotated with how far the email has gone: `sent_count`, `waiting_count` (waiting or being sent),
        `other_count` (skipped, failed or interrupted) and `total_count` (every delivery)."""
        return self.annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
            waiting_count=Count(
                "deliveries", filter=Q(deliveries__state__in=[DeliveryState.WAITING, DeliveryState.SENDING])
            ),
            other_count=Count(
                "deliveries",
                filter=Q(
                    deliveries__state__in=[DeliveryState.INTERRUPTED, DeliveryState.SKIPPED, DeliveryState.FAILED]
                ),
            ),
            total_count=Count("deliveries"),
        )


class Announcement(models.Model):
    post = models.OneToOneField("blog.Post", on_delete=models.CASCADE, related_name="announcement")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Batches in a row the mail server did not take; the next waits longer."
    )
    resume_after = models.DateTimeField(null=True, blank=True, help_text="The next batch waits for this.")

    objects = AnnouncementQuerySet.as_manager()

    def __str__(self):
        return f"New post: {self.post}"


class DeliveryState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    SENDING = "sending", "Being handed to the mail server"
    SENT = "sent", "Sent"
    INTERRUPTED = "interrupted", "Interrupted while being sent: maybe delivered, never sent again"
    SKIPPED = "skipped", "Not sent (unsubscribed, or the post withdrawn, meanwhile)"
    FAILED = "failed", "Refused by the mail server"


class DeliveryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(state=DeliveryState.WAITING)

    def sending(self):
        return self.filter(state=DeliveryState.SENDING)

    def interrupt_stalled(self, stalled_since) -> int:
        """Mark interrupted the rows "sending" since before `stalled_since` (a killed worker's): maybe delivered,
        never sent again. Returns how many."""
        return (
            self.sending()
            .filter(attempted_at__lt=stalled_since)
            .update(state=DeliveryState.INTERRUPTED, detail="The worker stopped while handing it over.")
        )


class Delivery(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="deliveries")
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=11, choices=DeliveryState, default=DeliveryState.WAITING)
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["announcement", "address"], name="subscriptions_one_delivery")]
        indexes = [models.Index(fields=["announcement", "state"])]

    def __str__(self):
        return f"{self.announcement.post} → {self.address} ({self.state})"
