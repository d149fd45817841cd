"""Password-protected posts and pages, protected as WordPress protects them.

A post with a password (`Post.password`, set in the admin or imported from WordPress's
`wp:post_password`) is listed wherever a post is, its title after "Protected: ", but its text,
featured image and comments are shown only to a reader who gave the password; the others get a
form asking for it, in place of the text.

The right password (blog/views.py `enter_post_password`, rate-limited per address and network
as the comment form is) sets a cookie, UNLOCKED_POSTS, for ten days as WordPress's `wp-postpass_`:
signed, it holds a keyed fingerprint of each password the reader gave, never a password. A post
is open to a reader whose cookie holds its password's fingerprint, so changing the password locks
it again for everyone.

A page that shows a protected post is never shared: its view says `no-store`, and a reader carrying
the cookie gets every page from the site, never from the front cache (groundwork/shared_pages.py and
deploy/nginx/blog.conf list it among the personal cookies). The text reaches no one else by another
way: the summary of a protected post (lists, feeds, link previews, emails) is WordPress's "There is
no excerpt because this is a protected post.", search leaves protected posts out (as WordPress
does for visitors), and their comments are in no feed. The sitemap lists their addresses, as
WordPress's own sitemap does: an address and a date, no text.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from groundwork.shared_pages import UNLOCKED_POSTS

UNLOCKED_SALT = "blog.unlocked-posts"
UNLOCKED_SECONDS = 10 * 24 * 3600  # WordPress's wp-postpass_ cookie lasts ten days
UNLOCKED_KEPT = 20


def _fingerprint(password: str) -> str:
    return salted_hmac("blog.post-password", password, algorithm="sha256").hexdigest()[:32]


def _fingerprints(request) -> list[str]:
    value = request.get_signed_cookie(UNLOCKED_POSTS, default="", salt=UNLOCKED_SALT, max_age=UNLOCKED_SECONDS)
    return value.split(",") if value else []


def is_locked(request, post) -> bool:
    """Whether the post's text is hidden from this reader: it has a password they have not given."""
    return bool(post.password) and _fingerprint(post.password) not in _fingerprints(request)


def password_matches(post, given: str) -> bool:
    return bool(post.password) and constant_time_compare(given, post.password)


def remember_unlocked(request, response, post) -> None:
    """Keep in the reader's browser that they gave the post's password (the newest UNLOCKED_KEPT passwords)."""
    fingerprint = _fingerprint(post.password)
    kept = [*(old for old in _fingerprints(request) if old != fingerprint), fingerprint][-UNLOCKED_KEPT:]
    response.set_signed_cookie(
        UNLOCKED_POSTS,
        ",".join(kept),
        salt=UNLOCKED_SALT,
        max_age=UNLOCKED_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
