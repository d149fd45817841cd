"""Following by email in a real browser: the boxes under the form, with and without JavaScript, then the links
of the emails the real SMTP server received (confirm, see what you follow, one-click unsubscribe), with axe and
screenshots at 1280 and 390 px, light and dark, and the HTML emails themselves as a mail client would draw them.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .browser import (
    DESKTOP,
    PHONE,
    SCREENSHOT_DIR,
    assert_no_axe_violations,
    horizontal_overflow,
    save_screenshot,
    widest_elements,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mail_to_the_live_server")]

EMAIL = "marianne@example.org"
URL = re.compile(r"https?://\S+")


def link_in(received, kind: str) -> str:
    for url in URL.findall(received.text):
        if urlsplit(url).path.startswith(f"/subscriptions/{kind}/"):
            return url
    raise AssertionError(f"no {kind} link in:\n{received.text}")


def captcha_answer(page) -> str:
    from captcha.models import CaptchaStore

    key = page.locator("#commentform input[name=captcha_0]").input_value()
    return CaptchaStore.objects.get(hashkey=key).response


def fill_and_tick(page, *, boxes):
    form = page.locator("#commentform")
    form.get_by_role("textbox", name="Comment", exact=True).fill("Comfrey tea for the tomatoes, every fortnight.")
    form.get_by_role("textbox", name="Email", exact=True).fill(EMAIL)
    form.get_by_role("textbox", name="Name", exact=True).fill("Marianne North")
    for label in boxes:
        form.get_by_role("checkbox", name=label).check()


def followed(email=EMAIL, post=None):
    from django.utils import timezone

    from subscriptions.models import Address, Subscription

    address = Address.objects.for_email(email)
    return Subscription.objects.create(address=address, post=post, confirmed_at=timezone.now())


def publish_new_post(author):
    """A new post, which the site's followers are told of."""
    from blog.models import Post

    return Post.objects.create(
        title="Seed catalogues in winter",
        slug="seed-catalogues",
        author=author,
        body="<p>Every January the catalogues arrive.</p>",
        excerpt="Every January the catalogues arrive, and every January I order too much.",
        status=Post.Status.PUBLISHED,
    )


def check_page(page, name):
    """axe, no sideways scrolling, and a screenshot (once the page, after a button's POST, has its styles)."""
    page.wait_for_load_state("load")
    assert_no_axe_violations(page)
    assert horizontal_overflow(page) <= 0, widest_elements(page)
    save_screenshot(page, name)


def test_the_boxes_under_the_form_read_well(make_page, article):
    """The two boxes sit under the form, unticked, labelled, reachable; the article passes axe at 1280 and 390 px."""
    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE)
        page.goto(article.get_absolute_url())
        for label in ("Notify me of new comments via email.", "Notify me of new posts via email."):
            box = page.get_by_role("checkbox", name=label)
            expect(box).to_be_visible()
            expect(box).not_to_be_checked()
        page.get_by_role("checkbox", name="Notify me of new comments via email.").check()  # ticked, to be seen so
        check_page(page, "subscribe-article")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.locator("#respond").screenshot(path=SCREENSHOT_DIR / f"subscribe-form-{viewport['width']}.png")


