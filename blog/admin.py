from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models

from .models import Category, Post, Tag


class ViewOnSiteMixin:
    """The "View on site" link goes straight to the object's address, not through the sites framework's domain."""

    def view_on_site(self, obj):
        return obj.get_absolute_url()


class LabelledFileWidget(AdminFileWidget):
    """The admin's file input under its field's own <label>: Django draws it in a fieldset, named only by a legend,
    which leaves the input itself without a label when no file is set yet (axe: `label`)."""

    use_fieldset = False


@admin.register(Post)
class PostAdmin(ViewOnSiteMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "author", "status", "published_at", "is_public"]
    list_filter = ["kind", "status", "published_at", "author", "categories"]
    list_select_related = ["author"]
    search_fields = ["title", "slug", "excerpt", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["categories", "tags"]
    formfield_overrides = {models.ImageField: {"widget": LabelledFileWidget}}
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "body", "excerpt", "featured_image"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "password", "author", "sticky", "comments_open", "pings_open"]},
        ),
        ("Filing", {"fields": ["categories", "tags"]}),
        ("Pages", {"fields": ["parent", "menu_order"]}),
    ]

    class Media:
        js = [forms.Script("blog/admin.js", defer=True)]  # filter_horizontal's boxes named as ARIA allows

    @admin.display(boolean=True, description="Public")
    def is_public(self, post):
        return post.is_public

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}


class CategoryForm(forms.ModelForm):
    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None and self.instance.pk and parent.pk in self.instance.descendant_ids():
            raise forms.ValidationError("A category can't be filed under itself or one of its sub-categories.")
        return parent


@admin.register(Category)
class CategoryAdmin(ViewOnSiteMixin, admin.ModelAdmin):
    form = CategoryForm
    list_display = ["name", "slug", "parent"]
    list_filter = ["parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(ViewOnSiteMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
