"""The comment thread under an article: one page of it, loaded in two queries and written as HTML in Python.

The thread's numbers are stored under the time a comment of the post last changed
(Post.comments_changed_at, which Comment.save and deletions keep), and each page's HTML
(caching.stored_section) with that time in its `version`: an article whose thread is stored costs
no query for it at all.

Long threads are paged as WordPress pages them: COMMENTS_PER_PAGE top-level comments a page,
each with every reply under it, oldest first; the article's own address shows
COMMENTS_DEFAULT_PAGE, and page N also lives at `<article>/comment-page-N/`. The numbers that go with every
page (comments in all, top-level comments) are counted in one query, the page's comments loaded
in another; a reader's own held comments (signed cookie) are shown to them, under their
parent, or at the end of the last page. Paging itself (which page is which) is in models.py.

The page a reader lands on after posting (`landing_url`) says "Check your inbox" under their comment when ticking
a "Notify me" box emailed them a link to confirm: the address carries a signed word of it, good for an hour, and
only the browser whose cookie names the comment as its own is told (with the address partly shown).

The thread is written by `render` with plain string formatting rather than a template per
comment: a {% include %} per comment was most of the time spent on an article page (each one
formats dates, numbers and URLs through the template machinery). Everything a reader wrote is
escaped here, or was made safe when stored (`body_html`).
"""

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .cookies import own_comment_ids
from .models import (
    REMOVED,
    Comment,
    Kind,
    Status,
    comment_page_count,
    comment_page_url,
    default_comment_page,
    paged_root,
)


@dataclass
class Node:
    comment: Comment
    replies: list["Node"] = field(default_factory=list)
    placeholder: bool = False  # removed from the thread, shown for the replies under it: nothing of it is written

    @property
    def awaiting_moderation(self):
        return self.comment.status == Status.PENDING and not self.placeholder

    def holds_something(self) -> bool:
        """Whether a published comment (or the reader's own held one) is here or under it."""
        return not self.placeholder or any(reply.holds_something() for reply in self.replies)


@dataclass
class Thread:
    """One page of an article's thread: what every page says about the whole, and this page's comments.

    The numbers come from one query; the page's comments from a second, made only when something
    asks for them (`roots`, `by_id`), so a page whose thread HTML is stored never loads them.
    """

    post: object
    approved_count: int  # published comments on the article, on every page
    number: int  # this page, 1 for the oldest
    page_count: int
    default_number: int  # the page the article's own address shows
    own: list[int] = field(default_factory=list)  # the reader's own held comments (signed cookie)
    confirming: int | None = None  # the reader's own comment whose author was just emailed a link to confirm

    def page_url(self, number: int) -> str:
        return comment_page_url(self.post, number, self.default_number)

    @property
    def url(self) -> str:
        return self.page_url(self.number)

    @property
    def previous_url(self) -> str | None:
        return self.page_url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.page_url(self.number + 1) if self.number < self.page_count else None

    @property
    def version(self) -> str:
        """Changes whenever what this page shows anyone could change: its stored HTML is used while it is the same."""
        return f"{_counts_key(self.post)}.{self.number}.{self.page_count}"

    @property
    def roots(self) -> list[Node]:
        return self._page[0]

    @property
    def by_id(self) -> dict[int, Comment]:
        return self._page[1]

    @cached_property
    def _page(self) -> tuple[list[Node], dict[int, Comment]]:
        roots = Comment.objects.for_post(self.post).thread_roots().values("pk")
        if settings.COMMENTS_PER_PAGE:
            first = (self.number - 1) * settings.COMMENTS_PER_PAGE
            roots = roots[first : first + settings.COMMENTS_PER_PAGE]
        on_page = Q(pk__in=roots) | Q(root__in=roots)
        if self.number == 1:
            pinned = Comment.objects.for_post(self.post).pinned().values("pk")
            on_page |= Q(pk__in=pinned) | Q(root__in=pinned)
        if self.own and self.number == self.page_count:
            on_page |= Q(pk__in=self.own, depth=1)  # the reader's own held comments close the newest page
        on_post = Comment.objects.for_post(self.post)
        shown = on_post.visible_to(self.own).exclude(kind=Kind.NOTE) | on_post.behind_a_placeholder()
        comments = list(shown.filter(on_page).thread_order())

        mine = set(self.own)
        nodes = {}
        for comment in comments:
            hidden = comment.status != Status.APPROVED and not (comment.status == Status.PENDING and comment.pk in mine)
            nodes[comment.pk] = Node(comment, placeholder=hidden)
        top = []
        for comment in comments:
            comment.post = self.post  # known already: spares a query per comment
            parent = nodes.get(comment.parent_id)
            (parent.replies if parent else top).append(nodes[comment.pk])
        for node in nodes.values():
            node.replies = [reply for reply in node.replies if reply.holds_something()]
        top = [node for node in top if node.holds_something()]
        top.sort(key=lambda node: (0, node.comment.pinned_at, node.comment.pk) if node.comment.is_pinned else (1,))
        return top, {pk: node.comment for pk, node in nodes.items() if not node.placeholder}


