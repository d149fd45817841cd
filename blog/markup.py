"""The one place that turns what people write into HTML that is safe to show.

Post bodies are written as HTML in the admin. They are cleaned with nh3 (an allow-list
sanitizer) when saved, keeping what authors need for articles - headings, lists, quotes,
links, images with alt text, figures, code - and dropping scripts, event handlers, styles
and `javascript:`/`data:` URLs.
"""

import re
from html import escape as escape_text  # what Django's escape returns, without its wrapper for lazy text
from html import unescape

import nh3
from django.utils.html import escape, linebreaks, urlize

POST_TAGS = {
    "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "cite", "q",
    "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption",
    "pre", "code", "kbd", "samp", "em", "strong", "b", "i", "u", "s", "del", "ins",
    "mark", "small", "sub", "sup", "abbr", "span",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "loading", "title"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "ol": {"start", "reversed"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_post_html(html: str) -> str:
    """Return the author's HTML with everything outside the allow-list removed."""
    return nh3.clean(
        html,
        tags=POST_TAGS,
        attributes=POST_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    )


# Comments are plain text with WordPress's small allow-list of inline tags.
COMMENT_TAGS = {"a", "b", "strong", "i", "em", "code", "blockquote", "q", "del", "s", "p", "br"}
COMMENT_TAG_PATTERN = re.compile(r"<(/?)(a|b|strong|i|em|code|blockquote|q|del|s)(\s[^<>]*)?>", re.IGNORECASE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HREF_PATTERN = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
# In a comment written in HTML: its paragraphs and line breaks, read as the blank lines and newlines they stand for.
PARAGRAPH_TAG = re.compile(r"\s*</?p>\s*")
BREAK_TAG = re.compile(r"<br>")
# What every link urlize makes holds (its address, "www.", a .com-like ending, an email's "@"): text without any
# is only escaped by it, so it is escaped directly (urlize, word by word, was a third of an import's time).
MAYBE_A_LINK = re.compile(r"@|://|www\.|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


def _comment_tag(match, *, written_in_html=False):
    """Re-emit an allowed tag in canonical form; an `a` keeps only its href (in HTML, its entities are characters)."""
    closing, name = match.group(1), match.group(2).lower()
    if closing or name != "a":
        return f"<{closing}{name}>"
    href = HREF_PATTERN.search(match.group(3) or "")
    if href is None:
        return "<a>"  # a link to nowhere: its text, shown as text
    url = next(group for group in href.groups() if group is not None)
    return f'<a href="{escape(unescape(url) if written_in_html else url).strip()}">'


def _comment_pieces(text: str, *, written_in_html=False):
    """The comment in order as (text, tag, in a link): the characters shown before each allowed tag, the tag in
    canonical form ("" after the last text), and whether that text is inside a link."""
    text = CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n"))
    written_in_html = written_in_html and ("<" in text or "&" in text)  # else its HTML is plain text
    if written_in_html:  # then only the allowed tags are left, and the text's "<" and "&" are entities
        text = PARAGRAPH_TAG.sub("\n\n", BREAK_TAG.sub("\n", clean_comment_html(text)))
    shown = unescape if written_in_html else str
    position, in_link = 0, False
    for match in COMMENT_TAG_PATTERN.finditer(text):
        yield shown(text[position : match.start()]), _comment_tag(match, written_in_html=written_in_html), in_link
        if match.group(2).lower() == "a":
            in_link = not match.group(1)
        position = match.end()
    yield shown(text[position:]), "", in_link


def render_comment(text: str, *, written_in_html=False) -> str:
    """Turn a reader's plain text into safe HTML, as WordPress does for comments.

    Paragraphs and line breaks from blank lines and newlines; bare URLs become links; the
    allowed tags (a, b, strong, i, em, code, blockquote, q, del, s) work; anything else is
    shown as the text the reader typed. nh3 has the last word, so whatever the steps before
    it produce, only allowed tags, http(s)/mailto links and rel="nofollow ugc" come out.

    `written_in_html`: the text is HTML, as WordPress stores a comment (an imported one): `&lt;b&gt;` is the
    text "<b>", a tag outside the allow-list is dropped, `<p>` and `<br>` are paragraphs and line breaks.
    """
    pieces = []
    for chunk, tag, in_link in _comment_pieces(text, written_in_html=written_in_html):
        # Text inside a written link is its label: escaped, never made into a second link.
        linkable = not in_link and MAYBE_A_LINK.search(chunk)
        pieces += [urlize(chunk, nofollow=True, autoescape=True) if linkable else escape_text(chunk), tag]
    html = linebreaks("".join(pieces), autoescape=False)
    safe = nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return safe.replace("<p></p>", "").strip()


def comment_as_html(text: str) -> str:
    """A comment written here as WordPress stores one: its allowed tags as tags, every other character as text
    (`<` as `&lt;`), so that WordPress, which adds the paragraphs and links itself, shows it as this site does."""
    return clean_comment_html("".join(escape(chunk) + tag for chunk, tag, _ in _comment_pieces(text)))


def clean_comment_html(html: str) -> str:
    """A comment written in HTML with everything outside the comment allow-list removed (a script with its text),
    and the text's "<", ">" and "&" as entities: safe to give to WordPress, which shows a comment's HTML as it is."""
    return nh3.clean(
        html, tags=COMMENT_TAGS, attributes={"a": {"href"}}, url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True
    )
