"""Addresses that fold into another: one key per mailbox (groundwork/email_addresses.py), and what it keeps apart.

The letters that fold into ASCII - dotless `ı`, dotted `İ`, long `ſ` and the Kelvin sign `K` - once let an
address that is not a reader's reach the reader's data: PostgreSQL's UPPER() folds `ı` to `I` and `ſ` to `S`,
and a data link asked for `x@maıl.example` (mailed to `xn--mal-kua.example`, a domain anyone may register)
showed, downloaded and erased `x@mail.example`'s. Every comparison now goes by `email_key`: ASCII case is
ignored, the domain is read as IDNA reads it (as mail is delivered), and nothing else folds. These tests run
on SQLite and on PostgreSQL (bin/with-postgres), through the real forms, pipeline, worker and SMTP.
"""  # noqa: RUF002 (the letters that fold into ASCII are what these tests are about)

import itertools
import json
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from captcha.models import CaptchaStore
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import erasure, moderation, notifications, rules
from comments.forms import issue_timestamp
from comments.models import Comment, Reason, Status
from demo.provider import Person
from groundwork.email_addresses import email_key, matching, validate_address
from privacy import data
from privacy.models import DataRequest
from subscriptions import followers
from subscriptions.models import Address, Subscription
from tests.test_social_login import log_in

pytestmark = pytest.mark.django_db

DOTLESS_I, DOTTED_CAPITAL_I, LONG_S, KELVIN = "\u0131", "\u0130", "\u017f", "\u212a"
VICTIM = "x@mail.example"
# Spellings that fold into VICTIM under UPPER() or LOWER() but whose mail goes elsewhere: in the domain, IDNA
# reads them as other domains (xn--...), which anyone may register.
DOMAIN_LOOK_ALIKES = {
    "dotless i": (f"x@ma{DOTLESS_I}l.example", "x@xn--mal-kua.example"),
    "dotted capital I": (f"x@ma{DOTTED_CAPITAL_I}l.example", "x@xn--mail-swc.example"),
}
# In the part before the @ every letter but ASCII's is itself: these are other mailboxes of mail.example.
LOCAL_LOOK_ALIKES = {
    "dotless i": ("ivy@mail.example", f"{DOTLESS_I}vy@mail.example"),
    "dotted capital I": ("ivy@mail.example", f"{DOTTED_CAPITAL_I}vy@mail.example"),
    "long s": ("sam@mail.example", f"{LONG_S}am@mail.example"),
    "Kelvin sign": ("kim@mail.example", f"{KELVIN}im@mail.example"),
}
LOOK_ALIKES = [
    *(pytest.param(VICTIM, spelled, id=f"{name} in the domain") for name, (spelled, _) in DOMAIN_LOOK_ALIKES.items()),
    *(pytest.param(*pair, id=f"{name} before the @") for name, pair in LOCAL_LOOK_ALIKES.items()),
]
_numbers = itertools.count(1)
URL = re.compile(r"https?://\S+")


@pytest.fixture(autouse=True)
def quick_readers(settings):
    """Forms may be sent back at once; a test that needs the flood rule sets it."""
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


# Helpers


def post_comment(client, post, *, email, name="Ann Example", ip="203.0.113.9", **fields):
    """Send the guest form (captcha answered) and return the site's answer."""
    key = CaptchaStore.generate_key()
    form = {
        "comment": f"Remark number {next(_numbers)}.",
        "name": name,
        "email": email,
        "url": "",
        "timestamp": issue_timestamp(post),
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        **fields,
    }
    return client.post(reverse("comments:post", args=[post.pk]), form, REMOTE_ADDR=ip)


def posted(response) -> Comment:
    assert response.status_code == 302, response.content.decode()[:2000]
    return Comment.objects.get(pk=int(response["Location"].rpartition("#comment-")[2]))


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def ask_for_link(client, email):
    page = client.get(reverse("privacy:request"))
    return client.post(reverse("privacy:request"), {"csrfmiddlewaretoken": csrf_token(page), "email": email})


