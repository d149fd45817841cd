"""Readers' comments on posts, and the history of every change of their status.

A comment's status is one field (`Comment.Status`); `reason` says why it is where it is
(a rule, Akismet's verdict, Akismet being unreachable, a moderator). A comment gets its first
status where it is made (`Comment.build`): pending at intake (pipeline.py), pending then approved
for a moderator's reply in the admin (moderation.reply), as WordPress had it for an import
(wordpress/importer.py), and in the demo; each writes its first `CommentEvent` with it. Every later
change goes through `moderation.change_status`, which writes a `CommentEvent` for it.

A comment's author is found by `author_email_key` (addresses.email_key of `author_email`), which
`save()`, `bulk_create()` and the import (`give_email_keys`) store with it, never by comparing the addresses
themselves.
"""

import math
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from blog.markup import render_comment
from blog.models import Post
from groundwork.email_addresses import KEY_LENGTH, email_key, validate_address


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    SPAM = "spam", "Spam"
    TRASH = "trash", "Trash"


class Reason(models.TextChoices):
    """Why a comment has its status; shown to moderators and filterable in the admin."""

    SPAM_CHECK = "spam-check", "Waiting for the spam check"
    AKISMET_UNREACHABLE = "akismet-unreachable", "Akismet unreachable, will retry"
    AKISMET_PROVISIONAL = "akismet-provisional", "Provisionally not spam: Akismet is still checking"
    AKISMET_KEY_INVALID = "akismet-key-invalid", "The Akismet key is invalid: held for a person"
    NO_AKISMET_KEY = "no-akismet-key", "No Akismet key configured"
    AKISMET_SPAM = "akismet-spam", "Akismet: spam"
    AKISMET_DISCARD = "akismet-discard", "Akismet: blatant spam (discard)"
    AKISMET_HAM = "akismet-ham", "Akismet: not spam"
    HONEYPOT = "honeypot", "Hidden honeypot field filled in"
    TOO_FAST = "too-fast", "Submitted implausibly fast"
    DISALLOWED_WORDS = "disallowed-words", "Contains a disallowed word"
    MODERATION_WORDS = "moderation-words", "Contains a moderation word"
    TOO_MANY_LINKS = "too-many-links", "Too many links"
    HOLD_ALL = "hold-all", "Every comment is held for moderation"
    FIRST_COMMENT = "first-comment", "Author has no approved comment yet"
    KNOWN_AUTHOR = "known-author", "Author has an approved comment"
    RULES_PASSED = "rules-passed", "Passed the local rules"
    MODERATOR = "moderator", "Moderator's decision"
    IMPORTED = "imported", "Imported with its status"
    DATA_ERASED = "data-erased", "Its author's data was erased: never sent to Akismet"
    BANNED = "banned", "Its author is banned"
    TOO_FEW_APPROVED = "too-few-approved", "Author has too few approved comments"
    REJECTION_RATE = "rejection-rate", "Author's comments are often rejected"
    HELD_DOMAIN = "held-domain", "Email domain held for moderation"
    TRUSTED = "trusted", "Trusted commenter"
    AUTHOR_DELETED = "author-deleted", "Deleted by its author; kept empty for the replies under it"
    REPORTED = "reported", "Reported by readers"


class Kind(models.TextChoices):
    """What a comment is, as WordPress's comment_type: only imports bring anything but comments."""

    COMMENT = "comment", "Comment"
    PINGBACK = "pingback", "Pingback"
    TRACKBACK = "trackback", "Trackback"
    NOTE = "note", "Editorial note (never published)"


class Actor(models.TextChoices):
    """Who or what changed a comment's status."""

    AUTHOR = "author", "Comment author"
    RULE = "rule", "Local rule"
    AKISMET = "akismet", "Akismet"
    MODERATOR = "moderator", "Moderator"
    SYSTEM = "system", "System"
    READERS = "readers", "Readers' reports"


AUTOMATIC_ACTORS = (Actor.RULE, Actor.AKISMET, Actor.SYSTEM)


@deconstructible
class NoControlCharacters:
    """Refuses text holding a control character (Unicode's Cc: C0, DEL, C1) other than those `allowed`.

    They carry no text, and some break what the text goes into: an email's lines, an XML export.
    """

    message = "Control characters are not allowed."

    def __init__(self, allowed: str = ""):
        self.allowed = allowed

    def __call__(self, value) -> None:
        if any(unicodedata.category(c) == "Cc" and c not in self.allowed for c in str(value)):
            raise ValidationError(self.message, code="control")

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and self.allowed == other.allowed


