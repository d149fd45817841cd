"""The posts and pages of an export, ready for the import's last stage: read, and their comments' HTML made.

Reading the file and making each comment's HTML are about half of an import's time, storing the other half. On a
large file they run side by side, on two cores: from the import's start (while its first reading checks the
file), a process of its own (`python -m wordpress.reading FILE FD`: a fresh interpreter, with no copy of the
database connection or of the import's threads) reads the file and writes each item, ready and pickled, to a
temporary file (fd FD), then its size to its standard output; the import reads each item from there as it comes to
it. The reader waits for the import only when thousands of items ahead, and the import's memory stays that of one
item (the items wait on disk, about two thirds of the file's size, not in memory). The process is stopped when the
import ends, whichever way. What it runs is plain Python over the file: no database, no settings. A small file is
read in place, where a process would cost more than it saves; both ways give the same items.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from blog.markup import render_comment
from wordpress import wxr
from wordpress.content import without_controls

IN_A_PROCESS_FROM = 2 << 20  # bytes: a file this large (about 1,500 comments) is read beside the import
PROJECT = Path(__file__).resolve().parent.parent
SIZE = struct.Struct("<q")  # an item's size in the temporary file; 0 at the end, negative for what stopped the reading


@dataclass
class ReadyComment(wxr.Comment):
    """A comment of the file, its text without control characters and `html` made from it (Comment.render_body),
    without its `meta` (Akismet's records, most of a comment's bulk: the import keeps none of it)."""

    html: str = ""


@contextmanager
def items_beside(path) -> Iterator[Iterator[wxr.Item]]:
    """The file's items but attachments, in order, each comment a ReadyComment: read beside the import from now on
    if the file is large, else as they are asked for. Iterating raises what read_wxr raises."""
    if Path(path).stat().st_size < IN_A_PROCESS_FROM:
        yield items_of(path)
        return
    with tempfile.TemporaryFile(prefix="wordpress-import-") as spool:
        reader = subprocess.Popen(  # this interpreter, this module, the path as one argument
            [sys.executable, "-m", "wordpress.reading", str(Path(path).resolve()), str(spool.fileno())],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            pass_fds=[spool.fileno()],
        )
        try:
            yield received(reader, spool.fileno())
        finally:
            if reader.poll() is None:  # the import stopped before the end: so does the reading
                reader.kill()
            reader.wait()
            reader.stdout.close()


def received(reader: subprocess.Popen, spool: int) -> Iterator[wxr.Item]:
    offset = 0
    while True:
        header = reader.stdout.read(SIZE.size)
        if len(header) < SIZE.size:
            raise ChildProcessError(f"the process reading the file ended early (exit code {reader.wait()})")
        (size,) = SIZE.unpack(header)
        if not size:
            return
        sent = pickle.loads(os.pread(spool, abs(size), offset))  # noqa: S301 (written by the reader, from this code)
        offset += abs(size)
        if size < 0:
            raise sent
        yield sent


def items_of(path) -> Iterator[wxr.Item]:
    for record in wxr.read_wxr(path):
        if isinstance(record, wxr.Item) and record.type != "attachment":
            read, record.comments = record.comments, []
            read.reverse()
            while read:  # each comment read is let go as it is made ready: memory holds one of the two
                record.comments.append(ready(read.pop()))
            yield record


def ready(comment: wxr.Comment) -> ReadyComment:
    text = without_controls(comment.content)
    return ReadyComment(
        **{**comment.__dict__, "content": text, "meta": []}, html=render_comment(text, written_in_html=True)
    )


def send_items(path: str, spool: int, sizes) -> None:
    """The reading process: each item, then the end, or what stopped the reading (an error that cannot be pickled
    as it is goes as its text)."""

    def send(data: bytes, *, error=False) -> None:
        written = memoryview(data)
        while written:
            written = written[os.write(spool, written) :]
        sizes.write(SIZE.pack(-len(data) if error else len(data)))
        sizes.flush()

    try:
        for item in items_of(path):
            send(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as error:  # raised by the import
        try:
            sent = pickle.dumps(error)
        except Exception:  # it cannot be pickled: its text goes instead
            sent = pickle.dumps(ChildProcessError("".join(traceback.format_exception(error))))
        send(sent, error=True)
    else:
        sizes.write(SIZE.pack(0))
        sizes.flush()


if __name__ == "__main__":
    from wordpress.reading import send_items as send  # pickled as wordpress.reading's, not __main__'s

    send(sys.argv[1], int(sys.argv[2]), sys.stdout.buffer)
