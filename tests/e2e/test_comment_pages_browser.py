"""A long thread in a real browser: pages of comments, their links, and old anchors that find their page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .browser import DESKTOP, PHONE, assert_no_axe_violations, horizontal_overflow, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def long_thread(make_post, settings):
    """An article with twelve top-level comments at five a page: three pages, the newest shown first."""
    from django.utils import timezone

    from comments.models import Comment, Status

    settings.COMMENTS_PER_PAGE = 5
    post = make_post("A thread that runs on", slug="a-thread-that-runs-on")
    start = timezone.now() - timedelta(days=2)
    comments = []
    for number in range(12):
        comment = Comment.build(
            post=post,
            body=f"Thought number {number + 1}, on margins and pencils.",
            author_name=f"Reader {number + 1}",
            author_email=f"reader{number + 1}@example.com",
            status=Status.APPROVED,
            created_at=start + timedelta(hours=number),
        )
        comment.save()
        comments.append(comment)
    return post, comments


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_reader_pages_back_through_a_long_thread(make_page, live_server, long_thread, viewport):
    """The article shows the newest comments and "Older comments" leads back page by page; axe finds nothing."""
    post, _comments = long_thread
    page = make_page(viewport, mobile=viewport is PHONE)
    page.goto(post.get_absolute_url())

    expect(page.get_by_role("heading", name="12 thoughts on “A thread that runs on”")).to_be_visible()
    expect(page.locator(".comment-navigation").first).to_contain_text("Comments page 3 of 3")
    expect(page.locator("li.comment")).to_have_count(2)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "comment-pages-newest")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="« Older comments").first.click()
    expect(page).to_have_url(f"{live_server.url}{post.get_absolute_url()}comment-page-2/#comments")
    expect(page.locator("li.comment")).to_have_count(5)
    expect(page.get_by_text("Thought number 6,")).to_be_visible()
    expect(page.get_by_role("link", name="Newer comments »").first).to_be_visible()
    save_screenshot(page, "comment-pages-middle")
    assert_no_axe_violations(page)


def test_an_old_link_to_a_comment_on_another_page_lands_on_it(page, live_server, long_thread):
    """#comment-N on the article's address, for a comment now on page 1, is found and shown (with JavaScript)."""
    post, comments = long_thread
    first = comments[0]
    page.goto(f"{post.get_absolute_url()}#comment-{first.pk}")

    expect(page).to_have_url(f"{live_server.url}{post.get_absolute_url()}comment-page-1/#comment-{first.pk}")
    expect(page.locator(f"#comment-{first.pk}")).to_be_in_viewport()