LINE_BREAKS_AND_TABS = "\t\n\r"


def give_email_keys(comments) -> None:
    """Set each comment's email key from its email, as `Comment.save` does, for comments stored in bulk."""
    for comment in comments:
        comment.author_email_key = email_key(comment.author_email)


def _counted(queryset) -> Coalesce:
    """How many rows a correlated subquery finds (0 for none), as an annotation."""
    return Coalesce(models.Subquery(queryset.values("post").annotate(n=models.Count("pk")).values("n")), 0)


class CommentQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Comments stored in bulk (an import) get their email key, as `Comment.save` gives it."""
        objs = list(objs)
        give_email_keys(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def approved(self):
        return self.filter(status=Status.APPROVED)

    def published(self):
        """What readers see: approved, and never an editorial note."""
        return self.approved().exclude(kind=Kind.NOTE)

    def pending(self):
        return self.filter(status=Status.PENDING)

    def spam(self):
        return self.filter(status=Status.SPAM)

    def trashed(self):
        return self.filter(status=Status.TRASH)

    def for_post(self, post):
        return self.filter(post=post)

    def visible_to(self, own_ids):
        """Approved comments, plus the reader's own held ones (ids from their signed cookie)."""
        return self.filter(models.Q(status=Status.APPROVED) | models.Q(pk__in=own_ids, status=Status.PENDING))

    def thread_roots(self):
        """The top-level comments a post's thread is paged by, oldest first (after `for_post`): published ones not
        pinned, and removed ones with a published reply, shown as placeholders (`behind_a_placeholder`)."""
        return self.filter(paged_root()).order_by("created_at", "pk")

    def pinned(self):
        """The published top-level comments pinned first on page 1, in the order they were pinned."""
        return self.published().filter(PINNED).order_by("pinned_at", "pk")

    def behind_a_placeholder(self):
        """Comments removed (by a moderator, or deleted by their author) under which a published reply still hangs:
        the thread shows a placeholder in their place, and the replies under it.

        A comment with a reply that was removed in turn is read too: the thread leaves out those with nothing
        published under them (thread.py).
        """
        replies = Comment.objects.filter(models.Q(status=Status.APPROVED) | REMOVED, parent=models.OuterRef("pk"))
        return self.filter(REMOVED, models.Exists(replies))

    def with_thread_places(self):
        """Each comment with what `thread_page` needs, in the same query: how many published threads its post has,
        and how many start before its own (a feed links twenty comments: not two queries each)."""
        threads = Comment.objects.filter(paged_root(), post=models.OuterRef("post")).order_by()
        start = Coalesce(models.OuterRef("root__created_at"), models.OuterRef("created_at"))
        start_pk = Coalesce(models.OuterRef("root_id"), models.OuterRef("pk"))
        before = threads.filter(models.Q(created_at__lt=start) | models.Q(created_at=start, pk__lt=start_pk))
        return self.annotate(threads_on_post=_counted(threads), threads_before=_counted(before))

    def thread_order(self):
        """Oldest first, with what a comment shows, in one query."""
        return self.select_related("user").order_by("created_at", "pk")

    def not_reviewed(self):
        """Approved by a rule or Akismet, and not looked at by a moderator since: what no person has read as it is.

        Any moderator's event counts as a look (a decision, an edit, the "Mark reviewed" note); imported comments
        were published on WordPress, by whoever reviewed them there, and are left out. Both lookups are served by
        CommentEvent's (comment, actor) index; events are compared by id, which grows with time.
        """
        events = CommentEvent.objects.filter(comment=models.OuterRef("pk")).order_by()
        automatic = events.approvals().filter(actor__in=AUTOMATIC_ACTORS).exclude(reason=Reason.IMPORTED)
        looked_at = CommentEvent.objects.filter(
            comment=models.OuterRef("pk"), actor=Actor.MODERATOR, pk__gt=models.OuterRef("automatic_approval")
        )
        return (
            self.approved()
            .alias(automatic_approval=models.Subquery(automatic.order_by("-pk").values("pk")[:1]))
            .filter(automatic_approval__isnull=False)
            .exclude(models.Exists(looked_at))
        )

    def written_by(self, email: str, users=()):
        """Every comment, in any status, written with `email` (any spelling of it) or from one of the `users`."""
        mine = models.Q(author_email_key=email_key(email)) if email else models.Q(pk__in=[])
        return self.filter(mine | models.Q(user__in=users))


