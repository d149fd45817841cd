"""Akismet's health in the admin: the box on the index and under the queue (what the worker read from a fake Akismet),
the banner when the key is invalid or Akismet sent an alert (its text escaped), and "Check the queue again"
(in a browser: tests/e2e/test_akismet_health_browser.py)."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import akismet, pipeline
from comments.models import AkismetCall, AkismetState, Reason, Status

pytestmark = pytest.mark.django_db

INDEX = "/admin/"
QUEUE = "/admin/comments/comment/"
CHECK_AGAIN = "/admin/comments/comment/check-again/"
INVALID = "Akismet says the API key is invalid"


def as_read(markup: str) -> str:
    """Markup's text with tags dropped and spaces collapsed, as a reader sees it."""
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))
    return re.sub(r" ([).,:;])", r"\1", text.replace("( ", "("))


def text_of(response) -> str:
    return as_read(response.text)


def box_of(response) -> str:
    found = re.search(r'<section class="module akismet-health".*?</section>', response.text, re.DOTALL)
    assert found, "no health box on the page"
    return as_read(found[0])


def banner_of(response) -> str:
    found = re.search(r'<div class="akismet-banner" role="alert">.*?</div>', response.text, re.DOTALL)
    return found[0] if found else ""


def read_by_the_worker(run_tasks):
    """What the worker's housekeeping queues (keep_health_fresh), run."""
    akismet.refresh_health.enqueue()
    run_tasks()


@pytest.fixture
def held(make_comment, make_post):
    """Two comments held by a rule (their authors' first), as the queue shows them."""
    post = make_post("Notes from the allotment")
    return [make_comment(post, status=Status.PENDING, reason=Reason.FIRST_COMMENT) for _ in range(2)]


def test_the_box_shows_what_the_worker_read_from_akismet(moderator_client, akismet_fake, run_tasks):
    """After the worker's refresh, the index's box says the key was verified, the plan's usage with its percentage,
    the sites on the key with this month's counts, and that the worker read it."""
    akismet_fake.usage, akismet_fake.limit = 7_463, 350_000
    akismet_fake.sites.append({**akismet_fake.sites[0], "site": "https://other.example", "is_revoked": True})
    read_by_the_worker(run_tasks)

    box = box_of(moderator_client.get(INDEX))

    assert re.search(r"Key Verified just now", box)
    assert "7,463 of 350,000 calls (2.1%)" in box
    assert "throttled" not in box
    assert "https://blog.example 2072 2069 3 0 4" in box
    assert "https://other.example (revoked)" in box
    assert re.search(r"Read just now by the task worker\.", box)
    assert "Last answer None yet" not in box
    assert INVALID not in moderator_client.get(INDEX).text


def test_the_box_counts_the_last_days_checks_and_errors_and_links_to_what_waits(
    moderator_client, akismet_fake, make_comment
):
    """Checks and failed calls of the last day are counted (older ones not), and the comments held because Akismet
    could not be reached link to the queue filtered to them."""
    now = timezone.now()
    AkismetCall.objects.bulk_create(
        [AkismetCall(endpoint="comment-check", answered=True, at=now - timedelta(hours=h)) for h in (1, 2, 3)]
        + [AkismetCall(endpoint="comment-check", answered=False, at=now - timedelta(hours=1))]
        + [AkismetCall(endpoint="comment-check", answered=True, at=now - timedelta(days=1, hours=1))]
    )
    make_comment(status=Status.PENDING, reason=Reason.AKISMET_UNREACHABLE)

    response = moderator_client.get(QUEUE)
    box = box_of(response)

    assert "Last day 4 checks, 1 error" in box
    assert "Held, Akismet unreachable 1 comment" in box
    link = re.search(r'<a href="([^"]+)">1 comment</a>', response.text)[1]
    assert html.unescape(link) == f"{QUEUE}?status=pending&reason__exact={Reason.AKISMET_UNREACHABLE}"


def test_the_box_before_the_worker_has_read_anything(moderator_client, akismet_fake, settings):
    """With a key but nothing read yet, the box says so and how often the worker reads it (AKISMET_HEALTH_SECONDS)."""
    settings.AKISMET_HEALTH_SECONDS = 600

    box = box_of(moderator_client.get(INDEX))

    assert "Key Not verified yet" in box
    assert "Usage Not read yet" in box
    assert "Not read yet: the task worker reads it every 10 minutes (AKISMET_HEALTH_SECONDS)." in box
    assert akismet_fake.requests == []


def test_the_box_without_a_key_says_what_that_means(moderator_client):
    """Without AKISMET_API_KEY the box says nothing is sent to Akismet and every undecided comment waits for a
    moderator, and the page makes no call anywhere."""
    box = box_of(moderator_client.get(INDEX))

    assert "No Akismet key configured." in box
    assert "every comment the rules do not decide waits for a moderator" in box
    assert "Set AKISMET_API_KEY" in box


