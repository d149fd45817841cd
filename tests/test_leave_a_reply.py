"""Leave a Reply: the form under an article, and how a guest posts a comment with and without JavaScript.

Every request goes through a test client that enforces CSRF, as a browser's would be checked:
the JavaScript path fetches the form state (token, signed timestamp, captcha) first; the
no-JavaScript path posts the cached form as it is and confirms on a fresh one.
"""

import html
import itertools
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from captcha.models import CaptchaStore
from django.conf import settings as django_settings
from django.core import signing
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from blog.models import Post, Tag
from comments import cookies, signals
from comments.akismet import SENT_FIELDS
from comments.forms import TIMESTAMP_SALT, issue_timestamp, issued_at
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status
from comments.rules import DUPLICATE_MESSAGE, FLOOD_MESSAGE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("comments_from_one_test_client")]

_numbers = itertools.count(1)
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PARENT_MESSAGE = "The comment you are replying to is not available any more."
DEPTH_MESSAGE = "Replies can't be nested that deep; please reply further up the thread."
EXPIRED_MESSAGE = "This form was open too long. Please check your comment and send it again."
TAMPERED_MESSAGE = "This form could not be verified. Please check your comment and send it again."
CAPTCHA_MESSAGE = "The characters you typed don't match the picture. Please try the new one."
REQUIRED_MESSAGE = "This field is required."
URL_MESSAGE = "Enter a website address starting with http:// or https://."


# Helpers


@dataclass
class Element:
    tag: str
    attrs: dict
    ancestors: tuple
    text: str = ""
    children: list = field(default_factory=list)


class Page(HTMLParser):
    """A page's elements, each with its attributes, its ancestors and its text."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements, self._open = [], []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, tuple(self._open))
        self.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data

    def find_all(self, tag=None, **attrs):
        """Elements with this tag and these attribute values (`class_` matches one of the classes)."""
        wanted_class = attrs.pop("class_", None)
        return [
            element
            for element in self.elements
            if (tag is None or element.tag == tag)
            and all(element.attrs.get(name) == value for name, value in attrs.items())
            and (wanted_class is None or wanted_class in element.attrs.get("class", "").split())
        ]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def value(self, name):
        """What the form would send for the field `name` (an input's value or a textarea's text).

        As a browser reads it: a line break right after <textarea> is not part of the text (Django writes one).
        """
        element = self.find("textarea", name=name) or self.find("input", name=name)
        assert element is not None, f"no field named {name!r}"
        if element.tag == "textarea":
            return element.text.removeprefix("\r\n").removeprefix("\n")
        return element.attrs.get("value", "")

    def label_for(self, name):
        field_id = (self.find("textarea", name=name) or self.find("input", name=name)).attrs["id"]
        label = self.find("label", **{"for": field_id})
        return " ".join(label.text.split()) if label else None


def page_of(response):
    return Page(response.content.decode())


def text_of(response):
    """The response's text with entities decoded, as a reader sees the words."""
    return html.unescape(response.content.decode())


def solve(markup):
    """The captcha's key from its form markup and the answer a human would type."""
    key = re.search(r'name="captcha_0" value="([^"]+)"', markup)[1]
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def details(**fields):
    """A new reader's name, email and comment."""
    number = next(_numbers)
    return {
        "name": f"Reader {number}",
        "email": f"reader{number}@example.com",
        "url": "",
        "comment": f"A thoughtful remark, number {number}.",
        **fields,
    }


def form_state(client, post):
    response = client.get(reverse("comments:form-state", args=[post.pk]))
    assert response.status_code == 200
    return response.json()


def filled_in(client, post, **fields):
    """What the browser sends once comments.js has fetched the form state and the reader answered the captcha."""
    state = form_state(client, post)
    return {
        "csrfmiddlewaretoken": state["csrf_token"],
        "timestamp": state["timestamp"],
        **solve(state["captcha_html"]),
        **details(**fields),
    }


def resubmitted(response):
    """What the reader sends back from a form page: every field as shown there, and the captcha answered."""
    page = page_of(response)
    fields = ("csrfmiddlewaretoken", "timestamp", "parent", "name", "email", "url", "comment")
    return {**{name: page.value(name) for name in fields}, **solve(response.content.decode())}


def send(client, post, data):
    return client.post(reverse("comments:post", args=[post.pk]), data)


def post_as_guest(client, post, **fields):
    return send(client, post, filled_in(client, post, **fields))


def approve(comment):
    change_status(comment, Status.APPROVED, actor=Actor.MODERATOR, reason=Reason.MODERATOR)


def comments_link(response):
    return page_of(response).find("a", class_="comments-link").text.strip()