class Comment(models.Model):
    Status = Status
    Reason = Reason
    Kind = Kind

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", editable=False
    )
    depth = models.PositiveSmallIntegerField(default=1, editable=False, help_text="1 for a top-level comment.")
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The top-level comment this one answers, directly or not (none for a top-level comment): "
        "a page of the thread is its top-level comments and everything under them.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        help_text="The account the comment was posted with, if the author was logged in.",
    )
    author_name = models.CharField("name", max_length=245, validators=[NoControlCharacters()])
    author_email = models.EmailField(
        "email",
        max_length=100,
        blank=True,
        validators=[validate_address],
        help_text="Never shown on the site; empty once its author erased it.",
    )
    author_email_key = models.CharField(
        max_length=KEY_LENGTH,
        blank=True,
        editable=False,
        help_text="The email as addresses.email_key reads it: what finds the author's other comments.",
    )
    author_url = models.URLField("website", max_length=200, blank=True, validators=[NoControlCharacters()])
    body = models.TextField(
        "comment",
        max_length=65525,
        validators=[NoControlCharacters(allowed=LINE_BREAKS_AND_TABS)],
        help_text="As the author wrote it (plain text).",
    )
    body_html = models.TextField(editable=False, default="")

    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING, db_index=True)
    reason = models.CharField(max_length=24, choices=Reason, default=Reason.SPAM_CHECK, db_index=True)
    rule_status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.PENDING,
        editable=False,
        help_text="What the local rules decided; applied once Akismet says the comment is not spam.",
    )
    rule_reason = models.CharField(max_length=24, choices=Reason, default=Reason.FIRST_COMMENT, editable=False)
    akismet_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    akismet_guid = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text="Akismet's name for its last check of this comment (X-akismet-guid): sent back with a report, "
        "and what its webhook names.",
    )

    # What Akismet needs to judge the comment, as it was when submitted.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    honeypot_value = models.CharField(max_length=200, blank=True, editable=False)
    # A default, not auto_now_add, so that an imported comment keeps the date it was written.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    kind = models.CharField(max_length=9, choices=Kind, default=Kind.COMMENT, editable=False)
    wordpress_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The comment's id on the WordPress site it was imported from; its old #comment-N anchor still works.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    data_erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When its author's name, email, website, IP address and browser details were erased at their "
        "request (the text stays, under Anonymous). Nothing about it is sent to Akismet after that.",
    )

    pinned_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a moderator pinned this top-level comment first on page 1 of its thread (moderation.pin).",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["post", "status", "created_at"]),
            models.Index(fields=["post", "status", "depth", "created_at"], name="comments_thread_roots"),
            models.Index(fields=["author_email_key", "status"], name="comments_author_key"),
        ]

    def __str__(self):
        return f"{self.author_name} on {self.post}"

    # The status this object was read with: a comment that was not published and is not now leaves its
    # article's stored thread as it was, so saving it does not touch the post (whose row every comment of a
    # busy post would otherwise wait for, in the form's POST and in every spam check).
    _status_when_loaded = None

    def save(self, *args, touch_post=True, **kwargs):
        """`touch_post=False`: the caller calls `touched_post()` itself, last in its transaction.

        The email's key is stored with the email, whichever fields are saved.
        """
        self.author_email_key = email_key(self.author_email)
        if kwargs.get("update_fields") is not None and "author_email" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "author_email_key"}
        super().save(*args, **kwargs)
        if touch_post:
            self.touched_post()

    def get_absolute_url(self):
        """The address that shows this comment: the page of its post's thread it is on."""
        return f"{comment_page_url(self.post, *self.thread_page())}#comment-{self.pk}"

    def get_reply_url(self):
        """Without JavaScript, Reply opens the comment's page with the form set to answer it."""
        return f"{comment_page_url(self.post, *self.thread_page())}?replytocom={self.pk}#respond"

    def touched_post(self) -> None:
        """Mark the post's stored thread as changed, if this comment is shown on it or was."""
        if Status.APPROVED in (self._status_when_loaded, self.__dict__.get("status", Status.APPROVED)):
            comments_changed(self.post_id)
        self._status_when_loaded = self.__dict__.get("status", Status.APPROVED)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        comment = super().from_db(db, field_names, values, **kwargs)
        comment._status_when_loaded = comment.__dict__.get("status", Status.APPROVED)  # not read: maybe shown
        return comment

    def thread_page(self) -> tuple[int, int]:
        """(The page of its post's thread this comment is on, the page the article's own address shows.)

        A reply is on its top-level comment's page (a pinned one's on page 1, a removed one's where its
        placeholder is); a held top-level comment, shown only to its author, on the newest.
        """
        roots = Comment.objects.for_post(self.post_id).thread_roots()
        threads = getattr(self, "threads_on_post", None)  # with_thread_places() read it with the comment
        pages = comment_page_count(roots.count() if threads is None else threads)
        root = self.root or self
        number = pages
        if root.is_pinned:
            number = 1
        elif settings.COMMENTS_PER_PAGE and (root.status == Status.APPROVED or root is not self):  # or a placeholder
            before = getattr(self, "threads_before", None)
            if before is None:
                earlier = models.Q(created_at__lt=root.created_at) | models.Q(
                    created_at=root.created_at, pk__lt=root.pk
                )
                before = roots.filter(earlier).count()
            number = before // settings.COMMENTS_PER_PAGE + 1
        return number, default_comment_page(pages)

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None and self.status == Status.APPROVED and self.depth == 1

    @property
    def deleted_by_its_author(self) -> bool:
        """Kept empty, in the Trash, for the published replies under it (erasure.delete)."""
        return self.reason == Reason.AUTHOR_DELETED

    @classmethod
    def build(cls, *, post, body: str, parent: "Comment | None" = None, body_html=None, **fields) -> "Comment":
        """A new, unsaved comment: the one way comments are made (the form, the admin's reply, imports, the demo).

        Its depth and thread (root) follow from its parent, set by `place_under` and nowhere else, and its HTML
        from its text (`body_html`: made from it already, by `render_comment` as `render_body` makes it: an import
        makes it beside its reading, wordpress/reading.py).
        """
        comment = cls.made_of({"post": post, "body": body, **fields})
        if parent is not None:
            comment.place_under(parent)
        if body_html is None:
            comment.render_body()
        else:
            comment.body_html = body_html
        return comment

    @classmethod
    def made_of(cls, given: dict) -> "Comment":
        """A new instance of the fields `given` (by name, or by column for a relation's id), the others at their
        default: made positionally, as Django makes the rows it reads, for a fifth of what its keywords cost (an
        import builds hundreds of thousands). Related objects are set through their field, as keywords are."""
        given, values, related = dict(given), [], []
        for field in cls._meta.concrete_fields:
            if field.is_relation and field.name in given:
                related.append((field.name, given.pop(field.name)))
                values.append(None)
            elif field.attname in given:
                values.append(given.pop(field.attname))
            elif field.name in given:
                values.append(given.pop(field.name))
            else:
                values.append(field.get_default())
        if given:
            raise TypeError(f"Comment has no field {', '.join(map(repr, given))}")
        comment = cls(*values)
        for name, value in related:
            setattr(comment, name, value)
        return comment

    def place_under(self, parent: "Comment | None") -> None:
        """Make this comment a reply to `parent` (top level when None), with the depth and thread (root) that follow.

        Only this comment's fields are set: the caller saves it, and places the replies under it.
        """
        self.parent = parent
        if parent is None:
            self.depth, self.root = 1, None
        else:
            self.depth = parent.depth + 1
            if parent.depth == 1:
                self.root = parent
            elif parent.root_id:
                self.root_id = parent.root_id
            else:
                self.root = parent.root  # built in the same batch (an import): its id is known when saved

    @property
    def written_in_html(self) -> bool:
        """Imported from WordPress, where a comment's text is HTML (`&lt;b&gt;` shows "<b>"), and kept as written:
        so it shows, is edited and leaves (wordpress/exporter.py) as on WordPress."""
        return self.wordpress_id is not None

    def render_body(self) -> None:
        """Derive the HTML shown from the text written (stored, so pages never render it again)."""
        self.body_html = render_comment(self.body, written_in_html=self.written_in_html)


