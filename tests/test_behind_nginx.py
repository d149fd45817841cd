"""The documented deployment: Debian's nginx running deploy/nginx/blog.conf in front of gunicorn.

Readers connect from their own loopback addresses (127.0.0.11, .12, ...), so the site must
learn each one from nginx's X-Forwarded-For, as it would from the internet.
"""

import pytest

from comments.models import Comment
from tests.servers import GuestBrowser

pytestmark = pytest.mark.django_db(transaction=True)

READERS = [f"127.0.0.{n}" for n in range(11, 21)]


@pytest.fixture
def site(nginx, gunicorn, akismet_fake):
    """nginx in front of gunicorn, configured as the README's deployment says (BEHIND_TLS_PROXY=true)."""
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
