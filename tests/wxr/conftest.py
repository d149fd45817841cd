"""Real WordPress exports for the import and export tests, and a local server for their uploads.

The files in tests/data/wordpress/ were written by WordPress 6.1's own exporter (the kit in
../shared/wordpress-bench): `export-bench.xml` is the bench site (a post with 100 threaded
comments, a draft page); `fixture-site.xml` is the site `seed-fixture.php` builds there, with
every case the importer handles. Its uploads are `uploads/*.png`, served here from loopback.
"""

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "wordpress"
BENCH_EXPORT = DATA / "export-bench.xml"
FIXTURE_EXPORT = DATA / "fixture-site.xml"
FIXTURE_SITE = "http://crumb.example"
UPLOADS_FOLDER = "wp-content/uploads/2025/10"


class UploadsServer:
    """The fixture site's wp-content/uploads/ over HTTP on a free loopback port, with the paths asked for."""

    def __init__(self, root: Path):
        shutil.copytree(DATA / "uploads", root / UPLOADS_FOLDER)
        self.requested = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                server.requested.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
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


@pytest.fixture
def uploads_server(tmp_path):
    with UploadsServer(tmp_path / "old-site") as server:
        yield server


@pytest.fixture
def fixture_export(uploads_server, tmp_path, media_root):
    """The fixture site's export, its uploads served from loopback (import it with --fetch-attachments)."""
    return fixture_export_served_by(uploads_server.url, tmp_path / "fixture-site.xml")
