"""Fixture factories shared by the whole suite."""

import itertools
import os
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fakes.smtp_server import FakeSMTP

# Playwright's sync API runs an event loop in the test thread; the ORM calls made around it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_counter = itertools.count(1)

# The fixtures that start real servers (tests/servers.py, devtools/stack.py). A test that uses one, itself or through
# another fixture, is marked `servers`; `make test-quick` leaves those out. Modules that start one by other means
# (a PostgreSQL cluster of their own, `make run`, the development server) carry `pytestmark = pytest.mark.servers`.
SERVER_FIXTURES = {"gunicorn", "nginx", "redis_server", "workers"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark `servers` every test whose fixtures start a real server, before `-m` deselects by marker."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, as a freshly started site does."""
    from django.core.cache import cache

    cache.clear()


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


def moderators_group():
    """The Moderators group with the permissions its migrations give it (comments/ 0002 and 0011,
    subscriptions/ 0002), made again where a transactional test emptied the tables."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    group, made = Group.objects.get_or_create(name="Moderators")
    if made:
        on_comments = [
            *import_module("comments.migrations.0002_moderators_group").PERMISSIONS,
            *import_module("comments.migrations.0011_moderators_may_ban").PERMISSIONS,
        ]
        on_subscriptions = import_module("subscriptions.migrations.0002_moderators_see_and_remove_subscriptions")
        granted = [*on_comments, *(("subscriptions", *permission) for permission in on_subscriptions.PERMISSIONS)]
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app_label, content_type__model=model, codename=codename)
            for app_label, model, codename in granted
        )
    return group


@pytest.fixture
def moderator(make_user):
    """Mo Derator (mod@example.com): staff in the Moderators group, as the site's owner makes a moderator."""
    user = make_user("mod", first_name="Mo", last_name="Derator", is_staff=True)
    user.groups.add(moderators_group())
    return user


@pytest.fixture
def moderator_client(client, moderator):
    """The test client logged in as `moderator`."""
    client.force_login(moderator)
    return client


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


@pytest.fixture
def make_comment(make_post):
    """A comment stored directly (no pipeline, no history), approved unless told otherwise.

    `make_comment(post=None, *, commit=True, created_at=None, **fields)`: a new post when none is
    given; a fresh name, email, body and IP address each time; `created_at` backdates it (the
    flood and duplicate rules look at time); `commit=False` returns it unsaved, as the pipeline
    holds it before the rules run.
    """
    from comments.models import Comment

    def make(post=None, *, commit=True, created_at=None, **fields):
        number = next(_counter)
        user = fields.get("user")
        if user is not None:
            fields.setdefault("author_name", user.get_full_name() or user.get_username())
            fields.setdefault("author_email", user.email)
        fields.setdefault("author_name", f"Reader {number}")
        fields.setdefault("author_email", f"reader{number}@example.com")
        fields.setdefault("body", f"Comment number {number}.")
        fields.setdefault("ip_address", f"2001:db8::{number:x}")
        fields.setdefault("user_agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        fields.setdefault("status", Comment.Status.APPROVED)
        pending = fields["status"] == Comment.Status.PENDING
        fields.setdefault("reason", Comment.Reason.SPAM_CHECK if pending else Comment.Reason.MODERATOR)
        if fields.get("parent") is not None:
            post = post or fields["parent"].post
        body_html = fields.pop("body_html", None)
        comment = Comment.build(post=post or make_post(), **fields)
        comment.body_html = body_html if body_html is not None else comment.body_html
        if not commit:
            return comment
        comment.save()
        if created_at is not None:
            Comment.objects.filter(pk=comment.pk).update(created_at=created_at)
            comment.created_at = created_at
        return comment

    return make


@pytest.fixture
def known_author(make_post, make_comment):
    """Grace Hopper (grace@example.com), a reader with an approved comment from the day before, on another post:
    `{"name": ..., "email": ...}` as a form takes them."""
    earlier = make_comment(
        make_post(),
        author_name="Grace Hopper",
        author_email="grace@example.com",
        created_at=timezone.now() - timedelta(days=1),
    )
    return {"name": earlier.author_name, "email": earlier.author_email}


@pytest.fixture
def akismet_fake(settings):
    """A loopback Akismet (tests/fakes/akismet_server.py) that the site is pointed at, with a valid key.

    Set `akismet_fake.mode` to "ham" (the default), "spam", "discard", "error" (HTTP 500),
    "timeout" (answers after 1 s: set settings.AKISMET_TIMEOUT below that) or "invalid-key".
    `akismet_fake.requests` lists what it received (`.endpoint`, `.get(key)`, `.getlist(key)`,
    `.data`); `akismet_fake.checks` only the comment-check calls.
    """
    from tests.fakes.akismet_server import FakeAkismet

    with FakeAkismet() as fake:
        settings.AKISMET_API_URL = fake.url
        settings.AKISMET_API_KEY = fake.key
        yield fake


@pytest.fixture
def run_tasks(db):
    """Drain the database task queue in-process, as `manage.py db_worker --batch` does in CI.

    `run_tasks()` runs every task that is due - including those the tasks enqueue for now -
    and returns the DBTaskResult rows it finished. Tasks whose `run_after` is in the future
    stay READY (that is how retries wait). A task that raised fails the test, unless
    `run_tasks(allow_failures=True)`.

    Not `manage.py run_worker` (ops/worker.py), which the `workers` fixture runs: its housekeeping would also queue
    a spam check for every pending comment a test backdated (comments.pipeline.queue_forgotten_checks) and run it,
    tasks the test never asked for (tests/test_retention.py counts what ran). The worker's own tests use `workers`.
    """
    import signal
    from unittest import mock

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    signals = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)]

    def run(*, allow_failures=False):
        finished_before = set(DBTaskResult.objects.filter(finished_at__isnull=False).values_list("pk", flat=True))
        handlers = {number: signal.getsignal(number) for number in signals}
        try:
            # The worker closes "old" connections between tasks, which on PostgreSQL would close the
            # test's transaction; Django's test client switches the same call off around requests.
            with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
                call_command(
                    "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", verbosity=0
                )
        finally:
            for number, handler in handlers.items():  # The worker installs its own; give pytest its Ctrl+C back.
                signal.signal(number, handler)
        finished = [
            result
            for result in DBTaskResult.objects.filter(finished_at__isnull=False).order_by("finished_at")
            if result.pk not in finished_before
        ]
        failed = [result for result in finished if result.status == "FAILED"]
        if failed and not allow_failures:
            pytest.fail(f"{len(failed)} task(s) failed; the first:\n{failed[0].traceback}")
        return finished

    return run


