"""The documented front cache (deploy/nginx/blog.conf, Debian's nginx) in front of a real gunicorn.

Anonymous readers are served from the cache; readers whose cookies make a page theirs always
reach the site; a newly approved comment or an edited post is on the page for the very next
reader (the site purges what changed; the site here lets the cache keep pages for an hour, so
nothing else could change them); and no reader's page is ever served to another.
"""

import re
from pathlib import Path

import httpx
import pytest
from django.db import transaction

from blog.models import Post
from comments.models import Comment, Status
from comments.moderation import moderate
from groundwork.shared_pages import PERSONAL_COOKIES
from tests.servers import GuestBrowser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def front(front_cache):
    """nginx's front cache before one gunicorn (conftest); forms may be sent back at once."""
    return front_cache(COMMENTS_MIN_SECONDS="0")


def get(front, path, **cookies) -> httpx.Response:
    return httpx.get(front.url + path, cookies=cookies, timeout=60)


def test_anonymous_readers_are_served_from_the_cache(front, post):
    """The first anonymous request fills the cache, the next ones are hits, with the same bytes."""
    first = get(front, post.get_absolute_url())
    second = get(front, post.get_absolute_url())
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["x-cache"] in ("MISS", "EXPIRED")
    assert second.headers["x-cache"] == "HIT"
    assert second.content == first.content


def test_a_reader_with_only_the_csrf_cookie_is_served_from_the_cache(front, post):
    """Having opened the form once (a CSRF cookie) does not cost the reader the cached page."""
    get(front, post.get_absolute_url())
    response = get(front, post.get_absolute_url(), csrftoken="a" * 32)
    assert response.headers["x-cache"] == "HIT"


@pytest.mark.parametrize("cookie", ["sessionid", "comments_own", "comment_author", "comment_author_url"])
def test_readers_whose_cookies_make_the_page_theirs_pass_the_cache_by(front, post, cookie):
    """A session, own held comments or remembered details: the page comes from the site, and is not kept."""
    get(front, post.get_absolute_url())
    response = get(front, post.get_absolute_url(), **{cookie: "x"})
    assert response.headers["x-cache"] == "BYPASS"
    assert response.headers["cache-control"] == "private, no-cache"


def test_the_front_cache_passes_by_the_same_cookies_as_the_site():
    """deploy/nginx/blog.conf's map lists, by hand, exactly the cookies the site's PERSONAL_COOKIES names."""
    conf = (Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "blog.conf").read_text()
    block = re.search(r"^map \$http_cookie \$blog_reader_has_own_page \{\n(.*?)^\}", conf, flags=re.M | re.S)
    assert block, "deploy/nginx/blog.conf has no `map $http_cookie $blog_reader_has_own_page { ... }`"
    patterns = re.findall(r'^\s*"~\(\^\|;\\s\*\)\(([\w|]+)\)=" 1;$', block.group(1), flags=re.M)
    assert len(patterns) == 1, f"expected one cookie pattern in the map, found:\n{block.group(1)}"
    assert sorted(patterns[0].split("|")) == sorted(PERSONAL_COOKIES)


def test_no_readers_details_or_held_comment_reach_another_reader(front, post):
    """A guest's held comment and remembered name, shown to them, never come out of the cache for someone else."""
    with GuestBrowser(front.url) as guest:
        answer = guest.post_comment(post, name="Private Person", comment="Held for now.", remember="yes")
        assert answer.status_code == 302
        own = guest.http.get(post.get_absolute_url())
    assert "Held for now." in own.text and 'value="Private Person"' in own.text

    for _ in range(3):
        stranger = get(front, post.get_absolute_url())
        assert "Held for now." not in stranger.text
        assert "Private Person" not in stranger.text


def test_an_approved_comment_is_on_the_cached_page_at_once(front, post, moderator):
    """Approving a held comment purges the page: the next anonymous reader sees it."""
    held = Comment.build(post=post, body="Worth the wait.", author_name="Patient", author_email="p@x.org")
    held.save()
    for _ in range(3):
        assert "Worth the wait." not in get(front, post.get_absolute_url()).text  # cached without it
    assert get(front, post.get_absolute_url()).headers["x-cache"] == "HIT"

    moderate(held, "approve", moderator=moderator)

    assert "Worth the wait." in get(front, post.get_absolute_url()).text
    held.refresh_from_db()
    assert held.status == Status.APPROVED


