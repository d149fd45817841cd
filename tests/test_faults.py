"""What production does to the site, done to it: a worker killed mid-task, PostgreSQL stopped and started,
Redis stopped, one or every app server gone, a spam check whose task was lost, a comment erased while checked.

Real processes throughout: `manage.py run_worker` and gunicorn with the production settings, Debian's
PostgreSQL, Redis and nginx, the local Akismet.
"""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import psycopg
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import erasure, pipeline
from comments.forms import GuestCommentForm
from comments.models import Comment, Reason, Status
from tests.servers import GuestBrowser, PostgresCluster, eventually
from tests.test_spam_defence import guest_data, submission

pytestmark = pytest.mark.django_db(transaction=True)


def submitted_comment(post) -> Comment:
    """A guest's comment through the real form and pipeline, waiting for its spam check."""
    form = GuestCommentForm(post, AnonymousUser(), data=guest_data(post))
    assert form.is_valid(), form.errors
    return pipeline.submit_comment(post=post, form=form, submission=submission())


def test_a_worker_killed_mid_check_leaves_the_check_to_another(workers, akismet_fake, post, settings):
    """SIGKILL during the spam check: the next worker takes the abandoned task up; the comment is decided once."""
    settings.COMMENTS_MIN_SECONDS = 0
    akismet_fake.mode, akismet_fake.timeout_sleep = "timeout", 5  # the first check hangs...
    comment = submitted_comment(post)
    env = {"AKISMET_API_URL": akismet_fake.url, "AKISMET_API_KEY": akismet_fake.key, "AKISMET_TIMEOUT": "30"}
    first = workers(TASK_LEASE_SECONDS="2", **env)
    assert eventually(lambda: len(akismet_fake.checks) == 1)
    first.kill()  # ...and its worker dies in the middle of it

    akismet_fake.mode = "ham"
    second = workers(TASK_LEASE_SECONDS="2", **env)
    assert eventually(lambda: Comment.objects.get(pk=comment.pk).reason != Reason.SPAM_CHECK, seconds=30), second.log

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.FIRST_COMMENT)
    decisions = comment.events.exclude(from_status="")
    assert [(event.actor, event.note) for event in decisions] == [("rule", "Akismet: not spam")]
    assert len(akismet_fake.checks) == 2  # the abandoned one, and the one that decided
    assert "outcome=abandoned" in second.log


def test_a_comment_whose_check_was_lost_is_found_and_checked(run_tasks, make_comment, post):
    """A comment left waiting for its spam check with no task to run it gets one from the worker's housekeeping."""
    lost = make_comment(post, status=Status.PENDING, reason=Reason.SPAM_CHECK)
    Comment.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    fresh = make_comment(post, status=Status.PENDING, reason=Reason.SPAM_CHECK)  # being stored now: left alone

    assert pipeline.queue_forgotten_checks() == 1
    assert pipeline.queue_forgotten_checks() == 0  # queued once, not twice
    run_tasks()

    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.reason == Reason.NO_AKISMET_KEY  # checked (no key configured here: held for a moderator)
    assert fresh.reason == Reason.SPAM_CHECK


# PostgreSQL stopped and started: on a server of the test's own, so the suite's keeps running.


