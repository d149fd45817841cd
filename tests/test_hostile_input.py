"""Hostile input in the Leave a Reply form: refused with a clear message, or stored and shown as inert text.

Each payload goes in through the posting view (the JavaScript path, CSRF checked), the comment is
approved, and every page that can show it - the article for its author and for strangers, the
?replytocom form, the form pages, the feeds - is parsed for anything a browser would run.
"""

import html
import itertools
import re
from html.parser import HTMLParser

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse

from comments import cookies
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("comments_from_one_test_client")]

_numbers = itertools.count(1)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    '"><svg onload=alert(1)>',
    "'><svg/onload=alert(1)>",
    "<img src=x onerror=alert(1)>",
    "<b onmouseover=alert(1)>bold</b>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" JaVaScRiPt:alert(1)" onclick="alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="https://ok.example/" title="t" style="x" onfocus="alert(1)" autofocus>ok</a>',
    '<q cite="javascript:alert(1)">quoted</q>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mi xlink:href=javascript:alert(1)>m</mi></math>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "{{ 7|add:7 }} {% now 'Y' %}",
]
URL_PAYLOADS = [
    "javascript:alert(1)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://files.example.com/",
    '"><svg onload=alert(1)>',
    'https://example.com/"><svg/onload=alert(1)>',
    "https://example.com/?q=<script>alert(1)</script>",
    'https://example.com/#"onmouseover="alert(1)',
    "//evil.example/x",
]
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "xlink:href", "poster", "background", "srcset"}
EMBEDDING_TAGS = {"iframe", "frame", "object", "embed", "svg", "math", "base", "applet"}
EMAIL_MESSAGE = "Enter a valid email address."
URL_MESSAGE = "Enter a website address starting with http:// or https://."
NULL_MESSAGE = "Null characters are not allowed."


# Helpers


class RunnableMarkup(HTMLParser):
    """Everything in a page a browser would run: scripts, event handlers, script URLs, embedded documents."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.problems, self.json_ld = [], []
        self._json_ld = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs_dict = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in URL_ATTRIBUTES and url.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in EMBEDDING_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and attrs_dict.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            if attrs_dict.get("type") == "application/ld+json":
                self._json_ld = []
                self.json_ld.append(self._json_ld)
            elif not attrs_dict.get("src"):
                self.problems.append("<script> without src")
            elif not attrs_dict["src"].startswith("/static/"):
                self.problems.append(f"<script src={attrs_dict['src']!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._json_ld = None

    def handle_data(self, data):
        if self._json_ld is not None:
            self._json_ld.append(data)


def assert_inert(response):
    """The page or feed holds nothing runnable but the site's own script files and one JSON-LD block."""
    assert response.status_code in (200, 400), response.status_code
    markup = response.content.decode()
    found = RunnableMarkup(markup)
    assert found.problems == []
    assert len(found.json_ld) <= 1
    for block in found.json_ld:
        assert "<" not in "".join(block)


class Texts(HTMLParser):
    """The text of the elements with the given classes, and the values of the form's fields."""

    def __init__(self, markup, classes):
        super().__init__(convert_charrefs=True)
        self.classes, self.texts, self.values = set(classes), {}, {}
        self._open = []
        self._textarea = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in attrs:
            self.values[attrs["name"]] = attrs.get("value", "")
            return
        if tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        wanted = self.classes & set(attrs.get("class", "").split())
        self._open.append((tag, wanted))
        for name in wanted:
            self.texts.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "textarea":
            # As a browser reads it: a line break right after <textarea> is not part of the text (Django writes one).
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data
        for _, wanted in self._open:
            for name in wanted:
                self.texts[name][-1] += data


def solve(markup):
    key = re.search(r'name="captcha_0" value="([^"]+)"', markup)[1]
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def filled_in(client, post, **fields):
    """A guest's form after comments.js fetched the form state, with consent to remember the details."""
    state = client.get(reverse("comments:form-state", args=[post.pk])).json()
    number = next(_numbers)
    return {
        "csrfmiddlewaretoken": state["csrf_token"],
        "timestamp": state["timestamp"],
        **solve(state["captcha_html"]),
        "name": f"Reader {number}",
        "email": f"reader{number}@example.com",
        "url": "",
        "comment": f"An ordinary remark, number {number}.",
        "remember": "yes",
        **fields,
    }


def post_as_guest(client, post, **fields):
    return client.post(reverse("comments:post", args=[post.pk]), filled_in(client, post, **fields))


def approve(comment):
    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR)


