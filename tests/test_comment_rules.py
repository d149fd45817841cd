"""The local comment rules (comments/rules.py) and how a comment's text becomes HTML (blog/markup.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.markup import render_comment
from comments import rules
from comments.models import Reason, Status

pytestmark = pytest.mark.django_db

DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"  # noqa: RUF001 (as WordPress)
FLOOD = "You are posting comments too quickly. Slow down."


def ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)


# Refusals: duplicates and floods are not stored at all.


def test_refusal_messages_are_wordpress_own():
    """The refusal messages are WordPress's, word for word (with its curly apostrophe)."""
    assert (rules.DUPLICATE_MESSAGE, rules.FLOOD_MESSAGE) == (DUPLICATE, FLOOD)


def test_a_new_comment_is_not_refused(post, make_comment):
    """A comment from someone who has not just posted, saying something new, may be stored."""
    make_comment(post, body="First!", created_at=ago(60))
    assert rules.refusal(make_comment(post, body="Second thoughts.", commit=False)) is None


def test_saying_the_same_thing_twice_is_a_duplicate(post, make_comment):
    """The same text from the same email (in any case) on the same post is refused as a duplicate."""
    make_comment(post, author_email="ada@example.com", body="Well said.", created_at=ago(3600))
    again = make_comment(post, author_email="ADA@example.com", body="Well said.", commit=False)
    assert rules.refusal(again) == DUPLICATE


def test_a_duplicate_of_a_comment_held_or_in_spam_is_still_refused(post, make_comment):
    """Only a trashed comment may be said again; held and spam ones still count."""
    for status in (Status.PENDING, Status.SPAM):
        make_comment(
            post, author_email="ada@example.com", body=f"Said while {status}.", status=status, created_at=ago(60)
        )
        again = make_comment(post, author_email="ada@example.com", body=f"Said while {status}.", commit=False)
        assert rules.refusal(again) == DUPLICATE


def test_a_trashed_duplicate_does_not_count(post, make_comment):
    """Text whose earlier copy was trashed may be posted again."""
    make_comment(post, author_email="ada@example.com", body="Well said.", status=Status.TRASH, created_at=ago(3600))
    assert rules.refusal(make_comment(post, author_email="ada@example.com", body="Well said.", commit=False)) is None


def test_the_same_text_from_someone_else_or_on_another_post_is_not_a_duplicate(post, make_post, make_comment):
    """A duplicate is the same author on the same post; "Thanks!" from two readers, or on two posts, is fine."""
    make_comment(post, author_email="ada@example.com", body="Thanks!", created_at=ago(3600))
    assert rules.refusal(make_comment(post, author_email="grace@example.com", body="Thanks!", commit=False)) is None
    elsewhere = make_comment(make_post(), author_email="ada@example.com", body="Thanks!", commit=False)
    assert rules.refusal(elsewhere) is None


def test_a_logged_in_reader_repeating_themselves_is_a_duplicate(post, make_comment, make_user):
    """A logged-in reader's earlier comment counts even if their account's email has changed since."""
    user = make_user()
    make_comment(post, user=user, author_email="old@example.com", body="Me again.", created_at=ago(3600))
    assert rules.refusal(make_comment(post, user=user, body="Me again.", commit=False)) == DUPLICATE


@pytest.mark.parametrize("same", ["ip_address", "author_email"])
def test_posting_again_within_the_flood_interval_is_refused(settings, post, make_comment, same):
    """A second comment from the same IP address, or the same email, within COMMENTS_FLOOD_SECONDS is refused."""
    settings.COMMENTS_FLOOD_SECONDS = 15
    earlier = make_comment(post, created_at=ago(10))
    later = make_comment(post, commit=False, **{same: getattr(earlier, same)})
    assert rules.refusal(later) == FLOOD


