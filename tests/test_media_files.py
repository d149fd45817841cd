"""/media/ as readers' browsers get it, from nginx (deploy/nginx/blog.conf) and from the development server alike.

Whatever lies under MEDIA_ROOT (a picture, a page, an SVG, a script, an uploaded export), no answer
may make a browser run it on the blog's origin: pictures are sent as pictures, anything else as a
download of no particular type, every answer forbids guessing another type and sandboxes the file,
and the WordPress exports waiting for their import are not served at all.
"""

import http.client
import os
import subprocess
import sys

import httpx
import pytest
from django.conf import settings

from blog.media import PICTURE_TYPES
from devtools.stack import database_url, free_port, stop_process, wait_until_listening
from wordpress.models import upload_name

# The development server (a process of its own) shares the test database.
pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

SANDBOX = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
PAGE = b"<!doctype html><script>document.title='script ran'</script>"
DOWNLOADS = {
    "evil.html": PAGE,
    "evil.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "evil.js": b"alert(1)",
    "evil.css": b"body { background: red }",
    "notes.pdf": b"%PDF-1.4\n%%EOF\n",
    "no-extension": PAGE,
    "page.jpg.html": PAGE,
}


@pytest.fixture
def development_server(media_root, tmp_path):
    """`manage.py runserver` with the development settings (DEBUG on) against the test database, serving
    `media_root` at /media/."""
    from django.db import connection

    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(media_root),
        "PORT": str(port),
    }
    log_path = tmp_path / "runserver.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        wait_until_listening(port, process, log_path, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


@pytest.fixture
def front_nginx(nginx, media_root):
    """deploy/nginx/blog.conf serving `media_root` at /media/ (the app server behind it is never asked)."""
    return nginx(media_root=media_root).start([f"127.0.0.1:{free_port()}"]).url


@pytest.fixture(params=["front_nginx", "development_server"])
def media_url(request, media_root):
    """Where /media/ is served: by nginx as deployed, or by the development server."""
    return request.getfixturevalue(request.param) + "/media/"


def assert_sandboxed(response, name):
    assert response.headers.get("X-Content-Type-Options") == "nosniff", name
    assert response.headers.get("Content-Security-Policy") == SANDBOX, name


def test_a_picture_is_shown_as_its_type_and_sandboxed(media_url, media_root):
    """A file with a picture's extension is sent as that picture's type, inline, with nosniff and the CSP sandbox."""
    (media_root / "wordpress").mkdir(parents=True)
    for suffix in [*PICTURE_TYPES, ".JPG"]:
        (media_root / f"wordpress/picture{suffix}").write_bytes(b"the bytes were checked when the file was kept")
        response = httpx.get(f"{media_url}wordpress/picture{suffix}")

        assert response.status_code == 200, suffix
        assert response.headers["Content-Type"] == PICTURE_TYPES[suffix.lower()], suffix
        assert "Content-Disposition" not in response.headers, suffix
        assert_sandboxed(response, suffix)


def test_anything_else_is_a_download_of_no_particular_type(media_url, media_root):
    """A page, an SVG, a script, a stylesheet or a PDF is sent as application/octet-stream, as an attachment."""
    (media_root / "wordpress").mkdir(parents=True)
    for name, content in DOWNLOADS.items():
        (media_root / f"wordpress/{name}").write_bytes(content)
        response = httpx.get(f"{media_url}wordpress/{name}")

        assert response.status_code == 200, name
        assert response.content == content, name
        assert response.headers["Content-Type"] == "application/octet-stream", name
        assert response.headers["Content-Disposition"] == "attachment", name
        assert_sandboxed(response, name)


def test_uploaded_wordpress_exports_are_never_served(media_url, media_root):
    """An export waiting for its import (commenters' emails and addresses) answers 404, however its path is written."""
    name = upload_name(None, "export.xml")
    (media_root / name).parent.mkdir(parents=True)
    (media_root / name).write_text("<rss>commenters' emails</rss>")
    (media_root / "wordpress").mkdir()
    (media_root / "wordpress/export.xml").write_text("<rss>an export elsewhere is a download</rss>")
    host, _, port = media_url.split("/")[2].partition(":")

    for path in [name, f"/{name}", f"wordpress/../{name}", f"./{name}", name.replace("-", "%2D")]:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)  # sends the path as written
        connection.request("GET", f"/media/{path}")
        answer = connection.getresponse()
        body = answer.read()
        connection.close()

        assert answer.status == 404, path
        assert b"commenters" not in body, path
    assert httpx.get(f"{media_url}wordpress/export.xml").status_code == 200
