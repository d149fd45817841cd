"""Banning in a real browser: "Ban this author…" from a comment's row and change page, the ban list, and the banned
reader's polite refusal, at 1280 and 390 px, each passing axe."""

import re

import pytest
from playwright.sync_api import expect

from .browser import PHONE, assert_no_axe_violations, horizontal_overflow, log_in_to_admin, save_screenshot
from .test_leave_a_reply_browser import (
    captcha_answer,
    fill_guest_form,
    forgive_bad_request,
    form_field,
    post_comment_button,
    wait_for_captcha,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_speed_trap(settings):
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


@pytest.fixture
def troll(make_post, make_comment):
    """An article where Wat Tyler has two approved comments and a pending one, and Gertrude one approved comment."""
    from comments.models import Status

    article = make_post("Notes from the allotment", slug="notes-from-the-allotment")
    common = {"author_name": "Wat Tyler", "author_email": "wat@rebels.example", "ip_address": "203.0.113.40"}
    make_comment(article, body="Your beans are a disgrace.", **common)
    make_comment(article, body="Nobody grows carrots like that.", **common)
    pending = make_comment(article, body="I will keep saying it.", status=Status.PENDING, **common)
    make_comment(article, author_name="Gertrude Jekyll", body="Plant the beans where the peas were.")
    return article, pending


def notice(page, text):
    return page.locator(".messagelist li", has_text=text)


def test_ban_this_author_from_a_comments_row(make_page, moderator, troll):
    """From the queue's row, "Ban this author…" opens a form filled in from the comment; saved with "reject everything",
    the moderator is back in the queue, and the article shows none of the author's comments."""
    article, _ = troll
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/?status=pending")
    row = page.locator("#result_list tbody tr", has_text="Wat Tyler")
    save_screenshot(page, "ban-queue-row")
    row.get_by_role("link", name="Ban this author… (comment by Wat Tyler)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ban the author of a comment: Wat Tyler")
    expect(page.locator(".ban-from-comment")).to_contain_text("I will keep saying it.")
    expect(page.get_by_role("radio", name="Email address")).to_be_checked()
    expect(page.get_by_role("textbox", name="Email address")).to_have_value("wat@rebels.example")
    expect(page.get_by_role("textbox", name="Email domain")).to_have_value("rebels.example")
    expect(page.get_by_role("textbox", name="Network")).to_have_value("203.0.113.0/24")
    expect(page.locator(".ban-reach")).to_contain_text("Email address wat@rebels.example: 3")
    page.get_by_role("textbox", name="Reason").fill("Insults other gardeners. Write to the editor to talk it over.")
    page.get_by_role("checkbox", name="Reject everything they wrote before").check()
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-from-comment")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/comments/comment/\?status=pending$"))
    expect(notice(page, "3 earlier comments moved to the Trash.")).to_be_visible()
    expect(notice(page, "Banned: email wat@rebels.example.")).to_be_visible()
    expect(page.locator("#result_list tbody tr", has_text="Wat Tyler")).to_have_count(0)
    save_screenshot(page, "ban-back-in-the-queue")

    page.goto("/admin/comments/ban/")
    expect(page.locator("#result_list tbody tr")).to_contain_text("Insults other gardeners.")
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-list")

    reader = make_page()
    reader.goto(article.get_absolute_url())
    expect(reader.locator(".comment-list, #comments").first).to_contain_text("Plant the beans where the peas were.")
    expect(reader.get_by_text("Your beans are a disgrace.")).to_have_count(0)


def test_ban_this_author_on_a_phone(make_page, moderator, troll):
    """At 390 px the queue's rows with "Ban this author…", the form opened from the change page and the ban list fit
    the screen and pass axe."""
    _, pending = troll
    page = make_page(PHONE, mobile=True)
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/?status=pending")
    expect(page.get_by_role("link", name="Ban this author… (comment by Wat Tyler)")).to_be_visible()
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-queue-row")
    assert horizontal_overflow(page) <= 0
    page.goto(f"/admin/comments/comment/{pending.pk}/change/")
    page.get_by_role("link", name="Ban this author…").click()
    expect(page.get_by_role("textbox", name="Network")).to_have_value("203.0.113.0/24")
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-from-comment")
    assert horizontal_overflow(page) <= 0

    page.get_by_role("radio", name="Network (IP range)").check()
    page.get_by_role("textbox", name="Reason").fill("Spam from this network.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/comments/comment/{pending.pk}/change/$"))
    page.goto("/admin/comments/ban/")
    expect(page.locator("#result_list tbody tr")).to_contain_text("network 203.0.113.0/24")
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-list")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_banned_reader_is_told_why_and_keeps_their_text(make_page, troll, viewport):
    """A reader whose email domain is banned posts through the real form: the page says so with the reason, keeps
    their text, and nothing is stored."""
    from comments import bans
    from comments.models import Ban, Comment

    article, _ = troll
    ban = Ban(kind=Ban.Kind.DOMAIN, reason="This domain sends nothing but spam. <b>Sorry</b>.")
    bans.aim(ban, text="rebels.example")
    ban.save()
    page = make_page(PHONE, mobile=True) if viewport == "phone" else make_page()
    page.goto(article.get_absolute_url())
    fill_guest_form(page, comment="Just one more thing.", email="jack@rebels.example", name="Jack Straw")
    wait_for_captcha(page).fill(captcha_answer(page))
    post_comment_button(page).click()

    refusal = page.get_by_text("the moderators of this site have stopped you commenting")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("The reason they give: This domain sends nothing but spam. <b>Sorry</b>.")
    expect(page.locator(".form-error-summary")).to_contain_text("Your comment was not posted, and will not be")
    expect(form_field(page, "Comment")).to_have_value("Just one more thing.")
    forgive_bad_request(page)
    assert_no_axe_violations(page)
    save_screenshot(page, "ban-refused")
    assert horizontal_overflow(page) <= 0
    assert not Comment.objects.filter(body="Just one more thing.").exists()
