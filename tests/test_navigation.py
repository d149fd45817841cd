"""Finding pages and old posts: the header's menu of pages, a page's child pages, and the archive index (/archives/).

The menu lists published top-level pages as WordPress's page menus do (menu_order, then title; a protected page by
its title; drafts, scheduled and private pages never), the page shown marked aria-current; a parent page lists its
published children; the archive index counts published posts by month (in the site's time zone), category and tag.
What each costs in queries does not grow with the pages or posts, and the first request after a page is saved shows
the new menu (tests/test_front_cache.py proves it through the real front cache).
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blog.models import Post

pytestmark = pytest.mark.django_db

ARCHIVES = reverse("blog:archives")


def page_of(make_post, title, **fields):
    fields.setdefault("slug", title.lower().replace(" ", "-"))
    return make_post(title, kind=Post.Kind.PAGE, **fields)


def menu_of(html: str) -> str:
    """The header's menu, as HTML."""
    start = html.index('<nav class="site-nav" aria-label="Main">')
    return html[start : html.index("</nav>", start)]


def children_of(html: str) -> str:
    """The list of child pages, as HTML ("" when the page has none)."""
    start = html.find('<nav class="child-pages"')
    return "" if start == -1 else html[start : html.index("</nav>", start)]


def positions(text: str, *titles: str) -> list[int]:
    return [text.index(f"<bdi>{title}</bdi>") for title in titles]


# The menu


def test_the_menu_lists_top_level_pages_by_menu_order_then_title(client, make_post):
    """Pages come after Home, lowest menu_order first and by title among equals; a child page stays out of the bar."""
    about = page_of(make_post, "About", menu_order=5)
    page_of(make_post, "Contact", menu_order=1)
    page_of(make_post, "Books", menu_order=5)
    page_of(make_post, "Team", parent=about)
    menu = menu_of(client.get("/").text)
    assert menu.index(">Home<") < min(positions(menu, "Contact", "About", "Books"))
    assert positions(menu, "Contact", "About", "Books") == sorted(positions(menu, "Contact", "About", "Books"))
    assert "Team" not in menu
    assert f'<a href="{ARCHIVES}">Archives</a>' in menu


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Post.Status.DRAFT},
        {"status": Post.Status.PENDING},
        {"status": Post.Status.PRIVATE},
        {"days_ago": -1},  # scheduled for tomorrow
    ],
    ids=["draft", "pending", "private", "scheduled"],
)
def test_pages_a_reader_may_not_see_stay_out_of_the_menu_and_the_lists_of_children(client, make_post, fields):
    """A draft, pending, private or scheduled page is in no menu, neither the header's nor its parent's list."""
    about = page_of(make_post, "About")
    page_of(make_post, "Hidden top", **fields)
    page_of(make_post, "Hidden child", parent=about, **fields)
    html = client.get(about.get_absolute_url()).text
    assert "Hidden" not in html


def test_a_protected_page_is_listed_by_its_title_as_wordpress_lists_it(client, make_post):
    """A page with a password is in the menu and its parent's list under its own title, its text still locked."""
    about = page_of(make_post, "About")
    page_of(make_post, "Members", password="crumbs", body="<p>The word is pumpernickel.</p>")
    page_of(make_post, "Inner circle", parent=about, password="crumbs")
    html = client.get(about.get_absolute_url()).text
    assert "<bdi>Members</bdi>" in menu_of(html)
    assert "<bdi>Inner circle</bdi>" in children_of(html)
    assert "Protected:" not in menu_of(html) + children_of(html)
    assert "pumpernickel" not in client.get("/members/").text


def test_the_page_shown_is_marked_current_in_the_menu(client, make_post, make_category):
    """The menu is a labelled nav; the link to the page shown, and only it, says aria-current="page"."""
    page_of(make_post, "About")
    page_of(make_post, "Contact")
    make_category("Baking")
    for address in ("/", "/about/", "/contact/", "/category/baking/", ARCHIVES):
        menu = menu_of(client.get(address).text)
        assert menu.count('aria-current="page"') == 1, address
        assert f'<a href="{address}" aria-current="page">' in menu, address


