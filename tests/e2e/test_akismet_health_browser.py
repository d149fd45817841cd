"""Akismet's health in a real browser, read by a real task worker (`manage.py run_worker`) from the local Akismet: a
moderator whose key is mistyped is told so on the first page they open; the box shows the plan's usage and the
sites on the key; "Check the queue again", pressed from the keyboard, has the worker move a held comment to Spam."""

import pytest
from playwright.sync_api import expect

from tests.servers import eventually

from .browser import (
    PHONE,
    assert_no_axe_violations,
    horizontal_overflow,
    log_in_to_admin,
    save_screenshot,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_SITE_URL = "http://127.0.0.1"  # the worker's SITE_URL (devtools/stack.py): the key's state is about it


def read_by(worker, **found) -> None:
    """Wait until the worker has read Akismet's health and found what `found` asks (AkismetState's fields)."""
    from comments.models import AkismetState

    assert eventually(lambda: AkismetState.objects.filter(read_at__isnull=False, **found).exists()), worker.log


def test_a_moderator_whose_key_is_mistyped_is_told_so_on_the_first_page(
    make_page, moderator, workers, akismet_fake, settings
):
    """With two letters of the key swapped, the worker finds it invalid, and the admin index a moderator lands on
    after logging in says so in an alert, with what to do, at desktop and phone widths; it passes axe."""
    mistyped = akismet_fake.key[:-2] + akismet_fake.key[-1] + akismet_fake.key[-2]
    settings.AKISMET_API_KEY, settings.SITE_URL = mistyped, WORKER_SITE_URL
    worker = workers(AKISMET_API_URL=akismet_fake.url, AKISMET_API_KEY=mistyped)
    read_by(worker, key_invalid_at__isnull=False)
    assert [call.get("key") for call in akismet_fake.requests_to("verify-key")][:1] == [mistyped]

    for page in (make_page(), make_page(PHONE, mobile=True)):
        log_in_to_admin(page, moderator)
        banner = page.get_by_role("alert")
        expect(banner).to_contain_text("Akismet says the API key is invalid")
        expect(banner).to_contain_text("every new comment is held for a person")
        expect(banner).to_contain_text(f"gives for {WORKER_SITE_URL}")
        expect(banner).not_to_contain_text("could not be reached")
        box = page.locator("section.akismet-health")
        expect(box).to_contain_text("Invalid since")
        expect(box).to_contain_text("by the task worker")
        assert_no_axe_violations(page)
        save_screenshot(page, "akismet-key-invalid")
        assert horizontal_overflow(page) <= 0, widest_elements(page)


def test_the_box_shows_usage_and_sites_and_check_the_queue_again_moves_spam(
    make_page, moderator, workers, akismet_fake, settings, make_post, make_comment
):
    """The index's box shows the usage and sites the worker read, and the alert Akismet sent; on the queue, "Check the
    queue again" (focused and pressed with Enter) asks Akismet again in the worker, which moves the held comment it
    calls spam to Spam."""
    from comments.models import Comment, Reason, Status

    settings.SITE_URL = WORKER_SITE_URL
    akismet_fake.usage, akismet_fake.limit = 341_250, 350_000
    second = {"site": "https://old-blog.example", "api_calls": "12", "spam": "9", "ham": "3", "is_revoked": True}
    akismet_fake.sites.append({**second, "missed_spam": "1", "false_positives": "0"})
    akismet_fake.alert = ("10501", "Your site is close to its plan's monthly limit.")
    held = make_comment(
        make_post("Notes from the allotment"),
        status=Status.PENDING,
        reason=Reason.FIRST_COMMENT,
        author_name="Cheap Watches",
        body="Buy cheap watches here.",
    )
    worker = workers(AKISMET_API_URL=akismet_fake.url, AKISMET_API_KEY=akismet_fake.key)
    read_by(worker, key_verified_at__isnull=False, usage__isnull=False)

    pages = [make_page(), make_page(PHONE, mobile=True)]
    for page in pages:
        log_in_to_admin(page, moderator)
        box = page.locator("section.akismet-health")
        expect(box).to_contain_text("341,250 of 350,000 calls (97.5%)")
        sites = box.get_by_role("table", name="Sites on the key, this month")
        expect(sites.get_by_role("row")).to_have_count(3)
        expect(sites).to_contain_text("https://blog.example")
        expect(sites).to_contain_text("https://old-blog.example (revoked)")
        expect(page.get_by_role("alert")).to_contain_text(
            "Akismet alert 10501: Your site is close to its plan's monthly limit."
        )
        assert_no_axe_violations(page)
        save_screenshot(page, "akismet-health-box")
        assert horizontal_overflow(page) <= 0, widest_elements(page)

        page.goto("/admin/comments/comment/?status=pending")
        button = page.get_by_role("button", name="Check the queue again")
        expect(button).to_have_accessible_description(
            "Ask Akismet again about every held comment; those it calls spam move to Spam."
        )
        assert_no_axe_violations(page)
        save_screenshot(page, "akismet-check-again")
        assert horizontal_overflow(page) <= 0, widest_elements(page)

    akismet_fake.mode = "spam"
    page = pages[0]
    button = page.get_by_role("button", name="Check the queue again")
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        "Akismet is asked again about 1 held comment; those it calls spam move to Spam."
    )
    assert eventually(lambda: Comment.objects.get(pk=held.pk).status == Status.SPAM), worker.log
    assert [check.get("recheck_reason") for check in akismet_fake.checks] == ["recheck_queue"]
    page.goto("/admin/comments/comment/?status=spam")
    expect(page.locator("#result_list")).to_contain_text("Cheap Watches")
    save_screenshot(page, "akismet-checked-again")