# What a thread shows where (as querysets filter it): published comments; pinned ones first on page 1; and in place
# of a comment removed from it (held again, spam, the Trash, deleted by its author) that has a published reply
# under it, a placeholder ("This comment was removed by a moderator."), the replies nested under it as before.

REMOVED = models.Q(status__in=[Status.PENDING, Status.SPAM, Status.TRASH]) & ~models.Q(kind=Kind.NOTE)
PINNED = models.Q(depth=1, pinned_at__isnull=False)


def paged_root() -> models.Q:
    """A top-level comment the thread is paged by: published and not pinned, or a placeholder for a reply."""
    has_reply = models.Exists(Comment.objects.published().filter(root=models.OuterRef("pk")))
    published = models.Q(status=Status.APPROVED, pinned_at__isnull=True) & ~models.Q(kind=Kind.NOTE)
    return models.Q(depth=1) & (published | (REMOVED & has_reply))


def comments_changed(*post_ids) -> None:
    """Note on the posts that a comment of theirs was stored or removed, so their stored threads are drawn again.

    Comment.save does it for every comment that is published or was; whatever stores comments in bulk (an
    import) calls it itself, and a deletion does through the post_delete signal (apps.py).
    """
    Post.objects.filter(pk__in=post_ids).update(comments_changed_at=timezone.now())


