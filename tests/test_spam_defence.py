"""Spam defence: the intake pipeline, Akismet's verdicts, its outages, and the history they leave.

Comments go through the real form and `pipeline.submit_comment` (or the posting view); the
spam check runs in the real database task queue (`run_tasks`) against a loopback Akismet
(`akismet_fake`).
"""

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import akismet, pipeline
from comments.akismet import backoff as akismet_backoff
from comments.forms import CommentForm, GuestCommentForm, issue_timestamp
from comments.models import Actor, Comment, CommentEvent, Reason, Status
from comments.moderation import change_status
from groundwork.proxies import client_ip
from groundwork.retry import due_now

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


@pytest.fixture(autouse=True)
def forms_may_be_sent_at_once(settings):
    """A form sent back the moment it was issued is "too fast"; only the test about that wants it."""
    settings.COMMENTS_MIN_SECONDS = 0


def captcha_answer() -> dict:
    key = CaptchaStore.generate_key()
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def guest_data(post, **fields) -> dict:
    """What a guest's browser sends: a fresh reader, remark and captcha unless told otherwise."""
    number = next(_numbers)
    return {
        "name": f"Reader {number}",
        "email": f"guest{number}@example.net",  # apart from make_comment's reader{n}@example.com
        "url": "",
        "comment": f"A thoughtful remark, number {number}.",
        "timestamp": issue_timestamp(post),
        **captcha_answer(),
        **fields,
    }


def submission(**fields) -> pipeline.Submission:
    fields.setdefault("ip_address", f"2001:db8:1::{next(_numbers):x}")
    fields.setdefault("user_agent", USER_AGENT)
    fields.setdefault("referrer", "")
    return pipeline.Submission(**fields)


def submit(post, *, user=None, **fields) -> Comment:
    """Send a valid form through the pipeline, as a guest or as `user`."""
    if user is None:
        form = GuestCommentForm(post, AnonymousUser(), data=guest_data(post, **fields))
    else:
        data = {"comment": f"A member's remark, number {next(_numbers)}.", "timestamp": issue_timestamp(post)}
        form = CommentForm(post, user, data={**data, **fields})
    assert form.is_valid(), form.errors
    return pipeline.submit_comment(post=post, form=form, submission=submission())


def history(comment) -> list[tuple]:
    return list(comment.events.values_list("actor", "from_status", "to_status", "reason"))


def test_ham_from_a_first_time_author_is_held(akismet_fake, run_tasks, post):
    """Akismet's "not spam" leaves a first-time author's comment held for a moderator."""
    comment = submit(post)
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.SPAM_CHECK)

    assert [result.return_value for result in run_tasks()] == [Status.PENDING]

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert [request.endpoint for request in akismet_fake.requests] == ["verify-key", "comment-check"]


def test_the_key_is_verified_once_not_before_every_check(akismet_fake, run_tasks, post):
    """Five spam checks cost one verify-key and five comment-checks: the key is not verified again and again."""
    for _ in range(5):
        submit(post)
    run_tasks()

    assert Counter(request.endpoint for request in akismet_fake.requests) == {"verify-key": 1, "comment-check": 5}


def test_an_invalid_key_holds_comments_for_a_person_and_sends_nothing_until_found_valid(akismet_fake, run_tasks, post):
    """Once Akismet answers a check with "invalid", no check is sent, none retried, each comment held for a person;
    the worker's next health read finds the key valid again, and checks resume."""
    submit(post)
    run_tasks()
    akismet_fake.mode = "invalid-key"
    answered_invalid = submit(post)
    assert [result.return_value for result in run_tasks()] == ["held: the Akismet key is invalid"]
    akismet_fake.mode = "ham"
    never_sent = submit(post)
    assert [result.return_value for result in run_tasks()] == ["held: the Akismet key is invalid"]
    assert run_tasks() == []  # nothing waits to be retried

    akismet.refresh_health.enqueue()
    assert [result.return_value for result in run_tasks()] == ["read"]
    submit(post)
    run_tasks()

    assert [request.endpoint for request in akismet_fake.requests] == [
        "verify-key",
        "comment-check",
        "comment-check",  # answered "invalid"
        "verify-key",  # the health read, which verifies even a key known to be invalid
        "usage-limit",
        "key-sites",
        "comment-check",
    ]
    for comment in (answered_invalid, never_sent):
        comment.refresh_from_db()
        assert (comment.status, comment.reason) == (Status.PENDING, Reason.AKISMET_KEY_INVALID)


