"""Which pages a comment's change touches: the front cache's copies and the stored comment sections.

The front cache (deploy/nginx/blog.conf) keeps the pages every reader shares (groundwork/shared_pages.py
says which), and is told what to forget when a comment appears, disappears or changes (`purge_comment`,
through blog/frontcache.py), as the stored comment sections are.
"""

import contextlib
import contextvars
import time

from django.core.cache import cache
from django.db import transaction

from blog.frontcache import purge

from . import akismet
from .feeds import feed_paths
from .models import comment_page_url
from .thread import stored_parts

# The posts whose purge waits for the end of `one_purge_per_page`, by id (None: purged as they change).
_waiting_posts: contextvars.ContextVar[dict | None] = contextvars.ContextVar("waiting_posts", default=None)


@contextlib.contextmanager
def one_purge_per_page():
    """Within it, `purge_comment` notes each comment's post, and each post is purged once on leaving: many comments
    of one article changed together (everything a banned author wrote) purge its pages once, not once a comment."""
    if _waiting_posts.get() is not None:  # already inside one: the outer one purges
        yield
        return
    waiting = {}
    token = _waiting_posts.set(waiting)
    try:
        yield
    finally:
        _waiting_posts.reset(token)
    for post in waiting.values():
        _purge_post_comments(post)


def purge_comment(comment) -> None:
    """A comment appeared on its article, left it, or changed there: no copy of the pages showing it may stay.

    Every page of the thread goes, not only the comment's own: each says how many comments there
    are, and a comment coming or going moves others from page to page. The post's stored sections
    are deleted from the cache, every one (`invalidate_stored_thread`), and each front cache is asked to
    forget every address of every page (its own and comment-page-N/, the default page at both) and
    the comment feeds, once the transaction commits: nothing of the old pages is served again, not
    even stale while the site does not answer.
    """
    waiting = _waiting_posts.get()
    if waiting is not None:
        waiting.setdefault(comment.post_id, comment.post)
    else:
        _purge_post_comments(comment.post)


def _purge_post_comments(post) -> None:
    pages = invalidate_stored_thread(post)
    # comment_page_url names the article itself for the default page: no page is the default here.
    every_address = [post.get_absolute_url(), *(comment_page_url(post, number, default=0) for number in pages)]
    purge([*every_address, *feed_paths(post)])


FORMS_VERSION_KEY = "comments.forms-version"
SECTION_SECONDS = 300  # bounds how long a change of login providers takes to show (as accounts/logins.py)


def forms_version() -> int:
    """Changes when the comment form changes for everyone (its login icons): part of a stored section's stamp."""
    return cache.get_or_set(FORMS_VERSION_KEY, time.time_ns, None)


def invalidate_forms() -> None:
    cache.delete(FORMS_VERSION_KEY)


# A page's comment section (thread and form, as a reader without cookies sees it) is stored once per page of the
# post, whatever the thread's version: with the version (and all else it depends on) beside it, used only while
# that is the same, and written over by the next. So forgetting a thread means deleting a known few keys, and no
# older copy is left behind under a key of its own.


def section_key(post_id: int, number: int) -> str:
    return f"comments.section.{post_id}.{number}"


def _stamp(thread, closed: bool) -> str:
    return f"{thread.version}.{closed}.{akismet.is_configured()}.{forms_version()}"


def stored_section(thread, *, closed: bool) -> str | None:
    """The page's stored section, if it was stored as the page now is."""
    stored = cache.get(section_key(thread.post.pk, thread.number))
    if isinstance(stored, tuple) and stored[0] == _stamp(thread, closed):
        return stored[1]
    return None


def store_section(thread, html: str, *, closed: bool) -> None:
    cache.set(section_key(thread.post.pk, thread.number), (_stamp(thread, closed), html), SECTION_SECONDS)


def invalidate_stored_thread(post) -> range:
    """Delete what is stored of the post's thread, every page of it, now and once more when the transaction commits
    (a page drawn meanwhile from what was there before); returns the numbers of its pages.
    """
    post.refresh_from_db(fields=["comments_changed_at"])
    counts_key, pages = stored_parts(post)
    keys = [counts_key, *(section_key(post.pk, number) for number in pages)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
    return pages
