"""Akismet, all of it: why a check is sent again, provisional "not spam", the webhook, alerts, the key, the
health read, and what each call carries, asserted on the loopback Akismet's log (tests/fakes/akismet_server.py).

Comments go through the real form and pipeline; the checks run in the real database task queue (`run_tasks`).
"""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import akismet, erasure, pipeline
from comments.models import Actor, AkismetCall, AkismetState, Comment, Reason, Status
from comments.moderation import moderate
from groundwork.retry import due_now
from tests.test_moderation import edit_data
from tests.test_spam_defence import submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forms_may_be_sent_at_once(settings):
    settings.COMMENTS_MIN_SECONDS = 0


def held_emails() -> list:
    return [message for message in mail.outbox if "Please moderate" in message.subject]


def bring_forward(task) -> None:
    """Every queued run of `task` waiting for a later time is due now (the time has come)."""
    DBTaskResult.objects.filter(task_path=task.module_path, status="READY").update(run_after=timezone.now())


def states(comment) -> tuple:
    comment.refresh_from_db()
    return comment.status, comment.reason


# 1. recheck_reason


def test_a_first_check_says_no_recheck_reason_and_a_retry_after_an_outage_says_retry(akismet_fake, run_tasks, post):
    """The first check sends no recheck_reason; the one after a failure sends "retry"."""
    akismet_fake.mode = "error"
    comment = submit(post)
    run_tasks()
    akismet_fake.mode = "ham"
    assert due_now(pipeline.check_for_spam) == 1
    run_tasks()

    first, retry = akismet_fake.checks
    assert first.get("recheck_reason") is None
    assert retry.get("recheck_reason") == "retry"
    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)


def test_check_the_queue_again_sends_recheck_queue_and_moves_what_akismet_calls_spam(
    akismet_fake, run_tasks, post, make_comment
):
    """ "Check the queue again" asks about every held comment (recheck_queue): spam goes to Spam, ham stays held,
    and a comment whose author erased their data, or whose check is queued already, is not asked twice."""
    held = [submit(post) for _ in range(2)]
    run_tasks()
    erased = submit(post)
    run_tasks()
    erasure.anonymize(erased)
    waiting = submit(post)  # its first check is queued, not run yet
    akismet_fake.clear()
    akismet_fake.mode = "spam"

    assert pipeline.check_the_queue_again() == 2
    results = run_tasks()

    assert sorted(result.return_value for result in results) == ["spam (spam)", "spam (spam)", "spam (spam)"]
    assert [check.get("recheck_reason") for check in akismet_fake.checks].count("recheck_queue") == 2
    assert all(states(comment) == (Status.SPAM, Reason.AKISMET_SPAM) for comment in [*held, waiting])
    assert states(erased)[0] == Status.PENDING


def test_a_held_comment_akismet_calls_ham_again_stays_held_with_a_note(akismet_fake, run_tasks, post):
    """Asked again from the queue, "not spam" changes nothing but the history: the moderator still decides."""
    comment = submit(post)
    run_tasks()

    pipeline.check_the_queue_again()
    assert [result.return_value for result in run_tasks()] == ["left held"]

    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert comment.events.last().note == "Checked again from the queue: not spam; left held."
    assert comment.akismet_guid == akismet_fake.guids[-1]


def test_an_edit_of_a_comment_akismet_has_not_settled_is_checked_again_with_edit(
    akismet_fake, run_tasks, post, moderator_client
):
    """A moderator's edit to the text of a comment still waiting on Akismet sends the new text, with "edit"."""
    akismet_fake.mode = "error"
    comment = submit(post, comment="Buy cheap things at my shop.")
    run_tasks()
    akismet_fake.mode = "spam"

    response = moderator_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        edit_data(comment, body="Buy cheap things at cheap-things.example."),
    )
    assert response.status_code == 302
    run_tasks()

    edited = akismet_fake.checks[-1]
    assert (edited.get("recheck_reason"), edited.get("comment_content")) == (
        "edit",
        "Buy cheap things at cheap-things.example.",
    )
    assert states(comment) == (Status.SPAM, Reason.AKISMET_SPAM)