def test_ham_from_a_known_author_is_approved(akismet_fake, run_tasks, post, known_author):
    """Akismet's "not spam" approves a comment whose name and email already have an approved comment."""
    comment = submit(post, **known_author)
    assert comment.rule_status == Status.APPROVED

    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


@pytest.mark.parametrize(("mode", "reason"), [("spam", Reason.AKISMET_SPAM), ("discard", Reason.AKISMET_DISCARD)])
def test_spam_and_discard_verdicts_mark_the_comment_spam(akismet_fake, run_tasks, post, known_author, mode, reason):
    """Akismet's spam and discard verdicts send a comment to spam, even from a known author."""
    akismet_fake.mode = mode
    comment = submit(post, **known_author)

    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.SPAM, reason)
    assert history(comment)[-1] == (Actor.AKISMET, Status.PENDING, Status.SPAM, reason)


@pytest.mark.parametrize(
    ("mode", "endpoints"),
    [
        ("error", ["verify-key", "comment-check"]),
        ("timeout", ["verify-key", "comment-check"]),
    ],
)
def test_an_unreachable_akismet_holds_the_comment_and_schedules_a_retry(
    settings, akismet_fake, run_tasks, post, mode, endpoints
):
    """An HTTP 500 or a time-out keeps the comment held as "Akismet unreachable" and retries later."""
    settings.AKISMET_TIMEOUT = 0.3
    akismet_fake.mode = mode
    comment = submit(post)

    before = timezone.now()
    assert [result.return_value for result in run_tasks()] == ["held: Akismet unreachable"]
    after = timezone.now()

    comment.refresh_from_db()
    assert (comment.status, comment.reason, comment.akismet_attempts) == (
        Status.PENDING,
        Reason.AKISMET_UNREACHABLE,
        1,
    )
    assert [request.endpoint for request in akismet_fake.requests] == endpoints
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [comment.pk, "retry"]
    assert before + akismet_backoff().delay(1) <= retry.run_after <= after + akismet_backoff().delay(1)
    assert run_tasks() == []


def test_each_retry_waits_longer(akismet_fake, run_tasks, post):
    """Every failed attempt counts, and the next one is scheduled after a longer delay."""
    akismet_fake.mode = "error"
    comment = submit(post)

    delays = []
    for _ in range(4):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        started = timezone.now()
        run_tasks()
        delays.append(DBTaskResult.objects.get(status="READY").run_after - started)

    comment.refresh_from_db()
    assert comment.akismet_attempts == 4
    for attempt, delay in enumerate(delays, start=1):
        assert akismet_backoff().delay(attempt) <= delay < akismet_backoff().delay(attempt) + timedelta(seconds=5)
    assert delays == sorted(delays) and len(set(delays)) == 4


def test_retry_delays_double_up_to_an_hour():
    """The delays between attempts are 30 s, then doubled each time, never more than an hour."""
    seconds = [akismet_backoff().delay(attempts).total_seconds() for attempts in range(1, 10)]
    assert seconds == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_without_a_key_comments_wait_for_a_moderator_and_akismet_is_not_asked(settings, akismet_fake, run_tasks, post):
    """With no Akismet key configured, the comment is held as "no Akismet key" and no HTTP request is made."""
    settings.AKISMET_API_KEY = ""
    comment = submit(post)

    assert [result.return_value for result in run_tasks()] == ["held: no Akismet key"]

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.NO_AKISMET_KEY)
    assert akismet_fake.requests == []
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_filled_honeypot_is_spam_at_once_and_akismet_is_never_asked(settings, akismet_fake, run_tasks, post):
    """A filled-in honeypot field makes the comment spam on arrival, with no spam check queued."""
    comment = submit(post, **{settings.COMMENTS_HONEYPOT_FIELD: "12 Main Street"})

    assert (comment.status, comment.reason) == (Status.SPAM, Reason.HONEYPOT)
    assert history(comment) == [
        (Actor.AUTHOR, "", Status.PENDING, Reason.SPAM_CHECK),
        (Actor.RULE, Status.PENDING, Status.SPAM, Reason.HONEYPOT),
    ]
    assert not DBTaskResult.objects.exists()
    assert run_tasks() == []
    assert akismet_fake.requests == []


