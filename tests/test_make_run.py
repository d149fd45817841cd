"""`make run` as a newcomer meets it, twice on one machine: each site and its "Demo login" provider on their own ports.

Three real `make run` start side by side, each with its own throwaway database, media folder and admin password
file (DATABASE_URL, MEDIA_ROOT, DEV_ADMIN_PASSWORD_FILE), so the checkout's own db.sqlite3, media/ and
.dev-admin-password are never touched: two as a newcomer starts them (`make run PORT=<port>`), one with SITE_URL and
DEMO_LOGIN_PORT set by hand. Each is stopped by killing its process group, whatever happens.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from django.conf import settings

from devtools.stack import free_port

BASE_DIR = Path(settings.BASE_DIR)
START_SECONDS = 120  # a cold first run migrates, draws the demo images and starts three processes
LOCAL_ADDRESS = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(?::\d+)?")
ARTICLE_PATH = re.compile(r'href="(/\d{4}/\d{2}/\d{2}/[\w-]+/)"')

pytestmark = [pytest.mark.servers, pytest.mark.skipif(shutil.which("make") is None, reason="`make run` needs make")]


def clean_env(**variables) -> dict:
    """The environment of a newcomer's shell: none of the test settings' variables, none of make's own."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/nonexistent"), "LANG": "C.UTF-8"}
    return env | variables


@dataclass
class Run:
    """One `make run`: its port, its folder (database, media, password file, output) and its process group."""

    name: str
    port: int
    folder: Path
    process: subprocess.Popen
    variables: dict

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return (self.folder / "make-run.log").read_text(errors="replace")

    def demo_login_url(self) -> str:
        """The demo login provider's address, as the banner names it."""
        found = re.findall(r"Demo login provider at (http://127\.0\.0\.1:\d+)/", self.output())
        assert len(found) == 1, f"{self.name}: no single demo login address in the output:\n{self.output()}"
        return found[0]

    def get(self, path: str, **kwargs) -> requests.Response:
        response = requests.get(f"{self.url}{path}", timeout=20, **kwargs)
        assert response.status_code == 200, f"{self.name} GET {path}: {response.status_code}"
        return response


def start(name: str, folder: Path, port: int, **variables) -> Run:
    folder.mkdir()
    env = clean_env(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        DEV_ADMIN_PASSWORD_FILE=str(folder / "admin-password"),
        **variables,
    )
    with (folder / "make-run.log").open("wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make, serve-dev, runserver, the worker, the provider
        )
    return Run(name, port, folder, process, variables)


def wait_until_serving(run: Run, deadline: float) -> None:
    """Until the site answers and serve-dev has printed its banner; fails early if make stops."""
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            pytest.fail(f"{run.name}: make run stopped ({run.process.returncode}):\n{run.output()}")
        try:
            answered = requests.get(f"{run.url}/robots.txt", timeout=5).status_code == 200
        except requests.ConnectionError:
            answered = False
        if answered and f"Serving {run.url}/" in run.output():
            return
        time.sleep(0.25)
    pytest.fail(f"{run.name}: not serving on {run.url} after {START_SECONDS} s:\n{run.output()}")


