"""A reader's path through the blog in a real browser: home, article, category, search, keyboard."""

import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from playwright.sync_api import expect

from .browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    assert_page_clean,
    horizontal_overflow,
    save_screenshot,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE_PARAGRAPHS = [
    "I put the tablet in a drawer for a month and went back to books with wide margins.",
    "Pencil notes in the margin turned out to be the part of reading I had missed most.",
    "By the third week I was reading more slowly, and remembering more of what I read.",
]


@pytest.fixture
def content(make_post, make_category, make_tag):
    """Three published posts (the newest filed and tagged), a draft and a scheduled post."""
    from blog.models import Post

    reading = make_category("Slow reading", slug="slow-reading")
    tools = make_category("Small tools", slug="small-tools")
    notebooks = make_tag("notebooks", slug="notebooks")
    oldest = make_post("A field guide to margins", days_ago=3, slug="field-guide-to-margins", categories=[tools])
    middle = make_post(
        "Small tools, kept sharp",
        days_ago=2,
        slug="small-tools-kept-sharp",
        categories=[tools],
        body="<p>A pocket knife, sharpened weekly, outlives every gadget.</p>",
    )
    newest = make_post(
        "Reading on paper again",
        days_ago=1,
        slug="reading-on-paper-again",
        categories=[reading],
        tags=[notebooks],
        body="".join(f"<p>{text}</p>" for text in ARTICLE_PARAGRAPHS),
    )
    draft = make_post(
        "Unfinished draft about ink",
        slug="unfinished-draft-about-ink",
        status=Post.Status.DRAFT,
        body="<p>Not ready: ink, sharpened nibs.</p>",
    )
    scheduled = make_post("Next week's scheduled note", days_ago=-7, slug="scheduled-note")
    return SimpleNamespace(
        reading=reading,
        tools=tools,
        notebooks=notebooks,
        published=[newest, middle, oldest],
        newest=newest,
        middle=middle,
        draft=draft,
        scheduled=scheduled,
    )


def _main(page):
    return page.get_by_role("main")


def test_reader_goes_from_home_to_article_to_category(page, live_server, content):
    """A reader sees the latest posts on the home page, opens one, reads it and follows its category."""
    page.goto(live_server.url + "/")

    expect(page).to_have_title(re.compile(re.escape(settings.BLOG_TITLE)))
    expect(page.get_by_role("banner")).to_contain_text(settings.BLOG_TITLE)
    main = _main(page)
    for post in content.published:
        expect(main.get_by_role("link", name=post.title, exact=True).first).to_be_visible()
    expect(main).not_to_contain_text(content.draft.title)
    expect(main).not_to_contain_text(content.scheduled.title)
    shown = main.get_by_role("link").all_inner_texts()
    positions = [next(i for i, text in enumerate(shown) if text.strip() == p.title) for p in content.published]
    assert positions == sorted(positions), f"home lists posts out of date order: {shown}"

    main.get_by_role("link", name=content.newest.title, exact=True).first.click()

    expect(page).to_have_url(re.compile(r"/\d{4}/\d{2}/\d{2}/reading-on-paper-again/$"))
    assert page.url.endswith(content.newest.get_absolute_url())
    article = page.locator("main article").first
    expect(article.get_by_role("heading", level=1)).to_have_text(content.newest.title)
    expect(article).to_contain_text(re.compile(r"Ada Lovelace|\bada\b"))
    day = content.newest.local_published_at.date()
    expect(article.locator(f'time[datetime^="{day.isoformat()}"]').first).to_be_visible()
    for text in ARTICLE_PARAGRAPHS:
        expect(article.locator("p", has_text=text)).to_be_visible()
    tag_link = article.get_by_role("link", name=content.notebooks.name, exact=True).first
    expect(tag_link).to_have_attribute("href", re.compile(re.escape(content.notebooks.get_absolute_url()) + "$"))

    article.get_by_role("link", name=content.reading.name, exact=True).first.click()

    assert page.url.endswith(content.reading.get_absolute_url())
    main = _main(page)
    expect(main.get_by_role("heading", level=1)).to_contain_text(content.reading.name)
    expect(main.get_by_role("link", name=content.newest.title, exact=True).first).to_be_visible()
    expect(main).not_to_contain_text(content.middle.title)
    assert_page_clean(page)


def test_header_search_finds_published_posts_only(page, live_server, content):
    """Typing a word into the header's search box and pressing Enter lists the published posts that contain it."""
    page.goto(live_server.url + "/")

    search = page.get_by_role("banner").get_by_role("searchbox")
    search.fill("sharpened")
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]q=sharpened"))
    main = _main(page)
    expect(main.get_by_role("link", name=content.middle.title, exact=True).first).to_be_visible()
    expect(main).not_to_contain_text(content.newest.title)
    expect(main).not_to_contain_text(content.draft.title)
    assert_page_clean(page)


@pytest.mark.parametrize(
    ("viewport", "color_scheme"),
    [(DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark")],
    ids=["1280", "390", "1280-dark"],
)
def test_home_and_article_have_no_axe_violations(make_page, live_server, content, viewport, color_scheme):
    """axe-core finds nothing on the home page or an article, at desktop and phone widths and in dark mode."""
    page = make_page(viewport, mobile=viewport is PHONE, color_scheme=color_scheme)
    suffix = "-dark" if color_scheme == "dark" else ""
    for name, url in [("home", "/"), ("article", content.newest.get_absolute_url())]:
        page.goto(live_server.url + url)
        save_screenshot(page, name + suffix)
        assert_no_axe_violations(page)
    assert_page_clean(page)


def test_phone_has_no_horizontal_scroll(phone_page, live_server, content):
    """At 390 px the home page and an article fit the screen's width (no sideways scrolling)."""
    for url in ["/", content.newest.get_absolute_url()]:
        phone_page.goto(live_server.url + url)
        overflow = horizontal_overflow(phone_page)
        assert overflow <= 0, f"{url} is {overflow}px too wide at 390px; sticking out: {widest_elements(phone_page)}"
    assert_page_clean(phone_page)


def test_first_tab_focuses_skip_link_which_moves_focus_to_main(page, live_server, content):
    """A keyboard user's first Tab lands on the skip link, and following it puts focus in the main content."""
    page.goto(live_server.url + content.newest.get_absolute_url())

    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text(re.compile(r"skip", re.IGNORECASE))
    expect(focused).to_be_visible()  # a skip link may hide until focused, but must show when it is
    save_screenshot(page, "skip-link-focused")
    target = focused.get_attribute("href")
    assert target and target.startswith("#"), f"the skip link should point into the page, not {target!r}"

    page.keyboard.press("Enter")

    in_main = page.evaluate(
        """() => { const main = document.querySelector('main'), el = document.activeElement;
                   return !!main && (el === main || main.contains(el)); }"""
    )
    active = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert in_main, f"after the skip link ({target}) focus is on {active}, not in <main> (give the target tabindex=-1)"
    assert_page_clean(page)