def test_a_form_sent_too_fast_is_held_even_from_a_known_author(settings, akismet_fake, run_tasks, post, known_author):
    """A form sent back sooner than COMMENTS_MIN_SECONDS after it was issued is held as "too fast"."""
    settings.COMMENTS_MIN_SECONDS = 60
    comment = submit(post, **known_author)

    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.TOO_FAST)


def test_a_disallowed_word_sends_the_comment_to_the_trash_once_akismet_says_ham(
    settings, akismet_fake, run_tasks, post, known_author
):
    """A disallowed word trashes the comment, but only after Akismet has had its say."""
    settings.COMMENTS_DISALLOWED_WORDS = ["casino"]
    comment = submit(post, comment="Try my Casino tonight.", **known_author)
    assert (comment.status, comment.rule_status) == (Status.PENDING, Status.TRASH)

    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.TRASH, Reason.DISALLOWED_WORDS)
    assert history(comment)[-1] == (Actor.RULE, Status.PENDING, Status.TRASH, Reason.DISALLOWED_WORDS)


@pytest.mark.parametrize(
    ("overrides", "body", "reason"),
    [
        ({"COMMENTS_MODERATION_WORDS": ["pharmacy"]}, "Ask your pharmacy about it.", Reason.MODERATION_WORDS),
        ({}, "See https://one.example and https://two.example for more.", Reason.TOO_MANY_LINKS),
        ({"COMMENTS_HOLD_ALL": True}, "Nothing suspicious here.", Reason.HOLD_ALL),
    ],
    ids=["moderation-word", "two-links", "hold-all"],
)
def test_rules_that_hold_a_comment_beat_a_known_author(
    settings, akismet_fake, run_tasks, post, known_author, overrides, body, reason
):
    """A moderation word, two links or "hold every comment" keep even a known author's ham held."""
    for name, value in overrides.items():
        setattr(settings, name, value)
    comment = submit(post, comment=body, **known_author)

    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, reason)


