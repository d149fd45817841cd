"""Banning or suspending a commenter: by account, email, email domain or network, made in the admin (by hand or
from a comment's "Ban this author…"), refusing the banned person's comments through the real form with the reason,
and taking back what they wrote before in one action (to the Trash, or to Spam reported to Akismet)."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from comments import bans
from comments.models import Actor, Ban, Comment, CommentEvent, Reason, Status
from tests.test_addresses import query_plan
from tests.test_leave_a_reply import filled_in, form_state, page_of, send, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("comments_from_one_test_client")]

REFUSED = "the moderators of this site have stopped you commenting"


@pytest.fixture
def admin_client(client, moderator):
    client.force_login(moderator)
    return client


def ban_in_admin(client, *, query="", expect_saved=True, **fields):
    """Send the admin's "Add ban" form; returns the response (a redirect when saved)."""
    data = {"kind": "email", "user": "", "email": "", "domain": "", "network": "", "reason": "Spam, again."}
    data.update({"ends_at_0": "", "ends_at_1": ""}, **fields)
    before = Ban.objects.count()
    response = client.post(reverse("admin:comments_ban_add") + query, data)
    if expect_saved:
        assert response.status_code == 302, page_errors(response)
        assert Ban.objects.count() == before + 1
    else:
        assert response.status_code == 200
        assert Ban.objects.count() == before
    return response


def page_errors(response):
    return [" ".join(e.text.split()) for e in page_of(response).find_all(class_="errorlist")]


def comment_as_guest(post, *, ip="203.0.113.7", **fields):
    """A guest posts through the real form (JavaScript's path) from `ip`."""
    from django.test import Client

    reader = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)
    return send(reader, post, filled_in(reader, post, **fields))


def refused(response) -> bool:
    return response.status_code == 400 and REFUSED in text_of(response)


# Refusing through the real form


def test_a_banned_email_is_told_why_and_keeps_what_they_wrote(admin_client, post):
    """A banned address posting through the form gets a polite refusal with the reason; nothing is stored, the form
    keeps their text."""
    ban_in_admin(admin_client, kind="email", email="troll@example.com", reason="Personal attacks on other readers.")
    response = comment_as_guest(post, email="troll@example.com", comment="You are all wrong, again.")
    assert refused(response)
    assert "The reason they give: Personal attacks on other readers." in text_of(response)
    assert "Your comment was not posted, and will not be" in text_of(response)
    assert page_of(response).find("textarea", name="comment").text.strip() == "You are all wrong, again."
    assert not Comment.objects.filter(body="You are all wrong, again.").exists()
    assert comment_as_guest(post, email="someone.else@example.com").status_code == 302


def test_the_reason_is_shown_escaped(admin_client, post):
    """A reason holding markup is shown as text: no script reaches the refused person's page."""
    ban_in_admin(admin_client, kind="email", email="x@example.com", reason='<script>alert("ban")</script> & bye')
    response = comment_as_guest(post, email="x@example.com")
    assert refused(response)
    assert "<script>alert" not in response.content.decode()
    assert "&lt;script&gt;alert(&quot;ban&quot;)&lt;/script&gt; &amp; bye" in response.content.decode()


@pytest.mark.parametrize("spelling", ["Troll@Example.COM", "troll@EXAMPLE.com"])
def test_an_email_ban_catches_every_spelling_of_the_mailbox(admin_client, post, spelling):
    """The address is compared by its key: ASCII case in either part does not escape the ban."""
    ban_in_admin(admin_client, kind="email", email="troll@example.com")
    assert refused(comment_as_guest(post, email=spelling))


def test_an_email_ban_is_not_a_lookalike_ban(admin_client, post):
    """A lookalike address (examp1e for example) is someone else's, and is not caught."""
    ban_in_admin(admin_client, kind="email", email="mail@example.com")
    assert not refused(comment_as_guest(post, email="mail@examp1e.com"))


