"""An import started from the admin: uploaded, queued, run by the task worker, watched from its page.

The upload is saved (`ImportRun.file`) and `run_import` is queued in the same transaction. The
worker runs `importer.import_wxr` on the file, writing its stage and progress to the row between
items (each item is its own transaction, so the page sees them as they happen), and at the end
the summary, or the error that stopped it. The uploaded file holds commenters' emails and IP
addresses: it is deleted as soon as the import ends, whichever way.
"""

import logging

from django.tasks import task
from django.utils import timezone

from .importer import import_wxr
from .models import ImportRun
from .wxr import WXRError

logger = logging.getLogger(__name__)


def start(run: ImportRun) -> None:
    """Queue the import of a saved run (the queue is a table: the task row commits with the run's)."""
    run_import.enqueue(run.pk)


@task
def run_import(run_id: int) -> str:
    run = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).first()
    if run is None:
        return "not queued"
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, stage="Reading the file")

    def progress(stage: str, done: int, total: int) -> None:
        ImportRun.objects.filter(pk=run.pk).update(stage=stage, done=done, total=total)

    try:
        summary = import_wxr(run.file.path, fetch_attachments=run.fetch_attachments, progress=progress)
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