def assert_every_view_is_inert(reader, post, comment):
    """The article as its author sees it (held, details remembered), then, approved, as anyone, and the feeds."""
    assert_inert(reader.get(post.get_absolute_url()))
    approve(comment)
    for client in (reader, Client()):
        assert_inert(client.get(post.get_absolute_url()))
        assert_inert(client.get(post.get_absolute_url(), {"replytocom": comment.pk}))
    for feed in ("blog:feed", "blog:feed_atom"):
        assert_inert(Client().get(reverse(feed)))


def shown(response, css_class):
    """The texts of the elements with `css_class`, whitespace tidied."""
    return [" ".join(text.split()) for text in Texts(response.content.decode(), [css_class]).texts.get(css_class, [])]


def test_the_checker_catches_runnable_markup():
    """The page check itself flags inline scripts, event handlers, script URLs and embedded documents."""
    for markup in [
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        "<img src=x onerror=alert(1)>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        "<svg><circle></circle></svg>",
        "<iframe src=https://example.com></iframe>",
    ]:
        assert RunnableMarkup(markup).problems, markup
    safe = '<link rel="icon" href="/static/img/favicon.svg"><script src="/static/js/comments.js" defer></script>'
    safe += '<a href="/x">x</a>'
    assert RunnableMarkup(safe).problems == []


# Every field


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_name_is_shown_as_the_text_typed(reader, post, payload):
    """A name full of markup is stored as typed and shown as text, in the thread and in "Leave a Reply to NAME"."""
    response = post_as_guest(reader, post, name=payload)
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.author_name == payload

    assert_every_view_is_inert(reader, post, comment)

    article = Client().get(post.get_absolute_url())
    assert shown(article, "comment-author") == [" ".join(payload.split())]
    replying = Client().get(post.get_absolute_url(), {"replytocom": comment.pk})
    assert " ".join(payload.split()) in shown(replying, "comment-reply-title")[0]
    assert Texts(reader.get(post.get_absolute_url()).content.decode(), []).values["name"] == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_comment_is_stored_as_typed_and_rendered_inert(reader, post, payload):
    """A comment full of markup is stored as typed; the page shows it with only WordPress's harmless tags."""
    response = post_as_guest(reader, post, comment=payload)
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.body == payload

    assert_every_view_is_inert(reader, post, comment)

    (content,) = shown(Client().get(post.get_absolute_url()), "comment-content")
    if "<" not in payload:
        assert content == payload


@pytest.mark.parametrize("local_part", PAYLOADS)
def test_hostile_email_is_refused_or_kept_out_of_sight(reader, post, local_part):
    """An email address with markup is refused as invalid, or (quoted, and so valid) stored but never shown."""
    for email in (f"{local_part}@example.com", f'"{local_part}"@example.com'):
        before = Comment.objects.count()
        response = post_as_guest(reader, post, email=email)
        if response.status_code == 400:
            assert EMAIL_MESSAGE in html.unescape(response.content.decode())
            assert Comment.objects.count() == before
            assert_inert(response)
            continue
        assert response.status_code == 302
        comment = Comment.objects.latest("pk")
        assert comment.author_email == email
        assert_every_view_is_inert(reader, post, comment)
        assert email not in html.unescape(Client().get(post.get_absolute_url()).content.decode())


@pytest.mark.parametrize("url", URL_PAYLOADS)
def test_hostile_website_is_refused_or_linked_safely(reader, post, url):
    """A website that is not http(s) is refused with a clear message; an http(s) one with markup is an inert link."""
    response = post_as_guest(reader, post, url=url)
    if response.status_code == 400:
        assert URL_MESSAGE in html.unescape(response.content.decode())
        assert Comment.objects.count() == 0
        assert_inert(response)
        return
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.author_url.startswith(("http://", "https://"))
    assert_every_view_is_inert(reader, post, comment)
    assert f'href="{html.escape(comment.author_url)}"' in Client().get(post.get_absolute_url()).text


def test_scriptish_websites_are_always_refused(reader, post):
    """javascript:, data:, vbscript: and ftp: websites never get stored."""
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "ftp://x"):
        response = post_as_guest(reader, post, url=url)
        assert response.status_code == 400, url
        assert URL_MESSAGE in html.unescape(response.content.decode())
    assert Comment.objects.count() == 0


