"""Leaving again: the site as a WordPress export (WXR 1.2), and the round trip back in."""

import io
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from blog.markup import CONTROL_CHARACTERS
from blog.models import Category, Post, Tag
from comments.models import Comment, Status
from wordpress.content import CONTROLS, plain_text, without_controls
from wordpress.importer import username_for
from wordpress.models import Imported, OldAddress, Site

from .conftest import BENCH_EXPORT, import_wordpress

pytestmark = pytest.mark.django_db

WP = "{http://wordpress.org/export/1.2/}"


def export_wordpress(path):
    call_command("export_wordpress", "--output", str(path), stdout=io.StringIO())
    return path


def what_readers_and_staff_see():
    """Everything the round trip must keep, by address: posts, pages, their filing and their threads."""
    posts = {}
    for post in Post.objects.select_related("author", "parent").prefetch_related("categories", "tags"):
        posts[post.get_absolute_url()] = {
            "kind": post.kind,
            "title": post.title,
            "status": post.status,
            "published_at": post.published_at,
            "body_html": post.body_html,
            "excerpt": post.excerpt,
            "author": (post.author.username, post.author.get_full_name()),
            "flags": (post.sticky, post.comments_open, post.pings_open, post.menu_order),
            "categories": sorted(c.path for c in post.categories.all()),
            "tags": sorted(t.slug for t in post.tags.all()),
            "has_featured_image": bool(post.featured_image),
            "comments": sorted(
                (
                    c.author_name,
                    c.author_email,
                    c.author_url,
                    str(c.ip_address),
                    c.created_at,
                    c.status,
                    c.kind,
                    c.depth,
                    c.parent.author_name if c.parent else None,
                    c.user.username if c.user else None,
                    c.body_html,
                )
                for c in post.comments.select_related("parent", "user")
            ),
        }
    return posts


def empty_the_site():
    Comment.objects.all().delete()
    while Post.objects.exists():
        Post.objects.filter(children__isnull=True).delete()
    while Category.objects.exists():
        Category.objects.filter(children__isnull=True).delete()
    for model in (Tag, OldAddress, Imported, Site, get_user_model()):
        model.objects.all().delete()


def test_the_export_is_wxr_as_wordpress_writes_it(fixture_export, tmp_path):
    """WXR 1.2 with authors, each term as wp:category/wp:tag and again as wp:term, items with comments, no spam."""
    import_wordpress(fixture_export, "--fetch-attachments")
    Comment.objects.filter(author_name="Pending Pat").update(status=Status.SPAM)
    root = ElementTree.parse(export_wordpress(tmp_path / "out.xml")).getroot()
    channel = root.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert [a.findtext(f"{WP}author_login") for a in channel.iter(f"{WP}author")] == ["ruth", "misha"]
    assert len(channel.findall(f"{WP}category")) == 5 and len(channel.findall(f"{WP}tag")) == 3
    assert len(channel.findall(f"{WP}term")) == 8
    items = {item.findtext(f"{WP}post_id"): item for item in channel.iter("item")}
    types = sorted(item.findtext(f"{WP}post_type") for item in items.values())
    assert types == ["attachment"] * 2 + ["page"] * 3 + ["post"] * 9  # the featured crumb, the oven in a caption
    comments = [c for item in items.values() for c in item.iter(f"{WP}comment")]
    assert len(comments) == Comment.objects.exclude(status=Status.SPAM).count() == 14
    assert {c.findtext(f"{WP}comment_approved") for c in comments} == {"1", "0", "trash"}
    assert {c.findtext(f"{WP}comment_type") for c in comments} == {"comment", "pingback", "trackback", "note"}
    statuses = sorted(item.findtext(f"{WP}status") for item in items.values())
    assert statuses.count("future") == 1 and "private" in statuses and "pending" in statuses


def test_the_round_trip_keeps_posts_pages_comments_and_addresses(client, fixture_export, tmp_path):
    """Export, empty the database, import the export: the same posts, pages, threads and addresses come back."""
    import_wordpress(fixture_export, "--fetch-attachments")
    before = what_readers_and_staff_see()
    export = export_wordpress(tmp_path / "out.xml")
    empty_the_site()
    assert not Post.objects.exists()

    output = import_wordpress(export)
    assert "9 posts" in output and "3 pages" in output

    after = what_readers_and_staff_see()
    assert after.keys() == before.keys()
    for address, was in before.items():
        assert after[address] == was, address
    for post in Post.objects.published():
        assert client.get(post.get_absolute_url()).status_code == 200, post


def test_the_bench_site_goes_round_too(client, tmp_path, settings):
    """The 100-comment bench post comes back at its address with its whole thread; comments keep their anchors."""
    settings.COMMENTS_PER_PAGE = 0  # the whole thread on one page
    import_wordpress(BENCH_EXPORT)
    before = what_readers_and_staff_see()
    anchors = sorted(Comment.objects.values_list("pk", flat=True))
    export = export_wordpress(tmp_path / "out.xml")
    empty_the_site()
    import_wordpress(export)
    assert what_readers_and_staff_see() == before
    assert sorted(Comment.objects.values_list("wordpress_id", flat=True)) == anchors
    page = client.get("/2025/11/03/night-train-comes-back-to-elmsford/").text
    assert all(f'id="comment-{anchor}"' in page for anchor in anchors)


