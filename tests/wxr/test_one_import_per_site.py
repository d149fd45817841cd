"""One import of a WordPress site at a time (wordpress/locks.py), in one process: who is refused, with what words,
when a lock left behind is free again, and that it is always let go. Two real processes at once (commands and task
workers, on SQLite and PostgreSQL) are in test_import_while_serving.py."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from tests.servers import eventually
from wordpress import locks
from wordpress.importer import import_wxr
from wordpress.models import ImportLock
from wordpress.wxr import WXRError

from .conftest import BENCH_EXPORT, import_wordpress

pytestmark = pytest.mark.django_db

BENCH_SITE = "http://127.0.0.1:8081"


def left_behind(site=BENCH_SITE, *, seconds_ago: float) -> ImportLock:
    """The lock an import holds (or held, if it was killed) last renewed `seconds_ago`."""
    renewed = timezone.now() - timedelta(seconds=seconds_ago)
    return ImportLock.objects.create(
        site_url=site, holder="manage.py import_wordpress old.xml (process 4242 on elsewhere)", owner="someone",
        started_at=renewed - timedelta(minutes=5), renewed_at=renewed,
    )  # fmt: skip


def test_an_import_started_while_another_of_the_site_runs_is_refused_naming_it(media_root):
    """The command run while an import of the same site is in the middle of its posts: refused with the first one's
    name and start, nothing of its own imported; the first ends with every post once."""
    refused = []

    def progress(stage, done, total):
        if stage == "Importing posts and comments" and not refused:
            with pytest.raises(CommandError) as error:
                import_wordpress(BENCH_EXPORT)
            refused.append(str(error.value))

    import_wxr(BENCH_EXPORT, progress=progress, holder="the first import")

    assert re.fullmatch(
        rf"{BENCH_EXPORT}: nothing imported: another import of {BENCH_SITE} is running: the first import, started "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+, last heard from \d+ s ago\. Run this again once it has ended\.",
        refused[0],
    ), refused
    assert Post.objects.count() == 2 and Comment.objects.count() == 100
    assert not ImportLock.objects.exists()


def test_a_lock_renewed_within_the_minute_holds_and_one_left_longer_is_taken(media_root):
    """A lock last renewed 30 s ago is an import alive (refused); one left for over STALE_SECONDS by a killed import
    is free: the import takes it, imports, and lets it go."""
    lock = left_behind(seconds_ago=30)
    with pytest.raises(CommandError, match=re.escape("import_wordpress old.xml (process 4242 on elsewhere)")):
        import_wordpress(BENCH_EXPORT)
    assert not Post.objects.exists()

    ImportLock.objects.filter(pk=lock.pk).update(renewed_at=timezone.now() - timedelta(seconds=locks.STALE_SECONDS + 1))
    assert import_wordpress(BENCH_EXPORT).startswith(f"Imported from {BENCH_SITE}:")
    assert Post.objects.count() == 2 and not ImportLock.objects.exists()


def test_the_lock_is_let_go_when_the_import_fails(media_root, tmp_path):
    """A file that breaks after its header: the import fails, and the site is free for the next one."""
    text = BENCH_EXPORT.read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(text[: text.index("<item>") + 200])
    with pytest.raises(WXRError):
        import_wxr(broken)
    assert not ImportLock.objects.exists()
    assert import_wordpress(BENCH_EXPORT).startswith(f"Imported from {BENCH_SITE}:")


def test_a_dry_run_and_another_sites_import_are_not_held_up(media_root):
    """While the bench site's import runs, a dry run of the same file and an import of another site go ahead."""
    left_behind(seconds_ago=0)
    assert import_wordpress(BENCH_EXPORT, "--dry-run").startswith(f"Would import from {BENCH_SITE}:")
    ImportLock.objects.update(site_url="http://another.example")
    assert import_wordpress(BENCH_EXPORT).startswith(f"Imported from {BENCH_SITE}:")
    assert list(ImportLock.objects.values_list("site_url", flat=True)) == ["http://another.example"]


@pytest.mark.django_db(transaction=True)
def test_an_import_that_waits_keeps_its_lock_renewed(media_root, monkeypatch):
    """While the import is held up, its own thread renews its lock (renewals every 0.2 s here), so nobody takes it."""
    monkeypatch.setattr(locks, "RENEW_SECONDS", 0.2)
    seen = {}

    def renewed() -> bool:
        lock = ImportLock.objects.get()
        return lock.renewed_at > lock.started_at + timedelta(seconds=1)

    def progress(stage, done, total):
        if stage == "Importing categories and tags" and not seen:
            seen["renewed"] = eventually(renewed, seconds=60)
            with pytest.raises(CommandError):
                import_wordpress(BENCH_EXPORT)

    import_wxr(BENCH_EXPORT, progress=progress)

    assert seen == {"renewed": True}
    assert Post.objects.count() == 2 and not ImportLock.objects.exists()
