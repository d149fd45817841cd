"""Reading WordPress's export format (WXR 1.0 to 1.2), one record at a time.

A WXR file is RSS 2.0 with WordPress's own elements: the channel names the site and lists
its authors and terms, then one `<item>` per post, page or attachment, each carrying its
custom fields (`wp:postmeta`) and its comments (`wp:comment`). Files run to hundreds of
megabytes, so `read_wxr` parses them as a stream (expat through defusedxml's iterparse) and
yields plain records as each element closes, clearing what it has read: memory stays that of
one item, however long the file.

The parser refuses what a WordPress export never contains and an attacker would: a DOCTYPE,
entity declarations (no "billion laughs") and external entities (nothing is fetched). Any
parse failure - not XML, truncated, malformed, not WXR - is raised as `WXRError` with the line
and column where it was found.

WordPress's own elements are in its export namespace, whose URI carries the version
(`http://wordpress.org/export/1.2/`); WordPress.com and the Theme Unit Test data write it with
`https`. As WordPress's importer does, the reader takes either form of any version, and whatever
URI the file's root binds `wp:` to. An element in another namespace is not WordPress's, whatever
its name (a `wp:` rebound to something else inside the file is not read, as WordPress does not
read it), and the site's `notes` say what was left out that way.

Some exports WordPress writes are not well-formed: a control character pasted into a post, a
byte that is not UTF-8, an `&` left unescaped, a `]]>` inside a CDATA section (older WordPress
did not escape it). WordPress's importer falls back to a forgiving parser and imports them. So
does this one: when the strict parse fails, the file is read again through `Mended`, which mends
only those faults, as WordPress reads them, and the mended text is parsed as strictly as before
(still no DTD, no entities). The records already yielded are not yielded again, and the site's
`notes` list each repair with its line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote
from xml.etree.ElementTree import ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

WXR_NAMESPACE = re.compile(r"https?://wordpress\.org/export/\d+\.\d+/")
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
# WordPress's names: met in a namespace that is not WordPress's, they are reported as not read.
WXR_NAMES = {
    "wxr_version", "base_site_url", "base_blog_url", "author", "category", "tag", "term", "post_id", "post_date",
    "post_date_gmt", "comment_status", "ping_status", "post_name", "status", "post_parent", "menu_order", "post_type",
    "post_password", "is_sticky", "attachment_url", "postmeta", "comment", "commentmeta", "termmeta", "meta_key",
    "meta_value",
}  # fmt: skip
CHANNEL_FIELDS = {"title", "link", "wxr_version", "base_site_url", "base_blog_url"}  # what the site is read from
KEPT_NAMESPACES = 20
NOT_READ = "Not read: in a namespace that is not WordPress's"
REPAIRED = "Repaired while reading (WordPress's importer reads these files too)"
NO_ADDRESS = "The file names no site"


class WXRError(Exception):
    """The file cannot be imported; the message says where and why."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, *, mendable=False):
        self.message, self.line, self.column, self.mendable = message, line, column, mendable
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}")

    def __reduce__(self):  # as it was, when the file is read in another process (reading.py)
        return type(self), (self.message, self.line, self.column), {"mendable": self.mendable}


@dataclass
class Site:
    title: str
    url: str  # wp:base_site_url, the key every WordPress id is read against (a file naming none: its digest)
    blog_url: str
    version: str
    # What the reader repaired or left out, by heading: complete once the file has been read to its end.
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Author:
    id: int
    login: str
    email: str
    display_name: str
    first_name: str
    last_name: str


@dataclass
class Term:
    taxonomy: str  # "category", "post_tag", or another (reported, not imported)
    id: int  # 0 when the file gives none (WXR 1.0)
    slug: str  # decoded: WordPress percent-encodes non-ASCII slugs
    name: str
    parent_slug: str
    description: str
    meta: list[tuple[str, str]] = field(default_factory=list)  # wp:termmeta