class BackdatedSigner(signing.TimestampSigner):
    """Signs as if it were seven hours ago, past COMMENTS_FORM_MAX_AGE."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - django_settings.COMMENTS_FORM_MAX_AGE - 3600)


def expired_timestamp(post):
    payload = {"post": post.pk, "at": time.time() - django_settings.COMMENTS_FORM_MAX_AGE - 3600}
    return BackdatedSigner(salt=TIMESTAMP_SALT).sign_object(payload, compress=True)


def tampered_timestamp(post):
    value, _, signature = issue_timestamp(post).rpartition(":")
    return f"{value}:{signature[::-1]}"


def forged_timestamp(post):
    return signing.dumps({"post": post.pk, "at": time.time()}, key="not-the-site-secret", salt=TIMESTAMP_SALT)


def own_comments_cookie(comment):
    """The signed `comments_own` cookie the site sets for the author of `comment`."""
    response = HttpResponse()
    cookies.remember_own_comment(RequestFactory().get("/"), response, comment)
    return response.cookies[cookies.OWN_COMMENTS].value


# The form on the article page


def test_article_shows_the_leave_a_reply_form(client, post, settings):
    """The article ends with WordPress's "Leave a Reply" form: labelled fields, consent, notes, Akismet notice."""
    settings.AKISMET_API_KEY = "a-key"
    response = client.get(post.get_absolute_url())
    page = page_of(response)
    text = " ".join(text_of(response).split())

    assert page.find(id="reply-title-text").text.strip() == "Leave a Reply"
    assert "Fill in your details below or click an icon to log in" in text
    assert "Your email address will not be published." in text
    assert page.label_for("comment").startswith("Comment")
    assert page.label_for("email").startswith("Email")
    assert page.label_for("name").startswith("Name")
    assert page.label_for("url") == "Website"
    assert page.find("input", name="remember").attrs["type"] == "checkbox"
    assert page.label_for("remember") == "Save my name, email, and website in this browser for the next time I comment."
    assert "This site uses Akismet to reduce spam." in text
    notice = page.find("p", class_="akismet-notice")
    links = [a for a in page.find_all("a", href=reverse("privacy:policy")) if notice in a.ancestors]
    assert [link.text for link in links] == ["Learn how your comment data is processed."]
    assert page.find("form", id="commentform").attrs["action"] == reverse("comments:post", args=[post.pk])


def test_privacy_page_lists_what_akismet_receives(client, settings):
    """The privacy page names every field sent to Akismet."""
    settings.AKISMET_API_KEY = "a-key"
    response = client.get(reverse("privacy:policy"))
    assert response.status_code == 200
    codes = {element.text for element in page_of(response).find_all("code")}
    assert set(SENT_FIELDS) <= codes


def test_without_an_akismet_key_no_page_claims_akismet_checks_comments(client, post, settings):
    """With no key (what `make run` starts with) the form and the privacy page say a moderator reads every comment."""
    settings.AKISMET_API_KEY = ""
    article = text_of(client.get(post.get_absolute_url()))
    privacy = client.get(reverse("privacy:policy"))

    assert "uses Akismet" not in article
    assert "A moderator reads every comment before it appears." in article
    assert "does not use Akismet or any other spam-filtering service" in text_of(privacy)
    assert not {element.text for element in page_of(privacy).find_all("code")} & set(SENT_FIELDS)


def test_anonymous_article_page_is_the_same_for_everyone(post):
    """A guest without cookies gets a form with no token, timestamp or captcha: identical bytes, no cookie set."""
    first, second = Client().get(post.get_absolute_url()), Client().get(post.get_absolute_url())
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert b"csrfmiddlewaretoken" not in first.content
    assert b"captcha_0" not in first.content
    assert page_of(first).value("timestamp") == ""
    assert not first.cookies
    assert "public" in first["Cache-Control"] and "Cookie" not in first.get("Vary", "")  # one copy for every cache


def test_form_state_gives_a_token_a_timestamp_and_an_accessible_captcha(reader, post):
    """The form-state endpoint hands out a CSRF token, a timestamp signed for this post and a labelled captcha."""
    state = form_state(reader, post)

    assert state["csrf_token"]
    assert reader.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert signing.loads(state["timestamp"], salt=TIMESTAMP_SALT)["post"] == post.pk
    captcha = Page(state["captcha_html"])
    answer_box = captcha.find("input", name="captcha_1")
    assert captcha.find("label", **{"for": answer_box.attrs["id"]}).text.strip()
    assert "characters" in captcha.find("img").attrs["alt"].lower()
    assert captcha.find("button", class_="captcha-refresh").text.strip() == "New picture"
    assert CaptchaStore.objects.filter(hashkey=solve(state["captcha_html"])["captcha_0"]).exists()


@pytest.mark.skipif(not shutil.which("flite"), reason="flite is not installed (apt-get install flite)")
def test_captcha_has_an_audio_version_when_flite_is_set_up(reader, post):
    """With CAPTCHA_FLITE_PATH set, the captcha links to a WAV file that speaks the characters."""
    assert django_settings.CAPTCHA_FLITE_PATH
    audio = Page(form_state(reader, post)["captcha_html"]).find("a", class_="captcha-audio")
    assert audio is not None and audio.text.strip()

    response = reader.get(audio.attrs["href"])
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"RIFF"


