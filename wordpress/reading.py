"""The posts and pages of an export, ready for the import's last stage: read, and their comments' HTML made.

Reading the file and making each comment's HTML are about half of an import's time, storing the other half. On a
large file they run side by side, on two cores: a process of its own (`python -m wordpress.reading FILE`: a fresh
interpreter, with no copy of the database connection or of the import's threads) reads the file and writes each
item, ready, to its standard output, pickled, while the import stores the one before. The pipe holds little, so the
reader waits when it is ahead (memory stays that of a few items), and it ends when the import does, whichever
way. What it runs is plain Python over the file: no database, no settings. A small file is read in place, where a
process would cost more than it saves; both ways give the same items.
"""

from __future__ import annotations

import fcntl
import pickle
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from blog.markup import render_comment
from wordpress import wxr
from wordpress.content import without_controls

IN_A_PROCESS_FROM = 2000  # comments in the file: from this many, the reading runs beside the import
PIPE_SIZE = 1 << 20  # Linux's most for a user, by default
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class ReadyComment(wxr.Comment):
    """A comment of the file, its text without control characters and `html` made from it (Comment.render_body),
    without its `meta` (Akismet's records, most of a comment's bulk: the import keeps none of it)."""

    html: str = ""


def ready_items(path, *, comments: int) -> Iterator[wxr.Item]:
    """The file's items but attachments, in order, each comment a ReadyComment. `comments`: how many the file has
    (the first reading counted them), which decides where it is read. Raises what read_wxr raises."""
    if comments < IN_A_PROCESS_FROM:
        yield from items_of(path)
        return
    reader = subprocess.Popen(  # this interpreter, this module, the path as one argument
        [sys.executable, "-m", "wordpress.reading", str(Path(path).resolve())], cwd=PROJECT, stdout=subprocess.PIPE
    )
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux: room for a few items, not one (a post may carry thousands of comments)
        with suppress(OSError):  # more than the system allows: its default (64 KB) stays
            fcntl.fcntl(reader.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    try:
        while True:
            try:
                sent = pickle.load(reader.stdout)  # noqa: S301 (written by the child above, from this code)
            except EOFError:
                raise RuntimeError(f"the process reading the file ended early (exit code {reader.wait()})") from None
            if sent is None:
                break
            if isinstance(sent, BaseException):
                raise sent
            yield sent
    finally:
        reader.stdout.close()  # a reader still writing stops at once (BrokenPipeError)
        try:
            reader.wait(timeout=5)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()


def items_of(path) -> Iterator[wxr.Item]:
    for record in wxr.read_wxr(path):
        if isinstance(record, wxr.Item) and record.type != "attachment":
            record.comments = [ready(comment) for comment in record.comments]
            yield record


def ready(comment: wxr.Comment) -> ReadyComment:
    text = without_controls(comment.content)
    return ReadyComment(
        **{**comment.__dict__, "content": text, "meta": []}, html=render_comment(text, written_in_html=True)
    )


def send_items(path: str, out) -> None:
    """The reading process: each item, then None, or what stopped the reading (an error that cannot be pickled as it
    is goes as its text). A closed pipe (the import ended) ends it quietly."""
    try:
        for item in items_of(path):
            pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
    except BrokenPipeError:
        return
    except Exception as error:  # raised by the import
        try:
            sent = pickle.dumps(error)
        except Exception:  # it cannot be pickled: its text goes instead
            sent = pickle.dumps(RuntimeError("".join(traceback.format_exception(error))))
        out.write(sent)
    out.flush()


if __name__ == "__main__":
    from wordpress.reading import send_items as send  # pickled as wordpress.reading's, not __main__'s

    try:
        send(sys.argv[1], sys.stdout.buffer)
    except BrokenPipeError:
        sys.stderr.close()  # nothing to say: the import has ended
