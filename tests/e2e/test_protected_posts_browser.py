"""A password-protected post in a real browser: its form, a wrong password, the right one, at 1280 and 390 px."""

import re

import pytest
from playwright.sync_api import expect

from .browser import DESKTOP, PHONE, assert_no_axe_violations, horizontal_overflow, save_screenshot, watch_of

pytestmark = pytest.mark.django_db(transaction=True)


def forgive_forbidden(page):
    """Drop the console error Chromium logs for the wrong password's deliberate 403 status, and nothing else."""
    errors = watch_of(page).console_errors
    expected = re.compile(r"Failed to load resource: .*status of 403 .*/posts/\d+/password/")
    errors[:] = [error for error in errors if not expected.match(error)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_reader_opens_a_protected_post_with_its_password(make_page, live_server, make_post, make_comment, viewport):
    """The form stands in for the text and comments; a wrong password says so at the field; the right one opens the
    post and its comments. No axe violation and no sideways scrolling at any step."""
    post = make_post("Members only", slug="members-only", body="<p>The word is pumpernickel.</p>", password="crumbs")
    make_comment(post, body="Only members read this.", author_name="Member")
    page = make_page(viewport, mobile=viewport is PHONE)
    page.goto(post.get_absolute_url())

    expect(page.get_by_role("heading", level=1)).to_have_text("Protected: Members only")
    expect(page.get_by_text("This content is password protected.")).to_be_visible()
    expect(page.get_by_text("pumpernickel")).to_have_count(0)
    expect(page.get_by_text("Only members read this.")).to_have_count(0)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "protected-post-form")
    assert_no_axe_violations(page)

    page.get_by_label("Password:").fill("rye")
    page.get_by_role("button", name="Enter").click()
    expect(page.get_by_role("alert")).to_have_text("That is not the password of this post. Please try again.")
    expect(page.get_by_label("Password:")).to_have_attribute("aria-invalid", "true")
    forgive_forbidden(page)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "protected-post-wrong-password")
    assert_no_axe_violations(page)

    page.get_by_label("Password:").fill("crumbs")
    page.get_by_label("Password:").press("Enter")
    expect(page).to_have_url(f"{live_server.url}{post.get_absolute_url()}")
    expect(page.get_by_text("The word is pumpernickel.")).to_be_visible()
    expect(page.get_by_text("Only members read this.")).to_be_visible()
    expect(page.get_by_role("heading", name="Leave a Reply")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "protected-post-open")
    assert_no_axe_violations(page)
