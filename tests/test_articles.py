"""The reading side: home, articles, archives, categories, tags, authors, search, feeds, sitemap, robots.txt."""

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.models import Post

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XSS_TITLE = "Hi </script><script>alert(1)</script> \"quoted\" 'single' <b>&amp;"
MARCH_5 = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


class Page(HTMLParser):
    """What a test needs to know about a page's HTML: scripts, inline styles, meta tags, headings, links."""

    def __init__(self, html):
        super().__init__()
        self.scripts, self.meta, self.links, self.h1s = [], {}, [], 0
        self.style_attributes = self.style_elements = 0
        self.html_lang = None
        self._in_script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "script":
            self._in_script = {"type": attrs.get("type"), "src": attrs.get("src"), "text": ""}
            self.scripts.append(self._in_script)
        elif tag == "style":
            self.style_elements += 1
        elif tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "h1":
            self.h1s += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["text"] += data

    def link(self, rel):
        return next((link["href"] for link in self.links if link.get("rel") == rel), None)

    def json_ld(self):
        (block,) = [s for s in self.scripts if s["type"] == "application/ld+json"]
        return json.loads(block["text"])


def page_of(response):
    return Page(response.content.decode())


def feed_items(response):
    root = ElementTree.fromstring(response.content)
    if root.tag == f"{ATOM}feed":
        return [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
    return [item.findtext("title") for item in root.iter("item")]


@pytest.fixture
def hidden_posts(make_post):
    """A draft and a post scheduled for tomorrow, both of which readers must never see."""
    return [
        make_post("Secret draft", status=Post.Status.DRAFT, body="<p>draftword</p>"),
        make_post("Scheduled post", days_ago=-1, body="<p>draftword</p>"),
    ]


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("editor", is_staff=True))
    return client


def archive_kwargs(post, *parts):
    day = post.local_published_at
    values = {"year": day.year, "month": day.month, "day": day.day}
    return {part: values[part] for part in parts}


# Home


def test_home_lists_published_posts(client, make_post, make_category):
    """The home page lists published posts with title link, date, author, categories, summary and "Continue reading"."""
    post = make_post("A walk in the hills", excerpt="Hills are good.", categories=[make_category("Outdoors")])
    response = client.get(reverse("blog:home"))
    assert response.status_code == 200
    assert f'href="{post.get_absolute_url()}"' in response.text
    for text in ("A walk in the hills", "Hills are good.", "Ada Lovelace", "Outdoors", "Continue reading"):
        assert text in response.text


def test_home_never_shows_drafts_or_scheduled_posts(client, make_post, hidden_posts):
    """Drafts and posts scheduled for later are left off the home page."""
    make_post("Out in the open")
    response = client.get(reverse("blog:home"))
    assert "Out in the open" in response.text
    assert "Secret draft" not in response.text
    assert "Scheduled post" not in response.text


def test_home_is_paged_wordpress_style(client, make_post, settings):
    """Older posts go to /page/2/, linked with rel next/prev, and the newest post stays on page one."""
    settings.POSTS_PER_PAGE = 2
    posts = [make_post(f"Story {n}", days_ago=n) for n in range(1, 6)]
    first = client.get(reverse("blog:home"))
    page2_url = reverse("blog:home", kwargs={"page": 2})
    assert page2_url == "/page/2/"
    assert re.search(rf'href="{page2_url}"\s+rel="next"', first.text)
    assert "Story 1" in first.text and "Story 3" not in first.text
    second = client.get(page2_url)
    assert second.status_code == 200
    assert "Story 3" in second.text and "Story 1" not in second.text
    assert re.search(rf'href="{reverse("blog:home")}"\s+rel="prev"', second.text)
    assert re.search(rf'href="{reverse("blog:home", kwargs={"page": 3})}"\s+rel="next"', second.text)
    assert len(posts) == 5


@pytest.mark.parametrize("path", ["/page/0/", "/page/4/", "/page/99/", "/page/02/", "/page/x/", "/?page=4", "/?page=x"])
def test_home_page_out_of_range_is_404(client, make_post, settings, path):
    """A page number past the last page, zero or not a number is a 404."""
    settings.POSTS_PER_PAGE = 2
    for n in range(5):
        make_post(days_ago=n + 1)
    assert client.get(path).status_code == 404


