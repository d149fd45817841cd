"""The reader's page (the manage link in every email): what the address follows, stopping one or all of it,
and a link that expires."""

import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client

from subscriptions import links
from subscriptions.models import Address, Subscription

from .conftest import follower, press

pytestmark = pytest.mark.django_db


def test_the_readers_page_lists_what_they_follow_and_stops_any_of_it(client, smtp_server, run_tasks, post, make_post):
    """The manage link lists the address's subscriptions (not others'); Stop ends one; Stop all ends all, opts out."""
    other_post = make_post("Another post")
    mine = [follower("me@example.org", post), follower("me@example.org", other_post), follower("me@example.org")]
    follower("someone-else@example.org", post)
    path = urlsplit(links.manage_url(mine[0].address)).path
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(path).content.decode()
    assert page.count('name="subscription"') == 3 and "someone-else" not in page
    assert f'New comments on “<a href="{post.get_absolute_url()}">{post.title}</a>”' in page

    stopped = press(browser, path, action="stop", subscription=mine[1].pk)
    assert "Stopped: new comments on “Another post”" in stopped.content.decode()
    assert set(Subscription.objects.filter(address=mine[0].address)) == {mine[0], mine[2]}

    everything = press(browser, path, action="stop-everything")
    assert "we will send nothing more" in everything.content.decode()
    assert not Subscription.objects.filter(address=mine[0].address).exists()
    assert Address.objects.get(email="me@example.org").opted_out
    assert Subscription.objects.filter(address__email="someone-else@example.org").exists()

    press(browser, path, action="allow-again")
    assert not Address.objects.get(email="me@example.org").opted_out


def test_the_readers_page_refuses_an_expired_link(client, monkeypatch, settings):
    """A manage link older than SUBSCRIPTIONS_LINK_MAX_AGE is refused and changes nothing."""
    subscription = follower("me@example.org")
    path = urlsplit(links.manage_url(subscription.address)).path
    later = time.time() + settings.SUBSCRIPTIONS_LINK_MAX_AGE + 60
    monkeypatch.setattr("groundwork.links.time", SimpleNamespace(time=lambda: later))

    response = client.post(path, {"action": "stop-everything"})
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()