def data_link(smtp_server, delivered_to: str) -> str:
    """The path of the last data link the mail server took for the envelope recipient `delivered_to`."""
    [*_, received] = [m for m in smtp_server.to(delivered_to) if "Your comments and data" in m.subject]
    return next(urlsplit(url).path for url in URL.findall(received.text) if "/privacy/your-data/" in url)


def press(client, link, action, **fields):
    page = client.get(link)
    return client.post(link + action, {"csrfmiddlewaretoken": csrf_token(page), **fields})


def approve(comment, moderator):
    moderation.moderate(Comment.objects.get(pk=comment.pk), "approve", moderator=moderator)


# The key


def test_ascii_case_is_ignored_and_no_other_case():
    """`X@Mail.Example` is `x@mail.example`; a letter outside ASCII is never folded, before the @ or after it."""
    assert email_key("X@Mail.Example") == email_key("x@MAIL.example") == "x@mail.example"
    assert email_key(f"{LONG_S}AM@Mail.Example") == f"{LONG_S}am@mail.example"
    assert email_key(f"{KELVIN}IM@mail.example") == f"{KELVIN}im@mail.example"
    assert email_key(f"{DOTTED_CAPITAL_I}VY@mail.example") == f"{DOTTED_CAPITAL_I}vy@mail.example"
    assert email_key(f"{DOTLESS_I}VY@mail.example") == f"{DOTLESS_I}vy@mail.example"


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_has_a_key_of_its_own(ascii_address, look_alike):
    """Each letter that folds into ASCII, before the @ or in a domain IDNA reads as another, keeps the key apart."""
    assert email_key(look_alike) != email_key(ascii_address)
    assert email_key(look_alike) != email_key(ascii_address.upper())


def test_in_the_domain_idna_decides_which_spellings_are_one_domain():
    """The domain is keyed as mail goes: A- and U-label, long s and s, Kelvin sign and k, wide letters, alike."""
    assert email_key(f"x@ma{DOTLESS_I}l.example") == email_key("x@XN--MAL-KUA.example") == "x@xn--mal-kua.example"
    assert email_key(f"x@ma{LONG_S}s.example") == email_key("x@mass.example") == "x@mass.example"
    assert email_key(f"x@{KELVIN}ite.example") == email_key("x@kite.example") == "x@kite.example"
    assert email_key("x@\uff2d\uff21\uff29\uff2c\u3002example") == "x@mail.example"  # full-width, ideographic stop
    assert email_key(f"x@ma{DOTTED_CAPITAL_I}l.example") == "x@xn--mail-swc.example"


def test_an_ascii_domain_is_compared_as_dns_compares_it_and_one_idna_refuses_as_written():
    """ASCII names (an IP literal, hyphens IDNA 2008 reserves) lose their ASCII case only; a refused Unicode one too."""
    assert email_key("X@[192.0.2.1]") == "x@[192.0.2.1]"
    assert email_key("X@Under_Score.example") == "x@under_score.example"
    assert email_key("X@R3---SN-ABC.example") == "x@r3---sn-abc.example"
    assert email_key("\u2665@\u2665.EXAMPLE") == "\u2665@\u2665.example"
    assert email_key("NoAt") == "noat"
    assert email_key("") == ""


# What a stranger may type


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ('"form\x0cfeed"@mail.example', "Control characters are not allowed."),
        ('"next\x85line"@mail.example', "Control characters are not allowed."),
        (f"{LONG_S}am@mail.example", "Write the part before the @ in plain ASCII"),
        (f"{KELVIN}im@mail.example", "Write the part before the @ in plain ASCII"),
        (f"{DOTLESS_I}vy@mail.example", "Write the part before the @ in plain ASCII"),
        ("x@[192.0.2.1]", "Write a domain name after the @, not an IP address."),
        ("x@\u2665.example", "The part after the @ is not a domain name mail can be sent to."),
        ("x@stra\u00dfe.example", "write the domain as xn--strae-oqa.example"),
    ],
)
def test_the_forms_refuse_an_address_the_site_could_not_mail_or_tell_apart(client, post, address, message):
    """The guest form and the data-link form refuse, saying why: nothing stored, nothing queued."""
    comment = post_comment(client, post, email=address)
    link = ask_for_link(Client(), address)

    for response in (comment, link):
        assert response.status_code == 400
        assert message in response.content.decode().replace("&#x27;", "'")
    assert not Comment.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_addresses_in_every_case_and_international_domains_are_accepted():
    """ASCII in any case, any ASCII domain name, and a domain in Unicode or in its xn-- form, can be mailed."""
    accepted = (
        "X@Mail.Example",
        f"x@ma{DOTLESS_I}l.example",
        "x@XN--MAL-KUA.example",
        "x@r3---sn.example",
        "x@localhost",
    )
    for address in accepted:
        validate_address(address)
    with pytest.raises(ValidationError):
        validate_address('"a\x00b"@mail.example')


