"""Abuse limits, against real gunicorns sharing a real Redis: the form's state, new captchas, posting, admin logins.

Three gunicorn workers count in one Redis, so a limit holds however many processes serve the
site; readers come from their own loopback addresses (127.0.0.x) to test the per-network limit.
The limits here are counted per day: django-ratelimit's windows are fixed, aligned to the clock, so
a limit per minute would start afresh whenever a minute's window ended in the middle of a test.
"""

import pytest
from captcha.models import CaptchaStore

from comments.models import Comment
from tests.servers import GuestBrowser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def limited(gunicorn, redis_server):
    def start(**env):
        return gunicorn(
            workers=3, REDIS_URL=redis_server.url, COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0", **env
        )

    return start


def test_the_forms_state_is_limited_per_address_across_processes(limited, post):
    """Five form states per address: the sixth is a 429, and no sixth captcha is stored."""
    server = limited(COMMENTS_RATE_FORM_STATE="5/d,100/d")
    with GuestBrowser(server.url) as reader:
        answers = [reader.http.get(f"/comments/form-state/{post.pk}/") for _ in range(8)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    assert "wait a minute" in answers[-1].json()["error"]
    assert CaptchaStore.objects.count() == 5


def test_new_captcha_pictures_count_against_the_same_limit(limited, post):
    """ "New picture" stores a captcha too: it is limited with the form's state."""
    server = limited(COMMENTS_RATE_FORM_STATE="3/d,100/d")
    with GuestBrowser(server.url) as reader:
        reader.http.get(f"/comments/form-state/{post.pk}/")
        refreshes = [
            reader.http.get("/captcha/refresh/", headers={"X-Requested-With": "XMLHttpRequest"}) for _ in range(4)
        ]

    assert [answer.status_code for answer in refreshes] == [200, 200, 429, 429]


def test_one_network_is_limited_however_many_addresses_it_uses(limited, post):
    """Readers from ten addresses of one /24 share its limit: past eight form states, the others wait."""
    server = limited(COMMENTS_RATE_FORM_STATE="100/d,8/d")
    statuses = []
    for last in range(11, 21):
        with GuestBrowser(server.url, source_address=f"127.0.0.{last}") as reader:
            statuses.append(reader.http.get(f"/comments/form-state/{post.pk}/").status_code)

    assert statuses == [200] * 8 + [429] * 2


def test_a_comment_over_the_limit_gets_a_429_page_with_its_text_kept(limited, post):
    """Past three posts, the reader is asked to wait, sees their text, and no captcha is made for them."""
    server = limited(COMMENTS_RATE_POSTS="3/d,100/d")
    with GuestBrowser(server.url) as reader:
        for number in range(3):
            assert reader.post_comment(post, comment=f"Thought {number}.", email=f"r{number}@x.org").status_code == 302
        form = reader.prepared_form(post, comment="One more, kept for later.")
        before = CaptchaStore.objects.count()
        refused = reader.send(post, form)

    assert refused.status_code == 429
    text = " ".join(refused.text.split())
    assert "too many comments came from your network" in text
    assert "One more, kept for later.</textarea>" in refused.text
    assert 'name="captcha_0"' not in refused.text and CaptchaStore.objects.count() == before
    assert Comment.objects.count() == 3


def test_an_address_made_up_in_x_forwarded_for_does_not_escape_the_limit(limited, post):
    """A client reaching gunicorn itself, a new X-Forwarded-For each time, is counted as the address it comes from."""
    server = limited(BEHIND_TLS_PROXY="true", COMMENTS_RATE_FORM_STATE="3/d,100/d")  # as deployed behind nginx
    with GuestBrowser(server.url, source_address="127.0.0.42") as stranger:
        answers = [
            stranger.http.get(f"/comments/form-state/{post.pk}/", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(1, 6)
        ]

    assert [answer.status_code for answer in answers] == [200] * 3 + [429] * 2
