"""Subscriptions in the admin: moderators list, filter and remove them, a post's page counts its followers,
and nobody adds or edits one (only an address's owner subscribes it)."""

import pytest
from django.urls import reverse

from comments.models import Actor, Reason, Status
from comments.moderation import change_status
from subscriptions.models import Subscription

from .conftest import follower

pytestmark = pytest.mark.django_db


def test_moderators_see_subscriptions_filter_them_and_remove_them(client, moderator, post, make_post):
    """A moderator lists subscriptions by post, confirmation and address, sees counts on the post, and deletes one."""
    other = make_post("Quiet one")
    kept = follower("alice@example.org", post)
    follower("bob@example.org", post, confirmed=False)
    follower("alice@example.org", other)
    gone = follower("carol@example.org")
    client.force_login(moderator)
    changelist = reverse("admin:subscriptions_subscription_changelist")

    def listed(query=""):
        return [sub.pk for sub in client.get(changelist + query).context["cl"].result_list]

    assert sorted(listed()) == sorted(Subscription.objects.values_list("pk", flat=True))
    assert sorted(listed(f"?post={post.pk}")) == sorted(
        Subscription.objects.filter(post=post).values_list("pk", flat=True)
    )
    assert listed("?post=new-posts") == [gone.pk]
    assert listed("?confirmed=no") == [Subscription.objects.get(address__email="bob@example.org").pk]
    assert sorted(listed(f"?address={kept.address_id}")) == sorted(
        Subscription.objects.filter(address=kept.address).values_list("pk", flat=True)
    )
    assert listed("?q=carol") == [gone.pk]

    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Subscription.objects.filter(pk=gone.pk).exists()


def test_the_posts_admin_page_counts_its_followers(admin_client, post):
    """A post's change page says how many follow its comments, and links to them."""
    follower("alice@example.org", post)
    follower("bob@example.org", post, confirmed=False)
    follower("carol@example.org")

    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert (
        f'<a href="/admin/subscriptions/subscription/?post={post.pk}">1 confirmed, 1 waiting for confirmation</a>'
        in page
    )


def test_nobody_adds_or_edits_a_subscription_in_the_admin(admin_client, post):
    """Only an address's owner subscribes it (through the confirmation email): the admin offers no add or edit."""
    subscription = follower("alice@example.org", post, confirmed=False)

    assert admin_client.get(reverse("admin:subscriptions_subscription_add")).status_code == 403
    admin_client.post(
        reverse("admin:subscriptions_subscription_change", args=[subscription.pk]), {"confirmed_at": "2026-01-01"}
    )
    subscription.refresh_from_db()
    assert not subscription.confirmed


def test_change_status_still_records_one_event_with_followers(post, make_comment, moderator):
    """Telling followers adds no history row: approving writes one CommentEvent, as before."""
    follower("watcher@example.org", post)
    comment = make_comment(post, status=Status.PENDING)

    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator)

    assert comment.events.count() == 1