def test_akismet_receives_what_it_needs_about_a_guest_comment(
    client, akismet_fake, run_tasks, make_post, make_category, make_tag
):
    """A guest's comment posted through the form reaches Akismet with every documented field."""
    post = make_post(categories=[make_category("Gardening")], tags=[make_tag("roses"), make_tag("pruning")])
    data = guest_data(
        post, name="Grace Hopper", email="grace@example.com", url="https://grace.example/", comment="Lovely roses."
    )

    response = client.post(
        reverse("comments:post", args=[post.pk]),
        data,
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT=USER_AGENT,
        HTTP_REFERER=f"http://testserver{post.get_absolute_url()}",
    )
    assert response.status_code == 302
    run_tasks()

    comment = Comment.objects.get()
    post.refresh_from_db()
    (check,) = akismet_fake.checks
    assert check.data == {
        "api_key": [akismet_fake.key],
        "blog": ["http://testserver/"],
        "user_ip": ["203.0.113.7"],
        "user_agent": [USER_AGENT],
        "referrer": [f"http://testserver{post.get_absolute_url()}"],
        "permalink": [f"http://testserver{post.get_absolute_url()}"],
        "comment_type": ["comment"],
        "comment_author": ["Grace Hopper"],
        "comment_author_email": ["grace@example.com"],
        "comment_author_url": ["https://grace.example/"],
        "comment_content": ["Lovely roses."],
        "comment_date_gmt": [comment.created_at.astimezone(timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "comment_post_modified_gmt": [post.modified_at.astimezone(timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "blog_lang": ["en"],
        "blog_charset": ["UTF-8"],
        "user_role": ["guest"],
        "honeypot_field_name": ["address2"],
        "address2": [""],
        "comment_context": ["Gardening", "pruning", "roses"],
    }


def test_a_reply_is_sent_to_akismet_as_a_reply(akismet_fake, run_tasks, post, make_comment):
    """A comment answering another is sent with comment_type "reply"."""
    parent = make_comment(post, created_at=timezone.now() - timedelta(days=1))
    submit(post, parent=parent.pk)

    run_tasks()

    assert akismet_fake.checks[0].get("comment_type") == "reply"


@pytest.mark.parametrize(("is_staff", "role"), [(False, "subscriber"), (True, "administrator")])
def test_a_logged_in_reader_is_sent_with_their_role(akismet_fake, run_tasks, post, make_user, is_staff, role):
    """A logged-in reader's comment is sent under their account's name and email, with their role."""
    user = make_user("hedy", first_name="Hedy", last_name="Lamarr", is_staff=is_staff)
    submit(post, user=user)

    run_tasks()

    (check,) = akismet_fake.checks
    assert (check.get("comment_author"), check.get("comment_author_email")) == ("Hedy Lamarr", "hedy@example.com")
    assert check.get("user_role") == role


def test_every_status_change_is_in_the_history(akismet_fake, run_tasks, post, known_author):
    """Arrival, the failed check and the final verdict each leave a history row saying who did what and why."""
    akismet_fake.mode = "error"
    comment = submit(post, **known_author)
    run_tasks()
    akismet_fake.mode = "ham"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.KNOWN_AUTHOR)
    assert history(comment) == [
        (Actor.AUTHOR, "", Status.PENDING, Reason.SPAM_CHECK),
        (Actor.AKISMET, Status.PENDING, Status.PENDING, Reason.AKISMET_UNREACHABLE),
        (Actor.RULE, Status.PENDING, Status.APPROVED, Reason.KNOWN_AUTHOR),
    ]
    notes = list(comment.events.values_list("note", flat=True))
    assert notes == ["", "Attempt 1 failed; asking again in 0:00:30.", "Akismet: not spam"]


@pytest.mark.parametrize("akismet_first", ["never", "unreachable"])
def test_a_moderators_decision_is_not_overwritten_by_the_spam_check(
    akismet_fake, run_tasks, post, make_user, akismet_first
):
    """A moderator who decides before the check runs (or while it waits to retry) has the last word."""
    moderator = make_user(is_staff=True)
    comment = submit(post)
    if akismet_first == "unreachable":
        akismet_fake.mode = "error"
        run_tasks()
        akismet_fake.mode = "spam"
        comment.refresh_from_db()
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    checks_before = len(akismet_fake.checks)

    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=moderator)
    checks = [result.return_value for result in run_tasks() if result.task_path == pipeline.check_for_spam.module_path]
    assert checks == ["already decided"]  # (the commenter is also emailed that it is published)

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.MODERATOR)
    assert len(akismet_fake.checks) == checks_before
    assert comment.events.last().moderator == moderator
    assert pipeline.check_for_spam.call(comment.pk) == "already decided"


def test_two_hundred_comments_survive_an_akismet_outage(settings, akismet_fake, run_tasks, make_post, make_comment):
    """While Akismet fails 200 comments are all kept and held; once it is back each is checked once more and settled."""
    settings.COMMENTS_DISALLOWED_WORDS = ["casino"]
    post, elsewhere = make_post(), make_post()
    regulars = [make_comment(elsewhere, created_at=timezone.now() - timedelta(days=3)) for _ in range(50)]
    akismet_fake.mode = "error"

    submitted = []
    for number in range(200):
        if number < 50:
            fields = {"name": regulars[number].author_name, "email": regulars[number].author_email}
        elif number < 75:
            fields = {"comment": f"The best casino bonus, offer {number}."}
        else:
            fields = {}
        submitted.append(submit(post, **fields).pk)

    outage = run_tasks()
    comments = Comment.objects.filter(post=post)
    assert [result.return_value for result in outage] == ["held: Akismet unreachable"] * 200
    assert sorted(comments.values_list("pk", flat=True)) == sorted(submitted)
    assert Counter(comments.values_list("status", "reason", "akismet_attempts")) == {
        (Status.PENDING, Reason.AKISMET_UNREACHABLE, 1): 200
    }
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 200
    assert not waiting.filter(run_after__lte=timezone.now()).exists()
    assert run_tasks() == []
    assert len(akismet_fake.checks) == 200

    akismet_fake.mode = "ham"
    waiting.update(run_after=timezone.now())
    recovery = run_tasks()

    assert len(recovery) == 200
    assert sorted(comments.values_list("pk", flat=True)) == sorted(submitted)
    assert Counter(comments.values_list("status", "reason")) == {
        (Status.APPROVED, Reason.KNOWN_AUTHOR): 50,
        (Status.TRASH, Reason.DISALLOWED_WORDS): 25,
        (Status.PENDING, Reason.FIRST_COMMENT): 125,
    }
    assert set(comments.values_list("akismet_attempts", flat=True)) == {1}
    assert Counter(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL": 400}
    checks = akismet_fake.checks
    assert len(checks) == 400
    assert set(Counter(check.get("comment_content") for check in checks).values()) == {2}
    events = CommentEvent.objects.filter(comment__post=post)
    assert set(Counter(events.values_list("comment_id", flat=True)).values()) == {3}


LOOPBACK = ["127.0.0.1", "::1"]


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (LOOPBACK, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        (LOOPBACK, "127.0.0.2", "198.51.100.1", "127.0.0.2"),
        (LOOPBACK, "127.0.0.1", "198.51.100.1", "198.51.100.1"),
        (LOOPBACK, "::1", "2001:db8::5", "2001:db8::5"),
        (LOOPBACK, "127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (LOOPBACK, "127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "10.0.0.2"),
        (LOOPBACK, "127.0.0.1", "", "127.0.0.1"),
        (LOOPBACK, "127.0.0.1", "not-an-ip", None),
    ],
)
def test_the_readers_address_comes_from_our_own_proxies_only(settings, trusted, remote, forwarded, expected):
    """X-Forwarded-For is believed from TRUSTED_PROXY_ADDRESSES only, read from the right past our own proxies."""
    settings.TRUSTED_PROXY_ADDRESSES = trusted
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta) == expected