def test_a_login_provider_s_sign_up_form_refuses_them_too(client, providers, post):
    """X gives no email: the address the reader is asked for is checked as the comment form's is."""
    providers.person = Person("Xena Example", "", profile_url="https://x.example/xena")
    response = log_in(client, providers, "twitter_oauth2", post, email_for_signup='"form\x0cfeed"@mail.example')
    assert response.status_code == 200
    assert "Control characters are not allowed." in response.content.decode()
    assert not get_user_model().objects.filter(email__contains="feed").exists()


# "Your comments and data"


@pytest.fixture
def victim(client, mail_through_smtp, providers, run_tasks, moderator, post):
    """x@mail.example: a comment, a confirmed subscription, a login account, an admin login tried, a link had."""
    providers.person = Person("Victor Tim", VICTIM, profile_url="https://victor.example/")
    account_browser = Client()
    log_in(account_browser, providers, "google", post)
    comment = posted(post_comment(Client(), post, email=VICTIM, name="Victor Tim", subscribe_comments="subscribe"))
    run_tasks()
    approve(comment, moderator)
    Subscription.objects.filter(address__email=VICTIM).confirm(timezone.now())
    Client().post(reverse("admin:login"), {"username": VICTIM, "password": "guess"}, REMOTE_ADDR="192.0.2.7")
    assert ask_for_link(Client(), VICTIM).status_code == 200
    run_tasks()
    return comment


def holdings_of_victim() -> tuple:
    comment = Comment.objects.get(author_name="Victor Tim")
    return (
        comment.author_email,
        Address.objects.get(email=VICTIM).subscriptions.confirmed().count(),
        get_user_model().objects.filter(email=VICTIM).count(),
        EmailAddress.objects.filter(email=VICTIM).count(),
        AccessAttempt.objects.filter(username=VICTIM).count(),
        sum(VICTIM in json.dumps(result.return_value) for result in DBTaskResult.objects.all()),
    )


@pytest.mark.parametrize(("look_alike", "delivered_to"), DOMAIN_LOOK_ALIKES.values(), ids=DOMAIN_LOOK_ALIKES.keys())
def test_a_data_link_for_a_look_alike_shows_downloads_and_erases_nothing_of_the_reader(
    victim, smtp_server, run_tasks, look_alike, delivered_to
):
    """Asked for the look-alike, the link goes to its own domain, and its page, file and Erase hold nothing of x's."""
    before = holdings_of_victim()
    assert before[:5] == (VICTIM, 1, 1, 1, 1) and before[5] > 0
    stranger = Client(enforce_csrf_checks=True)

    assert ask_for_link(stranger, look_alike).status_code == 200
    run_tasks()
    link = data_link(smtp_server, delivered_to)

    page = stranger.get(link).content.decode()
    assert "Nothing: no comment, subscription or account on this site uses this address." in page
    assert "Victor" not in page and "Remark" not in page
    exported = json.loads(press(stranger, link, "download/").content)
    assert (exported["comments"], exported["subscriptions"]["followed"], exported["accounts"]) == ([], [], [])
    assert press(stranger, link, "erase/", comments="anonymize", sure="on").status_code == 200
    assert holdings_of_victim() == before
    assert list(DataRequest.objects.order_by("at").values_list("action", "comments", "subscriptions", "accounts")) == [
        ("export", 0, 0, 0),
        ("anonymize", 0, 0, 0),
    ]


