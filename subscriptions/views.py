from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from groundwork.links import opens_link, render_link_page

from . import actions, links
from .forms import ALLOW_AGAIN, STOP, STOP_EVERYTHING, ManageForm

ONE_CLICK = "One-Click"


def _refused(request, refusal):
    """A link that cannot be used, and why."""
    return render_link_page(request, "subscriptions/refused.html", {"refusal": refusal}, status=refusal.status)


@require_http_methods(["GET", "POST"])
@never_cache
@opens_link(links.open_confirm, refused=_refused)
def confirm(request, opened, token):
    """The link of a confirmation email: GET shows what it confirms, the button's POST confirms it."""
    address, ids = opened
    context = {"address": address, "manage_url": links.manage_url(address)}
    if request.method == "POST":
        context["confirmed"], context["before"] = actions.confirm(address, ids)
        context["done"] = True
    else:
        context["asked"], context["before"] = actions.asked(address, ids)
    return render_link_page(request, "subscriptions/confirm.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
@opens_link(links.open_manage, refused=_refused)
def manage(request, address, token):
    """A reader's page: what the address follows, with a button to stop each, or everything."""
    context, status = {}, 200
    if request.method == "POST":
        form = ManageForm(request.POST)
        if not form.is_valid():
            context["error"], status = "That button did not work: please try again.", 400
        elif form.cleaned_data["action"] == STOP:
            stopped = actions.stop(address, form.cleaned_data["subscription"] or 0)
            context["stopped"] = stopped.describe() if stopped else None
            context["already_stopped"] = stopped is None
        elif form.cleaned_data["action"] == STOP_EVERYTHING:
            context["stopped_everything"] = actions.stop_everything(address)
        elif form.cleaned_data["action"] == ALLOW_AGAIN:
            actions.allow_again(address)
            context["allowed_again"] = True
    context |= {"address": address, "subscriptions": list(address.subscriptions.select_related("post"))}
    return render_link_page(request, "subscriptions/manage.html", context, status=status)


@csrf_exempt  # RFC 8058: the mail client's POST carries no cookie; the signed token is the proof
@require_http_methods(["GET", "POST"])
@never_cache
@opens_link(links.open_unsubscribe, refused=_refused)
def unsubscribe(request, opened, token):
    """One-click unsubscribe (List-Unsubscribe): a POST with List-Unsubscribe=One-Click stops; GET changes nothing."""
    address, subscription_id = opened
    context = {"address": address, "everything": subscription_id is None, "manage_url": links.manage_url(address)}
    status = 200
    subscription = None if subscription_id is None else address.subscriptions.filter(pk=subscription_id).first()
    context["subscription"] = subscription
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != ONE_CLICK:
            context["error"], status = "This request did not say List-Unsubscribe=One-Click: nothing was changed.", 400
        elif subscription_id is None:
            context["stopped_everything"] = actions.stop_everything(address)
            context["done"] = True
        else:
            context["stopped"] = actions.stop(address, subscription_id)
            context["done"] = True
    return render_link_page(request, "subscriptions/unsubscribe.html", context, status=status)
