"""Reporting a comment in a real browser without JavaScript, and the moderators' Reported tab: axe, screenshots."""

import pytest
from playwright.sync_api import expect

from .browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    horizontal_overflow,
    log_in_to_admin,
    save_screenshot,
    watch_of,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reported(make_post, make_comment):
    """Gertrude's published comment on the allotment notes."""
    article = make_post("Notes from the allotment", slug="notes-from-the-allotment")
    return make_comment(
        article,
        author_name="Gertrude Jekyll",
        author_email="gertrude@example.org",
        body="Plant the beans where the peas were last year.",
    )


def report_illegal_content(page, reported, *, check=lambda page, name: None):
    """From the article's Report link: an incomplete notice is refused saying what is missing, then it is sent."""
    page.goto(reported.post.get_absolute_url())
    page.get_by_role("link", name="Report the comment by Gertrude Jekyll").click()
    expect(page.get_by_role("heading", name="Report a comment")).to_be_visible()
    check(page, "report-form")
    page.get_by_label("Illegal content").check()
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("Say why you hold the comment illegal.")).to_be_visible()
    expect(page.get_by_label("Why is this comment illegal?")).to_have_attribute("aria-invalid", "true")
    check(page, "report-form-errors")
    watch_of(page).clear()  # the refused form's 400, which Chromium logs as a console error: provoked on purpose
    page.get_by_label("Why is this comment illegal?").fill("It names my neighbour and accuses him of theft.")
    page.get_by_label("Your name").fill("Marianne North")
    page.get_by_label("Your email").fill("marianne@example.net")
    page.get_by_label("I am convinced in good faith").check()
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Thank you: your report was sent")).to_be_visible()
    check(page, "report-sent")


def test_a_reader_without_javascript_reports_illegal_content(make_page, reported):
    """Without JavaScript the Report link, the form, its errors and the notice all work (the page has no script)."""
    from comments.models import Report

    page = make_page(java_script_enabled=False)
    report_illegal_content(page, reported, check=lambda page, name: save_screenshot(page, f"{name}-no-js"))
    report = Report.objects.get()
    assert (report.reason, report.reporter_email, report.good_faith) == ("illegal", "marianne@example.net", True)
    assert report.exact_url.endswith(f"/comments/{reported.pk}/")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_report_pages_pass_axe_and_fit_a_phone(make_page, reported, viewport):
    """At 1280 and 390 px, the form, its errors and the thanks page fit the screen and axe finds nothing."""

    def check(page, name):
        assert horizontal_overflow(page) <= 0, widest_elements(page)
        assert_no_axe_violations(page)
        save_screenshot(page, name)

    report_illegal_content(make_page(viewport, mobile=viewport is PHONE), reported, check=check)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_moderator_keeps_a_reported_comment_from_the_reported_tab(make_page, moderator, reported, viewport):
    """The Reported tab shows the reports' reasons and notes; Keep decides them and empties the tab."""
    from comments.models import Report, ReportOutcome

    Report.objects.create(comment=reported, reason="off-topic", note="About peas, not beans.", ip_address="192.0.2.1")
    Report.objects.create(comment=reported, reason="abusive", ip_address="192.0.2.2")
    page = make_page(viewport, mobile=viewport is PHONE)
    log_in_to_admin(page, moderator)
    page.goto("/admin/comments/comment/")
    page.get_by_role("link", name="Reported (1)").click()
    expect(page.get_by_text("About peas, not beans.")).to_be_visible()
    expect(page.get_by_text("2 reports")).to_be_visible()
    assert_no_axe_violations(page)
    save_screenshot(page, "reported-tab")

    page.get_by_role("button", name="Keep (comment by Gertrude Jekyll)").click()
    expect(page.get_by_text("The comment by Gertrude Jekyll is kept; 2 reports decided.")).to_be_visible()
    expect(page.get_by_role("link", name="Reported (0)")).to_be_visible()
    assert set(Report.objects.values_list("outcome", flat=True)) == {ReportOutcome.KEPT}
