"""A WordPress import that failed, in a real browser: the page turns to "Failed" by itself, says where the import
stopped, and "Run again" leads to the upload form with the run's options, which imports the file chosen again."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .browser import PHONE, assert_no_axe_violations, horizontal_overflow, log_in_to_admin, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

BENCH_EXPORT = Path(__file__).resolve().parents[1] / "data" / "wordpress" / "export-bench.xml"


def test_a_failed_import_is_run_again_from_its_page(make_page, make_user, run_tasks, media_root, tmp_path):
    """A cut-short file: the watching page shows the failure without a reload, with the stage it stopped at; "Run
    again" opens the form with "match authors" still ticked, and the whole file uploaded there is imported."""
    admin = make_user("admin", is_staff=True, is_superuser=True)
    cut_short = tmp_path / "site.xml"
    cut_short.write_bytes(BENCH_EXPORT.read_bytes()[: BENCH_EXPORT.stat().st_size // 3])
    page = make_page()
    log_in_to_admin(page, admin)
    page.goto("/admin/wordpress/importrun/add/")
    page.get_by_label("WordPress export").set_input_files(cut_short)
    page.get_by_label("Match authors to existing accounts with the same username").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Waiting for the task worker")

    run_tasks()

    expect(page.get_by_role("status")).to_contain_text("Failed", timeout=60_000)
    expect(page.locator(".errornote")).to_contain_text("the file ends early (truncated?)")
    expect(page.locator(".import-stopped-at")).to_have_text("It stopped at: Reading the file.")
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-import-failed")

    page.get_by_role("link", name="Run again").click()
    expect(page.locator(".import-again")).to_contain_text("Running again the import of site.xml")
    expect(page.get_by_label("Match authors to existing accounts with the same username")).to_be_checked()
    expect(page.get_by_label("Fetch images and files")).to_be_checked()
    assert_no_axe_violations(page)
    save_screenshot(page, "wordpress-import-run-again")

    phone = make_page(PHONE, mobile=True)
    log_in_to_admin(phone, admin)
    phone.goto(page.url)
    assert_no_axe_violations(phone)
    assert horizontal_overflow(phone) <= 0

    page.get_by_label("WordPress export").set_input_files(BENCH_EXPORT)
    page.get_by_role("button", name="Save", exact=True).click()
    run_tasks()
    expect(page.get_by_role("status")).to_contain_text("Done", timeout=60_000)
    expect(page.locator(".import-summary")).to_contain_text("100 comments.")