# Paging, as WordPress pages comments: COMMENTS_PER_PAGE top-level comments a page (0: one page), each
# with all its replies, page 1 the oldest; the article's own address shows COMMENTS_DEFAULT_PAGE
# ("newest", the last page, or "oldest"), and page N is also `<article>/comment-page-N/`.


def comment_page_count(top_level: int) -> int:
    per_page = settings.COMMENTS_PER_PAGE
    return max(1, math.ceil(top_level / per_page)) if per_page else 1


def default_comment_page(pages: int) -> int:
    return pages if settings.COMMENTS_DEFAULT_PAGE == "newest" else 1


def comment_page_url(post, number: int, default: int) -> str:
    """Page `number` of the post's comments: the article's own address for the default page."""
    if number == default:
        return post.get_absolute_url()
    return post.get_absolute_url() + f"comment-page-{number}/"


class CommentEventQuerySet(models.QuerySet):
    def approvals(self):
        """The events that approved a comment: into approved from anything else (a first approval, or one again)."""
        return self.filter(to_status=Status.APPROVED).exclude(from_status=Status.APPROVED)

    def record(self, comment: Comment, *, actor: Actor, from_status=None, note: str = "", moderator=None):
        """Write a history row for `comment` as it now is; `from_status` is where it was ("" when it is new).

        Without `from_status` the row changes nothing: a note such as "reported to Akismet as spam".
        """
        return self.create(
            comment=comment,
            actor=actor,
            moderator=moderator,
            from_status=comment.status if from_status is None else from_status,
            to_status=comment.status,
            reason=comment.reason,
            note=note[:500],
        )


class CommentEvent(models.Model):
    """One change of a comment's status: the history moderators read."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="events")
    actor = models.CharField(max_length=10, choices=Actor)
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=10, choices=Status, blank=True)
    to_status = models.CharField(max_length=10, choices=Status)
    reason = models.CharField(max_length=24, choices=Reason)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CommentEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["comment", "actor"], name="comments_event_actor")]

    def __str__(self):
        return f"{self.get_actor_display()}: {self.from_status or 'new'} → {self.to_status} ({self.reason})"


# Bans (issue 22): who may not comment, and why (the rules of matching are in bans.py)


class BanQuerySet(models.QuerySet):
    def in_force(self):
        """Bans that apply now: permanent ones, and suspensions not yet over."""
        return self.filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=timezone.now()))


class Ban(models.Model):
    """A commenter who may not comment: by account, email address, email domain or network, for a reason."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        EMAIL = "email", "Email address"
        DOMAIN = "domain", "Email domain"
        NETWORK = "network", "Network (IP range)"

    kind = models.CharField("ban by", max_length=7, choices=Kind)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bans",
        help_text="The account banned (a ban by account).",
    )
    value = models.CharField(
        max_length=KEY_LENGTH,
        blank=True,
        help_text="The email address's key, the domain (IDNA, lower case) or the network (CIDR), as bans.py reads it.",
    )
    # The network's first and last addresses, as 32 hexadecimal digits of the IPv6 address (an IPv4 address as
    # its IPv4-mapped one): an address is in it when first <= address <= last, which an index serves.
    network_first = models.CharField(max_length=32, blank=True, editable=False)
    network_last = models.CharField(max_length=32, blank=True, editable=False)
    reason = models.CharField(
        max_length=500,
        validators=[NoControlCharacters()],
        help_text="Shown to the banned person when they try to comment: write it for them, politely.",
    )
    ends_at = models.DateTimeField(
        "until",
        null=True,
        blank=True,
        help_text="Leave empty for a permanent ban; a date makes it a suspension, which ends then.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = BanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "value"], name="comments_ban_value"),
            models.Index(fields=["kind", "network_first", "network_last"], name="comments_ban_network"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="account", user__isnull=False)
                | (~models.Q(kind="account") & ~models.Q(value="")),
                name="comments_ban_has_a_target",
            )
        ]

    def __str__(self):
        if self.kind == Ban.Kind.ACCOUNT:
            return f"account {self.user.get_username() if self.user else '(deleted)'}"
        return f"{self.kind} {self.value}"

    @property
    def is_in_force(self) -> bool:
        return self.ends_at is None or self.ends_at > timezone.now()