def test_an_edit_of_a_settled_comment_is_not_sent_again(akismet_fake, run_tasks, post, moderator_client):
    """A moderator correcting a comment Akismet has settled (held by a rule) is trusted: nothing is sent."""
    comment = submit(post)
    run_tasks()
    akismet_fake.clear()

    response = moderator_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]), edit_data(comment, body="Corrected.")
    )
    assert response.status_code == 302
    run_tasks()

    assert akismet_fake.checks == []


# 2. Provisional ham


def test_provisional_ham_is_held_without_emails_and_asked_again_after_the_delay(
    akismet_fake, run_tasks, post, moderator
):
    """ "Not spam" with X-akismet-recheck-after: held as provisional, nobody emailed, rechecked at that time
    ("recheck"), and then decided: the rules hold it, and the moderators hear of it once."""
    akismet_fake.recheck_after = "120"
    comment = submit(post)
    before = timezone.now()
    assert [result.return_value for result in run_tasks()] == ["provisional: not spam for now"]

    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)
    assert held_emails() == []
    recheck = DBTaskResult.objects.get(task_path=pipeline.check_for_spam.module_path, status="READY")
    settle = DBTaskResult.objects.get(task_path=pipeline.settle_provisional.module_path, status="READY")
    assert recheck.args_kwargs["args"] == [comment.pk, "recheck"]
    assert before + timedelta(seconds=120) <= recheck.run_after <= timezone.now() + timedelta(seconds=120)
    assert before + timedelta(seconds=240) <= settle.run_after <= timezone.now() + timedelta(seconds=240)

    akismet_fake.recheck_after = None
    bring_forward(pipeline.check_for_spam)
    run_tasks()

    assert akismet_fake.checks[-1].get("recheck_reason") == "recheck"
    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert len(held_emails()) == 1
    bring_forward(pipeline.settle_provisional)
    assert [result.return_value for result in run_tasks()] == ["already decided"]


def test_provisional_ham_from_a_known_author_is_published_only_once_akismet_decides(
    akismet_fake, run_tasks, post, known_author
):
    """A known author's provisional "not spam" is not published until Akismet settles it."""
    akismet_fake.recheck_after = "60"
    comment = submit(post, **known_author)
    run_tasks()
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)

    akismet_fake.recheck_after = None
    bring_forward(pipeline.check_for_spam)
    run_tasks()

    assert states(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


def test_provisional_ham_that_turns_out_spam_goes_to_spam_and_nobody_is_emailed(
    akismet_fake, run_tasks, post, moderator
):
    """Akismet's recheck says spam: Spam, and no moderator was ever asked about it."""
    akismet_fake.recheck_after = "120"
    comment = submit(post)
    run_tasks()
    akismet_fake.mode = "spam"
    bring_forward(pipeline.check_for_spam)
    run_tasks()

    assert states(comment) == (Status.SPAM, Reason.AKISMET_SPAM)
    assert held_emails() == []


def test_when_akismet_never_decides_the_rules_do_at_twice_the_delay(akismet_fake, run_tasks, post, moderator):
    """Still provisional at the recheck (or unreachable then): at twice the delay the local rules decide, as
    WordPress does, and the moderators are emailed then."""
    akismet_fake.recheck_after = "120"
    comment = submit(post)
    run_tasks()
    bring_forward(pipeline.check_for_spam)
    assert [result.return_value for result in run_tasks()] == ["provisional: Akismet is still checking"]
    assert held_emails() == []

    bring_forward(pipeline.settle_provisional)
    run_tasks()

    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert comment.events.filter(actor=Actor.RULE).last().note == "Akismet did not decide in time; the site's rules do."
    assert len(held_emails()) == 1


def test_a_recheck_that_cannot_reach_akismet_leaves_the_comment_provisional(akismet_fake, run_tasks, post):
    """An outage during the recheck is no new retry chain: the comment stays provisional, the fallback settles it."""
    akismet_fake.recheck_after = "120"
    comment = submit(post)
    run_tasks()
    akismet_fake.mode = "error"
    bring_forward(pipeline.check_for_spam)

    assert [result.return_value for result in run_tasks()] == ["provisional: Akismet unreachable"]
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)
    assert not DBTaskResult.objects.filter(task_path=pipeline.check_for_spam.module_path, status="READY").exists()


