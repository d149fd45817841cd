"""The documented deployment: Debian's nginx running deploy/nginx/blog.conf in front of gunicorn.

Readers connect from their own loopback addresses (127.0.0.11, .12, ...), so the site must
learn each one from nginx's X-Forwarded-For, as it would from the internet; nginx connects from
127.0.0.1, the default TRUSTED_PROXY_ADDRESSES, and a client reaching gunicorn from any other
address is believed no X-Forwarded-* header.
"""

import re

import pytest
from django.conf import settings

from comments.models import Comment
from tests.servers import GuestBrowser

pytestmark = pytest.mark.django_db(transaction=True)

READERS = [f"127.0.0.{n}" for n in range(11, 21)]


@pytest.fixture
def site(nginx, gunicorn, akismet_fake):
    """nginx in front of gunicorn, configured as docs/deployment.md says (BEHIND_TLS_PROXY=true)."""
    proxy = nginx()
    app = gunicorn(
        SITE_URL=proxy.url,
        BEHIND_TLS_PROXY="true",
        COMMENTS_MIN_SECONDS="0",
        AKISMET_API_URL=akismet_fake.url,
        AKISMET_API_KEY=akismet_fake.key,
    )
    return proxy.start([f"127.0.0.1:{app.port}"])


def test_readers_behind_the_proxy_are_told_apart_by_their_own_address(site, post, akismet_fake, run_tasks):
    """Ten readers posting at once through nginx are not one flood, and the rules and Akismet get each one's address."""
    from tests.test_under_gunicorn import send_at_once

    browsers = [GuestBrowser(site.url, source_address=address) for address in READERS]
    forms = [
        browser.prepared_form(post, email=f"reader{n}@example.net", comment=f"From reader {n}.")
        for n, browser in enumerate(browsers)
    ]

    answers = send_at_once(list(zip(browsers, forms, strict=True)), lambda pair: pair[0].send(post, pair[1]))
    for browser in browsers:
        browser.close()

    assert [answer.status_code for answer in answers] == [302] * len(READERS), [a.text[-500:] for a in answers]
    stored = dict(Comment.objects.values_list("author_email", "ip_address"))
    assert stored == {f"reader{n}@example.net": address for n, address in enumerate(READERS)}
    run_tasks()
    assert sorted(check.get("user_ip") for check in akismet_fake.checks) == sorted(READERS)


def test_an_address_the_reader_makes_up_is_ignored(site, post):
    """A client's own X-Forwarded-For is not believed: the address is the one nginx saw."""
    with GuestBrowser(site.url, source_address="127.0.0.42") as browser:
        form = browser.prepared_form(post)
        response = browser.http.post(
            f"/comments/post/{post.pk}/", data=form, headers={"X-Forwarded-For": "203.0.113.9", "Origin": site.url}
        )

    assert response.status_code == 302
    assert Comment.objects.get().ip_address == "127.0.0.42"


def test_static_files_come_from_nginx_with_a_long_lifetime(site):
    """nginx serves the collected, hashed static files itself, cacheable for a year."""
    with GuestBrowser(site.url) as browser:
        home = browser.http.get("/")
        stylesheet = next(part.split('"')[0] for part in home.text.split('href="')[1:] if "/static/css/site." in part)
        response = browser.http.get(stylesheet)

    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert "Server" in response.headers and "nginx" in response.headers["server"]


def test_gunicorn_reached_directly_believes_no_forwarded_header(gunicorn, post):
    """A client connecting to gunicorn from outside TRUSTED_PROXY_ADDRESSES is its own address, over plain HTTP."""
    app = gunicorn(BEHIND_TLS_PROXY="true", COMMENTS_MIN_SECONDS="0")
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "Origin": app.url}
    with GuestBrowser(app.url, source_address="127.0.0.42") as stranger:
        form = stranger.prepared_form(post, email="stranger@example.net")
        assert stranger.http.post(f"/comments/post/{post.pk}/", data=form, headers=forged).status_code == 302
    with GuestBrowser(app.url) as proxy:  # from 127.0.0.1, where nginx connects from: its word is taken
        form = proxy.prepared_form(post, email="proxied@example.net")
        forwarded = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "http", "Origin": app.url}
        assert proxy.http.post(f"/comments/post/{post.pk}/", data=form, headers=forwarded).status_code == 302

    stored = dict(Comment.objects.values_list("author_email", "ip_address"))
    assert stored == {"stranger@example.net": "127.0.0.42", "proxied@example.net": "198.51.100.7"}