@dataclass
class Comment:
    id: int
    author: str
    email: str
    url: str
    ip: str
    date: str
    date_gmt: str
    content: str
    approved: str  # "1", "0", "trash", "spam", "post-trashed"
    type: str  # "comment" (or ""), "pingback", "trackback", "note"
    parent: int
    user_id: int
    meta: list[tuple[str, str]] = field(default_factory=list)  # wp:commentmeta


@dataclass
class Item:
    id: int
    type: str  # post_type: "post", "page", "attachment", "nav_menu_item", ... ("" when the file gives none)
    title: str
    link: str
    creator: str  # the author's login
    content: str
    excerpt: str
    date: str
    date_gmt: str
    comment_status: str
    ping_status: str
    slug: str
    status: str
    parent: int
    menu_order: int
    sticky: bool
    attachment_url: str
    password: str = ""  # wp:post_password: a post WordPress shows only to whoever gives it
    terms: list[tuple[str, str]] = field(default_factory=list)  # (taxonomy, slug); WXR 1.0's "tag" is "post_tag"
    term_names: dict[tuple[str, str], str] = field(default_factory=dict)  # (taxonomy, slug) -> the name it shows
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    comment_count: int = 0

    def meta_values(self, key: str) -> list[str]:
        return [value for name, value in self.meta if name == key]


