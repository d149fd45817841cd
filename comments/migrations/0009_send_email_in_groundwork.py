"""The task that sends email moved from comments/mail.py to groundwork/mail.py: queued emails follow it."""

from django.db import migrations

MOVED = {"comments.mail.send_email": "groundwork.mail.send_email"}


def follow_the_tasks(apps, schema_editor):
    queued = apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(status="READY")
    for old, new in MOVED.items():
        queued.filter(task_path=old).update(task_path=new)


def go_back(apps, schema_editor):
    queued = apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(status="READY")
    for old, new in MOVED.items():
        queued.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0008_author_email_key"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(follow_the_tasks, go_back)]