def test_an_edited_post_is_on_the_cached_page_at_once(front, post):
    """Saving a post (in the admin, say) purges its page and the home page."""
    for path in (post.get_absolute_url(), "/"):
        get(front, path)
        assert get(front, path).headers["x-cache"] == "HIT"

    post.title = "Reading slowly, on purpose, again"
    post.save()

    for path in (post.get_absolute_url(), "/"):
        assert "Reading slowly, on purpose, again" in get(front, path).text, path


def test_only_the_app_servers_may_purge(front, post):
    """/purge/ answers the site's own address only: a reader elsewhere cannot empty the cache."""
    get(front, post.get_absolute_url())
    with GuestBrowser(front.url, source_address="127.0.0.9") as stranger:
        assert stranger.http.get(f"/purge{post.get_absolute_url()}").status_code == 403
    assert get(front, post.get_absolute_url()).headers["x-cache"] == "HIT"


@pytest.fixture
def shared_front(front_cache, redis_server, settings):
    """The front cache before a gunicorn sharing this process's cache (Redis), as the site's processes share it."""
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server.url}}
    return front_cache(COMMENTS_MIN_SECONDS="0", REDIS_URL=redis_server.url)


def menu_at(front, path) -> str:
    html = get(front, path).text
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


def test_a_page_saved_changes_the_menu_on_every_cached_page_at_once(shared_front, post, make_post):
    """A page published, renamed, moved up the menu, then made private: each time the next reader of a cached
    article, page, home page or archive index gets the menu as it now is."""
    about = make_post("About", kind=Post.Kind.PAGE, slug="about", menu_order=1)
    colophon = make_post("Colophon", kind=Post.Kind.PAGE, slug="colophon", menu_order=2, status=Post.Status.DRAFT)
    paths = [post.get_absolute_url(), about.get_absolute_url(), "/", "/archives/"]

    def cache_every_path():
        for path in paths:
            get(shared_front, path)
            assert get(shared_front, path).headers["x-cache"] == "HIT", path

    cache_every_path()
    colophon.status = Post.Status.PUBLISHED
    colophon.save()
    for path in paths:
        menu = menu_at(shared_front, path)
        assert menu.index("<bdi>About</bdi>") < menu.index("<bdi>Colophon</bdi>"), path

    cache_every_path()
    colophon.title, colophon.menu_order = "Imprint", 0
    colophon.save()
    for path in paths:
        menu = menu_at(shared_front, path)
        assert "Colophon" not in menu, path
        assert menu.index("<bdi>Imprint</bdi>") < menu.index("<bdi>About</bdi>"), path

    cache_every_path()
    colophon.status = Post.Status.PRIVATE
    colophon.save()
    for path in paths:
        assert "Imprint" not in menu_at(shared_front, path), path


def test_a_child_page_published_is_listed_on_its_cached_parent_at_once(shared_front, make_post):
    """A child page published shows in its parent's list of children at the parent's next request."""
    about = make_post("About", kind=Post.Kind.PAGE, slug="about")
    team = make_post("Team", kind=Post.Kind.PAGE, slug="team", parent=about, status=Post.Status.DRAFT)
    get(shared_front, "/about/")
    assert get(shared_front, "/about/").headers["x-cache"] == "HIT"
    team.status = Post.Status.PUBLISHED
    team.save()
    assert 'href="/about/team/"' in get(shared_front, "/about/").text


def test_a_pages_text_edited_leaves_the_other_cached_pages_alone(shared_front, post, make_post):
    """Only what the menus show of a page purges every page: its text edited purges its own page, not the articles."""
    about = make_post("About", kind=Post.Kind.PAGE, slug="about")
    for path in (post.get_absolute_url(), "/about/"):
        get(shared_front, path)
    about.body = "<p>Rewritten.</p>"
    about.save()
    assert "Rewritten." in get(shared_front, "/about/").text
    assert get(shared_front, post.get_absolute_url()).headers["x-cache"] == "HIT"


def test_pages_published_together_purge_each_article_once(shared_front, post, make_post):
    """Three pages published in one transaction (an import, say) purge each article once, after the commit, and
    every cached article then shows all three in its menu."""
    get(shared_front, post.get_absolute_url())
    purges_before = shared_front.access_log().count("GET /purge")
    with transaction.atomic():
        for title in ("About", "Contact", "Colophon"):
            make_post(title, kind=Post.Kind.PAGE, slug=title.lower())
    purged = [line for line in shared_front.access_log().splitlines() if "GET /purge" in line][purges_before:]
    assert sum(f"GET /purge{post.get_absolute_url()} " in line for line in purged) == 1
    menu = menu_at(shared_front, post.get_absolute_url())
    assert all(f"<bdi>{title}</bdi>" in menu for title in ("About", "Contact", "Colophon"))
