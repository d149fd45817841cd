"""The automatic trust rules (comments/rules.py): approved comments before the hold is skipped, the rejection rate,
held and refused email domains, trusted commenters.

Each rule is shown end to end: a guest posts the real comment form with the test client, the spam check runs in the
real task queue against the loopback Akismet (`akismet_fake`), and the rule's reason is then in the comment's
history, in the admin's "By reason" filter and in the moderators' "held" email, sent over SMTP to a real server.
"""

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from comments import moderation, rules
from comments.models import Actor, Comment, CommentEvent, Reason, Status, TrustedCommenter
from tests.test_addresses import post_comment as send_form
from tests.test_addresses import query_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_through_smtp", "akismet_fake", "quick_readers")]

_numbers = itertools.count(1)
DOTLESS_I = "\u0131"
TWO_LINKS = "See https://one.example/ and https://two.example/ too."


def fullwidth(text: str) -> str:
    """`text` in fullwidth letters (U+FF41...), which IDNA maps back to ASCII in a domain."""
    return "".join(chr(ord(letter) + 0xFEE0) for letter in text)


@pytest.fixture
def quick_readers(settings):
    """Forms may be sent back at once, and one address may comment twice in a row."""
    settings.COMMENTS_FLOOD_SECONDS = 0


@pytest.fixture
def desk(moderator):
    """A moderator's browser, logged in to the admin."""
    browser = Client()
    browser.force_login(moderator)
    return browser


def post_comment(post, *, email, **fields):
    """A guest sends the comment form (captcha answered) from an address of their own; the site's answer."""
    return send_form(Client(), post, email=email, ip=f"198.51.100.{next(_numbers) % 250 + 1}", **fields)


def checked(response, run_tasks) -> Comment:
    """The comment a post stored, once its spam check (and any email it queued) has run."""
    assert response.status_code == 302, response.content.decode()[:2000]
    run_tasks()
    return Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))


def changelist(**params) -> str:
    return reverse("admin:comments_comment_changelist") + "?" + urlencode(params)


def listed(response) -> set[int]:
    return {comment.pk for comment in response.context["cl"].result_list}


def assert_reason_shown(comment, reason, *, desk, smtp_server, held=True):
    """The comment is where `reason` put it, and says so in its history, the admin's filter and (held) the email."""
    assert (comment.status, comment.reason) == (Status.PENDING if held else Status.APPROVED, reason)
    last = comment.events.last()
    assert (last.actor, last.reason, last.get_reason_display()) == (Actor.RULE, reason, reason.label)

    page = desk.get(changelist(status="pending" if held else "approved", reason__exact=reason))
    assert listed(page) == {comment.pk}
    by_reason = next(spec for spec in page.context["cl"].filter_specs if spec.title == "reason")
    assert reason.label in [choice["display"] for choice in by_reason.choices(page.context["cl"])]
    assert f"?reason__exact={reason}" in page.text

    said = [message.text for message in smtp_server.to("mod@example.com") if f"/comment/{comment.pk}/" in message.text]
    assert said == ([said[0]] if held else [])
    if held:
        assert f"Held because: {reason.label}\n" in said[0]


def approve_earlier(make_comment, post, count, *, email, name="Ann Example", **fields):
    for _ in range(count):
        make_comment(
            post, author_email=email, author_name=name, created_at=timezone.now() - timedelta(days=3), **fields
        )


# Approved comments before the hold is skipped (WordPress's 1)


def test_an_author_with_too_few_approved_comments_is_held(settings, post, make_comment, run_tasks, desk, smtp_server):
    """With COMMENTS_APPROVED_TO_SKIP_HOLD = 3, an author with two approved comments is held for that reason."""
    settings.COMMENTS_APPROVED_TO_SKIP_HOLD = 3
    approve_earlier(make_comment, post, 2, email="ann@mail.example")

    comment = checked(post_comment(post, email="ANN@mail.example"), run_tasks)

    assert_reason_shown(comment, Reason.TOO_FEW_APPROVED, desk=desk, smtp_server=smtp_server)


