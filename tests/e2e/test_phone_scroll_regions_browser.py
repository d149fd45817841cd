"""Wide content on a phone: a long line of code in an article, a comment's long history in the admin.

At 390 px both used to scroll sideways inside a box no keyboard could reach (axe:
scrollable-region-focusable). They must fit or be reachable, with no axe violation at all.
"""

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from .browser import assert_no_axe_violations, horizontal_overflow, log_in_to_admin, save_screenshot, widest_elements

pytestmark = pytest.mark.django_db(transaction=True)

LONG_LINE = (
    "rsync --archive --delete --exclude=.cache --exclude=node_modules "
    "~/notebooks/commonplace-book/ backup@allotment.example:/srv/backups/commonplace-book/2026/"
)
LONG_NOTE = (
    "Akismet did not answer within 3 seconds (ReadTimeout: HTTPSConnectionPool(host='rest.akismet.com', "
    "port=443): Read timed out); asking again in 0:02:00."
)


@pytest.fixture
def comment_with_a_long_history(make_comment, moderator):
    """A comment held by Akismet's silence three times, then approved, unapproved, trashed and restored."""
    from comments.models import Actor, Reason, Status
    from comments.moderation import change_status, moderate, record_received

    comment = make_comment(
        status=Status.PENDING, reason=Reason.SPAM_CHECK, author_name="Beatrix Potter", body="Rabbits got mine."
    )
    record_received(comment)
    for _ in range(3):
        change_status(comment, Status.PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_UNREACHABLE, note=LONG_NOTE)
    for action in ("approve", "unapprove", "trash", "restore", "approve"):
        moderate(comment, action, moderator=moderator, note="Via the link in the moderation email.")
    return comment


def test_an_article_with_a_long_line_of_code_passes_axe_on_a_phone(phone_page, make_post):
    """At 390 px an article whose <pre> holds one long command has no axe violation and no sideways page scroll."""
    post = make_post(
        "Backing up the commonplace book",
        body=f"<p>Once a week, before the kettle boils:</p><pre><code>{LONG_LINE}</code></pre><p>That is all.</p>",
    )
    phone_page.goto(post.get_absolute_url())
    code = phone_page.locator(".entry-content pre")
    expect(code).to_contain_text(LONG_LINE)

    assert code.evaluate("pre => pre.scrollWidth <= pre.clientWidth"), "the line of code is cut off at 390 px"
    save_screenshot(phone_page, "article-long-code")
    assert_no_axe_violations(phone_page)
    assert horizontal_overflow(phone_page) <= 0, widest_elements(phone_page)


def test_a_comments_long_history_passes_axe_on_a_phone(make_page, comment_with_a_long_history, moderator):
    """At 390 px a comment's admin page with nine history rows passes axe; the keyboard scrolls its table to Note."""
    from .browser import PHONE

    page = make_page(PHONE, mobile=True)
    log_in_to_admin(page, moderator)
    page.goto(f"/admin/comments/comment/{comment_with_a_long_history.pk}/change/")
    history = page.get_by_role("region", name="History")
    expect(history.locator("tbody tr")).to_have_count(9)
    expect(history).to_contain_text("Akismet did not answer within 3 seconds")

    save_screenshot(page, "admin-comment-long-history")
    assert_no_axe_violations(page)
    assert horizontal_overflow(page) <= 0, widest_elements(page)

    table = history.get_by_role("group", name="History")
    table.focus()
    expect(table).to_be_focused()
    at_the_end = "box => box.scrollLeft > 0 && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1"
    moved_on = "([box, before]) => box.scrollLeft > before || box.scrollLeft + box.clientWidth >= box.scrollWidth - 1"
    for _ in range(40):
        if table.evaluate(at_the_end):
            break
        before = table.evaluate("box => box.scrollLeft")
        page.keyboard.press("ArrowRight")
        # A smooth scroll still running, or a busy machine, may make one press's effect late: wait for it to show,
        # and press again if it does not (the loop, not a deadline, decides).
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(moved_on, arg=[table.element_handle(), before], timeout=10_000)
    assert table.evaluate(at_the_end), "the arrow keys never brought the table's last column into view"
    note = history.get_by_role("columnheader", name="Note").bounding_box()
    box = table.bounding_box()
    assert note["x"] + note["width"] <= box["x"] + box["width"] + 2, "the Note column is still cut off"
