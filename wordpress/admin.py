from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from . import runs
from .exporter import wxr_chunks
from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state", "started_by", "created_at", "finished_at"]
    fields = ["file", "fetch_attachments", "match_authors"]
    add_form_template = "admin/wordpress/importrun/add_form.html"
    # A plain file input: it has a <label> (the admin's default gives a legend, which axe finds wanting).
    formfield_overrides = {
        ImportRun._meta.get_field("file").__class__: {"widget": forms.FileInput(attrs={"accept": ".xml,.wxr"})}
    }
    change_list_template = "admin/wordpress/importrun/change_list.html"

    def has_change_permission(self, request, obj=None):
        return False  # a run is watched, not edited

    def has_add_permission(self, request):
        """Importing publishes posts and makes accounts: it takes the permissions to do both (runs.may_import)."""
        return runs.may_import(request.user)

    def get_urls(self):
        own = [
            path(
                "<int:run_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="wordpress_importrun_progress",
            ),
            path("export/", self.admin_site.admin_view(self.export_view), name="wordpress_export"),
        ]
        return own + super().get_urls()

    def save_model(self, request, obj, form, change):
        obj.started_by = request.user
        super().save_model(request, obj, form, change)
        runs.start(obj)

    def delete_model(self, request, obj):
        obj.file.delete(save=False)  # a run deleted before it ended still had its upload
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for run in queryset:
            run.file.delete(save=False)
        super().delete_queryset(request, queryset)

    @staticmethod
    def failed_run_to_repeat(request) -> ImportRun | None:
        """The failed run whose "Run again" led to the add page (?again=ID), if any."""
        pk = request.GET.get("again", "")
        return ImportRun.objects.filter(pk=pk, state=ImportRun.State.FAILED).first() if pk.isdecimal() else None

    def get_changeform_initial_data(self, request):
        """Run again: the failed run's options, ticked as they were."""
        initial = super().get_changeform_initial_data(request)
        if again := self.failed_run_to_repeat(request):
            initial |= {"fetch_attachments": again.fetch_attachments, "match_authors": again.match_authors}
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:wordpress_importrun_change", args=[obj.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        extra = {"title": "Import from WordPress", "again": self.failed_run_to_repeat(request)}
        return super().add_view(request, form_url, {**extra, **(extra_context or {})})

    def changelist_view(self, request, extra_context=None):
        for run in ImportRun.objects.unfinished():
            runs.notice_lost(run)
        extra = {"title": "Imports from WordPress", "can_export": request.user.has_perm("wordpress.export_site")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's page: its progress while it runs (updated by import_progress.js), then its summary."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = runs.notice_lost(get_object_or_404(ImportRun, pk=object_id))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "run": run,
            "title": f"Import from WordPress: {run.file_name}",
            "may_import": runs.may_import(request.user),
            "progress_url": reverse("admin:wordpress_importrun_progress", args=[run.pk]),
        }
        return TemplateResponse(request, "admin/wordpress/importrun/progress.html", context)

    def progress_view(self, request, run_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = runs.notice_lost(get_object_or_404(ImportRun, pk=run_id))
        return JsonResponse(
            {"state": run.state, "label": run.get_state_display(), "stage": run.stage, "done": run.done,
             "total": run.total, "percent": run.percent}
        )  # fmt: skip

    def export_view(self, request):
        """The whole site as a WordPress export, streamed: the same file as manage.py export_wordpress."""
        if not request.user.has_perm("wordpress.export_site"):
            raise PermissionDenied
        name = f"{slugify(settings.BLOG_TITLE) or 'site'}.wordpress.{timezone.localdate():%Y-%m-%d}.xml"
        response = StreamingHttpResponse(wxr_chunks(), content_type="application/rss+xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