def test_an_author_with_enough_approved_comments_is_approved(
    settings, post, make_comment, run_tasks, desk, smtp_server
):
    """With COMMENTS_APPROVED_TO_SKIP_HOLD = 3, a third approved comment makes the next one approved at once."""
    settings.COMMENTS_APPROVED_TO_SKIP_HOLD = 3
    approve_earlier(make_comment, post, 3, email="ann@mail.example")

    comment = checked(post_comment(post, email="ann@mail.example"), run_tasks)

    assert_reason_shown(comment, Reason.KNOWN_AUTHOR, desk=desk, smtp_server=smtp_server, held=False)


def test_with_none_approved_the_reason_is_still_the_first_comment(settings, post, run_tasks, desk, smtp_server):
    """An author with no approved comment at all is held as WordPress says it: no approved comment yet."""
    settings.COMMENTS_APPROVED_TO_SKIP_HOLD = 3

    comment = checked(post_comment(post, email="new@mail.example"), run_tasks)

    assert_reason_shown(comment, Reason.FIRST_COMMENT, desk=desk, smtp_server=smtp_server)


@pytest.mark.parametrize(
    ("setting", "value"), [("COMMENTS_APPROVED_TO_SKIP_HOLD", 0), ("COMMENTS_REQUIRE_KNOWN_AUTHOR", False)]
)
def test_a_count_of_zero_or_the_known_author_rule_off_approves_what_passes(settings, post, run_tasks, setting, value):
    """COMMENTS_APPROVED_TO_SKIP_HOLD = 0 does what COMMENTS_REQUIRE_KNOWN_AUTHOR = false does: no count is asked."""
    setattr(settings, setting, value)

    comment = checked(post_comment(post, email="new@mail.example"), run_tasks)

    assert (comment.status, comment.reason) == (Status.APPROVED, Reason.RULES_PASSED)


def test_approvals_count_the_same_name_and_email_together(settings, post, make_comment):
    """Approvals borrowed under another name, or look-alike addresses, do not count towards the hold."""
    settings.COMMENTS_APPROVED_TO_SKIP_HOLD = 2
    approve_earlier(make_comment, post, 1, email="ann@mail.example")
    approve_earlier(make_comment, post, 1, email="ann@mail.example", name="Someone Else")
    approve_earlier(make_comment, post, 1, email=f"ann@ma{DOTLESS_I}l.example")

    comment = make_comment(post, author_name="Ann Example", author_email="Ann@Mail.Example", commit=False)

    assert rules.verdict(comment) == (Status.PENDING, Reason.TOO_FEW_APPROVED)


# The rejection rate


def reject_earlier(make_comment, post, statuses, *, email, days_ago=2):
    for status in statuses:
        make_comment(
            post,
            author_email=email,
            author_name="Whoever",
            status=status,
            created_at=timezone.now() - timedelta(days=days_ago),
        )


def test_an_author_often_rejected_is_held(settings, post, make_comment, run_tasks, desk, smtp_server):
    """Two of an author's four decided comments of the last days in spam or the Trash (over 40 %) hold the next."""
    settings.COMMENTS_REJECTION_RATE, settings.COMMENTS_REJECTION_MIN = 40, 3
    reject_earlier(make_comment, post, [Status.SPAM, Status.TRASH, Status.APPROVED], email="ann@mail.example")
    approve_earlier(make_comment, post, 1, email="ann@mail.example")  # known: only the rate holds it

    comment = checked(post_comment(post, email="ann@mail.example"), run_tasks)

    assert_reason_shown(comment, Reason.REJECTION_RATE, desk=desk, smtp_server=smtp_server)


