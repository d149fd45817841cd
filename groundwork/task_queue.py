"""What this project takes from django-tasks-db's insides, in one place: read this before upgrading it.

The database queue's public face (the `DBTaskResult` model, `DatabaseBackend`, `manage.py db_worker`)
is used wherever it is needed. Beyond it the project leans on parts django-tasks-db does not document:

- ops/worker.py's `Worker` subclasses `db_worker.Worker`, reads and sets the attributes its
  `__init__` sets (WORKER_ATTRIBUTES), and re-implements its run loop and its running of a task
  (to survive a database restart and take up the tasks of a worker that died), claiming as it does
  (`DBTaskResult.objects.ready().get_locked()`, `claim`, `set_successful`, `set_failed`);
  ops/management/commands/run_worker.py subclasses its `Command`;
- retry.py brings retries forward past `get_date_max()`, and queues a recurring job inside
  `exclusive_transaction`; the worker claims in one too, and reads SQLite's "database is locked"
  with `is_locked_database_exception`.

tests/test_task_queue.py fails the day any of it changes: the attributes, and the source of each
function re-implemented here (READ_AS_OF, as of the pinned version), so that whoever upgrades
django-tasks-db reads what changed and brings ops/worker.py along before the new version lands.
"""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

__all__ = ["DbWorker", "DbWorkerCommand", "exclusive_transaction", "get_date_max", "is_locked_database_exception"]

# What ops.worker.Worker reads or sets of a db_worker.Worker, all set by its __init__.
WORKER_ATTRIBUTES = (
    "queue_names",
    "process_all_queues",
    "excluded_queue_names",
    "interval",
    "batch",
    "backend_name",
    "startup_delay",
    "max_tasks",
    "running",
    "running_task",
    "_run_tasks",
    "worker_id",
)

# The functions of django-tasks-db that ops/worker.py re-implements or calls for its claiming, by the
# SHA-256 of their source (its first 16 hex digits) in the version they were read in (requirements.txt pins it).
READ_AS_OF = "0.13.0"
READ_SOURCES = {
    "django_tasks_db.management.commands.db_worker.Worker.run": "99b3cb9412f20cf9",
    "django_tasks_db.management.commands.db_worker.Worker.run_task": "f317615342cf05b3",
    "django_tasks_db.models.DBTaskResultQuerySet.ready": "0ada290f2e295154",
    "django_tasks_db.models.DBTaskResultQuerySet.get_locked": "76f9642c78cbf1ed",
    "django_tasks_db.models.DBTaskResult.claim": "04900eaecf8a5fef",
    "django_tasks_db.models.DBTaskResult.set_successful": "4fe5bce15b001a56",
    "django_tasks_db.models.DBTaskResult.set_failed": "ce4256ecd8796876",
    "django_tasks_db.models.get_date_max": "04f31b3e61187353",
    "django_tasks_db.utils.exclusive_transaction": "b3f5894f62efd1c9",
    "django_tasks_db.utils.is_locked_database_exception": "f0e69eb42b7618e9",
}
