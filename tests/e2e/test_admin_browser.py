"""The admin in Chromium, named after the blog with its icon: axe and screenshots at 1280 and 390 px on the
Subscriptions lists and on a post's add and change forms (featured image, categories and tags) as an editor uses them.
"""

import io
import re

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from blog.models import Post
from subscriptions.models import Address, Announcement, Subscription

from .browser import DESKTOP, PHONE, assert_no_axe_violations, log_in_to_admin, save_screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]


def check_admin_page(page, name):
    """The blog's name in the header and title, its icon there (200), no axe violation, and a screenshot."""
    page.wait_for_load_state("load")
    expect(page.locator("#site-name")).to_have_text(settings.BLOG_TITLE)
    expect(page).to_have_title(re.compile(re.escape(f"| {settings.BLOG_TITLE} admin") + "$"))
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(icon).status == 200, icon
    assert_no_axe_violations(page)
    save_screenshot(page, name)


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (64, 40), (180, 120, 60)).save(picture, "PNG")
    return picture.getvalue()


@pytest.fixture
def owner(make_user):
    return make_user("owner", is_staff=True, is_superuser=True)


def test_the_subscriptions_lists_pass_axe(make_page, owner, article):
    """Subscriptions, addresses, announcements and deliveries: every row's links have text, the search box a label."""
    address = Address.objects.create(email="marianne@example.org")
    Subscription.objects.create(address=address, post=article, confirmed_at=timezone.now())
    Subscription.objects.create(address=address, post=None)
    Announcement.objects.create(post=article)
    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE)
        log_in_to_admin(page, owner)
        for model in ("subscription", "address", "announcement", "delivery"):
            page.goto(f"/admin/subscriptions/{model}/")
            check_admin_page(page, f"admin-subscriptions-{model}")

        page.goto("/admin/subscriptions/subscription/")
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first.get_by_role("link", name="marianne@example.org")).to_be_visible()
        page.get_by_role("textbox", name="Search").fill("marianne")
        page.get_by_role("button", name="Search").click()
        expect(rows).to_have_count(2)
        check_admin_page(page, "admin-subscriptions-search")
        rows.first.locator(".field-follows a").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("View subscription")


def test_a_post_is_written_with_a_featured_image_categories_and_tags(
    make_page, owner, make_category, make_tag, media_root
):
    """The add form and, once saved, the change form pass axe: the image's input has its label, the category and tag
    boxes their names; the post is saved with all of it."""
    make_category("Garden")
    make_tag("compost")
    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE)
        log_in_to_admin(page, owner)
        page.goto("/admin/blog/post/add/")
        check_admin_page(page, "admin-post-add")
        expect(page.get_by_label("Featured image")).to_have_attribute("type", "file")
        expect(page.locator("#id_categories_input")).to_have_accessible_name(
            "Type into this box to filter down the list of available categories."
        )

    page = make_page()
    log_in_to_admin(page, owner)
    page.goto("/admin/blog/post/add/")
    page.get_by_role("textbox", name="Title").fill("Leaf mould in a year")
    page.get_by_label("Body").fill("<p>Bag the leaves, wait.</p>")
    page.get_by_label("Featured image").set_input_files(
        {"name": "leaves.png", "mimeType": "image/png", "buffer": png()}
    )
    page.locator("#id_categories_from").select_option(label="Garden")
    page.locator("#id_categories_add").click()
    page.locator("#id_tags_from").select_option(label="compost")
    page.locator("#id_tags_add").click()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.get_by_label("Featured image")).to_have_attribute("type", "file")
    expect(page.get_by_role("link", name=re.compile(r"leaves\w*\.png$"))).to_be_visible()
    check_admin_page(page, "admin-post-change")
    page.set_viewport_size(PHONE)
    check_admin_page(page, "admin-post-change")

    post = Post.objects.get(title="Leaf mould in a year")
    assert post.featured_image.name.startswith("featured/leaves")
    assert (media_root / post.featured_image.name).is_file()
    assert [c.name for c in post.categories.all()] == ["Garden"] and [t.name for t in post.tags.all()] == ["compost"]
