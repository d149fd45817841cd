"""The "Leave a Reply" form in a browser: guests with and without JavaScript, replies, keyboard, axe, screenshots."""

import re

import pytest
from playwright.sync_api import expect

from .browser import (
    DESKTOP,
    PHONE,
    SCREENSHOT_DIR,
    assert_no_axe_violations,
    assert_page_clean,
    horizontal_overflow,
    save_screenshot,
    watch_of,
    widest_elements,
)

pytestmark = pytest.mark.django_db(transaction=True)

AWAITING = "Your comment is awaiting moderation."
CHECK_INBOX = "Check your inbox to confirm your subscription: we sent a link to m\N{HORIZONTAL ELLIPSIS}@example.com."
POSTED_URL = re.compile(r"#comment-(\d+)$")


@pytest.fixture(autouse=True)
def _no_speed_trap(settings):
    """A robot types faster than the form's minimum time; that trap has its own tests."""
    settings.COMMENTS_MIN_SECONDS = 0


def approved_comment(post, name, body, *, parent=None, url=""):
    """An approved comment stored directly, as a moderator would have left it."""
    from comments.models import Comment

    number = Comment.objects.count() + 1
    comment = Comment.build(
        post=post,
        parent=parent,
        body=body,
        author_name=name,
        author_email=f"reader{number}@example.com",
        author_url=url,
        status=Comment.Status.APPROVED,
        reason=Comment.Reason.MODERATOR,
        ip_address=f"2001:db8::{number:x}",
    )
    comment.save()
    return comment


def captcha_answer(page) -> str:
    """The answer to the captcha the page shows now (its key is the hidden captcha_0 input)."""
    from captcha.models import CaptchaStore

    key = page.locator("#commentform input[name=captcha_0]").input_value()
    return CaptchaStore.objects.get(hashkey=key).response


def form_field(page, name):
    return page.locator("#commentform").get_by_role("textbox", name=name, exact=True)


def fill_guest_form(page, *, comment, email="marianne@example.com", name="Marianne North", website=""):
    form_field(page, "Comment").fill(comment)
    form_field(page, "Email").fill(email)
    form_field(page, "Name").fill(name)
    if website:
        form_field(page, "Website").fill(website)


def wait_for_captcha(page):
    answer = form_field(page, "Characters in the picture")
    expect(answer).to_be_visible()
    return answer


def post_comment_button(page):
    return page.locator("#commentform").get_by_role("button", name="Post Comment")


def posted_comment(page):
    """The comment the browser landed on after posting (#comment-N), from the database."""
    from comments.models import Comment

    expect(page).to_have_url(POSTED_URL)
    return Comment.objects.get(pk=int(POSTED_URL.search(page.url).group(1)))


def focused(page) -> str:
    """The focused element, as a test reads it: its name attribute, else its text."""
    return page.evaluate("() => { const e = document.activeElement; return e.name || e.textContent.trim(); }")


def save_element_screenshot(locator, name, viewport):
    """Like save_screenshot, of one element: a close look at the part of the page a test is about."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=SCREENSHOT_DIR / f"{name}-{viewport['width']}.png", animations="disabled")


def forgive_bad_request(page):
    """Drop the console error Chromium logs for the form page's deliberate 400 status, and nothing else."""
    errors = watch_of(page).console_errors
    expected = re.compile(r"Failed to load resource: .*status of 400 .*/comments/post/\d+/")
    errors[:] = [error for error in errors if not expected.match(error)]


def tab(page) -> str:
    """Press Tab (passing the log-in buttons in #social-login, tested elsewhere) and say what has focus."""
    page.keyboard.press("Tab")
    for _ in range(10):
        if not page.evaluate("() => !!document.activeElement.closest('#social-login')"):
            break
        page.keyboard.press("Tab")
    return focused(page)


def check_layout(page, state):
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{state}: {overflow}px too wide; sticking out: {widest_elements(page)}"


