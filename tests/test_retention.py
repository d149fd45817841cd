"""Retention: old spam is deleted, old IP addresses are forgotten, by a daily task that keeps itself scheduled.

The clean-up runs in the real database task queue (`run_tasks`); "old" comments are backdated.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import retention
from comments.models import Comment, CommentEvent, Status
from comments.moderation import record_received

pytestmark = pytest.mark.django_db

MAINTENANCE = "comments.retention.daily_maintenance"


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def backdate(comment, days, *, touched_days=None):
    """Make `comment` written `days` ago and last changed `touched_days` ago (the same, unless told)."""
    Comment.objects.filter(pk=comment.pk).update(
        created_at=days_ago(days), updated_at=days_ago(days if touched_days is None else touched_days)
    )


def waiting_runs():
    return DBTaskResult.objects.filter(task_path=MAINTENANCE, status="READY")


@pytest.fixture
def scheduled(run_tasks):
    """Schedule the maintenance as `make run` does and run the first pass."""
    call_command("schedule_maintenance", verbosity=0)
    return run_tasks


def test_spam_older_than_the_retention_period_is_deleted(scheduled, make_comment):
    """Spam left for more than 15 days goes, with its history; newer spam and old approved or pending comments stay."""
    old_spam, new_spam = make_comment(status=Status.SPAM), make_comment(status=Status.SPAM)
    old_approved, old_pending = make_comment(), make_comment(status=Status.PENDING)
    record_received(old_spam)
    backdate(old_spam, 16)
    backdate(new_spam, 14)
    backdate(old_approved, 400)
    backdate(old_pending, 400)

    [result] = scheduled()

    assert result.return_value.startswith("deleted 1 old spam comment(s)")
    assert set(Comment.objects.values_list("pk", flat=True)) == {new_spam.pk, old_approved.pk, old_pending.pk}
    assert not CommentEvent.objects.filter(comment_id=old_spam.pk).exists()


def test_spam_counts_from_when_it_was_last_changed(scheduled, make_comment):
    """A month-old comment marked as spam yesterday is kept for the full retention period."""
    recently_marked = make_comment(status=Status.SPAM)
    backdate(recently_marked, 30, touched_days=1)

    scheduled()

    assert Comment.objects.filter(pk=recently_marked.pk).exists()


def test_the_spam_retention_period_is_a_setting(settings, scheduled, make_comment):
    """COMMENTS_SPAM_RETENTION_DAYS sets how long spam is kept."""
    settings.COMMENTS_SPAM_RETENTION_DAYS = 3
    spam = make_comment(status=Status.SPAM)
    backdate(spam, 4)

    scheduled()

    assert not Comment.objects.filter(pk=spam.pk).exists()


def test_the_trash_is_emptied_after_thirty_days(scheduled, make_comment):
    """Comments left untouched in the Trash for 30 days go, with their history; newer trash and old pending stay."""
    old_trash, new_trash, old_pending = (
        make_comment(status=Status.TRASH),
        make_comment(status=Status.TRASH),
        make_comment(status=Status.PENDING),
    )
    record_received(old_trash)
    backdate(old_trash, 90, touched_days=31)
    backdate(new_trash, 90, touched_days=29)
    backdate(old_pending, 90)

    [result] = scheduled()

    assert ", 1 old trashed comment(s), " in result.return_value
    assert set(Comment.objects.values_list("pk", flat=True)) == {new_trash.pk, old_pending.pk}
    assert not CommentEvent.objects.filter(comment_id=old_trash.pk).exists()


def test_the_trash_retention_period_is_a_setting(settings, scheduled, make_comment):
    """COMMENTS_TRASH_RETENTION_DAYS sets how long the Trash keeps a comment."""
    settings.COMMENTS_TRASH_RETENTION_DAYS = 7
    trashed = make_comment(status=Status.TRASH)
    backdate(trashed, 8)

    scheduled()

    assert not Comment.objects.filter(pk=trashed.pk).exists()


def test_old_ip_addresses_are_forgotten_and_the_comments_kept(scheduled, make_comment):
    """Comments older than 60 days lose IP address, user agent and referrer, keeping the rest; newer ones keep them."""
    old, new = make_comment(referrer="https://example.com/a"), make_comment(referrer="https://example.com/b")
    backdate(old, 61)
    backdate(new, 59)

    [result] = scheduled()

    assert "browser details of 1 comment(s), 0 expired captcha(s)," in result.return_value
    old_after, new_after = Comment.objects.get(pk=old.pk), Comment.objects.get(pk=new.pk)
    assert (old_after.ip_address, old_after.user_agent, old_after.referrer) == (None, "", "")
    assert (old_after.body, old_after.author_name, old_after.status) == (old.body, old.author_name, old.status)
    assert (new_after.ip_address, new_after.user_agent, new_after.referrer) == (
        new.ip_address,
        new.user_agent,
        "https://example.com/b",
    )


def test_forgetting_an_ip_address_does_not_touch_the_comment(make_comment):
    """Blanking the IP leaves updated_at alone, so spam's retention clock is not reset."""
    spam = make_comment(status=Status.SPAM)
    backdate(spam, 61, touched_days=5)
    touched = Comment.objects.get(pk=spam.pk).updated_at

    assert retention.erase_old_ips() == 1
    assert Comment.objects.get(pk=spam.pk).updated_at == touched


