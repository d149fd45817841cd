import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as confirm_and_delete
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
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
from groundwork.email_addresses import EmailAddressField, email_key

from . import akismet, bans, closing, decisions, moderation, pipeline
from .authors import Author, approvals_and_rejections, counts_by_status
from .forms import PlainTextField
from .models import Ban, Comment, CommentEvent, CommentingClosure, Reason, Report, Status, TrustedCommenter
from .moderation import DELETABLE_STATUSES, MODERATOR_ACTIONS, ReplyNotAllowed, TransitionNotAllowed
from .moderators import MODERATE_PERMISSION
from .templatetags.akismet_health import health_for
from .templatetags.moderation_queue import remember_pending_count, unreachable_url

STATUS_TABS = [("", "All"), *Status.choices]
SHOWN_IN_ALL = [Status.PENDING, Status.APPROVED]

# The queue's keyboard shortcuts (comments/static/comments/queue.js): a row's button or link with this name answers
# its key. WordPress's letters where its comments screen has one (j/k move, a u s d z r e act; d deletes what is in
# Spam or the Trash, after the confirmation page); v and x are ours.
SHORTCUT_KEYS = {
    "approve": "a",
    "unapprove": "u",
    "spam": "s",
    "trash": "d",
    "delete": "d",
    "not_spam": "z",
    "restore": "z",
    "reply": "r",
    "edit": "e",
    "reviewed": "v",
}
KEYBOARD_HELP = [
    ("j", "Next comment"),
    ("k", "Previous comment"),
    ("a", "Approve"),
    ("u", "Unapprove"),
    ("s", "Spam"),
    ("d", "Trash (in Spam or the Trash: delete permanently, after a confirmation)"),
    ("z", "Not spam, or Restore from the Trash"),
    ("r", "Reply (opens the comment's page at its reply box)"),
    ("e", "Edit"),
    ("v", "Mark reviewed (in Not reviewed yet)"),
    ("x", "Select the comment for the bulk actions"),
]


def _reported_view(request) -> bool:
    return request.GET.get("reported") == "1"


def _plural(count, singular, plural=None):
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def moderation_buttons(comment) -> list[dict]:
    """The one-click actions that apply to the comment, as the list's rows and the change page show them."""
    return [
        {
            "label": action.label,
            "url": reverse("admin:comments_comment_moderate", args=[comment.pk, action.name]),
            "class": action.name.replace("_", "-"),
            "key": SHORTCUT_KEYS[action.name],
        }
        for action in MODERATOR_ACTIONS.values()
        if action.applies(comment)
    ] + pin_buttons(comment)


def pin_buttons(comment) -> list[dict]:
    """Pin (a published top-level comment) or Unpin (a pinned one): first on page 1 of its thread, or back in place."""
    if comment.pinned_at is not None:
        action, label = "unpin", "Unpin"
    elif comment.depth == 1 and comment.status == Status.APPROVED and comment.kind != Comment.Kind.NOTE:
        action, label = "pin", "Pin"
    else:
        return []
    return [{"label": label, "url": reverse("admin:comments_comment_pin", args=[comment.pk, action]), "class": action}]


def ban_author_url(comment, back_to: str) -> str:
    """The "Ban this author…" form, filled in from the comment; `back_to` is where it returns once saved."""
    return reverse("admin:comments_ban_add") + "?" + urlencode({"comment": comment.pk, "next": back_to})


def may_reply(comment) -> bool:
    """Whether a moderator may answer the comment from the admin (moderation.reply's own test, before the form)."""
    return comment.status in (Status.PENDING, Status.APPROVED) and comment.depth < settings.COMMENTS_MAX_DEPTH


# An author's panel (CommentAdmin.author_view): their comments a page at a time, and links to the list filtered by
# author, where the bulk actions work on all of them ("Select all").
AUTHOR_PAGE_SIZE = 20
AUTHOR_LIST_TABS = [
    ("", "Pending and approved", SHOWN_IN_ALL),
    (Status.PENDING, "Pending", [Status.PENDING]),
    (Status.APPROVED, "Approved", [Status.APPROVED]),
    (Status.SPAM, "Spam", [Status.SPAM]),
    (Status.TRASH, "Trash", [Status.TRASH]),
]


def bans_section(comment, author, comments) -> dict:
    """Every ban naming the author (bans.matching), in force or expired, newest first: a few rows, one query."""
    found = bans.matching(comment).select_related("user", "created_by").order_by("-created_at")
    return {"title": "Bans", "template": "admin/comments/comment/_author_bans.html", "bans": list(found)}


