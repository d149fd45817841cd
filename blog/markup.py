"""The one place that turns what people write into HTML that is safe to show.

Post bodies are written as HTML in the admin. They are cleaned with nh3 (an allow-list
sanitizer) when saved, keeping what authors need for articles - headings, lists, quotes,
links, images with alt text, figures, code - and dropping scripts, event handlers, styles
and `javascript:`/`data:` URLs.
"""

import re

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
# What every link urlize makes holds (its address, "www.", a .com-like ending, an email's "@"): text without any
# is only escaped by it, so it is escaped directly (urlize, word by word, was a third of an import's time).
MAYBE_A_LINK = re.compile(r"@|://|www\.|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


def _comment_tag(match):
    """Re-emit an allowed tag in canonical form; an `a` keeps only its href."""
    closing, name = match.group(1), match.group(2).lower()
    if closing or name != "a":
        return f"<{closing}{name}>"
    href = HREF_PATTERN.search(match.group(3) or "")
    url = next((g for g in href.groups() if g is not None), "") if href else ""
    return f'<a href="{escape(url.strip())}">'


def render_comment(text: str) -> str:
    """Turn a reader's plain text into safe HTML, as WordPress does for comments.

    Paragraphs and line breaks from blank lines and newlines; bare URLs become links; the
    allowed tags (a, b, strong, i, em, code, blockquote, q, del, s) work; anything else is
    shown as the text the reader typed. nh3 has the last word, so whatever the steps before
    it produce, only allowed tags, http(s)/mailto links and rel="nofollow ugc" come out.
    """
    text = CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n"))
    pieces, position, in_link = [], 0, False

    def add_text(chunk):
        # Text inside a written link is its label: escaped, never made into a second link.
        linkable = not in_link and MAYBE_A_LINK.search(chunk)
        pieces.append(urlize(chunk, nofollow=True, autoescape=True) if linkable else escape(chunk))

    for match in COMMENT_TAG_PATTERN.finditer(text):
        add_text(text[position : match.start()])
        pieces.append(_comment_tag(match))
        if match.group(2).lower() == "a":
            in_link = not match.group(1)
        position = match.end()
    add_text(text[position:])
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
