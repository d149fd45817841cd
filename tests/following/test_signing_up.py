"""Signing up: WordPress.com's two "Notify me" boxes under the comment form, and double opt-in - one
confirmation email whose link asks first and whose button confirms; with and without JavaScript;
a reader whose login provider verified the address skips it."""

import re

import pytest
from allauth.account.models import EmailAddress
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.forms import issue_timestamp
from comments.models import Comment, Status
from subscriptions.models import Address, Subscription
from tests.test_social_login import log_in, post_comment

from .conftest import comment_as_guest, link, press, subject, subjects

pytestmark = pytest.mark.django_db

NEW_COMMENTS = "Notify me of new comments via email."
NEW_POSTS = "Notify me of new posts via email."
CHECK_INBOX = "Check your inbox to confirm your subscription: we sent a link to {}\N{HORIZONTAL ELLIPSIS}@{}."
CONFIRM_SUBJECT = "[The Quiet Margin] Please confirm your subscription"


def test_the_form_has_both_boxes_unticked_and_the_same_for_every_guest(post):
    """Under the form: WordPress.com's two boxes, unticked, in an article page that is the same bytes for everyone."""
    first, second = Client().get(post.get_absolute_url()), Client().get(post.get_absolute_url())
    page = first.content.decode()

    assert first.content == second.content
    for name, label in [("subscribe_comments", NEW_COMMENTS), ("subscribe_blog", NEW_POSTS)]:
        box = re.search(rf'<input type="checkbox" name="{name}" value="subscribe" id="id_{name}">', page)
        assert box, f"{name} missing or ticked"
        assert f'<label for="id_{name}">{label}</label>' in page


def test_ticking_both_boxes_sends_one_confirmation_and_nothing_else(client, smtp_server, run_tasks, post):
    """Both boxes ticked: two subscriptions wait, and the address gets one email asking to confirm both."""
    comment = comment_as_guest(client, post, subscribe_comments=True, subscribe_blog=True)
    run_tasks()

    waiting = Subscription.objects.filter(address__email=comment.author_email)
    assert {(sub.post_id, sub.confirmed) for sub in waiting} == {(post.pk, False), (None, False)}
    [received] = smtp_server.to(comment.author_email)
    assert subject(received) == "[The Quiet Margin] Please confirm your subscription"
    assert f'- new comments on "{post.title}"\n- new posts on The Quiet Margin' in received.text
    assert link(received, "confirm")


def follow_notice(client, comment):
    """The "Check your inbox" notice under `comment` on the page the reader lands on after posting, or None."""
    page = client.get(comment.landing).content.decode()
    item = re.search(rf'<li id="comment-{comment.pk}".*?</article>', page, re.DOTALL)
    assert item, f"comment {comment.pk} not shown"
    notice = re.search(r'<p class="comment-follow-notice" role="status">(.*?)</p>', item.group(0))
    return notice and re.sub(r"<[^>]+>", "", notice.group(1))  # as read: the address's span a matter of layout


def test_the_page_after_posting_says_to_check_the_inbox(client, smtp_server, run_tasks, post):
    """Ticking a box lands the reader on their comment saying to confirm, the address partly shown; only to them."""
    comment = comment_as_guest(client, post, email="marianne.north@example.net", subscribe_comments=True)

    assert follow_notice(client, comment) == CHECK_INBOX.format("m", "example.net")
    stranger = Client().get(comment.landing).content.decode()
    assert "Check your inbox" not in stranger and "marianne" not in stranger
    run_tasks()
    assert subjects(smtp_server, "marianne.north@example.net") == [CONFIRM_SUBJECT]


def test_a_forged_or_someone_elses_word_of_a_confirmation_shows_nothing(client, post):
    """The notice needs the signed word of this reader's comment: forged, or another comment's, it says nothing."""
    mine = comment_as_guest(client, post)
    other = comment_as_guest(Client(), post, subscribe_comments=True)
    page, _, anchor = mine.landing.partition("#")
    for word in ["1", "garbage", other.landing.partition("confirm-following=")[2].partition("#")[0]]:
        mine.landing = f"{page}?confirm-following={word}#{anchor}"
        assert follow_notice(client, mine) is None, word


@pytest.mark.parametrize("why", ["no box ticked", "already following", "asked within the hour"])
def test_no_confirmation_email_no_notice(client, smtp_server, run_tasks, post, why):
    """When no confirmation email was asked for (no box, already confirmed, asked an hour ago), nothing is said."""
    email = "percy@example.net"
    if why == "already following":
        Subscription.objects.create(address=Address.objects.for_email(email), post=post, confirmed_at=timezone.now())
    if why == "asked within the hour":
        comment_as_guest(client, post, email=email, subscribe_comments=True)
    comment = comment_as_guest(client, post, email=email, subscribe_comments=why != "no box ticked")

    assert "confirm-following" not in comment.landing
    assert follow_notice(client, comment) is None


