"""The one place that turns author-written HTML into HTML that is safe to show.

Post bodies are written as HTML in the admin. They are cleaned with nh3 (an allow-list
sanitizer) when saved, keeping what authors need for articles - headings, lists, quotes,
links, images with alt text, figures, code - and dropping scripts, event handlers, styles
and `javascript:`/`data:` URLs.
"""

import nh3

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