@pytest.mark.parametrize("same", ["ip_address", "author_email"])
def test_posting_again_after_the_flood_interval_is_fine(settings, post, make_comment, same):
    """Once COMMENTS_FLOOD_SECONDS have passed, the same IP address or email may post again."""
    settings.COMMENTS_FLOOD_SECONDS = 15
    earlier = make_comment(post, created_at=ago(20))
    later = make_comment(post, commit=False, **{same: getattr(earlier, same)})
    assert rules.refusal(later) is None


@pytest.mark.parametrize("same", ["ip_address", "author_email"])
def test_a_flood_interval_of_zero_turns_the_rule_off(settings, post, make_comment, same):
    """With COMMENTS_FLOOD_SECONDS=0 nothing is a flood, not even a comment another worker stored a moment "later"."""
    settings.COMMENTS_FLOOD_SECONDS = 0
    earlier = make_comment(post, created_at=timezone.now() + timedelta(seconds=1))
    later = make_comment(post, commit=False, **{same: getattr(earlier, same)})
    assert rules.refusal(later) is None


def test_the_flood_interval_applies_across_posts(settings, make_post, make_comment):
    """Commenting on one post and then at once on another is still too quick."""
    earlier = make_comment(make_post(), created_at=ago(5))
    assert rules.refusal(make_comment(make_post(), author_email=earlier.author_email, commit=False)) == FLOOD


def test_two_accounts_without_an_email_are_not_the_same_author(post, make_comment, make_user):
    """Readers whose social accounts gave no email are told apart by account, not lumped together by the empty email."""
    first, second = make_user(email=""), make_user(email="")
    make_comment(post, user=first, body="Thanks!", created_at=ago(5))
    assert rules.refusal(make_comment(post, user=second, body="Thanks!", commit=False)) is None


# Verdicts, in WordPress's order.


@pytest.fixture
def regular(make_post, make_comment):
    """A reader with an approved comment from last week."""
    return make_comment(make_post(), author_name="Grace", author_email="grace@example.com", created_at=ago(7 * 86400))


def from_regular(make_comment, post, **fields):
    return make_comment(post, commit=False, **{"author_name": "Grace", "author_email": "grace@example.com", **fields})


def test_a_disallowed_word_beats_everything(settings, post, make_comment, regular):
    """A disallowed word trashes a comment even when hold-all, moderation words and the link limit also apply."""
    settings.COMMENTS_DISALLOWED_WORDS = ["casino"]
    settings.COMMENTS_MODERATION_WORDS = ["bonus"]
    settings.COMMENTS_HOLD_ALL = True
    comment = from_regular(make_comment, post, body="CASINO bonus at https://a.example and https://b.example")
    assert rules.verdict(comment) == (Status.TRASH, Reason.DISALLOWED_WORDS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("author_name", "Cheap Watches"),
        ("author_email", "sales@cheap-watches.example"),
        ("author_url", "https://cheap-watches.example/"),
        ("body", "Lovely post. Buy CHEAP-WATCHES!"),
        ("ip_address", "192.0.2.66"),
        ("user_agent", "cheap-watches-bot/1.0"),
    ],
)
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("COMMENTS_DISALLOWED_WORDS", (Status.TRASH, Reason.DISALLOWED_WORDS)),
        ("COMMENTS_MODERATION_WORDS", (Status.PENDING, Reason.MODERATION_WORDS)),
    ],
)
def test_words_are_matched_in_every_field(settings, post, make_comment, regular, field, value, setting, expected):
    """Disallowed and moderation words match, in any case, in name, email, website, text, IP address or user agent."""
    setattr(settings, setting, ["cheap-watches", "192.0.2.66"] if field == "ip_address" else ["cheap"])
    assert rules.verdict(from_regular(make_comment, post, **{field: value})) == expected


def test_blank_words_match_nothing(settings, post, make_comment, regular):
    """Empty or blank entries in the word lists (a stray comma in the environment) match nothing."""
    settings.COMMENTS_DISALLOWED_WORDS = ["", "  "]
    settings.COMMENTS_MODERATION_WORDS = [""]
    assert rules.verdict(from_regular(make_comment, post)) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


