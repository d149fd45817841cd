"""The files a hostile WordPress export brings in, opened in Chromium: none runs a script on the blog's origin.

The export names pages, an SVG, a script and picture/page polyglots as its attachments
(HOSTILE_UPLOADS in tests/wxr/conftest.py). The real importer fetches them from the old site on
loopback, and nginx, as deployed, serves what was kept, in front of the live server: the files and
the site's pages share an origin, as in production. Each file carries a script that would leave a
trace if it ran: a console message and a cookie on the blog's origin.
"""

from pathlib import PurePosixPath

import pytest
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError

from blog.media import PICTURE_TYPES
from tests.wxr.conftest import HOSTILE_UPLOADS, OUTSIDE, UploadsServer, fixture_export_served_by, with_attachments
from wordpress.models import Imported

from .browser import watch_of

pytestmark = pytest.mark.django_db(transaction=True)

TRACE = "script ran"


@pytest.fixture
def old_site(tmp_path, settings):
    """The old WordPress site, on a loopback address the import takes for the public internet, with hostile uploads."""
    settings.WORDPRESS_FETCH_ALLOW_NETWORKS = [f"{OUTSIDE}/32"]
    with UploadsServer(tmp_path / "old-site") as server:
        for name, content in HOSTILE_UPLOADS.items():
            (server.uploads / name).write_bytes(content)
        yield server


@pytest.fixture
def front(nginx, live_server, media_root):
    """deploy/nginx/blog.conf in front of the live server, serving the test's media folder."""
    return nginx(media_root=media_root).start([f"127.0.0.1:{live_server.url.rpartition(':')[2]}"])


@pytest.fixture
def kept_files(old_site, tmp_path, media_root) -> list[str]:
    """Import the hostile export, fetching its attachments; the storage names of every file kept."""
    urls = [f"{old_site.url}/wp-content/uploads/2025/10/{name}" for name in HOSTILE_UPLOADS]
    export = fixture_export_served_by(old_site.url, tmp_path / "hostile.xml", edit=with_attachments(*urls))
    call_command("import_wordpress", str(export), "--fetch-attachments", verbosity=0)
    kept = sorted(Imported.objects.filter(kind=Imported.Kind.ATTACHMENT).values_list("file", flat=True))
    assert len(kept) == 9, kept  # the seven hostile files kept (two were refused) and the site's own two pictures
    return kept


def traces(page) -> list[str]:
    """What the files' scripts would have left: a console message, a cookie on the blog's origin."""
    found = [message for message in page.console_messages if TRACE in message]
    return found + [f"cookie {cookie['name']}" for cookie in page.context.cookies() if cookie["name"] == "script_ran"]


def open_file(page, url: str) -> str:
    """Open `url` as a reader following a link would: "shown" in the tab, or "downloaded"."""
    try:
        page.goto(url)
    except PlaywrightError as error:  # Chromium ends the navigation as the download starts
        assert "Download is starting" in error.message, error.message
        return "downloaded"
    return "shown"


def watched(page):
    """The page, keeping every console message (`page.console_messages`), not only errors."""
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    return page


def test_no_imported_file_runs_a_script_when_opened(make_page, kept_files, front, media_root):
    """Every file the import kept, and every hostile file left by an import before the checks, opened in Chromium:
    pictures are shown, the rest downloaded, and no script runs."""
    legacy = []
    for name, content in HOSTILE_UPLOADS.items():  # what an import without checks kept, under the names it had
        (media_root / "wordpress/legacy").mkdir(parents=True, exist_ok=True)
        (media_root / "wordpress/legacy" / name).write_bytes(content)
        legacy.append(f"wordpress/legacy/{name}")
    page = watched(make_page())

    outcomes = {name: open_file(page, f"{front.url}/media/{name}") for name in [*kept_files, *legacy]}

    assert traces(page) == []
    assert outcomes == {
        name: "shown" if PurePosixPath(name).suffix.lower() in PICTURE_TYPES else "downloaded" for name in outcomes
    }
    assert outcomes["wordpress/crumb.example/2025/10/polyglot.html.gif"] == "shown"
    assert outcomes["wordpress/legacy/evil.svg"] == "downloaded"
    assert watch_of(page).problems() == []


def test_imported_files_embedded_in_a_page_of_the_site_run_nothing(make_page, kept_files, front):
    """On a page of the site, kept files as images, kept pictures as frames and a kept script as a script: the
    pictures show, and no script runs, though the page's own policy allows scripts from the site."""
    page = watched(make_page())
    page.goto(f"{front.url}/")
    script = next(name for name in kept_files if name.endswith(".js"))
    pictures = [name for name in kept_files if PurePosixPath(name).suffix in PICTURE_TYPES]
    page.evaluate(
        """([files, pictures, script]) => {
            const loaded = (element) => new Promise(done => {
                element.onload = () => done('loaded');
                element.onerror = () => done('refused');
            });
            const add = (tag, name) => {
                const element = document.createElement(tag);
                const outcome = loaded(element);
                element.src = '/media/' + name;
                document.body.append(element);
                return outcome;
            };
            const waits = [...files.map(name => add('img', name)), ...pictures.map(name => add('iframe', name))];
            const outcome = add('script', script);
            Promise.all(waits).then(() => outcome).then(was => { window.scriptWas = was; });
        }""",
        [kept_files, pictures, script],
    )
    page.wait_for_function("() => window.scriptWas !== undefined", timeout=30_000)  # all loaded, or failed to
    shown = page.evaluate("() => [...document.images].filter(i => i.naturalWidth > 0).map(i => i.src.split('/').pop())")

    assert page.evaluate("() => window.scriptWas") == "refused"
    assert traces(page) == []
    assert sorted(shown) == ["crumb.png", "oven.png", "photo.webp", "png.png", "polyglot.gif", "polyglot.html.gif"]
    refused = [error for error in watch_of(page).console_errors if "MIME type ('application/octet-stream')" in error]
    assert refused and f"/media/{script}" in refused[0]  # Chromium refused to run the kept script: nosniff
    watch_of(page).clear()  # that refusal is what this test provokes
