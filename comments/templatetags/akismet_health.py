"""Akismet's health in the admin: the box (what the task worker last read) and the banner (when a person must act).

Both show `akismet.health()`, read once per request and never from Akismet itself: the worker asks Akismet
about the key, its usage and sites (akismet.refresh_health) and keeps the answers in the database. Only staff
who may see the comments see either.
"""

from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince

from comments import akismet

from .moderation_queue import unreachable_url

register = template.Library()


def health_for(request) -> akismet.Health:
    """Read once per request, however many parts of the page show it."""
    if not hasattr(request, "_akismet_health"):
        request._akismet_health = akismet.health()
    return request._akismet_health


def _shown_health(context) -> akismet.Health | None:
    request = context.get("request")
    if request is None or not request.user.has_perm("comments.view_comment"):
        return None
    return health_for(request)


def every(seconds: int) -> str:
    """AKISMET_HEALTH_SECONDS in words: "15 minutes", "90 seconds"."""
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@register.filter
def ago(moment) -> str:
    """ "just now" within the minute, else "3 minutes ago": when the worker or Akismet last did something."""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.inclusion_tag("admin/comments/akismet_health.html", takes_context=True)
def akismet_health_box(context) -> dict:
    """The compact box: the key, the last answer, the last day's calls, what waits on Akismet, usage and sites."""
    health = _shown_health(context)
    if health is None:
        return {"shown": False}
    limit, count = health.usage_limit, health.usage_count
    read_every = timedelta(seconds=settings.AKISMET_HEALTH_SECONDS)
    return {
        "shown": True,
        "health": health,
        "usage_percent": 100 * count / limit if limit and count is not None else None,
        "unreachable_url": unreachable_url(),
        "read_every": every(settings.AKISMET_HEALTH_SECONDS),
        # Twice the interval and a housekeeping round late: the worker is probably not running.
        "read_long_ago": health.read_at is not None and health.read_at < timezone.now() - 2 * read_every,
    }


@register.inclusion_tag("admin/comments/akismet_banner.html", takes_context=True)
def akismet_banner(context) -> dict:
    """What needs a person: the key is invalid, or Akismet sent an alert."""
    health = _shown_health(context)
    return {"health": health, "site_url": settings.SITE_URL}