def test_captcha_has_no_audio_link_without_flite(reader, post, monkeypatch):
    """Without CAPTCHA_FLITE_PATH the captcha offers no audio link that would lead nowhere."""
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_FLITE_PATH", None)
    assert Page(form_state(reader, post)["captcha_html"]).find("a", class_="captcha-audio") is None


def test_captcha_refresh_gives_a_new_picture(reader, post):
    """The "New picture" button's endpoint answers with a new key and image."""
    button = Page(form_state(reader, post)["captcha_html"]).find("button", class_="captcha-refresh")
    fresh = reader.get(button.attrs["data-refresh-url"], headers={"X-Requested-With": "XMLHttpRequest"}).json()
    assert CaptchaStore.objects.filter(hashkey=fresh["key"]).exists()
    assert reader.get(fresh["image_url"])["Content-Type"] == "image/png"


# Posting with JavaScript


def test_guest_comment_is_shown_to_its_author_only_until_approved(reader, post):
    """A guest's comment redirects to its anchor, is shown "awaiting moderation" to its author only, then to all."""
    assert comments_link(Client().get(post.get_absolute_url())) == "Leave a comment"

    response = post_as_guest(reader, post, name="Mary Shelley", comment="What a lovely piece.")

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{comment.pk}"
    assert (comment.status, comment.author_name, comment.body) == (
        Status.PENDING,
        "Mary Shelley",
        "What a lovely piece.",
    )
    own_page = reader.get(post.get_absolute_url())
    entry = page_of(own_page).find("li", id=f"comment-{comment.pk}")
    assert entry is not None
    assert "What a lovely piece." in entry.text
    assert "Your comment is awaiting moderation." in entry.text
    assert comments_link(own_page) == "Leave a comment"

    stranger_page = Client().get(post.get_absolute_url())
    assert "What a lovely piece." not in stranger_page.text
    assert "awaiting moderation" not in stranger_page.text

    approve(comment)
    for page in (Client().get(post.get_absolute_url()), reader.get(post.get_absolute_url())):
        entry = page_of(page).find("li", id=f"comment-{comment.pk}")
        assert "What a lovely piece." in entry.text
        assert "awaiting moderation" not in page.text
        assert comments_link(page) == "1 Comment"


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(lambda comment: str(comment.pk), id="unsigned"),
        pytest.param(lambda comment: signing.Signer(salt="another-salt").sign(str(comment.pk)), id="other-salt"),
        pytest.param(lambda comment: f"{comment.pk}:forged-signature", id="forged-signature"),
        pytest.param(lambda comment: signing.Signer(key="not-the-secret").sign(str(comment.pk)), id="other-key"),
    ],
)
def test_forged_own_comments_cookie_shows_nothing(client, post, make_comment, cookie):
    """A `comments_own` cookie the site did not sign reveals no held comment."""
    held = make_comment(post, status=Status.PENDING, body="A secret held remark.")
    client.cookies[cookies.OWN_COMMENTS] = cookie(held)

    response = client.get(post.get_absolute_url())

    assert response.status_code == 200
    assert "A secret held remark." not in response.text
    assert "awaiting moderation" not in response.text


def test_own_comments_cookie_shows_only_held_comments_of_its_owner(client, post, make_comment):
    """The signed cookie shows its owner's held comment but never someone else's, nor spam or trash."""
    mine = make_comment(post, status=Status.PENDING, body="My held remark.")
    make_comment(post, status=Status.PENDING, body="Someone else's held remark.")
    spam = make_comment(post, status=Status.SPAM, body="My spam remark.")
    client.cookies[cookies.OWN_COMMENTS] = own_comments_cookie(mine)
    response = client.get(post.get_absolute_url())
    assert "My held remark." in response.text
    assert "Someone else&#x27;s held remark." not in response.text
    client.cookies[cookies.OWN_COMMENTS] = own_comments_cookie(spam)
    assert "My spam remark." not in client.get(post.get_absolute_url()).text


# Posting without JavaScript


def test_guest_without_javascript_confirms_then_posts(reader, post):
    """Without JavaScript the cached form goes without token or timestamp, is confirmed with a captcha, then stored."""
    article = page_of(reader.get(post.get_absolute_url()))
    data = {
        "timestamp": article.value("timestamp"),
        "parent": article.value("parent"),
        "name": "Percy",
        "email": "percy@example.com",
        "url": "https://percy.example",
        "comment": "Written without scripts.\nSecond line & more.",
    }

    confirm = send(reader, post, data)

    assert confirm.status_code == 200
    assert Comment.objects.count() == 0
    page = page_of(confirm)
    assert "please type the characters in the picture" in text_of(confirm)
    assert page.value("comment") == "Written without scripts.\nSecond line & more."
    assert (page.value("name"), page.value("email"), page.value("url")) == (
        "Percy",
        "percy@example.com",
        "https://percy.example",
    )
    assert page.value("csrfmiddlewaretoken")
    assert signing.loads(page.value("timestamp"), salt=TIMESTAMP_SALT)["post"] == post.pk

    response = send(reader, post, resubmitted(confirm))

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert (comment.author_name, comment.author_email, comment.author_url) == (
        "Percy",
        "percy@example.com",
        "https://percy.example",
    )
    assert comment.body == "Written without scripts.\nSecond line & more."