@pytest.mark.parametrize(
    ("rejected", "approved", "days_ago", "held"),
    [
        pytest.param(2, 2, 2, False, id="exactly the rate is not over it"),
        pytest.param(3, 2, 2, True, id="over the rate"),
        pytest.param(2, 0, 2, False, id="fewer decided than the minimum"),
        pytest.param(3, 0, 20, False, id="older than the window"),
    ],
)
def test_the_rate_counts_decided_comments_of_the_window_once_there_are_enough(
    settings, post, make_comment, rejected, approved, days_ago, held
):
    """The rate must exceed COMMENTS_REJECTION_RATE, over COMMENTS_REJECTION_MIN decided comments of the last days."""
    settings.COMMENTS_REJECTION_RATE, settings.COMMENTS_REJECTION_MIN = 50, 3
    settings.COMMENTS_REJECTION_DAYS, settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = 14, False
    reject_earlier(make_comment, post, [Status.SPAM] * rejected + [Status.APPROVED] * approved, email="x@mail.example",
                   days_ago=days_ago)  # fmt: skip
    reject_earlier(make_comment, post, [Status.PENDING] * 5, email="x@mail.example")  # undecided: not counted

    verdict = rules.verdict(make_comment(post, author_email="x@mail.example", commit=False))

    assert verdict == ((Status.PENDING, Reason.REJECTION_RATE) if held else (Status.APPROVED, Reason.RULES_PASSED))


def test_a_new_name_does_not_wash_away_rejections_but_a_look_alike_has_none(settings, post, make_comment):
    """Rejections follow the email (any name, any ASCII case); an address with a dotless i is someone else's."""
    settings.COMMENTS_REJECTION_RATE, settings.COMMENTS_REJECTION_MIN = 50, 1
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = False
    reject_earlier(make_comment, post, [Status.SPAM], email="x@mail.example")

    renamed = make_comment(post, author_name="A New Name", author_email="X@MAIL.example", commit=False)
    look_alike = make_comment(post, author_email=f"x@ma{DOTLESS_I}l.example", commit=False)

    assert rules.verdict(renamed) == (Status.PENDING, Reason.REJECTION_RATE)
    assert rules.verdict(look_alike) == (Status.APPROVED, Reason.RULES_PASSED)


def test_the_rate_is_off_by_default(post, make_comment):
    """Without COMMENTS_REJECTION_RATE, an author with only spam behind them meets the usual rules."""
    reject_earlier(make_comment, post, [Status.SPAM] * 5, email="x@mail.example")
    assert rules.verdict(make_comment(post, author_email="x@mail.example", commit=False))[1] == Reason.FIRST_COMMENT


# Email domains


def test_a_comment_from_a_held_domain_is_held(settings, post, make_comment, run_tasks, desk, smtp_server):
    """A known author writing from a subdomain of a held domain (listed in capitals, with a final dot) is held."""
    settings.COMMENTS_HELD_DOMAINS = ["Burner.EXAMPLE."]
    approve_earlier(make_comment, post, 1, email="ann@eu.burner.example")

    comment = checked(post_comment(post, email="ann@EU.burner.example"), run_tasks)

    assert_reason_shown(comment, Reason.HELD_DOMAIN, desk=desk, smtp_server=smtp_server)


@pytest.mark.parametrize(
    ("address", "listed"),
    [
        ("a@burner.example", True),
        ("a@mail.burner.example", True),
        ("a@BURNER.example", True),
        ("a@notburner.example", False),
        ("a@burner.example.org", False),
        (f"a@burner.ex{DOTLESS_I}mple", False),  # xn--...: another domain, whoever registers it
        (
            f"a@{fullwidth('burner')}.example",
            True,
        ),  # fullwidth letters: IDNA reads them as burner.example, where the mail goes
        ("burner.example", False),
    ],
)
def test_a_domain_matches_itself_and_its_subdomains_as_mail_reads_it(address, listed):
    """A listed domain matches itself and its subdomains, in any case and any spelling IDNA maps to it, and no other."""
    assert (rules.listed_domain(address, [" burner.example. "]) is not None) is listed


