"""Background work for comments (django.tasks, run by `manage.py db_worker`)."""

from django.tasks import task


@task
def check_for_spam(comment_id: int) -> str:
    from .pipeline import run_spam_check

    return run_spam_check(comment_id)
