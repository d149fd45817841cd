"""Import from WordPress in a real browser: upload, watch the progress, read the summary; download the export."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .browser import PHONE, assert_no_axe_violations, horizontal_overflow, log_in_to_admin, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

BENCH_EXPORT = Path(__file__).resolve().parents[1] / "data" / "wordpress" / "export-bench.xml"
NIGHT_TRAIN = "/2025/11/03/night-train-comes-back-to-elmsford/"


@pytest.fixture
def site_admin(make_user):
    return make_user("admin", first_name="Ada", is_staff=True, is_superuser=True)


def test_an_admin_imports_a_wordpress_export_and_finds_the_post_at_its_old_address(
    make_page, site_admin, run_tasks, settings, media_root
):
    """Upload the bench export (authors not matched: the box starts unticked), see it wait for the worker, see the
    summary once it ran, with where its author went, and read the 100 comments."""
    settings.COMMENTS_PER_PAGE = 100  # the whole thread on the article's page, where comments are paged
    page = make_page()
    log_in_to_admin(page, site_admin)
    page.get_by_role("link", name="Imports from WordPress").click()
    page.get_by_role("link", name="Import from WordPress").click()
    expect(page.get_by_role("heading", name="Import from WordPress")).to_be_visible()
    page.get_by_label("WordPress export").set_input_files(BENCH_EXPORT)
    expect(page.get_by_label("Match authors to existing accounts with the same username")).not_to_be_checked()
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-import-upload")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Waiting for the task worker")
    expect(page.get_by_label("Progress")).to_be_visible()
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-import-waiting")

    run_tasks()  # the worker imports the file; the page notices and shows the summary
    expect(page.get_by_role("status")).to_contain_text("Done", timeout=10_000)
    summary = page.locator(".import-summary")
    expect(summary).to_contain_text("1 authors, 2 categories, 3 tags, 1 pages, 1 posts, 100 comments.")
    expect(summary).to_contain_text("ruth → ruth (a new account)")
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-import-summary")

    phone = make_page(PHONE, mobile=True)
    log_in_to_admin(phone, site_admin)
    phone.goto("/admin/wordpress/importrun/add/")
    assert_no_axe_violations(phone)
    assert horizontal_overflow(phone) <= 0
    save_screenshot(phone, "wordpress-import-upload")
    phone.goto(page.url)
    expect(phone.locator(".import-summary")).to_contain_text("100 comments")
    assert_no_axe_violations(phone)
    assert horizontal_overflow(phone) <= 0
    save_screenshot(phone, "wordpress-import-summary")

    reader = make_page()
    reader.goto(NIGHT_TRAIN)
    expect(
        reader.get_by_role("heading", name="100 thoughts on “The night train comes back to Elmsford”")
    ).to_be_visible()
    expect(reader.locator("li.comment")).to_have_count(100)
    assert_no_axe_violations(reader)
    save_screenshot(reader, "wordpress-imported-post")


def test_an_old_comment_link_lands_on_its_comment(make_page, settings, media_root):
    """A WordPress link to a comment, /?p=4#comment-N, arrives at the article scrolled to that comment."""
    from django.core.management import call_command

    from comments.models import Comment

    settings.COMMENTS_PER_PAGE = 100
    call_command("import_wordpress", str(BENCH_EXPORT), verbosity=0)
    comment = Comment.objects.get(wordpress_id=60)
    page = make_page()
    page.goto("/?p=4#comment-60")
    expect(page).to_have_url(re.compile(re.escape(NIGHT_TRAIN) + "#comment-60$"))
    expect(page.locator(f"#comment-{comment.pk} .comment-author").first).to_be_in_viewport()
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text(comment.author_name)
    assert page.locator(f"#comment-{comment.pk} > .old-anchor").get_attribute("id") == "comment-60"


def test_an_admin_downloads_the_site_as_a_wordpress_export(make_page, site_admin, make_post):
    """The download button on the imports list gives a WXR file with the site's posts."""
    make_post("A post to take along")
    page = make_page()
    log_in_to_admin(page, site_admin)
    page.goto("/admin/wordpress/importrun/")
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-imports-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a WordPress export (WXR)").click()
    saved = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.startswith("the-quiet-margin.wordpress.")
    assert "<wp:wxr_version>1.2</wp:wxr_version>" in saved and "A post to take along" in saved
