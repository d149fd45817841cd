import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as confirm_and_delete
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from blog.models import Post
from groundwork.admin import ReadOnlyRecordsMixin

from . import akismet, bans, moderation
from .forms import PlainTextField
from .models import Ban, Comment, CommentEvent, Reason, Status
from .moderation import DELETABLE_STATUSES, MODERATOR_ACTIONS, ReplyNotAllowed, TransitionNotAllowed
from .templatetags.moderation_queue import remember_pending_count

STATUS_TABS = [("", "All"), *Status.choices]
SHOWN_IN_ALL = [Status.PENDING, Status.APPROVED]


def _plural(count, singular, plural=None):
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def moderation_buttons(comment) -> list[dict]:
    """The one-click actions that apply to the comment, as the list's rows and the change page show them."""
    return [
        {
            "label": action.label,
            "url": reverse("admin:comments_comment_moderate", args=[comment.pk, action.name]),
            "class": action.name.replace("_", "-"),
        }
        for action in MODERATOR_ACTIONS.values()
        if action.applies(comment)
    ]


def ban_author_url(comment, back_to: str) -> str:
    """The "Ban this author…" form, filled in from the comment; `back_to` is where it returns once saved."""
    return reverse("admin:comments_ban_add") + "?" + urlencode({"comment": comment.pk, "next": back_to})


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All (pending and approved)",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.filter(status=self.value())
        return queryset.filter(status__in=SHOWN_IN_ALL)


class BlatantSpamFilter(admin.SimpleListFilter):
    title = "blatant spam"
    parameter_name = "blatant"

    def lookups(self, request, model_admin):
        return [("include", "Included")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hidden",
        }
        yield {
            "selected": self.value() == "include",
            "query_string": changelist.get_query_string({self.parameter_name: "include"}),
            "display": "Included",
        }

    def queryset(self, request, queryset):
        if self.value() == "include" or request.GET.get("reason__exact") == Reason.AKISMET_DISCARD:
            return queryset
        return queryset.exclude(reason=Reason.AKISMET_DISCARD)


class PostFilter(admin.SimpleListFilter):
    """Posts that have comments, newest first, by title (loading neither bodies nor the posts without comments)."""

    title = "post"
    parameter_name = "post"

    def lookups(self, request, model_admin):
        commented = Post.objects.filter(pk__in=Comment.objects.values("post_id")).order_by("-published_at")
        return list(commented.values_list("pk", "title"))

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(post_id=self.value())
        return queryset


