"""Real WordPress exports for the import and export tests, and a local server for their uploads.

The files in tests/data/wordpress/ were written by WordPress 6.1's own exporter (the kit in
../shared/wordpress-bench): `export-bench.xml` is the bench site (a post with 100 threaded
comments, a draft page); `fixture-site.xml` is the site `seed-fixture.php` builds there, with
every case the importer handles. Its uploads are `uploads/*.png`, served here from loopback.

The import fetches only from the public internet (wordpress/media.py), so the old site stands on
OUTSIDE, a loopback address the tests declare public (WORDPRESS_FETCH_ALLOW_NETWORKS); 127.0.0.1 stays
inside, where `inside_server` listens for requests that must never come.
"""

import io
import re
import shutil
import ssl
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data" / "wordpress"
BENCH_EXPORT = DATA / "export-bench.xml"
FIXTURE_EXPORT = DATA / "fixture-site.xml"
FIXTURE_SITE = "http://crumb.example"
UPLOADS_FOLDER = "wp-content/uploads/2025/10"
OUTSIDE = "127.0.0.2"
CRUMB_ITEM = re.compile(r"[ \t]*<item>\s*<title><!\[CDATA\[The crumb\]\]></title>.*?</item>\n", re.DOTALL)
DRIP_BYTES = 120


# Files a hostile export may name as its attachments, each with a script that would leave a trace if it ran:
# a console message, the page's title, a cookie on the blog's origin.
SCRIPT = 'console.log("script ran");document.title="script ran";document.cookie="script_ran=1; path=/"'
PAGE = f"<!doctype html><title>a page</title><script>{SCRIPT}</script>".encode()


def import_wordpress(path, *args) -> str:
    """Run `manage.py import_wordpress` and return what it printed."""
    out = io.StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def picture(format: str) -> bytes:
    """A small real picture in `format` (Pillow's name)."""
    with io.BytesIO() as out:
        Image.new("RGB", (8, 8), "teal").save(out, format)
        return out.getvalue()


HOSTILE_UPLOADS = {
    "evil.html": PAGE,
    "evil.svg": f"<svg xmlns='http://www.w3.org/2000/svg' onload='{SCRIPT}'><script>{SCRIPT}</script></svg>".encode(),
    "page.jpg": PAGE,  # an HTML page named as a picture
    "polyglot.gif": picture("GIF") + PAGE,  # a real GIF, and a page after it
    "polyglot.html": picture("GIF") + PAGE,
    "png.jpg": picture("PNG"),
    "photo.webp": picture("WEBP"),
    "notes.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "evil.js": SCRIPT.encode(),
}
# What the import keeps each as (under wordpress/crumb.example/2025/10/), or the reason it gives for refusing it.
KEPT_AS = {
    "evil.html": "evil.html",
    "polyglot.gif": "polyglot.gif",
    "polyglot.html": "polyglot.html.gif",
    "png.jpg": "png.png",
    "photo.webp": "photo.webp",
    "notes.pdf": "notes.pdf",
    "evil.js": "evil.js",
}
REFUSED_WITH = {
    "evil.svg": "its name says image/svg+xml, but it is not a JPEG, PNG, GIF, WebP or AVIF picture",
    "page.jpg": "its name says image/jpeg, but it is not a JPEG, PNG, GIF, WebP or AVIF picture",
}


class UploadsServer:
    """The fixture site's wp-content/uploads/ over HTTP (HTTPS with a `certificate`) on a free port of `host`,
    with the paths asked for.

    Files written under `uploads` are served too; `/redirect?to=URL` answers 302 to URL; `/drip/<name>`
    sends a 200 and then its body a byte a second, `/drip-head/<name>` its head (at most DRIP_BYTES,
    then it stops, or sooner when the client has gone).
    """

    def __init__(self, root: Path, host: str = OUTSIDE, certificate: Path | None = None):
        self.uploads = root / UPLOADS_FOLDER
        shutil.copytree(DATA / "uploads", self.uploads)
        self.requested = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/redirect?"):
                    self.send_response(302)
                    self.send_header("Location", parse_qs(urlsplit(self.path).query)["to"][0])
                    self.end_headers()
                elif self.path.startswith("/drip/"):
                    self.send_response(200)
                    self.send_header("Content-Length", str(DRIP_BYTES))
                    self.end_headers()
                    self.drip(b"x" * DRIP_BYTES)
                elif self.path.startswith("/drip-head/"):
                    self.drip(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nX-Padding: " + b"x" * DRIP_BYTES)
                else:
                    super().do_GET()

            def drip(self, data: bytes):
                try:
                    for byte in data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:  # the client gave up
                    self.close_connection = True

            def log_message(self, *args):
                server.requested.append(self.path)

        self.httpd = ThreadingHTTPServer((host, 0), partial(Handler, directory=str(root)))
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        if certificate is not None:  # HTTPS, with this certificate and its key (one PEM file)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = self.url.replace("http:", "https:", 1)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()


def fixture_export_served_by(server_url: str, destination: Path, *, edit=None) -> Path:
    """The fixture export with its uploads' addresses on `server_url` (nothing else changes), written to `destination`.

    `edit(text) -> text` changes it further, for a newer export or a broken one.
    """
    text = FIXTURE_EXPORT.read_text(encoding="utf-8")
    text = text.replace(f"{FIXTURE_SITE}/wp-content/uploads/", f"{server_url}/wp-content/uploads/")
    if edit is not None:
        text = edit(text)
    destination.write_text(text, encoding="utf-8")
    return destination


def with_attachments(*urls: str):
    """An `edit` for fixture_export_served_by: attachments at `urls` (ids 901, 902...) before the export's own two."""

    def edit(text: str) -> str:
        crumb = CRUMB_ITEM.search(text)
        added = [
            re.sub(
                r"<wp:attachment_url><!\[CDATA\[.*?\]\]>",
                f"<wp:attachment_url><![CDATA[{url}]]>",
                crumb[0].replace("<wp:post_id>5</wp:post_id>", f"<wp:post_id>{number}</wp:post_id>"),
            )
            for number, url in enumerate(urls, 901)
        ]
        return text[: crumb.start()] + "".join(added) + text[crumb.start() :]

    return edit


@pytest.fixture
def uploads_server(tmp_path, settings):
    """The old site, on OUTSIDE, which the import is told to take for the public internet."""
    settings.WORDPRESS_FETCH_ALLOW_NETWORKS = [f"{OUTSIDE}/32"]
    with UploadsServer(tmp_path / "old-site") as server:
        yield server


@pytest.fixture
def inside_server(tmp_path):
    """A server on 127.0.0.1, inside: the paths anyone asked it for are in `requested` (there should be none)."""
    with UploadsServer(tmp_path / "inside", host="127.0.0.1") as server:
        yield server


@pytest.fixture
def fixture_export(uploads_server, tmp_path, media_root):
    """The fixture site's export, its uploads served from loopback (import it with --fetch-attachments)."""
    return fixture_export_served_by(uploads_server.url, tmp_path / "fixture-site.xml")


@pytest.fixture
def fixture_site(fixture_export):
    """The fixture site imported, with its attachments fetched from the local server; what the import printed."""
    return import_wordpress(fixture_export, "--fetch-attachments")