@pytest.fixture
def own_postgres():
    """A migrated PostgreSQL server of this test's own, holding one published post: `.url`, `.stop()`, `.start()`."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        pytest.skip("PostgreSQL not installed (apt-get install postgresql)")
    cluster = PostgresCluster().create()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.prod", "DATABASE_URL": cluster.url}
    env["SECRET_KEY"] = django_settings.SECRET_KEY
    migrate = [sys.executable, "manage.py", "migrate", "-v", "0"]
    subprocess.run(migrate, cwd=django_settings.BASE_DIR, env=env, check=True)
    cluster.post = SimpleNamespace(pk=store_a_post(cluster), get_absolute_url=lambda: "/2026/01/02/restart/")
    yield cluster
    cluster.destroy()


def sql(cluster, query, *params):
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as connection:
        return connection.execute(query, params).fetchall()


def store_a_post(cluster) -> int:
    [[author]] = sql(
        cluster,
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,"
        " date_joined) VALUES ('!', false, 'writer', '', '', '', false, true, now()) RETURNING id",
    )
    [[post]] = sql(
        cluster,
        "INSERT INTO blog_post (kind, title, slug, author_id, body, body_html, excerpt, status, published_at,"
        " created_at, modified_at, comments_open, pings_open, sticky, menu_order, featured_image, password)"
        " VALUES ('post', 'Restart', 'restart', %s, '<p>x</p>', '<p>x</p>', '', 'published', '2026-01-02 10:00+00',"
        " now(), now(), true, true, false, 0, '', '') RETURNING id",
        author,
    )
    return post


def comments_waiting(cluster) -> int:
    return sql(cluster, "SELECT count(*) FROM comments_comment WHERE reason = 'spam-check'")[0][0]


def test_a_postgresql_restart_loses_no_comment_and_no_worker(own_postgres, gunicorn, workers):
    """With PostgreSQL down posters get their text back to send again; once it is up, worker and site carry on."""
    post = own_postgres.post
    site = gunicorn(DATABASE_URL=own_postgres.url, COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0")
    worker = workers(own_postgres.url, TASK_LEASE_SECONDS="5")

    def answer(key):
        return sql(own_postgres, "SELECT response FROM captcha_captchastore WHERE hashkey = %s", key)[0][0]

    with GuestBrowser(site.url) as reader:
        assert reader.post_comment(post, captcha_answer=answer, comment="Before.").status_code == 302
        assert eventually(lambda: comments_waiting(own_postgres) == 0)
        form = reader.prepared_form(post, captcha_answer=answer, comment="Written while the database restarts.")

        own_postgres.stop()
        down = reader.send(post, form)
        health_down = reader.http.get("/healthz")
        time.sleep(2)  # the worker meets the dead database, and must live on
        assert worker.alive

        own_postgres.start()
        again = reader.post_comment(post, captcha_answer=answer, comment="After.", email="after@example.net")
        assert eventually(lambda: comments_waiting(own_postgres) == 0)
        health_up = reader.http.get("/healthz")

    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    assert "Written while the database restarts.</textarea>" in down.text
    assert "send it again" in down.text
    assert (health_down.status_code, health_up.status_code) == (503, 200)
    assert again.status_code == 302
    assert worker.alive and "The database cannot be reached" in worker.log
    stored = [body for [body] in sql(own_postgres, "SELECT body FROM comments_comment ORDER BY id")]
    assert stored == ["Before.", "After."]


def test_with_redis_stopped_the_site_keeps_serving_and_says_so(gunicorn, redis_server, post, make_comment):
    """Redis gone: pages still come, the log says once that the cache cannot be reached."""
    make_comment(post)
    site = gunicorn(REDIS_URL=redis_server.url)
    assert httpx.get(site.url + post.get_absolute_url(), timeout=60).status_code == 200

    redis_server.stop()
    started = time.monotonic()
    answers = [httpx.get(site.url + post.get_absolute_url(), timeout=60) for _ in range(5)]
    seconds = time.monotonic() - started

    assert [answer.status_code for answer in answers] == [200] * 5
    assert all(post.title in answer.text for answer in answers)
    assert seconds < 10
    assert 1 <= site.log.count("The cache (Redis) cannot be reached") <= 2  # once a minute per process


def test_with_one_app_server_gone_nginx_sends_readers_to_the_other(nginx, gunicorn, post):
    """Two gunicorns behind the front nginx; one stops: every request still gets its answer from the other."""
    proxy = nginx()
    first = gunicorn(SITE_URL=proxy.url, BEHIND_TLS_PROXY="true", COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0")
    second = gunicorn(SITE_URL=proxy.url, BEHIND_TLS_PROXY="true", COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0")
    proxy.start([f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"])

    first.stop()
    with GuestBrowser(proxy.url) as reader:
        states = [reader.http.get(f"/comments/form-state/{post.pk}/").status_code for _ in range(6)]
        posts = [
            reader.post_comment(post, comment=f"Still here {n}.", email=f"r{n}@example.net").status_code
            for n in range(4)
        ]

    assert states == [200] * 6
    assert posts == [302] * 4
    assert Comment.objects.count() == 4


def test_with_every_app_server_gone_nginx_serves_its_copy_or_back_in_a_moment(nginx, gunicorn, post):
    """No app server answers: a cached page is served from nginx's copy, anything else gets the site's static
    "back in a moment" page (a 503 nginx answers itself), never nginx's bare 502."""
    proxy = nginx()
    app = gunicorn(SITE_URL=proxy.url, BEHIND_TLS_PROXY="true")
    proxy.start([f"127.0.0.1:{app.port}"])
    front = httpx.Client(base_url=proxy.url, timeout=30)
    assert front.get(post.get_absolute_url()).status_code == 200

    app.stop()
    cached = front.get(post.get_absolute_url())
    others = [front.get("/"), front.get(f"/comments/form-state/{post.pk}/"), front.post(f"/comments/post/{post.pk}/")]

    assert cached.status_code == 200 and post.title in cached.text
    for answer in others:
        assert answer.status_code == 503, answer.request.url
        assert "<h1>Back in a moment</h1>" in answer.text and "Bad Gateway" not in answer.text
        assert answer.headers["retry-after"] == "10" and answer.headers["cache-control"] == "no-store"
        assert "content-security-policy" not in answer.headers  # nginx's own answer, the app never saw it


