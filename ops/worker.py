"""The task worker, made to survive what production does to it.

django-tasks-db's `db_worker` runs the tasks of the database queue; two workers never take the
same task (each claims one under a row lock). Run for real it had two faults: a worker killed in
the middle of a task (SIGKILL, a machine lost) left that task RUNNING for ever, never run again;
and a database restart killed the worker itself (the running task's error escaped), and with it
every task after. `Worker` keeps the claiming and adds:

1. a lease: a task RUNNING for longer than TASK_LEASE_SECONDS is taken as abandoned and put back
   in the queue (a spam check or an email is safe to run again, and what it decides is written
   once). A task that runs long keeps its lease while its worker lives: a thread of the worker
   renews it (`Heartbeat`, ops.models.Lease) three times a lease for as long as the task runs, even
   when the task itself is stuck waiting on the network (a WordPress import fetching a slow site).
   A worker killed (SIGKILL, a machine lost) renews nothing, and its task is taken over a lease later;
2. a task that fails because the database went away is put back in the queue, not failed;
3. a database error in its own loop is waited out with growing pauses, never the end of it;
4. twice a lease (at most every 30 s), while it looks for work: abandoned tasks put back, comments
   left waiting for a spam check that no queued task will run given one
   (comments.pipeline.queue_forgotten_checks), and the front cache's article pages purged when quiet
   hours begin or end (comments.closing.purge_at_boundaries), and Akismet's health box read again when it
   is older than AKISMET_HEALTH_SECONDS (comments.akismet.keep_health_fresh);
5. one log line per task: its path, how it ended, how long it took, its arguments' ids (the comment's
   among them; never an address or a name) and what it returned.
"""

import json
import logging
import random
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError
from django.tasks import TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments.akismet import keep_health_fresh
from comments.closing import purge_at_boundaries
from comments.pipeline import queue_forgotten_checks
from groundwork.mail import ids_only, without_addresses
from groundwork.task_queue import DbWorker, exclusive_transaction, is_locked_database_exception

from .models import Lease

logger = logging.getLogger(__name__)

DATABASE_GONE = (OperationalError, InterfaceError)
LONGEST_PAUSE = 30


def housekeeping_seconds() -> float:
    """How often a worker looks after the queue: twice a lease, at most every 30 s."""
    return min(30, settings.TASK_LEASE_SECONDS / 2)


def renewal_seconds() -> float:
    """How often a running task's lease is renewed: three times a lease, so that one late renewal costs nothing."""
    return settings.TASK_LEASE_SECONDS / 3


def put_back_abandoned(now=None) -> int:
    """Tasks RUNNING for longer than the lease, not renewed within it: their worker died. Back in the queue they go."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    running_long = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    abandoned = list(running_long.exclude(lease__renewed_at__gte=cutoff).values_list("pk", "task_path"))
    for pk, path in abandoned:
        logger.warning("task=%s id=%s outcome=abandoned: running past the lease, put back in the queue", path, pk)
    return requeue([pk for pk, _ in abandoned])


def requeue(pks) -> int:
    """Put these tasks back in the queue, those that are still RUNNING."""
    return DBTaskResult.objects.filter(pk__in=pks, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )


class Heartbeat:
    """Renews a task's lease every `renewal_seconds()` from a thread of its own, while the task runs in the worker's.

    Short tasks end before the first renewal and write nothing. A renewal the database refuses is
    logged and tried again at the next beat; the thread's connection is closed when it stops.
    """

    def __init__(self, task_id):
        self.task_id, self.stopped = task_id, threading.Event()
        self.thread = threading.Thread(target=self.beat, name="lease-renewal", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()

    def beat(self) -> None:
        try:
            while not self.stopped.wait(renewal_seconds()):
                try:
                    Lease.objects.update_or_create(task_id=self.task_id, defaults={"renewed_at": timezone.now()})
                except DATABASE_GONE as error:
                    logger.warning("The lease of task %s could not be renewed (%s); trying again.", self.task_id, error)
                    Worker.close_connections()
        finally:
            connections.close_all()  # this thread's own


class Worker(DbWorker):
    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # as db_worker does: workers started together spread out
        pause, next_housekeeping = 0.0, 0.0
        while self.running:
            try:
                if time.monotonic() >= next_housekeeping:
                    self.look_after_the_queue()
                    next_housekeeping = time.monotonic() + housekeeping_seconds()
                found, task_result = self.claim_next()
                pause = 0.0
            except DATABASE_GONE as error:
                pause = min(max(pause * 2, 0.5), LONGEST_PAUSE)
                logger.warning("The database cannot be reached (%s); the worker tries again in %s s.", error, pause)
                self.close_connections()
                time.sleep(pause)
                continue
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and found:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def look_after_the_queue(self) -> None:
        put_back_abandoned()
        queued = queue_forgotten_checks()
        if queued:
            logger.warning("Queued the spam check of %s comment(s) that no task was going to check.", queued)
        if purge_at_boundaries():
            logger.info("Commenting opened or closed on the whole site: every article page purged.")
        keep_health_fresh()

    def claim_next(self) -> tuple[bool, DBTaskResult | None]:
        """(Whether the queue could be read, the task claimed if there was one), as db_worker claims it."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
            except OperationalError as error:
                if is_locked_database_exception(error):
                    return False, None  # SQLite busy: look again in a moment
                raise
            if task_result is not None:
                task_result.claim(self.worker_id)
        return True, task_result

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed task; record how it ended, or put it back if the database went away under it."""
        self.running_task, started, outcome, value = True, time.monotonic(), "failed", None
        try:
            task, task_result = db_task_result.task, db_task_result.task_result
            backend = type(task.get_backend())
            task_started.send(sender=backend, task_result=task_result)
            with Heartbeat(db_task_result.pk):
                value = task.call(*task_result.args, **task_result.kwargs)
            db_task_result.set_successful(value)
            outcome = "successful"
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        except DATABASE_GONE as error:
            outcome, value = "put back: the database went away", repr(error)
            self.close_connections()
            self.put_back(db_task_result)
        except Exception as error:  # what the task itself raised: recorded on it, as db_worker does
            value = repr(error)
            db_task_result.set_failed(error)
            task_finished.send(sender=type(db_task_result.task.get_backend()), task_result=db_task_result.task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1
            self.log_task(db_task_result, outcome, time.monotonic() - started, value)

    def put_back(self, db_task_result: DBTaskResult) -> None:
        """Back in the queue; if the database is still away, the lease brings it back later."""
        try:
            requeue([db_task_result.pk])
        except DATABASE_GONE:
            self.close_connections()

    @staticmethod
    def close_connections() -> None:
        """Drop connections a server restart broke (Django reconnects on next use)."""
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DATABASE_GONE:
                connection.connection = None

    @staticmethod
    def log_task(db_task_result, outcome: str, seconds: float, value) -> None:
        """One line a task, naming nobody: its arguments as ids (text, which may be an address or a name, as "…"),
        its result with any address blanked, and of an error only its kind (its message may quote a person's
        details; the task's row keeps the traceback)."""
        arguments = json.dumps(ids_only(db_task_result.args_kwargs.get("args", [])), ensure_ascii=False)
        successful = outcome == "successful"
        said = json.dumps(value, default=str, ensure_ascii=False) if successful else value.partition("(")[0]
        level = logging.INFO if successful else logging.WARNING
        logger.log(
            level,
            "task=%s id=%s outcome=%s seconds=%.3f args=%s result=%s",
            db_task_result.task_path,
            db_task_result.pk,
            outcome,
            seconds,
            arguments[:200],
            without_addresses(said)[:200],
        )