@pytest.mark.parametrize("header", ["soon", "-5", "0", "1e3", "+120", "12 0", ""])
def test_a_recheck_after_that_is_not_a_number_of_seconds_is_plain_ham(akismet_fake, run_tasks, post, header):
    """A recheck-after header that is not a positive whole number of seconds is not believed: plain "not spam"."""
    akismet_fake.recheck_after = header
    comment = submit(post)
    run_tasks()

    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)


def test_a_huge_recheck_after_is_held_to_a_day(akismet_fake, run_tasks, post):
    """Akismet says minutes; a header saying years waits a day, then twice that for the rules."""
    akismet_fake.recheck_after = "999999999"
    comment = submit(post)
    run_tasks()

    recheck = DBTaskResult.objects.get(task_path=pipeline.check_for_spam.module_path, status="READY")
    assert recheck.run_after <= timezone.now() + akismet.LONGEST_RECHECK
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)


# The webhook


@pytest.fixture
def webhook(settings):
    settings.AKISMET_WEBHOOK = True
    return reverse("comments:akismet-webhook")


def call_webhook(client, url, body, **extra):
    return client.post(url, data=body, content_type="application/json", **extra)


def akismets_call(key, guid, result="true", endpoint="comment-check"):
    return json.dumps({"key": key, "endpoint": endpoint, "comments": [{"guid": guid, "result": result}]})


def provisional_comment(akismet_fake, run_tasks, post, **fields):
    akismet_fake.recheck_after = "120"
    comment = submit(post, **fields)
    run_tasks()
    comment.refresh_from_db()
    assert comment.reason == Reason.AKISMET_PROVISIONAL and comment.akismet_guid == akismet_fake.guids[-1]
    return comment


def test_the_check_tells_akismet_where_to_call_back_when_the_webhook_is_on(
    akismet_fake, run_tasks, post, webhook, settings
):
    """With AKISMET_WEBHOOK, comment-check carries `callback`, the site's webhook address; without it, none."""
    submit(post)
    run_tasks()
    settings.AKISMET_WEBHOOK = False
    submit(post)
    run_tasks()

    with_webhook, without = akismet_fake.checks
    assert with_webhook.get("callback") == "http://testserver/comments/akismet/webhook/"
    assert without.get("callback") is None


@pytest.mark.parametrize(("result", "expected"), [("true", Status.SPAM), ("false", Status.APPROVED)])
def test_akismets_webhook_decides_a_provisional_comment_earlier(
    client, akismet_fake, run_tasks, post, webhook, known_author, result, expected
):
    """The webhook's "true" sends the provisional comment to Spam, "false" lets the rules publish it."""
    comment = provisional_comment(akismet_fake, run_tasks, post, **known_author)

    response = call_webhook(client, webhook, akismets_call(akismet_fake.key, comment.akismet_guid, result))

    assert response.status_code == 200
    assert states(comment)[0] == expected
    bring_forward(pipeline.check_for_spam)
    bring_forward(pipeline.settle_provisional)
    assert {r.return_value for r in run_tasks()} == {"already decided"}  # the recheck and the fallback find it done


@pytest.mark.django_db(transaction=True)
def test_the_webhook_through_gunicorn(gunicorn, akismet_fake, post, settings):
    """Sent over the wire by the fake Akismet to the site served by gunicorn, as Akismet would."""
    settings.AKISMET_WEBHOOK = True
    comment = Comment.objects.create(
        post=post,
        author_name="Ada",
        author_email="ada@example.com",
        body="Hello",
        reason=Reason.AKISMET_PROVISIONAL,
        akismet_guid="9f4c1b2e-aaaa-bbbb-cccc-000000000001",
    )
    site = gunicorn(AKISMET_WEBHOOK="true", AKISMET_API_KEY=akismet_fake.key, AKISMET_API_URL=akismet_fake.url)
    url = site.url + "/comments/akismet/webhook/"

    assert akismet_fake.send_webhook(url, guid=comment.akismet_guid, spam=True, key="not-our-key") == 403
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)
    assert akismet_fake.send_webhook(url, guid=comment.akismet_guid, spam=True) == 200
    assert states(comment) == (Status.SPAM, Reason.AKISMET_SPAM)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        '{"endpoint": "comment-check"}',
        '{"key": null}',
        '{"key": ["fake-akismet-key"]}',
        '{"key": "fake-akismet-keyX"}',
        '{"key": "FAKE-AKISMET-KEY"}',
    ],
)
def test_the_webhook_refuses_a_call_without_our_key(client, akismet_fake, run_tasks, post, webhook, body):
    """No key, another key, a key of another type or case: 403, and nothing changes."""
    comment = provisional_comment(akismet_fake, run_tasks, post)

    response = call_webhook(client, webhook, body.replace("GUID", comment.akismet_guid))

    assert response.status_code == 403
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)


