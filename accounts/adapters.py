"""How django-allauth behaves here, through its two adapters (the only place the project changes it).

- Readers sign up only through a provider; nobody signs up with a password (staff log in at the admin).
- A reader whose provider gives an email address is signed up at once: no form, no verification.
  One whose provider gives none (X) is asked for one, once, and may leave it empty.
- A login that fails - refused at the provider, an error, a provider that does not answer, a state
  that does not match - brings the reader back to the article they were commenting on, with a
  message and their comment still in the box, instead of allauth's error page.
- allauth's "Successfully signed in/out" notices are left out: the form says who is commenting.
"""

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from blog.models import Post
from comments import drafts
from groundwork.email_addresses import validate_address

FROM_COMMENT_FORM = "comment-form"  # what views.comment_login puts in allauth's state["data"]


class AccountAdapter(DefaultAccountAdapter):
    QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}

    def is_open_for_signup(self, request):
        return False

    def clean_email(self, email):
        """The address a reader gives (X gives none) is one the site can mail and tell from others, as the form's."""
        if email:
            validate_address(email)
        return super().clean_email(email)

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        if message_template in self.QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def is_auto_signup_allowed(self, request, sociallogin):
        has_email = bool(sociallogin.email_addresses or user_email(sociallogin.user))
        return has_email and super().is_auto_signup_allowed(request, sociallogin)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        super().on_authentication_error(request, provider, error, exception, extra_context)
        state = (extra_context or {}).get("state")
        url = _comment_form_url(request, state)
        if url is None:
            return  # not a login from the comment form: allauth's page
        draft = drafts.kept(request)
        why = failure_reason(provider.name, error, exception, state_known=state is not None)
        kept = " Your comment is still in the box above." if draft and draft.text else ""
        messages.error(request, f"You are not logged in: {why}.{kept} Try again, or fill in your details.")
        raise ImmediateHttpResponse(redirect(url))


def failure_reason(provider_name, error, exception, *, state_known=True) -> str:
    """Why a login failed, in the reader's words."""
    if not state_known:
        return "that login could not be checked (it took too long, or did not start on this page)"
    if error == AuthError.CANCELLED:
        return f"{provider_name} was not given permission"
    if isinstance(exception, requests.Timeout):
        return f"{provider_name} took too long to answer"
    if isinstance(exception, requests.ConnectionError):
        return f"{provider_name} could not be reached"
    return f"{provider_name} reported a problem"


def _comment_form_url(request, state) -> str | None:
    """Where the comment form that started this login is, or None when it did not start at a comment form."""
    if state is not None:
        url = state.get("next")
        from_form = (state.get("data") or {}).get("from") == FROM_COMMENT_FORM
        if from_form and url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            return url
        return None
    draft = drafts.kept(request)  # no state to go by: a forged or expired one
    post = Post.objects.published().filter(pk=draft.post_id).first() if draft else None
    return draft.return_url(post) if post else None