def test_every_field_hostile_at_once_on_the_form_pages(reader, post):
    """The confirm page and the refused-form page show hostile values back as inert field values."""
    payload = '"><svg onload=alert(1)></textarea><script>alert(1)</script>'
    hostile = {
        "name": payload,
        "email": f"{payload}@example.com",
        "url": f"javascript:alert(1)//{payload}",
        "comment": payload,
        "parent": payload,
        "address2": payload,
    }
    confirm = reader.post(reverse("comments:post", args=[post.pk]), hostile)
    assert confirm.status_code == 400  # the email and website are refused before any captcha is asked for
    assert_inert(confirm)
    values = Texts(confirm.content.decode(), []).values
    assert (values["name"], values["comment"], values["url"]) == (payload, payload, hostile["url"])

    refused = reader.post(reverse("comments:post", args=[post.pk]), filled_in(reader, post, **hostile))
    assert refused.status_code == 400
    assert_inert(refused)
    assert Texts(refused.content.decode(), []).values["comment"] == payload
    assert Comment.objects.count() == 0


def test_hostile_remembered_details_are_prefilled_inert(client, post):
    """Details cookies holding markup fill the form as plain values."""
    payload = '"><svg onload=alert(1)>'
    client.cookies[cookies.DETAILS["name"]] = payload
    client.cookies[cookies.DETAILS["email"]] = payload
    client.cookies[cookies.DETAILS["url"]] = "javascript:alert(1)"
    response = client.get(post.get_absolute_url())
    assert_inert(response)
    assert Texts(response.content.decode(), []).values["name"] == payload


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "1 OR 1=1", "1e3"])
def test_hostile_replytocom_gives_the_plain_form(client, post, make_comment, value):
    """?replytocom= with markup or SQL is ignored."""
    make_comment(post)
    response = client.get(post.get_absolute_url(), {"replytocom": value})
    assert response.status_code == 200
    assert_inert(response)
    assert Texts(response.content.decode(), []).values["parent"] == ""


def test_honeypot_with_markup_is_spam_and_never_shown(reader, post):
    """Markup in the honeypot field marks the comment spam; nothing of it reaches a page."""
    response = post_as_guest(reader, post, address2="<script>alert(1)</script>", comment="Buy now")
    assert response.status_code == 302
    assert Comment.objects.get().status == Status.SPAM
    article = Client().get(post.get_absolute_url())
    assert_inert(article)
    assert "Buy now" not in article.text


# Control characters and size


@pytest.mark.parametrize(
    ("field", "value", "messages"),
    [
        ("name", "Nul\x00l", [NULL_MESSAGE]),
        ("comment", "Before\x00after", [NULL_MESSAGE]),
        ("email", "nul\x00l@example.com", [NULL_MESSAGE]),
        ("url", "https://example.com/\x00", [NULL_MESSAGE]),
    ],
)
def test_nul_character_is_refused_with_a_clear_message(reader, post, field, value, messages):
    """A NUL character in any field refuses the comment with a message saying so; nothing is stored."""
    response = post_as_guest(reader, post, **{field: value})
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert all(message in text for message in messages)
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ring\x07 the bell"),
        ("name", "Two\tcolumns"),
        ("name", "Two\nlines"),
        ("name", "Next\x85line"),
        ("name", "\x07\x1b\x08"),
        ("comment", "Line one\x1b[31m red"),
        ("comment", "Delete\x7f me"),
        ("comment", "Page\x0cbreak"),
        ("email", '"form\x0cfeed"@example.com'),
        ("email", '"bell\x07"@example.com'),
        ("url", "https://example.com/\x1b[31m"),
    ],
)
def test_other_control_characters_are_refused_with_a_clear_message(reader, post, field, value):
    """Control characters (C0, DEL, C1; in a name not even a tab or a line break) refuse the comment, saying so."""
    response = post_as_guest(reader, post, **{field: value})
    assert response.status_code == 400
    assert "Control characters are not allowed." in html.unescape(response.content.decode())
    assert Comment.objects.count() == 0


def test_tabs_and_line_breaks_stay_in_the_comment(reader, post):
    """The comment alone may hold tabs and line breaks: stored as written (CRLF as LF), shown as text."""
    response = post_as_guest(reader, post, comment="Line one\r\n\tLine two")
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.body == "Line one\n\tLine two"
    approve(comment)
    assert "Line two" in Client().get(post.get_absolute_url()).text


def test_longest_comment_is_accepted_and_shown(reader, post):
    """A comment of 65,525 characters, WordPress's limit, is stored whole and shown."""
    text = ("All work and no play makes a long comment. " * 1600)[:65524] + "!"
    assert len(text) == 65525

    response = post_as_guest(reader, post, comment=text)

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.body == text
    approve(comment)
    article = Client().get(post.get_absolute_url())
    assert_inert(article)
    (content,) = shown(article, "comment-content")
    assert content == " ".join(text.split())