def test_guest_comment_with_javascript(make_page, article):
    """A guest fills in the form, gets the captcha on focus, posts, and alone sees the comment awaiting moderation."""
    page = make_page()
    stranger = make_page()
    html = page.request.get(article.get_absolute_url()).text()
    assert html == stranger.request.get(article.get_absolute_url()).text(), "the article differs between visitors"
    assert "csrfmiddlewaretoken" not in html and 'name="captcha_0"' not in html
    page.goto(article.get_absolute_url())
    expect(page.locator("#commentform input[name=timestamp]")).to_have_value("")
    expect(page.locator("#commentform input[name=captcha_1]")).to_have_count(0)

    form_field(page, "Comment").click()
    answer = wait_for_captcha(page)
    captcha = page.locator("#comment-captcha")
    expect(captcha.get_by_role("group", name="Show you are not a robot")).to_be_visible()
    expect(captcha.get_by_role("img", name="Distorted characters to type into the box below")).to_be_visible()
    expect(captcha.get_by_role("button", name="New picture")).to_be_visible()
    expect(captcha.get_by_role("link", name="Listen to the characters instead")).to_have_attribute(
        "href", re.compile(r"^/captcha/audio/\w+\.wav$")
    )
    fill_guest_form(
        page,
        comment="Try sowing the carrots with radishes:\nthe radishes mark the rows.",
        website="https://north.example",
    )
    answer.fill(captcha_answer(page))
    post_comment_button(page).click()

    comment = posted_comment(page)
    assert comment.status == comment.Status.PENDING
    assert (comment.author_name, comment.author_email, comment.author_url) == (
        "Marianne North",
        "marianne@example.com",
        "https://north.example",
    )
    assert comment.body == "Try sowing the carrots with radishes:\nthe radishes mark the rows."
    shown = page.locator(f"#comment-{comment.pk}")
    expect(shown).to_be_in_viewport()
    expect(shown).to_contain_text(AWAITING)
    expect(shown).to_contain_text("the radishes mark the rows.")
    expect(shown.get_by_role("link", name="Marianne North")).to_have_attribute("href", "https://north.example")
    expect(shown.get_by_role("link", name="Reply to Marianne North")).to_have_count(0)
    save_screenshot(page, "leave-a-reply-held-as-author")

    stranger.goto(article.get_absolute_url())
    expect(stranger.locator("#comments")).to_be_visible()
    expect(stranger.locator(f"#comment-{comment.pk}")).to_have_count(0)
    expect(stranger.locator("main")).not_to_contain_text("radishes")
    expect(stranger.locator("main")).not_to_contain_text(AWAITING)
    assert_page_clean(page)


def notify_me_of_new_comments(page):
    return page.locator("#commentform").get_by_role("checkbox", name="Notify me of new comments via email.")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_ticking_notify_me_lands_on_check_your_inbox(make_page, article, viewport):
    """With JavaScript, a guest who ticks "Notify me of new comments" lands on their held comment told to confirm."""
    page = make_page(viewport, mobile=viewport is PHONE)
    page.goto(article.get_absolute_url())
    form_field(page, "Comment").click()
    answer = wait_for_captcha(page)
    fill_guest_form(page, comment="Do the slugs eat your lettuces too?")
    notify_me_of_new_comments(page).check()
    answer.fill(captcha_answer(page))
    post_comment_button(page).click()

    comment = posted_comment(page)
    notice = page.locator(f"#comment-{comment.pk}").get_by_role("status")
    expect(notice).to_have_text(CHECK_INBOX)
    expect(notice).to_be_in_viewport()
    check_layout(page, "check your inbox")
    save_screenshot(page, "leave-a-reply-check-your-inbox")
    assert_no_axe_violations(page)
    assert_page_clean(page)


