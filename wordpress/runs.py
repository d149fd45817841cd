"""An import started from the admin: uploaded, queued, run by the task worker, watched from its page.

The upload is saved (`ImportRun.file`) and `run_import` is queued in the same transaction. The
worker runs `importer.import_wxr` on the file, writing its stage and progress to the row between
transactions, each write a statement of its own (so the page sees "Fetching attachments 3 of 40"
as it happens, and no lock is held for it), and at the end the summary, or the error that stopped
it. The uploaded file holds commenters' emails and IP addresses: it is deleted as soon as the
import ends, whichever way.

An import publishes posts and makes accounts, so it takes what those take: `may_import` (the
admin's add page, and the task again when it runs, for permissions taken away meanwhile). A run
whose worker died is taken over by another worker once the task's lease runs out (ops/worker.py),
and carries on: the import adds only what is not there yet.
"""

import logging
import time

from django.contrib.auth import get_permission_codename, get_user_model
from django.tasks import task
from django.utils import timezone

from .importer import import_wxr
from .models import ImportRun
from .wxr import WXRError

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1  # the page asks once a second; a count written more often is never seen


def import_permissions() -> list[str]:
    """What importing does, as permissions: start an import, add posts, add accounts."""
    users = get_user_model()._meta
    return ["wordpress.add_importrun", "blog.add_post", f"{users.app_label}.{get_permission_codename('add', users)}"]


def may_import(user) -> bool:
    """Whether `user` may start an import (a superuser may; staff need all of import_permissions())."""
    return user is not None and user.is_active and user.has_perms(import_permissions())


def start(run: ImportRun) -> None:
    """Queue the import of a saved run (the queue is a table: the task row commits with the run's)."""
    run_import.enqueue(run.pk)


@task
def run_import(run_id: int) -> str:
    # RUNNING too: a run whose worker died is carried on by the worker that took its task over.
    run = ImportRun.objects.filter(pk=run_id, state__in=[ImportRun.State.QUEUED, ImportRun.State.RUNNING]).first()
    if run is None:
        return "not queued"
    if not may_import(run.started_by):
        finish(run, state=ImportRun.State.FAILED, error="Whoever started this import may no longer import.")
        return "not allowed"
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
            run.file.path, fetch_attachments=run.fetch_attachments, match_authors=run.match_authors, progress=progress
        )
    except (WXRError, OSError) as error:
        finish(run, state=ImportRun.State.FAILED, error=f"The file could not be imported: {error}")
        return "failed"
    except Exception:
        logger.exception("The WordPress import %s failed.", run.pk)
        finish(run, state=ImportRun.State.FAILED, error="The import stopped on an unexpected error (see the log).")
        raise
    finish(run, state=ImportRun.State.DONE, summary=str(summary))
    return "done"


def finish(run: ImportRun, *, state: ImportRun.State, summary: str = "", error: str = "") -> None:
    run.file.delete(save=False)
    ImportRun.objects.filter(pk=run.pk).update(
        state=state, summary=summary, error=error, stage="", finished_at=timezone.now()
    )
