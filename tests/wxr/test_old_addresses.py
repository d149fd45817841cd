"""The addresses WordPress sites are linked by, after an import: each lands where WordPress would take it.

The fixture site (tests/wxr/conftest.py) has posts and pages in every status, two attachments,
an old slug, held and trashed comments. Whatever names something a reader may not see answers
404, as WordPress does, so that counting ids gives nobody an unpublished title or address.
"""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from blog.models import Category, Post, Tag
from comments.models import Comment
from wordpress.models import Imported

from .conftest import import_wordpress
from .test_import import LOAF

pytestmark = pytest.mark.django_db

RYE = "/2025/09/12/rye-spelt-and-patience/"
RYE_OLD_SLUG = "/2025/09/12/rye-and-spelt/"


def wordpress_id(kind, obj) -> int:
    return Imported.objects.get(kind=kind, object_id=obj.pk).wordpress_id


def redirect_of(client, url, **query):
    response = client.get(url, query)
    return response.status_code, response.get("Location")


# ?p= and ?page_id= of what readers may not see


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("p=12", "Half-written: starters"),  # a draft
        ("p=13", "Waiting for review"),  # pending
        ("p=14", "Private: costs"),  # private
        ("p=15", "Christmas stollen"),  # scheduled for 2030
        ("page_id=3", "Privacy Policy"),  # a draft page
    ],
)
def test_an_unpublished_posts_id_is_a_404_for_readers_and_a_preview_for_staff(
    client, admin_client, fixture_site, query, title
):
    """As on WordPress: a reader gets a 404 at once that names nothing; staff are sent on to the post, to preview it,
    by a redirect no browser keeps (one logged out later is not still taken to the draft's address)."""
    post = Post.objects.get(title=title)
    for path in ("/", "/index.php"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 404 and "Location" not in response
        assert title not in response.text and post.slug not in response.text
        assert post.slug not in str(response.headers)

    preview = admin_client.get(f"/?{query}")
    assert (preview.status_code, preview["Location"]) == (302, post.get_absolute_url())
    assert {"no-store", "private"} <= {part.strip() for part in preview["Cache-Control"].split(",")}


def test_a_page_unpublished_after_its_id_was_followed_is_a_404_at_once(client, fixture_site):
    """A published page's ?page_id= redirects; once it is a draft again the same id answers 404, naming nothing."""
    about = Post.objects.get(slug="about", kind=Post.Kind.PAGE)
    about_id = wordpress_id("post", about)
    assert redirect_of(client, "/", page_id=about_id) == (301, "/about/")
    about.status = Post.Status.DRAFT
    about.save()

    for query in (f"page_id={about_id}", f"p={about_id}", f"page_id={about_id}&feed=rss2"):
        response = client.get(f"/?{query}")
        assert response.status_code == 404 and "Location" not in response, query
        assert "/about/" not in response.text, query


def test_an_id_that_names_nothing_here_is_a_404(client, fixture_site):
    """?p=, ?page_id=, ?attachment_id=, ?cat= and ?author= of an id nothing was imported as: 404, as WordPress."""
    for query in ("p=99999", "page_id=99999", "attachment_id=99999", "cat=99999", "author=99999"):
        assert client.get(f"/?{query}").status_code == 404, query
        assert client.get(f"/index.php?{query}").status_code == 404, query
    assert client.get("/?p=abc").status_code == 200  # not an id: WordPress's home page too
    assert redirect_of(client, "/index.php?p=abc") == (301, "/?p=abc")  # its home page by its file name


def test_a_published_posts_id_still_redirects_from_the_home_page_and_index_php(client, fixture_site):
    """?p= of a published post answers 301 with its address, at / and at /index.php."""
    loaf_id = wordpress_id("post", Post.objects.get(slug="a-loaf-a-day"))
    assert redirect_of(client, "/", p=loaf_id) == (301, LOAF)
    assert redirect_of(client, "/index.php", p=loaf_id) == (301, LOAF)


# The forms still unmapped before


def test_an_attachments_id_leads_to_its_local_copy(client, fixture_site, media_root):
    """?attachment_id=5 and ?p=5 of an attachment go to the file, as WordPress 6.4 sends attachment pages' readers."""
    for query in ("attachment_id=5", "p=5"):
        status, location = redirect_of(client, f"/?{query}")
        assert status == 301 and re.fullmatch(r"/media/wordpress/[^/]+/2025/10/crumb[^/]*\.png", location), location
        assert (media_root / location.removeprefix("/media/")).is_file()


def test_an_attachment_that_was_not_fetched_has_no_address(client, fixture_export):
    """Imported without its files, an attachment's id is a 404: there is nothing here to show."""
    import_wordpress(fixture_export)
    assert client.get("/?attachment_id=5").status_code == 404


def test_tag_author_month_search_page_and_category_feed_queries_redirect(client, fixture_site):
    """?tag=, ?author=, ?m= (a year, a month, a day), ?s=, ?paged= and ?cat=&feed= go where WordPress took them."""
    baking = Category.objects.get(slug="baking")
    ruth = get_user_model().objects.get(username="ruth")
    cases = {
        "tag=rye-spelt": "/tag/rye-spelt/",
        "tag=%E6%97%A5%E6%9C%AC": Tag.objects.get(slug="日本").get_absolute_url(),
        f"author={wordpress_id('author', ruth)}": "/author/ruth/",
        "m=2025": "/2025/",
        "m=202510": "/2025/10/",
        "m=20251002": "/2025/10/02/",
        "s=rye+bread": "/search/?q=rye+bread",
        "paged=2": "/page/2/",
        "paged=1": "/",
        f"cat={wordpress_id('category', baking)}&feed=rss2": "/category/food-drink/baking/feed/",
    }
    for query, target in cases.items():
        assert redirect_of(client, f"/?{query}") == (301, target), query
    for query in ("tag=never-used", "m=20251302", "m=0999", "m=2025100", "paged=9999999"):
        assert client.get(f"/?{query}").status_code == 404, query


def test_an_authors_id_gives_nothing_away_once_they_have_no_published_post(client, fixture_site):
    """Only authors with a published post have a page; another's id is a 404 that does not name them."""
    misha = get_user_model().objects.get(username="misha")
    Post.objects.filter(author=misha).update(status=Post.Status.DRAFT)
    response = client.get(f"/?author={wordpress_id('author', misha)}")
    assert response.status_code == 404 and "misha" not in response.text


def test_feeds_by_query_and_by_path_reach_the_comment_feeds(client, fixture_site):
    """?feed=comments-rss2, /feed/comments-rss2/ and an article's /feed/rss2/ are comment feeds, as on WordPress."""
    for path, target in (
        ("/?feed=comments-rss2", "/comments/feed/"),
        ("/?feed=comments-atom", "/comments/feed/atom/"),
        ("/?feed=rss2", "/feed/"),
        ("/feed/comments-rss2/", "/comments/feed/"),
        ("/feed/comments-atom/", "/comments/feed/atom/"),
        (f"{LOAF}feed/rss2/", f"{LOAF}feed/"),
        (f"{LOAF}feed/rdf/", f"{LOAF}feed/"),
        (f"{LOAF}feed/atom/", f"{LOAF}feed/atom/"),  # the real address itself: no redirect
        (f"{RYE_OLD_SLUG}feed/", f"{RYE}feed/"),  # an old slug's comment feed
        (f"{RYE_OLD_SLUG}feed/rss2/", f"{RYE}feed/"),
        ("/tag/baking/feed/rss2/", "/tag/baking/"),  # tags have no feed here: their page
    ):
        response = client.get(path)
        if path == target:
            assert response.status_code == 200, path
            continue
        assert (response.status_code, response.get("Location")) == (301, target), path
        assert client.get(target).status_code == 200, target
    assert "Comments on: A loaf a day" in client.get(f"{LOAF}feed/").text


def test_feed_queries_go_where_wordpress_answers_them(client, fixture_site):
    """?feed= alone is the site's feed of that kind; beside ?p= or ?page_id= of a published post, that post's comment
    feed, as WordPress; a page (which has no comment feed here) is its page; an unpublished post's is a 404."""
    loaf_id = wordpress_id("post", Post.objects.get(slug="a-loaf-a-day"))
    about_id = wordpress_id("post", Post.objects.get(slug="about", kind=Post.Kind.PAGE))
    draft_id = wordpress_id("post", Post.objects.get(title="Half-written: starters"))
    for query, target in (
        ("feed=rss2", "/feed/"),
        ("feed=rss", "/feed/"),
        ("feed=rdf", "/feed/"),
        ("feed=atom", "/feed/atom/"),
        ("feed=comments-rss2", "/comments/feed/"),
        ("feed=comments-atom", "/comments/feed/atom/"),
        (f"p={loaf_id}&feed=rss2", f"{LOAF}feed/"),
        (f"feed=comments-rss2&p={loaf_id}", f"{LOAF}feed/"),
        (f"p={loaf_id}&feed=atom", f"{LOAF}feed/atom/"),
        (f"p={loaf_id}&feed=comments-atom", f"{LOAF}feed/atom/"),
        (f"page_id={about_id}&feed=rss2", "/about/"),
    ):
        assert redirect_of(client, f"/?{query}") == (301, target), query
        assert client.get(target).status_code == 200, target
    assert "Comments on: A loaf a day" in client.get(f"/?p={loaf_id}&feed=rss2", follow=True).text
    assert "<title>Comments for " in client.get("/?feed=comments-rss2", follow=True).text
    assert client.get(f"/?p={draft_id}&feed=rss2").status_code == 404


# Comments that are not shown


def test_replytocom_of_a_comment_no_one_may_answer_lands_on_the_article(client, fixture_site):
    """?replytocom= with the WordPress id of a held or trashed comment goes to the article, not to a form answering
    a hidden comment; its id here, or no comment's, shows the article's plain form."""
    held = Comment.objects.get(author_name="Pending Pat")
    trashed = Comment.objects.get(author_name="Trashed Tim")
    for comment_id in (held.wordpress_id, trashed.wordpress_id):
        assert redirect_of(client, LOAF, replytocom=comment_id) == (301, LOAF), comment_id
    for comment_id in (held.pk, 424242):
        page = client.get(LOAF, {"replytocom": comment_id})
        assert page.status_code == 200 and "Pending Pat" not in page.text
        assert '<span id="reply-title-text">Leave a Reply</span>' in page.text
    published = Comment.objects.get(author_name="Alice Brennan", parent=None)
    assert redirect_of(client, LOAF, replytocom=published.wordpress_id) == (301, published.get_reply_url())


def test_an_old_anchor_of_a_held_comment_lands_on_the_article(client, fixture_site):
    """#comment-9 of a held comment: comments.js asks /comments/9/?on=<post>, which lands on the article, not a 404."""
    held = Comment.objects.get(author_name="Pending Pat")
    loaf = Post.objects.get(slug="a-loaf-a-day")
    for comment_id in (held.wordpress_id, held.pk, 424242):
        url = reverse("comments:permalink", kwargs={"comment_id": comment_id})
        assert redirect_of(client, url, on=loaf.pk) == (302, LOAF), comment_id
    assert client.get(reverse("comments:permalink", kwargs={"comment_id": held.pk})).status_code == 404
    draft = Post.objects.get(slug="starters")
    assert client.get(reverse("comments:permalink", kwargs={"comment_id": 1}), {"on": draft.pk}).status_code == 404


# Old slugs


def test_an_old_slugs_comment_page_keeps_its_number(client, fixture_site, settings, make_comment):
    """/old-slug/comment-page-2/ goes to the same page of the renamed article; a page it no longer has, to it."""
    settings.COMMENTS_PER_PAGE = 1
    make_comment(Post.objects.get(slug="rye-spelt-and-patience"))
    assert redirect_of(client, f"{RYE_OLD_SLUG}comment-page-2/") == (301, f"{RYE}comment-page-2/")
    assert client.get(f"{RYE}comment-page-2/").status_code == 200
    assert redirect_of(client, f"{RYE_OLD_SLUG}comment-page-9/") == (301, f"{RYE}comment-page-9/")
    assert redirect_of(client, f"{RYE}comment-page-9/") == (301, RYE)


def test_a_slug_renamed_because_its_address_shows_a_post_here_says_it_cannot_redirect(make_post, fixture_export):
    """The same post already at the old address: the summary does not promise a redirect it cannot make."""
    make_post("A loaf a day, imported before", slug="a-loaf-a-day", published_at=datetime(2025, 10, 2, 9, tzinfo=UTC))
    output = import_wordpress(fixture_export)
    assert (
        "Renamed (the old address still shows what was here before: it cannot redirect):\n"
        "  - A loaf a day: notes from the first month: a-loaf-a-day → a-loaf-a-day-2 (taken here)"
    ) in output
    assert "Renamed (the old address redirects)" not in output


@pytest.mark.parametrize(
    "address",
    [
        "/?tag=%00",
        "/?tag=a%2Fb",
        "/?p=" + "9" * 5000,
        "/?p=99999999999999999999",
        "/?m=%00",
        "/?s=%00",
        f"{LOAF}?replytocom=" + "9" * 5000,
        f"{LOAF}?replytocom=%00",
        "/2025/11/05/a%00b/",
        "/2025/11/05/a%00b/feed/rss2/",
        "/2025/11/05/a%00b/comment-page-2/",
        "/tag/%00/",
        "/category/%00/",
        "/category/a%00/feed/",
        "/a%00/",
        "/search/?q=%00",
        "/author/%00/",
        "/comments/1/?on=" + "9" * 5000,
        "/comments/" + "9" * 5000 + "/",
    ],
)
def test_a_hostile_old_address_is_answered_never_a_server_error(client, make_post, address):
    """NUL bytes (which PostgreSQL refuses to look for), ids longer than any number, slashes in slugs: each is a
    redirect or a 404, never a 500."""
    make_post("A loaf a day", slug="a-loaf-a-day", published_at=datetime(2025, 10, 2, 9, tzinfo=UTC))
    assert client.get(address).status_code in (200, 301, 302, 404), address
