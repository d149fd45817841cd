"""The site as readers meet it, for tests: the production stack's parts (devtools/stack.py) with test defaults.

The Django test client passes what real servers refuse (a header gunicorn will not send, an
`Origin: null` Chromium sends), so headers, cookies and concurrency are also tested against
real servers. `Gunicorn` and `TaskWorker` here serve the test database (tests using them need
`django_db(transaction=True)`, so what each side stores the other sees), sign with the test
settings' SECRET_KEY, and lift the abuse limits (every test reader comes from 127.0.0.x; the
limits' own tests set them).

`GuestBrowser` speaks to a server over real HTTP (httpx) the way the comment form's JavaScript
does: it fetches the form state, solves the captcha from the database and posts the comment.
"""

import re
import time
from pathlib import Path

import httpx
from django.conf import settings

from devtools import stack as local
from devtools.stack import Nginx, PostgresCluster, Redis, collect_static, database_url, nginx_binary  # noqa: F401

BASE_DIR = Path(settings.BASE_DIR)
CAPTCHA_KEY = re.compile(r'name="captcha_0" value="([0-9a-f]+)"')
TEST_ENV = {
    "SECRET_KEY": settings.SECRET_KEY,  # what the test signs (form timestamps, links) the server accepts
    "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    "COMMENTS_RATE_FORM_STATE": "10000/m,10000/m",
    "COMMENTS_RATE_POSTS": "10000/m,10000/m",
    "COMMENTS_RATE_REPORTS": "10000/m",
}


class Gunicorn(local.Gunicorn):
    def __init__(self, database: str, **options):
        super().__init__(database, **{**TEST_ENV, **options})


class TaskWorker(local.TaskWorker):
    def __init__(self, database: str, **env):
        super().__init__(database, **{**TEST_ENV, **env})


def stored_captcha_answer(key: str) -> str:
    from captcha.models import CaptchaStore

    return CaptchaStore.objects.get(hashkey=key).response


class GuestBrowser:
    """A reader without an account, over real HTTP: cookies kept, the form filled the way comments.js does."""

    def __init__(self, base_url: str, *, source_address: str | None = None):
        transport = httpx.HTTPTransport(local_address=source_address) if source_address else None
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, transport=transport, timeout=30, follow_redirects=False)

    def form_state(self, post) -> dict:
        """What the comment form fetches when the reader starts typing: CSRF token, timestamp, captcha."""
        response = self.http.get(f"/comments/form-state/{post.pk}/")
        response.raise_for_status()
        return response.json()

    def prepared_form(self, post, *, captcha_answer=None, **fields) -> dict:
        """A filled-in guest form with its captcha solved, ready to send (once).

        `captcha_answer(key)` reads the answer where the server stores it: by default the test database.
        """
        state = self.form_state(post)
        key = CAPTCHA_KEY.search(state["captcha_html"]).group(1)
        return {
            "csrfmiddlewaretoken": state["csrf_token"],
            "timestamp": state["timestamp"],
            "captcha_0": key,
            "captcha_1": (captcha_answer or stored_captcha_answer)(key),
            "comment": "A reply sent over real HTTP.",
            "name": "Real Reader",
            "email": "real.reader@example.net",
            "url": "",
            **fields,
        }

    def send(self, post, form: dict) -> httpx.Response:
        return self.http.post(
            f"/comments/post/{post.pk}/", data=form, headers={"Origin": self.base_url, "Referer": self.base_url + "/"}
        )

    def post_comment(self, post, **fields) -> httpx.Response:
        return self.send(post, self.prepared_form(post, **fields))

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def eventually(check, seconds=60.0, every=0.1):
    """Wait until `check()` is true, and return its last value: a state polled for, with a generous bound (the
    machine may be busy), never a time asserted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    return check()