def test_the_ip_retention_period_is_a_setting(settings, scheduled, make_comment):
    """COMMENTS_IP_RETENTION_DAYS sets how long IP addresses are kept."""
    settings.COMMENTS_IP_RETENTION_DAYS = 7
    comment = make_comment()
    backdate(comment, 8)

    scheduled()

    assert Comment.objects.get(pk=comment.pk).ip_address is None


def test_the_task_schedules_its_next_run_a_day_later(run_tasks):
    """Each run queues exactly one next run, a day later, and nothing is due before then."""
    call_command("schedule_maintenance", verbosity=0)
    before = timezone.now()
    run_tasks()

    [waiting] = waiting_runs()
    assert before + timedelta(days=1) <= waiting.run_after <= timezone.now() + timedelta(days=1)
    assert run_tasks() == []

    waiting_runs().update(run_after=timezone.now())
    assert len(run_tasks()) == 1
    assert waiting_runs().count() == 1


def test_scheduling_is_idempotent(run_tasks, capsys):
    """Running `schedule_maintenance` again and again, before or after a run, leaves exactly one run waiting."""
    call_command("schedule_maintenance")
    call_command("schedule_maintenance")
    assert waiting_runs().count() == 1
    output = capsys.readouterr().out
    assert "Queued the daily comment maintenance to run now" in output
    assert "already queued" in output

    run_tasks()
    call_command("schedule_maintenance")
    assert waiting_runs().count() == 1
    assert DBTaskResult.objects.filter(task_path=MAINTENANCE).count() == 2


def test_a_run_that_finds_one_already_waiting_adds_none(run_tasks):
    """If a start-up schedules a run while one is running, the running one does not add a second."""
    call_command("schedule_maintenance", verbosity=0)
    waiting_runs().update(status="RUNNING")  # Taken by a worker, which has not yet queued tomorrow's run.
    call_command("schedule_maintenance", verbosity=0)
    assert waiting_runs().count() == 1

    assert retention.daily_maintenance.call().startswith("deleted 0")
    assert waiting_runs().count() == 1


def test_a_run_lost_with_a_crashed_worker_is_scheduled_again(run_tasks):
    """A run left RUNNING by a dead worker does not count as waiting: the next start queues a new one."""
    call_command("schedule_maintenance", verbosity=0)
    waiting_runs().update(status="RUNNING")

    call_command("schedule_maintenance", verbosity=0)

    assert waiting_runs().count() == 1


def test_without_the_database_queue_nothing_is_scheduled(settings, capsys):
    """With a backend that cannot wait a day, the command says so and queues nothing."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

    call_command("schedule_maintenance")

    assert "needs the database task backend" in capsys.readouterr().err
    assert not DBTaskResult.objects.exists()


def test_the_privacy_page_states_the_retention_periods(client, settings):
    """The privacy page gives the real numbers of days from the settings."""
    settings.COMMENTS_SPAM_RETENTION_DAYS = 15
    settings.COMMENTS_IP_RETENTION_DAYS = 45

    text = " ".join(client.get(reverse("privacy:policy")).content.decode().split())

    assert "Comments marked as spam are deleted after 15 days." in text
    assert "Your IP address is deleted from your comment 45 days after you post it" in text


def test_expired_captchas_are_forgotten_daily(settings):
    """Captchas handed out and never answered are deleted once expired; live ones stay."""
    from captcha.models import CaptchaStore

    live = CaptchaStore.generate_key()
    expired = CaptchaStore.generate_key()
    CaptchaStore.objects.filter(hashkey=expired).update(expiration=timezone.now() - timedelta(seconds=1))

    assert "1 expired captcha(s)" in retention.daily_maintenance.call()
    assert list(CaptchaStore.objects.values_list("hashkey", flat=True)) == [live]


def test_finished_tasks_are_forgotten_daily_and_waiting_ones_kept(settings):
    """Done and failed tasks older than TASK_RESULT_RETENTION_DAYS go; recent, waiting and running ones stay."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASK_RESULT_RETENTION_DAYS = 14
    now = timezone.now()

    def queued(status, finished_days_ago=None):
        row = retention.daily_maintenance.using(run_after=now + timedelta(days=1)).enqueue().db_result
        finished = now - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
        DBTaskResult.objects.filter(pk=row.pk).update(status=status, finished_at=finished)
        return row.pk

    old_done, old_failed = queued(TaskResultStatus.SUCCESSFUL, 15), queued(TaskResultStatus.FAILED, 15)
    recent_done = queued(TaskResultStatus.SUCCESSFUL, 13)
    running, waiting = queued(TaskResultStatus.RUNNING), queued(TaskResultStatus.READY)

    assert retention.daily_maintenance.call().endswith(", 2 finished task(s)")
    assert not DBTaskResult.objects.filter(pk__in=[old_done, old_failed]).exists()
    assert DBTaskResult.objects.filter(pk__in=[recent_done, running, waiting]).count() == 3