def test_a_page_with_a_unicode_address_is_marked_current_too(client, make_post):
    """The menu writes the address percent-encoded as WordPress does; the page reached there is still the current."""
    page = page_of(make_post, "Хлеб", slug="хлеб")
    menu = menu_of(client.get(page.get_absolute_url()).text)
    assert f'<a href="{page.get_absolute_url()}" aria-current="page"><bdi>Хлеб</bdi></a>' in menu


# A page's children


def test_a_parent_page_lists_its_published_children_in_menu_order(client, make_post):
    """/about/ lists its child pages (menu_order, then title), linking to /about/<slug>/; a page without any lists
    nothing."""
    about = page_of(make_post, "About")
    page_of(make_post, "Zoe", parent=about, menu_order=1)
    page_of(make_post, "Alan", parent=about, menu_order=2)
    page_of(make_post, "Mia", parent=about, menu_order=1)
    children = children_of(client.get("/about/").text)
    assert positions(children, "Mia", "Zoe", "Alan") == sorted(positions(children, "Mia", "Zoe", "Alan"))
    assert 'href="/about/mia/"' in children
    assert 'aria-labelledby="child-pages-title"' in children
    assert children_of(client.get("/about/mia/").text) == ""


def test_a_child_page_leaving_or_joining_is_on_its_parents_next_page(client, make_post):
    """The list of children is drawn with the page: a child unpublished or published shows at the next request."""
    about = page_of(make_post, "About")
    team = page_of(make_post, "Team", parent=about)
    assert "Team" in children_of(client.get("/about/").text)
    team.status = Post.Status.DRAFT
    team.save()
    assert children_of(client.get("/about/").text) == ""


# The archive index


