"""What the owner of an address does through the signed links in their emails (links.py).

Each takes the address the link was sent to, so whatever else a link or a form names (a
subscription id) only counts when it belongs to that address.
"""

from django.db import transaction
from django.utils import timezone

from .models import Address, Subscription


def asked(address: Address, subscription_ids: list[int]) -> tuple[list[Subscription], list[Subscription]]:
    """What a confirmation link names, of the address's subscriptions: (still waiting, confirmed before).

    Those stopped or expired since are in neither.
    """
    named = address.subscriptions.filter(pk__in=subscription_ids).select_related("post")
    return list(named.waiting()), list(named.confirmed())


def confirm(address: Address, subscription_ids: list[int]) -> tuple[list[Subscription], list[Subscription]]:
    """Confirm what the link asked about: (newly confirmed, confirmed before).

    Subscriptions stopped or expired since are not brought back: replaying an old confirmation
    link after unsubscribing subscribes nobody.
    """
    waiting, before = asked(address, subscription_ids)
    with transaction.atomic():
        Subscription.objects.filter(pk__in=[sub.pk for sub in waiting]).confirm(timezone.now())
        if waiting and address.opted_out:  # they opted out, then confirmed after all: the later wish wins
            allow_again(address)
    return waiting, before


def stop(address: Address, subscription_id: int) -> Subscription | None:
    """Stop one of the address's subscriptions; None if it has no such subscription (any more)."""
    subscription = address.subscriptions.filter(pk=subscription_id).select_related("post").first()
    if subscription is not None:
        subscription.delete()
    return subscription


def stop_everything(address: Address) -> int:
    """Stop every subscription and send the address nothing more, not even a confirmation; returns how many."""
    with transaction.atomic():
        stopped = address.subscriptions.count()
        address.subscriptions.all().delete()
        if not address.opted_out:
            address.opted_out_at = timezone.now()
            address.save(update_fields=["opted_out_at"])
    return stopped


def allow_again(address: Address) -> None:
    """Undo `stop_everything`'s "nothing more": confirmation emails may be sent again."""
    address.opted_out_at = None
    address.save(update_fields=["opted_out_at"])


def erase(address: Address) -> int:
    """Erase the address at its owner's request: every subscription (with the comments told under it), the
    confirmation emails and new posts sent to it, even that it asked for no email. Returns how many subscriptions ended.
    """
    with transaction.atomic():
        ended = address.subscriptions.count()
        address.delete()
    return ended
