from django.contrib import admin

from .models import Comment, CommentEvent


class CommentEventInline(admin.TabularInline):
    model = CommentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "moderator", "from_status", "to_status", "reason", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author_name", "post", "status", "reason", "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["author_name", "author_email", "ip_address", "body"]
    list_select_related = ["post"]
    readonly_fields = ["status", "reason", "post", "ip_address", "user_agent", "referrer", "created_at"]
    inlines = [CommentEventInline]
