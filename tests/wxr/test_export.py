"""Leaving again: the site as a WordPress export (WXR 1.2), and the round trip back in."""

import io
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from blog.models import Category, Post, Tag
from comments.models import Comment, Status
from wordpress.models import Imported, OldAddress, Site

from .conftest import BENCH_EXPORT
from .test_import import import_wordpress

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
    assert types == ["attachment"] + ["page"] * 3 + ["post"] * 9
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