def test_guest_comment_without_javascript(make_page, article):
    """Without JavaScript, Post Comment leads to a confirm page that keeps the text and asks for the captcha; a wrong
    answer there keeps the first timestamp; the comment lands saying to check the inbox for the ticked box."""
    page = make_page(java_script_enabled=False)
    page.goto(article.get_absolute_url())
    expect(page.locator("#comment-captcha")).to_contain_text("you'll be asked to type a few characters")
    fill_guest_form(page, comment="Carrots like sandy soil.\n\nMine sulk in clay.", website="https://north.example")
    page.locator("#commentform").get_by_role("checkbox", name=re.compile("^Save my name")).check()
    notify_me_of_new_comments(page).check()
    post_comment_button(page).click()

    expect(page).to_have_url(re.compile(rf"/comments/post/{article.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your comment on “{article.title}”")
    expect(page.get_by_role("heading", name=re.compile("Leave a Reply"))).to_have_count(1)  # said once, not twice
    expect(page.locator(".form-intro")).to_contain_text("type the characters in the picture")
    expect(form_field(page, "Comment")).to_have_value("Carrots like sandy soil.\n\nMine sulk in clay.")
    expect(form_field(page, "Email")).to_have_value("marianne@example.com")
    expect(form_field(page, "Name")).to_have_value("Marianne North")
    expect(form_field(page, "Website")).to_have_value("https://north.example")
    expect(page.locator("#commentform").get_by_role("checkbox", name=re.compile("^Save my name"))).to_be_checked()
    expect(page.get_by_role("img", name="Distorted characters to type into the box below")).to_be_visible()
    expect(page.get_by_role("button", name="New picture")).to_be_hidden()  # it needs the script
    save_screenshot(page, "leave-a-reply-confirm-no-js")
    from comments.models import Comment

    assert not Comment.objects.exists()
    timestamp = page.locator("#commentform input[name=timestamp]")
    first_form = timestamp.input_value()

    form_field(page, "Characters in the picture").fill("not it")
    post_comment_button(page).click()
    expect(page.get_by_role("alert").first).to_contain_text("Your comment was not posted yet")
    forgive_bad_request(page)
    expect(timestamp).to_have_value(first_form)  # the time counts from the first form, not from this one
    expect(notify_me_of_new_comments(page)).to_be_checked()
    form_field(page, "Characters in the picture").fill(captcha_answer(page))
    post_comment_button(page).click()

    comment = posted_comment(page)
    assert article.get_absolute_url() + "?confirm-following=" in page.url
    assert comment.status == comment.Status.PENDING and comment.post_id == article.pk
    assert comment.body == "Carrots like sandy soil.\n\nMine sulk in clay."
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text(AWAITING)
    expect(page.locator(f"#comment-{comment.pk}").get_by_role("status")).to_have_text(CHECK_INBOX)
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Mine sulk in clay.")
    expect(form_field(page, "Name")).to_have_value("Marianne North")  # remembered, as ticked
    assert_page_clean(page)


def test_reply_with_javascript_moves_the_form_and_nests_the_reply(page, article):
    """Reply moves the form under the comment, Cancel reply puts it back, and a posted reply nests under its parent."""
    parent = approved_comment(article, "Gertrude Jekyll", "Plant in drifts, never in rows.")
    page.goto(article.get_absolute_url())
    respond = page.locator("#respond")
    title = page.locator("#reply-title-text")
    cancel = page.get_by_role("link", name="Cancel reply")
    expect(cancel).to_be_hidden()

    page.get_by_role("link", name="Reply to Gertrude Jekyll").click()

    expect(page.locator(f"#comment-{parent.pk} > #respond")).to_have_count(1)
    expect(title).to_have_text("Leave a Reply to Gertrude Jekyll")
    expect(cancel).to_be_visible()
    expect(form_field(page, "Comment")).to_be_focused()
    expect(page.locator("#comment_parent")).to_have_value(str(parent.pk))
    assert "replytocom" not in page.url

    cancel.click()

    expect(page.locator(f"#comment-{parent.pk} #respond")).to_have_count(0)
    expect(page.locator("#comments > #respond")).to_have_count(1)
    expect(title).to_have_text("Leave a Reply")
    expect(cancel).to_be_hidden()
    expect(page.locator("#comment_parent")).to_have_value("")

    page.get_by_role("link", name="Reply to Gertrude Jekyll").click()
    expect(respond.locator("..")).to_have_id(f"comment-{parent.pk}")
    fill_guest_form(page, comment="Drifts of foxgloves, then.")
    form_field(page, "Characters in the picture").fill(captcha_answer(page))
    post_comment_button(page).click()

    reply = posted_comment(page)
    assert (reply.parent_id, reply.depth, reply.status) == (parent.pk, 2, reply.Status.PENDING)
    nested = page.locator(f"#comment-{parent.pk} > ol.children > #comment-{reply.pk}")
    expect(nested).to_contain_text("Drifts of foxgloves, then.")
    expect(nested).to_contain_text(AWAITING)
    expect(page.locator("#comments > #respond")).to_have_count(1)  # the form is back at the end
    assert_page_clean(page)


def test_reply_without_javascript_opens_the_form_for_that_comment(make_page, article):
    """Without JavaScript, Reply goes to ?replytocom=N#respond with the heading and the hidden parent set."""
    parent = approved_comment(article, "Gertrude Jekyll", "Plant in drifts, never in rows.")
    page = make_page(java_script_enabled=False)
    page.goto(article.get_absolute_url())

    page.get_by_role("link", name="Reply to Gertrude Jekyll").click()

    expect(page).to_have_url(re.compile(rf"\?replytocom={parent.pk}#respond$"))
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply to Gertrude Jekyll")
    expect(page.locator("#comment_parent")).to_have_value(str(parent.pk))
    cancel = page.get_by_role("link", name="Cancel reply")
    expect(cancel).to_be_visible()
    expect(cancel).to_have_attribute("href", f"{article.get_absolute_url()}#respond")
    expect(page.locator("#respond")).to_be_in_viewport()

    fill_guest_form(page, comment="Drifts of foxgloves, then.")
    post_comment_button(page).click()
    expect(page.locator("#comment_parent")).to_have_value(str(parent.pk))  # kept on the confirm page
    form_field(page, "Characters in the picture").fill(captcha_answer(page))
    post_comment_button(page).click()

    reply = posted_comment(page)
    assert reply.parent_id == parent.pk
    expect(page.locator(f"#comment-{parent.pk} > ol.children > #comment-{reply.pk}")).to_contain_text(AWAITING)
    assert_page_clean(page)


def test_keyboard_only_guest_can_post_and_get_a_new_picture(page, article):
    """With the keyboard alone a guest reaches every field in order, gets a new captcha picture and posts."""
    page.goto(article.get_absolute_url())
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page) == "comment":
            break
    else:
        pytest.fail("Tab never reached the comment box")
    page.keyboard.type("Keyboard gardening: fork, rake, hoe.")
    captcha = page.locator("#comment-captcha")
    wait_for_captcha(page)

    order = []
    for text in ["marianne@example.com", "Marianne North", "https://north.example"]:
        order.append(tab(page))
        page.keyboard.type(text)
    order.append(tab(page))
    page.keyboard.press("Space")
    order.append(tab(page))
    assert order == ["email", "name", "url", "remember", "New picture"], order
    expect(captcha.locator(":focus")).to_be_visible()

    image = captcha.locator("img.captcha-image")
    key = captcha.locator("input[name=captcha_0]")
    old_src, old_key = image.get_attribute("src"), key.input_value()
    page.keyboard.press("Enter")
    expect(key).not_to_have_value(old_key)
    expect(image).not_to_have_attribute("src", old_src)
    assert key.input_value() in image.get_attribute("src")
    expect(form_field(page, "Characters in the picture")).to_be_focused()
    page.keyboard.type(captcha_answer(page))

    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Listen to the characters instead"
    assert tab(page) == "captcha_1"
    assert tab(page) == "subscribe_comments"  # "Notify me of new comments via email."
    assert tab(page) == "subscribe_blog"
    assert tab(page) == "Post Comment"
    page.keyboard.press("Enter")

    comment = posted_comment(page)
    assert comment.body == "Keyboard gardening: fork, rake, hoe."
    assert (comment.author_name, comment.author_url) == ("Marianne North", "https://north.example")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text(AWAITING)
    expect(form_field(page, "Email")).to_have_value("marianne@example.com")  # "Save my name..." was ticked
    assert_page_clean(page)


