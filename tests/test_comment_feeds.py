"""Comment feeds, as WordPress has them: the site's (/comments/feed/) and an article's (its address + feed/)."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments.models import Comment, Kind, Status

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SCRIPT = "<script>alert('x')</script>"


def rss_items(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    return [{child.tag: child.text for child in item} for item in channel.findall("item")]


def atom_entries(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {"title": entry.findtext(f"{ATOM}title"), "link": entry.find(f"{ATOM}link").get("href")}
        for entry in root.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def thread(make_post, make_comment):
    """One article with a comment of every status and kind, another article's comment, and comments on hidden posts."""
    post = make_post("Reading slowly on purpose", slug="reading-slowly")
    other = make_post("Small tools", slug="small-tools")
    comments = {
        "approved": make_comment(post, author_name="Marianne", body="Approved words."),
        "reply": None,
        "pending": make_comment(post, status=Status.PENDING, body="Held words."),
        "spam": make_comment(post, status=Status.SPAM, body="Spam words."),
        "trash": make_comment(post, status=Status.TRASH, body="Trashed words."),
        "note": make_comment(post, kind=Kind.NOTE, body="An editor's note."),
        "elsewhere": make_comment(other, author_name="Gertrude", body="Other article."),
        "draft": make_comment(make_post("Draft", status=Post.Status.DRAFT), body="On a draft."),
        "scheduled": make_comment(make_post("Later", days_ago=-2), body="On a scheduled post."),
    }
    comments["reply"] = make_comment(post, parent=comments["approved"], author_name="Ada", body="A reply.")
    return post, other, comments


def test_the_sites_comment_feed_lists_published_comments_only(client, thread):
    """/comments/feed/: approved comments of published articles; never held, spam, trash, notes or hidden posts."""
    post, other, comments = thread

    items = rss_items(client.get("/comments/feed/"))

    assert sorted(item["title"] for item in items) == sorted(
        [
            f"Comment on {post.title} by Marianne",
            f"Comment on {post.title} by Ada",
            f"Comment on {other.title} by Gertrude",
        ]
    )
    text = " ".join(item["description"] for item in items)
    for hidden in ("Held", "Spam", "Trashed", "editor's note", "On a draft", "On a scheduled post"):
        assert hidden not in text
    approved = comments["approved"]
    assert f"http://testserver{approved.get_absolute_url()}" in {item["link"] for item in items}


def test_an_articles_comment_feed_is_at_its_address_plus_feed(client, thread):
    """<article>/feed/ (RSS) and <article>/feed/atom/ list that article's published comments, newest first."""
    post, _, _ = thread

    items = rss_items(client.get(f"{post.get_absolute_url()}feed/"))
    entries = atom_entries(client.get(f"{post.get_absolute_url()}feed/atom/"))

    assert [item["title"] for item in items] == ["By: Ada", "By: Marianne"]
    assert [entry["title"] for entry in entries] == ["By: Ada", "By: Marianne"]
    assert ET.fromstring(client.get(f"{post.get_absolute_url()}feed/").content).findtext("channel/title") == (
        f"Comments on: {post.title}"
    )


def test_the_sites_atom_feed_matches_its_rss_feed(client, thread):
    """/comments/feed/atom/ has the same entries as the RSS feed, with their links."""
    rss = rss_items(client.get(reverse("comments:feed")))
    atom = atom_entries(client.get(reverse("comments:feed_atom")))

    assert [(item["title"], item["link"]) for item in rss] == [(entry["title"], entry["link"]) for entry in atom]


@pytest.mark.parametrize(
    "address",
    [
        "/2001/01/01/reading-slowly/feed/",  # the right slug, the wrong date
        "/2001/01/01/no-such-article/feed/",
    ],
)
def test_a_feed_for_no_article_is_not_found(client, thread, address):
    """A comment feed address naming no published article has no feed (the old-address redirect then ends in a 404)."""
    assert client.get(address, follow=True).status_code == 404


def test_a_draft_or_scheduled_articles_feed_is_not_found(client, make_post):
    """An article readers cannot see has no comment feed either."""
    for post in (make_post("Draft", status=Post.Status.DRAFT), make_post("Later", days_ago=-2)):
        assert client.get(f"{post.get_absolute_url()}feed/", follow=True).status_code == 404


def test_script_in_a_name_or_a_comment_never_reaches_a_feed_as_markup(client, make_post, make_comment):
    """A name and a comment carrying a script come out as text: the feed holds no <script> element."""
    post = make_post()
    make_comment(post, author_name=f"Mallory {SCRIPT}", body=f"Hello {SCRIPT} there")

    for address in ("/comments/feed/", "/comments/feed/atom/", f"{post.get_absolute_url()}feed/"):
        body = client.get(address).content.decode()
        assert "<script" not in body, address
    [item] = rss_items(client.get("/comments/feed/"))
    assert item["title"] == f"Comment on {post.title} by Mallory {SCRIPT}"  # text, escaped on the wire
    assert "<script" not in item["description"]


def test_pages_link_the_comment_feeds(make_post):
    """Every page links the site's comment feed; an article links its own, with rel="alternate"; all answer."""
    post = make_post("Reading slowly on purpose", slug="reading-slowly")
    home = " ".join(Client().get("/").content.decode().split())  # the markup's words, however lines break
    article = " ".join(Client().get(post.get_absolute_url()).content.decode().split())

    site_feed = '<link rel="alternate" type="application/rss+xml" title="The Quiet Margin » Comments Feed"'
    assert f'{site_feed} href="http://testserver/comments/feed/">' in home
    assert f'{site_feed} href="http://testserver/comments/feed/">' in article
    own = (
        f'title="The Quiet Margin » {post.title} Comments Feed" href="http://testserver{post.get_absolute_url()}feed/"'
    )
    assert own in article
    assert f'href="http://testserver{post.get_absolute_url()}feed/atom/"' in article
    for address in ("/comments/feed/", "/comments/feed/atom/", f"{post.get_absolute_url()}feed/"):
        assert Client().get(address).status_code == 200


def test_a_comment_leaves_the_feed_when_it_is_unapproved(client, make_post, make_comment):
    """The feed is read from the comments as they are: one sent back to moderation disappears from it."""
    post = make_post()
    comment = make_comment(post, created_at=timezone.now() - timedelta(minutes=5))
    assert len(rss_items(client.get("/comments/feed/"))) == 1

    Comment.objects.filter(pk=comment.pk).update(status=Status.PENDING)

    assert rss_items(client.get("/comments/feed/")) == []