@pytest.mark.parametrize(
    "call",
    [
        {"endpoint": "submit-spam"},
        {"comments": "GUID"},
        {"comments": [{"guid": "GUID", "result": "maybe"}]},
        {"comments": [{"guid": "GUID", "result": True}]},
        {"comments": [{"guid": ["GUID"], "result": "true"}]},
        {"comments": [{"guid": "GUID' OR '1'='1", "result": "true"}]},
        {"comments": [{"guid": "GUID\n", "result": "true"}]},
        {"comments": [{"guid": "", "result": "true"}]},
        {"comments": [{"guid": "someone-elses-guid", "result": "true"}]},
        {"comments": ["GUID"]},
    ],
    ids=lambda call: json.dumps(call)[:40],
)
def test_the_webhook_ignores_whatever_else_a_keyed_call_says(client, akismet_fake, run_tasks, post, webhook, call):
    """Another endpoint, a malformed entry, a result that is neither "true" nor "false", an unknown guid: ignored."""
    comment = provisional_comment(akismet_fake, run_tasks, post)
    body = {"key": akismet_fake.key, "endpoint": "comment-check", "comments": []} | call

    response = call_webhook(client, webhook, json.dumps(body).replace("GUID", comment.akismet_guid))

    assert response.status_code == 200
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)


def test_the_webhook_never_undoes_a_decision(client, akismet_fake, run_tasks, post, webhook, moderator):
    """A comment a moderator (or the rules) decided meanwhile stays as decided, whatever the webhook says."""
    comment = provisional_comment(akismet_fake, run_tasks, post)
    moderate(comment, "approve", moderator=moderator)

    response = call_webhook(client, webhook, akismets_call(akismet_fake.key, comment.akismet_guid, "true"))

    assert response.status_code == 200
    assert states(comment) == (Status.APPROVED, Reason.MODERATOR)


def test_the_webhook_is_not_there_unless_turned_on(client, akismet_fake, run_tasks, post, settings):
    """AKISMET_WEBHOOK off (the default): 404, even with the right key; GET is refused either way."""
    comment = provisional_comment(akismet_fake, run_tasks, post)
    url = reverse("comments:akismet-webhook")

    assert call_webhook(client, url, akismets_call(akismet_fake.key, comment.akismet_guid)).status_code == 404
    settings.AKISMET_WEBHOOK = True
    assert client.get(url).status_code == 405
    assert states(comment) == (Status.PENDING, Reason.AKISMET_PROVISIONAL)


def test_the_webhook_with_a_key_configured_nowhere_refuses_everything(client, settings, webhook):
    """No key configured: even an empty key in the call is refused (an empty key never matches)."""
    settings.AKISMET_API_KEY = ""
    assert call_webhook(client, webhook, json.dumps({"key": ""})).status_code == 403


def test_the_webhook_does_not_log_the_key(client, akismet_fake, run_tasks, post, webhook, caplog):
    """Neither the key sent nor ours lands in the log, refused or taken."""
    comment = provisional_comment(akismet_fake, run_tasks, post)
    call_webhook(client, webhook, akismets_call("wrong-key-0123", comment.akismet_guid))
    call_webhook(client, webhook, akismets_call(akismet_fake.key, comment.akismet_guid))

    assert "wrong-key-0123" not in caplog.text and akismet_fake.key not in caplog.text


# 3. Alerts and the key