def test_with_postgresql_away_readers_get_the_cached_page_or_back_in_a_moment(own_postgres, nginx, gunicorn):
    """PostgreSQL stopped behind two app servers: a cached page comes from nginx's copy, others are the site's 503
    "back in a moment" (JSON for the form's state), not a 500 or nginx's 502; no app server is marked down for it,
    so the first page asked for once the database is back is drawn afresh."""
    post = own_postgres.post
    proxy = nginx()
    apps = [gunicorn(DATABASE_URL=own_postgres.url, SITE_URL=proxy.url, BEHIND_TLS_PROXY="true") for _ in range(2)]
    proxy.start([f"127.0.0.1:{app.port}" for app in apps])
    front = httpx.Client(base_url=proxy.url, timeout=30)
    assert front.get(post.get_absolute_url()).status_code == 200

    own_postgres.stop()
    cached = [front.get(post.get_absolute_url()) for _ in range(3)]
    pages = [front.get(path) for path in ("/", "/2026/", "/search/?q=restart")]
    state = front.get(f"/comments/form-state/{post.pk}/", headers={"Accept": "application/json"})
    own_postgres.start()
    after = front.get("/")

    assert all(answer.status_code == 200 and "Restart" in answer.text for answer in cached)
    for page in pages:
        assert page.status_code == 503, page.request.url
        assert "<h1>Back in a moment</h1>" in page.text and page.headers["retry-after"] == "10"
        assert "content-security-policy" in page.headers  # the site's answer, passed on by nginx
    assert state.status_code == 503 and state.headers["content-type"] == "application/json"
    assert "try again in a moment" in state.json()["error"]
    assert after.status_code == 200 and "Restart" in after.text
    logs = apps[0].log + apps[1].log
    assert "The database cannot be reached; answering 503" in logs
    assert "Traceback" not in logs and "Internal Server Error" not in logs


def test_with_redis_stopped_readers_still_comment_and_ask_for_their_data(gunicorn, redis_server, post):
    """Redis gone: the form's state, a comment and a "your data" request all go through, not refused as over a limit
    (the limits are counted in Redis), and the log says so once a minute."""
    site = gunicorn(REDIS_URL=redis_server.url, COMMENTS_MIN_SECONDS="0")
    redis_server.stop()
    with GuestBrowser(site.url) as reader:
        states = [reader.http.get(f"/comments/form-state/{post.pk}/").status_code for _ in range(3)]
        posted = reader.post_comment(post, comment="Written while Redis is away.")
        form = reader.http.get("/privacy/your-data/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        asked = reader.http.post(
            "/privacy/your-data/",
            data={"csrfmiddlewaretoken": token, "email": "real.reader@example.net"},
            headers={"Origin": site.url},
        )

    assert states == [200] * 3
    assert posted.status_code == 302 and Comment.objects.filter(body="Written while Redis is away.").exists()
    assert asked.status_code == 200 and "Check your inbox" in asked.text
    assert 1 <= site.log.count("serving without it, abuse limits not counted") <= 2  # once a minute per process


def test_a_comment_deleted_before_its_check_runs_leaves_nothing_to_check(run_tasks, post, settings):
    """A comment erased (deleted) between its posting and its spam check: the check ends well, "nothing to check"."""
    settings.COMMENTS_MIN_SECONDS = 0
    comment = submitted_comment(post)
    erasure.delete(comment)

    [result] = run_tasks()

    assert (result.status, result.return_value) == ("SUCCESSFUL", pipeline.NOTHING_TO_CHECK)


def test_a_comment_deleted_while_akismet_is_asked_leaves_nothing_to_check(workers, akismet_fake, post, settings):
    """A comment erased while the worker waits for Akismet's answer: the task ends well, "nothing to check", and no
    traceback is stored or logged."""
    settings.COMMENTS_MIN_SECONDS = 0
    comment = submitted_comment(post)
    akismet_fake.hold()
    worker = workers(AKISMET_API_URL=akismet_fake.url, AKISMET_API_KEY=akismet_fake.key, AKISMET_TIMEOUT="60")
    assert eventually(lambda: len(akismet_fake.checks) == 1, seconds=30), worker.log

    erasure.delete(comment)
    akismet_fake.release()
    checks = DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path, finished_at__isnull=False)
    finished = eventually(checks.first, seconds=30)

    assert finished is not None, worker.log
    assert (finished.status, finished.return_value, finished.traceback) == ("SUCCESSFUL", pipeline.NOTHING_TO_CHECK, "")
    assert "outcome=successful" in worker.log and "Traceback" not in worker.log
    assert not Comment.objects.filter(pk=comment.pk).exists()