def test_an_unticked_form_subscribes_nobody(client, smtp_server, run_tasks, post):
    """No box ticked: no address stored, no email to the commenter."""
    comment = comment_as_guest(client, post)
    run_tasks()

    assert not Address.objects.exists()
    assert smtp_server.to(comment.author_email) == []


def test_a_filled_honeypot_asks_for_nothing(client, smtp_server, run_tasks, post):
    """A robot's comment (hidden honeypot filled) with the boxes ticked stores no address and sends no email."""
    comment = comment_as_guest(
        client, post, subscribe_comments=True, subscribe_blog=True, honeypot="http://spam.example/"
    )
    run_tasks()

    assert Comment.objects.get(pk=comment.pk).status == Status.SPAM
    assert not Address.objects.exists()
    assert smtp_server.to(comment.author_email) == []


def test_the_confirmation_link_asks_first_and_the_button_confirms(client, smtp_server, run_tasks, post):
    """GET on the link shows what it confirms and changes nothing; the button's POST confirms both."""
    comment = comment_as_guest(client, post, subscribe_comments=True, subscribe_blog=True)
    run_tasks()
    path = link(smtp_server.to(comment.author_email)[0], "confirm")

    page = client.get(path)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    assert "Confirm your subscription" in page.content.decode()
    assert not Subscription.objects.confirmed().exists()

    done = press(Client(enforce_csrf_checks=True), path)
    assert done.status_code == 200
    assert "You are subscribed" in done.content.decode()
    assert Subscription.objects.confirmed().count() == 2
    assert not Subscription.objects.exclude(ip_address=None).exists()  # not kept once confirmed


def test_without_javascript_the_ticked_boxes_survive_the_confirm_page(smtp_server, run_tasks, post):
    """The cached page's form (no token, no timestamp) comes back ticked on the "almost done" page, and then counts."""
    browser = Client(enforce_csrf_checks=True)
    typed = {
        "comment": "No script here.",
        "name": "Ada",
        "email": "ada-nojs@example.net",
        "subscribe_comments": "subscribe",
    }
    confirm_page = browser.post(reverse("comments:post", args=[post.pk]), {**typed, "timestamp": ""})

    page = confirm_page.content.decode()
    assert confirm_page.status_code == 200 and "Almost done" in page
    assert re.search(r'name="subscribe_comments" value="subscribe" id="id_subscribe_comments" checked>', page)
    assert re.search(r'name="subscribe_blog" value="subscribe" id="id_subscribe_blog">', page)
    fields = dict(
        re.findall(r'<input type="hidden"\s+name="(csrfmiddlewaretoken|timestamp|captcha_0)"\s+value="([^"]*)"', page)
    )
    answer = CaptchaStore.objects.get(hashkey=fields["captcha_0"]).response
    posted = browser.post(reverse("comments:post", args=[post.pk]), {**typed, **fields, "captcha_1": answer})
    assert posted.status_code == 302
    landed = browser.get(posted["Location"]).content.decode()
    assert CHECK_INBOX.format("a", "example.net") in re.sub(r"<[^>]+>", "", landed)
    run_tasks()

    assert [(sub.post_id, sub.confirmed) for sub in Subscription.objects.all()] == [(post.pk, False)]
    assert len(smtp_server.to("ada-nojs@example.net")) == 1


def test_a_reader_whose_provider_verified_the_address_skips_confirmation(
    client, providers, smtp_server, run_tasks, post
):
    """Logged in with Google (which reports the address verified), the boxes subscribe at once, no email needed."""
    log_in(client, providers, "google", post)
    assert EmailAddress.objects.get(email="marianne@example.com").verified
    post_comment(client, post, "The broad beans are up.", subscribe_comments="subscribe", subscribe_blog="subscribe")
    run_tasks()

    assert Subscription.objects.confirmed().filter(address__email="marianne@example.com").count() == 2
    assert not Subscription.objects.exclude(ip_address=None).exists()  # not kept once confirmed
    assert smtp_server.to("marianne@example.com") == []


def test_a_logged_in_reader_with_an_unverified_address_confirms_like_a_guest(
    client, make_user, smtp_server, run_tasks, post
):
    """An account whose address nobody verified (staff logged in at the admin, say) gets the confirmation email."""
    user = make_user("reader")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    response = client.post(
        reverse("comments:post", args=[post.pk]),
        {"comment": "Logged in.", "timestamp": issue_timestamp(post), "subscribe_comments": "subscribe"},
    )
    assert response.status_code == 302
    run_tasks()

    assert not Subscription.objects.confirmed().exists()
    assert subjects(smtp_server, user.email) == ["[The Quiet Margin] Please confirm your subscription"]