def test_page_one_redirects_to_the_plain_address(client, make_post):
    """/page/1/ is the home page itself, so it redirects there for good."""
    make_post()
    response = client.get(reverse("blog:home", kwargs={"page": 1}))
    assert response.status_code == 301
    assert response["Location"] == reverse("blog:home")


def test_home_with_no_posts_is_a_page_not_an_error(client, hidden_posts):
    """An empty blog still has a home page."""
    response = client.get(reverse("blog:home"))
    assert response.status_code == 200
    assert "Nothing has been published here yet." in response.text


# The article page


def test_article_shows_title_author_date_body_categories_and_tags(client, make_post, make_category, make_tag):
    """The article page shows everything about the post, with links to its categories and tags."""
    category, tag = make_category("Reading"), make_tag("slow web")
    post = make_post("On margins", body="<p>Wide margins rest the eye.</p>", categories=[category], tags=[tag])
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert response.context["post"] == post
    for text in ("On margins", "Ada Lovelace", "<p>Wide margins rest the eye.</p>", "Reading", "slow web"):
        assert text in response.text
    assert post.published_at.strftime("%B %-d, %Y") in response.text
    assert f'href="{category.get_absolute_url()}"' in response.text
    assert f'href="{tag.get_absolute_url()}"' in response.text
    assert f'href="{reverse("blog:author", kwargs={"username": "ada"})}"' in response.text


def test_article_url_has_zero_padded_month_and_day(make_post):
    """Permalinks look like WordPress's: /YYYY/MM/DD/slug/."""
    post = make_post(slug="early", published_at=MARCH_5)
    assert post.get_absolute_url() == "/2024/03/05/early/"


def test_article_links_to_previous_and_next_published_posts(client, make_post, hidden_posts):
    """Previous/next links skip drafts and scheduled posts."""
    older = make_post("Older one", days_ago=30)
    middle = make_post("Middle one", days_ago=20)
    newer = make_post("Newer one", days_ago=10)
    hidden_posts[0].published_at = timezone.now() - timedelta(days=25)
    hidden_posts[0].save()
    response = client.get(middle.get_absolute_url())
    assert re.search(rf'href="{older.get_absolute_url()}"\s+rel="prev"', response.text)
    assert f'href="{newer.get_absolute_url()}" rel="next"' in response.text
    newest = client.get(newer.get_absolute_url())
    assert 'rel="next"><span class="nav-label">Next post' not in newest.text
    assert "Scheduled post" not in newest.text and "Secret draft" not in newest.text


@pytest.mark.parametrize(
    "path",
    [
        "/2026/13/40/x/",
        "/2026/02/30/x/",
        "/2026/00/10/x/",
        "/2026/1/10/x/",
        "/9999/12/31/x/",
        "/9999/",
        "/2026/13/",
        "/2026/02/30/",
        "/category/",
        "/tag/",
        "/author/",
    ],
)
def test_bad_dates_and_malformed_addresses_are_404(client, make_post, path):
    """Impossible dates and malformed addresses are 404s, never server errors."""
    make_post()
    assert client.get(path).status_code == 404


def test_unknown_slug_is_404(client, make_post):
    """A slug no post has is a 404."""
    post = make_post()
    kwargs = {**archive_kwargs(post, "year", "month", "day"), "slug": "no-such-post"}
    assert client.get(reverse("blog:post", kwargs=kwargs)).status_code == 404


def test_right_slug_on_the_wrong_date_is_404(client, make_post):
    """A post is only found at its own date."""
    post = make_post(slug="dated", published_at=MARCH_5)
    url = reverse("blog:post", kwargs={"year": 2024, "month": 3, "day": 6, "slug": post.slug})
    assert client.get(url).status_code == 404


def test_anonymous_readers_get_404_for_drafts_and_scheduled_posts(client, hidden_posts):
    """A draft or scheduled post's address is a 404 for readers."""
    for post in hidden_posts:
        assert client.get(post.get_absolute_url()).status_code == 404