STORED_SECONDS = 300


def _counts_key(post) -> str:
    """Every stored part of a post's thread is kept under the time a comment of the post last changed."""
    changed = post.comments_changed_at.timestamp() if post.comments_changed_at else 0
    return f"comments.thread.{post.pk}.{changed}"


def stored_parts(post) -> tuple[str, range]:
    """What of the post's thread may be stored now: the key of its numbers, and the numbers of its pages.

    One page more than the thread has: a comment leaving it takes one page away at most (erasing one
    with replies adds pages), and each change forgets what it changed, so a page past these is stored
    nowhere.
    """
    pages = comment_page_count(Comment.objects.for_post(post).thread_roots().count())
    return _counts_key(post), range(1, pages + 2)


def load_thread(post, request, number: int | None = None) -> Thread:
    """Page `number` (or the default page) of the post's thread, memoised on the post; Http404 past the last."""
    cached = getattr(post, "_comment_thread", None)
    if cached is not None and number in (None, cached.number):
        return cached
    counts = cache.get(_counts_key(post))
    if counts is None:
        shown = Comment.objects.for_post(post).filter(Q(status=Status.APPROVED) | REMOVED).exclude(kind=Kind.NOTE)
        counts = shown.aggregate(
            total=Count("pk", filter=Q(status=Status.APPROVED)), roots=Count("pk", filter=paged_root())
        )
        cache.set(_counts_key(post), counts, STORED_SECONDS)
    pages = comment_page_count(counts["roots"])
    default = default_comment_page(pages)
    number = number or default
    if number > pages:
        raise Http404("The article's comments have no such page.")
    post._comment_thread = Thread(
        post=post,
        approved_count=counts["total"],
        number=number,
        page_count=pages,
        default_number=default,
        own=own_comment_ids(request),
    )
    asked = confirmation_emailed_for(request)
    post._comment_thread.confirming = asked if asked in post._comment_thread.own else None
    return post._comment_thread


CONFIRMING = "confirm-following"  # the query parameter of the page after posting
CONFIRMING_SALT = "comments.confirm-following"
CONFIRMING_SECONDS = 3600


def landing_url(comment) -> str:
    """Where the reader goes after posting: their comment, saying (signed) whether a confirmation email went out."""
    url = comment.get_absolute_url()
    if not getattr(comment, "confirmation_emailed", False):
        return url
    page, _, anchor = url.partition("#")
    return f"{page}?{urlencode({CONFIRMING: signing.dumps(comment.pk, salt=CONFIRMING_SALT)})}#{anchor}"


def confirmation_emailed_for(request) -> int | None:
    """The comment whose author was emailed a link to confirm, as the address after posting says, or None."""
    try:
        comment_id = signing.loads(request.GET.get(CONFIRMING, ""), salt=CONFIRMING_SALT, max_age=CONFIRMING_SECONDS)
    except signing.BadSignature:
        return None
    return comment_id if isinstance(comment_id, int) else None


# Writing the page's thread as HTML.


def render(thread: Thread, *, closed: bool) -> SafeString:
    """The <li> of every comment on the page, nested as the thread is."""
    writer = _Writer(
        reply_url=thread.url, max_depth=settings.COMMENTS_MAX_DEPTH, closed=closed, confirming=thread.confirming
    )
    return mark_safe("".join(writer.node(node) for node in thread.roots))  # noqa: S308 (escaped in _Writer)


