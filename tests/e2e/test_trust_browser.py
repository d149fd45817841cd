"""Trusting a commenter in a real browser: the comment list's action, and the list of trusted commenters."""

import pytest
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
def held(make_post, make_comment):
    """Marianne North's first comment, held for a moderator, and Beatrix Potter's, approved."""
    from comments.models import Reason, Status

    article = make_post("Notes from the allotment", slug="notes-from-the-allotment")
    make_comment(article, author_name="Beatrix Potter", author_email="beatrix@example.org", body="Rabbits got mine.")
    return make_comment(
        article,
        status=Status.PENDING,
        reason=Reason.FIRST_COMMENT,
        author_name="Marianne North",
        author_email="Marianne@North.example",
        body="The broad beans came up in a week here too.",
    )


def test_a_moderator_trusts_an_author_and_finds_them_in_the_list(make_page, moderator, held):
    """Select a held comment, choose "Trust this author", and the author is listed under Trusted commenters; an
    address is added by hand; the pages pass axe, and the list fits a phone."""
    page = make_page()
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/?status=pending")
    row = page.locator("#result_list tbody tr", has_text="Marianne North")
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Trust this author (skips the link and word holds)")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist li", has_text="1 author now trusted.")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto("/admin/")
    page.get_by_role("link", name="Trusted commenters", exact=True).click()
    row = page.locator("#result_list tbody tr", has_text="marianne@north.example")
    expect(row).to_contain_text("Mo Derator")
    expect(page.get_by_role("heading", name="Trusted commenters", exact=True)).to_be_visible()
    assert_no_axe_violations(page)
    save_screenshot(page, "trusted-commenters")

    page.get_by_role("link", name="Add trusted commenter").click()
    page.get_by_label("Email address").fill("Gertrude@Jekyll.example")
    page.get_by_label("Note").fill("Writes the gardening column with us.")
    assert_no_axe_violations(page)
    save_screenshot(page, "trusted-commenter-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list tbody tr", has_text="gertrude@jekyll.example")).to_contain_text("Mo Derator")

    phone = make_page(viewport=PHONE, mobile=True)
    log_in_to_admin(phone, moderator)
    phone.goto("/admin/comments/trustedcommenter/")
    expect(phone.locator("#result_list tbody tr", has_text="marianne@north.example")).to_be_visible()
    assert_no_axe_violations(phone)
    save_screenshot(phone, "trusted-commenters")
    assert horizontal_overflow(phone) <= 0, widest_elements(phone)
