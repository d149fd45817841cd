"""Slugs outside `\\w` (emoji, ❤, CJK, right-to-left scripts, combining marks, "%" itself), imported and served.

The export below is shaped as WordPress 6.1 writes one. Its slugs are what WordPress's
sanitize_title makes of such titles (lower-cased, each non-ASCII character percent-encoded from
its UTF-8 bytes in lower-case hex, zero-width joiners and bidi marks dropped, "%25" kept as an
octet), plus one as WordPress's importer's own test data has it, raw, with a right-to-left
override; and a few that no WordPress writes and a stranger might.
"""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from blog.models import Category, Post, Tag
from comments.models import Comment

from .conftest import import_wordpress

pytestmark = pytest.mark.django_db

# (post id, title, wp:post_name as the file has it, the address WordPress served it at)
SERVED = [
    (101, "We ❤ the night train", "we-%e2%9d%a4-the-night-train", "/2025/11/03/we-%e2%9d%a4-the-night-train/"),
    (
        102,
        "東京の朝のパン",
        "%e6%9d%b1%e4%ba%ac%e3%81%ae%e6%9c%9d%e3%81%ae%e3%83%91%e3%83%b3",
        "/2025/11/03/%e6%9d%b1%e4%ba%ac%e3%81%ae%e6%9c%9d%e3%81%ae%e3%83%91%e3%83%b3/",
    ),
    (
        103,
        "مرحبا بالعالم",
        "%d9%85%d8%b1%d8%ad%d8%a8%d8%a7-%d8%a8%d8%a7%d9%84%d8%b9%d8%a7%d9%84%d9%85",
        "/2025/11/03/%d9%85%d8%b1%d8%ad%d8%a8%d8%a7-%d8%a8%d8%a7%d9%84%d8%b9%d8%a7%d9%84%d9%85/",
    ),
    (  # combining marks: the virama and the vowel signs
        104,
        "नमस्ते दुनिया",
        "%e0%a4%a8%e0%a4%ae%e0%a4%b8%e0%a5%8d%e0%a4%a4%e0%a5%87-%e0%a4%a6%e0%a5%81%e0%a4%a8%e0%a4%bf%e0%a4%af%e0%a4%be",
        "/2025/11/03/%e0%a4%a8%e0%a4%ae%e0%a4%b8%e0%a5%8d%e0%a4%a4%e0%a5%87-%e0%a4%a6%e0%a5%81%e0%a4%a8%e0%a4%bf%e0%a4%af"
        "%e0%a4%be/",
    ),
    (105, "👩‍💻 at work", "%f0%9f%91%a9%f0%9f%92%bb-at-work", "/2025/11/03/%f0%9f%91%a9%f0%9f%92%bb-at-work/"),
    (106, "Save 50%25 now", "save-50%25-now", "/2025/11/03/save-50%25-now/"),
    (  # raw, as WordPress's importer's wxr-utf-8-challenges.xml has it: an RLO and a PDF around "orld"
        107,
        "The road not taken",
        "hello-w\u202eorld\u202c-utf8-💫-test",
        "/2025/11/03/hello-w%e2%80%aeorld%e2%80%ac-utf8-%f0%9f%92%ab-test/",
    ),
]
# (post id, title, wp:post_name, the old link's path, the slug it gets here): what no address can hold as it is
MENDED = [
    (111, "Slash", "a%2fb", "/2025/11/05/a%2fb/", "a-b"),
    (112, "Dot dot", "%2e%2e", "/2025/11/05/%2e%2e/", "dot-dot"),
    (113, "Null", "nul%00byte", "/2025/11/05/nul%00byte/", "nul-byte"),
    (114, "Tab", "tab%09here", "/2025/11/05/tab%09here/", "tab-here"),
]
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Night trains</title>
	<link>http://trains.example</link>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>http://trains.example</wp:base_site_url>
	<wp:base_blog_url>http://trains.example</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ines]]></wp:author_login></wp:author>
	<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[%e2%9d%a4]]></wp:category_nicename>
		<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[❤]]></wp:cat_name></wp:category>
	<wp:tag><wp:term_id>3</wp:term_id><wp:tag_slug><![CDATA[%f0%9f%8d%9e]]></wp:tag_slug>
		<wp:tag_name><![CDATA[🍞]]></wp:tag_name></wp:tag>
	<wp:tag><wp:term_id>4</wp:term_id><wp:tag_slug><![CDATA[a%2fb]]></wp:tag_slug>
		<wp:tag_name><![CDATA[A slash]]></wp:tag_name></wp:tag>
