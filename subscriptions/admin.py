from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from blog.models import Post
from groundwork.admin import ReadOnlyRecordsMixin

from .models import Address, Announcement, Delivery, Subscription


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Confirmed"), ("no", "Waiting for confirmation")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.confirmed()
        if self.value() == "no":
            return queryset.filter(confirmed_at__isnull=True)
        return queryset


class FollowedFilter(admin.SimpleListFilter):
    """New posts, or one post's comments: only posts someone follows are listed."""

    title = "post"
    parameter_name = "post"
    NEW_POSTS = "new-posts"

    def lookups(self, request, model_admin):
        followed = Post.objects.filter(pk__in=Subscription.objects.values("post_id")).order_by("-published_at")
        return [(self.NEW_POSTS, "New posts (the site)"), *followed.values_list("pk", "title")]

    def queryset(self, request, queryset):
        if self.value() == self.NEW_POSTS:
            return queryset.to_new_posts()
        if self.value() and self.value().isdigit():
            return queryset.filter(post_id=self.value())
        return queryset


class AddressFilter(admin.SimpleListFilter):
    """One address's subscriptions (reached from the address column); search finds addresses by text."""

    title = "address"
    parameter_name = "address"

    def lookups(self, request, model_admin):
        value = self.value()
        address = Address.objects.filter(pk=value).first() if value and value.isdigit() else None
        return [(str(address.pk), address.email)] if address else []

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(address_id=self.value())
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyRecordsMixin, admin.ModelAdmin):
    """Only their owner subscribes, through a confirmation email: read only."""

    list_display = ["address_link", "follows", "confirmed", "requested_at", "confirmed_at"]
    list_display_links = ["follows"]  # the address is a link of its own (its subscriptions): no link in a link
    list_filter = [FollowedFilter, ConfirmedFilter, AddressFilter]
    list_select_related = ["address", "post"]
    search_fields = ["address__email"]
    readonly_fields = ["address", "post", "comment", "requested_at", "asked_at", "confirmed_at", "ip_address"]
    fields = readonly_fields
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="address", ordering="address__email")
    def address_link(self, subscription):
        url = reverse("admin:subscriptions_subscription_changelist") + f"?address={subscription.address_id}"
        return format_html('<a href="{}">{}</a>', url, subscription.address.email)

    @admin.display(description="follows")
    def follows(self, subscription):
        return subscription.describe()

    @admin.display(description="confirmed", boolean=True, ordering="confirmed_at")
    def confirmed(self, subscription):
        return subscription.confirmed


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ["post", "requested_at", "confirmed_at"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("post", "address")  # its post column and row titles

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["email", "follows", "opted_out_at", "created_at"]
    list_filter = [("opted_out_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = ["email", "created_at", "opted_out_at"]
    fields = readonly_fields
    inlines = [SubscriptionInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(follow_count=Count("subscriptions"))

    @admin.display(description="subscriptions", ordering="follow_count")
    def follows(self, address):
        url = reverse("admin:subscriptions_subscription_changelist") + f"?address={address.pk}"
        return format_html('<a href="{}">{}</a>', url, address.follow_count)

    def has_add_permission(self, request):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyRecordsMixin, admin.ModelAdmin):
    """How far each new post's email has gone: read only."""

    list_display = ["post", "created_at", "sent", "waiting", "other", "finished_at"]
    list_select_related = ["post"]
    readonly_fields = ["post", "created_at", "finished_at", "failed_attempts", "resume_after"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    @admin.display(description="sent", ordering="sent_count")
    def sent(self, announcement):
        return announcement.sent_count

    @admin.display(description="waiting")
    def waiting(self, announcement):
        return announcement.waiting_count

    @admin.display(description="skipped, failed or interrupted")
    def other(self, announcement):
        return announcement.other_count


class AnnouncementFilter(admin.RelatedFieldListFilter):
    """The announcement filter (announcement__id__exact=, as the post page's followers box links to), its
    choices named after their posts without a query each."""

    def field_choices(self, field, request, model_admin):
        announcements = Announcement.objects.select_related("post")
        if ordering := self.field_admin_ordering(field, request, model_admin):
            announcements = announcements.order_by(*ordering)
        return [(announcement.pk, str(announcement)) for announcement in announcements]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyRecordsMixin, admin.ModelAdmin):
    list_display = ["address", "announcement", "state", "attempted_at", "sent_at", "detail"]
    list_filter = ["state", ("announcement", AnnouncementFilter)]
    list_select_related = ["address", "announcement__post"]
    search_fields = ["address__email"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


# A post's admin page shows who follows it and how far its new-post email has gone: subscriptions adds its box to
# blog's page (blog's PostAdmin is registered first: blog comes first in INSTALLED_APPS); blog knows nothing of it.
admin.site.get_model_admin(Post).change_form_template = "admin/subscriptions/post_change_form.html"
