"""The followers box on a post's admin page (templates/admin/subscriptions/post_change_form.html, set by admin.py)."""

from django import template
from django.db.models import Count, Q
from django.urls import reverse

from subscriptions.models import Announcement, Subscription

register = template.Library()


@register.inclusion_tag("subscriptions/admin_post_followers.html")
def post_followers(post):
    """How many follow the post's comments, and how far its new-post email has gone (if it has one)."""
    counts = Subscription.objects.to_comments_on(post).aggregate(
        confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
        waiting=Count("pk", filter=Q(confirmed_at__isnull=True)),
    )
    announcement = Announcement.objects.filter(post=post).with_progress().first()
    progress = announcement and {"sent": announcement.sent_count, "total": announcement.total_count}
    return {
        **counts,
        "followers_url": reverse("admin:subscriptions_subscription_changelist") + f"?post={post.pk}",
        "announcement": announcement and {**progress, "finished": announcement.finished_at is not None},
        "deliveries_url": announcement
        and reverse("admin:subscriptions_delivery_changelist") + f"?announcement__id__exact={announcement.pk}",
    }
