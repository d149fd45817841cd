"""The links in the emails to followers: made, opened, checked.

Each kind of link is sealed for a purpose of its own (comments/links.py), so one can never pass
for another, and each names the address it was sent to by its id and a fingerprint of its email
(a link for one address is no use for another, nor for a new address given the id of a deleted
one). Sealed, neither can be read from the link: not in a log, nor in a browser's history.

- confirm: the subscriptions an address is asked to confirm; expires after
  SUBSCRIPTIONS_CONFIRM_MAX_AGE, as the unconfirmed subscriptions do.
- manage: the page where the address's owner sees what they follow and stops any of it.
- unsubscribe: the one-click link of `List-Unsubscribe` (RFC 8058): stops one subscription,
  or, with none named, every email from the site to the address.

Manage and unsubscribe links live SUBSCRIPTIONS_LINK_MAX_AGE (a year): mail clients keep
offering the unsubscribe button long after the email arrived.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from groundwork.links import NOT_VALID, LinkRefused, seal, unseal
from groundwork.site_url import absolute_url

from .models import Address

CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"


def _purpose(kind: str) -> str:
    return f"subscriptions.{kind}-link"


def _fingerprint(address: Address) -> str:
    """Names the mailbox without showing it: a link outlives a change of the address only to the same mailbox."""
    return hashlib.sha256(address.email_key.encode()).hexdigest()[:16]


def _token(kind: str, address: Address, *rest) -> str:
    return seal([address.pk, _fingerprint(address), *rest], purpose=_purpose(kind))


def confirm_url(address: Address, subscription_ids: list[int]) -> str:
    return absolute_url(reverse("subscriptions:confirm", args=[_token(CONFIRM, address, sorted(subscription_ids))]))


def manage_url(address: Address) -> str:
    return absolute_url(reverse("subscriptions:manage", args=[_token(MANAGE, address)]))


def unsubscribe_url(address: Address, subscription_id: int | None = None) -> str:
    """The one-click link stopping subscription `subscription_id`, or every email to the address."""
    return absolute_url(reverse("subscriptions:unsubscribe", args=[_token(UNSUBSCRIBE, address, subscription_id)]))


@dataclass
class Opened:
    """A link that checked out: the address it was sent to, and what else it names."""

    address: Address
    rest: list


def _open(kind: str, token: str, max_age: int, length: int) -> Opened:
    payload = unseal(token, purpose=_purpose(kind), max_age=max_age, expired=EXPIRED[kind])
    if not isinstance(payload, list) or len(payload) != length:
        raise LinkRefused(NOT_VALID)
    address_id, named, *rest = payload
    address = Address.objects.filter(pk=address_id).first()
    # A link from before links were sealed names the email itself (comments.links._unsign).
    if address is None or named not in (_fingerprint(address), address.email.casefold()):
        raise LinkRefused("This address is no longer on our list: there is nothing to change.", status=410)
    return Opened(address, rest)


EXPIRED = {
    CONFIRM: "This confirmation link has expired, and so has the request it confirmed. "
    "Tick the box under a comment form again to get a new one.",
    MANAGE: "This link has expired. Every email we send you carries a fresh one.",
    UNSUBSCRIBE: "This link has expired. Every email we send you carries a fresh one.",
}


def open_confirm(token: str) -> tuple[Address, list[int]]:
    opened = _open(CONFIRM, token, settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE, 3)
    ids = opened.rest[0]
    if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids):
        raise LinkRefused(NOT_VALID)
    return opened.address, ids


def open_manage(token: str) -> Address:
    return _open(MANAGE, token, settings.SUBSCRIPTIONS_LINK_MAX_AGE, 2).address


def open_unsubscribe(token: str) -> tuple[Address, int | None]:
    opened = _open(UNSUBSCRIBE, token, settings.SUBSCRIPTIONS_LINK_MAX_AGE, 3)
    subscription_id = opened.rest[0]
    if subscription_id is not None and not isinstance(subscription_id, int):
        raise LinkRefused(NOT_VALID)
    return opened.address, subscription_id