# Trust (issue 22): commenters a moderator trusts; their comments skip the link and word holds (rules.py).


class TrustedCommenterQuerySet(models.QuerySet):
    def of_author(self, *, user_id=None, email: str = ""):
        """The marks that trust whoever wrote with this account or this email (any spelling of it: its key)."""
        who = models.Q(pk__in=[])
        if user_id:
            who |= models.Q(user_id=user_id)
        if email:
            who |= models.Q(email_key=email_key(email))
        return self.filter(who)


class TrustedCommenter(models.Model):
    """A commenter a moderator trusts: known by the account they comment with, or else by their email's key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The account trusted, when the comment it was marked from was written with one.",
    )
    email_key = models.CharField(
        max_length=KEY_LENGTH,
        blank=True,
        db_index=True,
        help_text="The email trusted, as addresses.email_key reads it, when there was no account.",
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    marked_at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.CharField(max_length=500, blank=True, help_text="Why they are trusted, for the other moderators.")

    objects = TrustedCommenterQuerySet.as_manager()

    class Meta:
        ordering = ["-marked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email_key"], condition=~models.Q(email_key=""), name="comments_trusted_email_key"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email_key=""), name="comments_trusted_someone"
            ),
        ]

    def __str__(self):
        return self.user.get_username() if self.user_id else self.email_key


# Thread controls (issue 22): closing comments on the whole site, at once or during quiet hours every night.


class CommentingClosure(models.Model):
    """Whether readers may comment anywhere on the site: one row (`current`), changed by moderators in the admin.

    comments/closing.py reads it (cached, forgotten when it is saved) and says what a reader is told.
    """

    closed = models.BooleanField(
        "closed on the whole site",
        default=False,
        help_text="No new comments anywhere: every article shows the message below instead of the form, and keeps "
        "its comments shown. Saving this clears every cached article page at once.",
    )
    message = models.CharField(
        max_length=500,
        default="Comments are closed for now.",
        validators=[NoControlCharacters()],
        help_text="Shown above every thread while commenting is closed (plain text).",
    )
    quiet_from = models.TimeField(
        "quiet hours from",
        null=True,
        blank=True,
        help_text="Every day from this time (the site's time zone) comments are closed, until the time below. "
        "Empty: no quiet hours.",
    )
    quiet_until = models.TimeField(
        "quiet hours until",
        null=True,
        blank=True,
        help_text="When quiet hours end; earlier than the start means the next morning (22:00 to 07:00).",
    )
    quiet_message = models.CharField(
        "message during quiet hours",
        max_length=500,
        default="Comments are closed overnight. They open again in the morning.",
        validators=[NoControlCharacters()],
        help_text="Shown above every thread during quiet hours (plain text).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "closing comments site-wide"

    def __str__(self):
        return "Closing comments site-wide"

    def clean(self):
        if (self.quiet_from is None) != (self.quiet_until is None):
            raise ValidationError("Give quiet hours both a start and an end, or neither.")
        if self.quiet_from is not None and self.quiet_from == self.quiet_until:
            raise ValidationError("Quiet hours must start and end at different times.")

    @classmethod
    def current(cls) -> "CommentingClosure":
        """The site's one row (made, open, the first time it is asked for)."""
        return cls.objects.get_or_create(pk=1)[0]


# Reader reports, illegal-content notices (DSA Art. 16) and statements of reasons (Art. 17): comments/reports.py.


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSIVE = "abusive", "Abusive or harassing"
    OFF_TOPIC = "off-topic", "Off-topic"
    ILLEGAL = "illegal", "Illegal content"
    OTHER = "other", "Something else"