def stop(runs: list[Run]) -> None:
    """Ctrl-C's equivalent for background jobs: TERM to each whole process group, KILL if anything lingers."""
    for run in runs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for run in runs:
        while True:
            run.process.poll()  # reaps make, the group's leader
            try:
                os.killpg(run.process.pid, signal.SIGKILL if time.monotonic() > deadline else 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three `make run` at once: `a` and `b` as a newcomer starts them, `explicit` with SITE_URL and DEMO_LOGIN_PORT."""
    # Install once, first: two makes must never run pip on the same .venv together (a no-op when up to date).
    subprocess.run(
        ["make", "--no-print-directory", ".venv/.installed-runtime"],
        cwd=BASE_DIR,
        env=clean_env(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    folder = tmp_path_factory.mktemp("make-run")
    explicit_port, explicit_demo_port = free_port(), free_port()
    started = {}
    try:
        started["a"] = start("a", folder / "a", free_port())
        started["b"] = start("b", folder / "b", free_port())
        started["explicit"] = start(
            "explicit",
            folder / "explicit",
            explicit_port,
            SITE_URL=f"http://localhost:{explicit_port}",
            DEMO_LOGIN_PORT=str(explicit_demo_port),
        )
        deadline = time.monotonic() + START_SECONDS
        for run in started.values():
            wait_until_serving(run, deadline)
        yield started
    finally:
        stop(list(started.values()))


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of its JSON-LD scripts."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.json_ld: list[str] = []
        self._in_json_ld = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_json_ld = tag == "script" and attributes.get("type") == "application/ld+json"

    def handle_endtag(self, tag):
        self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld.append(data)

    def find(self, tag: str, **wanted) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag and wanted.items() <= attrs.items()]


def local_addresses(text: str) -> set[str]:
    """Every http://127.0.0.1:<port> or http://localhost:<port> origin written in a text."""
    return set(LOCAL_ADDRESS.findall(text))


def form_action_sources(response: requests.Response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    directive = next(part.split() for part in policy.split(";") if part.split()[:1] == ["form-action"])
    return directive[1:]


def first_article_path(run: Run) -> str:
    paths = ARTICLE_PATH.findall(run.get("/").text)
    assert paths, f"{run.name}: the home page links to no article"
    return paths[0]


def check_site_links(run: Run, site_url: str) -> None:
    """The home page, an article, the feed, the sitemap and robots.txt name `site_url` and no other local origin."""
    home = run.get("/")
    assert Tags(home.text).find("link", rel="canonical")[0]["href"] == f"{site_url}/"
    assert local_addresses(home.text) == {site_url}

    path = first_article_path(run)
    article = run.get(path)
    page = Tags(article.text)
    assert page.find("link", rel="canonical")[0]["href"] == f"{site_url}{path}"
    assert page.find("meta", property="og:url")[0]["content"] == f"{site_url}{path}"
    json_ld = json.loads("".join(page.json_ld))
    assert json_ld["url"] == json_ld["mainEntityOfPage"] == f"{site_url}{path}"
    assert json_ld["publisher"]["url"] == f"{site_url}/"
    assert local_addresses(article.text) == {site_url}

    feed = run.get("/feed/")
    assert f"<link>{site_url}{path}</link>" in feed.text
    assert local_addresses(feed.text) == {site_url}

    sitemap = run.get("/sitemap.xml")
    assert f"<loc>{site_url}{path}</loc>" in sitemap.text
    assert local_addresses(sitemap.text) == {site_url}

    assert f"Sitemap: {site_url}/sitemap.xml" in run.get("/robots.txt").text


def log_in_with_the_demo_button(run: Run) -> str:
    """Press the article's "Demo login" button, confirm, and return where the site sends the reader."""
    path = first_article_path(run)
    buttons = Tags(run.get(path).text).find("button", title="Demo login")
    assert len(buttons) == 1, f"{run.name}: no single Demo login button under the article"
    with requests.Session() as session:
        confirm = session.post(f"{run.url}{buttons[0]['formaction']}", data={"comment": "Hello"}, timeout=20)
        assert confirm.status_code == 200  # the cached article carries no CSRF token: the reader confirms once
        form = {attrs["name"]: attrs.get("value", "") for attrs in Tags(confirm.text).find("input") if "name" in attrs}
        confirmed = session.post(
            f"{run.url}{buttons[0]['formaction']}", data=form | {"comment": "Hello"}, allow_redirects=False, timeout=20
        )
    assert confirmed.status_code == 302, confirmed.text[:2000]
    return confirmed.headers["Location"]


def test_each_run_links_to_its_own_port(runs):
    """Under `make run PORT=<port>`, canonical, og:url, JSON-LD, feed, sitemap and robots.txt use that port."""
    for name in ("a", "b"):
        check_site_links(runs[name], runs[name].url)


def test_each_run_has_its_own_demo_login_provider(runs):
    """Two `make run` at once each announce a demo login provider of their own, on different ports, both answering."""
    addresses = {name: runs[name].demo_login_url() for name in ("a", "b")}
    assert addresses["a"] != addresses["b"]
    for name, address in addresses.items():
        discovery = requests.get(f"{address}/.well-known/openid-configuration", timeout=60)
        assert discovery.status_code == 200, name
        assert discovery.json()["issuer"] == address


def test_each_site_sends_its_readers_to_its_own_provider(runs):
    """The article's form-action policy and its "Demo login" button lead to that run's provider, not the other's."""
    addresses = {name: runs[name].demo_login_url() for name in ("a", "b")}
    for name, other in (("a", "b"), ("b", "a")):
        run = runs[name]
        sources = form_action_sources(run.get(first_article_path(run)))
        assert addresses[name] in sources
        assert addresses[other] not in sources
        location = log_in_with_the_demo_button(run)
        assert location.startswith(f"{addresses[name]}/authorize?"), location
        assert requests.get(location, timeout=60).status_code == 200  # the provider's "who are you?" page


def test_make_run_keeps_everything_in_the_folders_it_is_given(runs):
    """Each run's database, demo images and admin password are in its own folder, and its banner names its port."""
    for run in runs.values():
        assert (run.folder / "db.sqlite3").stat().st_size > 0
        assert list((run.folder / "media" / "demo").glob("*.png"))
        password = (run.folder / "admin-password").read_text().strip()
        assert (
            f"URL:      http://127.0.0.1:{run.port}/admin/\n  username: admin\n  password: {password}\n" in run.output()
        )
        assert f"Serving http://127.0.0.1:{run.port}/" in run.output()


def test_explicit_site_url_and_demo_login_port_are_respected(runs):
    """SITE_URL and DEMO_LOGIN_PORT set by hand win over what `make run` would choose."""
    run = runs["explicit"]
    check_site_links(run, f"http://localhost:{run.port}")
    address = run.demo_login_url()
    assert address == f"http://127.0.0.1:{run.variables['DEMO_LOGIN_PORT']}"
    assert requests.get(f"{address}/.well-known/openid-configuration", timeout=60).json()["issuer"] == address
    assert address in form_action_sources(run.get("/robots.txt"))


def dev_settings(**variables) -> dict:
    """SITE_URL and DEMO_LOGIN_URL as config.settings.dev computes them in a shell with these variables."""
    code = "import json, config.settings.dev as s; print(json.dumps([s.SITE_URL, s.DEMO_LOGIN_URL]))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    site_url, demo_login_url = json.loads(result.stdout)
    return {"SITE_URL": site_url, "DEMO_LOGIN_URL": demo_login_url}


@pytest.mark.parametrize(
    "variables, site_url",
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8001"}, "http://127.0.0.1:8001"),
        ({"PORT": "8001", "SITE_URL": "http://localhost:8001/"}, "http://localhost:8001"),
    ],
    ids=["default", "port", "explicit"],
)
def test_dev_site_url_follows_the_served_port(variables, site_url):
    """In development SITE_URL defaults to http://127.0.0.1:<PORT> (8000 without PORT), and a SITE_URL given wins."""
    assert dev_settings(**variables)["SITE_URL"] == site_url


def test_dev_demo_login_port_defaults_to_8765():
    """Without DEMO_LOGIN_PORT the site expects its demo login provider on 8765, as docs/configuration.md says."""
    assert dev_settings()["DEMO_LOGIN_URL"] == "http://127.0.0.1:8765"