def test_reply_without_javascript_keeps_its_parent_through_the_confirm_page(reader, post, make_comment):
    """A reply from the ?replytocom form, posted without JavaScript, keeps its parent through the confirm page."""
    parent = make_comment(post, author_name="Charlotte")
    form = page_of(reader.get(post.get_absolute_url(), {"replytocom": parent.pk}))

    confirm = send(reader, post, {"parent": form.value("parent"), "timestamp": form.value("timestamp"), **details()})

    assert confirm.status_code == 200
    assert page_of(confirm).value("parent") == str(parent.pk)
    assert send(reader, post, resubmitted(confirm)).status_code == 302
    assert Comment.objects.get(parent=parent).depth == 2


def test_an_empty_comment_without_javascript_asks_for_a_comment(reader, post):
    """ "Post Comment" with an empty box (and no script) asks for the comment, not for the captcha."""
    response = send(reader, post, {"timestamp": "", **details(comment="  ", name="Percy")})

    assert response.status_code == 400
    page = page_of(response)
    assert "please type the characters" not in text_of(response)
    assert page.find("textarea", name="comment").attrs.get("aria-invalid") == "true"
    assert "This field is required." in text_of(response)
    assert page.value("name") == "Percy"
    assert Comment.objects.count() == 0


def test_a_wrong_email_without_javascript_is_pointed_out_before_the_captcha(reader, post):
    """Without script, a malformed email is pointed out at once, with the text kept."""
    response = send(reader, post, {"timestamp": "", **details(email="not an address", comment="Kept, I hope.")})

    assert response.status_code == 400
    assert page_of(response).find("input", name="email").attrs.get("aria-invalid") == "true"
    assert page_of(response).value("comment") == "Kept, I hope."


def test_post_with_a_stale_csrf_token_asks_to_confirm(reader, post):
    """A form whose CSRF token does not match the cookie is shown again to confirm, not stored."""
    data = filled_in(reader, post, comment="Token went stale.")
    data["csrfmiddlewaretoken"] = "x" * 32
    response = send(reader, post, data)
    assert response.status_code == 200
    assert page_of(response).value("comment") == "Token went stale."
    assert Comment.objects.count() == 0


# Validation: refused with a message, the text kept, nothing stored


def other_posts_comment(post, make_post, make_comment, settings):
    return {"parent": str(make_comment(make_post()).pk)}


def held_comment(post, make_post, make_comment, settings):
    return {"parent": str(make_comment(post, status=Status.PENDING).pk)}


def too_deep(post, make_post, make_comment, settings):
    return {"parent": str(make_comment(post, depth=settings.COMMENTS_MAX_DEPTH).pk)}


def closed(post, make_post, make_comment, settings):
    Post.objects.filter(pk=post.pk).update(comments_open=False)
    return {}


def flood(post, make_post, make_comment, settings):
    settings.COMMENTS_FLOOD_SECONDS = 15
    make_comment(make_post(), author_email="quick@example.com")
    return {"email": "quick@example.com"}


def duplicate(post, make_post, make_comment, settings):
    from datetime import timedelta

    from django.utils import timezone

    make_comment(
        post,
        author_email="again@example.com",
        body="I said this before.",
        created_at=timezone.now() - timedelta(hours=1),
    )
    return {"email": "again@example.com", "comment": "I said this before."}


def fields(**values):
    return lambda post, make_post, make_comment, settings: values


def timestamp(make):
    return lambda post, make_post, make_comment, settings: {"timestamp": make(post)}


