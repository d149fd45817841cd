"""The faster queue in a real browser: WordPress's keys move through the comments and act on them, announced in a
status region; an author's panel and "Not reviewed yet" pass axe and fit a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .browser import (
    PHONE,
    assert_no_axe_violations,
    horizontal_overflow,
    log_in_to_admin,
    save_screenshot,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(make_post, make_comment):
    """Newest first in the list: Marianne's comment held (her first), Gertrude's published by the rules and
    never reviewed, Beatrix's held, and an older one of Marianne's in the trash."""
    from comments.models import Actor, Reason, Status
    from comments.moderation import change_status, record_received

    article = make_post("Notes from the allotment", slug="notes-from-the-allotment")
    now = timezone.now()

    def arrive(minutes_ago, status, reason, **fields):
        comment = make_comment(
            article,
            status=Status.PENDING,
            reason=Reason.SPAM_CHECK,
            created_at=now - timedelta(minutes=minutes_ago),
            **fields,
        )
        record_received(comment)
        change_status(comment, status, actor=Actor.RULE, reason=reason, note="Akismet: not spam")
        return comment

    marianne = {"author_name": "Marianne North", "author_email": "marianne@example.org"}
    held = arrive(1, Status.PENDING, Reason.FIRST_COMMENT, body="The broad beans came up in a week.", **marianne)
    published = arrive(
        2, Status.APPROVED, Reason.KNOWN_AUTHOR, author_name="Gertrude Jekyll", body="Plant beans where peas were."
    )
    other = arrive(3, Status.PENDING, Reason.FIRST_COMMENT, author_name="Beatrix Potter", body="Rabbits got mine.")
    trashed = arrive(60, Status.TRASH, Reason.MODERATOR, body="An older, rude one.", **marianne)
    return {"held": held, "published": published, "other": other, "trashed": trashed}


def current_row(page):
    return page.locator('#result_list tbody tr[aria-current="true"]')


def status_region(page):
    return page.get_by_role("status")


def test_moderator_moves_with_j_and_k_and_approves_with_a(make_page, moderator, queue):
    """j and k move the outlined, focused row and say which comment it is; a approves it through its button, and
    the reloaded list shows it approved, keeps it current and says what was done."""
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/")
    shortcuts = page.locator("details.queue-shortcuts")
    expect(shortcuts).to_be_visible()
    shortcuts.locator("summary").click()
    expect(shortcuts).to_contain_text("Next comment")

    page.keyboard.press("j")
    expect(current_row(page)).to_contain_text("Marianne North")
    expect(current_row(page)).to_be_focused()
    expect(status_region(page)).to_have_text("Comment 1 of 3: by Marianne North, Pending.")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(status_region(page)).to_have_text("Comment 3 of 3: by Beatrix Potter, Pending.")
    page.keyboard.press("j")  # the last stays the last
    expect(current_row(page)).to_contain_text("Beatrix Potter")
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(current_row(page)).to_contain_text("Marianne North")
    assert current_row(page).evaluate("row => getComputedStyle(row).outlineStyle") == "solid"
    assert_no_axe_violations(page)
    save_screenshot(page, "queue-keyboard")

    page.keyboard.press("a")

    expect(page.locator(".messagelist li.success")).to_contain_text("The comment by Marianne North was approved.")
    row = current_row(page)
    expect(row).to_contain_text("Marianne North")
    expect(row.locator(".comment-status")).to_have_text("Approved")
    expect(row).to_be_focused()
    expect(status_region(page)).to_have_text(
        "The comment by Marianne North was approved. Now comment 1 of 3: by Marianne North, Approved."
    )
    queue["held"].refresh_from_db()
    assert queue["held"].status == "approved"


def test_keys_do_nothing_while_typing_or_once_turned_off(make_page, moderator, queue):
    """Letters typed in the search box stay in it; with the shortcuts turned off (remembered), j moves nothing."""
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/")
    search = page.locator("#searchbar")
    search.fill("")
    search.press_sequentially("jaks")
    expect(search).to_have_value("jaks")
    expect(current_row(page)).to_have_count(0)
    queue["held"].refresh_from_db()
    assert queue["held"].status == "pending"

    page.locator("details.queue-shortcuts summary").click()
    page.get_by_label("Turn the keyboard shortcuts off (in this browser)").check()
    expect(status_region(page)).to_have_text("Keyboard shortcuts off.")
    page.reload()
    expect(page.get_by_label("Turn the keyboard shortcuts off (in this browser)")).to_be_checked()
    page.locator("body").press("j")
    expect(current_row(page)).to_have_count(0)


def test_spam_trash_reply_and_select_by_key(make_page, moderator, queue):
    """s marks the current comment spam and the next one takes its place in Pending; x selects it for the bulk
    actions; r opens its page with the cursor in the reply box."""
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/?status=pending")
    page.keyboard.press("j")
    expect(current_row(page)).to_contain_text("Marianne North")

    page.keyboard.press("s")

    expect(page.locator(".messagelist li.success")).to_contain_text("The comment by Marianne North was marked as spam.")
    expect(current_row(page)).to_contain_text("Beatrix Potter")
    expect(status_region(page)).to_contain_text("Now comment 1 of 1: by Beatrix Potter, Pending.")
    page.keyboard.press("x")
    expect(current_row(page).locator("input.action-select")).to_be_checked()
    expect(status_region(page)).to_contain_text("Selected comment 1 of 1")

    page.keyboard.press("r")

    expect(page).to_have_url(re.compile(rf"/admin/comments/comment/{queue['other'].pk}/change/.*#id_reply-body$"))
    expect(page.get_by_label("Reply as Mo Derator")).to_be_focused()


def test_queue_works_without_javascript(make_page, moderator, queue):
    """Without JavaScript the shortcuts' list stays hidden and the buttons still do the work."""
    page = make_page(java_script_enabled=False)
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/?status=pending")
    expect(page.locator("details.queue-shortcuts")).to_be_hidden()
    page.get_by_role("button", name="Approve (comment by Beatrix Potter)").click()
    expect(page.locator(".messagelist li.success")).to_contain_text("The comment by Beatrix Potter was approved.")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_queue_panel_and_not_reviewed_pass_axe(make_page, moderator, queue, viewport):
    """The queue with a current row, Not reviewed yet, and Marianne's panel (reached from her name) pass axe and fit
    the screen, at 1280 and 390 px."""
    page = make_page(PHONE, mobile=True) if viewport == "phone" else make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/")
    page.locator("details.queue-shortcuts summary").click()
    page.keyboard.press("j")
    expect(current_row(page)).to_be_focused()
    assert_no_axe_violations(page)
    save_screenshot(page, "queue-shortcuts")
    assert horizontal_overflow(page) <= 0, widest_elements(page)

    tab = page.get_by_role("navigation", name="Comments by status").get_by_role("link", name="Not reviewed yet")
    tab.click()
    expect(tab).to_have_attribute("aria-current", "page")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Gertrude Jekyll")
    assert_no_axe_violations(page)
    save_screenshot(page, "queue-not-reviewed")
    assert horizontal_overflow(page) <= 0, widest_elements(page)
    page.keyboard.press("j")
    page.keyboard.press("v")
    expect(page.locator(".messagelist li.success")).to_contain_text(
        "The comment by Gertrude Jekyll was marked reviewed."
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(0)

    page.goto("/admin/comments/comment/")
    page.locator("#result_list").get_by_role("link", name="Marianne North", exact=True).click()
    expect(page.get_by_role("heading", name="Comments by Marianne North")).to_be_visible()
    expect(page.locator(".author-status-counts")).to_contain_text("Trash (1)")
    expect(page.locator(".author-comments tbody tr")).to_have_count(2)
    assert_no_axe_violations(page)
    save_screenshot(page, "queue-author-panel")
    assert horizontal_overflow(page) <= 0, widest_elements(page)