def test_hold_all_beats_moderation_words_and_known_authors(settings, post, make_comment, regular):
    """With "hold every comment" on, even a known author's comment is held, for that reason."""
    settings.COMMENTS_HOLD_ALL = True
    settings.COMMENTS_MODERATION_WORDS = ["pharmacy"]
    comment = from_regular(make_comment, post, body="Ask your pharmacy.")
    assert rules.verdict(comment) == (Status.PENDING, Reason.HOLD_ALL)


@pytest.mark.parametrize(
    ("body", "held"),
    [
        ("Nothing to click.", False),
        ("One link: https://one.example/", False),
        ('One link: <a href="https://one.example/">one</a>', False),
        ('<a href="https://one.example/">https://one.example/</a>', False),
        ("Two: http://one.example and HTTPS://two.example", True),
        ('<a href="https://one.example/">one</a> <a href="https://two.example/">two</a>', True),
        ('<a href="https://one.example/">one</a> and https://two.example', True),
    ],
    ids=["none", "one-bare", "one-anchor", "one-anchor-showing-its-url", "two-bare", "two-anchors", "anchor-and-bare"],
)
def test_two_links_hold_a_comment_one_does_not(settings, post, make_comment, regular, body, held):
    """With the default limit of 2, a comment with two links is held and one with a single link is not."""
    assert settings.COMMENTS_MAX_LINKS == 2
    expected = (Status.PENDING, Reason.TOO_MANY_LINKS) if held else (Status.APPROVED, Reason.KNOWN_AUTHOR)
    assert rules.verdict(from_regular(make_comment, post, body=body)) == expected


def test_the_link_limit_follows_the_setting(settings, post, make_comment, regular):
    """COMMENTS_MAX_LINKS sets how many links hold a comment; 0 turns the check off, as in WordPress."""
    comment = from_regular(make_comment, post, body="https://a.example https://b.example https://c.example")
    settings.COMMENTS_MAX_LINKS = 4
    assert rules.verdict(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)
    settings.COMMENTS_MAX_LINKS = 3
    assert rules.verdict(comment) == (Status.PENDING, Reason.TOO_MANY_LINKS)
    settings.COMMENTS_MAX_LINKS = 0
    assert rules.verdict(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)
    assert rules.verdict(from_regular(make_comment, post, body="No links.")) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


