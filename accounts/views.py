from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from requests import RequestException

from blog.models import Post
from comments import drafts
from groundwork import csrf

from . import logins
from .adapters import FROM_COMMENT_FORM


@csrf.checked_in_view  # A cached article's form has no token: the reader confirms once on a fresh page.
@require_POST
@never_cache
def comment_login(request, provider_id, post_id):
    """A provider's icon under "Leave a Reply": keep the comment being written, then off to the provider."""
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    provider = logins.provider_or_404(request, provider_id)
    draft = drafts.Draft.from_form(post, request.POST)
    if not request.csrf_ok:
        context = {"post": post, "provider": provider, "provider_id": provider_id, "draft": draft}
        context |= {"max_length": drafts.MAX_LENGTH}
        return render(request, "accounts/comment_login_confirm.html", context)
    if request.user.is_authenticated:
        get_account_adapter(request).logout(request)  # A login as someone else starts from a fresh session.
    drafts.keep(request, draft)
    try:
        return provider.redirect(
            request, AuthProcess.LOGIN, next_url=draft.return_url(post), data={"from": FROM_COMMENT_FORM}
        )
    except RequestException:  # An OpenID Connect provider whose discovery document could not be fetched.
        messages.error(request, f"You are not logged in: {provider.name} could not be reached. Please try again.")
        return redirect(draft.return_url(post))


@require_POST
@never_cache
def comment_logout(request, post_id):
    """Log Out and Change under the form: log out, keep the comment being written, back to the form as a guest."""
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    draft = drafts.Draft.from_form(post, request.POST)
    get_account_adapter(request).logout(request)
    drafts.keep(request, draft)
    if "change" in request.POST:
        messages.info(request, "You are logged out. Choose the account to comment with, or fill in your details.")
    else:
        messages.info(request, "You are logged out. You can still comment as a guest.")
    return redirect(draft.return_url(post))