REPORTS_ON_PANEL = 20


def reports_section(comment, author, comments) -> dict:
    """Readers' reports on the author's comments, the newest REPORTS_ON_PANEL of them, and how many in all: two
    queries."""
    reports = Report.objects.filter(comment__in=comments).select_related("comment")
    return {
        "title": "Readers' reports on their comments",
        "template": "admin/comments/comment/_author_reports.html",
        "count": reports.count(),
        "reports": list(reports[:REPORTS_ON_PANEL]),
    }


# What other parts show on an author's panel, below the counts: functions (the comment it was opened from, its
# author, their comments) -> a section, or None when they have nothing to show. A section is a dict: "title" (its
# heading), "template" (included inside it, with the section as `section`), and whatever that template reads. Each
# costs a fixed number of queries.
PANEL_SECTIONS = [bans_section, reports_section]


def panel_sections(comment, author, comments) -> list[dict]:
    return [section for make in PANEL_SECTIONS if (section := make(comment, author, comments)) is not None]


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


class AuthorFilter(admin.SimpleListFilter):
    """One author's comments (authors.Author), named by one of their comments' ids: from the author's panel."""

    title = "author"
    parameter_name = "author"
    author = None

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        an_id = value.isascii() and value.isdigit()  # int() reads other scripts' digits too
        comment = Comment.objects.select_related("user").filter(pk=value).first() if an_id else None
        self.author = Author.of(comment) if comment is not None else None
        return [(value, f"By {self.author.name}" if self.author else "By nobody (no such author)")]

    def value(self):
        return super().value() or ""

    def has_output(self):
        return bool(self.value())

    def choices(self, changelist):
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All authors",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return self.author.comments(queryset) if self.author else queryset.none()


class NotReviewedFilter(admin.SimpleListFilter):
    """Comments published by a rule or Akismet that no moderator has looked at (CommentQuerySet.not_reviewed)."""

    title = "review"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", "Not reviewed yet")]

    def queryset(self, request, queryset):
        return queryset.not_reviewed() if self.value() == "no" else queryset


class ReportedFilter(admin.SimpleListFilter):
    """The "Reported" tab: comments with readers' reports no moderator has decided on yet."""

    title = "readers' reports"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("1", "Not decided yet")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(Exists(Report.objects.undecided().filter(comment=OuterRef("pk"))))
        return queryset


class ReportInline(ReadOnlyRecordsMixin, admin.StackedInline):
    model = Report
    verbose_name_plural = "Readers' reports"
    fields = [
        ("created_at", "reason", "outcome", "decided_at"),
        "note",
        "explanation",
        "exact_url",
        ("reporter_name", "reporter_email", "good_faith"),
        ("acknowledged_at", "outcome_sent_at"),
        ("user", "ip_address"),
    ]
    readonly_fields = [name for row in fields for name in (row if isinstance(row, tuple) else (row,))]
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        """Whoever moderates the comment reads its reports: they are part of its record, as its history is."""
        return request.user.has_perm(MODERATE_PERMISSION)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


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


