"""When readers may not comment, and what they are told: one answer for the article, the form and the POST.

Three things close an article's comments, the first that applies saying why:
1. the whole site, by a moderator (`CommentingClosure.closed`, in the admin), with their message;
2. quiet hours (`quiet_from`-`quiet_until`, every day in the site's TIME_ZONE, possibly past midnight), with
   theirs;
3. the article itself: its author made it read only (`Post.comments_open`), or it is older than
   COMMENTS_CLOSE_AFTER_DAYS (rules.comments_closed): "Comments are closed."

Either way the comments already there stay shown; the form and the Reply links give way to the message, and
a comment sent anyway is refused with it (forms.py). The first two are shown above every thread too.

The closure's row is read from the cache (CLOSURE_SECONDS at most, forgotten when it is saved), so an article
whose parts are stored still costs no query for it. Saving it purges every article page from the front cache
(`purge_every_article`); a quiet hour begins and ends with nobody saving anything, so the task worker's
housekeeping (ops/worker.py, every 30 s at most) purges them when the state it last saw changes
(`purge_at_boundaries`): the stored comment sections need nothing, since the state is part of their stamp.
"""

from dataclasses import dataclass
from datetime import time

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from blog.frontcache import purge
from blog.models import Post

from . import rules
from .models import Comment, CommentingClosure, comment_page_count, comment_page_url, paged_root

CLOSURE_KEY = "comments.closure"
CLOSURE_SECONDS = 60  # bounds how long a web process without the shared cache (Redis) may miss a change
STATE_SEEN_KEY = "comments.closure.state-purged"
POST_CLOSED = "Comments are closed."


@dataclass(frozen=True)
class Closed:
    """Commenting is closed here: `message` is what the reader is told; `site_wide` ones show above the thread."""

    message: str
    site_wide: bool


def _closure() -> CommentingClosure:
    return cache.get_or_set(CLOSURE_KEY, CommentingClosure.current, CLOSURE_SECONDS)


def in_quiet_hours(closure: CommentingClosure, now: time) -> bool:
    start, end = closure.quiet_from, closure.quiet_until
    if start is None or end is None or start == end:
        return False
    return start <= now < end if start < end else now >= start or now < end


def site_closed() -> Closed | None:
    """Closed on the whole site now (by a moderator, or quiet hours), with the message; None when open."""
    closure = _closure()
    if closure.closed:
        return Closed(closure.message, site_wide=True)
    if in_quiet_hours(closure, timezone.localtime().time()):
        return Closed(closure.quiet_message, site_wide=True)
    return None


def closed(post) -> Closed | None:
    """Whether readers may not comment on `post` now, and why; None when they may."""
    return site_closed() or (Closed(POST_CLOSED, site_wide=False) if rules.comments_closed(post) else None)


def closure_saved() -> None:
    """A moderator saved the closure: every web process reads it again, and no cached article keeps the old form."""
    cache.delete(CLOSURE_KEY)
    purge_every_article()


def purge_every_article() -> None:
    """Ask the front cache to forget every page of every published post's thread (each address of each page).

    Two queries (the posts, the number of their threads); the purges go after the commit, one a path (the cache
    purge module has no wildcard: deploy/nginx/blog.conf).
    """
    posts = Post.objects.published()
    threads = Comment.objects.filter(paged_root(), post__in=posts).values("post").annotate(n=Count("pk"))
    roots = {row["post"]: row["n"] for row in threads.order_by()}
    paths = []
    for post in posts:
        pages = comment_page_count(roots.get(post.pk, 0)) + 1  # one more, as caching.stored_parts forgets
        paths += [post.get_absolute_url(), *(comment_page_url(post, n, default=0) for n in range(1, pages + 1))]
    purge(paths)


def purge_at_boundaries() -> bool:
    """Purge every article when the site's state (open, closed, quiet hours) differs from the one last purged for;
    the worker's housekeeping calls it. Returns whether it purged."""
    state = site_closed()
    seen = cache.get(STATE_SEEN_KEY, "unknown")
    if seen == state:
        return False
    cache.set(STATE_SEEN_KEY, state, None)
    if seen == "unknown":
        return False  # a worker starting (or the cache emptied) knows nothing to change
    purge_every_article()
    return True