INVALID = [
    pytest.param(fields(comment=""), REQUIRED_MESSAGE, id="no-comment"),
    pytest.param(fields(comment="   \n  "), REQUIRED_MESSAGE, id="blank-comment"),
    pytest.param(fields(name=""), REQUIRED_MESSAGE, id="no-name"),
    pytest.param(fields(email=""), REQUIRED_MESSAGE, id="no-email"),
    pytest.param(fields(email="not-an-address"), "Enter a valid email address.", id="bad-email"),
    pytest.param(fields(url="javascript:alert(1)"), URL_MESSAGE, id="javascript-url"),
    pytest.param(fields(url="ftp://x"), URL_MESSAGE, id="ftp-url"),
    pytest.param(fields(url="ftp://files.example.com/"), URL_MESSAGE, id="ftp-url-with-host"),
    pytest.param(fields(name="n" * 246), "at most 245 characters (it has 246)", id="long-name"),
    pytest.param(fields(email="e" * 89 + "@example.com"), "at most 100 characters (it has 101)", id="long-email"),
    pytest.param(fields(url="https://example.com/" + "u" * 181), "at most 200 characters (it has 201)", id="long-url"),
    pytest.param(fields(comment="c" * 65526), "at most 65525 characters (it has 65526)", id="long-comment"),
    pytest.param(fields(captcha_1="wrong"), CAPTCHA_MESSAGE, id="wrong-captcha"),
    pytest.param(fields(captcha_1=""), REQUIRED_MESSAGE, id="no-captcha"),
    pytest.param(fields(captcha_0="no-such-key"), CAPTCHA_MESSAGE, id="unknown-captcha-key"),
    pytest.param(timestamp(expired_timestamp), EXPIRED_MESSAGE, id="expired-timestamp"),
    pytest.param(timestamp(tampered_timestamp), TAMPERED_MESSAGE, id="tampered-timestamp"),
    pytest.param(timestamp(forged_timestamp), TAMPERED_MESSAGE, id="forged-timestamp"),
    pytest.param(fields(timestamp="garbage"), TAMPERED_MESSAGE, id="garbage-timestamp"),
    pytest.param(closed, "Comments are closed", id="comments-closed"),
    pytest.param(other_posts_comment, PARENT_MESSAGE, id="parent-on-another-post"),
    pytest.param(held_comment, PARENT_MESSAGE, id="parent-held"),
    pytest.param(fields(parent="999999999"), PARENT_MESSAGE, id="parent-missing"),
    pytest.param(too_deep, DEPTH_MESSAGE, id="too-deep"),
    pytest.param(duplicate, DUPLICATE_MESSAGE, id="duplicate"),
    pytest.param(flood, FLOOD_MESSAGE, id="flood"),
]


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_invalid_comment_is_refused_with_its_text_kept(
    reader, post, make_post, make_comment, settings, change, message
):
    """An invalid comment gets the form back (400) with a clear message and the reader's text, and nothing is stored."""
    data = filled_in(reader, post, comment="Keep this text, please.")
    data.update(change(post, make_post, make_comment, settings))
    stored = Comment.objects.count()

    response = send(reader, post, data)

    assert response.status_code == 400
    assert message in text_of(response)
    page = page_of(response)
    alerts = " ".join(element.text for element in page.find_all(role="alert"))
    assert "not posted" in alerts
    assert page.value("comment") == data["comment"].replace("\r\n", "\n")
    assert page.value("name") == data["name"]
    assert Comment.objects.count() == stored


@pytest.mark.parametrize(("change", "message"), [p for p in INVALID if p.id in ("expired-timestamp", "parent-held")])
def test_form_level_errors_are_shown_where_the_reader_looks(
    reader, post, make_post, make_comment, settings, change, message
):
    """Errors about hidden fields (timestamp, parent) are shown in the form's alert, not lost."""
    data = filled_in(reader, post)
    data.update(change(post, make_post, make_comment, settings))
    page = page_of(send(reader, post, data))
    assert message in page.find("div", class_="form-errors").text


@pytest.mark.parametrize(("change", "message"), [p for p in INVALID if p.id in ("parent-held", "too-deep")])
def test_refused_reply_can_be_sent_again_as_a_comment(reader, post, make_post, make_comment, settings, change, message):
    """After "not available" or "too deep", sending the form page again posts the kept text as a top-level comment."""
    data = filled_in(reader, post, comment="Still worth saying.")
    data.update(change(post, make_post, make_comment, settings))
    refused = send(reader, post, data)
    assert refused.status_code == 400

    response = send(reader, post, resubmitted(refused))

    assert response.status_code == 302
    comment = Comment.objects.get(body="Still worth saying.")
    assert (comment.parent, comment.depth) == (None, 1)


def test_replayed_form_is_refused_for_its_used_captcha(reader, post):
    """Sending the same form twice fails the second time: a captcha answers once."""
    data = filled_in(reader, post, comment="Only once.")
    assert send(reader, post, data).status_code == 302

    response = send(reader, post, {**data, "comment": "Only once, I said."})

    assert response.status_code == 400
    assert CAPTCHA_MESSAGE in text_of(response)
    assert page_of(response).value("comment") == "Only once, I said."
    assert Comment.objects.count() == 1


def test_an_expired_captcha_says_so_and_offers_a_new_picture(reader, post):
    """A right answer to a picture older than CAPTCHA_TIMEOUT is told the picture expired, and gets a new one."""
    data = filled_in(reader, post, comment="Typed slowly.")
    CaptchaStore.objects.filter(hashkey=data["captcha_0"]).update(expiration=timezone.now() - timedelta(seconds=1))

    response = send(reader, post, data)

    assert response.status_code == 400
    text = text_of(response)
    assert "The picture expired before the comment was sent." in text
    assert CAPTCHA_MESSAGE not in text
    assert solve(response.content.decode())["captcha_0"] != data["captcha_0"]
    assert page_of(response).value("comment") == "Typed slowly."
    assert Comment.objects.count() == 0