def test_an_alert_is_kept_until_a_call_succeeds_without_one(akismet_fake, run_tasks, post):
    """X-akismet-alert-code and -msg are noted with the time; the next answer without them clears the alert."""
    akismet_fake.alert = ("10003", "You must upgrade your Personal subscription to continue using Akismet.")
    submit(post)
    run_tasks()

    alerted = akismet.health()
    assert (alerted.alert_code, alerted.alert_message) == akismet_fake.alert and alerted.alert_at is not None

    akismet_fake.alert = None
    submit(post)
    run_tasks()
    assert (akismet.health().alert_code, akismet.health().alert_message) == ("", "")


def test_an_alert_that_fails_the_call_is_kept_too(akismet_fake, run_tasks, post):
    """An alert on an answer that is an error (a suspended key answering 500) is still seen: the health read
    and checks note every answer's alert, and a failed check clears nothing."""
    akismet_fake.alert = ("10006", "Your subscription has been suspended due to improper use.")
    akismet.refresh_health.enqueue()
    run_tasks()
    akismet_fake.mode = "error"
    submit(post)
    run_tasks()

    assert akismet.health().alert_code == "10006"


def test_a_hostile_alert_is_kept_printable_and_short(akismet_fake, run_tasks, post):
    """Control characters are dropped and the text cut, so the admin shows what Akismet said and nothing else."""
    akismet_fake.alert = ("1\x1b[31m0", "<script>alert(1)</script>\x07" + "x" * 900)
    submit(post)
    run_tasks()

    state = AkismetState.current()
    assert state.alert_code == "1[31m0"
    assert state.alert_message.startswith("<script>alert(1)</script>x") and len(state.alert_message) == 500
    assert not any(ord(c) < 32 for c in state.alert_code + state.alert_message)


def test_a_report_with_an_invalid_key_is_not_retried(akismet_fake, run_tasks, post, moderator):
    """A moderator's correction while the key is invalid is noted as not reported, and not retried for ever."""
    comment = submit(post)
    run_tasks()
    akismet_fake.mode = "invalid-key"
    submit(post)
    run_tasks()  # Akismet answers "invalid": the key is noted invalid

    moderate(comment, "spam", moderator=moderator)
    assert [result.return_value for result in run_tasks()] == ["not reported: the key is invalid"]
    assert run_tasks() == []


def test_a_new_key_is_tried_at_once(akismet_fake, run_tasks, post, settings):
    """The invalid state is about the key it was found with: a changed key is verified and used."""
    akismet_fake.mode = "invalid-key"
    submit(post)
    run_tasks()
    assert akismet.key_is_invalid()

    akismet_fake.mode = "ham"
    akismet_fake.key = settings.AKISMET_API_KEY = "the-right-key"
    comment = submit(post)
    run_tasks()

    assert not akismet.key_is_invalid()
    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)


# 4. The health read, by the worker


def test_the_health_read_keeps_usage_and_the_sites_on_the_key(akismet_fake, run_tasks):
    """refresh_health verifies the key and stores usage-limit's and key-sites' answers (the latter asked with the
    key, which the akismet package forgets to send)."""
    akismet_fake.usage = 12_345
    akismet.refresh_health.enqueue()
    assert [result.return_value for result in run_tasks()] == ["read"]

    health = akismet.health()
    assert (health.usage_count, health.usage_limit, health.throttled) == (12_345, 350_000, False)
    assert [site.site for site in health.sites] == ["https://blog.example"] and health.sites[0].spam == "2069"
    assert health.key_verified_at is not None and health.read_at is not None
    assert akismet_fake.requests_to("key-sites")[0].get("api_key") == akismet_fake.key


def test_a_health_read_that_fails_keeps_what_was_read_before(akismet_fake, run_tasks):
    """Akismet failing during the read leaves the last usage shown, with the time of the try."""
    akismet.refresh_health.enqueue()
    run_tasks()
    akismet_fake.mode = "error"
    akismet.refresh_health.enqueue()

    assert [result.return_value for result in run_tasks()] == ["could not read Akismet's usage"]
    assert akismet.health().usage_count == 7_463