def test_the_page_never_calls_akismet(moderator_client, akismet_fake, run_tasks):
    """Showing the box and the banner asks Akismet nothing: only the worker's refresh does."""
    read_by_the_worker(run_tasks)
    asked = len(akismet_fake.requests)

    moderator_client.get(INDEX)
    moderator_client.get(QUEUE)

    assert asked > 0
    assert len(akismet_fake.requests) == asked


def test_staff_who_may_not_see_comments_see_no_box_and_no_banner(client, make_user, akismet_fake, run_tasks):
    """A staff account without the comments' view permission sees neither the box nor the banner on the index."""
    akismet_fake.mode = "invalid-key"
    read_by_the_worker(run_tasks)
    editor = make_user(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(editor)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert "akismet-health" not in response.text
    assert INVALID not in response.text


def test_an_invalid_key_is_said_plainly_on_the_index_and_the_queue(moderator_client, akismet_fake, run_tasks):
    """When Akismet answers that the key is invalid, both pages carry an alert saying so (not "could not be reached"),
    what happens to comments meanwhile and what to do; the box says since when."""
    akismet_fake.mode = "invalid-key"
    read_by_the_worker(run_tasks)

    for url in (INDEX, QUEUE):
        response = moderator_client.get(url)
        banner = banner_of(response)
        said = as_read(banner)
        assert INVALID in said
        assert "could not be reached" not in said
        assert "every new comment is held for a person" in said
        assert "Akismet is not asked again until the key changes" in said
        assert "set AKISMET_API_KEY to the key akismet.com gives for http://testserver (the SITE_URL)" in said
        assert "restart" in said
        assert "Key Invalid since" in box_of(response)


def test_a_fixed_key_takes_the_banner_away(moderator_client, akismet_fake, run_tasks, settings):
    """The banner is about the key in use: once AKISMET_API_KEY changes, it is gone (and the new key not yet
    verified)."""
    akismet_fake.mode = "invalid-key"
    read_by_the_worker(run_tasks)
    assert INVALID in text_of(moderator_client.get(INDEX))

    settings.AKISMET_API_KEY = "another-key"
    response = moderator_client.get(INDEX)

    assert INVALID not in text_of(response)
    assert "Key Not verified yet" in box_of(response)


def test_an_alert_is_shown_until_a_call_succeeds_without_one(moderator_client, akismet_fake, run_tasks):
    """Akismet's alert (code and message) is on the index and the queue, saying it stays until a call succeeds
    without one; the next answer without an alert takes it away."""
    akismet_fake.alert = ("10003", "Your site has gone over its plan's monthly usage limit.")
    read_by_the_worker(run_tasks)

    for url in (INDEX, QUEUE):
        said = text_of(moderator_client.get(url))
        assert "Akismet alert 10003: Your site has gone over its plan's monthly usage limit." in said
        assert "It stays here until a call to Akismet succeeds without one." in said

    akismet_fake.alert = None
    AkismetState.objects.update(read_at=None)
    read_by_the_worker(run_tasks)
    assert "Akismet alert" not in text_of(moderator_client.get(INDEX))


def test_a_hostile_alert_and_hostile_sites_are_shown_as_text(moderator_client, akismet_fake, run_tasks):
    """An alert whose code and message, and a site on the key whose name and counts, carry markup and control
    characters reach the page as plain text: escaped, the control characters gone."""
    akismet_fake.alert = ("<b>x</b>", "<script>alert(1)</script>\tread <img src=x onerror=alert(2)>")
    akismet_fake.sites.append(
        {**akismet_fake.sites[0], "site": "<script>alert(3)</script>\x1b[31m\u202e", "spam": "<i>9</i>\x07"}
    )
    read_by_the_worker(run_tasks)

    response = moderator_client.get(INDEX)
    banner = banner_of(response)

    assert "<script>" not in response.text
    assert "<img src=x" not in response.text
    assert "<i>9" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;read &lt;img src=x onerror=alert(2)&gt;" in banner
    assert "&lt;b&gt;x&lt;/b&gt;" in banner
    assert "\t" not in banner
    assert "&lt;script&gt;alert(3)&lt;/script&gt;[31m" in response.text
    assert "&lt;i&gt;9&lt;/i&gt;</td>" in response.text
    assert not {"\x1b", "\u202e", "\x07"} & set(response.text)


def test_a_worker_that_stopped_reading_is_noticed(moderator_client, akismet_fake, run_tasks, settings):
    """When what the worker read is older than twice AKISMET_HEALTH_SECONDS, the box asks whether it is running."""
    read_by_the_worker(run_tasks)
    AkismetState.objects.update(read_at=timezone.now() - timedelta(seconds=3 * settings.AKISMET_HEALTH_SECONDS))

    box = box_of(moderator_client.get(INDEX))

    assert re.search(
        r"Read 45 minutes ago by the task worker, which reads it every 15 minutes: is the worker running", box
    )


def test_a_throttled_key_is_said_in_the_box(moderator_client, akismet_fake):
    """usage-limit's "throttled" is shown beside the usage."""
    AkismetState.objects.update_or_create(
        pk=1, defaults={"usage": {"limit": 1000, "usage": 1200, "percentage": "120.00", "throttled": True}}
    )

    box = box_of(moderator_client.get(INDEX))

    assert "1,200 of 1,000 calls (120.0%) throttled" in box


def test_check_the_queue_again_asks_akismet_about_every_held_comment(moderator_client, akismet_fake, held, run_tasks):
    """The queue's button (a POST with the CSRF token) queues a recheck of each held comment, says so, and the worker
    moves those Akismet calls spam to Spam."""
    page = moderator_client.get(reverse("admin:comments_comment_changelist") + "?status=pending")
    form = re.search(r'<form method="post" action="([^"]+)" class="check-again">(.*?)</form>', page.text, re.DOTALL)
    assert form[1] == CHECK_AGAIN
    assert 'name="csrfmiddlewaretoken"' in form[2]
    assert ">Check the queue again</button>" in form[2]

    response = moderator_client.post(CHECK_AGAIN, {"next": QUEUE + "?status=pending"}, follow=True)

    assert response.redirect_chain == [(QUEUE + "?status=pending", 302)]
    assert "Akismet is asked again about 2 held comments; those it calls spam move to Spam." in text_of(response)
    queued = DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path)
    assert sorted(row["args"] for row in queued.values_list("args_kwargs", flat=True)) == sorted(
        [[comment.pk, "recheck_queue"] for comment in held]
    )
    akismet_fake.mode = "spam"
    run_tasks()
    assert {comment.pk: Status.SPAM for comment in held} == {
        comment.pk: type(comment).objects.get(pk=comment.pk).status for comment in held
    }
    assert {check.get("recheck_reason") for check in akismet_fake.checks} == {"recheck_queue"}


