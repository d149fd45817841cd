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

Every page's header shows the menu of pages, and a parent page lists its children (Post.objects.menu,
Post.published_children): when what they show of a page changes (it is published, renamed, moved, reordered,
unpublished or deleted), every page that shows them is purged at once, as when commenting closes site-wide. Blog
purges the lists it names (home, the archive index, the categories) and sends `menu_changed`; comments, which
knows every page of every article's thread, purges those (comments/closing.py `purge_every_article`). The other
lists (tags, authors, dates, their later pages) follow within FRONT_CACHE_SECONDS, after one stale copy at most.
"""

import functools
import logging
import threading

import httpx
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse

from .models import Category, Post, invalidate_menu

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


# Sent once the menus of pages changed, with front caches to purge: every article's pages must go (comments
# connects it).
menu_changed = Signal()


def post_paths(post) -> list[str]:
    """The pages that show a post: its own, and the lists, archive index and feeds that may name it."""
    return [
        post.get_absolute_url(),
        reverse("blog:home"),
        reverse("blog:archives"),
        reverse("blog:feed"),
        reverse("blog:feed_atom"),
    ]


def note_before_save(instance, **kwargs) -> None:
    """pre_save of a Post: its address and what the menus showed of it, to tell after the save what changed."""
    before = Post.objects.filter(pk=instance.pk).first() if instance.pk is not None else None
    instance._address_before = before.get_absolute_url() if before else None
    instance._menu_entry_before = before.menu_entry if before else None


def purge_post(instance, **kwargs) -> None:
    """post_save / post_delete of a Post: its pages change, at its old address too when it moved."""
    purge([*post_paths(instance), *filter(None, [getattr(instance, "_address_before", None)])])


def purge_menus_if_changed(instance, **kwargs) -> None:
    """post_save of a Post: when the menus show something else of it, every page showing them changes."""
    if getattr(instance, "_menu_entry_before", None) != instance.menu_entry:
        purge_menus()


def purge_menus_if_listed(instance, **kwargs) -> None:
    """post_delete of a Post: a page the menus showed leaves them."""
    if instance.menu_entry is not None:
        purge_menus()


def purge_menus() -> None:
    """The menus changed: the stored one is forgotten, now and again once the transaction commits (in case a page
    drew the old one meanwhile), and then every page that shows them is purged, once however many pages the
    transaction changed (an import of a hundred pages purges every page once, not a hundred times)."""
    invalidate_menu()
    _menu_purge.done = False
    transaction.on_commit(_purge_menu_pages)


_menu_purge = threading.local()  # .done: whether this thread's last committed menu change was purged


def _purge_menu_pages() -> None:
    invalidate_menu()
    if _menu_purge.done or not settings.FRONT_CACHE_PURGE_URLS:
        return
    _menu_purge.done = True
    categories = [category.get_absolute_url() for category in Category.objects.with_ancestors()]
    purge([reverse("blog:home"), reverse("blog:archives"), *categories])
    menu_changed.send(sender=Post)
