"""From what WordPress stored to what this site stores: a post's HTML, its excerpt, its title.

WordPress keeps a post's text in one of two shapes and turns it into HTML only when a page is
shown; the export carries the stored shape, so the importer does that work once:

- Block-editor posts are HTML already, between `<!-- wp:... -->` comments, which are dropped
  (the site has no blocks; the allow-list drops any other comment when the post is saved).
- Classic-editor posts have no `<p>`: blank lines are paragraphs and single newlines are line
  breaks, which WordPress's `wpautop` adds at display time. `autop` below follows it step by step.

In both, `[caption]` shortcodes become `<figure>` with a `<figcaption>`, `<!--more-->` marks the
end of the excerpt, and image addresses on the old site are pointed at their local copies. Other
shortcodes (`[gallery]`, `[embed]`...) have no equivalent here: they stay as text and are named
in the import's summary. Whatever comes out still passes the site's HTML allow-list on save.

None of that goes back: WordPress's own text is kept beside the post (models.PostSource) and the
export gives it back, blocks and all, with only its old upload addresses pointed at the copies
(`pointed_at`). This site's files are written in an export by their full address (WordPress's
importer fetches those), and read back as this site's files (`media_full`, `media_local`).
"""

import html
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.utils.html import strip_tags

from groundwork.site_url import absolute_url

MORE = re.compile(r"<!--more(.*?)?-->", re.IGNORECASE)
BLOCK_COMMENT = "<!-- wp:"
BLOCK_DELIMITER = re.compile(r"<!-- /?wp:.*?-->\n?", re.DOTALL)
CAPTION = re.compile(r"\[(caption|wp_caption)([^\]]*)\](.*?)\[/\1\]", re.DOTALL)
CAPTION_ATTRIBUTE = re.compile(r"""\bcaption=(?:"([^"]*)"|'([^']*)')""")
CAPTION_MEDIA = re.compile(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.DOTALL)
SHORTCODE = re.compile(r"\[(/?)([a-zA-Z][\w-]*)(?=[\s\]/])[^\]]*\]")
UPLOADED_FILE = re.compile(r"""(?<=["'(\s])(https?://[^"'()\s<>]+/wp-content/uploads/[^"'()\s<>]+)""")
SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.\w+$)")

ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
    r"blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|"
    r"footer|nav|figure|figcaption|details|menu|summary)"
)
PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")
# C0 controls but tab and line breaks, DEL and C1: XML 1.0 lets an export carry some of them, and they mean nothing
# in a post or a comment (the site's forms refuse them), so they do not come in.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Converted:
    body: str
    excerpt_before_more: str  # the text before <!--more-->, as plain text ("" without the marker)
    shortcodes: set[str] = field(default_factory=set)  # left as text, for the summary
    copies: dict[str, str] = field(default_factory=dict)  # old-site upload address, as written -> its copy's URL
    not_copied: set[str] = field(default_factory=set)  # old-site upload addresses with no copy here, for the summary


def without_controls(text: str) -> str:
    return CONTROLS.sub("", text)


def plain_text(text: str) -> str:
    """HTML or entity-escaped text as one line of plain text ("Food &amp; drink" -> "Food & drink")."""
    return " ".join(without_controls(html.unescape(strip_tags(text))).split())


def convert(content: str, local_files: dict[str, str]) -> Converted:
    """The post's HTML for this site; `local_files` maps old upload URLs to the local copies' URLs."""
    copies, not_copied = {}, set()
    for match in UPLOADED_FILE.finditer(content):
        url = html.unescape(match[1])
        found = local_files.get(url) or local_files.get(SIZE_SUFFIX.sub("", url))  # a size variant: the original
        if found:
            copies[match[1]] = found
        else:
            not_copied.add(url)
    content = without_controls(media_local(pointed_at(content, copies))).replace("\r\n", "\n").replace("\r", "\n")
    more = MORE.search(content)
    before = content[: more.start()] if more else ""
    content = MORE.sub("", content)
    content = CAPTION.sub(_figure, content)
    if BLOCK_COMMENT not in content and "<p" not in content.lower():
        content = autop(content)
    content = re.sub(r"\n{3,}", "\n\n", BLOCK_DELIMITER.sub("", content))
    shortcodes = {match[2] for match in SHORTCODE.finditer(content) if not match[1]}
    excerpt = plain_text(CAPTION.sub("", before))
    return Converted(
        body=content.strip(),
        excerpt_before_more=excerpt,
        shortcodes=shortcodes,
        copies=copies,
        not_copied=not_copied,
    )


def pointed_at(content: str, copies: dict[str, str]) -> str:
    """`content` with each old upload address that `copies` names (as written) replaced by its copy's address."""
    return UPLOADED_FILE.sub(lambda match: html.escape(copies[match[1]]) if match[1] in copies else match[1], content)


def media_full(content: str) -> str:
    """This site's files named by their full address (an export's: WordPress's importer fetches those)."""
    return re.sub(rf"""(?<=["']){re.escape(settings.MEDIA_URL)}""", absolute_url(settings.MEDIA_URL), content)


def media_named(content: str) -> list[str]:
    """The storage names of this site's files that `content` names by their full address, in order."""
    full = re.escape(absolute_url(settings.MEDIA_URL))
    return [unquote(html.unescape(name)) for name in re.findall(rf"""(?<=["']){full}([^"'<>\s]+)""", content)]


def media_local(content: str) -> str:
    """This site's files named by their full address, as the site names them (an export of this site coming back)."""
    return re.sub(rf"""(?<=["']){re.escape(absolute_url(settings.MEDIA_URL))}""", settings.MEDIA_URL, content)


def _figure(match) -> str:
    """[caption ...]<img ...> Text[/caption] -> <figure><img ...><figcaption>Text</figcaption></figure>."""
    attributes, inner = match[2], match[3]
    media = CAPTION_MEDIA.match(inner)
    if media is None:
        return inner
    image, caption = media[1], media[2].strip()
    named = CAPTION_ATTRIBUTE.search(attributes)
    if named:
        caption = next(group for group in named.groups() if group is not None)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{image}{figcaption}</figure>"


def autop(text: str) -> str:
    """Paragraphs from blank lines and <br> from single newlines: WordPress's wpautop, step for step."""
    if not text.strip():
        return ""
    pres = {}

    def keep_pre(match):
        name = f"<pre wp-pre-tag-{len(pres)}></pre>"
        pres[name] = match[0]
        return name

    text = PRE.sub(keep_pre, text + "\n")
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(rf"(<{ALL_BLOCKS}[\s/>])", r"\n\n\1", text)
    text = re.sub(rf"(</{ALL_BLOCKS}>)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = TAG.sub(lambda tag: tag[0].replace("\n", " "), text)  # no newline inside a tag becomes a <br>
    text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
    text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(rf"<p>\s*(</?{ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(rf"<p>\s*(</?{ALL_BLOCKS}[^>]*>)", r"\1", text)
    text = re.sub(rf"(</?{ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = re.sub(rf"(</?{ALL_BLOCKS}[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, pre in pres.items():
        text = text.replace(name, pre)
    return text
