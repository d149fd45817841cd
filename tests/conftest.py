"""Fixture factories shared by the whole suite."""

import itertools
import os
from datetime import timedelta

import pytest
from django.utils import timezone

# Playwright's sync API runs an event loop in the test thread; the ORM calls made around it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_counter = itertools.count(1)


@pytest.fixture
def make_user(django_user_model):
    def make(username=None, **fields):
        username = username or f"user{next(_counter)}"
        fields.setdefault("email", f"{username}@example.com")
        return django_user_model.objects.create_user(username=username, password="pw-for-tests-only", **fields)

    return make


@pytest.fixture
def author(make_user):
    return make_user("ada", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def make_category():
    from blog.models import Category

    def make(name=None, parent=None, **fields):
        name = name or f"Category {next(_counter)}"
        fields.setdefault("slug", name.lower().replace(" ", "-"))
        return Category.objects.create(name=name, parent=parent, **fields)

    return make


@pytest.fixture
def make_tag():
    from blog.models import Tag

    def make(name=None, **fields):
        name = name or f"tag {next(_counter)}"
        fields.setdefault("slug", name.lower().replace(" ", "-"))
        return Tag.objects.create(name=name, **fields)

    return make


@pytest.fixture
def make_post(author):
    """A published post from yesterday unless told otherwise; `days_ago` < 0 schedules it."""
    from blog.models import Post

    def make(title=None, *, days_ago=1, categories=(), tags=(), **fields):
        number = next(_counter)
        title = title or f"Post number {number}"
        fields.setdefault("slug", f"post-{number}")
        fields.setdefault("author", author)
        fields.setdefault("status", Post.Status.PUBLISHED)
        fields.setdefault("body", f"<p>The body of {title}.</p>")
        fields.setdefault("published_at", timezone.now() - timedelta(days=days_ago))
        post = Post.objects.create(title=title, **fields)
        post.categories.set(categories)
        post.tags.set(tags)
        return post

    return make