def test_refused_form_offers_a_new_captcha_that_works(reader, post):
    """After a wrong captcha the form page shows a new one, and answering it posts the comment."""
    data = filled_in(reader, post, captcha_1="wrong")
    response = send(reader, post, data)
    assert response.status_code == 400
    page = page_of(response)
    fresh = solve(response.content.decode())
    assert fresh["captcha_0"] != data["captcha_0"]

    retry = {
        **data,
        **fresh,
        "timestamp": page.value("timestamp"),
        "csrfmiddlewaretoken": page.value("csrfmiddlewaretoken"),
    }
    assert send(reader, post, retry).status_code == 302
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "make_target",
    [
        pytest.param(lambda make_post: make_post(status=Post.Status.DRAFT), id="draft"),
        pytest.param(lambda make_post: make_post(days_ago=-1), id="scheduled"),
        pytest.param(lambda make_post: Post(pk=999999, slug="nowhere"), id="no-such-post"),
    ],
)
def test_comment_on_an_unpublished_post_is_404(reader, post, make_post, make_target):
    """Posting to a draft, a scheduled post or a post id that does not exist is 404, and nothing is stored."""
    target = make_target(make_post)
    data = filled_in(reader, post)
    data["timestamp"] = signing.dumps({"post": target.pk, "at": time.time()}, salt=TIMESTAMP_SALT, compress=True)

    assert send(reader, target, data).status_code == 404
    assert reader.get(reverse("comments:form-state", args=[target.pk])).status_code == 404
    assert Comment.objects.count() == 0


def test_closed_article_shows_no_form(client, post, make_comment):
    """An article with comments closed shows its thread and "Comments are closed." but no form and no Reply links."""
    make_comment(post, body="Said while it was open.")
    Post.objects.filter(pk=post.pk).update(comments_open=False)
    response = client.get(post.get_absolute_url())
    assert "Said while it was open." in response.text
    assert "Comments are closed." in response.text
    assert page_of(response).find("form", id="commentform") is None
    assert page_of(response).find("a", class_="comment-reply-link") is None


# What happens to odd submissions


def test_filled_honeypot_is_stored_as_spam_and_the_author_redirected(reader, post):
    """A bot that fills the hidden field is redirected as usual, and its comment is stored as spam."""
    data = filled_in(reader, post, **{django_settings.COMMENTS_HONEYPOT_FIELD: "1 Main Street"})
    response = send(reader, post, data)

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert (comment.status, comment.reason) == (Status.SPAM, Reason.HONEYPOT)
    assert comment.body not in reader.get(post.get_absolute_url()).text


def test_form_sent_back_too_fast_is_held(reader, post, settings, akismet_fake, run_tasks):
    """A form sent back sooner than COMMENTS_MIN_SECONDS after it was handed out is held as "too fast"."""
    settings.COMMENTS_MIN_SECONDS = 3
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    response = post_as_guest(reader, post)
    assert response.status_code == 302

    run_tasks()

    comment = Comment.objects.get()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.TOO_FAST)


def test_form_sent_back_after_a_pause_is_not_too_fast(reader, post, settings, akismet_fake, run_tasks):
    """The same comment sent back after COMMENTS_MIN_SECONDS passes the rules (the control for the test above)."""
    settings.COMMENTS_MIN_SECONDS = 3
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    data = filled_in(reader, post)
    payload = {"post": post.pk, "at": time.time() - 10}
    data["timestamp"] = signing.dumps(payload, salt=TIMESTAMP_SALT, compress=True)
    assert send(reader, post, data).status_code == 302

    run_tasks()

    comment = Comment.objects.get()
    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.RULES_PASSED)


def signed_seconds_ago(post, seconds):
    """A timestamp the site signed for a form handed out `seconds` ago (no waiting in the test)."""
    return signing.dumps({"post": post.pk, "at": time.time() - seconds}, salt=TIMESTAMP_SALT, compress=True)