class CommentEventInline(ReadOnlyRecordsMixin, admin.TabularInline):
    model = CommentEvent
    template = "admin/comments/comment/history_inline.html"
    verbose_name = "event"
    verbose_name_plural = "History"
    fields = ["at", "actor", "moderator", "from_status", "to_status", "reason", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("moderator")


class ReplyForm(forms.Form):
    body = PlainTextField(
        label="Reply as yourself",
        max_length=Comment._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Published at once under your name, as a reply to this comment (which is approved if pending).",
    )

    def __init__(self, *args, moderator=None, **kwargs):
        super().__init__(*args, prefix="reply", **kwargs)
        if moderator is not None:
            self.fields["body"].label = f"Reply as {moderator.get_full_name() or moderator.get_username()}"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author", "comment", "in_response_to", "submitted", "status_and_why"]
    list_display_links = ["submitted"]
    list_filter = [StatusFilter, BlatantSpamFilter, PostFilter, "reason", "created_at"]
    list_select_related = ["post", "parent", "user"]
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["author_name", "author_email", "ip_address", "body"]
    show_facets = admin.ShowFacets.NEVER
    actions = ["approve", "unapprove", "mark_spam", "mark_not_spam", "trash", "restore", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["in_response_to", "rendered", "body"]}),
        ("Author", {"fields": ["author_name", "author_email", "author_url", "user", "ip"]}),
        ("Sent", {"fields": ["created_at", "updated_at", "user_agent", "referrer"]}),
    ]
    readonly_fields = [
        "in_response_to",
        "rendered",
        "created_at",
        "updated_at",
        "user",
        "ip",
        "user_agent",
        "referrer",
    ]
    inlines = [CommentEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("post", "parent", "user")

    def has_add_permission(self, request):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        comment = self.get_object(request, unquote(object_id))
        if comment is not None and comment.status not in DELETABLE_STATUSES:
            message = "Only comments in Spam or Trash can be deleted permanently; move this one to the Trash first."
            self.message_user(request, message, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:comments_comment_change", args=[comment.pk]))
        return super().delete_view(request, object_id, extra_context)

    def view_on_site(self, comment):
        return comment.get_absolute_url() if comment.status == Status.APPROVED else None

    # The list

    def get_list_display(self, request):
        return [column if column != "comment" else self.comment_column(request) for column in self.list_display]

    @admin.display(description="Author", ordering="author_name")
    def author(self, comment):
        mailbox, _, domain = comment.author_email.rpartition("@")
        linked = comment.author_url.startswith(("http://", "https://"))
        context = {
            "comment": comment,
            "mailbox": mailbox,
            "domain": domain,
            "website": comment.author_url.split("://", 1)[1].rstrip("/") if linked else "",
            "ip_search": urlencode({"q": comment.ip_address}),
        }
        return render_to_string("admin/comments/comment/_author.html", context)

    @admin.display(description="Comment")
    def comment(self, obj):
        """The text alone; the list shows comment_column(request) in its place, which adds the buttons."""
        body = mark_safe(Truncator(obj.body_html).words(60, html=True, truncate=" …"))  # noqa: S308 - sanitized when stored.
        return format_html('<div class="comment-text">{}</div>', body)

    def comment_column(self, request):
        """The comment and its one-click buttons, made per request to keep the list's filters in its links."""
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        may_change = self.has_change_permission(request)
        may_delete = self.has_delete_permission(request)
        may_ban = request.user.has_perm("comments.add_ban")

        @admin.display(description="Comment")
        def comment(obj):
            context = {
                "comment": obj,
                "text": self.comment(obj),
                "actions": moderation_buttons(obj) if may_change else [],
                "may_delete": may_delete and obj.status in DELETABLE_STATUSES,
                "edit_url": add_preserved_filters(preserved, reverse("admin:comments_comment_change", args=[obj.pk])),
                "edit_label": "Edit" if may_change else "View",
                # The permalink finds the comment's page when followed.
                "on_site_url": reverse("comments:permalink", args=[obj.pk]) if obj.status == Status.APPROVED else "",
                "ban_url": ban_author_url(obj, request.get_full_path()) if may_ban else "",
            }
            return render_to_string("admin/comments/comment/_comment.html", context)

        return comment

    @admin.display(description="In response to", ordering="post__title")
    def in_response_to(self, comment):
        only_this_post = reverse("admin:comments_comment_changelist") + "?" + urlencode({"post": comment.post.pk})
        context = {"post": comment.post, "parent": comment.parent, "only_this_post_url": only_this_post}
        return render_to_string("admin/comments/comment/_in_response_to.html", context)

    @admin.display(description="Submitted on", ordering="created_at")
    def submitted(self, comment):
        moment = timezone.localtime(comment.created_at)
        return format_html(
            '<time datetime="{}">{}</time>', moment.isoformat(), date_format(moment, r"Y/m/d \a\t g:i a")
        )

    @admin.display(description="Status", ordering="status")
    def status_and_why(self, comment):
        context = {"status": self.status_label(comment), "why": self.why(comment)}
        return render_to_string("admin/comments/comment/_status.html", context)

    @admin.display(description="IP address")
    def ip(self, comment):
        return comment.ip_address

    @admin.display(description="Status", ordering="status")
    def status_label(self, comment):
        return format_html(
            '<span class="comment-status comment-status-{}">{}</span>', comment.status, comment.get_status_display()
        )

    @admin.display(description="Why", ordering="reason")
    def why(self, comment):
        if comment.reason == Reason.AKISMET_UNREACHABLE:
            return format_html(
                '<span class="why-unreachable">{} ({})</span>',
                comment.get_reason_display(),
                _plural(comment.akismet_attempts, "attempt"),
            )
        return comment.get_reason_display()

    @admin.display(description="As shown")
    def rendered(self, comment):
        html = mark_safe(comment.body_html)  # noqa: S308 - sanitized when stored.
        return format_html('<div class="comment-text">{}</div>', html)

    def changelist_view(self, request, extra_context=None):
        context = {"akismet_configured": akismet.is_configured()}
        if request.method == "GET":
            context.update(self.queue_context(request))
        return super().changelist_view(request, {"title": "Comments", **context, **(extra_context or {})})

    def queue_context(self, request):
        """The status tabs with their counts (one query), and what waits on Akismet."""
        counts = Comment.objects.aggregate(
            all=Count("pk", filter=Q(status__in=SHOWN_IN_ALL)),
            pending=Count("pk", filter=Q(status=Status.PENDING)),
            approved=Count("pk", filter=Q(status=Status.APPROVED)),
            spam=Count("pk", filter=Q(status=Status.SPAM) & ~Q(reason=Reason.AKISMET_DISCARD)),
            blatant=Count("pk", filter=Q(status=Status.SPAM, reason=Reason.AKISMET_DISCARD)),
            trash=Count("pk", filter=Q(status=Status.TRASH)),
            unreachable=Count("pk", filter=Q(status=Status.PENDING, reason=Reason.AKISMET_UNREACHABLE)),
        )
        remember_pending_count(request, counts["pending"])
        changelist_url = reverse("admin:comments_comment_changelist")
        current = request.GET.get("status", "")
        tabs = [
            {
                "label": label,
                "count": counts[value or "all"],
                "url": changelist_url + ("?" + urlencode({"status": value}) if value else ""),
                "current": value == current,
            }
            for value, label in STATUS_TABS
        ]
        return {
            "status_tabs": tabs,
            "blatant_spam_count": counts["blatant"],
            "blatant_spam_hidden": current == Status.SPAM and request.GET.get("blatant") != "include",
            "blatant_spam_url": changelist_url + "?" + urlencode({"status": Status.SPAM, "blatant": "include"}),
            "unreachable_count": counts["unreachable"],
            "unreachable_url": changelist_url
            + "?"
            + urlencode({"status": Status.PENDING, "reason__exact": Reason.AKISMET_UNREACHABLE}),
        }

    # Actions: each goes through moderation.moderate, which writes the history

    def moderate_selected(self, request, queryset, name):
        action = MODERATOR_ACTIONS[name]
        changed, skipped = moderation.moderate_each(queryset, name, moderator=request.user)
        message = f"{_plural(changed, 'comment')} {action.done}."
        if skipped:
            applies_to = " or ".join(Status(status).label for status in Status if status in action.applies_to)
            message += f" {_plural(skipped, 'comment')} left as {'it was' if skipped == 1 else 'they were'}: "
            message += f"{action.label} is for comments in {applies_to}."
        self.message_user(request, message, messages.SUCCESS if changed else messages.WARNING)

    @admin.action(permissions=["change"], description="Approve")
    def approve(self, request, queryset):
        self.moderate_selected(request, queryset, "approve")

    @admin.action(permissions=["change"], description="Unapprove")
    def unapprove(self, request, queryset):
        self.moderate_selected(request, queryset, "unapprove")

    @admin.action(permissions=["change"], description="Mark as spam")
    def mark_spam(self, request, queryset):
        self.moderate_selected(request, queryset, "spam")

    @admin.action(permissions=["change"], description="Not spam")
    def mark_not_spam(self, request, queryset):
        self.moderate_selected(request, queryset, "not_spam")

    @admin.action(permissions=["change"], description="Move to Trash")
    def trash(self, request, queryset):
        self.moderate_selected(request, queryset, "trash")

    @admin.action(permissions=["change"], description="Restore from Trash")
    def restore(self, request, queryset):
        self.moderate_selected(request, queryset, "restore")

    @admin.action(permissions=["delete"], description="Delete permanently (from Spam or Trash)")
    def delete_selected(self, request, queryset):
        deletable = queryset.filter(status__in=DELETABLE_STATUSES)
        kept = queryset.exclude(status__in=DELETABLE_STATUSES).count()
        if kept:
            message = f"{_plural(kept, 'comment')} left as {'it was' if kept == 1 else 'they were'}: "
            message += "only comments in Spam or Trash can be deleted permanently."
            self.message_user(request, message, messages.WARNING)
        if not deletable.exists():
            return None
        return confirm_and_delete(self, request, deletable)

    # The change page: one-click buttons, the history, editing, replying

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<path:object_id>/moderate/<str:action>/", wrap(self.moderate_view), name="comments_comment_moderate"),
            path("<path:object_id>/reply/", wrap(self.reply_view), name="comments_comment_reply"),
            *super().get_urls(),
        ]

    def _comment_for_change(self, request, object_id):
        comment = self.get_object(request, unquote(object_id))
        if comment is None:
            raise Http404("No such comment.")
        if not self.has_change_permission(request, comment):
            raise PermissionDenied
        return comment

    def moderate_view(self, request, object_id, action):
        if action not in MODERATOR_ACTIONS:
            raise Http404("No such action.")
        comment = self._comment_for_change(request, object_id)
        try:
            moderation.moderate(comment, action, moderator=request.user)
        except TransitionNotAllowed as refusal:
            self.message_user(request, str(refusal), messages.WARNING)
        else:
            done = MODERATOR_ACTIONS[action].done
            self.message_user(request, f"The comment by {comment.author_name} was {done}.", messages.SUCCESS)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("admin:comments_comment_changelist")
        return HttpResponseRedirect(target)

    def reply_view(self, request, object_id):
        comment = self._comment_for_change(request, object_id)
        change_url = reverse("admin:comments_comment_change", args=[comment.pk])
        form = ReplyForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "The reply was not sent: " + " ".join(form.errors["body"]), messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            answer = moderation.reply(comment, moderator=request.user, body=form.cleaned_data["body"])
        except ReplyNotAllowed as refusal:
            self.message_user(request, f"The reply was not sent: {refusal}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        message = format_html(
            'Your reply is published. <a href="{}">See it on the site</a>.', answer.get_absolute_url()
        )
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["comment_status"], context["comment_why"] = self.status_label(obj), self.why(obj)
        if obj is not None and self.has_change_permission(request, obj):
            context["moderation_buttons"] = moderation_buttons(obj)
            if request.user.has_perm("comments.add_ban"):
                context["ban_url"] = ban_author_url(obj, request.get_full_path())
            if obj.status in (Status.PENDING, Status.APPROVED) and obj.depth < settings.COMMENTS_MAX_DEPTH:
                context["reply_form"] = ReplyForm(moderator=request.user)
                context["reply_url"] = reverse("admin:comments_comment_reply", args=[obj.pk])
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None and obj.status not in DELETABLE_STATUSES:
            response.context_data["has_delete_permission"] = False  # The permission stays, for posts' cascades.
        return response

    def save_model(self, request, obj, form, change):
        moderation.edit(obj, moderator=request.user, fields=form.changed_data)


# Bans (bans.py): the list, and the form that bans by hand or from a comment ("Ban this author…")


class BanForm(forms.ModelForm):
    email = forms.CharField(label="Email address", required=False, max_length=254)
    domain = forms.CharField(
        label="Email domain", required=False, max_length=253, help_text="Catches every address at it and under it."
    )
    network = forms.CharField(
        label="Network",
        required=False,
        max_length=49,
        help_text="An address with a prefix: 203.0.113.0/24 (IPv4), 2001:db8:5::/48 (IPv6), or a single address.",
    )
    reject_earlier = forms.BooleanField(
        label="Reject everything they wrote before",
        required=False,
        help_text="Every pending or approved comment this ban names goes to the Trash, all at once.",
    )
    report_as_spam = forms.BooleanField(
        label="Report each to Akismet as spam",
        required=False,
        help_text="With the above: they go to Spam instead, and each is reported to Akismet.",
    )

    TEXT_FIELDS = {Ban.Kind.EMAIL: "email", Ban.Kind.DOMAIN: "domain", Ban.Kind.NETWORK: "network"}

    class Meta:
        model = Ban
        fields = ["kind", "user", "reason", "ends_at"]
        widgets = {"kind": forms.RadioSelect, "reason": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Ban.Kind.choices  # no empty choice among the radio buttons
        ban = self.instance
        if ban.pk and ban.kind in self.TEXT_FIELDS:
            self.initial.setdefault(self.TEXT_FIELDS[ban.kind], ban.value)

    def clean_reason(self):
        """One line, as it is shown: the box's line breaks become spaces (any other control character is refused)."""
        return " ".join(re.split(r"[\r\n\t]+", self.cleaned_data["reason"])).strip()

    def clean_ends_at(self):
        ends_at = self.cleaned_data["ends_at"]
        if ends_at is not None and not self.instance.pk and ends_at <= timezone.now():
            raise ValidationError("A suspension ends in the future: choose a later date, or none for a ban for good.")
        return ends_at

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("report_as_spam") and not cleaned.get("reject_earlier"):
            self.add_error("report_as_spam", "Tick “Reject everything they wrote before” too: it is what is reported.")
        kind = cleaned.get("kind")
        if kind:
            field = self.TEXT_FIELDS.get(kind, "user")
            self.instance.kind = kind
            try:
                bans.aim(self.instance, user=cleaned.get("user"), text=cleaned.get(field) or "")
            except ValidationError as error:
                self.add_error(field, error)
            cleaned["user"] = self.instance.user  # only an account ban keeps the account
        return cleaned


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "In force"), ("no", "Expired")]

    def queryset(self, request, queryset):
        in_force = Ban.objects.in_force().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force)
        return queryset


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    form = BanForm
    list_display = ["what", "shown_reason", "until", "made", "in_force"]
    list_display_links = ["what"]
    list_filter = [InForceFilter, "kind"]
    list_select_related = ["user", "created_by"]
    search_fields = ["value", "reason", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_by", "created_at"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            ("Who", {"fields": ["kind", "user", "email", "domain", "network"]}),
            ("Why, and for how long", {"fields": ["reason", "ends_at"]}),
        ]
        if obj is None:
            fieldsets.append(("What they wrote before", {"fields": ["reject_earlier", "report_as_spam"]}))
        else:
            fieldsets.append(("Made", {"fields": ["created_by", "created_at"]}))
        return fieldsets

    @admin.display(description="Banned", ordering="value")
    def what(self, ban):
        return str(ban)

    @admin.display(description="Reason (shown to them)")
    def shown_reason(self, ban):
        return Truncator(ban.reason).chars(80)

    @admin.display(description="Until", ordering="ends_at")
    def until(self, ban):
        if ban.ends_at is None:
            return "Permanent"
        return date_format(timezone.localtime(ban.ends_at), r"Y/m/d \a\t g:i a")

    @admin.display(description="Made", ordering="created_at")
    def made(self, ban):
        by = ban.created_by.get_username() if ban.created_by else "(deleted)"
        return f"{date_format(timezone.localtime(ban.created_at), 'Y/m/d')} by {by}"

    @admin.display(description="In force", boolean=True)
    def in_force(self, ban):
        return ban.is_in_force

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Bans and suspensions", **(extra_context or {})})

    def _comment_from_query(self, request):
        comment_id = request.GET.get("comment", "")
        if not comment_id.isdecimal() or not request.user.has_perm("comments.view_comment"):
            return None
        return Comment.objects.select_related("user", "post").filter(pk=comment_id).first()

    def get_changeform_initial_data(self, request):
        comment = self._comment_from_query(request)
        if comment is None:
            return super().get_changeform_initial_data(request)
        return self.initial_from(comment)

    def initial_from(self, comment) -> dict:
        kind = Ban.Kind.ACCOUNT if comment.user_id else Ban.Kind.EMAIL if comment.author_email else Ban.Kind.NETWORK
        return {
            "kind": kind,
            "user": comment.user_id,
            "email": comment.author_email,
            "domain": comment.author_email_key.rpartition("@")[2],
            "network": bans.suggested_network(comment.ip_address) if comment.ip_address else "",
        }

    def add_view(self, request, form_url="", extra_context=None):
        comment = self._comment_from_query(request)
        context = {"banned_comment": comment, **(extra_context or {})}
        if comment is not None:
            context["title"] = f"Ban the author of a comment: {comment.author_name}"
            context["reach"] = self._reach(comment)
        return super().add_view(request, form_url, context)

    def _reach(self, comment) -> list[tuple[str, str, int]]:
        """For each way the form offers to ban the comment's author: (kind, target, pending or approved comments)."""
        initial = self.initial_from(comment)
        reach = []
        for kind, field in [(Ban.Kind.ACCOUNT, "user"), *BanForm.TEXT_FIELDS.items()]:
            ban = Ban(kind=kind)
            try:
                bans.aim(ban, user=comment.user, text=initial[field] if field != "user" else "")
            except ValidationError:
                continue
            live = bans.comments_under(ban, Comment.objects.filter(status__in=bans.LIVE)).count()
            target = ban.user.get_username() if kind == Ban.Kind.ACCOUNT else ban.value
            reach.append((ban.get_kind_display(), target, live))
        return reach

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("reject_earlier"):
            as_spam = form.cleaned_data["report_as_spam"]
            rejected = bans.reject_earlier(obj, moderator=request.user, as_spam=as_spam)
            where = "Spam, each reported to Akismet" if as_spam else "the Trash"
            self.message_user(request, f"{_plural(rejected, 'earlier comment')} moved to {where}.", messages.SUCCESS)

    def response_add(self, request, obj, post_url_continue=None):
        target = request.GET.get("next", "")
        if "_addanother" in request.POST or "_continue" in request.POST or not target:
            return super().response_add(request, obj, post_url_continue)
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"Banned: {obj}.", messages.SUCCESS)
        return HttpResponseRedirect(target)
