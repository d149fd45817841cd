"""Thread controls in a real browser: a moderator pins a comment and closes commenting from the admin, and readers
see the pinned comment first, placeholders where comments were removed, and the closed notice; at 1280 and 390 px,
with axe."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .browser import DESKTOP, PHONE, assert_no_axe_violations, horizontal_overflow, log_in_to_admin, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def thread(make_post, make_comment, moderator):
    """An article with three conversations: one pinned, one whose opening comment a moderator trashed, one whose
    nested comment its author deleted (each answered)."""
    from django.utils import timezone

    from comments import erasure
    from comments.moderation import moderate

    post = make_post("On keeping a commonplace book", slug="on-keeping-a-commonplace-book")
    start = timezone.now() - timedelta(days=1)
    first = make_comment(post, author_name="Ada", body="I copy a line a day.", created_at=start)
    trashed = make_comment(
        post, author_name="Shouty", body="Everything here is wrong!!!", created_at=start + timedelta(hours=1)
    )
    make_comment(parent=trashed, author_name="Bea", body="I found it useful, for what it's worth.")
    pinned = make_comment(
        post, author_name="Margot Ellery", body="Thank you all: the index trick is in part two.", created_at=start
    )
    deleted = make_comment(parent=first, author_name="Cal", body="Which notebook?")
    make_comment(parent=deleted, author_name="Ada", body="A plain A5 one, Cal.")
    moderate(trashed, "trash", moderator=moderator)
    erasure.delete(deleted)
    return post, pinned


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_reader_sees_the_pinned_comment_first_and_placeholders_in_place(make_page, thread, moderator, viewport):
    """A moderator pins from the comment's page; the reader sees it first, labelled, and both placeholders with
    their replies under them; nothing overflows, and axe finds nothing."""
    post, pinned = thread
    page = make_page(viewport, mobile=viewport is PHONE)
    log_in_to_admin(page, moderator)
    page.goto(f"/admin/comments/comment/{pinned.pk}/change/")
    page.get_by_role("button", name="Pin", exact=True).click()
    expect(page.get_by_text("was pinned first on page 1 of its thread")).to_be_visible()
    expect(page.get_by_role("button", name="Unpin")).to_be_visible()
    page.context.clear_cookies()

    page.goto(post.get_absolute_url())
    comments = page.locator("ol.comment-list > li")
    expect(comments.first).to_contain_text("Margot Ellery")
    expect(comments.first.locator(".comment-pinned-label")).to_have_text("Pinned")
    expect(page.get_by_text("This comment was removed by a moderator.")).to_be_visible()
    expect(page.get_by_text("This comment was deleted by its author.")).to_be_visible()
    expect(page.locator("li.comment-removed li", has_text="I found it useful")).to_be_visible()
    expect(page.locator("li.comment-removed li", has_text="A plain A5 one")).to_be_visible()
    expect(page.get_by_text("Everything here is wrong")).to_have_count(0)
    expect(page.get_by_text("Which notebook?")).to_have_count(0)
    assert horizontal_overflow(page) <= 0
    page.locator("#comments").scroll_into_view_if_needed()
    save_screenshot(page, "thread-pinned-and-placeholders")
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_moderator_closes_commenting_and_readers_see_why(make_page, thread, moderator, viewport):
    """Closed from the admin's "closing comments site-wide" page: the article says why above its thread, has no form
    and no Reply links, and keeps its comments; both pages pass axe."""
    post, _pinned = thread
    page = make_page(viewport, mobile=viewport is PHONE)
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/commentingclosure/")
    page.get_by_label("Closed on the whole site").check()
    message = "Comments are closed during the election; they open again on Monday."
    page.get_by_label("Message:", exact=True).fill(message)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "closing-comments-admin")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    page.context.clear_cookies()

    page.goto(post.get_absolute_url())
    notice = page.locator(".comments-closed-notice")
    expect(notice).to_have_text(message)
    expect(page.locator("#commentform")).to_have_count(0)
    expect(page.locator(".comment-reply-link")).to_have_count(0)
    expect(page.get_by_text("I copy a line a day.")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    notice.scroll_into_view_if_needed()
    save_screenshot(page, "thread-closed-site-wide")
    assert_no_axe_violations(page)