def test_link_counting_copes_with_a_hostile_body(post, make_comment, regular):
    """A maximum-size body of unclosed "<a " tags counts no link (the pattern never runs past the next tag)."""
    comment = from_regular(make_comment, post, body="<a >" * 16_000, body_html="")
    assert rules.LINK_PATTERN.search(comment.body) is None
    assert rules.verdict(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


def test_a_first_time_author_is_held(post, make_comment):
    """Someone with no approved comment yet is held for a moderator."""
    assert rules.verdict(make_comment(post, commit=False)) == (Status.PENDING, Reason.FIRST_COMMENT)


def test_an_author_with_an_approved_comment_is_approved(post, make_comment, regular):
    """The same name and email (email in any case) as an approved comment is approved."""
    comment = make_comment(post, author_name="Grace", author_email="GRACE@example.com", commit=False)
    assert rules.verdict(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


@pytest.mark.parametrize(
    "fields",
    [{"author_name": "Grace H."}, {"author_email": "grace@elsewhere.example"}],
    ids=["other-name", "other-email"],
)
def test_a_known_author_needs_both_name_and_email(post, make_comment, regular, fields):
    """Borrowing only a regular's name, or only their email, does not make someone known."""
    comment = make_comment(
        post, **{"author_name": "Grace", "author_email": "grace@example.com", **fields}, commit=False
    )
    assert rules.verdict(comment) == (Status.PENDING, Reason.FIRST_COMMENT)


@pytest.mark.parametrize("status", [Status.PENDING, Status.SPAM, Status.TRASH])
def test_only_an_approved_comment_makes_an_author_known(post, make_post, make_comment, status):
    """An earlier comment that is held, spam or trashed does not make its author known."""
    make_comment(
        make_post(), author_name="Grace", author_email="grace@example.com", status=status, created_at=ago(86400)
    )
    assert rules.verdict(from_regular(make_comment, post)) == (Status.PENDING, Reason.FIRST_COMMENT)


def test_a_logged_in_reader_is_known_by_their_account(post, make_post, make_comment, make_user):
    """A logged-in reader with an approved comment is known even after changing their name."""
    user = make_user()
    make_comment(make_post(), user=user, author_name="Old Name", created_at=ago(86400))
    comment = make_comment(post, user=user, author_name="New Name", commit=False)
    assert rules.verdict(comment) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


def test_an_account_without_an_email_is_not_known_through_someone_elses(post, make_post, make_comment, make_user):
    """Two email-less accounts with the same display name are different people: one's approval doesn't carry over."""
    make_comment(make_post(), user=make_user(email="", first_name="Sam"), created_at=ago(86400))
    comment = make_comment(post, user=make_user(email="", first_name="Sam"), commit=False)
    assert rules.verdict(comment) == (Status.PENDING, Reason.FIRST_COMMENT)


def test_without_the_known_author_rule_comments_that_pass_are_approved(settings, post, make_comment):
    """With COMMENTS_REQUIRE_KNOWN_AUTHOR off, a first-time author who passes the rules is approved."""
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    assert rules.verdict(make_comment(post, commit=False)) == (Status.APPROVED, Reason.RULES_PASSED)
    comment = make_comment(post, body="https://a.example https://b.example", commit=False)
    assert rules.verdict(comment) == (Status.PENDING, Reason.TOO_MANY_LINKS)


# Closing comments.


def test_comments_are_open_by_default(make_post):
    """A post accepts comments unless its author closed them, however old it is."""
    assert not rules.comments_closed(make_post(days_ago=3650))


def test_the_author_can_close_comments(make_post):
    """A post whose comments_open is off accepts no comments."""
    assert rules.comments_closed(make_post(comments_open=False))


def test_comments_close_after_the_configured_number_of_days(settings, make_post):
    """With COMMENTS_CLOSE_AFTER_DAYS set, posts older than that accept no comments."""
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    assert rules.comments_closed(make_post(days_ago=15))
    assert not rules.comments_closed(make_post(days_ago=13))


# Rendering a comment's text.


def test_blank_lines_make_paragraphs_and_newlines_make_line_breaks():
    """A blank line starts a paragraph and a single newline (Unix or Windows) is a line break."""
    assert (
        render_comment("First.\n\nSecond,\nthird.\r\nFourth.") == "<p>First.</p>\n\n<p>Second,<br>third.<br>Fourth.</p>"
    )


def test_bare_addresses_become_nofollow_ugc_links():
    """A bare web address becomes a link that search engines are told not to follow."""
    html = render_comment("See https://example.com/a?b=1&c=2 now")
    link = (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">https://example.com/a?b=1&amp;c=2</a>'
    )
    assert html == f"<p>See {link} now</p>"


def test_text_escaped_without_urlize_is_what_urlize_makes_of_it():
    """Text holding nothing urlize links is escaped directly, exactly as urlize would; what it links still is linked."""
    from django.utils.html import escape, urlize

    from blog.markup import MAYBE_A_LINK

    plain = [
        "Fourteen minutes. To the county town! (Really?) «Enfin» & <b> 'quoted' \"twice\" end.",
        "example&#46;com, 3.14, a.b.c, file.py, e.g. i.e. ...; v1.2: time 22:40",
        "Ich bin letzten Sommer mit dem Rad gefahren. Ünïcödé. İstanbul. ŞEHİR.",
    ]
    for text in plain:
        assert not MAYBE_A_LINK.search(text)
        assert escape(text) == urlize(text, nofollow=True, autoescape=True)
    for linked in ("WWW.Example.ORG", "http://x.example/", "HTTPS://EXAMPLE.COM", "me@example.net", "quiet.İNT/page"):
        assert MAYBE_A_LINK.search(linked) and "<a href=" in urlize(linked, nofollow=True, autoescape=True)
        assert f'rel="nofollow ugc noopener">{linked}</a>.</p>' in render_comment(f"See {linked}.")


def test_the_allowed_tags_are_kept():
    """WordPress's inline tags work, in canonical form."""
    html = render_comment(
        "<B>b</B> <strong>s</strong> <i>i</i> <em>e</em> <code>c</code> <q>q</q> <del>d</del> <s>x</s>"
    )
    assert (
        html == "<p><b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <code>c</code> <q>q</q> <del>d</del> <s>x</s></p>"
    )
    assert render_comment("<blockquote>Quoted.</blockquote>") == "<blockquote>Quoted.</blockquote>"


def test_an_allowed_link_keeps_only_its_address():
    """A written link keeps its address, gains rel="nofollow ugc", and loses every other attribute."""
    html = render_comment('<a href="https://example.com/" title="t" target="_blank" style="x">here</a>')
    assert html == '<p><a href="https://example.com/" rel="nofollow ugc noopener">here</a></p>'


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<iframe src="//evil.example"></iframe>',
        "<style>body{display:none}</style>",
        "<p onclick=alert(1)>para</p>",
        "<!-- hidden -->",
        "<svg/onload=alert(1)>",
    ],
)
def test_everything_else_is_shown_as_the_text_typed(text):
    """Any other tag is shown as the characters the reader typed, never as markup."""
    html = render_comment(text)
    assert "<" not in html.removeprefix("<p>").removesuffix("</p>").replace("<a ", "").replace("</a>", "")
    assert "&lt;" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ],
)
def test_dangerous_link_addresses_are_removed(href):
    """A javascript:, data: or vbscript: address is dropped; the link text stays."""
    assert render_comment(f'<a href="{href}">click</a>') == '<p><a rel="nofollow ugc noopener">click</a></p>'


