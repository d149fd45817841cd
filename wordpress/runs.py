"""An import started from the admin: uploaded, queued, run by the task worker, watched from its page.

The upload is saved (`ImportRun.file`) and `run_import` is queued in the same transaction. The
worker runs `importer.import_wxr` on the file, writing its stage and progress to the row between
transactions, each write a statement of its own (so the page sees "Fetching attachments 3 of 40"
as it happens, and no lock is held for it), and at the end the summary, or the error that stopped
it. The uploaded file holds commenters' emails and IP addresses: it is deleted as soon as the
run ends, whichever way; a failed run's page offers to run it again with the same options, from
the file uploaded again (what came in stays, and the import adds only the rest).

An import publishes posts and makes accounts, so it takes what those take: `may_import` (the
admin's add page, and the task again when it runs, for permissions taken away meanwhile).

How a run ends, whatever happens to it:
- Its worker dies: another takes the task over once its lease runs out (ops/worker.py) and carries
  the import on (it adds only what is not there yet). A run taken over MOST_RESTARTS times (its
  file kills its worker, say by memory) fails, saying so.
- Another import of the same site runs (the command, or another run: locks.py): the run waits,
  its task queued again a little later each time, and imports once the other has ended.
- Its task ends or disappears without ending the run (a worker of an older version, a queue
  emptied by hand): `notice_lost`, called by the run's pages, ends it as failed.
"""

import logging
import time
from datetime import timedelta

from django.contrib.auth import get_permission_codename, get_user_model
from django.db import transaction
from django.db.models import F
from django.tasks import TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from groundwork.retry import Backoff

from .importer import import_wxr
from .locks import SiteBusy
from .models import ImportRun
from .wxr import WXRError

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1  # the page asks once a second; a count written more often is never seen
MOST_RESTARTS = 3
WAITING = Backoff(first=timedelta(seconds=5), most=timedelta(minutes=1))  # how soon a waiting run looks again
STOPPED = "The import stopped before its end: its task {why}. What came in stays; import the file again for the rest."
TASK_ENDED = {TaskResultStatus.FAILED: "failed", TaskResultStatus.SUCCESSFUL: "ended before the import did"}


def import_permissions() -> list[str]:
    """What importing does, as permissions: start an import, add posts, add accounts."""
    users = get_user_model()._meta
    return ["wordpress.add_importrun", "blog.add_post", f"{users.app_label}.{get_permission_codename('add', users)}"]


def may_import(user) -> bool:
    """Whether `user` may start an import (a superuser may; staff need all of import_permissions())."""
    return user is not None and user.is_active and user.has_perms(import_permissions())


def start(run: ImportRun) -> None:
    """Queue the import of a saved run (the queue is a table: the task row commits with the run's)."""
    queue(run, run_import.enqueue(run.pk))


def queue(run: ImportRun, result) -> None:
    run.task_id = str(result.id)
    ImportRun.objects.filter(pk=run.pk).update(task_id=run.task_id)


@task
def run_import(run_id: int, waited: int = 0) -> str:
    run = ImportRun.objects.unfinished().filter(pk=run_id).first()
    if run is None:
        return "not queued"
    if not may_import(run.started_by):
        finish(run, state=ImportRun.State.FAILED, error="Whoever started this import may no longer import.")
        return "not allowed"
    if run.state == ImportRun.State.RUNNING:  # its worker died in the middle: this one carries it on
        if run.restarts >= MOST_RESTARTS:
            why = f"was started {run.restarts + 1} times, and its worker stopped in the middle each time"
            finish(run, state=ImportRun.State.FAILED, error=STOPPED.format(why=why))
            return "failed"
        ImportRun.objects.filter(pk=run.pk).update(restarts=F("restarts") + 1)
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, stage="Reading the file", done=0, total=0)
    written = {"stage": "Reading the file", "at": time.monotonic()}

    def progress(stage: str, done: int, total: int) -> None:
        stage_ended = total and done >= total
        if stage == written["stage"] and not stage_ended and time.monotonic() - written["at"] < PROGRESS_EVERY_SECONDS:
            return
        ImportRun.objects.filter(pk=run.pk).update(stage=stage, done=done, total=total)
        written.update(stage=stage, at=time.monotonic())

    try:
        summary = import_wxr(
            run.file.path,
            fetch_attachments=run.fetch_attachments,
            match_authors=run.match_authors,
            progress=progress,
            holder=f"the admin's import {run.pk} ({run.file_name}, by {run.started_by})",
            owner=f"import-run-{run.pk}",
        )
    except SiteBusy as busy:
        wait_for_the_site(run, busy, waited + 1)
        return "waiting"
    except (WXRError, OSError) as error:
        finish(run, state=ImportRun.State.FAILED, error=f"The file could not be imported: {error}")
        return "failed"
    except Exception:
        logger.exception("The WordPress import %s failed.", run.pk)
        finish(run, state=ImportRun.State.FAILED, error="The import stopped on an unexpected error (see the log).")
        raise
    finish(run, state=ImportRun.State.DONE, summary=str(summary))
    return "done"


def wait_for_the_site(run: ImportRun, busy: SiteBusy, waited: int) -> None:
    """Look again later: the run's task queued anew, after a pause that grows with each look, up to a minute."""
    with transaction.atomic():
        queue(run, run_import.using(run_after=timezone.now() + WAITING.delay(waited)).enqueue(run.pk, waited))
        ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.WAITING, stage=busy.who[:300])


def notice_lost(run: ImportRun) -> ImportRun:
    """End as failed a run that is not over while its task is (or was deleted): nothing else would ever end it."""
    if run.state not in ImportRun.UNFINISHED or not run.task_id:
        return run
    try:
        status = run_import.get_result(run.task_id).status
    except TaskResultDoesNotExist:
        status = None
    if status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
        return run
    why = TASK_ENDED.get(status, "is no longer in the queue")
    finish(run, state=ImportRun.State.FAILED, error=STOPPED.format(why=why), task_id=run.task_id)
    run.refresh_from_db()
    return run


def finish(run: ImportRun, *, state: ImportRun.State, summary: str = "", error: str = "", task_id=None) -> None:
    """End the run, then delete its file. With `task_id`, only a run still unfinished and still that task's."""
    unfinished = ImportRun.objects.filter(pk=run.pk)
    if task_id is not None:
        unfinished = unfinished.unfinished().filter(task_id=task_id)
    ending = {"state": state, "summary": summary, "error": error, "finished_at": timezone.now()}
    if state == ImportRun.State.DONE:
        ending["stage"] = ""  # a failed run keeps the stage it stopped at, for its page
    if unfinished.update(**ending):
        try:
            run.file.delete(save=False)
        except OSError:
            logger.exception("The uploaded file of WordPress import %s could not be deleted.", run.pk)
