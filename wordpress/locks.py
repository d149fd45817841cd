"""One import of a WordPress site at a time, whoever starts it: the command, task workers, on SQLite and PostgreSQL.

Two imports of one site at once each find a post not there yet and both add it (300 posts became
579, the copies at "-2" addresses, and the old addresses pointing at them). An import writes in
short transactions, one a post, so no database lock can span it; a row can (`ImportLock`):

- `held(site_url, holder=..., owner=...)` inserts the site's row before the import writes anything
  and deletes it when the import ends, however it ends. If another import holds it, `SiteBusy` says
  which and since when: `manage.py import_wordpress` refuses, an admin run waits its turn (runs.py).
- While the import runs, a thread of its own renews the row every RENEW_SECONDS, even while the
  import waits on a slow old site. A process killed (SIGKILL, a machine lost) renews nothing: its
  row is free for the next import STALE_SECONDS after it was last renewed.
- The same `owner` takes its own row over at once: an admin run carried on by another worker after
  its own died (runs.py) is the same import, not a second one.

The check and the insert happen in one transaction under `groundwork.locking.hold`, so two imports
starting together do not both see the site free.
"""

import logging
import threading
from datetime import timedelta

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from groundwork import locking

from .models import ImportLock

logger = logging.getLogger(__name__)

RENEW_SECONDS = 10
STALE_SECONDS = 60


class SiteBusy(Exception):
    """Another import of the same site runs now; the message names it."""

    def __init__(self, lock: ImportLock):
        started = timezone.localtime(lock.started_at)
        heard = max(0, round((timezone.now() - lock.renewed_at).total_seconds()))
        self.who = f"{lock.holder}, started {started:%Y-%m-%d %H:%M:%S %Z}, last heard from {heard} s ago"
        super().__init__(f"another import of {lock.site_url or 'this site'} is running: {self.who}")


def take(site_url: str, *, holder: str, owner: str) -> ImportLock:
    """The site's lock for `owner`, if free, stale, or already `owner`'s; else SiteBusy."""
    now = timezone.now()
    with transaction.atomic():
        locking.hold(f"wordpress-import:{site_url}")
        lock = ImportLock.objects.filter(site_url=site_url).first()
        if lock is not None and lock.owner != owner and lock.renewed_at > now - timedelta(seconds=STALE_SECONDS):
            raise SiteBusy(lock)
        if lock is not None:
            logger.warning("The import of %s takes over the lock of %s.", site_url, lock.holder)
        lock, _ = ImportLock.objects.update_or_create(
            site_url=site_url, defaults={"holder": holder[:300], "owner": owner, "started_at": now, "renewed_at": now}
        )
    return lock


class held:
    """`with held(site_url, holder=..., owner=...):` the site's lock, renewed while the block runs, let go after it."""

    def __init__(self, site_url: str, *, holder: str, owner: str):
        self.site_url, self.holder, self.owner = site_url, holder, owner
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.renew, name="import-lock-renewal", daemon=True)

    def __enter__(self):
        self.lock = take(self.site_url, holder=self.holder, owner=self.owner)
        self.thread.start()
        return self.lock

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()
        ImportLock.objects.filter(pk=self.lock.pk, owner=self.owner).delete()

    def renew(self) -> None:
        """Every RENEW_SECONDS, in a thread (and a connection) of its own; a refused renewal is tried at the next."""
        try:
            while not self.stopped.wait(RENEW_SECONDS):
                try:
                    mine = ImportLock.objects.filter(pk=self.lock.pk, owner=self.owner)
                    mine.update(renewed_at=timezone.now())
                except DatabaseError as error:
                    logger.warning("The import lock of %s could not be renewed (%s).", self.site_url, error)
        finally:
            connections.close_all()  # this thread's own