def test_ticking_both_boxes_and_confirming_in_the_browser(make_page, article, run_tasks, smtp_server):
    """With JavaScript: tick both boxes, post, get one email, open its link, press Confirm: both subscriptions live."""
    from subscriptions.models import Subscription

    page = make_page()
    page.goto(article.get_absolute_url())
    boxes = page.locator(".comment-subscription-form")
    expect(boxes).to_have_count(2)
    expect(page.get_by_role("checkbox", name="Notify me of new comments via email.")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Notify me of new posts via email.")).not_to_be_checked()
    fill_and_tick(page, boxes=["Notify me of new comments via email.", "Notify me of new posts via email."])
    answer = page.locator("#commentform").get_by_role("textbox", name="Characters in the picture")
    expect(answer).to_be_visible()
    answer.fill(captcha_answer(page))
    page.locator("#commentform").get_by_role("button", name="Post Comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    run_tasks()

    [received] = smtp_server.to(EMAIL)
    confirm = link_in(received, "confirm")
    for viewport, dark in ((DESKTOP, False), (PHONE, False), (PHONE, True)):
        reader = make_page(viewport, mobile=viewport is PHONE, color_scheme="dark" if dark else "light")
        reader.goto(confirm)
        expect(reader.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
        expect(reader.get_by_role("main")).to_contain_text("New comments on “Notes from the allotment”")
        check_page(reader, "subscription-confirm" + ("-dark" if dark else ""))
    assert not Subscription.objects.confirmed().exists()

    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    check_page(page, "subscription-confirmed")
    assert Subscription.objects.confirmed().count() == 2


def test_without_javascript_the_boxes_come_through_the_confirm_page(make_page, article, run_tasks, smtp_server):
    """Without JavaScript: the ticked box is still ticked on the "almost done" page, and the email follows."""
    from subscriptions.models import Subscription

    page = make_page(java_script_enabled=False)
    page.goto(article.get_absolute_url())
    fill_and_tick(page, boxes=["Notify me of new comments via email."])
    page.locator("#commentform").get_by_role("button", name="Post Comment").click()

    expect(page.get_by_role("checkbox", name="Notify me of new comments via email.")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Notify me of new posts via email.")).not_to_be_checked()
    page.locator("#commentform").get_by_role("textbox", name="Characters in the picture").fill(captcha_answer(page))
    page.locator("#commentform").get_by_role("button", name="Post Comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    run_tasks()

    assert [(sub.post_id, sub.confirmed) for sub in Subscription.objects.all()] == [(article.pk, False)]
    assert len(smtp_server.to(EMAIL)) == 1


def test_the_readers_page_from_a_new_comment_email(make_page, article, make_comment, run_tasks, smtp_server):
    """A follower's new-comment email links their page; it lists what they follow and its Stop buttons work."""
    from comments.models import Actor, Reason, Status
    from comments.moderation import change_status
    from subscriptions.models import Subscription

    followed(post=article)
    followed()
    comment = make_comment(article, status=Status.PENDING, author_name="Gertrude Jekyll", body="Plant in drifts.")
    change_status(comment, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    run_tasks()
    [received] = smtp_server.to(EMAIL)
    manage = link_in(received, "manage")

    for viewport, dark in ((DESKTOP, False), (PHONE, False), (DESKTOP, True)):
        page = make_page(viewport, mobile=viewport is PHONE, color_scheme="dark" if dark else "light")
        page.goto(manage)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your emails from The Quiet Margin")
        expect(page.get_by_role("button", name=re.compile("^Stop"))).to_have_count(3)  # two, and "Stop all emails"
        check_page(page, "subscriptions-manage" + ("-dark" if dark else ""))

    page.get_by_role("button", name="Stop emails about new comments on “Notes from the allotment”").click()
    expect(page.get_by_role("status")).to_have_text(
        "Stopped: new comments on “Notes from the allotment”. You will get no more emails about it."
    )
    check_page(page, "subscriptions-manage-stopped")
    assert list(Subscription.objects.values_list("post", flat=True)) == [None]

    page.get_by_role("button", name="Stop all emails").click()
    expect(page.get_by_role("button", name="Allow emails again")).to_be_visible()
    check_page(page, "subscriptions-manage-opted-out")
    assert not Subscription.objects.exists()


def test_the_unsubscribe_link_asks_then_stops(make_page, article, run_tasks, smtp_server):
    """The List-Unsubscribe address opened in a browser shows one button; pressing it stops the new-post emails."""
    from subscriptions.models import Subscription

    followed()
    publish_new_post(article.author)
    run_tasks()
    [received] = smtp_server.to(EMAIL)
    unsubscribe = received.message["List-Unsubscribe"].strip("<>")

    for viewport in (DESKTOP, PHONE):
        page = make_page(viewport, mobile=viewport is PHONE)
        page.goto(unsubscribe)
        expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe?")
        check_page(page, "subscriptions-unsubscribe")
    assert Subscription.objects.exists()

    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    check_page(page, "subscriptions-unsubscribed")
    assert not Subscription.objects.exists()


def test_the_html_emails_read_well_on_a_wide_and_a_narrow_screen(
    make_page, article, make_comment, run_tasks, smtp_server
):
    """The HTML parts of a new-post and a new-comment email, drawn by Chromium as a mail client would: screenshots."""
    from comments.models import Actor, Reason, Status
    from comments.moderation import change_status

    followed(post=article)
    followed()
    comment = make_comment(
        article,
        status=Status.PENDING,
        author_name="Gertrude <b>Jekyll</b>",
        body="Plant in drifts.\n\n<script>x</script>",
    )
    change_status(comment, Status.APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)
    publish_new_post(article.author)
    run_tasks()
    by_subject = {" ".join(received.subject.split()): received for received in smtp_server.to(EMAIL)}
    emails = {
        "email-new-post": by_subject["[The Quiet Margin] Seed catalogues in winter"],
        "email-new-comment": by_subject['[The Quiet Margin] New comment on "Notes from the allotment"'],
    }
    for name, received in emails.items():
        html = received.message.get_body(("html",)).get_content()
        for viewport in (DESKTOP, PHONE):
            page = make_page(viewport, mobile=viewport is PHONE)
            page.set_content(html)
            assert horizontal_overflow(page) <= 0, widest_elements(page)
            save_screenshot(page, name)
    comment_page = make_page()
    comment_page.set_content(emails["email-new-comment"].message.get_body(("html",)).get_content())
    expect(comment_page.locator("blockquote")).to_contain_text("Gertrude <b>Jekyll</b> wrote")
    expect(comment_page.locator("blockquote")).to_contain_text("<script>x</script>")
    expect(comment_page.locator("script")).to_have_count(0)