@pytest.fixture(scope="session")
def fake_providers():
    """The local OAuth 2 / OpenID Connect server that stands in for every login provider."""
    from tests.fakes.oauth_server import pointing_x_here, shared_fake_providers

    fake = shared_fake_providers()
    with pointing_x_here(fake.url):
        yield fake


@pytest.fixture
def providers(settings, fake_providers):
    """All four providers and a demo OpenID Connect app have credentials, all pointed at the local fake."""
    from django.core.cache import cache

    from tests.fakes.oauth_server import social_apps

    settings.SOCIALACCOUNT_PROVIDERS = social_apps()
    settings.COMMENTS_MIN_SECONDS = 0
    fake_providers.reset()
    cache.clear()
    yield fake_providers
    cache.clear()


@pytest.fixture
def comments_from_one_test_client(settings):
    """Forms may be sent back at once, and the test client always comes from 127.0.0.1 (no flood)."""
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


@pytest.fixture
def post(make_post):
    return make_post("Reading slowly on purpose")


@pytest.fixture
def article(make_post):
    """Notes from the allotment, a published post with a body a reader can see."""
    return make_post(
        "Notes from the allotment",
        slug="notes-from-the-allotment",
        body="<p>The broad beans came up in a week; the carrots are still thinking about it.</p>",
    )


@pytest.fixture
def reader():
    """A guest's browser: cookies kept, CSRF checked."""
    from django.test import Client

    return Client(enforce_csrf_checks=True)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """The static files as production serves them (collected and compressed once per run)."""
    from tests.servers import collect_static

    return collect_static(tmp_path_factory.mktemp("static"))


@pytest.fixture
def gunicorn(django_db_setup, collected_static):
    """Start gunicorn with the production settings against the test database: `gunicorn(workers=2, **env)`.

    The test needs `@pytest.mark.django_db(transaction=True)` so that each side sees what the other
    stores. Every server started is stopped at teardown; a server's log is `server.log`.
    """
    from django.db import connection

    from tests.servers import Gunicorn, database_url

    servers = []

    def start(**options):
        server = Gunicorn(database_url(connection.settings_dict), static_root=collected_static, **options)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def nginx(collected_static):
    """Debian's nginx with deploy/nginx/blog.conf: `nginx()` makes one (its port is known at once;
    `nginx(media_root=...)` serves that folder as /media/), `server.start(["127.0.0.1:PORT", ...])` puts it in
    front of those gunicorns. Stopped at teardown."""
    from tests.servers import Nginx, nginx_binary

    if nginx_binary() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx or its cache purge module not found (CI=true: .ci/run installs them)", pytrace=False)
        pytest.skip("nginx not found: apt-get install nginx libnginx-mod-http-cache-purge")
    servers = []

    def make(**options):
        server = Nginx(static_root=collected_static, **options)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def front_cache(nginx, gunicorn, settings):
    """`front_cache(**env)`: nginx with the site's configuration in front of one gunicorn (given `env`), pages kept an
    hour (only a purge changes a cached page while a test runs), and this test process purging through it too.

    Returns `.url` (nginx's), `.app` (the gunicorn) and `.access_log()` (nginx's).
    """
    from types import SimpleNamespace

    def start(**env):
        proxy = nginx()
        purge = f"{proxy.url}/purge"
        app = gunicorn(
            SITE_URL=proxy.url, BEHIND_TLS_PROXY="true", FRONT_CACHE_PURGE_URLS=purge, FRONT_CACHE_SECONDS="3600", **env
        )
        settings.FRONT_CACHE_PURGE_URLS = [purge]
        proxy.start([f"127.0.0.1:{app.port}"])
        return SimpleNamespace(url=proxy.url, app=app, access_log=lambda: (proxy.folder / "access.log").read_text())

    return start


@pytest.fixture
def workers(django_db_setup):
    """Start `manage.py run_worker` processes on the test database: `workers(database=None, **env)`; all stopped at
    teardown."""
    from django.db import connection

    from tests.servers import TaskWorker, database_url

    started = []

    def start(database=None, **env):
        worker = TaskWorker(database or database_url(connection.settings_dict), **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads and imported files go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def redis_server():
    """Debian's redis-server on a free port of 127.0.0.1 (`.url` is a REDIS_URL), stopped at teardown."""
    from tests.servers import Redis

    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server not found (CI=true: .ci/run installs it)", pytrace=False)
        pytest.skip("redis-server not found: apt-get install redis-server")
    server = Redis().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1, stopped after the test."""
    with FakeSMTP() as server:
        yield server


@pytest.fixture
def mail_through_smtp(settings, smtp_server):
    """The "default" mailer speaks SMTP to the test's server; forms may be sent back at once."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "blog@example.com"
    settings.COMMENTS_MIN_SECONDS = 0
    return smtp_server
