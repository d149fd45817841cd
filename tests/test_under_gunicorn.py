"""Leave a Reply against a real gunicorn with the production settings, where the test client is too kind.

gunicorn refuses headers the test client lets through, and concurrent requests meet only
on a real server with several workers. Each test starts its own server (tests/servers.py)
on the test database.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest

from comments.models import Comment
from tests.servers import GuestBrowser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("Иван Петров", ""),
        ("Łukasz Żółć", "https://example.com/"),
        ('Ann; O\'Hara, "Jr" = 100%', "https://example.com/路径"),
    ],
    ids=["cyrillic", "polish", "punctuation-and-cjk-url"],
)
def test_remembered_details_round_trip_through_gunicorn(gunicorn, post, name, url):
    """A guest with any Unicode name or website who ticks "Save my name..." is answered, and finds them in the form."""
    server = gunicorn(COMMENTS_MIN_SECONDS="0")
    with GuestBrowser(server.url) as guest:
        response = guest.post_comment(post, name=name, url=url, email="ivan@example.net", remember="yes")

        assert response.status_code == 302, server.log[-2000:]
        assert Comment.objects.filter(author_name=name).count() == 1
        assert all(cookie.isascii() for cookie in response.headers.get_list("set-cookie"))
        article = guest.http.get(post.get_absolute_url())

    assert article.status_code == 200
    page = unescape(article.text)
    assert f'name="name" value="{name}"' in page
    assert 'value="ivan@example.net"' in page
    assert (f'name="url" value="{url}"' if url else 'name="url" autocomplete="url"') in page


def send_at_once(forms, send) -> list:
    """Send every form from its own thread, released together, and return the answers in order."""
    start = threading.Barrier(len(forms))

    def go(form):
        start.wait()
        return send(form)

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(go, forms))


def test_one_form_sent_twice_at_once_stores_one_comment(gunicorn, post):
    """A double click or a proxy's retry: the same prepared form sent several times at once is stored once."""
    server = gunicorn(workers=4, COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0")  # the duplicate rule alone
    for round_number in range(5):
        with GuestBrowser(server.url) as guest:
            form = guest.prepared_form(post, comment="Sent twice.", email=f"twice{round_number}@example.net")
            answers = send_at_once([form] * 4, lambda form, guest=guest: guest.send(post, form).status_code)

        assert Comment.objects.filter(author_email=form["email"]).count() == 1, answers
        assert sorted(answers)[0] == 302, server.log[-2000:]
        assert all(status in (302, 400) for status in answers), server.log[-2000:]


def test_concurrent_comments_from_one_reader_obey_the_flood_rule(gunicorn, post):
    """Ten comments from one email and address sent at once under the 15-second flood rule: exactly one is stored."""
    server = gunicorn(workers=4, COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="15")
    guests = [GuestBrowser(server.url) for _ in range(10)]
    forms = [guest.prepared_form(post, comment=f"Thought number {n}.") for n, guest in enumerate(guests)]

    answers = send_at_once(list(zip(guests, forms, strict=True)), lambda pair: pair[0].send(post, pair[1]))

    for guest in guests:
        guest.close()
    assert Comment.objects.filter(author_email="real.reader@example.net").count() == 1
    assert sorted(answer.status_code for answer in answers) == [302] + [400] * 9, server.log[-2000:]
    assert sum("You are posting comments too quickly" in answer.text for answer in answers) == 9


def test_a_comment_too_large_to_read_gets_the_sites_page_and_a_warning(gunicorn, post):
    """A 5 MB comment is answered 413 with the site's page giving the limit, logged as a warning, not an error."""
    server = gunicorn()
    with GuestBrowser(server.url) as guest:
        response = guest.post_comment(post, comment="x" * 5_000_000)

    assert response.status_code == 413
    assert "A comment may be at most 65,525 characters long" in " ".join(response.text.split())
    assert "The Quiet Margin" in response.text  # the site's own page, not Django's bare one
    assert "WARNING groundwork.middleware: Refused a POST of" in server.log
    assert "RequestDataTooBig" not in server.log and "ERROR" not in server.log
    assert not Comment.objects.exists()
