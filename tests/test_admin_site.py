"""The admin as a whole: named after the blog, not "Django administration", and every page of it, as every public
page, links an icon that is there (no browser asks for a missing /favicon.ico)."""

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from tests.test_admin_lockout import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user("owner", is_staff=True, is_superuser=True)


ICON = re.compile(r'<link rel="icon" href="([^"]+)"')


def icon_of(client, response) -> str:
    """The page's icon link, checked to answer 200 with a picture."""
    [href] = ICON.findall(response.text)
    icon = client.get(href)
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml", href
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
    return href


def admin_pages(patterns=None, prefix="admin") -> list[str]:
    """The address of every admin page that takes nothing in its path (lists, add forms, the admin's own views)."""
    found = []
    for pattern in admin.site.get_urls() if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += admin_pages(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
            found.append(reverse(f"{prefix}:{pattern.name}"))
    return sorted(set(found))


def test_the_admin_is_named_after_the_blog(owner):
    """Its header, its pages' titles and its index are the blog's name, never Django's."""
    client = Client()
    client.force_login(owner)

    index = client.get(reverse("admin:index")).text
    changelist = client.get(reverse("admin:blog_post_changelist")).text

    assert f'<a href="{reverse("admin:index")}">{settings.BLOG_TITLE}</a>' in index
    assert f"<title>{settings.BLOG_TITLE} administration | {settings.BLOG_TITLE} admin</title>" in index
    assert f"<h1>{settings.BLOG_TITLE} administration</h1>" in index
    assert f"| {settings.BLOG_TITLE} admin</title>" in changelist
    login = Client().get(reverse("admin:login")).text
    assert f"Log in | {settings.BLOG_TITLE} admin" in login
    for page in (index, changelist, login):
        assert "Django administration" not in page and "Django site admin" not in page


def test_the_lockout_page_is_named_after_the_blog_too(make_user, settings):
    """django-axes draws it without the admin's context: it still says the blog's name, and links the icon."""
    settings.AXES_FAILURE_LIMIT = 1
    make_user("boss", is_staff=True, is_superuser=True)
    client = Client()
    log_in(client, "guess")

    locked = log_in(client, "guess")

    assert locked.status_code == 429
    assert f"Login locked | {settings.BLOG_TITLE} admin" in locked.text and "Django" not in locked.text
    assert icon_of(client, locked)


def test_every_admin_page_links_an_icon_that_is_there(owner, make_post):
    """Every list, add form and view of the admin, an app's page and a post's change form link the site's icon,
    which answers 200."""
    client = Client()
    client.force_login(owner)
    post = make_post()
    pages = [
        *admin_pages(),
        reverse("admin:app_list", args=["blog"]),
        reverse("admin:blog_post_change", args=[post.pk]),
    ]

    opened = []
    for path in pages:
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert icon_of(client, response), path
            opened.append(path)

    assert len(opened) >= 30, opened
    assert {reverse("admin:index"), reverse("admin:subscriptions_subscription_changelist")} <= set(opened)
    assert icon_of(Client(), Client().get(reverse("admin:login")))


def test_public_pages_link_the_same_icon(make_post):
    """The home page, an article and a 404 link the site's icon (no empty data: one), as the admin does."""
    post = make_post()
    client = Client()
    admin_icon = icon_of(client, client.get(reverse("admin:login")))

    for path in ("/", post.get_absolute_url(), reverse("privacy:policy"), "/no-such-page/"):
        assert icon_of(client, client.get(path)) == admin_icon, path
