import logging
from functools import wraps

from captcha import views as captcha_views
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import InterfaceError, OperationalError
from django.db.models import Case, Q, When
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blog.models import Post
from blog.protection import is_locked
from groundwork import csrf, limits
from groundwork.links import opens_link, render_link_page
from groundwork.site_url import absolute_url

from . import akismet, cookies, links, moderation, pipeline, reports, thread
from .forms import GuestCommentForm, ReportForm, comment_form_for, form_context, issue_timestamp
from .models import Comment


def _replying_to(post, form):
    """The approved comment a kept form answers, for its "Leave a Reply to NAME" heading."""
    parent_id = str(form["parent"].value() or "")
    if "parent" in form.errors or not parent_id.isdecimal():
        return None
    return Comment.objects.approved().filter(pk=parent_id, post=post).first()


def _render_form_page(request, post, form, *, confirming=False, status=200, waiting=False, refused=False):
    """The comment form on a page of its own, the reader's text in it; `waiting`: over a limit, no new captcha;
    `refused`: sending it again cannot help (a ban)."""
    context = {
        **form_context(request, post, form, reply_to=_replying_to(post, form)),
        "confirming": confirming,
        "waiting": waiting,
        "refused": refused,
    }
    return render(request, "comments/form_page.html", context, status=status)


logger = logging.getLogger(__name__)

TOO_MANY = "Too many requests from your network in a short time. Please wait a minute and try again."

# What the reader typed; the rest of a form from a cached page (token, timestamp, captcha) comes with the confirmation.
READERS_FIELDS = ("comment", "name", "email", "url", NON_FIELD_ERRORS)


def _ask_to_confirm(request, post, form):
    """A form from a cached page: point out what the reader must correct, or else ask for the captcha."""
    form.is_valid()
    for name in set(form.errors) - set(READERS_FIELDS):
        del form.errors[name]
    if form.errors:
        return _render_form_page(request, post, form, status=400)
    unchecked = comment_form_for(request.user, post, initial=request.POST.dict())
    return _render_form_page(request, post, unchecked, confirming=True)


# A form field sent back as it was from the page that asks to try again (the token and captcha are asked anew).
NOT_SENT_BACK = {"csrfmiddlewaretoken", "captcha_0", "captcha_1"}


