"""Your comments and data in Chromium: a reader who commented asks for the link from the privacy page, opens it from
the email the real SMTP server received, downloads the file, erases, and finds their comment shown as Anonymous;
axe and screenshots at 1280 and 390 px on every page on the way, and the admin's confirmation page.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from comments.models import Comment, Status
from comments.moderation import moderate
from privacy.models import DataRequest

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

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mail_to_the_live_server")]

EMAIL = "marianne@example.org"
NAME = "Marianne North"
URL = re.compile(r"https?://\S+")
SAVE_DETAILS = "Save my name, email, and website in this browser for the next time I comment."


def check_page(page, name):
    """axe, no sideways scrolling, and a screenshot (once the page, after a button's POST, has its styles)."""
    page.wait_for_load_state("load")
    assert_no_axe_violations(page)
    assert horizontal_overflow(page) <= 0, widest_elements(page)
    save_screenshot(page, name)


def data_link(smtp_server) -> str:
    [received] = [m for m in smtp_server.to(EMAIL) if "Your comments and data" in m.subject]
    for url in URL.findall(received.text):
        if urlsplit(url).path.startswith("/privacy/your-data/") and urlsplit(url).path != "/privacy/your-data/":
            return url
    raise AssertionError(f"no data link in:\n{received.text}")


def comment_in_the_browser(page, article):
    from captcha.models import CaptchaStore

    page.goto(article.get_absolute_url())
    form = page.locator("#commentform")
    form.get_by_role("textbox", name="Comment", exact=True).fill("Comfrey tea for the tomatoes, every fortnight.")
    form.get_by_role("textbox", name="Name", exact=True).fill(NAME)
    form.get_by_role("textbox", name="Email", exact=True).fill(EMAIL)
    form.get_by_role("textbox", name="Website", exact=True).fill("https://marianne.example/")
    form.get_by_role("checkbox", name=SAVE_DETAILS).check()
    answer = form.get_by_role("textbox", name="Characters in the picture")
    expect(answer).to_be_visible()
    key = form.locator("input[name=captcha_0]").input_value()
    answer.fill(CaptchaStore.objects.get(hashkey=key).response)
    form.get_by_role("button", name="Post Comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))


def test_a_reader_asks_opens_downloads_and_erases_in_the_browser(
    make_page, article, run_tasks, smtp_server, make_user, settings
):
    """From the privacy page to the emailed link, the file and the erasure: the article then says Anonymous."""
    page = make_page()
    comment_in_the_browser(page, article)
    run_tasks()
    moderate(Comment.objects.get(), "approve", moderator=make_user("margaret", is_staff=True))
    cookie_names = {cookie["name"] for cookie in page.context.cookies()}
    assert {"comment_author", "comment_author_email", "comments_own"} <= cookie_names

    settings.AKISMET_API_KEY = "a-key"  # from here on, for the privacy page's list of what Akismet gets
    page.goto("/privacy/")
    expect(page.locator(".akismet-fields li").first).to_contain_text("Kept here:")
    approved = "when a moderator approves it (“Your comment on … is now published”)"
    expect(page.get_by_role("main")).to_contain_text(approved)
    check_page(page, "privacy")
    phone = make_page(PHONE, mobile=True)
    phone.goto("/privacy/")
    check_page(phone, "privacy")
    page.get_by_role("link", name="Your comments and data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your comments and data")
    check_page(page, "your-data-request")
    phone.goto("/privacy/your-data/")
    check_page(phone, "your-data-request")

    page.get_by_role("textbox", name="Your email address").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("status")).to_contain_text(EMAIL)
    check_page(page, "your-data-sent")
    run_tasks()
    link = data_link(smtp_server)

    for viewport in (DESKTOP, PHONE):
        reader = make_page(viewport, mobile=viewport is PHONE)
        reader.goto(link)
        expect(reader.get_by_role("heading", level=1)).to_have_text("Your comments and data")
        expect(reader.locator(".data-comment")).to_contain_text("Comfrey tea for the tomatoes")
        expect(reader.locator(".data-status")).to_have_text("Published")
        keep = reader.get_by_role("radio", name="Keep their text, shown as “Anonymous”")
        expect(keep).to_be_checked()
        expect(keep).to_have_accessible_description(re.compile("^The comments stay on the articles with their text"))
        delete = reader.get_by_role("radio", name="Delete them entirely")
        expect(delete).to_have_accessible_description(re.compile("^The comments disappear from the articles at once"))
        expect(reader.locator("#erase + p")).not_to_contain_text("disappear")
        check_page(reader, "your-data")

    page.goto(link)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename.startswith("the-quiet-margin-your-data-")
    [item] = exported["comments"]
    assert (item["name"], item["email"], item["article"]["title"]) == (NAME, EMAIL, article.title)

    page.get_by_role("radio", name="Keep their text, shown as “Anonymous”").check()
    page.get_by_role("checkbox", name="I understand that this cannot be undone.").check()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data is erased")
    check_page(page, "your-data-erased")
    page.set_viewport_size(PHONE)
    check_page(page, "your-data-erased")
    page.set_viewport_size(DESKTOP)
    assert not {"comment_author", "comment_author_email", "comments_own"} & {c["name"] for c in page.context.cookies()}

    page.goto(article.get_absolute_url())
    comment = page.locator(".comment-body").first
    expect(comment.locator(".comment-author")).to_have_text("Anonymous")
    expect(comment).to_contain_text("Comfrey tea for the tomatoes")
    expect(page.locator("main")).not_to_contain_text(NAME)
    check_page(page, "your-data-article-anonymous")
    assert Comment.objects.get().status == Status.APPROVED
    assert list(DataRequest.objects.order_by("at").values_list("action", flat=True)) == ["export", "anonymize"]


def test_a_changed_link_says_so_and_offers_a_new_one(make_page, article):
    """A link cut short lands on a page that says it can't be used, with the form to ask again, at 1280 and 390 px."""
    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE)
        page.goto("/privacy/your-data/.eJyLVkrJzEtMzlSyUkosSc7PTVWyUkpMTMxLzMnPzkzMTcyxUQIAoeUKAw:1vAAAA/")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^This link can.t be used$"))
        expect(page.get_by_role("alert")).to_contain_text("This link is not valid")
        expect(page.get_by_role("button", name="Email me a link")).to_be_visible()
        check_page(page, "your-data-refused")
        watch_of(page).clear()  # Chromium logs the 400 it was sent on purpose as a console error


def test_the_admins_erase_confirmation_page(make_page, article, make_comment, make_user):
    """In the admin: find the address, press Erase, read what will go, confirm; the request is logged with its doer."""
    owner = make_user("owner", is_staff=True, is_superuser=True)
    make_comment(article, author_name=NAME, author_email=EMAIL, body="Sent by letter, to be erased.")
    page = make_page()
    log_in_to_admin(page, owner)

    page.goto("/admin/privacy/datarequest/find/")
    page.get_by_role("textbox", name="Email address").fill(EMAIL)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("table", name="Comments (1)")).to_contain_text("Sent by letter, to be erased.")
    page.get_by_role("button", name="Erase their data…").click()
    expect(page.get_by_role("button", name="Yes, erase it")).to_be_visible()
    check_page(page, "your-data-admin-confirm")

    page.get_by_role("checkbox", name="I understand that this cannot be undone.").check()
    page.get_by_role("button", name="Yes, erase it").click()
    expect(page.locator(".messagelist")).to_contain_text("Erased")
    check_page(page, "your-data-admin-log")
    assert Comment.objects.get().author_name == "Anonymous"
    assert DataRequest.objects.get().moderator_name == "owner"
