"""What a reader asked to follow, from the boxes under a comment form, in order.

1. The pipeline says so (comments' `signals.follow_requested`), in the comment's transaction:
   `follow_requested` receives it. A comment already spam asks for nothing.
2. Under a lock on the address and on the IP address (two requests at once are judged one after
   the other), forget unconfirmed subscriptions that have expired, then record what was asked:
   a subscription to the post's comments, to the site's new posts, or both, each waiting for
   confirmation. What is already confirmed stays as it is.
3. An address the reader's login provider reports as verified (allauth's EmailAddress) is
   confirmed at once: its owner is the one asking (and, confirmed, the IP address is not kept).
4. Otherwise one confirmation email for everything asked (both boxes: one email), unless
   - the address asked for no email at all (its owner opted out), or
   - it was asked to confirm the same subscriptions within the last hour (a second comment
     with the box ticked sends nothing new), or
   - it has had SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS confirmation emails in the last day, or
     the IP address has sent SUBSCRIPTIONS_CONFIRMATIONS_PER_IP in the last hour.
   Then nothing is sent: the subscriptions wait, unconfirmable, and expire. Nobody can have
   someone else's inbox filled: no email but the confirmation ever goes to an unconfirmed
   address, and that one is rationed.
5. The email is written and sent by the worker (`emails.compose_confirmation`), which leaves
   out what was confirmed, stopped or asked for with a comment found to be spam meanwhile.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from comments.models import Status
from groundwork import locking, mail
from groundwork.email_addresses import email_key, matching

from . import actions, emails
from .models import Address, ConfirmationEmail, Subscription

ASK_AGAIN_AFTER = timedelta(hours=1)
KEEP_CONFIRMATION_EMAILS = timedelta(days=1)  # as long as the longest rate window
ASKED_TO_CONFIRM = "asked to confirm"


def follow_requested(sender, *, comment, new_comments: bool, new_posts: bool, **kwargs) -> bool:
    """Receiver of comments' `follow_requested`: record what the commenter asked to follow; whether a confirmation
    email is on its way (the page after posting says to check the inbox)."""
    if comment.status == Status.SPAM:
        return False
    happened = request_follow(
        email=comment.author_email,
        ip_address=comment.ip_address,
        post=comment.post if new_comments else None,
        new_posts=new_posts,
        comment=comment,
        verified=verified_by_provider(comment),
    )
    return happened == ASKED_TO_CONFIRM


def verified_by_provider(comment) -> bool:
    """Whether the comment's author is logged in with an account whose provider verified this address."""
    if comment.user_id is None:
        return False
    verified = EmailAddress.objects.filter(user_id=comment.user_id, verified=True)
    return bool(matching(verified, "email", comment.author_email))


def request_follow(*, email, ip_address=None, post=None, new_posts=False, comment=None, verified=False) -> str:
    """Record that `email` wants the comments of `post` and/or the new posts; returns what happened.

    Call it inside a transaction (the locks last until it ends).
    """
    locking.hold(f"subscriptions.address.{email_key(email)}", f"subscriptions.ip.{ip_address}")
    erase_expired()
    address = Address.objects.for_email(email)
    if address.opted_out and not verified:
        return "nothing: the address asked for no email"
    now = timezone.now()
    asked = []
    for followed in ([post] if post is not None else []) + ([None] if new_posts else []):
        subscription, _ = Subscription.objects.get_or_create(address=address, post=followed)
        if not subscription.confirmed:
            subscription.requested_at, subscription.comment, subscription.ip_address = now, comment, ip_address
            subscription.save(update_fields=["requested_at", "comment", "ip_address"])
            asked.append(subscription)
    if not asked:
        return "nothing: already following"
    if verified:
        Subscription.objects.filter(pk__in=[sub.pk for sub in asked]).confirm(now)
        if address.opted_out:  # opted out, then asked again, from an address the provider vouches for
            actions.allow_again(address)
        return "confirmed: the provider verified the address"
    to_ask = [sub for sub in asked if sub.asked_at is None or sub.asked_at < now - ASK_AGAIN_AFTER]
    if not to_ask:
        return "nothing: a confirmation email went out within the hour"
    if too_many_confirmations(address, ip_address):
        return "nothing: too many confirmation emails"
    ConfirmationEmail.objects.create(address=address, ip_address=ip_address, queued_at=now)
    Subscription.objects.filter(pk__in=[sub.pk for sub in to_ask]).update(asked_at=now)
    mail.send_later(emails.compose_confirmation, address.pk, [sub.pk for sub in to_ask])
    return ASKED_TO_CONFIRM


def too_many_confirmations(address, ip_address) -> bool:
    now = timezone.now()
    per_address = ConfirmationEmail.objects.filter(address=address, queued_at__gte=now - timedelta(days=1))
    if per_address.count() >= settings.SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS:
        return True
    if ip_address is None:
        return False
    per_ip = ConfirmationEmail.objects.filter(ip_address=ip_address, queued_at__gte=now - timedelta(hours=1))
    return per_ip.count() >= settings.SUBSCRIPTIONS_CONFIRMATIONS_PER_IP


def erase_expired() -> None:
    """Delete unconfirmed subscriptions past their time, and confirmation emails no rate window counts any more."""
    Subscription.objects.expired().delete()
    ConfirmationEmail.objects.filter(queued_at__lt=timezone.now() - KEEP_CONFIRMATION_EMAILS).delete()