def test_when_akismet_answers_again_every_waiting_comment_is_asked_at_once(akismet_fake, run_tasks, post, settings):
    """Comments waiting out their back-offs are checked as soon as Akismet answers one check again."""
    settings.AKISMET_TIMEOUT = 0.3
    akismet_fake.mode = "error"
    waiting = [submit(post) for _ in range(3)]
    run_tasks()
    assert all(
        comment.reason == Reason.AKISMET_UNREACHABLE
        for comment in Comment.objects.filter(pk__in=[c.pk for c in waiting])
    )

    akismet_fake.mode = "ham"
    submit(post)
    run_tasks()  # the new comment's check succeeds, and takes the waiting ones along

    assert not Comment.objects.filter(reason__in=[Reason.SPAM_CHECK, Reason.AKISMET_UNREACHABLE]).exists()
    assert not DBTaskResult.objects.filter(status="READY", task_path="comments.pipeline.check_for_spam").exists()


def test_when_akismet_answers_again_a_report_waiting_out_its_back_off_is_sent_at_once(
    akismet_fake, run_tasks, post, make_comment, make_user
):
    """A moderator's correction that Akismet could not take is resent as soon as Akismet answers a check again."""
    akismet_fake.mode = "error"
    comment = make_comment(post, status=Status.PENDING)
    change_status(
        comment, Status.SPAM, actor=Actor.MODERATOR, reason=Reason.MODERATOR, moderator=make_user(is_staff=True)
    )
    assert [result.return_value for result in run_tasks()] == ["will retry"]
    reports = DBTaskResult.objects.filter(status="READY", task_path="comments.akismet.report_to_akismet")
    assert reports.filter(run_after__gt=timezone.now()).count() == 1  # waiting out its back-off

    akismet_fake.mode = "ham"
    submit(post)
    run_tasks()  # the new comment's check succeeds, and takes the waiting report along

    assert not reports.exists()
    assert comment.events.filter(actor=Actor.AKISMET, note="Reported to Akismet as spam.").exists()
    assert [request.endpoint for request in akismet_fake.requests][-1] == "submit-spam"


def test_a_check_waiting_out_a_back_off_goes_before_the_fresh_ones_once_akismet_answers(akismet_fake, run_tasks, post):
    """The catch-up brings retries forward, ahead of the queue; checks queued without delay stay where they were."""
    akismet_fake.mode = "error"
    held = submit(post)
    run_tasks()  # its first check fails: asked again after a back-off
    fresh = [submit(post) for _ in range(3)]  # queued behind it, never tried

    assert due_now(pipeline.check_for_spam) == 1

    [first, *_] = DBTaskResult.objects.ready().filter(task_path=pipeline.check_for_spam.module_path)
    assert first.args_kwargs["args"] == [held.pk, "retry"]
    waiting = DBTaskResult.objects.ready().filter(task_path=pipeline.check_for_spam.module_path)
    assert sorted(result.args_kwargs["args"][0] for result in waiting[1:]) == sorted(c.pk for c in fresh)