@pytest.mark.parametrize(
    ("email", "caught"),
    [
        ("a@spam.example", True),
        ("a@mail.spam.example", True),
        ("a@SPAM.Example", True),
        ("a@notspam.example", False),
        ("a@spam.example.org", False),
    ],
)
def test_a_domain_ban_catches_the_domain_and_under_it_only(admin_client, post, email, caught):
    """A domain ban catches addresses at the domain and its subdomains, never a domain that merely ends alike."""
    ban_in_admin(admin_client, kind="domain", domain="spam.example")
    assert refused(comment_as_guest(post, email=email)) == caught


def test_a_domain_ban_reads_the_domain_as_idna_does(admin_client, post):
    """A domain written in Unicode (or full-width letters) is stored as IDNA reads it and catches its A-label."""
    ban_in_admin(admin_client, kind="domain", domain="BÜCHER.example")
    assert Ban.objects.get().value == "xn--bcher-kva.example"
    assert refused(comment_as_guest(post, email="a@xn--bcher-kva.example"))


@pytest.mark.parametrize(
    ("network", "ip", "caught"),
    [
        ("203.0.113.0/24", "203.0.113.7", True),
        ("203.0.113.0/24", "203.0.113.255", True),
        ("203.0.113.0/24", "203.0.114.0", False),
        ("203.0.113.0/24", "203.0.112.255", False),
        ("203.0.113.99/24", "203.0.113.1", True),
        ("203.0.113.0/24", "::ffff:203.0.113.8", True),
        ("::ffff:203.0.113.0/120", "203.0.113.9", True),
        ("::ffff:203.0.113.0/120", "203.0.114.9", False),
        ("2001:db8:5::/48", "2001:db8:5:ffff::1", True),
        ("2001:db8:5::/48", "2001:db8:6::1", False),
        ("2001:db8:5::/48", "2001:db8:4:ffff:ffff:ffff:ffff:ffff", False),
        ("198.51.100.23", "198.51.100.23", True),
        ("198.51.100.23", "198.51.100.24", False),
        ("0.0.0.0/0", "2001:db8::1", False),
        ("::/0", "203.0.113.7", True),
    ],
)
def test_a_network_ban_catches_its_addresses_only(admin_client, post, network, ip, caught):
    """Any CIDR, IPv4 or IPv6: a /24 does not catch the neighbouring /24, and an IPv4-mapped address is the IPv4 one."""
    ban_in_admin(admin_client, kind="network", network=network)
    assert refused(comment_as_guest(post, ip=ip)) == caught


def test_an_ipv4_mapped_network_is_stored_as_ipv4(admin_client):
    """A network written in IPv6's IPv4-mapped range is stored and listed as the IPv4 network it is."""
    ban_in_admin(admin_client, kind="network", network="::ffff:203.0.113.0/120")
    assert Ban.objects.get().value == "203.0.113.0/24"


def test_an_account_ban_refuses_the_logged_in_reader(admin_client, post, make_user):
    """A reader logged in to a banned account cannot comment, whatever address their account has."""
    from django.test import Client

    banned = make_user("banned-one")
    ban_in_admin(admin_client, kind="account", user=banned.pk, reason="Impersonating the author.")
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(banned)
    state = form_state(reader, post)
    data = {"csrfmiddlewaretoken": state["csrf_token"], "timestamp": state["timestamp"], "comment": "Me again."}
    response = send(reader, post, data)
    assert refused(response)
    assert "Impersonating the author." in text_of(response)
    assert not Comment.objects.filter(body="Me again.").exists()


def test_a_suspension_says_when_it_ends_and_then_no_longer_applies(admin_client, post):
    """A suspension names its end; once it is over, the same person posts as anyone does."""
    ends = timezone.localtime(timezone.now() + timedelta(days=3))
    ban_in_admin(
        admin_client,
        kind="email",
        email="hothead@example.com",
        reason="A week to cool off.",
        ends_at_0=ends.strftime("%Y-%m-%d"),
        ends_at_1="12:00:00",
    )
    response = comment_as_guest(post, email="hothead@example.com")
    assert refused(response)
    assert f"This suspension ends on {ends.day} {ends.strftime('%B %Y')}, 12:00" in text_of(response)

    Ban.objects.update(ends_at=timezone.now() - timedelta(seconds=1))  # the days pass
    assert not Ban.objects.in_force().exists()
    assert comment_as_guest(post, email="hothead@example.com").status_code == 302