@lru_cache(maxsize=1024)  # a file has a few dozen tags, read millions of times
def _local(tag: str) -> tuple[str, str]:
    """("namespace", "local name") of an element's tag."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _slug(text: str) -> str:
    return unquote(text or "").strip()


def read_wxr(source, *, comments: bool = True) -> Iterator[Site | Author | Term | Item]:
    """Yield the file's records in order: the Site first, then authors, terms and items.

    `source` is a path or a binary file object (seekable, to be mended). With `comments=False` items only
    count their comments (a quicker read). Raises WXRError for anything that is not a WordPress export,
    or not one WordPress's importer would read either, with the line and column.
    """
    reader = Reader(source, comments=comments)
    try:
        yield from reader.records(source)
    except WXRError as error:
        if not error.mendable or not reader.can_read_again():
            raise
        raw = reader.open_again()
        mended = Mended(raw)
        try:
            yield from reader.records(mended, skip=reader.yielded)
        except WXRError:
            if not mended.repairs:
                raise error from None
            raise
        finally:
            if raw is not reader.source:
                raw.close()
        if not mended.repairs:  # the second reading went through unchanged: the fault was not a mendable one
            raise error from None
        reader.site.notes[REPAIRED].extend(mended.report())
    for (namespace, name), count in sorted(reader.not_read.items()):
        shown = "".join(character if character.isprintable() else "?" for character in namespace[:100])
        reader.site.notes[NOT_READ].append(f"{count} <{name}> in {shown}")


class Target:
    """The parser's target: ElementTree's C TreeBuilder builds the elements, and only the events the reader reads
    are kept - the root's namespace declarations, the starts of the root and its children, the ends of the
    channel's children (iterparse's events for every element cost several Python calls each, twice).

    It takes expat's element callbacks itself (`attach`), naming elements and attributes as ElementTree's parser
    does ("{uri}name"): one Python call for each, not two.

    `skipped(name)`, if given, says which of an item's children are kept empty: their own children and text are
    parsed (and checked) by expat but not built (a reading that only counts comments builds none of theirs).
    `ended(parent, element)`, if given, is called as each child of the channel's children ends; when it says so,
    the element is let go at once (a comment, read as it ends: a post's thousands are not all built at once)."""

    def __init__(self, skipped=None, ended=None):
        self.builder = TreeBuilder()
        self.data, self.comment, self.pi = self.builder.data, self.builder.comment, self.builder.pi
        self.depth, self.events, self.names = 0, [], {}
        self.skipped, self.skipping, self.expat = skipped, 0, None  # skipping: the depth inside a skipped element
        self.ended, self.parent = ended, None  # parent: the channel's child being built

    def attach(self, parser) -> None:
        """Take the elements' starts and ends from the expat parser under ElementTree's `parser`, and let a builtin
        that does nothing take CDATA sections' markers (else each goes to ElementTree's default handler, in
        Python): their text comes as any other."""
        expat = self.expat = parser.parser
        expat.StartElementHandler = self.start if self.skipped is None else self.start_or_skip
        expat.EndElementHandler = self.end
        expat.StartCdataSectionHandler = expat.EndCdataSectionHandler = int

    def name(self, expat_name: str) -> str:
        """ElementTree's name for expat's ("uri}name" is "{uri}name"), as its parser gives it."""
        name = self.names.get(expat_name)
        if name is None:
            name = self.names[expat_name] = "{" + expat_name if "}" in expat_name else expat_name
        return name

    def start_ns(self, prefix: str, uri: str) -> None:
        if self.depth == 0:
            self.events.append(("start-ns", (prefix, uri)))

    def start(self, tag: str, attributes: list):
        name, attrib = self.name, {}
        for index in range(0, len(attributes), 2):  # WordPress's elements have none but <category>'s
            attrib[name(attributes[index])] = attributes[index + 1]
        element = self.builder.start(self.names.get(tag) or name(tag), attrib)
        self.depth += 1
        if self.depth <= 2:
            self.events.append(("start", element))
        elif self.depth == 3:
            self.parent = element
        return element

    def start_or_skip(self, tag: str, attributes: list):
        """`start`, then, for an item's child that is skipped, expat's callbacks until its end go to `inside`
        and `leave` (its text to a builtin that keeps nothing)."""
        element = self.start(tag, attributes)
        if self.depth == 4 and self.skipped(element.tag):
            self.skipping = 1
            expat = self.expat
            expat.StartElementHandler, expat.EndElementHandler, expat.CharacterDataHandler = (
                self.inside,
                self.leave,
                len,
            )
        return element

    def inside(self, tag: str, attributes: list) -> None:
        self.skipping += 1

    def leave(self, tag: str):
        self.skipping -= 1
        if self.skipping:
            return None
        expat = self.expat
        expat.StartElementHandler, expat.EndElementHandler, expat.CharacterDataHandler = (
            self.start_or_skip,
            self.end,
            self.data,
        )
        return self.end(tag)

    def end(self, tag: str):
        element = self.builder.end(self.names.get(tag) or self.name(tag))
        self.depth -= 1
        if self.depth == 2:
            self.events.append(("end", element))
        elif self.depth == 3 and self.ended is not None and self.ended(self.parent, element):
            self.parent.remove(element)
        return element

    def close(self):
        return self.builder.close()

    def events_of(self, parser, source) -> Iterator[tuple[str, object]]:
        """Parse `source` (a path or a binary file object) as iterparse does, in the same pieces: the events of
        each piece, then a parse error found in it."""
        stream = source if hasattr(source, "read") else open(source, "rb")  # noqa: SIM115 (closed below)
        try:
            while data := stream.read(16 * 1024):
                try:
                    parser.feed(data)
                except ParseError:
                    yield from self.taken()
                    raise
                yield from self.taken()
            parser.close()
            yield from self.taken()
        finally:
            if stream is not source:
                stream.close()

    def taken(self) -> list[tuple[str, object]]:
        events, self.events = self.events, []
        return events


class Reader:
    """One reading of a file: what it yielded, which namespace its root gave `wp:`, what it left out."""

    def __init__(self, source, *, comments: bool):
        self.source, self.comments = source, comments
        self.site: Site | None = None
        self.yielded = 0  # records after the site
        self.bound = ""  # the URI the root binds `wp:` to
        self.namespaces = {}  # namespace -> whether it is WordPress's, as found
        self.not_read = Counter()  # (namespace, name) of WordPress-named elements in another namespace
        self.comments_of = {}  # a channel's child -> its comments, read as each ended (when comments are read)

    def can_read_again(self) -> bool:
        return not hasattr(self.source, "read") or (hasattr(self.source, "seek") and self.source.seekable())

    def open_again(self):
        if hasattr(self.source, "read"):
            self.source.seek(0)
            return self.source
        return open(self.source, "rb")  # closed by read_wxr

    def is_wxr(self, namespace: str) -> bool:
        known = self.namespaces.get(namespace)
        if known is None:
            known = bool(WXR_NAMESPACE.fullmatch(namespace)) or (namespace == self.bound and bool(namespace))
            if len(self.namespaces) < KEPT_NAMESPACES:  # a file may declare a million; remember a few
                self.namespaces[namespace] = known
        return known

    def is_comment(self, tag: str) -> bool:
        """Whether an item's child is a comment (WordPress's wp:comment), whose own children a count does not read."""
        namespace, name = _local(tag)
        return name == "comment" and self.is_wxr(namespace)

    def take_comment(self, parent, element) -> bool:
        """Read an item's comment as it ends, for the item (its elements are then let go)."""
        namespace, name = _local(element.tag)
        if parent.tag != "item" or name != "comment" or not self.is_wxr(namespace):
            return False
        self.comments_of.setdefault(parent, []).append(self.comment(element))
        return True

    def left_out(self, namespace: str, name: str) -> None:
        """Count an element with a WordPress name in another namespace (the first few namespaces each by name)."""
        if (namespace, name) not in self.not_read and len(self.not_read) >= KEPT_NAMESPACES:
            namespace = "other namespaces"
        self.not_read[namespace, name] += 1

    def records(self, stream, *, skip: int = 0) -> Iterator[Site | Author | Term | Item]:
        """The records of one parse of `stream`, but the site if it was yielded and the first `skip` others."""
        # defusedxml's parser is ElementTree's pure-Python one; its target (Target) builds the tree with the C
        # TreeBuilder and notes only the few events read here (the protections are the parser's).
        target = Target(
            skipped=None if self.comments else self.is_comment, ended=self.take_comment if self.comments else None
        )
        parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        target.attach(parser)
        channel, seen_root, seen = None, False, 0
        self.not_read, self.comments_of = Counter(), {}  # counted again on a second reading
        try:
            for event, element in target.events_of(parser, stream):
                if event == "start-ns":
                    if element[0] == "wp":
                        self.bound, self.namespaces = element[1], {}
                    continue
                namespace, name = _local(element.tag)
                if event == "start":  # the root's, then the channel's level
                    if not seen_root:
                        seen_root = True
                        if name != "rss":
                            raise _error(parser, f"this is not a WordPress export: the document is <{name}>, not <rss>")
                    elif name == "channel":
                        channel = element
                    continue
                if channel is None:
                    continue
                if name == "item" and namespace == "":
                    record = self.item
                elif self.is_wxr(namespace) and name in ("author", "wp_author"):  # WordPress.com writes wp_author
                    record = self.author
                elif self.is_wxr(namespace) and name in ("category", "tag", "term"):
                    record = self.term
                elif namespace and not self.is_wxr(namespace) and name in WXR_NAMES:
                    self.left_out(namespace, name)
                    channel.remove(element)
                    continue
                else:
                    if self.site is not None or name not in CHANNEL_FIELDS:
                        channel.remove(element)  # nothing the site is read from: memory stays that of one item
                    continue  # the channel's own fields, read once they are all there
                if self.site is None:  # WordPress writes the channel's fields before any author, term or item
                    self.site = self.site_of(channel, parser)
                    yield self.site
                seen += 1
                if seen > skip:
                    self.yielded += 1
                    yield record(element)
                channel.remove(element)
                self.comments_of.pop(element, None)  # an item skipped on a second reading: its comments go too
            if self.site is None:
                if channel is None:
                    raise WXRError("this is not a WordPress export: there is no <channel>")
                self.site = self.site_of(channel, parser)
                yield self.site
        except ParseError as error:
            line, column = error.position
            message = str(error).split(":")[0]
            mendable = seen_root and message not in ("no element found", "unclosed token", "unclosed CDATA section")
            if not seen_root:
                message = "this is not an XML file" if message != "no element found" else "the file is empty"
            elif not mendable:
                message = f"the file ends early (truncated?): {message}"
            elif not message.startswith("not well-formed"):
                message = f"not well-formed XML: {message}"
            raise WXRError(message, line, column + 1, mendable=mendable) from None
        except DefusedXmlException as error:
            what = {DTDForbidden: "a DOCTYPE", EntitiesForbidden: "an entity declaration"}.get(
                type(error), "an external reference"
            )
            raise _error(
                parser, f"refused: the file has {what}, which no WordPress export has (and an attack may)"
            ) from None

    def fields(self, element, *, report: bool = True) -> dict[str, str]:
        """The text of each child in WordPress's namespace, RSS's (none) or Dublin Core's, by local name; the last
        of a name wins, as in WordPress's importer. Others with WordPress's names are counted as not read."""
        values = {}
        for child in element:
            namespace, name = _local(child.tag)
            if not namespace or namespace == DC_NAMESPACE or self.is_wxr(namespace):
                values[name] = (child.text or "").strip() if not len(child) else ""
            elif report and name in WXR_NAMES:
                self.left_out(namespace, name)
        return values

    def wxr_children(self, element, name: str) -> Iterator:
        for child in element:
            namespace, child_name = _local(child.tag)
            if child_name == name and self.is_wxr(namespace):
                yield child

    def raw_text(self, element, name: str) -> str:
        """A WordPress child's text exactly as written (content keeps its leading and trailing whitespace)."""
        return next((child.text or "" for child in self.wxr_children(element, name)), "")

    def meta(self, element, name: str) -> list[tuple[str, str]]:
        """The (key, value) pairs of an element's wp:postmeta, wp:commentmeta or wp:termmeta."""
        return [
            (self.fields(meta).get("meta_key", ""), self.raw_text(meta, "meta_value"))
            for meta in self.wxr_children(element, name)
        ]

    def site_of(self, channel, parser) -> Site:
        values = self.fields(channel, report=False)  # the channel's children are counted as they close
        version = values.get("wxr_version", "")
        if not version:
            raise _error(parser, "this is not a WordPress export: the channel has no <wp:wxr_version>")
        if not version.startswith("1."):
            raise _error(parser, f"WXR version {version} is not one this importer reads (1.0 to 1.2)")
        url = (values.get("base_site_url") or values.get("link", "")).rstrip("/")
        site = Site(title=values.get("title", ""), url=url, blog_url=values.get("base_blog_url", url), version=version)
        if not url:
            site.url = f"file:sha256:{self.digest()[:24]}"
            site.notes[NO_ADDRESS].append(
                f"it has no <wp:base_site_url> and no <link>, so it is recorded as a site of its own, {site.url} "
                "(its digest): importing this file again adds nothing, but another file of the same site would "
                "be taken for another site"
            )
        return site

    def digest(self) -> str:
        """The SHA-256 of the whole file, read apart from the parse (only a file that names no site needs one)."""
        if hasattr(self.source, "read"):
            where = self.source.tell()
            self.source.seek(0)
            digest = hashlib.file_digest(self.source, "sha256").hexdigest()
            self.source.seek(where)
            return digest
        with open(self.source, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()

    def author(self, element) -> Author:
        values = self.fields(element)
        return Author(
            id=_int(values.get("author_id")),
            login=values.get("author_login", ""),
            email=values.get("author_email", ""),
            display_name=values.get("author_display_name", ""),
            first_name=values.get("author_first_name", ""),
            last_name=values.get("author_last_name", ""),
        )

    def term(self, element) -> Term:
        """A wp:category, wp:tag or wp:term, in the one shape."""
        values = self.fields(element)
        kind = _local(element.tag)[1]
        if kind == "category":
            taxonomy, slug, name, parent = "category", "category_nicename", "cat_name", "category_parent"
            description = "category_description"
        elif kind == "tag":
            taxonomy, slug, name, parent, description = "post_tag", "tag_slug", "tag_name", "", "tag_description"
        else:
            taxonomy = values.get("term_taxonomy", "")
            slug, name, parent, description = "term_slug", "term_name", "term_parent", "term_description"
        return Term(
            taxonomy=taxonomy,
            id=_int(values.get("term_id")),
            slug=_slug(values.get(slug, "")),
            name=values.get(name, ""),
            parent_slug=_slug(values.get(parent, "")) if parent else "",
            description=values.get(description, ""),
            meta=self.meta(element, "termmeta"),
        )

    def comment(self, element) -> Comment:
        values = self.fields(element)
        return Comment(
            id=_int(values.get("comment_id")),
            author=values.get("comment_author", ""),
            email=values.get("comment_author_email", ""),
            url=values.get("comment_author_url", ""),
            ip=values.get("comment_author_IP", ""),
            date=values.get("comment_date", ""),
            date_gmt=values.get("comment_date_gmt", ""),
            content=self.raw_text(element, "comment_content"),
            approved=values.get("comment_approved", "1"),
            type=values.get("comment_type", "") or "comment",
            parent=_int(values.get("comment_parent")),
            user_id=_int(values.get("comment_user_id")),
            meta=self.meta(element, "commentmeta"),
        )

    def item(self, element) -> Item:
        values = self.fields(element)
        item = Item(
            id=_int(values.get("post_id")),
            type=values.get("post_type", ""),
            title=values.get("title", ""),
            link=values.get("link", ""),
            creator=values.get("creator", ""),
            content="",
            excerpt="",
            date=values.get("post_date", ""),
            date_gmt=values.get("post_date_gmt", ""),
            comment_status=values.get("comment_status", "open"),
            ping_status=values.get("ping_status", "open"),
            slug=_slug(values.get("post_name", "")),
            status=values.get("status", "publish"),
            parent=_int(values.get("post_parent")),
            menu_order=_int(values.get("menu_order")),
            sticky=values.get("is_sticky", "0") == "1",
            attachment_url=values.get("attachment_url", ""),
            password=self.raw_text(element, "post_password"),
            meta=self.meta(element, "postmeta"),
        )
        for child in element:
            namespace, name = _local(child.tag)
            if name == "encoded" and namespace == CONTENT_NAMESPACE:
                item.content = child.text or ""
            elif name == "encoded" and namespace.endswith("/excerpt/"):
                item.excerpt = child.text or ""
            elif name == "category" and namespace == "" and child.get("nicename"):
                # One without a nicename (WXR 1.0 writes each term twice, once without) is not read, as in WordPress.
                domain = child.get("domain", "category")
                term = ("post_tag" if domain == "tag" else domain, _slug(child.get("nicename")))
                item.terms.append(term)
                item.term_names.setdefault(term, (child.text or "").strip())
        if self.comments:
            item.comments = self.comments_of.pop(element, [])
            item.comment_count = len(item.comments)
        else:
            item.comment_count = sum(1 for _ in self.wxr_children(element, "comment"))
        return item


def _error(parser, message: str) -> WXRError:
    expat = parser.parser
    return WXRError(message, expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)


# Mending what WordPress's importer forgives.

DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that did not decode, as surrogateescape leaves them
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what XML 1.0 allows nowhere
MARKUP = re.compile("[<&]")
REFERENCE = re.compile(r"&(?:#([0-9]{1,8})|#x([0-9a-fA-F]{1,8})|([A-Za-z_][\w.-]*));")
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
TAG = re.compile(r"""<(/?)([^\s/>]+)(?:[^>"']|"[^"]*"|'[^']*')*>""")
PLAIN_TEXT = re.compile(r"(?:[^<&\]]|\](?!\]>))*")  # text XML takes as it is
CDATA, CDATA_END, ESCAPED_END = "<![CDATA[", "]]>", "]]]]><![CDATA[>"
READ_SIZE = 1 << 20
LONGEST_FIELD = 64 << 20  # a CDATA field read to its element's end is looked for this far, at most
REPAIRS = {
    "bytes": "{count} byte(s) that are not {encoding} replaced by �",
    "controls": "{count} character(s) XML does not allow (control characters) removed",
    "ampersands": "{count} & not starting an entity kept as text",
    "entities": "{count} HTML entit(ies) XML does not define (&nbsp;...) kept as text",
    "cdata": "{count} field(s) with ]]> inside their CDATA read to the end of the element, as WordPress reads them",
}


def _is_xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _strict_cdata(region: str) -> bool:
    """Whether `region` (from a `<![CDATA[` to a `]]>`) is well-formed as it is: CDATA sections, with plain text
    (no markup, no reference, no `]]>`) between them."""
    position = 0
    while position < len(region):
        if not region.startswith(CDATA, position):
            return False
        end = region.find(CDATA_END, position + len(CDATA))
        if end < 0:
            return False
        position = end + len(CDATA_END)
        position = PLAIN_TEXT.match(region, position).end()
    return True


def _wordpress_cdata(region: str) -> str:
    """`region` read as WordPress's regex parser reads a field (its sections joined when it has escaped ends, else
    everything between the first `<![CDATA[` and the last `]]>`), written again as well-formed CDATA."""
    if ESCAPED_END in region:
        text = "".join(re.findall(r"<!\[CDATA\[(.*?)\]\]>", region, re.DOTALL))
    else:
        text = region[len(CDATA) : -len(CDATA_END)]
    return CDATA + text.replace(CDATA_END, ESCAPED_END) + CDATA_END


class Mended:
    """A WXR file as a binary stream for the parser, with the faults WordPress's importer forgives mended.

    The file is decoded (in its declared encoding, then written out as UTF-8 under a UTF-8 declaration), and:
    bytes that do not decode become U+FFFD; characters XML 1.0 allows nowhere (C0 controls but tab and line
    breaks), raw or as character references, are removed; an `&` that starts no entity is escaped, and an HTML
    entity XML does not define (`&nbsp;`) kept as the text it is; a field whose CDATA holds a bare `]]>` is read
    to the end of its element, as WordPress's regex parser reads it. Nothing else changes, and no line break is
    added or removed, so lines are the file's own. `repairs` holds the lines of each kind of repair.
    """

    def __init__(self, raw):
        self.raw = raw
        head = raw.read(READ_SIZE)
        declared = DECLARED_ENCODING.match(head)
        self.encoding = declared[1].decode() if declared else "utf-8"
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            self.encoding = "utf-8"
        if head.startswith(codecs.BOM_UTF8):
            head, self.encoding = head[len(codecs.BOM_UTF8) :], "utf-8"
        self.decoder = codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape")
        self.first, self.head, self.done = True, head, False
        self.pending, self.pending_line = "", 1  # text not mended yet, and the line it starts on
        self.open_tag = ""  # the start tag just written, while nothing but whitespace follows it
        self.out = bytearray()
        self.repairs = defaultdict(list)  # kind -> lines

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.out) < size):
            data = self.head if self.head is not None else self.raw.read(READ_SIZE)
            self.head = None
            text = self.decoder.decode(data, final=not data)
            self.done = not data
            self.pending += self.cleaned(text, self.pending_line + self.pending.count("\n"))
            self.out += self.mended().encode("utf-8")
        size = len(self.out) if size < 0 else size
        chunk = bytes(self.out[:size])
        del self.out[:size]
        return chunk

    def cleaned(self, text: str, line: int) -> str:
        """`text` without bytes that did not decode and characters XML forbids; `line` is the line it starts on."""

        def repaired(kind: str, replacement: str):
            def replace(match):
                self.repairs[kind].append(line + text.count("\n", 0, match.start()))
                return replacement

            return replace

        if self.first:
            self.first = False
            text = re.sub(r"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", r'\1"UTF-8"', text)
        text = NOT_UTF8.sub(repaired("bytes", "\ufffd"), text)
        return FORBIDDEN.sub(repaired("controls", ""), text)

    def mended(self) -> str:
        """Mend the pending text as far as it can be read now; keep what needs more of the file."""
        text, position, out = self.pending, 0, []

        def line_at(index: int) -> int:
            return self.pending_line + text.count("\n", 0, index)

        while True:
            found = MARKUP.search(text, position)
            if found is None:
                out.append(text[position:])
                if text[position:].strip():
                    self.open_tag = ""
                position = len(text)
                break
            if text[position : found.start()].strip():
                self.open_tag = ""
            out.append(text[position : found.start()])
            position = found.start()
            if len(text) - position < 64 and not self.done:
                break  # a reference or a markup opening may go on in the next chunk
            if text[position] == "&":
                reference = REFERENCE.match(text, position)
                if reference is None:
                    self.repairs["ampersands"].append(line_at(position))
                    out.append("&amp;")
                    position += 1
                    continue
                decimal, hexadecimal, name = reference.groups()
                code = int(decimal) if decimal else int(hexadecimal, 16) if hexadecimal else None
                if code is not None and not _is_xml_char(code):
                    self.repairs["controls"].append(line_at(position))
                elif name is not None and name not in XML_ENTITIES:
                    self.repairs["entities"].append(line_at(position))
                    out.append("&amp;" + reference[0][1:])
                else:
                    out.append(reference[0])
                self.open_tag = ""
                position = reference.end()
                continue
            end = self.markup_end(text, position, line_at)
            if end is None:
                break  # the rest of it is in the next chunk
            out.append(self.markup)
            position = end
        self.pending_line = line_at(position)
        self.pending = text[position:]
        return "".join(out)

    def markup_end(self, text: str, position: int, line_at) -> int | None:
        """Where the markup at `position` ends (it is left in `self.markup`, mended), or None if it goes on further."""
        for opening, closing in (("<!--", "-->"), ("<?", "?>")):
            if text.startswith(opening, position):
                end = text.find(closing, position + len(opening))
                if end < 0:
                    return self.to_the_end(text, position)
                self.markup, self.open_tag = text[position : end + len(closing)], ""
                return end + len(closing)
        if text.startswith(CDATA, position):
            return self.cdata_end(text, position, line_at)
        tag = TAG.match(text, position)
        if tag is None:
            return self.to_the_end(text, position) if text.find(">", position) < 0 else self.as_it_is(text, position)
        closing, name = tag.groups()
        self.markup = tag[0]
        self.open_tag = name if not closing and not tag[0].endswith("/>") else ""
        return tag.end()

    def cdata_end(self, text: str, position: int, line_at) -> int | None:
        """A CDATA section; one that opens a field is read to the field's end tag when XML would end it early."""
        if self.open_tag:
            end_tag = re.compile(r"\]\]>\s*</" + re.escape(self.open_tag) + r"\s*>")
            found = end_tag.search(text, position + len(CDATA))
            if found is None and not self.done and len(text) - position < LONGEST_FIELD:
                return None
            region = text[position : found.start() + len(CDATA_END)] if found is not None else ""
            if region and _strict_cdata(region):
                self.markup, self.open_tag = region, ""
                return found.start() + len(CDATA_END)
            if region and not re.search(f"<{re.escape(self.open_tag)}[\\s/>]", region):
                # Not its own start tag again: the end found is this field's, not a later one's (a field whose end
                # tag is misspelt is not mended, and the parser then says where).
                self.markup, self.open_tag = _wordpress_cdata(region), ""
                self.repairs["cdata"].append(line_at(position))
                return found.start() + len(CDATA_END)
        end = text.find(CDATA_END, position + len(CDATA))
        if end < 0:
            return self.to_the_end(text, position)
        self.markup, self.open_tag = text[position : end + len(CDATA_END)], ""
        return end + len(CDATA_END)

    def to_the_end(self, text: str, position: int) -> int | None:
        """Markup that does not end in the text read so far: wait for more, or at the end pass it on (the parser
        then says what is wrong)."""
        return None if not self.done else self.as_it_is(text, position, len(text))

    def as_it_is(self, text: str, position: int, end: int | None = None) -> int:
        """A `<` that opens nothing XML knows: passed on unchanged, for the parser to report."""
        end = position + 1 if end is None else end
        self.markup, self.open_tag = text[position:end], ""
        return end

    def report(self) -> list[str]:
        lines = []
        for kind, template in REPAIRS.items():
            found = self.repairs.get(kind)
            if found:
                where = sorted(set(found))
                shown = ", ".join(map(str, where[:10])) + (f" and {len(where) - 10} more" if len(where) > 10 else "")
                summary = template.format(count=len(found), encoding=self.encoding.upper())
                lines.append(f"{summary} (line{'s' if len(where) > 1 else ''} {shown})")
        return lines