def test_staff_preview_drafts_and_scheduled_posts_uncached(staff_client, hidden_posts):
    """Staff can open a draft or scheduled post, see a preview notice, and the page is never cached."""
    for post in hidden_posts:
        response = staff_client.get(post.get_absolute_url())
        assert response.status_code == 200
        assert "Draft preview" in response.text
        assert "no-cache" in response["Cache-Control"]
        assert page_of(response).meta["robots"] == "noindex, nofollow"


def test_published_post_has_no_preview_notice_even_for_staff(staff_client, make_post):
    """Staff reading a public post see it as readers do."""
    response = staff_client.get(make_post().get_absolute_url())
    assert "Draft preview" not in response.text
    assert "no-store" not in response.get("Cache-Control", "")  # private (staff have a session), not a draft


def test_article_head_has_canonical_opengraph_twitter_and_json_ld(client, make_post, make_tag):
    """The article's head carries its canonical address, OpenGraph, Twitter card and BlogPosting JSON-LD."""
    post = make_post(
        "Notes on ink",
        excerpt="Why ink fades.",
        body='<p>Text.</p><figure><img src="/media/ink.jpg" alt="A blot"></figure>',
        tags=[make_tag("ink")],
    )
    page = page_of(client.get(post.get_absolute_url()))
    url = f"http://testserver{post.get_absolute_url()}"
    assert page.link("canonical") == url
    assert page.meta["og:type"] == "article"
    assert page.meta["og:title"] == "Notes on ink"
    assert page.meta["og:description"] == "Why ink fades."
    assert page.meta["og:url"] == url
    assert page.meta["og:site_name"] == "The Quiet Margin"
    assert page.meta["og:image"] == "http://testserver/media/ink.jpg"
    assert page.meta["article:published_time"] == post.published_at.isoformat()
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:title"] == "Notes on ink"
    data = page.json_ld()
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Notes on ink"
    assert data["url"] == url
    assert data["description"] == "Why ink fades."
    assert data["author"]["name"] == "Ada Lovelace"
    assert datetime.fromisoformat(data["datePublished"]) == post.published_at
    assert datetime.fromisoformat(data["dateModified"]) == post.modified_at
    assert data["image"] == "http://testserver/media/ink.jpg"


def test_article_without_image_has_no_og_image(client, make_post):
    """No og:image is made up for a post without pictures; the Twitter card is the small one."""
    page = page_of(client.get(make_post(body="<p>Words only.</p>").get_absolute_url()))
    assert "og:image" not in page.meta
    assert page.meta["twitter:card"] == "summary"
    assert "image" not in page.json_ld()


def test_hostile_title_cannot_break_out_of_json_ld_or_meta_tags(client, make_post):
    """A title full of markup stays text: one script element (the data block), exact values in meta and JSON-LD."""
    post = make_post(XSS_TITLE, excerpt=XSS_TITLE, body="<p>Body.</p>")
    response = client.get(post.get_absolute_url())
    page = page_of(response)
    assert [s["type"] for s in page.scripts if not s.get("src")] == ["application/ld+json"]
    assert all(s["src"].startswith("/static/") for s in page.scripts if s.get("src"))
    assert "<script>alert(1)" not in response.text
    assert page.json_ld()["headline"] == XSS_TITLE
    assert page.json_ld()["description"] == XSS_TITLE
    for name in ("og:title", "og:description", "twitter:title", "twitter:description", "description"):
        assert page.meta[name] == XSS_TITLE
    home = client.get(reverse("blog:home"))
    assert page_of(home).scripts == []
    assert "<script>alert(1)" not in home.text


def test_body_is_sanitized_on_save(client, make_post):
    """Scripts, event handlers and javascript: links are removed; headings, figures and alt text are kept."""
    post = make_post(
        body='<h2>Section</h2><script>alert("x")</script>'
        '<figure><img src="/media/a.png" alt="A cat" onerror="alert(2)"><figcaption>Cat</figcaption></figure>'
        '<p><a href="javascript:alert(3)">bad link</a> <a href="https://example.org/">good link</a></p>'
        '<p style="color:red" onclick="alert(4)">styled</p>'
    )
    response = client.get(post.get_absolute_url())
    assert "<h2>Section</h2>" in response.text
    assert 'alt="A cat"' in response.text
    assert "<figcaption>Cat</figcaption>" in response.text
    assert 'href="https://example.org/"' in response.text
    for bad in ("<script>alert", "onerror", "javascript:", "onclick", "color:red"):
        assert bad not in response.text
    assert [s["type"] for s in page_of(response).scripts if not s.get("src")] == ["application/ld+json"]