def test_new_picture_over_the_limit_keeps_the_picture_and_says_why(page, article, settings):
    """Past the form's limit "New picture" keeps the captcha the reader has and says to wait, instead of a blank."""
    settings.COMMENTS_RATE_FORM_STATE = ["1/d", "100/d"]  # the form's state takes the one allowed
    page.goto(article.get_absolute_url())
    form_field(page, "Comment").click()
    wait_for_captcha(page)
    captcha = page.locator("#comment-captcha")
    image, key = captcha.locator("img.captcha-image"), captcha.locator("input[name=captcha_0]")
    old_src, old_key = image.get_attribute("src"), key.input_value()

    captcha.get_by_role("button", name="New picture").click()

    expect(captcha.get_by_role("status")).to_contain_text("wait a minute")
    assert (image.get_attribute("src"), key.input_value()) == (old_src, old_key)
    save_element_screenshot(captcha, "captcha-new-picture-over-the-limit", DESKTOP)
    assert_no_axe_violations(page)
    errors = watch_of(page).console_errors
    errors[:] = [error for error in errors if not re.match(r"Failed to load resource: .*status of 429", error)]
    assert_page_clean(page)


@pytest.mark.parametrize(
    ("viewport", "color_scheme"),
    [(DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark")],
    ids=["1280", "390", "1280-dark"],
)
def test_form_states_have_no_axe_violations_and_fit_the_screen(make_page, article, viewport, color_scheme):
    """axe finds nothing and nothing scrolls sideways: fresh form, captcha loaded, reply open, validation errors."""
    top = approved_comment(article, "Gertrude Jekyll", "Plant in drifts, never in rows.")
    reply = top
    for depth, name in enumerate(["Vita Sackville-West", "Beth Chatto", "Christopher Lloyd", "Piet Oudolf"], 2):
        reply = approved_comment(
            article, name, f"A reply at depth {depth}: gravel gardens need no watering at all.", parent=reply
        )
    approved_comment(
        article,
        "Marianne North",
        "My notes are at https://north.example/notes/a-very-long-address-without-any-breaks-in-it-at-all-whatsoever",
        url="https://north.example",
    )
    page = make_page(viewport, mobile=viewport is PHONE, color_scheme=color_scheme)
    suffix = "-dark" if color_scheme == "dark" else ""
    page.goto(article.get_absolute_url())
    expect(page.get_by_role("heading", name="6 thoughts on “Notes from the allotment”")).to_be_visible()
    expect(page.get_by_role("link", name="Reply to Piet Oudolf")).to_have_count(0)  # deepest level: no Reply
    check_layout(page, "fresh article")
    save_screenshot(page, "leave-a-reply-thread" + suffix)
    assert_no_axe_violations(page)

    form_field(page, "Comment").focus()
    wait_for_captcha(page)
    expect(page.locator("#comment-captcha img")).to_have_js_property("complete", True)
    check_layout(page, "captcha loaded")
    save_element_screenshot(page.locator("#respond"), "leave-a-reply-captcha" + suffix, viewport)
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Reply to Christopher Lloyd").click()
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply to Christopher Lloyd")
    check_layout(page, "reply open")
    save_element_screenshot(page.locator(f"#comment-{reply.parent_id}"), "leave-a-reply-reply-open" + suffix, viewport)
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Cancel reply").click()
    post_comment_button(page).click()
    expect(page.get_by_role("alert").first).to_contain_text("Your comment was not posted yet")
    expect(page.locator("#commentform .errorlist").first).to_be_visible()
    required = "This field is required."
    for name, description in [
        ("Comment", required),
        ("Email", f"{required} Your email address will not be published."),
        ("Name", required),
        ("Characters in the picture", required),
    ]:
        expect(form_field(page, name)).to_have_attribute("aria-invalid", "true")
        expect(form_field(page, name)).to_have_accessible_description(description)
        expect(form_field(page, name)).to_have_css("border-top-width", "2px")
    expect(page.get_by_role("button", name="New picture")).to_be_visible()
    forgive_bad_request(page)
    check_layout(page, "validation errors")
    save_screenshot(page, "leave-a-reply-errors" + suffix)
    assert_no_axe_violations(page)
    assert_page_clean(page)
