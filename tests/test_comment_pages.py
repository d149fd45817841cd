"""Long threads are paged as WordPress pages them, and every comment can still be found in one request.

COMMENTS_PER_PAGE top-level comments a page (each with all its replies), page 1 the oldest, the
article's own address showing the newest page (COMMENTS_DEFAULT_PAGE), page N also at
`<article>/comment-page-N/`.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, Reason, Status

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'<li id="comment-(\d+)"')


@pytest.fixture(autouse=True)
def five_a_page(settings):
    settings.COMMENTS_PER_PAGE = 5
    settings.COMMENTS_DEFAULT_PAGE = "newest"


@pytest.fixture
def thread(post):
    """Twelve top-level comments, an hour apart, oldest first; the first has two replies, one written last."""
    start = timezone.now() - timedelta(days=2)
    roots = []
    for number in range(12):
        comment = Comment.build(
            post=post,
            body=f"Top-level comment {number}.",
            author_name=f"Reader {number}",
            author_email=f"reader{number}@example.com",
            status=Status.APPROVED,
            reason=Reason.MODERATOR,
            created_at=start + timedelta(hours=number),
        )
        comment.save()
        roots.append(comment)
    reply = Comment.build(post=post, parent=roots[0], body="A reply.", author_name="Replier", author_email="r@x.org")
    reply.status, reply.created_at = Status.APPROVED, start + timedelta(days=1)
    reply.save()
    late = Comment.build(post=post, parent=reply, body="Much later.", author_name="Late", author_email="l@x.org")
    late.status = Status.APPROVED
    late.save()
    return roots, reply, late


def shown(response) -> list[int]:
    return [int(pk) for pk in SHOWN.findall(response.content.decode())]


def head_links(response) -> dict:
    return dict(re.findall(r'<link rel="(canonical|prev|next)" href="([^"]+)"', response.content.decode()))


def test_the_article_shows_the_newest_page_and_older_pages_have_their_own_address(client, post, thread):
    """12 top-level comments at 5 a page: the article shows the last 2, page 1 the first 5 with all their replies."""
    roots, reply, late = thread
    article = client.get(post.get_absolute_url())
    first = client.get(f"{post.get_absolute_url()}comment-page-1/")

    assert shown(article) == [roots[10].pk, roots[11].pk]
    assert shown(first) == [roots[0].pk, reply.pk, late.pk, *[root.pk for root in roots[1:5]]]
    for response in (article, first):
        assert "14 thoughts on" in response.content.decode()  # the count is the whole thread's
        assert "Comments page" in response.content.decode()


def test_pages_link_to_each_other_with_rel_prev_and_next(client, post, thread):
    """Each page's head has its canonical address and rel prev/next; the newest page's canonical is the article's."""
    article_url = f"http://testserver{post.get_absolute_url()}"
    middle = head_links(client.get(f"{post.get_absolute_url()}comment-page-2/"))
    newest = head_links(client.get(post.get_absolute_url()))

    assert middle == {
        "canonical": f"{article_url}comment-page-2/",
        "prev": f"{article_url}comment-page-1/",
        "next": article_url,
    }
    assert newest == {"canonical": article_url, "prev": f"{article_url}comment-page-2/"}


def test_the_oldest_page_first_when_the_setting_says_so(client, post, thread, settings):
    """With COMMENTS_DEFAULT_PAGE="oldest" the article shows page 1, and the newest page has its own address."""
    settings.COMMENTS_DEFAULT_PAGE = "oldest"
    roots, _reply, _late = thread
    assert shown(client.get(post.get_absolute_url()))[0] == roots[0].pk
    assert shown(client.get(f"{post.get_absolute_url()}comment-page-3/")) == [roots[10].pk, roots[11].pk]


def test_a_page_past_the_last_is_not_a_page(client, post, thread):
    """/comment-page-4/ of a three-page thread is not served (it leads back to the article)."""
    response = client.get(f"{post.get_absolute_url()}comment-page-4/")
    assert response.status_code in (301, 404)
    assert not shown(response)


