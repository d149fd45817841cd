"""What the site says in HTTP about caching, asked of a real gunicorn with the production settings.

Anonymous pages are one copy for everyone (public, a short shared lifetime, an ETag and 304s,
no `Vary: Cookie`); a reader with a session or comment cookies gets their own; pages that must
never be kept say `no-store`.
"""

import httpx
import pytest

from comments.models import Comment, Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(gunicorn):
    return gunicorn(FRONT_CACHE_SECONDS="1", FRONT_CACHE_STALE_SECONDS="30")


def get(site, path, **cookies) -> httpx.Response:
    return httpx.get(site.url + path, cookies=cookies, timeout=60)


def is_shared(response) -> bool:
    cache_control = {part.strip() for part in response.headers.get("cache-control", "").split(",")}
    return {"public", "max-age=0", "s-maxage=1", "stale-while-revalidate=30"} <= cache_control and "Cookie" not in (
        response.headers.get("vary", "")
    )


def test_anonymous_pages_are_one_copy_for_every_cache(site, post, make_comment):
    """The home page, an article with comments and its feed are public, with a shared lifetime and an ETag."""
    make_comment(post)
    for path in ("/", post.get_absolute_url(), "/feed/"):
        response = get(site, path)
        assert response.status_code == 200, path
        assert is_shared(response), (path, response.headers)
        assert response.headers["etag"], path


def test_a_conditional_get_for_an_unchanged_page_is_a_304(site, post):
    """If-None-Match with the page's ETag gets 304 Not Modified, with no body; a changed page gets a 200 again."""
    url = site.url + post.get_absolute_url()
    first = httpx.get(url, timeout=60)
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]}, timeout=60)
    assert (again.status_code, again.content) == (304, b"")

    Comment.build(post=post, body="New.", author_name="N", author_email="n@x.org", status=Status.APPROVED).save()
    changed = httpx.get(url, headers={"If-None-Match": first.headers["etag"]}, timeout=60)
    assert changed.status_code == 200


def test_a_reader_with_only_the_csrf_cookie_still_shares_the_page(site, post):
    """Opening the form once leaves a CSRF cookie; the article is still the shared copy."""
    state = httpx.get(f"{site.url}/comments/form-state/{post.pk}/", timeout=60)
    response = get(site, post.get_absolute_url(), csrftoken=state.cookies["csrftoken"])
    assert is_shared(response)


@pytest.mark.parametrize("cookie", ["sessionid", "messages", "comments_own", "comment_author", "comment_author_email"])
def test_a_reader_whose_cookies_change_the_page_gets_their_own(site, post, cookie):
    """A session, messages, own held comments or remembered details: private, revalidated, Vary: Cookie."""
    response = get(site, post.get_absolute_url(), **{cookie: "x"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in response.headers["vary"]


def test_pages_that_must_not_be_kept_say_no_store(site, post, make_post):
    """Form state, the admin and a draft's preview are never kept by anyone."""
    draft = make_post(status="draft")
    answers = [
        get(site, f"/comments/form-state/{post.pk}/"),
        httpx.get(f"{site.url}/admin/login/", timeout=60),
    ]
    for response in answers:
        assert "no-store" in response.headers["cache-control"] and "private" in response.headers["cache-control"]
    assert get(site, draft.get_absolute_url()).status_code == 404  # a draft is nobody's page but staff's
