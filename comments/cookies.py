"""What a reader's browser remembers about their comments, in cookies set by the POST.

- `comments_own`: signed list of the reader's own held comments, so they (and nobody else)
  see them "awaiting moderation". Signed so that ids cannot be forged.
- `comment_author*`: name, email and website, only when the reader ticks "Save my name...".
  Percent-encoded (UTF-8), as WordPress does: a header must be Latin-1, and gunicorn refuses
  a response whose cookie carries a name such as "Иван".
- `comments_reporter`: a guest who reports a comment, a random id (signed), so that one browser
  reports a comment once (reports.py); set by the report page only.

The article page is the same for every reader without these cookies, so a page cache can
keep it; a reader who has them gets a page of their own.
"""

from urllib.parse import quote, unquote

from django.conf import settings

from groundwork.shared_pages import COMMENT_AUTHOR, OWN_COMMENTS

OWN_COMMENTS_SALT = "comments.own"
OWN_COMMENTS_KEPT = 20
DETAILS = COMMENT_AUTHOR
REPORTER = "comments_reporter"
READER_COOKIES = (OWN_COMMENTS, *DETAILS.values(), REPORTER)  # every cookie the comments set
YEAR = 365 * 24 * 3600
OWN_COMMENTS_SECONDS = 30 * 24 * 3600  # the privacy page states both lifetimes


def _cookie_options():
    return {"httponly": True, "samesite": "Lax", "secure": settings.SESSION_COOKIE_SECURE}


def own_comment_ids(request) -> list[int]:
    value = request.get_signed_cookie(OWN_COMMENTS, default="", salt=OWN_COMMENTS_SALT)
    return [int(part) for part in value.split(",") if part.isdigit()]


def remember_own_comment(request, response, comment):
    ids = [*own_comment_ids(request), comment.pk][-OWN_COMMENTS_KEPT:]
    response.set_signed_cookie(
        OWN_COMMENTS, ",".join(map(str, ids)), salt=OWN_COMMENTS_SALT, max_age=OWN_COMMENTS_SECONDS, **_cookie_options()
    )


def remembered_details(request) -> dict:
    return {field: unquote(request.COOKIES.get(name, "")) for field, name in DETAILS.items()}


def save_details(response, *, remember: bool, name="", email="", url=""):
    """Store the reader's details when they agreed, forget them when they did not."""
    values = {"name": name, "email": email, "url": url}
    for field, cookie in DETAILS.items():
        if remember and values[field]:
            response.set_cookie(cookie, quote(values[field], safe="@"), max_age=YEAR, **_cookie_options())
        else:
            response.delete_cookie(cookie, samesite="Lax")


def delete_reader_cookies(response) -> None:
    """Delete every cookie the comments set in the reader's browser: their held comments, their remembered details,
    their reporter's id."""
    for name in READER_COOKIES:
        response.delete_cookie(name, samesite="Lax")