def test_a_made_up_https_is_believed_from_the_proxy_only(gunicorn):
    """X-Forwarded-Proto: https from a stranger still gets the redirect to HTTPS; from the proxy it is taken."""
    app = gunicorn(BEHIND_TLS_PROXY="true", SECURE_SSL_REDIRECT="true")
    https = {"X-Forwarded-Proto": "https"}
    with GuestBrowser(app.url, source_address="127.0.0.42") as stranger:
        refused = stranger.http.get("/", headers=https)
    with GuestBrowser(app.url) as proxy:
        taken = proxy.http.get("/", headers=https)

    assert refused.status_code == 301 and refused.headers["location"].startswith("https://")
    assert taken.status_code == 200


def test_behind_nginx_each_reader_is_limited_by_their_own_address(nginx, gunicorn, redis_server, post):
    """Through nginx a limit counts each reader's own address: a made-up X-Forwarded-For neither helps nor hurts."""
    proxy = nginx()
    app = gunicorn(
        SITE_URL=proxy.url, BEHIND_TLS_PROXY="true", REDIS_URL=redis_server.url, COMMENTS_RATE_FORM_STATE="2/d,100/d"
    )
    proxy.start([f"127.0.0.1:{app.port}"])
    state = f"/comments/form-state/{post.pk}/"
    with GuestBrowser(proxy.url, source_address="127.0.0.51") as first:
        mine = [first.http.get(state, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    with GuestBrowser(proxy.url, source_address="127.0.0.52") as second:
        theirs = second.http.get(state).status_code

    assert mine == [200, 200, 429]
    assert theirs == 200


REFRESH = {"X-Requested-With": "XMLHttpRequest"}


def test_twenty_readers_asking_for_a_new_captcha_get_twenty(site):
    """ "New picture" through the front cache: twenty readers at once get twenty captchas, none from the cache."""
    from tests.test_under_gunicorn import send_at_once

    readers = [GuestBrowser(site.url, source_address=f"127.0.0.{n}") for n in range(100, 120)]
    answers = send_at_once(readers, lambda reader: reader.http.get("/captcha/refresh/", headers=REFRESH))
    for reader in readers:
        reader.close()

    assert [answer.status_code for answer in answers] == [200] * 20
    assert len({answer.json()["key"] for answer in answers}) == 20
    assert {answer.headers["x-cache"] for answer in answers} <= {"MISS", "BYPASS", "EXPIRED"}
    assert all("no-store" in answer.headers["cache-control"] for answer in answers)


def test_no_answer_that_is_one_readers_is_kept_by_the_front_cache(site, post):
    """The form's state, a new captcha, its picture and sound, "your data": asked for twice, never a cached copy."""
    with GuestBrowser(site.url) as reader:
        key = re.search(r'name="captcha_0" value="(\w+)"', reader.form_state(post)["captcha_html"]).group(1)
        paths = {
            f"/comments/form-state/{post.pk}/": {},
            "/captcha/refresh/": REFRESH,
            f"/captcha/image/{key}/": {},
            **({f"/captcha/audio/{key}.wav": {}} if settings.CAPTCHA_FLITE_PATH else {}),
            "/privacy/your-data/": {},
        }
        for path, headers in paths.items():
            answers = [reader.http.get(path, headers=headers) for _ in range(2)]
            assert [answer.status_code for answer in answers] == [200, 200], path
            assert answers[1].headers["x-cache"] != "HIT", path
            assert "private" in answers[1].headers["cache-control"], path
            assert "no-store" in answers[1].headers["cache-control"], path
