"""The import's last reading (wordpress/reading.py): a large file is read in a process of its own, beside the import.

Both ways must give the same items, mended files included; an error found by the reading process reaches the
import as the reader raised it; and the process never outlives the import, whichever way it ends.
"""

import os
import shutil
from pathlib import Path

import pytest

from blog.markup import render_comment
from blog.models import Post
from comments.models import Comment
from wordpress import reading
from wordpress.importer import import_wxr
from wordpress.models import Site
from wordpress.wxr import WXRError

DATA = Path(__file__).resolve().parents[1] / "data" / "wordpress"


def read(path, monkeypatch, *, aside: bool) -> list:
    monkeypatch.setattr(reading, "IN_A_PROCESS_FROM", 0 if aside else 10**12)
    with reading.items_beside(path) as items:
        return list(items)


def children() -> set[int]:
    """This process's child processes that are running or not yet waited for."""
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == os.getpid():
                found.add(int(entry.name))
    return found


@pytest.mark.parametrize(
    "name",
    [
        "fixture-site.xml",  # written by WordPress 6.1: comments threaded, of every status and type
        "cases/control-characters.xml",  # read only once mended
        "cases/cdata-unescaped.xml",
        "cases/utf-8.xml",
    ],
)
def test_a_file_read_aside_gives_what_it_gives_read_in_place(name, monkeypatch):
    in_place = read(DATA / name, monkeypatch, aside=False)
    aside = read(DATA / name, monkeypatch, aside=True)
    assert aside == in_place
    comments = [comment for item in in_place for comment in item.comments]
    assert all(comment.html == render_comment(comment.content, written_in_html=True) for comment in comments)
    assert not any(comment.meta for comment in comments)  # Akismet's records are not carried


@pytest.mark.parametrize("name", ["truncated.xml", "malformed.xml", "version-invalid.xml"])
def test_what_stops_the_reading_process_is_raised_as_the_reader_raised_it(name, monkeypatch):
    with pytest.raises(WXRError) as in_place:
        read(DATA / "cases" / name, monkeypatch, aside=False)
    with pytest.raises(WXRError) as aside:
        read(DATA / "cases" / name, monkeypatch, aside=True)
    assert (str(aside.value), aside.value.line, aside.value.column, aside.value.mendable) == (
        str(in_place.value),
        in_place.value.line,
        in_place.value.column,
        in_place.value.mendable,
    )
    assert aside.value.line is not None


def test_the_reading_process_ends_when_the_import_stops_early(monkeypatch):
    monkeypatch.setattr(reading, "IN_A_PROCESS_FROM", 0)
    before = children()
    with pytest.raises(WXRError), reading.items_beside(DATA / "fixture-site.xml") as items:
        next(items)
        assert children() - before  # it is reading
        raise WXRError("the first reading found the file broken")  # the import stops
    assert not children() - before  # the reading process was stopped and waited for


def stored_comments() -> list[tuple]:
    return [
        (c.wordpress_id, c.parent and c.parent.wordpress_id, c.status, c.kind, c.body, c.body_html, c.author_name,
         c.author_email, c.author_url, c.ip_address, c.created_at, c.depth, c.user_id is not None)
        for c in Comment.objects.select_related("parent").order_by("wordpress_id")
    ]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_import_read_aside_stores_what_one_read_in_place_stores(monkeypatch):
    import_wxr(DATA / "fixture-site.xml")
    in_place = stored_comments()
    Post.objects.update(parent=None)
    Post.objects.all().delete()
    Site.objects.all().delete()
    monkeypatch.setattr(reading, "IN_A_PROCESS_FROM", 1)
    import_wxr(DATA / "fixture-site.xml")
    assert len(in_place) == 15 and any(row[1] for row in in_place)  # replies among them
    assert stored_comments() == in_place
    assert all(row[5] == render_comment(row[4], written_in_html=True) for row in in_place)


def test_a_reading_process_that_dies_is_an_error_the_admin_s_run_reports(monkeypatch):
    """Killed, or out of memory: the import fails with an OSError (wordpress/runs.py says "could not be imported")."""
    monkeypatch.setattr(reading, "IN_A_PROCESS_FROM", 0)
    monkeypatch.setattr(reading.sys, "executable", shutil.which("false"))  # a "reader" that ends at once, silent
    with (
        pytest.raises(ChildProcessError, match=r"ended early \(exit code 1\)"),
        reading.items_beside(DATA / "fixture-site.xml") as items,
    ):
        list(items)
