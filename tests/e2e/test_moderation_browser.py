"""Moderating in a real browser: a moderator logs in, finds the queue, approves a comment, and readers see it."""

import re

import pytest
from playwright.sync_api import expect

from .browser import (
    PHONE,
    SCREENSHOT_DIR,
    assert_no_axe_violations,
    horizontal_overflow,
    log_in_to_admin,
    save_screenshot,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(make_post, make_comment):
    """An article with a mixed queue, each comment with the history the pipeline would have written.

    Published: Gertrude's comment and Ada's reply. Held: Marianne's first comment (rules) and
    Beatrix's (Akismet unreachable, twice). Spam: one Akismet caught.
    """
    from comments.models import Actor, Reason, Status
    from comments.moderation import change_status, record_received

    def arrive(post, *, status, reason, actor=Actor.RULE, note="", **fields):
        comment = make_comment(post, status=Status.PENDING, reason=Reason.SPAM_CHECK, **fields)
        record_received(comment)
        change_status(comment, status, actor=actor, reason=reason, note=note)
        return comment

    article = make_post("Notes from the allotment", slug="notes-from-the-allotment")
    gertrude = arrive(
        article,
        status=Status.APPROVED,
        reason=Reason.KNOWN_AUTHOR,
        note="Akismet: not spam",
        author_name="Gertrude Jekyll",
        body="Plant the beans where the peas were last year.",
    )
    arrive(
        article,
        status=Status.APPROVED,
        reason=Reason.KNOWN_AUTHOR,
        note="Akismet: not spam",
        parent=gertrude,
        author_name="Ada Lovelace",
        body="Thank you - the peas left the soil rich.",
    )
    newcomer = arrive(
        article,
        status=Status.PENDING,
        reason=Reason.FIRST_COMMENT,
        note="Akismet: not spam",
        author_name="Marianne North",
        author_email="marianne@example.org",
        author_url="https://north.example",
        body="The broad beans came up in a week here too.\n\nThe carrots are <em>still</em> thinking about it.",
    )
    arrive(
        article,
        status=Status.PENDING,
        reason=Reason.AKISMET_UNREACHABLE,
        actor=Actor.AKISMET,
        note="Attempt 2 failed; asking again in 0:01:00.",
        akismet_attempts=2,
        author_name="Beatrix Potter",
        body="Rabbits got mine.",
    )
    arrive(
        article,
        status=Status.SPAM,
        reason=Reason.AKISMET_SPAM,
        actor=Actor.AKISMET,
        author_name="Cheap Watches",
        body="Buy watches at http://spam.example",
    )
    return article, newcomer


def notice(page, text):
    """A message or note above the admin page's content."""
    return page.locator(".messagelist li", has_text=text)


def test_moderator_approves_a_comment_from_the_list(make_page, moderator, queue):
    """A moderator logs in, sees two pending, approves Marianne's comment in one click, and readers then see it."""
    article, newcomer = queue
    page = make_page()
    log_in_to_admin(page, moderator)

    pending = page.get_by_role("link", name="2 pending", exact=True)
    expect(pending).to_be_visible()
    assert_no_axe_violations(page)
    save_screenshot(page, "admin-index-pending")
    pending.click()
    expect(
        page.get_by_role("navigation", name="Comments by status").get_by_role("link", name="Pending (2)")
    ).to_have_attribute("aria-current", "page")
    expect(notice(page, "Akismet is not configured: every comment waits for you.")).to_be_visible()
    expect(notice(page, "1 comment waits because Akismet could not be reached")).to_be_visible()
    row = page.locator("#result_list tbody tr", has_text="Marianne North")
    expect(row).to_contain_text("marianne@example.org")
    expect(row).to_contain_text("Author has no approved comment yet")
    expect(row.locator("em")).to_have_text("still")
    assert_no_axe_violations(page)
    save_screenshot(page, "moderation-pending")

    row.get_by_role("button", name="Approve (comment by Marianne North)").click()
    expect(notice(page, "The comment by Marianne North was approved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/comments/comment/\?status=pending$"))
    expect(page.locator("#result_list tbody tr", has_text="Marianne North")).to_have_count(0)
    expect(page.get_by_role("link", name="Pending (1)")).to_be_visible()

    reader = make_page()
    reader.goto(article.get_absolute_url())
    shown = reader.locator(f"#comment-{newcomer.pk}")
    expect(shown).to_contain_text("The broad beans came up in a week here too.")
    expect(shown).not_to_contain_text("awaiting moderation")
    expect(reader.locator(".staff-pending")).to_have_count(0)

    page.goto(article.get_absolute_url())
    expect(page.get_by_role("link", name="1 pending")).to_have_attribute(
        "href", "/admin/comments/comment/?status=pending"
    )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.locator(".site-header").screenshot(path=SCREENSHOT_DIR / "moderation-site-header-1280.png")


def test_comments_list_and_change_page_screenshots(make_page, moderator, queue):
    """The list (desktop and phone) and a comment's page, with its history and reply box, pass axe and fit the phone."""
    _, newcomer = queue
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/")
    expect(page.get_by_role("link", name="All (4)")).to_have_attribute("aria-current", "page")
    save_screenshot(page, "moderation-list")

    page.get_by_role("link", name="Spam (1)").click()
    row = page.locator("#result_list tbody tr", has_text="Cheap Watches")
    expect(row.get_by_role("button", name="Not spam (comment by Cheap Watches)")).to_be_visible()
    expect(row.get_by_role("button", name="Delete permanently (comment by Cheap Watches)")).to_be_visible()

    page.goto(f"/admin/comments/comment/{newcomer.pk}/change/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    page.get_by_label("Reply as Mo Derator").fill("Welcome, Marianne - sow the carrots thinly.")
    assert_no_axe_violations(page)
    save_screenshot(page, "moderation-change-page")
    page.get_by_role("button", name="Publish reply").click()
    expect(notice(page, "Your reply is published.")).to_be_visible()
    expect(page.locator(".comment-state")).to_contain_text("Approved")

    phone = make_page(PHONE, mobile=True)
    log_in_to_admin(phone, moderator)
    phone.goto("/admin/comments/comment/?status=pending")
    expect(phone.locator("#result_list tbody tr", has_text="Beatrix Potter")).to_contain_text("2 attempts")
    assert_no_axe_violations(phone)
    save_screenshot(phone, "moderation-list")
    assert horizontal_overflow(phone) <= 0


def test_the_pending_count_in_the_admin_header_on_a_phone(make_page, moderator, queue):
    """At 390 px the admin's header shows "2 pending" beside View site, the page passes axe and fits the screen."""
    page = make_page(PHONE, mobile=True)
    log_in_to_admin(page, moderator)
    expect(page.locator("#user-tools").get_by_role("link", name="2 pending", exact=True)).to_be_visible()
    save_screenshot(page, "admin-index-pending-phone")
    assert_no_axe_violations(page)
    assert horizontal_overflow(page) <= 0, widest_elements(page)