def kept_while_the_database_is_away(view):
    """A database restart must not cost a reader their comment: they get it back on a page to send again.

    That page is drawn without the database (no base template, no session), and says to try in a moment.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            logger.warning("Could not store a comment (the database did not answer): %r", error)
            fields = [(name, value) for name, value in request.POST.items() if name not in NOT_SENT_BACK]
            context = {"fields": fields, "comment": request.POST.get("comment", ""), "action": request.path}
            response = HttpResponse(render_to_string("comments/try_again.html", context), status=503)
            response["Retry-After"] = "5"
            return response

    return wrapper


def _open_post(request, post_id):
    """A published post the reader may comment on: 404 for any other, as for a protected one they did not unlock."""
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    if is_locked(request, post):
        raise Http404("The post is protected by a password.")
    return post


@kept_while_the_database_is_away
@csrf.checked_in_view  # A cached article's form has no token: the reader confirms on a fresh form.
@require_POST
@never_cache
def post_comment(request, post_id):
    post = _open_post(request, post_id)
    if limits.over_limit(request, "comments.post", settings.COMMENTS_RATE_POSTS):
        kept = comment_form_for(request.user, post, initial=request.POST.dict())
        return _render_form_page(request, post, kept, status=429, waiting=True)
    form = comment_form_for(request.user, post, data=request.POST)
    if not request.POST.get("timestamp") or not request.csrf_ok:
        return _ask_to_confirm(request, post, form)
    if not form.is_valid():
        return _render_form_page(request, post, form, status=400)
    try:
        comment = pipeline.submit_comment(post=post, form=form, submission=pipeline.Submission.from_request(request))
    except pipeline.CommentRefused as refusal:
        form.add_error(None, refusal.message)
        return _render_form_page(request, post, form, status=400, refused=refusal.final)

    response = redirect(thread.landing_url(comment))
    response["X-Comment-Id"] = comment.pk  # for the access log's line (deploy/gunicorn.conf.py)
    cookies.remember_own_comment(request, response, comment)
    if isinstance(form, GuestCommentForm):
        data = form.cleaned_data
        cookies.save_details(
            response, remember=data["remember"], name=comment.author_name, email=comment.author_email, url=data["url"]
        )
    return response


@require_GET
@never_cache
def form_state(request, post_id):
    """The per-visitor parts of the comment form: CSRF token, signed timestamp, a captcha."""
    post = _open_post(request, post_id)
    if limits.over_limit(request, "comments.form-state", settings.COMMENTS_RATE_FORM_STATE):
        return JsonResponse({"error": TOO_MANY}, status=429)
    state = {"csrf_token": get_token(request), "timestamp": issue_timestamp(post), "captcha_html": ""}
    if not request.user.is_authenticated:
        captcha_field = GuestCommentForm(post, request.user)["captcha"]
        state["captcha_html"] = render_to_string("comments/_captcha.html", {"field": captcha_field}, request)
    return JsonResponse(state)


@require_GET
@never_cache  # a new captcha for this reader alone: a shared cache would hand it to the next reader too
def captcha_refresh(request):
    """django-simple-captcha's "New picture", which stores a captcha each time: as limited as the form's state."""
    if limits.over_limit(request, "comments.form-state", settings.COMMENTS_RATE_FORM_STATE):
        return JsonResponse({"error": TOO_MANY}, status=429)
    return captcha_views.captcha_refresh(request)


@require_GET
def comment_permalink(request, comment_id):
    """An address that finds a published comment's page by itself: /comments/N/ -> its page, #comment-N.

    With ?on=<post id> it also takes the WordPress id an imported comment had on that post (its old
    #comment-N anchor), which comments.js asks for when an anchor is not on the page shown; an anchor
    of no published comment there (one held, spam, gone) lands on the article itself.
    """
    published = Comment.objects.published().select_related("post")
    on_post = request.GET.get("on", "")
    if on_post.isascii() and on_post.isdecimal() and len(on_post) <= 18:  # an id (int() refuses 5,000 digits)
        match = Q(pk=comment_id) | Q(wordpress_id=comment_id)
        comment = (
            published.filter(match, post_id=on_post).order_by(Case(When(pk=comment_id, then=0), default=1)).first()
        )
        article = Post.objects.published().filter(pk=on_post).first() if comment is None else None
        if article is not None:
            return redirect(article.get_absolute_url())
    else:
        comment = published.filter(pk=comment_id).first()
    if comment is None or not comment.post.is_public:
        raise Http404("No published comment has this number.")
    return redirect(comment.get_absolute_url())


def _link_refused(request, refusal):
    """A moderation link that cannot be used (expired, used, no longer the recipient's to use), and why."""
    return render_link_page(request, "comments/moderate_confirm.html", {"refusal": refusal}, status=refusal.status)


@require_http_methods(["GET", "POST"])
@never_cache
@opens_link(links.open_moderation_link, refused=_link_refused)
def moderate_by_link(request, link, action, token):
    """A one-click link from a moderator's email: GET asks to confirm, the POST does it."""
    context = {"link": link}
    if request.method == "POST":
        context["event"] = moderation.act_on_link(link)
    return render_link_page(request, "comments/moderate_confirm.html", context)


def _reportable(request, comment_id):
    """A published comment on a post the reader may read: 404 for any other."""
    comment = reports.reportable(comment_id)
    if comment is None or not comment.post.is_public or is_locked(request, comment.post):
        raise Http404("No published comment has this number.")
    return comment


def _initial_report(request, comment) -> dict:
    initial = {"exact_url": absolute_url(reverse("comments:permalink", args=[comment.pk]))}
    if request.user.is_authenticated:
        initial |= {"reporter_name": request.user.get_full_name(), "reporter_email": request.user.email}
    return initial


@require_http_methods(["GET", "POST"])
@never_cache
def report_comment(request, comment_id):
    """A reader reports a published comment (reports.py): GET shows the form, the POST files it."""
    comment = _reportable(request, comment_id)
    context = {"comment": comment, "post": comment.post}
    if request.method == "GET":
        form = ReportForm(initial=_initial_report(request, comment))
        return render(request, "comments/report.html", {**context, "form": form})
    form = ReportForm(data=request.POST)
    if not form.is_valid():
        return render(request, "comments/report.html", {**context, "form": form}, status=400)
    if limits.over_reader_limit(request, "comments.report", settings.COMMENTS_RATE_REPORTS):
        return render(request, "comments/report.html", {**context, "form": form, "waiting": True}, status=429)
    reader = reports.Reader.from_request(request)
    try:
        report = reports.file_report(comment.pk, reader, form.report_details())
    except reports.NotReportable:
        raise Http404("The comment is not published any more.") from None
    except reports.AlreadyReported as refusal:
        return render(request, "comments/reported.html", {**context, "already": refusal.message})
    response = render(request, "comments/reported.html", {**context, "report": report})
    reader.remember(response)
    return response


@csrf_exempt  # Akismet's servers call it: no session, no form; the key in the body is what is checked
@never_cache
@require_POST
def akismet_webhook(request):
    """Akismet's final answers about provisional checks, when AKISMET_WEBHOOK lets it call (docs/akismet.md)."""
    if not settings.AKISMET_WEBHOOK:
        raise Http404
    try:
        answers = akismet.webhook_answers(request.body)
    except akismet.WebhookRefused:
        return HttpResponse("Not Akismet's key.", status=403, content_type="text/plain")
    for guid, spam in answers:
        pipeline.decide_from_webhook(guid, spam=spam)
    return HttpResponse("ok", content_type="text/plain")