def test_a_ban_stores_nothing_even_with_the_honeypot_filled(admin_client, post):
    """A refused comment is not stored at all, not even as spam: there is nothing of it to publish."""
    ban_in_admin(admin_client, kind="network", network="203.0.113.0/24")
    response = comment_as_guest(post, ip="203.0.113.50", address2="http://spam.example")
    assert refused(response)
    assert not Comment.objects.exists()


# The admin's form and list


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "network", "network": "203.0.113.0/33"}, "Write a network as an address and a prefix"),
        ({"kind": "network", "network": "example.com"}, "Write a network as an address and a prefix"),
        ({"kind": "domain", "domain": "not a domain"}, "Write a domain name"),
        ({"kind": "domain", "domain": "a@b.example"}, "Write a domain name"),
        ({"kind": "email", "email": "nobody"}, "Enter a valid email address"),
        ({"kind": "account"}, "Choose the account to ban"),
        ({"kind": "email", "email": "a@b.example", "reason": "bad\x1b[31m"}, "Control characters are not allowed"),
        ({"kind": "email", "email": "a@b.example", "ends_at_0": "2001-01-01", "ends_at_1": "12:00"}, "in the future"),
        ({"kind": "email", "email": "a@b.example", "report_as_spam": "on"}, "Tick “Reject everything"),
    ],
)
def test_the_admin_form_refuses_what_is_not_a_target(admin_client, fields, error):
    """A ban must name an account, an address, a domain or a network that can be read; the form says what is wrong."""
    response = ban_in_admin(admin_client, expect_saved=False, **fields)
    assert any(error in message for message in page_errors(response)), page_errors(response)


def test_line_breaks_in_the_reason_become_spaces(admin_client):
    """The reason is one line of plain text: what the box's line breaks split is joined with spaces."""
    ban_in_admin(admin_client, kind="email", email="a@b.example", reason="Spam.\r\n\r\nAgain and\tagain.")
    assert Ban.objects.get().reason == "Spam. Again and again."


def test_an_end_date_in_the_past_lifts_a_ban(admin_client, post):
    """Changing a ban in the admin to end now lets its person comment again; its target stays as it was."""
    ban_in_admin(admin_client, kind="network", network="203.0.113.0/24")
    ban = Ban.objects.get()
    now = timezone.localtime()
    data = {"kind": "network", "network": ban.value, "reason": ban.reason, "user": ""}
    data.update(ends_at_0=now.strftime("%Y-%m-%d"), ends_at_1=now.strftime("%H:%M:%S"))
    response = admin_client.post(reverse("admin:comments_ban_change", args=[ban.pk]), data)
    assert response.status_code == 302, page_errors(response)
    ban.refresh_from_db()
    assert (ban.value, ban.is_in_force) == ("203.0.113.0/24", False)
    assert comment_as_guest(post, ip="203.0.113.7").status_code == 302


def test_the_ban_records_who_made_it_and_when(admin_client, moderator):
    """The moderator who saved the ban and the moment are kept, whatever the form sends."""
    before = timezone.now()
    ban_in_admin(admin_client, kind="email", email="a@b.example", created_by="1", created_at="2001-01-01")
    ban = Ban.objects.get()
    assert ban.created_by == moderator
    assert ban.created_at >= before


