"""The number of comments waiting for a moderator: in the admin's app list and the site's header for staff."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from comments.models import Comment, Reason, Status

register = template.Library()


def pending_count(request) -> int:
    """Counted once per request, however many times the page shows it."""
    if request is None:
        return Comment.objects.pending().count()
    if not hasattr(request, "_pending_comment_count"):
        request._pending_comment_count = Comment.objects.pending().count()
    return request._pending_comment_count


def remember_pending_count(request, count: int) -> None:
    """For a page that has counted anyway (the comments list), so the count is not made twice."""
    request._pending_comment_count = count


def pending_url() -> str:
    return reverse("admin:comments_comment_changelist") + "?status=pending"


def unreachable_url() -> str:
    """The queue showing only the comments held because Akismet could not be reached."""
    query = urlencode({"status": Status.PENDING, "reason__exact": Reason.AKISMET_UNREACHABLE})
    return reverse("admin:comments_comment_changelist") + "?" + query


@register.simple_tag(takes_context=True)
def pending_comment_count(context) -> int:
    return pending_count(context.get("request"))


@register.simple_tag(takes_context=True)
def staff_pending_link(context) -> str:
    """ "N pending", linking to the queue, for staff who may moderate; nothing for anyone else.

    A visitor without a session cookie cannot be staff, so their page is left as it is, without
    reading the session (which would add `Vary: Cookie` to every page).
    """
    request = context.get("request")
    if request is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return ""
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("comments.view_comment")):
        return ""
    count = pending_count(request)
    label = "comment waiting for moderation" if count == 1 else "comments waiting for moderation"
    return format_html(
        '<a class="staff-pending" href="{}" title="{} {}">{} pending</a>', pending_url(), count, label, count
    )