@pytest.mark.parametrize(
    "text",
    [
        '<a href="https://example.com/" onclick="steal()">x</a>',
        '<b onmouseover="steal()">x</b>',
        "<em onfocus=steal() autofocus>x</em>",
    ],
)
def test_event_handlers_are_gone(text):
    """Event-handler attributes on allowed tags are dropped."""
    html = render_comment(text)
    assert "steal" not in html and "on" not in html.replace("noopener", "")


def test_control_characters_from_the_form_are_refused_but_line_breaks_and_tabs(make_post, make_user):
    """The comment field refuses bell, escape, DEL and C1 characters; tabs and line breaks stay, CRLF as LF."""
    from django.core.exceptions import ValidationError

    from comments.forms import PlainTextField

    for text in ("bell\x07!", "escape\x1b[31m", "delete\x7f!", "next\x85line", "form\x0cfeed"):
        with pytest.raises(ValidationError, match=r"Control characters are not allowed\."):
            PlainTextField().clean(text)
    cleaned = PlainTextField().clean("tab\t ok\r\nnext\rlast")
    assert cleaned == "tab\t ok\nnext\rlast"
    assert render_comment(cleaned) == "<p>tab\t ok<br>next<br>last</p>"


def test_a_link_showing_its_own_address_stays_one_link():
    """A written link whose text is its address comes out as one link, not an empty one followed by another."""
    html = render_comment('<a href="https://example.com/">https://example.com/</a>')
    assert html == '<p><a href="https://example.com/" rel="nofollow ugc noopener">https://example.com/</a></p>'
