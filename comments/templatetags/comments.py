from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from comments import closing, cookies, drafts
from comments.caching import store_section, stored_section
from comments.forms import comment_form_for, form_context
from comments.models import Comment, Status
from comments.thread import load_thread, render
from groundwork.shared_pages import is_personal

register = template.Library()


@register.simple_tag
def comment_max_length() -> str:
    """The longest comment there may be, as a page says it: "65,525"."""
    return f"{Comment._meta.get_field('body').max_length:,}"


@register.simple_tag(takes_context=True)
def comment_count(context, post):
    return _thread(context, post).approved_count


@register.inclusion_tag("comments/_page_links.html", takes_context=True)
def comment_page_links(context, post):
    """The head's links for the page of comments shown: canonical, and rel prev/next between pages."""
    return {"thread": _thread(context, post)}


def _thread(context, post):
    """The page of the thread the address asks for (`comment_page` from the view), loaded once per request."""
    return load_thread(post, context["request"], context.get("comment_page"))


@register.simple_tag(takes_context=True)
def comments_section(context, post):
    """The thread and the "Leave a Reply" form under an article.

    A reader with no session and no comment cookies gets no per-visitor value here (no CSRF
    token, timestamp or captcha): the page stays the same for everyone, and comments.js asks
    the form-state endpoint for those when the reader starts writing. For them the section's
    HTML is stored, under the thread's version (which changes with any comment shown) and
    whether comments are open (and if not, why): most requests never load a comment or render the form.
    """
    request = context["request"]
    thread = _thread(context, post)
    closed = closing.closed(post)
    shared = not is_personal(request) and "replytocom" not in request.GET
    html = stored_section(thread, closed=closed) if shared else None
    if html is None:
        html = render_to_string("comments/_section.html", _section_context(request, post, thread, closed))
        if shared:
            store_section(thread, html, closed=closed)
    return mark_safe(html)  # noqa: S308 (rendered by the template above, which escapes)


def _section_context(request, post, thread, closed) -> dict:
    reply_to = None
    asked = request.GET.get("replytocom", "")
    if asked.isascii() and asked.isdecimal() and len(asked) <= 18:  # an id: not 5,000 digits, which int() refuses
        candidate = thread.by_id.get(int(asked))
        if candidate and candidate.status == Status.APPROVED and candidate.depth < settings.COMMENTS_MAX_DEPTH:
            reply_to = candidate
    initial = {"parent": reply_to.pk if reply_to else None, **cookies.remembered_details(request)}
    initial |= drafts.take(request, post)  # The comment being written when the reader left to log in.
    initial["remember"] = bool(initial["email"])
    form = comment_form_for(request.user, post, initial=initial)
    return {
        **form_context(request, post, form, reply_to=reply_to, personal=request.user.is_authenticated),
        "request": request,
        "user": request.user,
        "thread": thread,
        "max_depth": settings.COMMENTS_MAX_DEPTH,
        "thread_html": render(thread, closed=closed is not None),
        "comments_closed": closed,
    }
