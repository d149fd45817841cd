"""The WXR reader on its own (wordpress/wxr.py): how it mends what WordPress's importer forgives, and where it stops.

The files are the cases of tests/data/wordpress/cases/, bent in memory: nothing here touches the database.
"""

import io
import tracemalloc
from pathlib import Path

import pytest

from wordpress.wxr import Item, Site, WXRError, read_wxr

CASES = Path(__file__).resolve().parents[1] / "data" / "wordpress" / "cases"
PLAIN = (CASES / "no-authors.xml").read_text(encoding="utf-8")


def read(data: bytes) -> tuple[Site, list[Item]]:
    found = list(read_wxr(io.BytesIO(data)))
    return found[0], [record for record in found if isinstance(record, Item)]


class Pipe(io.RawIOBase):
    """A stream that can be read once only (a socket, a pipe)."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self.data.readinto(buffer)


def test_a_file_in_another_declared_encoding_is_mended_in_that_encoding():
    """An ISO-8859-1 export with a control character is decoded as ISO-8859-1 when mended, not as UTF-8."""
    text = PLAIN.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("It wrote itself.", "Café \x01crème")
    site, (item,) = read(text.encode("latin-1"))
    assert item.content == "Café crème"
    assert site.notes["Repaired while reading (WordPress's importer reads these files too)"] == [
        "1 character(s) XML does not allow (control characters) removed (line 16)"
    ]


def test_a_byte_order_mark_is_read_past_when_mending():
    """A UTF-8 file starting with a byte order mark is mended like any other."""
    site, (item,) = read(b"\xef\xbb\xbf" + PLAIN.replace("It wrote itself.", "x\x02y").encode())
    assert item.content == "xy" and site.notes


def test_a_stream_that_cannot_be_read_again_is_refused_with_the_fault():
    """Mending reads the file a second time; a stream that cannot be, is refused with the strict parser's fault."""
    with pytest.raises(WXRError, match=r"line 16, column 28: not well-formed \(invalid token\)"):
        list(read_wxr(Pipe(PLAIN.replace("It wrote itself.", "x\x02y").encode())))


def test_a_misspelt_end_tag_is_not_mended_but_refused_where_it_is():
    """A field whose end tag is misspelt is not read on to a later field's end: the file is refused at the fault."""
    export = (CASES.parent / "export-bench.xml").read_text()  # 100 comments: the next one's end tag is 14 lines on
    text = export.replace("</wp:comment_content>", "</wp:comment_contnet>", 1)
    with pytest.raises(WXRError, match=r"line 205, column \d+: not well-formed XML: mismatched tag"):
        read(text.encode())


def test_a_file_mended_and_still_broken_is_refused_with_the_remaining_fault():
    """A control character and, later, a mismatched tag: mending the first does not hide the second."""
    text = PLAIN.replace("It wrote itself.", "x\x02y").replace("</title>\n<wp:post_id>", "</titel>\n<wp:post_id>")
    with pytest.raises(WXRError, match="mismatched tag"):
        read(text.encode())


def test_a_flood_of_foreign_namespaces_is_summed_up_not_listed():
    """Five hundred authors, each in a namespace of its own, make a few lines of the summary, not five hundred."""
    flood = "".join(
        f'<x:author xmlns:x="http://n{n}.example/"><x:author_login>a{n}</x:author_login></x:author>\n'
        for n in range(500)
    )
    site, (item,) = read(PLAIN.replace("<item>", flood + "<item>", 1).encode())
    lines = site.notes["Not read: in a namespace that is not WordPress's"]
    assert len(lines) == 21
    assert lines[0] == "1 <author> in http://n0.example/"
    assert "480 <author> in other namespaces" in lines
    assert item.slug == "nobody-wrote-this"


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "mended"])
def test_memory_stays_that_of_one_item_however_long_the_file(broken):
    """Reading four times as many posts (and junk between them) takes no more memory, strictly read or mended."""
    head = PLAIN.split("<item>")[0]
    item = "<item><title>P{n}</title><wp:post_id>{n}</wp:post_id><wp:post_type>post</wp:post_type>"
    item += "<content:encoded><![CDATA[" + "tide " * 2000 + "]]></content:encoded></item><junk/>\n"

    def peak(posts: int) -> tuple[int, int]:
        """The most memory the reading held, and the file's size."""
        text = head + "".join(item.format(n=n) for n in range(posts)) + "</channel></rss>"
        data = text.replace("<title>P1<", "<title>P\x011<" if broken else "<title>P1<", 1).encode()
        tracemalloc.start()
        try:
            assert sum(isinstance(record, Item) for record in read_wxr(io.BytesIO(data), comments=False)) == posts
            return tracemalloc.get_traced_memory()[1], len(data)
        finally:
            tracemalloc.stop()

    (small, _), (large, size) = peak(200), peak(800)  # files of about 2 and 8 MB
    assert large < small * 1.5
    assert large < size