"""
ITEM = """	<item>
		<title><![CDATA[{title}]]></title>
		<link>http://trains.example{link}</link>
		<dc:creator><![CDATA[ines]]></dc:creator>
		<content:encoded><![CDATA[<p>The text of {title}.</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{id}</wp:post_id>
		<wp:post_date><![CDATA[{date} 09:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{date} 09:00:00]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:ping_status><![CDATA[open]]></wp:ping_status>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[{kind}]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		<category domain="category" nicename="%e2%9d%a4"><![CDATA[❤]]></category>
		<category domain="post_tag" nicename="%f0%9f%8d%9e"><![CDATA[🍞]]></category>
		<category domain="post_tag" nicename="a%2fb"><![CDATA[A slash]]></category>
		<wp:comment>
			<wp:comment_id>{comment_id}</wp:comment_id>
			<wp:comment_author><![CDATA[Rider]]></wp:comment_author>
			<wp:comment_date><![CDATA[{date} 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{date} 10:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[All aboard {title}.]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_parent>0</wp:comment_parent>
		</wp:comment>
	</item>
"""


def export(path):
    """The export: every SERVED post (107 linked as ?p=, as that file does), MENDED ones, and a page "❤ us"."""
    items = [
        ITEM.format(id=i, title=t, slug=s, link="/?p=107" if i == 107 else a, date="2025-11-03", kind="post",
                    comment_id=i + 1000)
        for i, t, s, a in SERVED
    ] + [
        ITEM.format(id=i, title=t, slug=s, link=link, date="2025-11-05", kind="post", comment_id=i + 1000)
        for i, t, s, link, _ in MENDED
    ] + [ITEM.format(id=120, title="❤ us", slug="%e2%9d%a4-us", link="/%e2%9d%a4-us/", date="2025-11-03",
                     kind="page", comment_id=1120)]  # fmt: skip
    path.write_text(HEAD + "".join(items) + "</channel>\n</rss>\n", encoding="utf-8")
    return path


@pytest.fixture
def imported(tmp_path, media_root, settings):
    """The export imported (its summary); every post on the first page of a list."""
    settings.POSTS_PER_PAGE = 20
    return import_wordpress(export(tmp_path / "slugs.xml"))


def upper_hex(address: str) -> str:
    """The same address with its percent-encoding in upper case, as browsers write what they encode."""
    return re.sub(r"%[0-9a-f]{2}", lambda escape: escape[0].upper(), address)


@pytest.mark.parametrize(("wordpress_id", "title", "slug", "address"), SERVED, ids=[str(case[0]) for case in SERVED])
def test_a_slug_wordpress_serves_is_served_here_at_the_same_address(client, imported, wordpress_id, title, slug,
                                                                    address):  # fmt: skip
    """The post comes in under its decoded slug and answers at WordPress's very bytes, in upper-case hex, as an
    IRI; its comment feed and an old reply link work there too."""
    post = Post.objects.get(title=title)
    assert post.slug == unquote(slug)
    assert post.get_absolute_url() == address
    for asked in (address, upper_hex(address), unquote(address)):
        response = client.get(asked)
        assert response.status_code == 200, asked
        assert f"The text of {title}." in response.text
    assert f"All aboard {title}." in client.get(f"{address}feed/").text
    comment = Comment.objects.get(post=post)
    response = client.get(address, {"replytocom": comment.wordpress_id})
    assert (response.status_code, response["Location"]) == (301, f"{address}?replytocom={comment.pk}#respond")


def test_links_feeds_and_the_sitemap_write_the_addresses_as_wordpress_did(client, imported):
    """Every address the site writes of such a post is WordPress's lower-case percent-encoding, never Django's
    upper-case one."""
    night = "/2025/11/03/we-%e2%9d%a4-the-night-train/"
    pages = {
        "home": client.get(reverse("blog:home")).text,
        "feed": client.get(reverse("blog:feed")).text,
        "atom": client.get(reverse("blog:feed_atom")).text,
        "sitemap": client.get(reverse("sitemap")).text,
        "comments feed": client.get(reverse("comments:feed")).text,
        "article": client.get(night).text,
    }
    for name, text in pages.items():
        assert night in text, name
        assert upper_hex(night) not in text, name
    assert 'href="/tag/%f0%9f%8d%9e/"' in pages["article"] and 'href="/category/%e2%9d%a4/"' in pages["article"]


def test_a_tag_a_category_and_a_page_with_such_slugs_are_served(client, imported):
    """The tag 🍞, the category ❤ and the page "❤ us" answer at their WordPress addresses."""
    assert Tag.objects.get(name="🍞").get_absolute_url() == "/tag/%f0%9f%8d%9e/"
    assert Category.objects.get(name="❤").get_absolute_url() == "/category/%e2%9d%a4/"
    for address in ("/tag/%f0%9f%8d%9e/", "/tag/%F0%9F%8D%9E/", "/category/%e2%9d%a4/", "/category/%e2%9d%a4/feed/"):
        response = client.get(address)
        assert response.status_code == 200 and "We ❤ the night train" in response.text, address
    page = Post.objects.pages().get()
    assert page.get_absolute_url() == "/%e2%9d%a4-us/"
    assert "The text of ❤ us." in client.get("/%E2%9D%A4-us/").text


def test_importing_such_a_file_again_finishes_and_adds_nothing(tmp_path, imported):
    """The import no longer dies half-way: it finishes, and a second run finds everything there."""
    assert "Imported from http://trains.example:" in imported and "1 pages, 11 posts" in imported
    assert "nothing new" in import_wordpress(tmp_path / "slugs.xml")


def test_a_slug_no_address_can_hold_is_mended_said_and_its_old_address_redirects(client, imported):
    """A "/", ".." or a control character in a slug (no WordPress writes one) gives the nearest slug an address
    holds; the summary says so and the old link redirects to it (but one with a NUL, which no database keeps and
    no browser sends: a 404). A tag slug with a "/" is mended the same way."""
    assert "Renamed (the old address redirects):" in imported
    assert "  - Slash: a%2Fb → a-b (no address holds it as it is)" in imported
    assert "  - Null: nul%00byte → nul-byte (no address holds it as it is)" in imported
    for _id, title, _slug, old_link, slug_here in MENDED:
        post = Post.objects.get(title=title)
        assert post.slug == slug_here
        assert client.get(post.get_absolute_url()).status_code == 200
        response = client.get(old_link)
        if "%00" in old_link:
            assert response.status_code == 404
        else:
            assert (response.status_code, response.get("Location")) == (301, post.get_absolute_url()), old_link
    assert Tag.objects.get(name="A slash").get_absolute_url() == "/tag/a-b/"


def test_the_admin_keeps_such_a_slug_and_refuses_one_no_address_holds(admin_client, imported):
    """Saving an imported post unchanged keeps its ❤ slug; "/", spaces, control characters and ".." are refused."""
    post = Post.objects.get(title="We ❤ the night train")
    change = reverse("admin:blog_post_change", args=[post.pk])
    local = post.local_published_at
    form = {
        "kind": "post", "title": post.title, "slug": post.slug, "body": post.body, "excerpt": "", "password": "",
        "status": "published", "published_at_0": f"{local:%Y-%m-%d}", "published_at_1": f"{local:%H:%M:%S}",
        "author": post.author_id, "comments_open": "on", "menu_order": 0,
    }  # fmt: skip
    response = admin_client.post(change, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Post.objects.get(pk=post.pk).slug == "we-❤-the-night-train"
    for bad in ("we/❤", "we ❤", "we-\x01", "..", "tab\there"):
        response = admin_client.post(change, {**form, "slug": bad})
        assert response.status_code == 200, bad
        assert "slug" in response.context["adminform"].form.errors, bad
    tag = Tag.objects.get(name="🍞")
    response = admin_client.post(reverse("admin:blog_tag_change", args=[tag.pk]), {"name": "🍞", "slug": "🍞-and-☕"})
    assert response.status_code == 302
    assert Tag.objects.get(pk=tag.pk).get_absolute_url() == "/tag/%f0%9f%8d%9e-and-%e2%98%95/"
