"""The two sides of the comment form that belong to accounts: the login icons, and who is commenting."""

from django import template
from django.contrib.messages import get_messages

from accounts.logins import login_buttons
from comments.commenters import commenter

register = template.Library()


@register.inclusion_tag("accounts/_social_login.html", takes_context=True)
def social_login(context, post):
    """The provider icons for a guest: the same for every reader, so the page can be cached."""
    request = context["request"]
    return {"post": post, "buttons": login_buttons(request), "messages": get_messages(request)}


@register.inclusion_tag("accounts/_commenting_as.html", takes_context=True)
def commenting_as(context, post):
    """ "You are commenting using your Google account. (Log Out / Change)" """
    request = context["request"]
    return {
        "post": post,
        "commenter": commenter(request.user),
        "can_change": bool(login_buttons(request)),
        "messages": get_messages(request),
    }
