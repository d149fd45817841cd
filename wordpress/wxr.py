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

The namespace URIs carry the WXR version (`.../export/1.0/` to `.../export/1.2/`); records
are matched on the local names, so every version reads the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import unquote
from xml.etree.ElementTree import ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser, iterparse

WXR_NAMESPACE_PREFIX = "http://wordpress.org/export/"
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"


class WXRError(Exception):
    """The file cannot be imported; the message says where and why."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}")


@dataclass
class Site:
    title: str
    url: str  # wp:base_site_url, the key every WordPress id is read against
    blog_url: str
    version: str


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
    id: int
    slug: str  # decoded: WordPress percent-encodes non-ASCII slugs
    name: str
    parent_slug: str
    description: str


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


@dataclass
class Item:
    id: int
    type: str  # post_type: "post", "page", "attachment", "nav_menu_item", ...
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
    terms: list[tuple[str, str]] = field(default_factory=list)  # (taxonomy, slug)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    comment_count: int = 0

    def meta_values(self, key: str) -> list[str]:
        return [value for name, value in self.meta if name == key]


def _local(tag: str) -> tuple[str, str]:
    """("namespace", "local name") of an element's tag."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _children(element) -> dict[str, str]:
    """The text of each child, by local name (the first of each name)."""
    values = {}
    for child in element:
        values.setdefault(_local(child.tag)[1], (child.text or "").strip() if len(child) == 0 else "")
    return values


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _slug(text: str) -> str:
    return unquote(text or "").strip()


def _author(element) -> Author:
    values = _children(element)
    return Author(
        id=_int(values.get("author_id")),
        login=values.get("author_login", ""),
        email=values.get("author_email", ""),
        display_name=values.get("author_display_name", ""),
        first_name=values.get("author_first_name", ""),
        last_name=values.get("author_last_name", ""),
    )


def _term(element) -> Term:
    """A wp:category, wp:tag or wp:term, in the one shape."""
    values = _children(element)
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
    )


def _comment(element) -> Comment:
    values = _children(element)
    return Comment(
        id=_int(values.get("comment_id")),
        author=values.get("comment_author", ""),
        email=values.get("comment_author_email", ""),
        url=values.get("comment_author_url", ""),
        ip=values.get("comment_author_IP", ""),
        date=values.get("comment_date", ""),
        date_gmt=values.get("comment_date_gmt", ""),
        content=_raw_text(element, "comment_content"),
        approved=values.get("comment_approved", "1"),
        type=values.get("comment_type", "") or "comment",
        parent=_int(values.get("comment_parent")),
        user_id=_int(values.get("comment_user_id")),
    )


def _raw_text(element, name: str, namespace: str | None = None) -> str:
    """A child's text exactly as written (content keeps its leading and trailing whitespace)."""
    for child in element:
        child_namespace, child_name = _local(child.tag)
        if child_name == name and (namespace is None or child_namespace.startswith(namespace)):
            return child.text or ""
    return ""


def _item(element, *, with_comments: bool = True) -> Item:
    values = _children(element)
    item = Item(
        id=_int(values.get("post_id")),
        type=values.get("post_type", "post"),
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
    )
    for child in element:
        namespace, name = _local(child.tag)
        if name == "encoded" and namespace == CONTENT_NAMESPACE:
            item.content = child.text or ""
        elif name == "encoded" and namespace.endswith("/excerpt/"):
            item.excerpt = child.text or ""
        elif name == "category" and namespace == "":
            item.terms.append((child.get("domain", "category"), _slug(child.get("nicename", ""))))
        elif name == "postmeta":
            meta = _children(child)
            item.meta.append((meta.get("meta_key", ""), _raw_text(child, "meta_value")))
        elif name == "comment":
            item.comment_count += 1
            if with_comments:
                item.comments.append(_comment(child))
    return item


def read_wxr(source, *, comments: bool = True) -> Iterator[Site | Author | Term | Item]:
    """Yield the file's records in order: the Site first, then authors, terms and items.

    `source` is a path or a binary file object. With `comments=False` items only count their
    comments (a quicker read). Raises WXRError for anything that is not a well-formed WordPress
    export, with the line and column.
    """
    # defusedxml's parser is ElementTree's pure-Python one, with a pure-Python tree builder unless given one: the
    # C TreeBuilder builds the same elements in a third less time (the protections are the parser's, not the builder's).
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    depth, channel, site, seen_root = 0, None, None, False
    try:
        for event, element in iterparse(source, events=("start", "end"), parser=parser):
            namespace, name = _local(element.tag)
            if event == "start":
                depth += 1
                if depth == 1:
                    seen_root = True
                    if name != "rss":
                        raise _error(parser, f"this is not a WordPress export: the document is <{name}>, not <rss>")
                elif depth == 2 and name == "channel":
                    channel = element
                continue
            depth -= 1
            if depth != 2 or channel is None:
                continue
            if name == "item" and namespace == "":
                record = partial(_item, with_comments=comments)
            elif namespace.startswith(WXR_NAMESPACE_PREFIX) and name == "author":
                record = _author
            elif namespace.startswith(WXR_NAMESPACE_PREFIX) and name in ("category", "tag", "term"):
                record = _term
            else:
                continue  # the channel's own fields, read once they are all there
            if site is None:  # WordPress writes the channel's fields before any author, term or item
                site = _site(channel, parser)
                yield site
            yield record(element)
            channel.remove(element)
        if site is None:
            site = _site(channel, parser) if channel is not None else None
            if site is None:
                raise WXRError("this is not a WordPress export: there is no <channel>")
            yield site
    except ParseError as error:
        line, column = error.position
        message = str(error).split(":")[0]
        if not seen_root:
            message = "this is not an XML file" if message != "no element found" else "the file is empty"
        elif message in ("no element found", "unclosed token", "unclosed CDATA section"):
            message = f"the file ends early (truncated?): {message}"
        raise WXRError(message, line, column + 1) from None
    except DefusedXmlException as error:
        what = {DTDForbidden: "a DOCTYPE", EntitiesForbidden: "an entity declaration"}.get(
            type(error), "an external reference"
        )
        raise _error(
            parser, f"refused: the file has {what}, which no WordPress export has (and an attack may)"
        ) from None


def _site(channel, parser) -> Site:
    values = _children(channel)
    version = values.get("wxr_version", "")
    if not version:
        raise _error(parser, "this is not a WordPress export: the channel has no <wp:wxr_version>")
    if not version.startswith("1."):
        raise _error(parser, f"WXR version {version} is not one this importer reads (1.0 to 1.2)")
    url = values.get("base_site_url") or values.get("link", "")
    return Site(
        title=values.get("title", ""), url=url.rstrip("/"), blog_url=values.get("base_blog_url", url), version=version
    )


def _error(parser, message: str) -> WXRError:
    expat = parser.parser
    return WXRError(message, expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)
