"""Which answers a shared cache (the front nginx, a CDN) may keep.

A page is the same for every reader unless the reader carries a cookie that makes it theirs
(PERSONAL_COOKIES): a session (logged in, a comment kept across a login, a message to show),
their own held comments, their remembered details, or the passwords of protected posts they
gave (blog/protection.py; a protected post's own page is never shared: its view says so).
Each of those cookies is named here, once: the apps that set them take their names from here,
and deploy/nginx/blog.conf's map lists the same (tests/test_front_cache.py compares the two).
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
comment appears, disappears or changes (comments/caching.py `purge_comment`).
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.cache import patch_cache_control, patch_vary_headers

OWN_COMMENTS = "comments_own"  # comments/cookies.py: the reader's own held comments
COMMENT_AUTHOR = {"name": "comment_author", "email": "comment_author_email", "url": "comment_author_url"}
UNLOCKED_POSTS = "unlocked_posts"  # blog/protection.py: the passwords of protected posts the reader gave
PERSONAL_COOKIES = (
    settings.SESSION_COOKIE_NAME,
    CookieStorage.cookie_name,
    OWN_COMMENTS,
    *COMMENT_AUTHOR.values(),
    UNLOCKED_POSTS,
)


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
