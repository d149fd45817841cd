"""Helpers for browser tests: guarded pages, axe checks and screenshots.

Every page made by `open_page` (and so by the `page`, `phone_page` and `make_page` fixtures) is
watched from its first request:

* requests to any host other than 127.0.0.1/localhost are aborted and recorded (a reader's
  page must never reach a third party: no CDN, font service, analytics or embed);
* console errors (which include every Content-Security-Policy violation Chromium reports) and
  uncaught page errors are recorded.

`assert_page_clean(page)` fails with the list of what was recorded; the fixtures call it at
teardown, and tests may call it earlier to fail closer to the cause.
"""

from __future__ import annotations

import os
import shutil
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost"})
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

_axe = Axe()  # reads the bundled axe.min.js once; it is injected with page.evaluate, which CSP allows
_watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def chromium_path() -> str | None:
    """The Chromium binary to drive: $CHROMIUM, `chromium` on PATH, or Debian's /usr/bin/chromium."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class PageWatch:
    """What a page did that a reader's page must not do."""

    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def problems(self) -> list[str]:
        return (
            [f"third-party request (aborted): {url}" for url in self.blocked_requests]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught page error: {text}" for text in self.page_errors]
        )

    def clear(self) -> None:
        """Forget what was recorded, for a test that provokes an error on purpose."""
        self.blocked_requests.clear()
        self.console_errors.clear()
        self.page_errors.clear()


def open_page(browser, *, viewport: dict = DESKTOP, base_url: str | None = None, mobile: bool = False, **context_args):
    """A page in a fresh context, watched for third-party requests, console errors and CSP violations.

    `mobile=True` turns on touch and `is_mobile` (so Chromium honours the meta viewport, as a
    phone does). Close it with `page.context.close()`.
    """
    if mobile:
        context_args.setdefault("is_mobile", True)
        context_args.setdefault("has_touch", True)
    context = browser.new_context(viewport=viewport, base_url=base_url, **context_args)
    watch = PageWatch()

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if host in ALLOWED_HOSTS:
            route.fallback()
        else:
            watch.blocked_requests.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and watch.console_errors.append(_describe_console(msg)))
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    _watches[page] = watch
    return page


def _describe_console(msg) -> str:
    location = msg.location or {}
    where = location.get("url") or ""
    if where and location.get("lineNumber") is not None:
        where += f":{location['lineNumber']}"
    return f"{msg.text} ({where})" if where else msg.text


def watch_of(page) -> PageWatch:
    """The record kept for a page made by `open_page`."""
    return _watches[page]


def assert_page_clean(page) -> None:
    """Fail if the page made a third-party request, logged a console error/CSP violation or threw."""
    problems = watch_of(page).problems()
    assert not problems, "The page misbehaved:\n  " + "\n  ".join(problems)


def assert_no_axe_violations(page, *, options: dict | None = None) -> None:
    """Run axe-core on the page as it is now and fail with a fix-it report of every violation.

    `options` goes to `axe.run` unchanged, e.g. `{"rules": {"color-contrast": {"enabled": False}}}`
    (don't, without a written reason).
    """
    options = {"resultTypes": ["violations"], **(options or {})}
    violations = _axe.run(page, options=options).response["violations"]
    if violations:
        raise AssertionError(
            f"axe found {len(violations)} violation(s) on {page.url}:\n" + format_violations(violations)
        )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact')}] {v['help']}\n    {v.get('helpUrl', '')}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}\n      {node.get('html', '').strip()[:300]}")
            summary = (node.get("failureSummary") or "").strip()
            if summary:
                lines.append("      " + summary.replace("\n", "\n      "))
    return "\n".join(lines)


def save_screenshot(page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/<name>-<viewport width>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=path, full_page=True, animations="disabled")
    return path


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the device's viewport (0: no sideways scroll).

    Measured against the viewport given to the context, not `innerWidth`: a page without a meta
    viewport is laid out 980 px wide on a phone, and that must count as overflow.
    """
    return page.evaluate("() => document.documentElement.scrollWidth") - page.viewport_size["width"]


def widest_elements(page, limit: int = 5) -> list[str]:
    """The elements sticking out past the viewport's right edge, to say what causes sideways scrolling."""
    return page.evaluate(
        """([limit, width]) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .slice(0, limit)
            .map(e => {
                const classes = typeof e.className === 'string' ? e.className.trim().split(/\\s+/) : [];
                const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + classes.filter(Boolean).map(c => '.' + c).join('');
                return `${name} right=${Math.round(e.getBoundingClientRect().right)}`;
            })""",
        [limit, page.viewport_size["width"]],
    )


def log_in_to_admin(page, user, password: str = "pw-for-tests-only") -> None:
    """Log `user` in at the admin's login page (make_user's password) and wait for the admin's index."""
    from django.contrib import admin
    from playwright.sync_api import expect

    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=admin.site.index_title)).to_be_visible()
