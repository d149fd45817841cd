"""One-click moderation links in a real browser: from a moderator's email to the confirm page, the button, the article.

The comment goes through the real pipeline and is held (no Akismet key); the task queue sends
the moderators' email through Django's SMTP backend to a real SMTP server on 127.0.0.1, and the
links are taken from the message it received, pointing at the live server.
"""

import re
from urllib.parse import urlsplit

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from .browser import DESKTOP, PHONE, assert_no_axe_violations, horizontal_overflow, save_screenshot, widest_elements

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mail_to_the_live_server")]

MODERATOR_EMAIL = "mod@example.com"
LINK_LINES = {"approve": "Approve it", "spam": "Mark it as spam", "trash": "Move it to the Trash"}
BUTTONS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to Trash"}
ELSEWHERE = "https://elsewhere.example/beans"
COMMENT = (
    "The broad beans came up in a week here too; the carrots are still thinking about it.\n\n"
    f"My notes on sowing them: {ELSEWHERE}"
)


@pytest.fixture
def links(article, moderator, run_tasks, smtp_server):
    """The held comment, and the Approve / Spam / Trash links of the email the moderator received."""
    from comments import pipeline
    from comments.forms import GuestCommentForm, issue_timestamp
    from comments.models import Status

    key = CaptchaStore.generate_key()
    data = {
        "comment": COMMENT,
        "timestamp": issue_timestamp(article),
        "name": "Marianne North",
        "email": "marianne@example.org",
        "url": "https://north.example/",
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
    }
    form = GuestCommentForm(article, AnonymousUser(), data=data)
    assert form.is_valid(), form.errors
    submission = pipeline.Submission(ip_address="192.0.2.7", user_agent="Firefox", referrer="")
    comment = pipeline.submit_comment(post=article, form=form, submission=submission)
    run_tasks()
    comment.refresh_from_db()
    assert comment.status == Status.PENDING

    (received,) = smtp_server.to(MODERATOR_EMAIL)
    found = {action: re.search(rf"^{line}: (\S+)$", received.text, re.MULTILINE) for action, line in LINK_LINES.items()}
    assert all(found.values()), received.text
    return comment, {action: match.group(1) for action, match in found.items()}


def test_approve_link_from_the_email_publishes_the_comment_for_readers(make_page, live_server, article, links):
    """The email's Approve link opens in Chromium, its button approves the comment, and a reader then sees it."""
    from comments.models import Status

    comment, urls = links
    assert urlsplit(urls["approve"]).netloc == urlsplit(live_server.url).netloc
    page = make_page()
    page.goto(urls["approve"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve: Marianne North on “Notes from the allotment”?")

    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.get_by_role("button", name="Approve").click()
    assert posted.value.header_value("origin") == live_server.url

    expect(page.get_by_role("heading", level=1)).to_have_text("Done: the comment is now approved")
    save_screenshot(page, "moderate-done")
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    page.get_by_role("link", name="See it on the article").click()
    expect(page).to_have_url(re.compile(re.escape(article.get_absolute_url()) + rf"#comment-{comment.pk}$"))

    reader = make_page()
    reader.goto(article.get_absolute_url())
    shown = reader.locator(f"#comment-{comment.pk}")
    expect(shown).to_contain_text("The broad beans came up in a week here too")
    expect(shown).not_to_contain_text("awaiting moderation")


@pytest.mark.parametrize(("action", "status"), [("spam", "spam"), ("trash", "trash")])
def test_spam_and_trash_links_from_the_email_work_in_the_browser(make_page, article, links, action, status):
    """The email's Spam and Trash links open in Chromium and their buttons do what they say; readers never see it."""
    comment, urls = links
    page = make_page()
    page.goto(urls[action])
    page.get_by_role("button", name=BUTTONS[action]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Done: the comment is now {status}")
    comment.refresh_from_db()
    assert comment.status == status
    reader = make_page()
    reader.goto(article.get_absolute_url())
    expect(reader.locator(f"#comment-{comment.pk}")).to_have_count(0)


def test_the_token_in_the_address_never_reaches_another_origin(make_page, links):
    """Following the comment's own link away from the confirm page sends no Referer, so the token stays on the site."""
    _, urls = links
    token = urlsplit(urls["approve"]).path.rstrip("/").rsplit("/", 1)[1]
    page = make_page()
    page.goto(urls["approve"])
    page.route(
        "https://elsewhere.example/**",
        lambda route: route.fulfill(body="<title>Beans</title>", content_type="text/html"),
    )

    with page.expect_request(ELSEWHERE) as away:
        page.get_by_role("link", name=ELSEWHERE).click()
    headers = away.value.all_headers()
    assert "referer" not in headers
    assert not any(token in value for value in headers.values())


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_confirm_page_reads_well_on_desktop_and_phone(make_page, links, color_scheme):
    """The confirm page passes axe and fits the screen at 1280 and 390 px, light and dark; screenshots to look at."""
    _, urls = links
    suffix = "-dark" if color_scheme == "dark" else ""
    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE, color_scheme=color_scheme)
        page.goto(urls["approve"])
        main = page.get_by_role("main")
        expect(main).to_contain_text("marianne@example.org")
        link = main.get_by_role("link", name="Notes from the allotment").bounding_box()
        column = page.locator(".moderate-confirm").bounding_box()
        assert link["x"] < column["x"] + column["width"] / 2, "the comment's details are squeezed into a right column"
        save_screenshot(page, "moderate-confirm" + suffix)
        assert_no_axe_violations(page)
        assert horizontal_overflow(page) <= 0, widest_elements(page)