def test_the_archive_index_counts_published_posts_by_month_in_the_sites_time_zone(client, make_post, settings):
    """23:30 UTC on January 31 is February in Auckland; drafts, scheduled posts and pages are not counted."""
    settings.TIME_ZONE = "Pacific/Auckland"
    make_post(published_at=datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    make_post(published_at=datetime(2025, 2, 10, 12, 0, tzinfo=UTC))
    make_post(published_at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    make_post(published_at=datetime(2025, 1, 11, 12, 0, tzinfo=UTC), status=Post.Status.DRAFT)
    make_post(published_at=datetime(2025, 1, 12, 12, 0, tzinfo=UTC), password="crumbs")  # counted, as WordPress does
    page_of(make_post, "About", published_at=datetime(2025, 1, 13, 12, 0, tzinfo=UTC))
    make_post(days_ago=-30)
    html = client.get(ARCHIVES).text
    assert '<a href="/2025/02/">February 2025</a> <span class="archive-count">(2)</span>' in html
    assert '<a href="/2025/01/">January 2025</a> <span class="archive-count">(2)</span>' in html
    assert html.index("February 2025") < html.index("January 2025")
    assert html.count('class="archive-count"') == 2  # no month for the scheduled post


def test_the_archive_index_counts_categories_and_tags_by_published_posts(client, make_post, make_category, make_tag):
    """Each category and tag shows how many published posts it holds; one holding only drafts is left out."""
    baking, empty = make_category("Baking"), make_category("Empty")
    bread, draft_only = make_tag("bread"), make_tag("draft only")
    make_post(categories=[baking], tags=[bread])
    make_post(categories=[baking], tags=[bread])
    make_post(categories=[baking, empty], tags=[bread, draft_only], status=Post.Status.DRAFT)
    make_post(categories=[empty], tags=[draft_only], days_ago=-2)
    html = client.get(ARCHIVES).text
    assert '<a href="/category/baking/"><bdi>Baking</bdi></a> <span class="archive-count">(2)</span>' in html
    assert '<a href="/tag/bread/"><bdi>bread</bdi></a> <span class="archive-count">(2)</span>' in html
    assert "Empty" not in html.split("</header>", 2)[2]  # the header's menu lists every top-level category
    assert "draft only" not in html


def test_the_archive_index_is_linked_from_the_menu_and_the_footer(client):
    """Every page links to /archives/ twice: in the header's menu and in the footer; with nothing yet, it says so."""
    html = client.get("/").text
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'<a href="{ARCHIVES}">Archives</a>' in menu_of(html)
    assert f'<a href="{ARCHIVES}">Archives</a>' in footer
    assert "Nothing published yet." in client.get(ARCHIVES).text


# Queries


def count_queries(client, url):
    """The queries of a second request for `url` (what the first leaves in the cache stays)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_menu_costs_as_many_queries_with_30_pages_as_with_1(client, make_post):
    """An article, a page and the home page make as many queries under a menu of 30 pages (with children) as of 1."""
    article = make_post("An article")
    about = page_of(make_post, "About")
    page_of(make_post, "Child 0", parent=about)
    addresses = [article.get_absolute_url(), about.get_absolute_url(), "/"]
    few = [count_queries(client, address) for address in addresses]
    for n in range(1, 30):
        page_of(make_post, f"Page {n}", menu_order=n)
        page_of(make_post, f"Child {n}", parent=about)
    assert [count_queries(client, address) for address in addresses] == few
    assert "Page 29" in menu_of(client.get("/").text)
    assert "Child 29" in children_of(client.get("/about/").text)


def test_the_archive_index_costs_as_many_queries_with_30_months_as_with_1(client, make_post, make_category, make_tag):
    """Months, categories and tags are three queries however many there are (30 of each here against 1)."""
    make_post(categories=[make_category(parent=make_category())], tags=[make_tag()])
    few = count_queries(client, ARCHIVES)
    for n in range(1, 30):
        make_post(categories=[make_category(parent=make_category())], tags=[make_tag()], days_ago=31 * n)
    assert count_queries(client, ARCHIVES) == few
    # a line for each month, category and tag with posts (the parent categories hold none of their own)
    assert client.get(ARCHIVES).text.count('class="archive-count"') == 30 * 3


# Changes


def test_the_first_request_after_a_page_changes_shows_the_new_menu(client, make_post):
    """Published, renamed, reordered, unpublished, deleted: each shows in the menu at the very next request, though
    the menu is kept in the cache."""
    article = make_post("An article")
    first = page_of(make_post, "First", menu_order=1)
    second = page_of(make_post, "Second", menu_order=2, status=Post.Status.DRAFT)

    def menu():
        return menu_of(client.get(article.get_absolute_url()).text)

    assert "Second" not in menu()
    second.status = Post.Status.PUBLISHED
    second.save()
    assert positions(menu(), "First", "Second") == sorted(positions(menu(), "First", "Second"))
    second.title = "Renamed"
    second.save()
    assert "Second" not in menu() and "<bdi>Renamed</bdi>" in menu()
    second.menu_order = 0
    second.save()
    assert positions(menu(), "Renamed", "First") == sorted(positions(menu(), "Renamed", "First"))
    second.status = Post.Status.PRIVATE
    second.save()
    assert "Renamed" not in menu()
    first.delete()
    assert "First" not in menu()


# Hostile titles


HOSTILE = ["<script>alert(1)</script>", "\u202eevil.exe", "Long" * 50]


def test_hostile_titles_are_shown_as_text(client, make_post, make_category, make_tag):
    """A page title or a category or tag name holding markup comes out escaped in the menu, the children and the
    archive index; a right-to-left override stays inside its own <bdi>."""
    about = page_of(make_post, "About")
    for n, title in enumerate(HOSTILE):
        page_of(make_post, title, slug=f"top-{n}")
        page_of(make_post, title, slug=f"child-{n}", parent=about)
    make_post(categories=[make_category(HOSTILE[0], slug="hostile")], tags=[make_tag(HOSTILE[0], slug="hostile")])
    for address in ("/about/", ARCHIVES):
        html = client.get(address).text
        assert "<script>alert(1)</script>" not in html, address
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, address
    html = client.get("/about/").text
    for title in HOSTILE[1:]:
        assert f"<bdi>{title}</bdi>" in menu_of(html)
        assert f"<bdi>{title}</bdi>" in children_of(html)