def test_the_reader_in_another_case_is_the_same_reader(victim, smtp_server, run_tasks):
    """`X@Mail.Example`'s link shows x@mail.example's comment, subscription and account: one mailbox."""
    assert ask_for_link(Client(), "X@Mail.Example").status_code == 200
    run_tasks()
    page = Client().get(data_link(smtp_server, "X@Mail.Example")).content.decode()
    assert "Remark" in page and "Victor" in page and "New comments on" in page
    assert "Nothing: no comment" not in page


def test_a_spelling_idna_reads_as_the_readers_domain_is_mailed_to_the_reader(victim, smtp_server, run_tasks):
    """A long s and a Kelvin sign in a domain are s and k to IDNA: the link for that spelling reaches the reader."""
    sam = posted(post_comment(Client(), victim.post, email="sam@kiosk.example", name="Sam Kiosk"))
    assert ask_for_link(Client(), f"sam@{KELVIN}io{LONG_S}k.example").status_code == 200
    run_tasks()
    page = Client().get(data_link(smtp_server, "sam@kiosk.example")).content.decode()
    assert sam.body in page


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_what_is_held_under_an_address_leaves_out_its_look_alikes(make_comment, make_user, ascii_address, look_alike):
    """Comments, subscriptions and accounts stored under a look-alike (an import, a provider) are not the reader's."""
    mine = make_comment(author_email=ascii_address.upper())
    theirs = make_comment(author_email=look_alike)
    Address.objects.for_email(look_alike)
    make_user("lookalike", email=look_alike)
    EmailAddress.objects.create(user=make_user("listed", email="other@example.org"), email=look_alike)

    held = data.holdings(ascii_address)

    assert held.comments == [mine]
    assert held.address is None and held.accounts == []
    assert data.holdings(look_alike).comments == [theirs]


def test_an_account_is_found_under_either_spelling_of_its_domain(make_user):
    """An account whose provider gave the xn-- form is the one whose owner asks with the Unicode form."""
    account = make_user("ivy", email="IVY@xn--mal-kua.example")
    assert list(data.linked_accounts(f"ivy@ma{DOTLESS_I}l.example")) == [account]
    assert list(data.linked_accounts("ivy@mail.example")) == []
    assert matching(get_user_model().objects.all(), "email", f"Ivy@MA{DOTLESS_I}L.example") == [account]


# Following by email


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_follows_under_an_address_of_its_own(ascii_address, look_alike):
    """Each spelling that is another mailbox gets its own address row; another case of one is that row."""
    reader = Address.objects.for_email(ascii_address)
    reader.opted_out_at = timezone.now()
    reader.save(update_fields=["opted_out_at"])

    stranger = Address.objects.for_email(look_alike)

    assert stranger.pk != reader.pk and not stranger.opted_out
    assert Address.objects.for_email(ascii_address.upper()) == reader
    assert Address.objects.get_by_email(look_alike) == stranger


@pytest.mark.parametrize(("look_alike", "delivered_to"), DOMAIN_LOOK_ALIKES.values(), ids=DOMAIN_LOOK_ALIKES.keys())
def test_ticking_notify_me_as_a_look_alike_asks_the_look_alike(
    mail_through_smtp, client, run_tasks, post, look_alike, delivered_to
):
    """A reader who asked for no email stays so; the look-alike's confirmation goes to the look-alike's domain."""
    reader = Address.objects.for_email(VICTIM)
    reader.opted_out_at = timezone.now()
    reader.save(update_fields=["opted_out_at"])

    posted(post_comment(client, post, email=look_alike, subscribe_comments="subscribe"))
    run_tasks()

    reader.refresh_from_db()
    assert reader.opted_out and not reader.subscriptions.exists()
    assert [m.subject for m in mail_through_smtp.to(delivered_to)] == [
        "[The Quiet Margin] Please confirm your subscription"
    ]
    assert mail_through_smtp.to(VICTIM) == []


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_a_follower_hears_of_a_look_alike_s_comment_but_not_of_their_own(make_comment, post, ascii_address, look_alike):
    """A comment by a look-alike is told to the follower; one by the follower, in any case, is not."""
    Subscription.objects.create(
        address=Address.objects.for_email(ascii_address), post=post, confirmed_at=timezone.now()
    )
    by_look_alike = make_comment(post, author_email=look_alike)
    by_follower = make_comment(post, author_email=ascii_address.upper())

    assert followers.tell_followers.call(by_look_alike.pk).startswith("1 email(s)")
    assert followers.tell_followers.call(by_follower.pk).startswith("0 email(s)")