# Whatever is stored, the file is XML


def stored_controls() -> str:
    """Every C0 control character the database holds (PostgreSQL no NUL), DEL, every C1, U+FFFE and U+FFFF."""
    c0 = [chr(code) for code in range(0x20) if code or connection.vendor != "postgresql"]
    return "".join([*c0, "\x7f", *map(chr, range(0x80, 0xA0)), "\ufffe\uffff"])


def as_xml_reads_it(text: str) -> str:
    """What an XML parser reads back of `text` once exported: U+FFFD for what XML 1.0 cannot hold, CR as LF."""
    legal = "".join(
        c if c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" else "\ufffd" for c in text
    )
    return legal.replace("\r\n", "\n").replace("\r", "\n")


def test_xml_text_replaces_what_xml_cannot_hold_even_lone_surrogates():
    """Control characters, lone surrogates (no database here stores them), U+FFFE and U+FFFF become U+FFFD."""
    from wordpress.exporter import xml_text

    assert xml_text("a\x00b\x0cc\ud800d\udfffe\ufffef\uffffg") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg"
    assert xml_text("tab\t lf\n cr\r del\x7f nel\x85 \U0001f600") == "tab\t lf\n cr\r del\x7f nel\x85 \U0001f600"


def test_every_control_character_stored_still_exports_well_formed_xml_that_imports_back(
    tmp_path, settings, make_user, make_category, make_tag, make_post, make_comment
):
    """Every stored text field holding every control character exports as XML that the importer reads back."""
    controls = stored_controls()
    settings.BLOG_TITLE = f"The -- Margin{controls}-"
    writer = make_user(
        f"ruth{controls}", email=f'"ruth{controls}"@example.com', first_name=f"Ruth{controls}", last_name=f"Z{controls}"
    )
    category = make_category(f"Cat{controls}", slug="cat", description=f"About{controls}it")
    tag = make_tag(f"Tag{controls}", slug="tag")
    post = make_post(f"Title{controls}end", author=writer, categories=[category], tags=[tag],
                     body=f"<p>Body{controls}end</p>", excerpt=f"Short{controls}end")  # fmt: skip
    comment = make_comment(
        post,
        author_name=f"Name{controls}end",
        author_email=f'"a{controls}b"@example.com',
        author_url=f"https://example.com/{controls}",
        body=f"Text{controls}end",
    )

    export = export_wordpress(tmp_path / "out.xml")

    channel = ElementTree.parse(export).getroot().find("channel")  # well-formed, or this raises
    [author] = channel.iter(f"{WP}author")
    assert author.findtext(f"{WP}author_login") == as_xml_reads_it(writer.username)
    assert author.findtext(f"{WP}author_email") == as_xml_reads_it(writer.email)
    assert author.findtext(f"{WP}author_first_name") == as_xml_reads_it(writer.first_name)
    assert author.findtext(f"{WP}author_last_name") == as_xml_reads_it(writer.last_name)
    assert channel.findtext("title") == as_xml_reads_it(settings.BLOG_TITLE)
    assert channel.find(f"{WP}category").findtext(f"{WP}cat_name") == as_xml_reads_it(category.name)
    assert channel.find(f"{WP}category").findtext(f"{WP}category_description") == as_xml_reads_it(category.description)
    assert channel.find(f"{WP}tag").findtext(f"{WP}tag_name") == as_xml_reads_it(tag.name)
    item = channel.find("item")
    assert item.findtext("title") == as_xml_reads_it(post.title)
    assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") == as_xml_reads_it(post.body)
    assert item.findtext("{http://wordpress.org/export/1.2/excerpt/}encoded") == as_xml_reads_it(post.excerpt)
    written = item.find(f"{WP}comment")
    assert written.findtext(f"{WP}comment_author") == as_xml_reads_it(comment.author_name)
    assert written.findtext(f"{WP}comment_author_email") == as_xml_reads_it(comment.author_email)
    assert written.findtext(f"{WP}comment_author_url") == as_xml_reads_it(comment.author_url)
    shown = CONTROL_CHARACTERS.sub("", comment.body)  # the controls the site does not show are not written
    assert written.findtext(f"{WP}comment_content") == as_xml_reads_it(shown)

    empty_the_site()
    output = import_wordpress(export)

    assert "1 post" in output and "1 comment" in output
    imported = Comment.objects.select_related("post__author").get()
    assert imported.author_email == without_controls(as_xml_reads_it(comment.author_email))
    assert imported.body == without_controls(as_xml_reads_it(shown))
    assert imported.author_name == plain_text(as_xml_reads_it(comment.author_name))
    assert imported.post.title == plain_text(as_xml_reads_it(post.title))
    assert imported.post.author.username == username_for(as_xml_reads_it(writer.username)) == "ruth"
    assert Category.objects.get().name == plain_text(as_xml_reads_it(category.name))
    assert Tag.objects.get().name == plain_text(as_xml_reads_it(tag.name))
    assert not CONTROLS.search(imported.author_name + imported.author_email + imported.body + imported.post.title)