def test_the_ban_list_shows_what_why_until_by_and_whether_in_force(admin_client, moderator):
    """The list names each ban's target, its reason, its end, who made it, and whether it is still in force."""
    ban_in_admin(admin_client, kind="domain", domain="spam.example", reason="Nothing but spam.")
    ban_in_admin(admin_client, kind="network", network="2001:db8:5::/48", reason="A bot farm.")
    Ban.objects.filter(value="2001:db8:5::/48").update(ends_at=timezone.now() - timedelta(days=1))
    response = admin_client.get(reverse("admin:comments_ban_changelist"))
    page = page_of(response)
    cells = [
        " ".join(cell.text.split())
        for cell in page.find_all()
        if cell.tag in ("th", "td") and any(a.tag == "tbody" for a in cell.ancestors)
    ]
    rows = [cells[index : index + 6] for index in range(0, len(cells), 6)]
    made = f"{timezone.localtime().strftime('%Y/%m/%d')} by mod"
    assert rows[0][1:5] == ["network 2001:db8:5::/48", "A bot farm.", rows[0][3], made]
    assert rows[0][3].startswith(timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y/%m/%d"))
    assert rows[1][1:5] == ["domain spam.example", "Nothing but spam.", "Permanent", made]
    icons = [img.attrs["alt"] for img in page.find_all("img") if any(a.tag == "tbody" for a in img.ancestors)]
    assert icons == ["False", "True"]
    expired = admin_client.get(reverse("admin:comments_ban_changelist") + "?in_force=no")
    assert "2001:db8:5::/48" in expired.text and "spam.example" not in expired.text


def test_only_who_may_ban_sees_ban_this_author(client, moderator, make_comment):
    """A moderator without the permission to ban sees no "Ban this author…" and cannot open the form."""
    make_comment(status=Status.PENDING)
    moderator.groups.clear()
    moderator.user_permissions.add(*Permission.objects.filter(codename__in=["view_comment", "change_comment"]))
    client.force_login(moderator)
    assert "Ban this author" not in client.get(reverse("admin:comments_comment_changelist")).text
    assert client.get(reverse("admin:comments_ban_add")).status_code == 403


def test_the_authors_panel_lists_the_bans_naming_them(admin_client, make_comment):
    """An author's panel lists every ban that names them, in force or expired, and no ban on someone else."""
    comment = make_comment(status=Status.APPROVED, author_email="loud@example.com", ip_address="203.0.113.7")
    ban_in_admin(admin_client, kind="email", email="Loud@Example.com", reason="Shouting at everyone")
    ban_in_admin(admin_client, kind="network", network="203.0.113.0/24", reason="Their office, last spring")
    Ban.objects.filter(kind=Ban.Kind.NETWORK).update(ends_at=timezone.now() - timedelta(days=1))
    ban_in_admin(admin_client, kind="network", network="203.0.114.0/24", reason="Somebody else")

    panel = text_of(admin_client.get(reverse("admin:comments_comment_author", args=[comment.pk])))

    section = re.search(r">Bans</h2>(.*?)</section>", panel, re.S)[1]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    assert len(rows) == 3  # the heading and two bans, newest first
    assert rows[1].startswith("network 203.0.113.0/24 Their office, last spring") and rows[1].endswith("No (expired)")
    assert rows[2] == "email loud@example.com Shouting at everyone Permanent Yes"
    assert "Somebody else" not in section


# "Ban this author…" from a comment


def test_ban_this_author_is_on_each_row_and_the_change_page(admin_client, make_comment):
    """Each comment's row and its change page link to the ban form for that comment."""
    comment = make_comment(status=Status.PENDING)
    queue = admin_client.get(reverse("admin:comments_comment_changelist"))
    link = page_of(queue).find("a", class_="ban")
    assert link.text.strip() == "Ban this author…"
    assert f"comment={comment.pk}" in html.unescape(link.attrs["href"])
    change = admin_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    assert f"comment={comment.pk}" in page_of(change).find("a", class_="ban").attrs["href"]


@pytest.mark.parametrize(
    ("ip", "network"), [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:5:1::9", "2001:db8:5::/48")]
)
def test_the_ban_form_is_filled_in_from_the_comment(admin_client, make_comment, ip, network):
    """From a comment: its email, its email's domain and its address's /24 or /48 are filled in, ready to choose."""
    comment = make_comment(author_email="Someone@Mail.Example", ip_address=ip, status=Status.PENDING)
    page = page_of(admin_client.get(reverse("admin:comments_ban_add") + f"?comment={comment.pk}"))
    assert page.value("email") == "Someone@Mail.Example"
    assert page.value("domain") == "mail.example"
    assert page.value("network") == network
    assert page.find("input", name="kind", value="email").attrs.get("checked") is not None


def test_banning_from_a_row_returns_to_the_queue(admin_client, make_comment):
    """Saving the ban made from the queue's row goes back to the queue as it was filtered."""
    comment = make_comment(status=Status.PENDING)
    queue = reverse("admin:comments_comment_changelist") + "?status=pending"
    link = page_of(admin_client.get(queue)).find("a", class_="ban").attrs["href"]
    query = link.removeprefix(reverse("admin:comments_ban_add"))
    response = ban_in_admin(admin_client, query=query, kind="email", email=comment.author_email)
    assert response["Location"] == queue


def test_banning_does_not_reject_earlier_comments_unless_asked(admin_client, make_comment):
    """Without "Reject everything they wrote before", what they wrote stays where it is."""
    comment = make_comment()
    ban_in_admin(admin_client, kind="email", email=comment.author_email)
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_reject_everything_they_wrote_before_moves_it_to_the_trash(admin_client, make_post, make_comment):
    """Every pending or approved comment the ban names goes to the Trash with reason "banned", its history naming the
    ban; others' comments and what is already in Spam stay."""
    post = make_post()
    theirs = [make_comment(post, ip_address="203.0.113.5"), make_comment(post, ip_address="203.0.113.200")]
    theirs.append(make_comment(ip_address="::ffff:203.0.113.6", status=Status.PENDING))
    spam = make_comment(post, ip_address="203.0.113.9", status=Status.SPAM, reason=Reason.AKISMET_SPAM)
    neighbour = make_comment(post, ip_address="203.0.114.5")
    ban_in_admin(admin_client, kind="network", network="203.0.113.0/24", reject_earlier="on")
    ban = Ban.objects.get()
    for comment in theirs:
        comment.refresh_from_db()
        assert (comment.status, comment.reason) == (Status.TRASH, Reason.BANNED)
        event = comment.events.get(to_status=Status.TRASH)
        assert event.actor == Actor.MODERATOR
        assert f"ban #{ban.pk} (network 203.0.113.0/24)" in event.note
    spam.refresh_from_db()
    neighbour.refresh_from_db()
    assert spam.status == Status.SPAM and neighbour.status == Status.APPROVED


def test_a_banned_author_with_50_comments_is_rejected_and_reported_in_one_action(
    admin_client, make_post, make_comment, akismet_fake, run_tasks
):
    """One "Ban this author…" with both options: their 50 comments go to Spam, and Akismet receives 50 submit-spam."""
    posts = [make_post(), make_post()]
    theirs = [make_comment(posts[n % 2], author_email="flood@spam.example", body=f"Buy {n}") for n in range(50)]
    other = make_comment(posts[0])
    query = f"?comment={theirs[0].pk}"
    response = ban_in_admin(
        admin_client, query=query, kind="domain", domain="spam.example", reject_earlier="on", report_as_spam="on"
    )
    assert Comment.objects.filter(status=Status.SPAM, reason=Reason.BANNED).count() == 50
    follow = admin_client.get(response["Location"])
    assert "50 earlier comments moved to Spam, each reported to Akismet." in text_of(follow)

    run_tasks()
    reported = [r for r in akismet_fake.requests if r.endpoint == "submit-spam"]
    assert len(reported) == 50
    assert sorted(r.get("comment_content") for r in reported) == sorted(c.body for c in theirs)
    assert CommentEvent.objects.filter(note="Reported to Akismet as spam.").count() == 50
    other.refresh_from_db()
    assert other.status == Status.APPROVED


def test_reject_everything_is_one_transaction(admin_client, make_comment, monkeypatch):
    """If one comment cannot be moved, none is, and no ban is saved: the moderator can try again."""
    first, second = make_comment(author_email="a@spam.example"), make_comment(author_email="b@spam.example")
    real = bans.change_status

    def failing_on_second(comment, *args, **kwargs):
        if comment.pk == second.pk:
            raise RuntimeError("the database went away")
        return real(comment, *args, **kwargs)

    monkeypatch.setattr(bans, "change_status", failing_on_second)
    admin_client.raise_request_exception = False
    response = admin_client.post(
        reverse("admin:comments_ban_add"),
        {"kind": "domain", "domain": "spam.example", "reason": "Spam.", "reject_earlier": "on"},
    )
    assert response.status_code == 500
    first.refresh_from_db()
    assert first.status == Status.APPROVED
    assert not Ban.objects.exists()


def test_matching_lists_every_ban_naming_a_comments_author(make_comment, make_user):
    """bans.matching(comment) finds the bans by account, email, domain and network, expired ones too."""
    user = make_user("someone")
    comment = make_comment(user=user, author_email="me@sub.example.org", ip_address="198.51.100.4")
    made = []
    targets = [
        ("account", ""),
        ("email", "ME@sub.example.org"),
        ("domain", "example.org"),
        ("network", "198.51.100.0/29"),
        ("network", "198.51.100.8/30"),
        ("domain", "xample.org"),
    ]
    for kind, text in targets:
        ban = Ban(kind=kind, reason="r")
        bans.aim(ban, user=user, text=text)
        ban.save()
        made.append(ban)
    Ban.objects.filter(pk=made[0].pk).update(ends_at=timezone.now() - timedelta(days=1))
    assert set(bans.matching(comment)) == set(made[:4])
    assert set(bans.matching(comment).in_force()) == set(made[1:4])


# Behind the front cache (deploy/nginx/blog.conf, a real nginx and gunicorn)


@pytest.mark.django_db(transaction=True)
def test_after_reject_everything_the_cached_article_shows_none_of_it(front_cache, make_post, make_comment, client):
    """The first request after "reject everything they wrote before" shows none of it, each article purged once."""
    import httpx

    from tests.conftest import moderators_group

    front = front_cache(COMMENTS_MIN_SECONDS="0")
    first, second = make_post(), make_post()
    for n in range(6):
        make_comment((first, second)[n % 2], author_email="loud@example.com", body=f"Loud remark {n}.")
    kept = make_comment(first, body="A kind word from someone else.")
    for post in (first, second):
        for _ in range(2):
            page = httpx.get(front.url + post.get_absolute_url(), timeout=60)
        assert page.headers["x-cache"] == "HIT" and "Loud remark" in page.text

    moderator = moderators_group().user_set.create(username="mod", is_staff=True)
    client.force_login(moderator)
    purges_before = front.access_log().count("GET /purge")
    ban_in_admin(client, kind="email", email="loud@example.com", reject_earlier="on")

    for post in (first, second):
        page = httpx.get(front.url + post.get_absolute_url(), timeout=60)
        assert "Loud remark" not in page.text
    purged = [line for line in front.access_log().splitlines() if "GET /purge" in line][purges_before:]
    for post in (first, second):
        assert sum(f"GET /purge{post.get_absolute_url()} " in line for line in purged) == 1
    assert kept.body in httpx.get(front.url + first.get_absolute_url(), timeout=60).text


def test_checking_a_comment_against_every_ban_is_one_query(make_comment, make_user, django_assert_num_queries):
    """However many bans there are, whether one applies to a comment is a single query that reads indexes only."""
    for n in range(40):
        for kind, text in [("email", f"x{n}@example.com"), ("domain", f"d{n}.example"), ("network", f"10.{n}.0.0/16")]:
            ban = Ban(kind=kind, reason="r")
            bans.aim(ban, text=text)
            ban.save()
    comment = make_comment(commit=False, user=make_user(), author_email="y@d7.example", ip_address="10.99.0.1")
    with django_assert_num_queries(1) as queries:
        assert "The reason they give: r" in bans.refusal(comment)
    plan = query_plan(queries.captured_queries[0]["sql"])
    assert not re.search(r"Seq Scan|^SCAN comments_ban\b(?! USING)", plan, re.M), plan
    comment.author_email, comment.ip_address = "y@e7.example", "10.40.0.1"
    with django_assert_num_queries(1):
        assert bans.refusal(comment) is None