# The rules


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_is_not_a_known_author(settings, post, make_comment, ascii_address, look_alike):
    """Auto-approval of a known author needs the same name and mailbox: a look-alike's first comment is held."""
    settings.COMMENTS_REQUIRE_KNOWN_AUTHOR = True
    make_comment(post, author_name="Ann Example", author_email=ascii_address)

    stranger = make_comment(post, author_name="Ann Example", author_email=look_alike, commit=False)
    same = make_comment(post, author_name="Ann Example", author_email=ascii_address.upper(), commit=False)

    assert rules.verdict(stranger) == (Status.PENDING, Reason.FIRST_COMMENT)
    assert rules.verdict(same) == (Status.APPROVED, Reason.KNOWN_AUTHOR)


@pytest.mark.parametrize(("ascii_address", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_neither_duplicates_nor_floods_the_reader(settings, post, make_comment, ascii_address, look_alike):
    """The reader's words said by a look-alike just after are the look-alike's own; the reader again is refused."""
    settings.COMMENTS_FLOOD_SECONDS = 60
    make_comment(post, author_email=ascii_address, body="Well said.", ip_address="192.0.2.1")

    stranger = make_comment(post, author_email=look_alike, body="Well said.", ip_address="198.51.100.1", commit=False)
    repeated = make_comment(post, author_email=ascii_address.upper(), body="Well said.", commit=False)
    hurried = make_comment(post, author_email=ascii_address.upper(), body="And another thing.", commit=False)

    assert rules.refusal(stranger) is None
    assert rules.refusal(repeated) == rules.DUPLICATE_MESSAGE
    assert rules.refusal(hurried) == rules.FLOOD_MESSAGE
    assert rules.sender_locks(hurried)[0] == f"comments.sender.email:{ascii_address}"
    assert rules.sender_locks(stranger)[0] != rules.sender_locks(hurried)[0]


def test_the_known_author_rule_reads_an_index_not_every_approved_comment(post, make_comment, make_user):
    """The database answers "has this account, or this name and email, an approved comment?" from indexes."""
    for _ in range(40):
        make_comment(post)  # others' approved comments, which the rule must not read through
    make_comment(post, author_email="ann@mail.example", author_name="Ann Example")
    guest = make_comment(post, author_email="ANN@mail.example", author_name="Ann Example", commit=False)
    member = make_comment(post, user=make_user(email="ann@mail.example"), commit=False)
    for comment in (guest, member):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            assert rules.has_known_author(comment) is (comment is guest)
        plans = [query_plan(query["sql"]) for query in queries.captured_queries]
        assert plans and all(re.search(r"comments_author_key|comments_comment_user_id", plan) for plan in plans), plans
        assert not any(re.search(r"Seq Scan|^SCAN|comments_comment_status", plan, re.M) for plan in plans), plans


def query_plan(sql: str) -> str:
    """How the database would run `sql`."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole whatever its indexes
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


# Moderators and post authors


def test_the_moderators_addresses_are_one_per_mailbox(settings, post, make_comment):
    """Two spellings of one moderator's mailbox get one email; a look-alike in the list gets its own."""
    settings.COMMENTS_MODERATOR_EMAILS = ["mod@mail.example", "MOD@Mail.Example", f"mod@ma{DOTLESS_I}l.example"]
    held = make_comment(post, status=Status.PENDING)
    assert [r.email for r in notifications.held_recipients(held)] == [
        "mod@mail.example",
        f"mod@ma{DOTLESS_I}l.example",
    ]


@pytest.mark.parametrize("look_alike", [spelled for spelled, _ in DOMAIN_LOOK_ALIKES.values()])
def test_a_post_author_hears_of_a_look_alike_s_comment_but_not_of_their_own(
    settings, mail_through_smtp, run_tasks, make_user, make_post, make_comment, look_alike
):
    """The post's author is told of a comment written with a look-alike of their address, never of their own."""
    writer = make_user("writer", email=VICTIM, is_staff=True)
    post = make_post(author=writer)
    for author_email in (look_alike, "X@Mail.Example"):
        comment = make_comment(post, author_email=author_email, body=f"Written as {author_email}.")
        with transaction.atomic():
            notifications.comment_approved(comment)
    run_tasks()
    told = [m.message.get_body(preferencelist=("plain",)).get_content() for m in mail_through_smtp.to(VICTIM)]
    assert len(told) == 1 and f"Written as {look_alike}." in told[0]


# Kept with the address


def test_every_way_a_row_is_stored_stores_its_key(post, make_comment):
    """save(), an edit of the email alone, bulk_create (an import) and an erasure each leave the key right."""
    comment = make_comment(post, author_email="Ann@Mail.Example")
    assert comment.author_email_key == "ann@mail.example"
    comment.author_email = f"Ann@MA{DOTLESS_I}L.example"
    comment.save(update_fields=["author_email"])
    assert Comment.objects.get(pk=comment.pk).author_email_key == "ann@xn--mal-kua.example"
    [imported] = Comment.objects.bulk_create(
        [Comment.build(post=post, author_name="Old", author_email="OLD@Mail.Example", body="x")]
    )
    [address] = Address.objects.bulk_create(Address(email=f"{n}@Mail.Example") for n in ("New",))
    assert (imported.author_email_key, Address.objects.get(pk=address.pk).email_key) == (
        "old@mail.example",
        "new@mail.example",
    )

    erasure.anonymize(comment)

    assert Comment.objects.get(pk=comment.pk).author_email_key == ""
    assert not Comment.objects.written_by(f"ann@ma{DOTLESS_I}l.example").exists()


# Stored before: the migrations


@pytest.mark.django_db(transaction=True)
def test_the_migrations_key_every_stored_address_and_merge_the_spellings_of_one_mailbox():
    """Comments get their email's key; addresses that the key makes one are merged, keeping an opt-out."""
    old = [("comments", "0007_erasure"), ("subscriptions", "0002_moderators_see_and_remove_subscriptions")]
    executor = MigrationExecutor(connection)
    executor.migrate(old)
    try:
        blog_now = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "blog"]  # blog did not go back
        apps = executor.loader.project_state(old + blog_now).apps
        user = apps.get_model("auth", "User").objects.create(username="writer")
        post = apps.get_model("blog", "Post").objects.create(
            title="Old", slug="old", author=user, body="", published_at=timezone.now()
        )
        old_comment = apps.get_model("comments", "Comment").objects
        for address in ("X@Mail.Example", f"x@ma{DOTLESS_I}l.example", ""):
            old_comment.create(post=post, author_name="Old", author_email=address, body="Old.")
        old_address = apps.get_model("subscriptions", "Address").objects
        first = old_address.create(email="x@mass.example")
        second = old_address.create(email=f"X@MA{LONG_S}S.example", opted_out_at=timezone.now())
        other = old_address.create(email=f"x@ma{DOTLESS_I}l.example")
        old_subscription = apps.get_model("subscriptions", "Subscription").objects
        old_subscription.create(address=first, post=post)
        old_subscription.create(address=second, post=post, confirmed_at=timezone.now())
        old_subscription.create(address=second, post=None, confirmed_at=timezone.now())
    finally:  # forward again whatever happened: every later test needs the database as it is now
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(Comment.objects.values_list("author_email_key", flat=True)) == [
        "",
        "x@mail.example",
        "x@xn--mal-kua.example",
    ]
    assert Comment.objects.filter(author_email_key="x@mail.example").get().author_email == "X@Mail.Example"
    merged = Address.objects.get(email_key="x@mass.example")
    assert merged.pk == first.pk and merged.opted_out
    assert {(s.post_id, s.confirmed_at is not None) for s in merged.subscriptions.all()} == {
        (post.pk, True),
        (None, True),
    }
    assert Address.objects.get(pk=other.pk).email_key == "x@xn--mal-kua.example"
    assert Address.objects.count() == 2