@pytest.mark.parametrize(
    "entry", [f"{fullwidth('burner')}.example", "@burner.example", "BURNER.EXAMPLE.", " burner.example "]
)
def test_a_listed_domain_is_read_as_an_email_domain_is(entry):
    """Entries in fullwidth letters, with an "@" or a final dot, in capitals or spaced are the domain mail reaches."""
    assert rules.domain_key(entry) == "burner.example"


def test_a_comment_from_a_refused_domain_is_not_stored_and_the_reader_is_told(settings, post, run_tasks, smtp_server):
    """A refused domain (or its subdomain) gets the form back with a polite reason; nothing is stored or emailed."""
    settings.COMMENTS_REFUSED_DOMAINS = ["spam.example"]

    response = post_comment(post, email="ann@Mail.Spam.Example", comment="Hello <script>x</script>")
    run_tasks()

    assert response.status_code == 400
    page = response.content.decode()
    assert "Sorry, this site does not accept comments from email addresses at spam.example." in page
    assert "Hello &lt;script&gt;x&lt;/script&gt;" in page  # the reader's words are handed back, escaped
    assert not Comment.objects.exists()
    assert smtp_server.messages == []


def test_a_disallowed_word_beats_a_refused_domain(settings, post, run_tasks):
    """A comment that a disallowed word sends to the Trash is stored there, not refused: spammers learn nothing."""
    settings.COMMENTS_REFUSED_DOMAINS = ["spam.example"]
    settings.COMMENTS_DISALLOWED_WORDS = ["casino"]

    comment = checked(post_comment(post, email="ann@spam.example", comment="Best CASINO."), run_tasks)

    assert (comment.status, comment.reason) == (Status.TRASH, Reason.DISALLOWED_WORDS)


def test_a_held_domain_beats_hold_all_the_rate_and_trust(settings, post, make_comment, moderator):
    """The order: a held domain is the reason given before "hold everything", the rejection rate and trust."""
    settings.COMMENTS_HELD_DOMAINS = ["burner.example"]
    settings.COMMENTS_HOLD_ALL = True
    comment = make_comment(post, author_email="a@burner.example", commit=False)
    TrustedCommenter.objects.create(email_key="a@burner.example", marked_by=moderator)

    assert rules.verdict(comment) == (Status.PENDING, Reason.HELD_DOMAIN)
    settings.COMMENTS_HELD_DOMAINS = []
    assert rules.verdict(comment) == (Status.PENDING, Reason.HOLD_ALL)


# Trusted commenters


def trust_from_the_list(desk, comments, action="trust_author"):
    data = {"action": action, "_selected_action": [comment.pk for comment in comments]}
    return desk.post(changelist(status="pending"), data, follow=True)


def test_a_moderator_trusts_an_author_from_the_list_and_their_links_pass(
    settings, post, make_comment, run_tasks, desk, smtp_server, moderator
):
    """ "Trust this author" on a held comment: the author's next comment, with two links and a moderation word,
    is approved as a trusted commenter's, and the marking is noted in the history of the comment it was done from."""
    settings.COMMENTS_MODERATION_WORDS = ["pharmacy"]
    first = checked(post_comment(post, email="ann@mail.example"), run_tasks)
    assert first.reason == Reason.FIRST_COMMENT

    response = trust_from_the_list(desk, [first, first])
    assert "1 author now trusted." in response.text

    mark = TrustedCommenter.objects.get()
    assert (mark.email_key, mark.user, mark.marked_by) == ("ann@mail.example", None, moderator)
    note = first.events.last()
    assert (note.moderator, note.note, note.from_status, note.to_status) == (
        moderator, moderation.TRUSTED_NOTE, Status.PENDING, Status.PENDING
    )  # fmt: skip
    smtp_server.messages.clear()

    comment = checked(
        post_comment(post, email="Ann@Mail.Example", comment=f"Ask your pharmacy. {TWO_LINKS}"), run_tasks
    )

    assert_reason_shown(comment, Reason.TRUSTED, desk=desk, smtp_server=smtp_server, held=False)


