"""Which answers a shared cache (the front nginx, a CDN) may keep, and which pages a comment's change touches.

A page is the same for every reader unless the reader carries a cookie that makes it theirs
(PERSONAL_COOKIES): a session (logged in, a comment kept across a login, a message to show),
their own held comments, their remembered details, or the passwords of protected posts they
gave (blog/protection.py; a protected post's own page is never shared: its view says so).
Everyone else, readers who only carry the CSRF cookie from once opening the form included,
gets the shared page. So, for a GET or HEAD answered 200 by a view that said nothing about
caching:

- a reader without those cookies, sent no cookie: `Cache-Control: public, max-age=0,
  s-maxage=FRONT_CACHE_SECONDS, stale-while-revalidate=FRONT_CACHE_STALE_SECONDS`, and no
  `Vary: Cookie` (a cache would otherwise keep one copy per cookie string, that is per reader);
- anyone else: `Cache-Control: private, no-cache`, `Vary: Cookie`.

Pages that must never be kept (form state, previews, the admin, drafts) say `private, no-store`
themselves (never_cache). ETag and 304 come from Django's ConditionalGetMiddleware. The front
cache (deploy/nginx/blog.conf) passes the same cookies by, and is told what to forget when a
comment appears, disappears or changes (`purge_comment`, through blog/frontcache.py), as the
stored comment sections are.
"""

import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.utils.cache import patch_cache_control, patch_vary_headers

from blog.frontcache import purge
from blog.protection import UNLOCKED_POSTS

from . import akismet
from .cookies import READER_COOKIES
from .feeds import feed_paths
from .models import comment_page_url
from .thread import stored_parts

PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name, *READER_COOKIES, UNLOCKED_POSTS)


def is_personal(request) -> bool:
    """Whether the reader carries a cookie that makes the page theirs (the CSRF cookie alone does not)."""
    return any(name in request.COOKIES for name in PERSONAL_COOKIES)


class SharedPagesMiddleware:
    """Says in HTTP which answers every reader may share (placed above the session middleware, to see its Vary)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or "Cache-Control" in response:
            return response
        if response.cookies or is_personal(request):
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
            return response
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=settings.FRONT_CACHE_SECONDS,
            stale_while_revalidate=settings.FRONT_CACHE_STALE_SECONDS,
        )
        vary = [header.strip() for header in response.get("Vary", "").split(",") if header.strip()]
        if "Cookie" in vary:
            vary.remove("Cookie")  # the page did not depend on them: the session was only looked at
            if vary:
                response["Vary"] = ", ".join(vary)
            else:
                del response["Vary"]
        return response


def purge_comment(comment) -> None:
    """A comment appeared on its article, left it, or changed there: no copy of the pages showing it may stay.

    Every page of the thread goes, not only the comment's own: each says how many comments there
    are, and a comment coming or going moves others from page to page. The post's stored sections
    are deleted from the cache, every one (`invalidate_stored_thread`), and each front cache is asked to
    forget every address of every page (its own and comment-page-N/, the default page at both) and
    the comment feeds, once the transaction commits: nothing of the old pages is served again, not
    even stale while the site does not answer.
    """
    post = comment.post
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