# Archives


def test_year_month_and_day_archives_list_that_periods_posts(client, make_post):
    """Year, month and day archives list the posts published then, and only those."""
    make_post("In March", published_at=MARCH_5)
    make_post("In April", published_at=MARCH_5 + timedelta(days=31))
    make_post("Next year", published_at=MARCH_5 + timedelta(days=365))
    year = client.get(reverse("blog:archive_year", kwargs={"year": 2024}))
    assert "In March" in year.text and "In April" in year.text and "Next year" not in year.text
    month = client.get(reverse("blog:archive_month", kwargs={"year": 2024, "month": 3}))
    assert month.request["PATH_INFO"] == "/2024/03/"
    assert "In March" in month.text and "In April" not in month.text
    day = client.get(reverse("blog:archive_day", kwargs={"year": 2024, "month": 3, "day": 5}))
    assert day.request["PATH_INFO"] == "/2024/03/05/"
    assert "In March" in day.text and "In April" not in day.text


def test_month_archive_links_neighbouring_months_with_posts(client, make_post):
    """A month's archive links the nearest earlier and later months that have published posts, skipping empty ones."""
    make_post(published_at=datetime(2024, 1, 10, tzinfo=UTC))
    make_post(published_at=MARCH_5)
    make_post(published_at=datetime(2024, 6, 1, tzinfo=UTC))
    make_post(status=Post.Status.DRAFT, published_at=datetime(2024, 4, 1, tzinfo=UTC))
    response = client.get(reverse("blog:archive_month", kwargs={"year": 2024, "month": 3}))
    assert 'href="/2024/01/"' in response.text
    assert 'href="/2024/06/"' in response.text
    assert 'href="/2024/04/"' not in response.text


def test_archives_never_show_drafts_or_scheduled_posts(client, make_post, hidden_posts):
    """A period holding only hidden posts is a 404, and hidden posts are never listed."""
    hidden_day = archive_kwargs(hidden_posts[0], "year", "month", "day")
    hidden_posts[1].published_at = timezone.now() + timedelta(days=400)
    hidden_posts[1].save()
    future = archive_kwargs(hidden_posts[1], "year")
    assert client.get(reverse("blog:archive_day", kwargs=hidden_day)).status_code == 404
    assert client.get(reverse("blog:archive_year", kwargs=future)).status_code == 404
    make_post("Visible", published_at=hidden_posts[0].published_at)
    response = client.get(reverse("blog:archive_day", kwargs=hidden_day))
    assert "Visible" in response.text and "Secret draft" not in response.text


def test_empty_archive_is_404(client, make_post):
    """A year without posts has no archive page."""
    make_post(published_at=MARCH_5)
    assert client.get(reverse("blog:archive_year", kwargs={"year": 2019})).status_code == 404
    assert client.get(reverse("blog:archive_month", kwargs={"year": 2024, "month": 4})).status_code == 404


def test_archives_are_paged(client, make_post, settings):
    """Archive pages page like the home page, at /YYYY/page/N/."""
    settings.POSTS_PER_PAGE = 2
    for n in range(3):
        make_post(f"Day {n}", published_at=MARCH_5 + timedelta(days=n))
    url = reverse("blog:archive_year", kwargs={"year": 2024, "page": 2})
    assert url == "/2024/page/2/"
    response = client.get(url)
    assert "Day 0" in response.text and "Day 2" not in response.text
    assert client.get(reverse("blog:archive_year", kwargs={"year": 2024, "page": 3})).status_code == 404
    month_page = reverse("blog:archive_month", kwargs={"year": 2024, "month": 3, "page": 2})
    assert client.get(month_page).status_code == 200


# Categories, tags and authors


