"""Browser fixtures: one headless Chromium per session, a fresh guarded context per test.

Fixtures (see tests/e2e/browser.py for the helpers):

* `browser`     - session-scoped Playwright Chromium (Debian's binary; `playwright install` is never needed).
* `page`        - a 1280x900 page whose context's base URL is the live server (`page.goto("/")` works).
* `phone_page`  - the same at 390x844 with touch and `is_mobile`.
* `make_page(viewport=DESKTOP|PHONE|{"width":..,"height":..}, mobile=False, **context_args)` - more pages.
* `moderator` (tests/conftest.py) - Mo Derator, staff in the Moderators group; `browser.log_in_to_admin(page, user)`
  logs in.

Every page refuses requests to hosts other than 127.0.0.1/localhost and records console errors
(CSP violations included); each fixture fails the test at teardown if anything was recorded.
Every test under tests/e2e is marked `browser` (so `pytest -m "not browser"` leaves them out).
"""

import os
from pathlib import Path

import pytest

from .browser import CHROMIUM_ARGS, DESKTOP, PHONE, assert_page_clean, chromium_path, open_page

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`, before `-m` deselects by marker."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found: install Debian's `chromium` package (or set $CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements-dev.txt")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        _unavailable(f"Chromium at {executable} did not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def make_page(browser, live_server):
    """Factory for more guarded pages; every one is checked and closed at teardown."""
    pages = []

    def make(viewport=DESKTOP, *, mobile=False, **context_args):
        page = open_page(browser, viewport=viewport, base_url=live_server.url, mobile=mobile, **context_args)
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            assert_page_clean(page)
    finally:
        for page in pages:
            page.context.close()


@pytest.fixture
def page(make_page):
    """A desktop page (1280x900)."""
    return make_page(DESKTOP)


@pytest.fixture
def phone_page(make_page):
    """A phone page (390x844, touch, honours the meta viewport)."""
    return make_page(PHONE, mobile=True)


@pytest.fixture
def mail_to_the_live_server(mail_through_smtp, settings, live_server):
    """Mail goes to the test's SMTP server (tests/conftest.py), and the links in it point at the live server."""
    settings.SITE_URL = live_server.url
    return mail_through_smtp