def test_trust_does_not_pass_a_look_alike(post, make_comment, moderator):
    """A mark on ann@mail.example trusts its ASCII-case spellings, and not the dotless-i domain's mailbox."""
    trusted = make_comment(post, author_email="ann@mail.example", status=Status.PENDING)
    moderation.trust_author(trusted, moderator=moderator)

    same = make_comment(post, author_email="ANN@MAIL.EXAMPLE", body=TWO_LINKS, commit=False)
    wide = make_comment(post, author_email=f"ann@{fullwidth('mail')}.example", body=TWO_LINKS, commit=False)
    look_alike = make_comment(post, author_email=f"ann@ma{DOTLESS_I}l.example", body=TWO_LINKS, commit=False)

    assert rules.verdict(same) == (Status.APPROVED, Reason.TRUSTED)
    assert rules.verdict(wide) == (Status.APPROVED, Reason.TRUSTED)  # one mailbox (email_key): IDNA maps it
    assert rules.verdict(look_alike) == (Status.PENDING, Reason.TOO_MANY_LINKS)


def test_a_look_alike_local_part_is_refused_by_the_form(post, make_comment, moderator):
    """A Unicode letter before the @ that folds to a trusted address's never reaches the rules: the form refuses it."""
    moderation.trust_author(make_comment(post, author_email="kim@mail.example"), moderator=moderator)

    response = post_comment(post, email="\u212aim@mail.example")

    assert response.status_code == 400
    assert not Comment.objects.exclude(author_email="kim@mail.example").exists()


def test_an_account_is_trusted_by_the_account(post, make_comment, make_user, moderator):
    """A comment written from an account trusts the account, whatever email or name it writes with later."""
    member = make_user(email="member@mail.example")
    moderation.trust_author(make_comment(post, user=member), moderator=moderator)

    later = make_comment(post, user=member, author_email="", author_name="New Name", body=TWO_LINKS, commit=False)

    assert TrustedCommenter.objects.get().user == member
    assert rules.verdict(later) == (Status.APPROVED, Reason.TRUSTED)


def test_stop_trusting_removes_the_mark_and_notes_it(settings, post, make_comment, desk, moderator):
    """ "Stop trusting" removes the mark; the author's links are held again; the history says who did it."""
    comment = make_comment(post, author_email="ann@mail.example", status=Status.PENDING)
    moderation.trust_author(comment, moderator=moderator)

    response = trust_from_the_list(desk, [comment], action="stop_trusting")

    assert "1 author no longer trusted by a moderator." in response.text
    assert not TrustedCommenter.objects.exists()
    assert [(event.moderator, event.note) for event in comment.events.all()][-2:] == [
        (moderator, moderation.TRUSTED_NOTE),
        (moderator, moderation.UNTRUSTED_NOTE),
    ]
    again = make_comment(post, author_email="ann@mail.example", body=TWO_LINKS, commit=False)
    assert rules.verdict(again) == (Status.PENDING, Reason.TOO_MANY_LINKS)


def test_authors_with_enough_approved_comments_are_trusted_automatically(
    settings, post, make_comment, run_tasks, desk, smtp_server
):
    """With COMMENTS_TRUSTED_AFTER = 2, an author's third comment skips the link hold; with one approved, not."""
    settings.COMMENTS_TRUSTED_AFTER = 2
    approve_earlier(make_comment, post, 2, email="ann@mail.example")
    approve_earlier(make_comment, post, 1, email="bob@mail.example", name="Bob")

    trusted = checked(post_comment(post, email="ann@mail.example", comment=TWO_LINKS), run_tasks)
    held = checked(post_comment(post, email="bob@mail.example", name="Bob", comment=TWO_LINKS), run_tasks)

    assert_reason_shown(trusted, Reason.TRUSTED, desk=desk, smtp_server=smtp_server, held=False)
    assert_reason_shown(held, Reason.TOO_MANY_LINKS, desk=desk, smtp_server=smtp_server)