@dataclass
class _Writer:
    reply_url: str
    max_depth: int
    closed: bool
    confirming: int | None = None

    def node(self, node: Node) -> str:
        comment = node.comment
        waiting = node.awaiting_moderation
        state = " comment-awaiting" if waiting else " comment-removed" if node.placeholder else ""
        pinned = " comment-pinned" if comment.is_pinned and not node.placeholder else ""
        parts = [f'<li id="comment-{comment.pk}" class="{comment.kind} depth-{comment.depth}{state}{pinned}">']
        if comment.wordpress_id and comment.wordpress_id != comment.pk:
            parts.append(f'<span id="comment-{comment.wordpress_id}" class="old-anchor"></span>')
        if node.placeholder:
            parts.append(f'<p class="comment-body comment-placeholder"><em>{_placeholder_text(comment)}</em></p>')
        elif comment.kind in (Kind.PINGBACK, Kind.TRACKBACK):
            parts.append(f'<p class="comment-body ping-body">{comment.get_kind_display()}: {self.author(comment)}</p>')
        else:
            parts.append(self.body(comment, waiting))
        if node.replies:
            parts.append('<ol class="children">')
            parts.extend(self.node(reply) for reply in node.replies)
            parts.append("</ol>")
        parts.append("</li>")
        return "".join(parts)

    def author(self, comment) -> str:
        name = escape(comment.author_name)
        if not comment.author_url:
            return name
        return f'<a href="{escape(comment.author_url)}" rel="external nofollow ugc noopener">{name}</a>'

    def body(self, comment, waiting: bool) -> str:
        pk, name = comment.pk, escape(comment.author_name)
        created = timezone.localtime(comment.created_at)
        parts = [
            f'<article class="comment-body" aria-labelledby="comment-{pk}-author">',
            '<footer class="comment-meta">',
            f'<span class="comment-avatar" aria-hidden="true">{escape(comment.author_name[:1].upper())}</span>',
            f'<b class="comment-author" id="comment-{pk}-author">{self.author(comment)}'
            f"{PINNED_LABEL if comment.is_pinned else ''}</b>",
            f'<a class="comment-permalink" href="#comment-{pk}">'
            f'<time datetime="{created.isoformat()}">{_written_on(created)}</time></a>',
            "</footer>",
        ]
        if waiting:
            parts.append('<p class="comment-awaiting-moderation"><em>Your comment is awaiting moderation.</em></p>')
        if pk == self.confirming:
            address = escape(partly_shown(comment.author_email))
            parts.append(
                '<p class="comment-follow-notice" role="status">Check your inbox to confirm your subscription: '
                f'we sent a link to <span class="comment-follow-address">{address}</span>.</p>'
            )
        parts.append(f'<div class="comment-content">{comment.body_html}</div>')
        if not waiting:
            reply = ""
            if not self.closed and comment.depth < self.max_depth:
                reply = (
                    f'<a class="comment-reply-link" rel="nofollow" '
                    f'href="{escape(self.reply_url)}?replytocom={pk}#respond" data-comment-id="{pk}" '
                    f'data-author="{name}" aria-label="Reply to {name}">Reply</a>'
                )
            report = (
                f'<a class="comment-report-link" rel="nofollow" href="{reverse("comments:report", args=[pk])}" '
                f'aria-label="Report the comment by {name}">Report</a>'
            )
            parts.append(f'<p class="reply">{reply}{report}</p>')
        parts.append("</article>")
        return "".join(parts)


def partly_shown(email: str) -> str:
    """An address as a page may show it to its owner: enough to spot a typo, not to read it off a screen."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}\N{HORIZONTAL ELLIPSIS}@{domain}"


PINNED_LABEL = ' <span class="comment-pinned-label">Pinned</span>'
REMOVED_BY_A_MODERATOR = "This comment was removed by a moderator."
DELETED_BY_ITS_AUTHOR = "This comment was deleted by its author."


def _placeholder_text(comment) -> str:
    return DELETED_BY_ITS_AUTHOR if comment.deleted_by_its_author else REMOVED_BY_A_MODERATOR


def _written_on(moment) -> str:
    """ "November 30, 2026 at 10:45 a.m.", as the date filter's "F j, Y \\a\\t g:i a" says it, without its cost."""
    hour = moment.hour % 12 or 12
    noon = "p.m." if moment.hour >= 12 else "a.m."
    return f"{MONTHS[moment.month]} {moment.day}, {moment.year} at {hour}:{moment.minute:02d} {noon}"
