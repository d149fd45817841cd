"""What the task worker keeps beside django-tasks-db's queue: the lease of a task that runs long.

A task RUNNING for longer than TASK_LEASE_SECONDS is taken as abandoned (its worker died) and put
back in the queue. A task that is merely long (a WordPress import fetching a slow site's files)
must keep its place: while it runs, its worker renews its `Lease` (ops/worker.py), and a task whose
lease was renewed within TASK_LEASE_SECONDS is not abandoned. A worker that dies stops renewing;
the lease runs out, and another worker takes the task over. django-tasks-db's `started_at` is left
to mean what it says.
"""

from django.db import models
from django_tasks_db.models import DBTaskResult


class Lease(models.Model):
    """The last time a worker said that it is still running this task (only tasks that ran long have one)."""

    task = models.OneToOneField(DBTaskResult, on_delete=models.CASCADE, primary_key=True, related_name="lease")
    renewed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.task_id} renewed at {self.renewed_at:%Y-%m-%d %H:%M:%S}"