class ReportOutcome(models.TextChoices):
    KEPT = "kept", "Kept: the comment stays published"
    REMOVED = "removed", "Removed"


class ReportQuerySet(models.QuerySet):
    def notices(self):
        """The illegal-content notices (DSA Art. 16): their senders are told of receipt and of the decision."""
        return self.filter(reason=ReportReason.ILLEGAL)

    def undecided(self):
        """Reports no moderator has decided on yet."""
        return self.filter(outcome="")

    def filed_by(self, email: str, users=()):
        """Reports a reader filed: with `email` as the notice's sender (any spelling), or from one of the `users`."""
        mine = models.Q(reporter_email_key=email_key(email)) if email else models.Q(pk__in=[])
        return self.filter(mine | models.Q(user__in=users))


class Report(models.Model):
    """A reader's report of a published comment; with reason "illegal", a notice under the DSA's Art. 16."""

    Reason = ReportReason

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=10, choices=ReportReason)
    note = models.TextField(blank=True, max_length=2000, help_text="What the reader added, in their words.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comment_reports",
        help_text="The account the report was filed from, if the reader was logged in.",
    )
    reporter_id = models.CharField(
        max_length=32, blank=True, help_text="A guest's random id, from a signed cookie in their browser."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # What a notice of illegal content must hold (DSA Art. 16(2)).
    explanation = models.TextField(blank=True, max_length=5000, help_text="Why the sender holds the content illegal.")
    exact_url = models.URLField(blank=True, max_length=500, help_text="The exact address of the content.")
    reporter_name = models.CharField("name", max_length=245, blank=True)
    reporter_email = models.EmailField("email", max_length=254, blank=True, validators=[validate_address])
    reporter_email_key = models.CharField(max_length=KEY_LENGTH, blank=True, editable=False)
    good_faith = models.BooleanField(
        default=False, help_text="The sender confirmed the notice is accurate and complete."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="When the notice's receipt was emailed.")
    outcome = models.CharField(
        max_length=7, choices=ReportOutcome, blank=True, help_text="What a moderator decided after the report."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_sent_at = models.DateTimeField(null=True, blank=True, help_text="When the decision was emailed.")
    data_erased_at = models.DateTimeField(null=True, blank=True, help_text="When the reporter's details were erased.")

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user"], condition=models.Q(user__isnull=False), name="one_report_per_account"
            ),
            models.UniqueConstraint(
                fields=["comment", "reporter_id"], condition=~models.Q(reporter_id=""), name="one_report_per_guest"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on comment {self.comment_id}"

    def save(self, *args, **kwargs):
        self.reporter_email_key = email_key(self.reporter_email)
        super().save(*args, **kwargs)


# What Akismet last said about the site itself (comments/akismet.py): the key, its alerts, its usage.


class AkismetState(models.Model):
    """The one row (`current`) saying how Akismet stands with this site, kept by the worker, shown in the admin.

    The web processes and the workers share it through the database, not the cache: without Redis each
    process has its own cache, and a moderator must see what the worker found.
    """

    key_digest = models.CharField(
        max_length=64, blank=True, help_text="Which key, site and API address the key fields below are about."
    )
    key_verified_at = models.DateTimeField(null=True, blank=True)
    key_invalid_at = models.DateTimeField(
        null=True, blank=True, help_text="When Akismet said the key is invalid; nothing is sent until it changes."
    )
    last_answer_at = models.DateTimeField(null=True, blank=True)
    alert_code = models.CharField(max_length=12, blank=True)
    alert_message = models.CharField(max_length=500, blank=True)
    alert_at = models.DateTimeField(null=True, blank=True)
    usage = models.JSONField(null=True, blank=True, help_text="usage-limit's answer, as Akismet gave it.")
    key_sites = models.JSONField(null=True, blank=True, help_text="key-sites' answer, as Akismet gave it.")
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the worker last read the usage and sites.")

    class Meta:
        verbose_name = "Akismet's state"

    def __str__(self):
        return "Akismet"

    @classmethod
    def current(cls) -> "AkismetState":
        return cls.objects.get_or_create(pk=1)[0]


class AkismetCall(models.Model):
    """One call to Akismet and whether it was answered: the health box counts the last day's."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    endpoint = models.CharField(max_length=20)
    answered = models.BooleanField()

    def __str__(self):
        return f"{self.endpoint} at {self.at:%Y-%m-%d %H:%M:%S}"
