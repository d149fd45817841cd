from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from groundwork.admin import ReadOnlyRecordsMixin

from . import data
from .forms import EraseForm
from .models import DataRequest

EXPORT, ERASE = "privacy.export_personal_data", "privacy.erase_personal_data"


class AddressForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address the request came from, as its owner wrote it to you (by post or by email).",
    )


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyRecordsMixin, admin.ModelAdmin):
    """The record of downloads and erasures (never whose), and the two actions for an address that writes in."""

    list_display = ["at", "action", "requester", "moderator_name", "comments", "subscriptions", "accounts", "sessions"]
    list_filter = ["action", "requester"]
    fields = list_display
    readonly_fields = list_display
    change_list_template = "admin/privacy/datarequest/change_list.html"
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _may_find(request.user)

    def changelist_view(self, request, extra_context=None):
        context = {"may_find": _may_find(request.user), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("find/", wrap(require_http_methods(["GET", "POST"])(self.find_view)), name="privacy_datarequest_find"),
            path("download/", wrap(require_POST(self.download_view)), name="privacy_datarequest_download"),
            path("erase/", wrap(require_POST(self.erase_view)), name="privacy_datarequest_erase"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    @staticmethod
    def _address(request) -> str:
        form = AddressForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied("No valid email address was sent.")
        return form.cleaned_data["email"]

    def find_view(self, request):
        """An address: what is held under it, with Download and Erase."""
        if not _may_find(request.user):
            raise PermissionDenied
        form = AddressForm(request.POST if request.method == "POST" else None)
        context = self._context(request, "Find a commenter's data", form=form)
        if form.is_valid():
            context |= {
                **data.shown(data.holdings(form.cleaned_data["email"])),
                "may_export": request.user.has_perm(EXPORT),
                "may_erase": request.user.has_perm(ERASE),
            }
        return TemplateResponse(request, "admin/privacy/datarequest/find.html", context)

    def download_view(self, request):
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        held = data.holdings(self._address(request))
        return data.download(held, f"personal-data-{slugify(held.email)}", moderator=request.user)

    def erase_view(self, request):
        """Asks to confirm (with the choice for the comments), then erases, recording who did it."""
        if not request.user.has_perm(ERASE):
            raise PermissionDenied
        email = self._address(request)
        may_delete = data.may_delete_comments()
        confirming = request.POST.get("confirmed") == "yes"
        form = EraseForm(request.POST if confirming else None, may_delete=may_delete)
        if confirming and form.is_valid():
            record = data.erase(data.holdings(email), delete_comments=form.deletes_comments, moderator=request.user)
            kept = "deleted" if form.deletes_comments else "kept as Anonymous"
            message = f"Erased: {record.comments} comment(s) {kept}, {record.subscriptions} subscription(s) ended, "
            message += f"{record.accounts} account(s) removed. Recorded below, without the address."
            self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:privacy_datarequest_changelist"))
        context = self._context(
            request,
            "Erase this commenter's data?",
            **data.shown(data.holdings(email)),
            erase_form=form,
            may_delete=may_delete,
        )
        return TemplateResponse(request, "admin/privacy/datarequest/erase_confirm.html", context)


def _may_find(user) -> bool:
    return user.has_perm(EXPORT) or user.has_perm(ERASE)