REPLY_BOX = "#id_reply-body"  # a row's Reply link lands on the reply box, which the browser focuses


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
    list_filter = [
        StatusFilter,
        ReportedFilter,
        NotReviewedFilter,
        BlatantSpamFilter,
        PostFilter,
        AuthorFilter,
        "reason",
        "created_at",
    ]
    list_select_related = ["post", "parent", "user"]
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["author_name", "author_email", "ip_address", "body"]
    show_facets = admin.ShowFacets.NEVER
    actions = [
        "approve",
        "unapprove",
        "mark_spam",
        "mark_not_spam",
        "trash",
        "restore",
        "trust_author",
        "stop_trusting",
        "mark_reviewed",
        "delete_selected",
    ]
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
    inlines = [ReportInline, CommentEventInline]

    def get_queryset(self, request):
        comments = super().get_queryset(request).select_related("post", "parent", "user")
        if _reported_view(request):
            undecided = Report.objects.undecided().order_by("created_at", "pk")
            comments = comments.prefetch_related(Prefetch("reports", queryset=undecided, to_attr="undecided_reports"))
        return comments

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
        columns = [column if column != "comment" else self.comment_column(request) for column in self.list_display]
        return [*columns, "readers_reports"] if _reported_view(request) else columns

    @admin.display(description="Readers' reports")
    def readers_reports(self, comment):
        keep_url = reverse("admin:comments_comment_keep", args=[comment.pk])
        context = {"comment": comment, "reports": comment.undecided_reports, "keep_url": keep_url}
        return render_to_string("admin/comments/comment/_reports.html", context)

    @admin.display(description="Author", ordering="author_name")
    def author(self, comment):
        mailbox, _, domain = comment.author_email.rpartition("@")
        linked = comment.author_url.startswith(("http://", "https://"))
        context = {
            "comment": comment,
            "mailbox": mailbox,
            "domain": domain,
            "website": comment.author_url.split("://", 1)[1].rstrip("/") if linked else "",
            "ip_search": urlencode({"q": comment.ip_address or ""}),
            "panel_url": "" if comment.data_erased_at else reverse("admin:comments_comment_author", args=[comment.pk]),
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
        reviewing = may_change and request.GET.get(NotReviewedFilter.parameter_name) == "no"

        @admin.display(description="Comment")
        def comment(obj):
            edit_url = add_preserved_filters(preserved, reverse("admin:comments_comment_change", args=[obj.pk]))
            context = {
                "comment": obj,
                "text": self.comment(obj),
                "actions": moderation_buttons(obj) if may_change else [],
                "may_delete": may_delete and obj.status in DELETABLE_STATUSES,
                "edit_url": edit_url,
                "edit_label": "Edit" if may_change else "View",
                "reply_url": edit_url + REPLY_BOX if may_change and may_reply(obj) else "",
                "reviewed_url": reverse("admin:comments_comment_reviewed", args=[obj.pk]) if reviewing else "",
                "keys": SHORTCUT_KEYS,
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
            reported=Count(
                "pk",
                filter=Q(status__in=SHOWN_IN_ALL)
                & Q(Exists(Report.objects.undecided().filter(comment=OuterRef("pk")))),
            ),
        )
        remember_pending_count(request, counts["pending"])
        health = health_for(request)
        changelist_url = reverse("admin:comments_comment_changelist")
        current = request.GET.get("status", "")
        reviewing = request.GET.get(NotReviewedFilter.parameter_name) == "no"
        tabs = [
            {
                "label": label,
                "count": counts[value or "all"],
                "url": changelist_url + ("?" + urlencode({"status": value}) if value else ""),
                "current": value == current and not reviewing and not _reported_view(request),
            }
            for value, label in STATUS_TABS
        ]
        tabs.append(
            {
                "label": "Reported",
                "count": counts["reported"],
                "url": changelist_url + "?reported=1",
                "current": _reported_view(request) and not current,
            }
        )
        # Not counted here: finding them looks at each approved comment's history, which only its own page pays for.
        not_reviewed_url = changelist_url + "?" + urlencode({NotReviewedFilter.parameter_name: "no"})
        return {
            "status_tabs": tabs,
            "not_reviewed_tab": {"label": "Not reviewed yet", "url": not_reviewed_url, "current": reviewing},
            "keyboard_help": KEYBOARD_HELP,
            "blatant_spam_count": counts["blatant"],
            "blatant_spam_hidden": current == Status.SPAM and request.GET.get("blatant") != "include",
            "blatant_spam_url": changelist_url + "?" + urlencode({"status": Status.SPAM, "blatant": "include"}),
            "unreachable_count": counts["unreachable"],
            "unreachable_url": unreachable_url(),
            "check_again_url": (
                reverse("admin:comments_comment_check_again")
                if health.configured
                and not health.key_invalid
                and counts["pending"]
                and self.has_change_permission(request)
                else ""
            ),
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

    @admin.action(permissions=["change"], description="Mark reviewed (leave as they are)")
    def mark_reviewed(self, request, queryset):
        noted = moderation.mark_reviewed(queryset, moderator=request.user)
        self.message_user(request, f"{_plural(noted, 'comment')} marked reviewed.", messages.SUCCESS)

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

    # Trust (issue 22): the authors of the selected comments, each once

    @admin.action(permissions=["change"], description="Trust this author (skips the link and word holds)")
    def trust_author(self, request, queryset):
        marked = sum(moderation.trust_author(comment, moderator=request.user) is not None for comment in queryset)
        left = queryset.count() - marked
        message = f"{_plural(marked, 'author')} now trusted."
        if left:
            message += f" {_plural(left, 'comment')} left: their author was trusted already, or erased their details."
        self.message_user(request, message, messages.SUCCESS if marked else messages.WARNING)

    @admin.action(permissions=["change"], description="Stop trusting this author")
    def stop_trusting(self, request, queryset):
        removed = sum(moderation.stop_trusting(comment, moderator=request.user) for comment in queryset)
        message = f"{_plural(removed, 'author')} no longer trusted by a moderator."
        if settings.COMMENTS_TRUSTED_AFTER:
            message += f" Authors with {settings.COMMENTS_TRUSTED_AFTER} approved comments stay trusted automatically."
        self.message_user(request, message, messages.SUCCESS if removed else messages.WARNING)

    # The change page: one-click buttons, the history, editing, replying

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("check-again/", wrap(self.check_again_view), name="comments_comment_check_again"),
            path("<path:object_id>/moderate/<str:action>/", wrap(self.moderate_view), name="comments_comment_moderate"),
            path("<path:object_id>/reply/", wrap(self.reply_view), name="comments_comment_reply"),
            path("<path:object_id>/reviewed/", wrap(self.reviewed_view), name="comments_comment_reviewed"),
            path(
                "<path:object_id>/author/",
                self.admin_site.admin_view(self.author_view),
                name="comments_comment_author",
            ),
            path("<path:object_id>/pin/<str:action>/", wrap(self.pin_view), name="comments_comment_pin"),
            path("<path:object_id>/keep/", wrap(self.keep_view), name="comments_comment_keep"),
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
        return self._back(request)

    def pin_view(self, request, object_id, action):
        pinning = {"pin": moderation.pin, "unpin": moderation.unpin}
        if action not in pinning:
            raise Http404("No such action.")
        comment = self._comment_for_change(request, object_id)
        try:
            pinning[action](comment, moderator=request.user)
        except moderation.PinNotAllowed as refusal:
            self.message_user(request, str(refusal), messages.WARNING)
        else:
            done = "pinned first on page 1 of its thread" if action == "pin" else "unpinned"
            self.message_user(request, f"The comment by {comment.author_name} was {done}.", messages.SUCCESS)
        return self._back(request)

    def check_again_view(self, request):
        """The queue's "Check the queue again", as WordPress's "Check for Spam": every held comment goes back to
        Akismet, in the worker (pipeline.check_the_queue_again)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if not akismet.is_configured() or akismet.key_is_invalid():
            self.message_user(
                request, "Akismet is not asked: no key is configured, or Akismet says it is invalid.", messages.WARNING
            )
            return self._back(request)
        queued = pipeline.check_the_queue_again()
        message = f"Akismet is asked again about {_plural(queued, 'held comment')}; those it calls spam move to Spam."
        self.message_user(request, message, messages.SUCCESS)
        return self._back(request)

    def _back(self, request):
        """To the page the button was on (its `next`), if it is this site's; else to the list."""
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("admin:comments_comment_changelist")
        return HttpResponseRedirect(target)

    def reviewed_view(self, request, object_id):
        comment = self._comment_for_change(request, object_id)
        moderation.mark_reviewed([comment], moderator=request.user)
        self.message_user(request, f"The comment by {comment.author_name} was marked reviewed.", messages.SUCCESS)
        return self._back(request)

    def author_view(self, request, object_id):
        """The author of a comment, all in one page: their comments by status, how often they were approved and
        rejected, what other parts know of them (PANEL_SECTIONS), and their comments, newest first, a page at a time."""
        comment = self.get_object(request, unquote(object_id))
        if comment is None:
            raise Http404("No such comment.")
        if not self.has_view_permission(request, comment):
            raise PermissionDenied
        author = Author.of(comment)
        if author is None:
            raise Http404("This comment's author erased their data.")
        comments = author.comments()
        page = Paginator(comments.select_related("post"), AUTHOR_PAGE_SIZE).get_page(request.GET.get("page"))
        changelist_url = reverse("admin:comments_comment_changelist")
        by_status = counts_by_status(comments)
        in_the_list = [
            {
                "label": label,
                "count": sum(by_status[s] for s in statuses),
                "url": changelist_url
                + "?"
                + urlencode({AuthorFilter.parameter_name: comment.pk, **({"status": value} if value else {})}),
            }
            for value, label, statuses in AUTHOR_LIST_TABS
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Comments by {author.name}",
            "author": author,
            "from_comment": comment,
            "by_status": [(Status(status).label, count) for status, count in by_status.items()],
            "total": sum(by_status.values()),
            "decisions": approvals_and_rejections(comments),
            "in_the_list": in_the_list,
            "sections": panel_sections(comment, author, comments),
            "page": page,
        }
        return TemplateResponse(request, "admin/comments/comment/author.html", context)

    def keep_view(self, request, object_id):
        """A moderator read the reports on a published comment and keeps it (decisions.keep)."""
        comment = self._comment_for_change(request, object_id)
        decided = decisions.keep(comment, moderator=request.user)
        if decided:
            message = f"The comment by {comment.author_name} is kept; {_plural(decided, 'report')} decided."
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(request, "No report on this comment was waiting for a decision.", messages.WARNING)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("admin:comments_comment_changelist") + "?reported=1"
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
            if not obj.data_erased_at:
                context["author_panel_url"] = reverse("admin:comments_comment_author", args=[obj.pk])
        if obj is not None and self.has_change_permission(request, obj):
            context["moderation_buttons"] = moderation_buttons(obj)
            if request.user.has_perm("comments.add_ban"):
                context["ban_url"] = ban_author_url(obj, request.get_full_path())
            if Comment.objects.filter(pk=obj.pk).not_reviewed().exists():
                context["reviewed_url"] = reverse("admin:comments_comment_reviewed", args=[obj.pk])
            if obj.status == Status.APPROVED and obj.reports.undecided().exists():
                context["keep_url"] = reverse("admin:comments_comment_keep", args=[obj.pk])
            if may_reply(obj):
                context["reply_form"] = ReplyForm(moderator=request.user)
                context["reply_url"] = reverse("admin:comments_comment_reply", args=[obj.pk])
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None and obj.status not in DELETABLE_STATUSES:
            response.context_data["has_delete_permission"] = False  # The permission stays, for posts' cascades.
        return response

    def save_model(self, request, obj, form, change):
        moderation.edit(obj, moderator=request.user, fields=form.changed_data)
        if "body" in form.changed_data:
            pipeline.text_edited(obj)


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


class TrustAddressForm(forms.ModelForm):
    """Trust an address before its owner comments: every spelling that reaches the same mailbox (its key)."""

    email = EmailAddressField(
        label="Email address",
        help_text="Comments from this address, in any spelling that reaches the same mailbox, skip the link and "
        "word holds. To trust an account, use “Trust this author” on one of its comments.",
    )

    class Meta:
        model = TrustedCommenter
        fields = ["email", "note"]

    def clean_email(self):
        key = email_key(self.cleaned_data["email"])
        if TrustedCommenter.objects.filter(email_key=key).exists():
            raise forms.ValidationError("This address is trusted already.", code="trusted")
        return key

    def save(self, commit=True):
        self.instance.email_key = self.cleaned_data["email"]
        return super().save(commit)


@admin.register(TrustedCommenter)
class TrustedCommenterAdmin(admin.ModelAdmin):
    """The commenters moderators trust; marked from the comment list ("Trust this author") or here by address,
    removed here or there.

    Whoever may moderate comments may see, add, annotate and remove them (no permission of its own to hand out).
    """

    list_display = ["who", "by", "marked_at", "note"]
    list_select_related = ["user", "marked_by"]
    search_fields = ["email_key", "user__username", "user__email", "note"]
    fields = ["who", "by", "marked_at", "note"]
    readonly_fields = ["who", "by", "marked_at"]

    @admin.display(description="Trusted commenter")
    def who(self, mark):
        if mark.user_id:
            return f"{mark.user.get_full_name() or mark.user.get_username()} (account {mark.user.get_username()})"
        return mark.email_key

    @admin.display(description="Marked by", ordering="marked_by__username")
    def by(self, mark):
        return (mark.marked_by.get_full_name() or mark.marked_by.get_username()) if mark.marked_by else "-"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Trusted commenters", **(extra_context or {})})

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TrustAddressForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["email", "note"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.marked_by = request.user
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return request.user.has_perm(MODERATE_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(MODERATE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(MODERATE_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(MODERATE_PERMISSION)

    def has_module_permission(self, request):
        return request.user.has_perm(MODERATE_PERMISSION)


# Thread controls: closing comments on the whole site (one row, comments/closing.py).


@admin.register(CommentingClosure)
class CommentingClosureAdmin(admin.ModelAdmin):
    fieldsets = [
        (None, {"fields": ["closed", "message"]}),
        ("Quiet hours, every day", {"fields": ["quiet_from", "quiet_until", "quiet_message"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        """Whoever may moderate comments may close them (no permission of its own to grant)."""
        return request.user.has_perm("comments.change_comment")

    has_change_permission = has_view_permission

    def changelist_view(self, request, extra_context=None):
        """There is one: the list opens it."""
        closure = CommentingClosure.current()
        return HttpResponseRedirect(reverse("admin:comments_commentingclosure_change", args=[closure.pk]))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        closing.closure_saved()