def test_a_retype_after_a_wrong_captcha_is_timed_from_the_first_form(reader, post, settings, akismet_fake, run_tasks):
    """The page after a wrong captcha carries the first form's timestamp: the quick retype is not held as too fast."""
    settings.COMMENTS_MIN_SECONDS = 3
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    first = filled_in(reader, post, captcha_1="wrong")
    first["timestamp"] = signed_seconds_ago(post, 10)
    refused = send(reader, post, first)
    assert refused.status_code == 400
    assert page_of(refused).value("timestamp") == first["timestamp"]

    assert send(reader, post, resubmitted(refused)).status_code == 302
    run_tasks()

    comment = Comment.objects.get()
    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.RULES_PASSED)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(expired_timestamp, id="expired"),
        pytest.param(lambda post: signing.dumps({"post": post.pk, "at": time.time() - 10}, salt="x"), id="forged"),
        pytest.param(lambda post: signed_seconds_ago(Post(pk=post.pk + 1), 10), id="other-post"),
        pytest.param(lambda post: signing.dumps(["not", "a", "form"], salt=TIMESTAMP_SALT), id="not-a-form's"),
    ],
)
def test_a_timestamp_that_is_not_good_is_not_carried_forward(reader, post, settings, akismet_fake, run_tasks, bad):
    """A forged, expired or other post's timestamp buys no time: the page sent back has a new one, and a quick
    retype from it is held as too fast."""
    settings.COMMENTS_MIN_SECONDS = 3
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    first = {**filled_in(reader, post), "timestamp": bad(post)}
    refused = send(reader, post, first)
    assert refused.status_code == 400
    carried = page_of(refused).value("timestamp")
    assert carried != first["timestamp"] and issued_at(carried, post)

    assert send(reader, post, resubmitted(refused)).status_code == 302
    run_tasks()

    comment = Comment.objects.get()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.TOO_FAST)


def test_the_captcha_step_without_javascript_keeps_its_timestamp_after_a_wrong_captcha(reader, post):
    """Without script, the captcha step hands out the first timestamp, and a wrong answer there keeps it."""
    confirm = send(reader, post, {"timestamp": "", **details()})
    handed_out = page_of(confirm).value("timestamp")
    assert issued_at(handed_out, post)

    refused = send(reader, post, {**resubmitted(confirm), "captcha_1": "wrong"})

    assert refused.status_code == 400
    assert page_of(refused).value("timestamp") == handed_out


def test_a_form_asked_to_confirm_keeps_its_timestamp(reader, post):
    """A form whose CSRF token went stale is shown again to confirm with the timestamp it was sent with."""
    data = {**filled_in(reader, post), "csrfmiddlewaretoken": "x" * 32, "timestamp": signed_seconds_ago(post, 10)}
    response = send(reader, post, data)
    assert response.status_code == 200
    assert page_of(response).value("timestamp") == data["timestamp"]


# Remember me


def test_consent_saves_the_details_for_next_time(reader, post):
    """With "Save my name..." ticked, cookies keep the details (percent-encoded) and the next form is filled in."""
    response = post_as_guest(
        reader, post, name="Ada Byron", email="ada@example.com", url="https://ada.example", remember="yes"
    )
    assert {name: response.cookies[name].value for name in cookies.DETAILS.values()} == {
        "comment_author": "Ada%20Byron",
        "comment_author_email": "ada@example.com",
        "comment_author_url": "https%3A%2F%2Fada.example",
    }
    assert all(response.cookies[name]["httponly"] for name in cookies.DETAILS.values())

    page = page_of(reader.get(post.get_absolute_url()))
    assert (page.value("name"), page.value("email"), page.value("url")) == (
        "Ada Byron",
        "ada@example.com",
        "https://ada.example",
    )
    assert "checked" in page.find("input", name="remember").attrs


def test_no_consent_forgets_the_details(reader, post):
    """Without consent the details cookies are deleted, and the next form is empty."""
    post_as_guest(reader, post, name="Ada Byron", email="ada@example.com", url="https://ada.example", remember="yes")
    response = post_as_guest(reader, post, name="Ada Byron", email="ada@example.com")

    for name in cookies.DETAILS.values():
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
    page = page_of(reader.get(post.get_absolute_url()))
    assert (page.value("name"), page.value("email"), page.value("url")) == ("", "", "")
    assert "checked" not in page.find("input", name="remember").attrs


def test_saved_details_survive_non_ascii_and_punctuation(reader, post):
    """A name with accents, quotes and a semicolon comes back exactly from its cookie."""
    name = 'Zoë "Z" O\'Brien; Jr.'
    post_as_guest(reader, post, name=name, remember="yes")
    assert page_of(reader.get(post.get_absolute_url())).value("name") == name


# Threading


def test_replies_nest_under_their_parent(client, post, make_comment):
    """Replies are listed in an ol.children inside their parent's li, each with a #comment-N anchor."""
    root = make_comment(post, author_name="Root")
    reply = make_comment(parent=root, author_name="Reply")
    nested = make_comment(parent=reply, author_name="Nested")
    sibling = make_comment(post, author_name="Sibling")

    page = page_of(client.get(post.get_absolute_url()))

    def placement(comment):
        element = page.find("li", id=f"comment-{comment.pk}")
        lists = [a for a in element.ancestors if a.tag == "ol"]
        items = [a.attrs["id"] for a in element.ancestors if a.tag == "li"]
        return lists[-1].attrs["class"], items[-1] if items else None

    assert placement(root) == ("comment-list", None)
    assert placement(sibling) == ("comment-list", None)
    assert placement(reply) == ("children", f"comment-{root.pk}")
    assert placement(nested) == ("children", f"comment-{reply.pk}")
    assert page.find("a", class_="comment-permalink", href=f"#comment-{nested.pk}") is not None
    assert "depth-3" in page.find("li", id=f"comment-{nested.pk}").attrs["class"].split()