def test_category_page_includes_sub_categories(client, make_post, make_category):
    """A category lists its own posts and those of its sub-categories, but not its parent's."""
    parent = make_category("Travel")
    child = make_category("Trains", parent=parent)
    make_post("Parent post", categories=[parent])
    make_post("Child post", categories=[child])
    assert child.get_absolute_url() == "/category/travel/trains/"
    top = client.get(parent.get_absolute_url())
    assert top.status_code == 200
    assert "Parent post" in top.text and "Child post" in top.text
    sub = client.get(child.get_absolute_url())
    assert "Child post" in sub.text and "Parent post" not in sub.text
    assert f'href="{parent.get_absolute_url()}"' in sub.text


@pytest.mark.parametrize(
    "path", ["trains", "nope", "travel/nope", "other/trains", "travel/trains/extra", "travel//trains"]
)
def test_wrong_category_path_is_404(client, make_category, path):
    """A category is only found at its full parent/child path."""
    make_category("Trains", parent=make_category("Travel"))
    make_category("Other")
    assert client.get(f"/category/{path}/").status_code == 404


def test_category_tag_and_author_pages_hide_drafts_and_scheduled_posts(
    client, make_post, make_category, make_tag, hidden_posts
):
    """Filing pages list published posts only."""
    category, tag = make_category("Mixed"), make_tag("mixed")
    for post in hidden_posts:
        post.categories.add(category)
        post.tags.add(tag)
    make_post("Public one", categories=[category], tags=[tag])
    for url in (
        category.get_absolute_url(),
        tag.get_absolute_url(),
        reverse("blog:author", kwargs={"username": "ada"}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "Public one" in response.text
        assert "Secret draft" not in response.text and "Scheduled post" not in response.text


def test_tag_page_lists_tagged_posts(client, make_post, make_tag):
    """A tag page lists the posts with that tag; an unknown tag is a 404."""
    tag = make_tag("pens")
    make_post("About pens", tags=[tag])
    make_post("About paper")
    response = client.get(tag.get_absolute_url())
    assert "About pens" in response.text and "About paper" not in response.text
    assert client.get(reverse("blog:tag", kwargs={"slug": "no-such-tag"})).status_code == 404


def test_author_page_lists_their_posts(client, make_post, make_user):
    """An author page lists that author's published posts only."""
    grace = make_user("grace", first_name="Grace", last_name="Hopper")
    make_post("By Ada")
    make_post("By Grace", author=grace)
    response = client.get(reverse("blog:author", kwargs={"username": "grace"}))
    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert "By Grace" in response.text and "By Ada" not in response.text


def test_author_page_is_404_without_published_posts(client, make_user, hidden_posts):
    """Unknown people, and people with only drafts or none at all, have no author page."""
    make_user("reader")
    for username in ("ada", "reader", "nobody"):
        assert client.get(reverse("blog:author", kwargs={"username": username})).status_code == 404


def test_listing_pages_are_paged_and_404_out_of_range(client, make_post, make_category, make_tag, settings):
    """Category, tag and author lists page at .../page/N/ and 404 past the end."""
    settings.POSTS_PER_PAGE = 2
    category, tag = make_category("Paged"), make_tag("paged")
    for n in range(3):
        make_post(categories=[category], tags=[tag], days_ago=n + 1)
    for name, kwargs in (("category", {"path": "paged"}), ("tag", {"slug": "paged"}), ("author", {"username": "ada"})):
        assert client.get(reverse(f"blog:{name}", kwargs={**kwargs, "page": 2})).status_code == 200
        assert client.get(reverse(f"blog:{name}", kwargs={**kwargs, "page": 3})).status_code == 404


# Search


def test_empty_search_shows_a_prompt(client, make_post):
    """The search page without words asks for some and lists nothing."""
    make_post("Findable")
    response = client.get(reverse("blog:search"))
    assert response.status_code == 200
    assert "Type one or more words" in response.text
    assert "Findable" not in response.text
    assert page_of(client.get(reverse("blog:search"), {"q": "   "})).h1s == 1


def test_search_finds_published_posts_only(client, make_post, hidden_posts):
    """Search matches words in title and body, never in drafts or scheduled posts."""
    make_post("Draftword in public", body="<p>Plain.</p>")
    make_post("Unrelated")
    response = client.get(reverse("blog:search"), {"q": "draftword"})
    assert response.status_code == 200
    assert "Draftword in public" in response.text
    assert "Unrelated" not in response.text
    assert "Secret draft" not in response.text and "Scheduled post" not in response.text
    assert 'value="draftword"' in response.text


def test_search_without_matches_says_so(client, make_post):
    """A search that finds nothing says so."""
    make_post("Something")
    response = client.get(reverse("blog:search"), {"q": "zebra"})
    assert "Nothing matched your search" in response.text


def test_search_results_are_paged(client, make_post, settings):
    """Search results page with ?page=N, keeping the words, and 404 past the end."""
    settings.POSTS_PER_PAGE = 2
    for n in range(3):
        make_post(f"Lamp {n}", days_ago=n + 1)
    first = client.get(reverse("blog:search"), {"q": "lamp"})
    assert re.search(r'href="/search/\?q=lamp&amp;page=2"\s+rel="next"', first.text)
    second = client.get(reverse("blog:search"), {"q": "lamp", "page": 2})
    assert "Lamp 2" in second.text and "Lamp 0" not in second.text
    assert client.get(reverse("blog:search"), {"q": "lamp", "page": 3}).status_code == 404
    assert client.get(reverse("blog:search"), {"q": "lamp", "page": "x"}).status_code == 404


def test_search_query_is_escaped(client, make_post):
    """The words searched for are shown as text."""
    response = client.get(reverse("blog:search"), {"q": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in response.text
    assert page_of(response).scripts == []


# Feeds, sitemap and robots.txt


@pytest.mark.parametrize("name", ["blog:feed", "blog:feed_atom"])
def test_feeds_list_published_posts_only(client, make_post, hidden_posts, name):
    """The RSS and Atom feeds are valid XML listing published posts with absolute links."""
    post = make_post("Fed post")
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert feed_items(response) == ["Fed post"]
    assert f"http://testserver{post.get_absolute_url()}" in response.text


def test_rss_feed_describes_the_blog(client, make_post):
    """The RSS feed carries the blog's title, home link and each post's summary, author and categories."""
    make_post("Described", excerpt="The short of it.")
    channel = ElementTree.fromstring(client.get(reverse("blog:feed")).content).find("channel")
    assert channel.findtext("title") == "The Quiet Margin"
    assert channel.findtext("link") == "http://testserver/"
    assert channel.find("item").findtext("description") == "The short of it."


def test_feeds_escape_hostile_titles(client, make_post):
    """A title full of markup arrives in the feed as the same text."""
    make_post(XSS_TITLE)
    assert feed_items(client.get(reverse("blog:feed"))) == [XSS_TITLE]
    assert feed_items(client.get(reverse("blog:feed_atom"))) == [XSS_TITLE]


def test_category_feed_lists_that_categorys_published_posts(client, make_post, make_category, hidden_posts):
    """A category's RSS feed holds its posts and its sub-categories', never hidden ones; a wrong path is 404."""
    parent = make_category("Science")
    child = make_category("Physics", parent=parent)
    make_post("Quarks", categories=[child])
    make_post("Elsewhere")
    for post in hidden_posts:
        post.categories.add(child)
    response = client.get(reverse("blog:category_feed", kwargs={"path": "science"}))
    assert response.status_code == 200
    assert feed_items(response) == ["Quarks"]
    assert client.get(reverse("blog:category_feed", kwargs={"path": "physics"})).status_code == 404
    assert '"/category/science/feed/"' in client.get(parent.get_absolute_url()).text


def test_pages_announce_their_feeds(client, make_post):
    """Every page links the site's RSS and Atom feeds of posts and of comments; an article, its own comment feeds."""
    post = make_post()
    response = client.get(post.get_absolute_url())
    feeds = {link["href"]: link.get("type") for link in page_of(response).links if link.get("rel") == "alternate"}
    article = f"http://testserver{post.get_absolute_url()}"
    assert feeds == {
        "http://testserver/feed/": "application/rss+xml",
        "http://testserver/feed/atom/": "application/atom+xml",
        "http://testserver/comments/feed/": "application/rss+xml",
        "http://testserver/comments/feed/atom/": "application/atom+xml",
        f"{article}feed/": "application/rss+xml",
        f"{article}feed/atom/": "application/atom+xml",
    }


def test_sitemap_lists_home_posts_categories_and_tags(client, make_post, make_category, make_tag, hidden_posts):
    """The sitemap holds absolute addresses of home, published posts, categories and tags in use."""
    category = make_category("Mapped")
    post = make_post(categories=[category], tags=[make_tag("used")])
    make_tag("unused")
    response = client.get(reverse("sitemap"))
    assert response.status_code == 200
    locations = {loc.text for loc in ElementTree.fromstring(response.content).iter(f"{SITEMAP}loc")}
    assert locations == {
        "http://testserver/",
        f"http://testserver{post.get_absolute_url()}",
        "http://testserver/category/mapped/",
        "http://testserver/tag/used/",
    }


def test_robots_txt_allows_all_but_admin_and_points_to_the_sitemap(client, settings):
    """robots.txt lets crawlers in, keeps them out of the admin and gives the sitemap's absolute address."""
    response = client.get(reverse("robots_txt"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines


# Every page


@pytest.fixture
def every_page(make_post, make_category, make_tag):
    """One address of every kind of reader-facing page."""
    category = make_category("Child", parent=make_category("Parent"))
    tag = make_tag("every")
    post = make_post("Everywhere", categories=[category], tags=[tag], published_at=MARCH_5)
    return [
        reverse("blog:home"),
        post.get_absolute_url(),
        reverse("blog:archive_year", kwargs={"year": 2024}),
        reverse("blog:archive_month", kwargs={"year": 2024, "month": 3}),
        reverse("blog:archive_day", kwargs={"year": 2024, "month": 3, "day": 5}),
        category.get_absolute_url(),
        tag.get_absolute_url(),
        reverse("blog:author", kwargs={"username": "ada"}),
        reverse("blog:search"),
        reverse("blog:search") + "?q=everywhere",
        "/no-such-page/",
    ]


def test_every_page_is_cacheable_html_without_inline_code(client, every_page):
    """Pages have a language, one h1, no inline script or style, no CSRF token, and the same bytes for every reader."""
    for url in every_page:
        first, second = client.get(url), client.get(url)
        assert first.status_code == (404 if url == "/no-such-page/" else 200), url
        assert first.content == second.content, url
        page = page_of(first)
        assert page.html_lang == "en", url
        assert page.h1s == 1, url
        assert page.style_attributes == 0 and page.style_elements == 0, url
        assert all(s["src"] or s["type"] == "application/ld+json" for s in page.scripts), url
        assert "csrfmiddlewaretoken" not in first.text, url
        assert "sessionid" not in first.cookies and "csrftoken" not in first.cookies, url
        assert re.search(r'<a class="skip-link" href="#main">', first.text), url
        assert '<main id="main"' in first.text, url


def test_not_found_page_offers_search(client):
    """The 404 page is the site's own, with a way back."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert f'action="{reverse("blog:search")}"' in response.text


def test_server_error_page_renders_without_context():
    """The 500 page needs nothing from the request or the database."""
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert Page(html).h1s == 1


# Queries


def count_queries(client, url):
    """The queries of a second request for `url` (what the first leaves in the cache, such as the nav, stays)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_page_query_count_does_not_grow_with_posts(client, make_post, make_category, make_tag):
    """The home page makes as many queries with 30 posts as with 3."""
    category = make_category("Sub", parent=make_category("Top"))
    tag = make_tag("t")
    for n in range(3):
        make_post(categories=[category], tags=[tag], days_ago=n + 1)
    few = count_queries(client, reverse("blog:home"))
    for n in range(27):
        make_post(categories=[category, make_category()], tags=[tag, make_tag()], days_ago=n + 10)
    assert count_queries(client, reverse("blog:home")) == few
    assert count_queries(client, reverse("blog:home", kwargs={"page": 2})) == few


def test_article_page_query_count_does_not_grow_with_categories_and_tags(client, make_post, make_category, make_tag):
    """The article page makes as many queries with ten categories and tags as with one."""
    top = make_category("Top")
    one = make_post(categories=[make_category(parent=top)], tags=[make_tag()], days_ago=5)
    make_post(days_ago=10)
    make_post(days_ago=1)
    few = count_queries(client, one.get_absolute_url())
    many = make_post(
        categories=[make_category(parent=top) for _ in range(10)], tags=[make_tag() for _ in range(10)], days_ago=3
    )
    assert count_queries(client, many.get_absolute_url()) == few
