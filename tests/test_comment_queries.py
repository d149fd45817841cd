"""The article page costs a fixed number of queries, however many comments its thread has.

Six at most: four for the article itself (the post with its author, its categories, its tags,
the previous and next posts together; the navigation's categories are cached) and two for the
thread (its counts, and the comments of the page shown). Once the page's parts are stored (under
keys that change with what they show), an anonymous reader's page costs one: the post.
"""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from comments import cookies
from comments.feeds import FEED_LENGTH, post_feed_path
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from groundwork.site_url import absolute_url

pytestmark = pytest.mark.django_db

SIZES = (10, 100, 500)
MAX_QUERIES = 6
THREAD_QUERIES = 2
STORED_QUERIES = 1


def add_thread(post, count):
    """`count` approved comments in threads one to five deep, stored level by level with bulk_create."""
    levels, parents = 5, [None]
    per_level = [count // levels + (1 if level < count % levels else 0) for level in range(levels)]
    for depth, size in enumerate(per_level, start=1):
        batch = []
        for number in range(size):
            body = f"Comment {depth}.{number}, see https://example.com/{number} and <em>this</em>."
            batch.append(
                Comment.build(
                    post=post,
                    parent=parents[number % len(parents)],
                    body=body,
                    author_name=f"Reader {depth}.{number}",
                    author_email=f"reader{depth}.{number}@example.com",
                    author_url=f"https://reader{number}.example" if number % 2 else "",
                    status=Status.APPROVED,
                    reason=Reason.MODERATOR,
                )
            )
        parents = Comment.objects.bulk_create(batch)
    assert Comment.objects.approved().for_post(post).count() == count


def own_comments_cookie(comment):
    response = HttpResponse()
    cookies.remember_own_comment(RequestFactory().get("/"), response, comment)
    return response.cookies[cookies.OWN_COMMENTS].value


def queries_for_article(client, post, count):
    """All the queries the article page makes, and those that read comments."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert response.text.count('class="comment depth-') == count
    comment_queries = [query for query in queries.captured_queries if "comments_comment" in query["sql"]]
    return len(queries), len(comment_queries)


@pytest.mark.parametrize("reader", ["anonymous", "author-of-a-held-comment"])
def test_article_queries_do_not_grow_with_comments(make_post, make_comment, settings, reader):
    """10, 100 and 500 threaded comments cost the same, small number of queries, for a guest and for an author.

    Counted with nothing stored (the first reader after a change) and with the page's parts stored.
    """
    settings.COMMENTS_PER_PAGE = 0  # the whole thread on one page
    Client().get(make_post().get_absolute_url())  # what every page shares (the nav, the login icons) is stored
    counts = {}
    for size in SIZES:
        post = make_post()
        add_thread(post, size)
        client = Client()
        shown = size
        if reader == "author-of-a-held-comment":
            held = make_comment(post, status=Status.PENDING, body="Mine, waiting.")
            client.cookies[cookies.OWN_COMMENTS] = own_comments_cookie(held)
            shown += 1
        first = queries_for_article(client, post, shown)
        counts[size] = (first, queries_for_article(client, post, shown))

    print(
        f"\nArticle page queries ({reader}):",
        ", ".join(
            f"{size} comments: {cold} with nothing stored, {warm} stored" for size, (cold, warm) in counts.items()
        ),
    )
    assert len(set(counts.values())) == 1, counts
    (total, thread), (stored_total, stored_thread) = counts[SIZES[0]]
    assert thread == THREAD_QUERIES, counts
    assert total <= MAX_QUERIES, counts
    assert stored_total < total
    if reader == "anonymous":
        assert (stored_total, stored_thread) == (STORED_QUERIES, 0), counts  # the post alone


def test_comments_nobody_sees_leave_their_post_alone(make_post, make_comment, reader):
    """Held, spam and trashed comments do not write to their post, whose row every comment of a busy post
    would wait for; publishing a comment, or unpublishing it, moves the key its article's thread is stored under."""
    post = make_post()
    reader.get(post.get_absolute_url())  # the thread is stored under the post's comments_changed_at

    def changed_at():
        post.refresh_from_db(fields=["comments_changed_at"])
        return post.comments_changed_at

    untouched = changed_at()
    held = make_comment(post, status=Status.PENDING, reason=Reason.SPAM_CHECK, body="Waiting for Akismet.")
    change_status(held, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_UNREACHABLE)
    change_status(held, Status.SPAM, actor=Actor.AKISMET, reason=Reason.AKISMET_SPAM)
    assert changed_at() == untouched

    change_status(held, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR)
    published = changed_at()
    assert published != untouched
    assert "Waiting for Akismet." in reader.get(post.get_absolute_url()).text

    change_status(Comment.objects.get(pk=held.pk), Status.TRASH, actor=Actor.MODERATOR, reason=Reason.MODERATOR)
    assert changed_at() != published
    assert "Waiting for Akismet." not in reader.get(post.get_absolute_url()).text

    trashed = changed_at()
    Comment.objects.filter(pk=held.pk).delete()  # emptying the Trash: nothing shown changes
    assert changed_at() == trashed
    shown = make_comment(post, status=Status.APPROVED, body="Shown, then deleted.")
    assert "Shown, then deleted." in reader.get(post.get_absolute_url()).text
    shown.delete()
    assert "Shown, then deleted." not in reader.get(post.get_absolute_url()).text


@pytest.mark.parametrize("feed", ["site", "site-atom", "post", "post-atom"])
def test_comment_feeds_cost_the_same_whatever_their_items(make_post, settings, feed):
    """Each feed's queries are fixed (its items, with their links' thread pages, in one), and its links are the
    comments' own: the page of the thread each is on (several pages here)."""
    settings.COMMENTS_PER_PAGE = 3
    costs = []
    for size in (4, 40):  # fewer items than a feed lists, and more
        post = make_post(title=f"A thread of {size}")
        add_thread(post, size)
        path = {
            "site": reverse("comments:feed"),
            "site-atom": reverse("comments:feed_atom"),
            "post": post_feed_path(post),
            "post-atom": post_feed_path(post, atom=True),
        }[feed]
        Client().get(path)  # once, for what is read once a process (the Sites framework's site)
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(path)
        assert response.status_code == 200
        costs.append(len(queries))
        shown = Comment.objects.published().filter(post=post).order_by("-created_at", "-pk")[:FEED_LENGTH]
        links = [absolute_url(comment.get_absolute_url()) for comment in shown]  # each counted the slow way
        assert size < FEED_LENGTH or any("/comment-page-" in link for link in links)
        for link in links:
            assert escape(link) in response.text
    assert costs[0] == costs[1] <= 2  # the post, for an article's feed; the comments with their places
