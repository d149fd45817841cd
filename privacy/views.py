from django.conf import settings
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import TemplateView

from comments import akismet, cookies, retention
from groundwork import limits
from groundwork.links import opens_link, render_link_page

from . import data, emails, links
from .forms import EraseForm, LinkRequestForm


def _refused(request, refusal):
    """A link that cannot be used: why, and the form to ask for a new one."""
    context = {"refusal": refusal, "form": LinkRequestForm()}
    return render_link_page(request, "privacy/refused.html", context, status=refusal.status)


@require_http_methods(["GET", "POST"])
@never_cache
def request_link(request):
    """Ask for the link: the same answer whether or not anything is held under the address."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "GET":
        return render(request, "privacy/request.html", {"form": form})
    if limits.over_limit(request, "privacy.requests", settings.PRIVACY_RATE_REQUESTS):
        return render(request, "privacy/request.html", {"form": form, "too_many": True}, status=429)
    if not form.is_valid():
        return render(request, "privacy/request.html", {"form": form}, status=400)
    emails.ask_for_link(request, form.cleaned_data["email"])
    context = {"email": form.cleaned_data["email"], "lifetime": emails.link_lifetime()}
    return render(request, "privacy/sent.html", context)


def _your_data_context(email, erase_form=None) -> dict:
    may_delete = data.may_delete_comments()
    return {
        **data.shown(data.holdings(email)),
        "erase_form": erase_form or EraseForm(may_delete=may_delete),
        "may_delete": may_delete,
    }


@require_GET
@never_cache
@opens_link(links.open_data_link, refused=_refused)
def your_data(request, email, token):
    """The sealed link's page: everything held under its address, with Download and Erase."""
    return render_link_page(request, "privacy/your_data.html", {"token": token, **_your_data_context(email)})


@require_POST
@never_cache
@opens_link(links.open_data_link, refused=_refused)
def download(request, email, token):
    response = data.download(data.holdings(email), f"{slugify(settings.BLOG_TITLE)}-your-data")
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@never_cache
@opens_link(links.open_data_link, refused=_refused)
def erase(request, email, token):
    """Erase everything held under the link's address (never one a form names), and this browser's cookies."""
    form = EraseForm(request.POST, may_delete=data.may_delete_comments())
    if not form.is_valid():
        context = {"token": token, **_your_data_context(email, form)}
        return render_link_page(request, "privacy/your_data.html", context, status=400)
    record = data.erase(data.holdings(email), delete_comments=form.deletes_comments)
    request.session.flush()
    response = render_link_page(request, "privacy/erased.html", {"email": email, "record": record})
    cookies.delete_reader_cookies(response)
    return response


DAY = 24 * 3600


class PolicyView(TemplateView):
    """The privacy page: what is kept of a comment, a subscription and a visit, where, and for how long."""

    template_name = "privacy/policy.html"

    def get_context_data(self, **kwargs):
        kept = retention.kept_here()
        return super().get_context_data(
            uses_akismet=akismet.is_configured(),
            akismet_fields=[(name, said, kept[name]) for name, said in akismet.SENT_FIELDS.items()],
            spam_retention_days=settings.COMMENTS_SPAM_RETENTION_DAYS,
            trash_retention_days=settings.COMMENTS_TRASH_RETENTION_DAYS,
            ip_retention_days=settings.COMMENTS_IP_RETENTION_DAYS,
            report_retention_days=settings.COMMENTS_REPORT_RETENTION_DAYS,
            details_cookie_days=cookies.YEAR // DAY,
            own_comments_cookie_days=cookies.OWN_COMMENTS_SECONDS // DAY,
            unconfirmed_days=settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE // DAY,
            notifies_commenter_of_approval=settings.COMMENTS_NOTIFY_COMMENTER_OF_APPROVED,
            **kwargs,
        )
