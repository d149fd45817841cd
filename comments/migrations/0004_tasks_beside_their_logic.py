"""The comment tasks moved from comments/tasks.py to the modules whose work they do: queued runs follow them."""

from django.db import migrations

MOVED = {
    "comments.tasks.check_for_spam": "comments.pipeline.check_for_spam",
    "comments.tasks.report_to_akismet": "comments.akismet.report_to_akismet",
    "comments.tasks.daily_maintenance": "comments.retention.daily_maintenance",
}
OLD_SEND = "comments.tasks.send_notification"


def follow_the_tasks(apps, schema_editor):
    queued = apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(status="READY")
    for old, new in MOVED.items():
        queued.filter(task_path=old).update(task_path=new)
    for result in queued.filter(task_path=OLD_SEND):
        given = dict(zip(["kind", "comment_id", "to", "user_id", "attempt"], result.args_kwargs["args"], strict=False))
        given = {"user_id": None, "attempt": 1, **result.args_kwargs.get("kwargs", {}), **given}
        kind, comment_id, to, user_id, attempt = (
            given[name] for name in ("kind", "comment_id", "to", "user_id", "attempt")
        )
        result.task_path = "comments.mail.send_email"
        result.args_kwargs = {"args": ["comments.notifications.compose", [kind, comment_id, to, user_id], attempt], "kwargs": {}}
        result.save(update_fields=["task_path", "args_kwargs"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0003_imported_reason"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(follow_the_tasks, migrations.RunPython.noop)]