def test_the_worker_queues_one_health_read_when_due(akismet_fake, run_tasks, settings):
    """keep_health_fresh queues a read when none was made, none while one waits, none while fresh, and again
    once AKISMET_HEALTH_SECONDS have passed."""
    assert akismet.keep_health_fresh() is True
    assert akismet.keep_health_fresh() is False  # one waits already
    run_tasks()
    assert akismet.keep_health_fresh() is False  # fresh
    AkismetState.objects.update(read_at=timezone.now() - timedelta(seconds=settings.AKISMET_HEALTH_SECONDS + 1))
    assert akismet.keep_health_fresh() is True


def test_without_a_key_the_worker_reads_nothing(settings, run_tasks):
    """No key: no health read is queued, and the box says so."""
    settings.AKISMET_API_KEY = ""
    assert akismet.keep_health_fresh() is False
    assert akismet.health().configured is False


def test_the_health_box_counts_the_last_days_checks_and_errors(akismet_fake, run_tasks, post):
    """Checks and failed calls of the last day are counted; older ones are not, and the read forgets them."""
    submit(post)
    run_tasks()
    akismet_fake.mode = "error"
    submit(post)
    run_tasks()
    AkismetCall.objects.create(endpoint="comment-check", answered=True, at=timezone.now() - timedelta(days=3))

    health = akismet.health()
    assert (health.checks_last_day, health.errors_last_day, health.held_unreachable) == (2, 1, 1)
    akismet_fake.mode = "ham"
    akismet.refresh_health.enqueue()
    run_tasks()
    assert not AkismetCall.objects.filter(at__lt=timezone.now() - timedelta(days=2)).exists()


# 5. What the check sends


def test_a_reply_names_its_parent_and_every_check_sends_the_honeypots_value(
    akismet_fake, run_tasks, post, make_comment
):
    """comment_parent is the answered comment's id; the honeypot's field is sent by name and with its value."""
    parent = make_comment(post, created_at=timezone.now() - timedelta(days=1))
    submit(post, parent=parent.pk)
    run_tasks()

    (check,) = akismet_fake.checks
    assert check.get("comment_parent") == str(parent.pk)
    assert (check.get("honeypot_field_name"), check.getlist("address2")) == ("address2", [""])


def test_a_top_level_comment_sends_no_parent(akismet_fake, run_tasks, post):
    submit(post)
    run_tasks()

    assert akismet_fake.checks[0].get("comment_parent") is None


def test_a_report_names_the_check_it_corrects(akismet_fake, run_tasks, post, moderator):
    """The guid Akismet gave the check is kept on the comment and sent with the moderator's submit-spam."""
    comment = submit(post)
    run_tasks()
    comment.refresh_from_db()
    assert comment.akismet_guid == akismet_fake.guids[0]

    moderate(comment, "spam", moderator=moderator)
    run_tasks()

    (report,) = akismet_fake.requests_to("submit-spam")
    assert report.get("guid") == comment.akismet_guid
    assert report.get("comment_content") == comment.body


# 6. Degrading as before


def test_an_answer_that_makes_no_sense_holds_the_comment_and_asks_again(akismet_fake, run_tasks, post):
    """A 200 that is neither "true" nor "false" is no verdict: held as unreachable, retried, decided once."""
    akismet_fake.mode = "nonsense"
    comment = submit(post)
    assert [result.return_value for result in run_tasks()] == ["held: Akismet unreachable"]
    akismet_fake.mode = "ham"
    bring_forward(pipeline.check_for_spam)
    run_tasks()

    assert states(comment) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert comment.events.filter(to_status=Status.PENDING, reason=Reason.FIRST_COMMENT).count() == 1


def test_a_nul_in_akismets_answer_is_dropped_before_it_is_stored(akismet_fake, run_tasks):
    """A NUL in key-sites' JSON (which PostgreSQL would refuse to store) is dropped; the read succeeds."""
    akismet_fake.sites = [{"site": "https://evil\x00.example", "api_calls": "1\x002", "\x00": "x", "is_revoked": False}]
    akismet.refresh_health.enqueue()

    assert [result.return_value for result in run_tasks()] == ["read"]
    assert [(site.site, site.api_calls) for site in akismet.health().sites] == [("https://evil.example", "12")]
