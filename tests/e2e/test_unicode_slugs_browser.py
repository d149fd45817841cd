"""What a browser sends for a slug outside `\\w`: WordPress's lower-case link as it is, a typed one in upper case."""

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_browser_reaches_an_emoji_slug_by_its_link_and_as_typed(page, live_server, make_post):
    """Following the site's link keeps WordPress's lower-case bytes in the address bar; the address typed with ❤
    is sent upper-case encoded by Chromium; both open the post."""
    post = make_post("We ❤ the night train", slug="we-❤-the-night-train", body="<p>Sleepers to the north.</p>")
    page.goto("/")
    page.get_by_role("link", name="We ❤ the night train", exact=True).click()
    expect(page.get_by_text("Sleepers to the north.")).to_be_visible()
    assert page.url == f"{live_server.url}{post.get_absolute_url()}"
    assert "/we-%e2%9d%a4-the-night-train/" in page.url

    page.goto(unquote(post.get_absolute_url()))
    expect(page.get_by_text("Sleepers to the north.")).to_be_visible()
    assert "/we-%E2%9D%A4-the-night-train/" in page.url
