"""Commenting with an account, in Chromium: out to the (local) provider and back, with JavaScript on and off.

The providers are the local fake (tests/fakes/oauth_server.py) on 127.0.0.1, so the browser really
leaves the site: the Content-Security-Policy's form-action must let it, and the page watch fails
the test on any CSP violation or third-party request.
"""

import re

import pytest
from playwright.sync_api import expect

from .browser import (
    PHONE,
    SCREENSHOT_DIR,
    assert_no_axe_violations,
    assert_page_clean,
    horizontal_overflow,
    save_screenshot,
    watch_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

DRAFT = "Try comfrey tea on the carrots:\nit worked on my broad beans."
POSTED_URL = re.compile(r"#comment-(\d+)$")
WATCH_STATUS = """() => {
    const status = document.getElementById("social-login-status");
    new MutationObserver(() => sessionStorage.setItem("login-status", status.textContent))
        .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def comment_box(page):
    return page.locator("#commentform").get_by_role("textbox", name="Comment", exact=True)


def respond_screenshot(page, name):
    """The "Leave a Reply" block alone, as test-artifacts/screenshots/<name>-<width>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.locator("#respond").screenshot(
        path=SCREENSHOT_DIR / f"{name}-{page.viewport_size['width']}.png", animations="disabled"
    )


def log_in_at_provider(page, fake):
    """On the provider's page: the person it suggests, "Log in"."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake.url)}/"))
    expect(page.get_by_role("heading", name="Local test provider")).to_be_visible()
    page.get_by_role("button", name="Log in").click()


def test_comment_with_a_google_account(page, live_server, providers, article):
    """Type, log in with Google, come back to the draft, post as the account, log out to a guest again."""
    page.goto(article.get_absolute_url())
    form = page.locator("#commentform")
    expect(form.get_by_role("list", name="Log in with an account you have").get_by_role("button")).to_have_count(5)
    respond_screenshot(page, "social-login-guest")
    comment_box(page).fill(DRAFT)

    page.evaluate(WATCH_STATUS)  # The page is gone once the browser is at the provider: note what it said.
    form.get_by_role("button", name="Log in with Google").click()
    log_in_at_provider(page, providers)

    expect(page).to_have_url(f"{live_server.url}{article.get_absolute_url()}#respond")
    expect(form).to_contain_text("You are commenting using your Google account.")
    expect(form.locator(".commenting-as-name")).to_have_text("Marianne North")
    expect(comment_box(page)).to_have_value(DRAFT)
    assert page.evaluate("() => sessionStorage.getItem('login-status')") == "Connecting to Google…"
    expect(form.get_by_role("textbox", name="Email")).to_have_count(0)
    assert_no_axe_violations(page)
    respond_screenshot(page, "social-login-logged-in")

    form.get_by_role("button", name="Post Comment").click()
    expect(page).to_have_url(POSTED_URL)
    shown = page.locator(f"#comment-{POSTED_URL.search(page.url).group(1)}")
    expect(shown).to_contain_text("it worked on my broad beans.")
    expect(shown.get_by_role("link", name="Marianne North")).to_have_attribute("href", "https://marianne.example/")

    page.locator("#commentform").get_by_role("button", name="Log Out").click()
    expect(page).to_have_url(f"{live_server.url}{article.get_absolute_url()}#respond")
    expect(page.locator("#commentform")).not_to_contain_text("You are commenting using")
    expect(page.locator("#commentform").get_by_role("button", name="Log in with Google")).to_be_visible()
    expect(page.locator("#commentform").get_by_role("textbox", name="Email")).to_be_visible()
    assert_page_clean(page)


def test_on_a_phone(phone_page, providers, article):
    """At 390 px the icons and the logged-in line fit, a tap on an icon goes straight out, and axe is content."""
    page = phone_page
    page.goto(article.get_absolute_url())
    respond_screenshot(page, "social-login-guest")
    assert horizontal_overflow(page) <= 0
    # Straight to an icon, nothing typed: the script fetches the form's token first, so no "Continue" page.
    page.locator("#commentform").get_by_role("button", name="Log in with WordPress.com").click()
    log_in_at_provider(page, providers)
    expect(page.locator("#commentform")).to_contain_text("You are commenting using your WordPress.com account.")
    expect(comment_box(page)).to_have_value("")
    comment_box(page).fill(DRAFT)
    assert horizontal_overflow(page) <= 0
    assert_no_axe_violations(page)
    respond_screenshot(page, "social-login-logged-in")
    assert page.viewport_size == PHONE


def test_comment_with_an_account_without_javascript(make_page, live_server, providers, article):
    """Without JavaScript the icon still keeps the draft: one "Continue" page, the provider, back to the text."""
    page = make_page(java_script_enabled=False)
    page.goto(article.get_absolute_url())
    comment_box(page).fill(DRAFT)
    page.locator("#commentform").get_by_role("button", name="Log in with X").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log in with X")
    expect(page.get_by_role("textbox", name="Your comment, kept for when you come back")).to_have_value(DRAFT)
    save_screenshot(page, "social-login-continue-without-javascript")
    page.get_by_role("button", name="Continue to X").click()
    log_in_at_provider(page, providers)

    expect(page.get_by_role("heading", name="One more thing")).to_be_visible()  # X gives no email address.
    save_screenshot(page, "social-login-x-asks-for-email")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}{article.get_absolute_url()}#respond")
    expect(page.locator("#commentform")).to_contain_text("You are commenting using your X account.")
    expect(comment_box(page)).to_have_value(DRAFT)


def test_cancelling_at_the_provider_comes_back_with_a_message_and_the_draft(page, providers, article):
    """ "Cancel" at the provider: back at the form as a guest, told why, the text still there."""
    page.goto(article.get_absolute_url())
    comment_box(page).fill(DRAFT)
    page.locator("#commentform").get_by_role("button", name="Log in with Facebook").click()
    expect(page.get_by_role("heading", name="Local test provider")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("alert")).to_contain_text("You are not logged in: Facebook was not given permission.")
    expect(comment_box(page)).to_have_value(DRAFT)
    assert_no_axe_violations(page)
    respond_screenshot(page, "social-login-cancelled")
    expect(page.locator("#commentform").get_by_role("button", name="Log in with Facebook")).to_be_visible()


def test_enter_in_a_field_posts_the_comment_not_a_login(page, providers, article):
    """The icons come before "Post Comment", but Enter in the Name field still means "Post Comment"."""
    page.goto(article.get_absolute_url())
    comment_box(page).fill(DRAFT)
    page.locator("#commentform").get_by_role("textbox", name="Email").fill("marianne@example.com")
    name = page.locator("#commentform").get_by_role("textbox", name="Name")
    name.fill("Marianne North")
    name.press("Enter")
    expect(page).to_have_url(re.compile(r"/comments/post/\d+/$"))
    errors = watch_of(page).console_errors  # The form page answers 400 (no captcha yet): expected here.
    errors[:] = [error for error in errors if "status of 400" not in error]
    assert not [path for method, path in providers.requests if "authorize" in path]
