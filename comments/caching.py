"""Which answers a shared cache (the front nginx, a CDN) may keep, and which pages a comment's change touches.

A page is the same for every reader unless the reader carries a cookie that makes it theirs
(PERSONAL_COOKIES): a session (logged in, a comment kept across a login, a message to show),
their own held comments, or their remembered details. Everyone else, readers who only carry
the CSRF cookie from once opening the form included, gets the shared page. So, for a GET or
HEAD answered 200 by a view that said nothing about caching:

- a reader without those cookies, sent no cookie: `Cache-Control: public, max-age=0,
  s-maxage=FRONT_CACHE_SECONDS, stale-while-revalidate=FRONT_CACHE_STALE_SECONDS`, and no
  `Vary: Cookie` (a cache would otherwise keep one copy per cookie string, that is per reader);
- anyone else: `Cache-Control: private, no-cache`, `Vary: Cookie`.

Pages that must never be kept (form state, previews, the admin, drafts) say `private, no-store`
themselves (never_cache). ETag and 304 come from Django's ConditionalGetMiddleware. The front
cache (deploy/nginx/blog.conf) passes the same cookies by, and is told what to forget when a
comment appears or disappears (`forget_comment`, through blog/frontcache.py).
"""

import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.utils.cache import patch_cache_control, patch_vary_headers

from blog.frontcache import purge

from . import akismet
from .cookies import READER_COOKIES
from .feeds import feed_paths
from .thread import stored_parts

PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name, *READER_COOKIES)


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


def forget_comment(comment) -> None:
    """A comment appeared on its article, or left it: the pages that show it must be drawn again."""
    its_page = comment.get_absolute_url().partition("#")[0]
    purge({comment.post.get_absolute_url(), its_page, *feed_paths(comment.post)})


FORMS_VERSION_KEY = "comments.forms-version"


def forms_version() -> int:
    """Changes when the comment form changes for everyone (its login icons): part of a stored section's key."""
    return cache.get_or_set(FORMS_VERSION_KEY, time.time_ns, None)


def forget_forms() -> None:
    cache.delete(FORMS_VERSION_KEY)


def section_key(thread_version: str, closed: bool) -> str:
    """Where a page's comment section (thread and form, as a reader without cookies sees it) is stored."""
    return f"comments.section.{thread_version}.{closed}.{akismet.is_configured()}.{forms_version()}"


def forget_stored_thread(post) -> None:
    """Delete what is stored of the post's thread now, every page of it, and once more when the transaction commits.

    A change to a comment moves the key the thread is stored under (Post.comments_changed_at), so
    the old copies are never shown again; this is for a change that must leave no copy behind at all
    (an erasure), not even one waiting, unreachable, to expire.
    """
    post.refresh_from_db(fields=["comments_changed_at"])
    counts_key, versions = stored_parts(post)
    keys = [counts_key, *(section_key(version, closed) for version in versions for closed in (False, True))]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