def test_reply_link_opens_the_form_for_that_comment(client, post, make_comment):
    """Reply goes to ?replytocom=N#respond: "Leave a Reply to NAME", a Cancel reply link and the parent set."""
    comment = make_comment(post, author_name="Charlotte")
    page = page_of(client.get(post.get_absolute_url()))
    link = page.find("a", class_="comment-reply-link")
    assert link.attrs["href"] == f"{post.get_absolute_url()}?replytocom={comment.pk}#respond"
    assert page.find("a", id="cancel-comment-reply-link").attrs.get("hidden") is not None

    response = client.get(post.get_absolute_url(), {"replytocom": comment.pk})

    page = page_of(response)
    assert " ".join(page.find(id="reply-title-text").text.split()) == "Leave a Reply to Charlotte"
    cancel = page.find("a", id="cancel-comment-reply-link")
    assert cancel.text == "Cancel reply"
    assert "hidden" not in cancel.attrs
    assert cancel.attrs["href"] == f"{post.get_absolute_url()}#respond"
    assert page.value("parent") == str(comment.pk)


def test_reply_without_javascript_is_stored_under_its_parent(reader, post, make_comment):
    """A reply sent from the ?replytocom form is stored with its parent and one level deeper."""
    parent = make_comment(post)
    response = post_as_guest(reader, post, parent=str(parent.pk))
    assert response.status_code == 302
    reply = Comment.objects.get(parent=parent)
    assert reply.depth == 2
    page = page_of(reader.get(post.get_absolute_url()))
    assert f"comment-{parent.pk}" in [a.attrs.get("id") for a in page.find("li", id=f"comment-{reply.pk}").ancestors]


def test_no_reply_link_at_the_deepest_level(client, post, make_comment, settings):
    """A comment at COMMENTS_MAX_DEPTH has no Reply link, and ?replytocom= for it gives the plain form."""
    comment = make_comment(post)
    for _ in range(settings.COMMENTS_MAX_DEPTH - 1):
        comment = make_comment(parent=comment)
    assert comment.depth == settings.COMMENTS_MAX_DEPTH

    page = page_of(client.get(post.get_absolute_url()))
    reply_ids = {link.attrs["data-comment-id"] for link in page.find_all("a", class_="comment-reply-link")}
    assert str(comment.pk) not in reply_ids
    assert str(comment.parent_id) in reply_ids

    page = page_of(client.get(post.get_absolute_url(), {"replytocom": comment.pk}))
    assert page.find(id="reply-title-text").text.strip() == "Leave a Reply"
    assert page.value("parent") == ""


@pytest.mark.parametrize("value", ["abc", "-1", "999999999", "1.5", "²", "\u0661", "9" * 40, ""])
def test_odd_replytocom_values_give_the_plain_form(client, post, make_comment, value):
    """?replytocom= with anything but the id of an approved comment shows the ordinary form."""
    make_comment(post, status=Status.PENDING)
    response = client.get(post.get_absolute_url(), {"replytocom": value})
    assert response.status_code == 200
    page = page_of(response)
    assert page.find(id="reply-title-text").text.strip() == "Leave a Reply"
    assert page.value("parent") == ""


def test_replytocom_for_a_held_comment_gives_the_plain_form(client, post, make_comment):
    """A held comment cannot be answered, even by guessing its id."""
    held = make_comment(post, status=Status.PENDING, author_name="Hidden Harry")
    response = client.get(post.get_absolute_url(), {"replytocom": held.pk})
    assert "Hidden Harry" not in response.text
    assert page_of(response).value("parent") == ""


def test_a_failing_follow_receiver_never_costs_the_comment(reader, post, caplog):
    """A "Notify me" receiver that writes and then fails loses only its own work: the comment is stored, and logged."""

    def failing_receiver(sender, **kwargs):
        Tag.objects.create(name="Written by the failing receiver", slug="written-by-the-failing-receiver")
        raise RuntimeError("the subscriptions app broke")

    signals.follow_requested.connect(failing_receiver, dispatch_uid="test.failing-follow-receiver")
    try:
        response = post_as_guest(reader, post, comment="Kept whatever following does.", subscribe_comments="on")
    finally:
        signals.follow_requested.disconnect(dispatch_uid="test.failing-follow-receiver")
    assert response.status_code in (200, 302)
    comment = Comment.objects.get(body="Kept whatever following does.")
    assert comment.status == Status.PENDING
    assert not Tag.objects.filter(slug="written-by-the-failing-receiver").exists()
    assert f"Comment {comment.pk} was kept, but what its author asked to follow could not be recorded." in caplog.text
