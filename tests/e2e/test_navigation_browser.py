"""Finding pages and old posts in a real browser: the header's menu of pages, a page's children, the archive index.

At 1280 and 390 px: an article under the menu, a parent page listing its children, and /archives/, each passing
axe, the page shown marked current, nothing scrolling sideways, hostile titles included.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from blog.models import Post

from .browser import DESKTOP, PHONE, assert_no_axe_violations, horizontal_overflow, save_screenshot, widest_elements

pytestmark = pytest.mark.django_db(transaction=True)


def page_of(make_post, title, **fields):
    fields.setdefault("slug", title.lower().replace(" ", "-"))
    return make_post(title, kind=Post.Kind.PAGE, body=f"<p>{title}: a page of its own.</p>", **fields)


@pytest.fixture
def site(make_post, make_category, make_tag):
    """A small blog: three top-level pages (About with two children), two categories, posts over four months."""
    about = page_of(make_post, "About", menu_order=1)
    page_of(make_post, "The people", slug="people", parent=about, menu_order=1)
    page_of(make_post, "Colophon", parent=about, menu_order=2)
    page_of(make_post, "Reading list", menu_order=2)
    page_of(make_post, "Contact", menu_order=3)
    page_of(make_post, "Unfinished", status=Post.Status.DRAFT)
    baking, walks = make_category("Baking"), make_category("Walks")
    bread, hills = make_tag("bread"), make_tag("hills")
    now = timezone.now()
    for n, (title, category, tag) in enumerate(
        [
            ("A starter called Gerald", baking, bread),
            ("Up the old drovers' road", walks, hills),
            ("Rye, slowly", baking, bread),
            ("Mist on the ridge", walks, hills),
            ("Notes from the allotment", baking, bread),
        ]
    ):
        make_post(
            title,
            categories=[category],
            tags=[tag],
            published_at=now - timedelta(days=25 * n + 1),
            body=f"<p>{title}. The broad beans came up in a week; the carrots are still thinking about it.</p>",
        )
    return about


def check(page, name):
    assert horizontal_overflow(page) <= 0, widest_elements(page)
    save_screenshot(page, name)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_reader_finds_the_pages_and_the_archive_index(make_page, site, viewport):
    """From an article the menu leads to About (marked current there), which lists its children; the menu's
    Archives opens the index of months, categories and tags with their counts."""
    page = make_page(viewport, mobile=viewport is PHONE)
    page.goto("/")
    page.get_by_role("link", name="A starter called Gerald", exact=True).click()
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link")).to_have_text(
        ["Home", "About", "Reading list", "Contact", "Baking", "Walks", "Archives"]
    )
    check(page, "navigation-article")

    menu.get_by_role("link", name="About").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="About")).to_have_attribute(
        "aria-current", "page"
    )
    children = page.get_by_role("navigation", name="In this section")
    expect(children.get_by_role("link")).to_have_text(["The people", "Colophon"])
    check(page, "navigation-parent-page")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Archives").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archives")
    expect(page.get_by_role("region", name="Categories")).to_contain_text("Baking (3)")
    expect(page.get_by_role("region", name="Tags")).to_contain_text("hills (2)")
    expect(page.get_by_role("region", name="By month").get_by_role("listitem")).to_have_count(5)
    check(page, "navigation-archives")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_hostile_page_titles_stay_text_and_in_their_place(make_page, make_post, make_category, viewport):
    """A script, a right-to-left override and a 200-letter word as page titles and a category name: shown as text,
    the page still fits the phone and passes axe."""
    about = page_of(make_post, "About")
    for n, title in enumerate(["<script>alert(1)</script>", "\u202eevil.exe", "Long" * 50]):
        page_of(make_post, title, slug=f"top-{n}")
        page_of(make_post, title, slug=f"child-{n}", parent=about)
    make_post("Filed", categories=[make_category("<img src=x onerror=alert(1)>" + "Wide" * 40, slug="hostile")])
    page = make_page(viewport, mobile=viewport is PHONE)
    page.on("dialog", lambda dialog: pytest.fail(f"A dialog opened: {dialog.message}"))
    page.goto(about.get_absolute_url())
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    expect(page.get_by_role("navigation", name="In this section").get_by_role("link")).to_have_count(3)
    check(page, "navigation-hostile-titles")
    page.goto("/archives/")
    expect(page.get_by_role("region", name="Categories")).to_contain_text("<img src=x onerror=alert(1)>")
    check(page, "navigation-hostile-archives")