def test_check_the_queue_again_is_refused_by_get_and_without_the_change_permission(
    client, make_user, akismet_fake, held
):
    """A GET is refused (405), a staff account that may only view comments is refused (403) and does not see the
    button, and nothing is queued."""
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(viewer)

    assert client.get(CHECK_AGAIN).status_code == 405
    assert client.post(CHECK_AGAIN).status_code == 403
    assert "Check the queue again" not in client.get(QUEUE).text
    assert not DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path).exists()


def test_a_stranger_posting_check_the_queue_again_is_sent_to_log_in(client, akismet_fake, held):
    """Without a session the admin's login page answers, and nothing is queued."""
    response = client.post(CHECK_AGAIN)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path).exists()


def test_the_button_is_only_there_when_akismet_can_be_asked(moderator_client, akismet_fake, held, settings, run_tasks):
    """The button shows with a key and held comments; not without a key, not with no comment held, not while Akismet
    says the key is invalid (and a POST then queues nothing)."""
    assert "Check the queue again" in moderator_client.get(QUEUE).text

    settings.AKISMET_API_KEY = ""
    assert "Check the queue again" not in moderator_client.get(QUEUE).text
    settings.AKISMET_API_KEY = akismet_fake.key

    akismet_fake.mode = "invalid-key"
    read_by_the_worker(run_tasks)
    assert "Check the queue again" not in moderator_client.get(QUEUE).text
    response = moderator_client.post(CHECK_AGAIN, follow=True)
    assert "Akismet is not asked: no key is configured, or Akismet says it is invalid." in text_of(response)
    assert not DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path).exists()

    akismet_fake.mode = "ham"
    AkismetState.objects.all().delete()
    for comment in held:
        type(comment).objects.filter(pk=comment.pk).update(status=Status.APPROVED)
    assert "Check the queue again" not in moderator_client.get(QUEUE).text


def captured(client, url) -> int:
    client.get(url)  # the session, content types and the like are read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_pages_cost_the_same_whatever_the_number_of_sites_and_calls(moderator_client, akismet_fake, held):
    """The index and the queue make as many queries with 1 site and 3 calls as with 40 sites and 300 calls."""
    counts = []
    for sites, calls in ((1, 3), (40, 300)):
        site = {"api_calls": "1", "spam": "1", "ham": "0", "missed_spam": "0", "false_positives": "0"}
        answer = {"2026-12": [{**site, "site": f"https://{n}.example"} for n in range(sites)], "limit": 500}
        AkismetState.objects.update_or_create(pk=1, defaults={"key_sites": answer, "read_at": timezone.now()})
        AkismetCall.objects.bulk_create(
            AkismetCall(endpoint="comment-check", answered=True) for _ in range(calls - AkismetCall.objects.count())
        )
        counts.append((captured(moderator_client, INDEX), captured(moderator_client, QUEUE)))
        assert f"https://{sites - 1}.example" in moderator_client.get(INDEX).text
    print(f"\n(index, queue) queries: {counts}")
    assert counts[0] == counts[1]