def test_every_comment_links_to_the_page_it_is_on(client, post, thread):
    """A comment's permalink names its page, and that page shows it: one request, no script needed."""
    roots, reply, late = thread
    for comment in (roots[0], reply, late, roots[7], roots[11]):
        url = comment.get_absolute_url()
        page, _, anchor = url.partition("#")
        assert comment.pk in shown(client.get(page)), url
        assert anchor == f"comment-{comment.pk}"
    assert late.get_absolute_url() == f"{post.get_absolute_url()}comment-page-1/#comment-{late.pk}"
    assert roots[11].get_absolute_url() == f"{post.get_absolute_url()}#comment-{roots[11].pk}"


def test_an_address_finds_the_page_of_any_comment(client, post, thread):
    """/comments/N/ redirects to the page with comment N on it; a held or unknown comment is not found."""
    _roots, _reply, late = thread
    response = client.get(reverse("comments:permalink", args=[late.pk]))
    assert (response.status_code, response["Location"]) == (302, late.get_absolute_url())

    held = Comment.build(post=post, body="Held.", author_name="H", author_email="h@x.org")
    held.save()
    assert client.get(reverse("comments:permalink", args=[held.pk])).status_code == 404
    assert client.get(reverse("comments:permalink", args=[999999])).status_code == 404


def test_an_old_wordpress_anchor_is_found_on_its_post(client, post, thread):
    """/comments/N/?on=POST also takes the WordPress id an imported comment had (its old #comment-N)."""
    roots, _reply, _late = thread
    Comment.objects.filter(pk=roots[2].pk).update(wordpress_id=4242)
    response = client.get(reverse("comments:permalink", args=[4242]), {"on": post.pk})
    assert response["Location"] == f"{post.get_absolute_url()}comment-page-1/#comment-{roots[2].pk}"


def test_reply_links_answer_on_the_same_page(client, post, thread):
    """Without JavaScript, Reply on page 1 opens page 1's form answering that comment."""
    roots, _reply, _late = thread
    page_one = f"{post.get_absolute_url()}comment-page-1/"
    assert f'href="{page_one}?replytocom={roots[3].pk}#respond"' in client.get(page_one).content.decode()
    form = client.get(page_one, {"replytocom": roots[3].pk}).content.decode()
    assert f"Leave a Reply to {roots[3].author_name}" in form


def test_a_readers_own_held_comment_closes_the_newest_page_for_them_only(reader, post, thread, settings):
    """A guest's held top-level comment is shown to them at the end of the newest page, and to nobody else."""
    settings.COMMENTS_MIN_SECONDS = 0
    from tests.test_leave_a_reply import post_as_guest

    assert post_as_guest(reader, post, comment="Mine, waiting.").status_code == 302
    mine = Comment.objects.get(body="Mine, waiting.")

    assert shown(reader.get(post.get_absolute_url()))[-1] == mine.pk
    assert mine.pk not in shown(Client().get(post.get_absolute_url()))
    assert mine.get_absolute_url() == f"{post.get_absolute_url()}#comment-{mine.pk}"


def test_the_first_page_of_ten_thousand_comments_costs_what_a_short_thread_costs(client, make_post, settings):
    """A post with 10,000 comments shows 50 top-level ones and their replies, in the same six queries."""
    settings.COMMENTS_PER_PAGE = 50
    post = make_post()
    start = timezone.now() - timedelta(days=30)
    roots = Comment.objects.bulk_create(
        Comment.build(
            post=post,
            body=f"Comment {n}.",
            author_name=f"R{n}",
            author_email=f"r{n}@example.com",
            status=Status.APPROVED,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(8000)
    )
    Comment.objects.bulk_create(
        Comment.build(post=post, parent=roots[n], body=f"Reply {n}.", author_name="A", author_email="a@x.org",
                      status=Status.APPROVED)
        for n in range(0, 8000, 4)
    )  # fmt: skip
    client.get(post.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(post.get_absolute_url())

    assert "10000 thoughts on" in response.content.decode()
    assert len(shown(response)) == 50 + 50 // 4
    assert len(queries) <= 6
