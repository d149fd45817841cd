"""The front cache (nginx, deploy/nginx/blog.conf) in front of the site: telling it what changed.

The front cache keeps each anonymous page for FRONT_CACHE_SECONDS (the `s-maxage` the site sends,
groundwork/shared_pages.py), and serves it stale a while longer: while it fetches a new one, and for as
long as the app servers do not answer. That alone would leave a newly approved comment or an
edited post unseen for a while, and an erased name or a comment taken down shown again, so
whatever changes a page asks each front cache in FRONT_CACHE_PURGE_URLS (its purge address, e.g.
`http://10.0.0.5/purge`) to forget it: `purge(paths)` does so once the current transaction has
committed, so the next reader gets the new page. A purged page is gone, stale copy and all.

A path is all a purge names, and all it needs to: the front cache keeps one copy a page, under
its path (deploy/nginx/blog.conf), ignoring the trackers' tags appended to links (?utm_source=...)
and keeping nothing asked for with any other query string. Nothing configured, nothing sent. A
front cache that cannot be reached is logged and left alone.
"""

import functools
import logging

import httpx
from django.conf import settings
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger(__name__)

PURGE_TIMEOUT = 1.0


def purge(paths) -> None:
    """Ask every front cache to forget these paths, after the transaction commits."""
    paths = sorted(set(paths))
    if settings.FRONT_CACHE_PURGE_URLS and paths:
        transaction.on_commit(lambda: _purge_now(paths))


@functools.cache
def _client() -> httpx.Client:
    """One client a process, made at its first purge: a new one costs 17 ms of CPU (its TLS context), more
    than the rest of approving a comment, and this one keeps its connections to the front caches open."""
    return httpx.Client(timeout=PURGE_TIMEOUT)


def _purge_now(paths: list[str]) -> None:
    client = _client()
    for purge_url in settings.FRONT_CACHE_PURGE_URLS:
        for path in paths:
            try:
                response = client.get(purge_url.rstrip("/") + path)
            except httpx.HTTPError as error:
                logger.warning("Could not purge %s from the front cache at %s: %r", path, purge_url, error)
                break
            if response.status_code not in (200, 404):  # 404: it had no copy
                logger.warning("The front cache at %s answered %s to purging %s", purge_url, response.status_code, path)


def post_paths(post) -> list[str]:
    """The pages that show a post: its own, and the lists and feeds that may name it."""
    return [post.get_absolute_url(), reverse("blog:home"), reverse("blog:feed"), reverse("blog:feed_atom")]


def purge_post(instance, **kwargs) -> None:
    """post_save / post_delete of a Post: its pages change."""
    purge(post_paths(instance))