def test_often_rejected_holds_even_a_trusted_author(settings, post, make_comment, moderator):
    """Trust skips the link and word holds only: a trusted author whose comments are often rejected is held."""
    settings.COMMENTS_REJECTION_RATE, settings.COMMENTS_REJECTION_MIN = 40, 1
    reject_earlier(make_comment, post, [Status.SPAM], email="ann@mail.example")
    moderation.trust_author(make_comment(post, author_email="ann@mail.example"), moderator=moderator)

    comment = make_comment(post, author_email="ann@mail.example", commit=False)

    assert rules.verdict(comment) == (Status.PENDING, Reason.REJECTION_RATE)


def test_an_erased_comment_trusts_nobody(post, make_comment, moderator):
    """A comment whose author erased their details has no one to trust: nothing is marked, nothing noted."""
    comment = make_comment(post, author_email="", author_name="Anonymous")

    assert moderation.trust_author(comment, moderator=moderator) is None
    assert not TrustedCommenter.objects.exists()
    assert not CommentEvent.objects.exists()


# The list of trusted commenters in the admin


def test_moderators_see_the_trusted_commenters_and_may_remove_one(post, make_comment, make_user, desk, moderator):
    """Comments, Trusted commenters lists who is trusted, by whom and when; a moderator may delete a mark."""
    moderation.trust_author(make_comment(post, author_email="ann@mail.example"), moderator=moderator)
    member = make_user("bea", first_name="Bea", email="bea@mail.example")
    moderation.trust_author(make_comment(post, user=member), moderator=moderator)

    page = desk.get(reverse("admin:comments_trustedcommenter_changelist"))

    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "ann@mail.example" in text and "Bea (account bea)" in text
    assert text.count("Mo Derator") == 2
    mark = TrustedCommenter.objects.get(user=member)
    deleted = desk.post(reverse("admin:comments_trustedcommenter_delete", args=[mark.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert list(TrustedCommenter.objects.values_list("email_key", flat=True)) == ["ann@mail.example"]


def test_a_moderator_trusts_an_address_before_its_owner_comments(post, make_comment, desk, moderator):
    """Adding an address by hand trusts every spelling of its mailbox, and no look-alike; twice is refused."""
    add = reverse("admin:comments_trustedcommenter_add")

    response = desk.post(add, {"email": "ANN@Mail.Example", "note": "Our <b>co-author</b>."})

    assert response.status_code == 302
    mark = TrustedCommenter.objects.get()
    assert (mark.email_key, mark.user, mark.marked_by, mark.note) == (
        "ann@mail.example", None, moderator, "Our <b>co-author</b>."
    )  # fmt: skip
    assert "Our &lt;b&gt;co-author&lt;/b&gt;." in desk.get(reverse("admin:comments_trustedcommenter_changelist")).text
    again = desk.post(add, {"email": "ann@mail.example", "note": ""})
    assert "This address is trusted already." in again.text
    look_alike = make_comment(post, author_email=f"ann@ma{DOTLESS_I}l.example", body=TWO_LINKS, commit=False)
    assert rules.verdict(look_alike) == (Status.PENDING, Reason.TOO_MANY_LINKS)
    assert rules.verdict(make_comment(post, author_email="ann@mail.example", body=TWO_LINKS, commit=False)) == (
        Status.APPROVED, Reason.TRUSTED
    )  # fmt: skip


@pytest.mark.parametrize("email", ["ann@mail.example\r\nBcc: x@evil.example", "not an address", "ann@[192.0.2.1]"])
def test_an_address_the_site_cannot_key_is_not_trusted(desk, email):
    """The add form takes only an address the site can tell apart from others (validate_address)."""
    response = desk.post(reverse("admin:comments_trustedcommenter_add"), {"email": email, "note": ""})

    assert response.status_code == 200
    assert not TrustedCommenter.objects.exists()


def test_staff_who_may_not_moderate_do_not_see_the_list(client, make_user):
    """The trusted commenters are the moderators': staff without rights over comments are refused the list."""
    client.force_login(make_user(is_staff=True))
    assert client.get(reverse("admin:comments_trustedcommenter_changelist")).status_code == 403


# An author's standing, for the queue's author panel


def test_an_authors_standing_counts_their_comments_and_says_if_they_are_trusted(
    settings, post, make_comment, moderator
):
    """author_standing counts the author's comments (account or email, any name) by status, and their trust."""
    for status in [Status.APPROVED, Status.APPROVED, Status.PENDING, Status.SPAM, Status.TRASH]:
        make_comment(post, author_email="ann@mail.example", author_name=f"Ann {status}", status=status)
    make_comment(post, author_email="someone@mail.example")
    comment = make_comment(post, author_email="ANN@mail.example", commit=False)

    standing = rules.author_standing(comment)
    assert (standing.approved, standing.pending, standing.rejected, standing.trusted) == (2, 1, 2, False)

    mark = moderation.trust_author(Comment.objects.filter(author_name="Ann pending").get(), moderator=moderator)
    assert rules.author_standing(comment).trust_mark == mark
    assert rules.author_standing(comment).trusted is True


# Every lookup is answered by an index


def test_the_trust_rules_read_indexes_not_every_comment(settings, post, make_comment, make_user, moderator):
    """The rate, the approvals, the trust mark and the standing are each asked of an index, never a table scan."""
    settings.COMMENTS_REJECTION_RATE, settings.COMMENTS_TRUSTED_AFTER = 50, 3
    # A table read whole fails on either database. SQLite, which keeps no statistics here, must also pick the author's
    # index over the status or date one; PostgreSQL picks among indexes by the statistics it happens to hold (40 rows:
    # the status index can look as good as the author's), so there only a table scan fails.
    scan = r"Seq Scan" if connection.vendor == "postgresql" else r"^SCAN|comments_comment_(status|created_at)_"
    for _ in range(40):
        make_comment(post)
    TrustedCommenter.objects.create(email_key="other@mail.example", marked_by=moderator)
    for comment in (
        make_comment(post, author_email="ann@mail.example", commit=False),
        make_comment(post, user=make_user(email="ann@mail.example"), commit=False),
    ):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            rules.verdict(comment)
            rules.author_standing(comment)
        plans = [query_plan(query["sql"]) for query in queries.captured_queries]
        assert len(plans) >= 4, plans
        assert not any(re.search(scan, plan, re.M) for plan in plans), plans


# Erasure: a moderator's trust is held under the address


def test_erasing_an_address_removes_the_moderators_trust_of_it(post, make_comment, make_user, moderator):
    """ "Your comments and data" erasure removes the trust mark on the address (any spelling) and on its account."""
    from privacy import data

    moderation.trust_author(make_comment(post, author_email="ann@mail.example"), moderator=moderator)
    member = make_user(email="ann@mail.example")
    moderation.trust_author(make_comment(post, user=member), moderator=moderator)
    moderation.trust_author(make_comment(post, author_email="bob@mail.example"), moderator=moderator)

    data.erase(data.holdings("ANN@Mail.Example"))

    assert list(TrustedCommenter.objects.values_list("email_key", flat=True)) == ["bob@mail.example"]


def test_an_erased_authors_standing_is_empty(post, make_comment):
    """A comment whose author's details were erased stands for nobody: no counts, no trust (and no error)."""
    make_comment(post, author_email="", author_name="Anonymous", status=Status.SPAM)
    erased = make_comment(post, author_email="", author_name="Anonymous")

    nobody = rules.Standing(approved=0, pending=0, rejected=0, trusted=False, trust_mark=None)
    assert rules.author_standing(erased) == nobody
