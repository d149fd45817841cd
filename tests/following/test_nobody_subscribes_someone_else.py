"""Nobody subscribes someone else: confirmation emails rationed per address and per IP address, none
for spam, waiting subscriptions that expire, and links (confirm, manage, unsubscribe) that cannot be
tampered with, passed off as another kind or another address's, or replayed."""

import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Status
from subscriptions import links
from subscriptions.models import Address, Subscription

from .conftest import comment_as_guest, follower, link, press

pytestmark = pytest.mark.django_db


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
