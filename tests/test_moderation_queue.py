"""The faster queue in the admin: "Not reviewed yet" and Mark reviewed, an author's panel and the list filtered by
author, and the keyboard shortcuts' markup (the keys themselves: tests/e2e/test_moderation_queue_browser.py)."""

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from comments import admin as comments_admin
from comments.models import Actor, Comment, CommentEvent, Reason, Report, Status
from comments.moderation import REVIEWED_NOTE, change_status, moderate, record_received

pytestmark = pytest.mark.django_db

PENDING, APPROVED, SPAM, TRASH = Status.PENDING, Status.APPROVED, Status.SPAM, Status.TRASH


def changelist(**params):
    return reverse("admin:comments_comment_changelist") + ("?" + urlencode(params) if params else "")


def panel_url(comment, **params):
    return reverse("admin:comments_comment_author", args=[comment.pk]) + ("?" + urlencode(params) if params else "")


def listed(response):
    return {comment.pk for comment in response.context["cl"].result_list}


def text_of(response):
    """The page's text with tags dropped and spaces collapsed, as a reader sees it."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


@pytest.fixture
def arrive(make_comment, make_post):
    """A comment as the pipeline leaves it: received, then moved by `actor` (a rule by default) to `status`."""
    post = make_post("Notes from the allotment")

    def make(status=APPROVED, *, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR, **fields):
        comment = make_comment(fields.pop("post", post), status=PENDING, reason=Reason.SPAM_CHECK, **fields)
        record_received(comment)
        change_status(comment, status, actor=actor, reason=reason, note="Akismet: not spam")
        return comment

    return make


# Not reviewed yet


def test_not_reviewed_is_what_rules_and_akismet_published_and_no_moderator_touched(arrive, moderator):
    """Approved by a rule, Akismet or the system is listed, even after a moderator's edit while it was held; approved
    by a moderator, held, spam, imported, or published and then acted on by a moderator in any way is not."""
    by_rule = arrive()
    by_akismet = arrive(actor=Actor.AKISMET, reason=Reason.AKISMET_HAM)
    by_system = arrive(actor=Actor.SYSTEM, reason=Reason.RULES_PASSED)
    held = arrive(PENDING, reason=Reason.FIRST_COMMENT)
    approved_by_hand = arrive(PENDING, reason=Reason.FIRST_COMMENT)
    moderate(approved_by_hand, "approve", moderator=moderator)
    caught = arrive(SPAM, actor=Actor.AKISMET, reason=Reason.AKISMET_SPAM)
    edited = arrive()
    CommentEvent.objects.record(edited, actor=Actor.MODERATOR, moderator=moderator, note="Edited: comment.")
    imported = arrive(actor=Actor.SYSTEM, reason=Reason.IMPORTED)
    edited_then_published = arrive(PENDING, actor=Actor.AKISMET, reason=Reason.AKISMET_UNREACHABLE)
    CommentEvent.objects.record(edited_then_published, actor=Actor.MODERATOR, moderator=moderator, note="Edited.")
    change_status(edited_then_published, APPROVED, actor=Actor.RULE, reason=Reason.KNOWN_AUTHOR)

    found = set(Comment.objects.not_reviewed().values_list("pk", flat=True))

    assert found == {by_rule.pk, by_akismet.pk, by_system.pk, edited_then_published.pk}
    assert not {held.pk, approved_by_hand.pk, caught.pk, edited.pk, imported.pk} & found


def test_not_reviewed_view_in_the_queue(moderator_client, arrive, moderator):
    """The queue's "Not reviewed yet" tab lists them with a Mark reviewed button each, and is the current tab."""
    unread = arrive(author_name="Gertrude Jekyll")
    read = arrive()
    moderate(read, "unapprove", moderator=moderator)
    moderate(read, "approve", moderator=moderator)

    response = moderator_client.get(changelist(reviewed="no"))

    assert listed(response) == {unread.pk}
    assert response.context["not_reviewed_tab"]["current"]
    assert not any(tab["current"] for tab in response.context["status_tabs"])
    page = text_of(response)
    assert "Not reviewed yet" in page
    reviewed_url = reverse("admin:comments_comment_reviewed", args=[unread.pk])
    assert f'formaction="{reviewed_url}"' in response.text
    assert 'aria-label="Mark reviewed (comment by Gertrude Jekyll)"' in response.text
    assert "Mark reviewed" not in moderator_client.get(changelist()).text.split('id="result_list"')[1]


def test_mark_reviewed_in_bulk_notes_it_in_each_history(moderator_client, arrive, moderator):
    """The bulk action "Mark reviewed" writes a moderator's note in each comment's history, changing nothing else,
    and the comments leave the view."""
    unread = [arrive() for _ in range(3)]
    data = {"action": "mark_reviewed", "index": 0, "_selected_action": [c.pk for c in unread[:2]]}

    response = moderator_client.post(changelist(reviewed="no"), data, follow=True)

    assert "2 comments marked reviewed." in text_of(response)
    assert listed(response) == {unread[2].pk}
    for comment in unread[:2]:
        note = comment.events.order_by("pk").last()
        assert (note.actor, note.moderator, note.note) == (Actor.MODERATOR, moderator, REVIEWED_NOTE)
        assert note.from_status == note.to_status == APPROVED
        comment.refresh_from_db()
        assert (comment.status, comment.reason) == (APPROVED, Reason.KNOWN_AUTHOR)


def test_mark_reviewed_button_returns_to_the_view(moderator_client, arrive):
    """The row's Mark reviewed button notes it and comes back to the page it was on, which no longer lists it."""
    unread = arrive(author_name="Marianne North")
    url = reverse("admin:comments_comment_reviewed", args=[unread.pk])

    response = moderator_client.post(url, {"next": changelist(reviewed="no")}, follow=True)

    assert response.redirect_chain[-1][0] == changelist(reviewed="no")
    assert "The comment by Marianne North was marked reviewed." in text_of(response)
    assert listed(response) == set()
    assert moderator_client.get(url).status_code == 405  # a GET (a prefetch, a crawler) changes nothing


def test_mark_reviewed_refuses_elsewhere(moderator_client, arrive, make_user):
    """Mark reviewed goes to this site only (a `next` elsewhere leads back to the list) and needs the change
    permission."""
    unread = arrive()
    url = reverse("admin:comments_comment_reviewed", args=[unread.pk])
    response = moderator_client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == changelist()

    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    moderator_client.force_login(viewer)
    assert moderator_client.post(url, {"next": changelist()}).status_code == 403
    assert unread.events.filter(actor=Actor.MODERATOR).count() == 1  # the first POST's, not the refused one's


def test_change_page_offers_mark_reviewed_while_not_reviewed(moderator_client, arrive, moderator):
    """A comment's page has Mark reviewed while nobody reviewed it, and not once someone did."""
    unread = arrive()
    change = reverse("admin:comments_comment_change", args=[unread.pk])
    reviewed_url = reverse("admin:comments_comment_reviewed", args=[unread.pk])
    assert f'formaction="{reviewed_url}"' in moderator_client.get(change).text

    moderator_client.post(reviewed_url, {"next": change})

    assert f'formaction="{reviewed_url}"' not in moderator_client.get(change).text


def add_approved_by_rules(post, count, *, moderated_every=0):
    """`count` comments published by the rules, with the history that says so, stored in bulk; every
    `moderated_every`th one also noted by a moderator."""
    now = timezone.now()
    comments = Comment.objects.bulk_create(
        Comment.build(
            post=post,
            body=f"Comment {number}",
            author_name=f"Reader {number}",
            author_email=f"reader{number}@example.com",
            status=APPROVED,
            reason=Reason.KNOWN_AUTHOR,
            created_at=now,
        )
        for number in range(count)
    )
    events = []
    for number, comment in enumerate(comments):
        events.append(CommentEvent(comment=comment, actor=Actor.AUTHOR, to_status=PENDING, reason=Reason.SPAM_CHECK))
        events.append(
            CommentEvent(
                comment=comment, actor=Actor.RULE, from_status=PENDING, to_status=APPROVED, reason=Reason.KNOWN_AUTHOR
            )
        )
        if moderated_every and number % moderated_every == 0:
            events.append(
                CommentEvent(
                    comment=comment,
                    actor=Actor.MODERATOR,
                    from_status=APPROVED,
                    to_status=APPROVED,
                    reason=Reason.KNOWN_AUTHOR,
                    note=REVIEWED_NOTE,
                )
            )
    CommentEvent.objects.bulk_create(events)
    return comments


def captured(client, url):
    client.get(url)  # the session, content types and the like are read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_not_reviewed_view_costs_the_same_whatever_the_number_of_comments(moderator_client, make_post):
    """The Not reviewed yet page makes as many queries for 10 comments as for 40 and 300 (one page of 50)."""
    post = make_post()
    counts, rows = [], []
    for total in (10, 40, 300):
        add_approved_by_rules(post, total - Comment.objects.count(), moderated_every=3)
        queries, response = captured(moderator_client, changelist(reviewed="no"))
        counts.append(queries)
        rows.append(len(response.context["cl"].result_list))
    print(f"\nNot reviewed yet: {counts} queries for {rows} rows")
    assert rows[0] < rows[1] < rows[2] == 50
    assert len(set(counts)) == 1, counts


def test_not_reviewed_query_is_served_by_the_event_index():
    """Finding a comment's automatic approval and a moderator's look since go through indexes on the history (a
    moderator's look through the (comment, actor) one), never a scan of it (with sequential scans discouraged on
    PostgreSQL, where tiny tables would be scanned)."""
    query = Comment.objects.not_reviewed().order_by("-created_at")[:50]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "comments_event_actor" in plan, plan
    assert not re.search(r"SCAN U0|Seq Scan on comments_commentevent", plan), plan


# An author's panel


def test_panel_counts_an_authors_comments_and_decisions(moderator_client, arrive, moderator, make_comment):
    """The panel, from any of their comments, counts an author's comments by status and how often they were
    approved and rejected, by a moderator and automatically, and lists every comment; others' are left out."""
    first = arrive(author_email="Marianne@North.example", author_name="Marianne North")
    arrive(author_email="marianne@north.example", author_name="M. North")  # the same mailbox
    held = arrive(PENDING, reason=Reason.FIRST_COMMENT, author_email="marianne@north.example")
    moderate(held, "approve", moderator=moderator)
    moderate(held, "spam", moderator=moderator)
    arrive(SPAM, actor=Actor.AKISMET, reason=Reason.AKISMET_SPAM, author_email="marianne@north.example")
    trashed = arrive(author_email="marianne@north.example")
    moderate(trashed, "trash", moderator=moderator)
    stranger = arrive(author_email="someone@else.example", author_name="Someone Else", body="Not hers.")

    response = moderator_client.get(panel_url(trashed))

    assert response.status_code == 200
    assert {c.pk for c in response.context["page"]} == {
        c.pk for c in Comment.objects.filter(author_email_key="marianne@north.example")
    }
    assert dict(response.context["by_status"]) == {"Pending": 0, "Approved": 2, "Spam": 2, "Trash": 1}
    assert response.context["decisions"] == {
        "approved_by_moderator": 1,
        "approved_automatically": 3,
        "rejected_by_moderator": 2,
        "rejected_automatically": 1,
    }
    page = text_of(response)
    assert f"Comments by {trashed.author_name}" in page
    assert "Their comments (5)" in page
    assert stranger.body not in page and "someone@else.example" not in page
    assert response.context["from_comment"] == trashed
    assert first.body in page


def test_panel_links_to_the_list_filtered_by_author_where_bulk_actions_reach_them_all(
    moderator_client, arrive, monkeypatch
):
    """The panel's links open the list with only the author's comments, by status, and "Select all" with a bulk
    action acts on every one of them, on every page."""
    monkeypatch.setattr(comments_admin.CommentAdmin, "list_per_page", 2)
    theirs = [arrive(author_email="spammer@example.org", author_name="Cheap Watches") for _ in range(5)]
    other = arrive(author_email="gertrude@example.org")
    response = moderator_client.get(panel_url(theirs[0]))
    first = response.context["in_the_list"][0]
    assert (first["label"], first["count"]) == ("Pending and approved", 5)
    assert first["url"] == changelist(author=theirs[0].pk)

    listing = moderator_client.get(first["url"])
    assert len(listed(listing)) == 2 and listed(listing) < {c.pk for c in theirs}
    assert "By Cheap Watches" in text_of(listing)
    data = {"action": "mark_spam", "index": 0, "select_across": 1, "_selected_action": [theirs[0].pk]}
    done = moderator_client.post(first["url"], data, follow=True)

    assert "5 comments marked as spam." in text_of(done)
    assert set(Comment.objects.filter(pk__in=[c.pk for c in theirs]).values_list("status", flat=True)) == {SPAM}
    other.refresh_from_db()
    assert other.status == APPROVED
    spam = moderator_client.get(changelist(author=theirs[0].pk, status=SPAM))
    assert listed(spam) <= {c.pk for c in theirs} and spam.context["cl"].result_count == 5


def test_an_account_is_one_author_with_its_email(moderator_client, arrive, make_user):
    """An account's panel holds what it wrote logged in and what its address wrote as a guest, and not what another
    account wrote."""
    ada = make_user("ada-l", email="ada@example.org")
    logged_in = arrive(user=ada)
    as_guest = arrive(author_email="ADA@example.org", author_name="Ada")
    someone = arrive(user=make_user("bea"))

    response = moderator_client.get(panel_url(logged_in))

    assert {c.pk for c in response.context["page"]} == {logged_in.pk, as_guest.pk}
    assert "found by their account, ada-l, and its email address" in text_of(response)
    assert someone.pk not in {c.pk for c in response.context["page"]}


def test_a_guest_without_email_is_their_name_and_address(moderator_client, arrive):
    """A guest who left no email is known by name and IP address together: the same name from another address,
    or another name from the same address, is someone else."""
    kwargs = {"author_email": "", "author_name": "Pingback Pete", "ip_address": "192.0.2.7"}
    theirs = [arrive(**kwargs), arrive(**kwargs)]
    arrive(**{**kwargs, "ip_address": "192.0.2.8"})
    arrive(**{**kwargs, "author_name": "Somebody"})

    response = moderator_client.get(panel_url(theirs[0]))

    assert {c.pk for c in response.context["page"]} == {c.pk for c in theirs}
    assert "found by their name and IP address (192.0.2.7), having left no email" in text_of(response)
    assert listed(moderator_client.get(changelist(author=theirs[1].pk))) == {c.pk for c in theirs}


def test_the_panel_refuses_what_it_should(moderator_client, arrive, make_user, make_comment):
    """No panel for a comment whose author erased their data, nor for one that does not exist; a filter by an author
    who does not exist, or by something that is not a comment's id (an Arabic-Indic digit among them), lists
    nothing; staff who may not see comments get no panel."""
    erased = make_comment(author_name="Anonymous", author_email="", ip_address=None, data_erased_at=timezone.now())
    assert moderator_client.get(panel_url(erased)).status_code == 404
    assert moderator_client.get(reverse("admin:comments_comment_author", args=[987654])).status_code == 404
    assert panel_url(erased) not in moderator_client.get(changelist()).text
    real = arrive()
    assert listed(moderator_client.get(changelist(author=987654))) == set()
    arabic_indic = "".join(chr(0x660 + int(digit)) for digit in str(real.pk))  # int() reads them as real's id
    for hostile in (f"{real.pk} OR 1=1", "99999999999999999999999", arabic_indic, f"-{real.pk}", "%00"):
        assert listed(moderator_client.get(changelist(author=hostile))) == set(), hostile
    assert moderator_client.get(reverse("admin:comments_comment_author", args=["9" * 30])).status_code == 404

    outsider = make_user("outsider", is_staff=True)
    moderator_client.force_login(outsider)
    assert moderator_client.get(panel_url(arrive())).status_code == 403


def test_the_panel_escapes_what_the_author_wrote(moderator_client, arrive):
    """A name and a text holding markup are shown as text on the panel and in the list's filter."""
    hostile = arrive(author_name='<script>alert("x")</script>', body="<img src=x onerror=alert(1)>")

    panel = moderator_client.get(panel_url(hostile)).text
    listing = moderator_client.get(changelist(author=hostile.pk)).text

    for page in (panel, listing):
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;" in page
    assert "<img src=x" not in panel


def test_the_panel_lists_readers_reports_on_the_authors_comments(moderator_client, arrive):
    """The panel lists the reports on the author's comments, with reason, note and decision, escaped, and no report on
    someone else's."""
    theirs = arrive(author_email="gertrude@example.org", body="First thoughts")
    again = arrive(author_email="Gertrude@Example.org", body="Second thoughts")
    other = arrive(author_email="someone@example.org", body="Not theirs")
    Report.objects.create(comment=theirs, reason=Report.Reason.ABUSIVE, note="<b>rude</b> to me", reporter_id="a")
    Report.objects.create(comment=again, reason=Report.Reason.SPAM, note="an advert", reporter_id="b")
    Report.objects.create(comment=other, reason=Report.Reason.SPAM, note="someone else's", reporter_id="c")

    panel = moderator_client.get(panel_url(theirs)).text

    section = re.search(r">Readers&#x27; reports on their comments</h2>(.*?)</section>", panel, re.S)[1]
    cells = [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
    ]
    assert [row[1:] for row in cells if row] == [
        ["Spam", "an advert", "Not yet", "Second thoughts"],
        ["Abusive or harassing", "&lt;b&gt;rude&lt;/b&gt; to me", "Not yet", "First thoughts"],
    ]
    assert "someone else" not in section


def test_panel_costs_the_same_whatever_the_number_of_comments(moderator_client, make_post):
    """An author's panel, and the list filtered to them, make as many queries for 3 of their comments as for 30 and
    300 (paged by 20 and by 50)."""
    post = make_post()
    counts, listing = [], []
    for total in (3, 30, 300):
        add_approved_by_rules(post, total - Comment.objects.count())
        Comment.objects.update(author_email="prolific@example.org", author_email_key="prolific@example.org")
        reported = Comment.objects.exclude(reports__isnull=False)
        Report.objects.bulk_create(Report(comment=c, reason=Report.Reason.SPAM, reporter_id="r") for c in reported)
        queries, response = captured(moderator_client, panel_url(Comment.objects.first()))
        assert response.context["total"] == total
        counts.append(queries)
        queries, response = captured(moderator_client, changelist(author=Comment.objects.first().pk))
        assert len(response.context["cl"].result_list) == min(total, 50)
        listing.append(queries)
    print(f"\nAuthor's panel: {counts} queries, the list by author: {listing}, for 3, 30 and 300 comments")
    assert len(set(counts)) == 1, counts
    assert len(set(listing)) == 1, listing


def test_rows_and_change_page_link_to_the_panel(moderator_client, arrive):
    """Each row's author name and a comment's page link to the author's panel."""
    comment = arrive(author_name="Beatrix Potter")
    url = panel_url(comment)
    assert f'<a href="{url}" class="author-panel">Beatrix Potter</a>' in moderator_client.get(changelist()).text
    change = moderator_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    assert f'href="{url}"' in change.text
    assert "All about Beatrix Potter" in text_of(change)


# The keyboard's markup


def test_queue_lists_its_keyboard_shortcuts_and_marks_the_buttons(moderator_client, arrive):
    """The list carries queue.js, a hidden "Keyboard shortcuts" list (shown by the script) with WordPress's keys,
    a status region for announcements, and each button's key in data-key."""
    arrive(PENDING, reason=Reason.FIRST_COMMENT)
    response = moderator_client.get(changelist())
    page = response.text
    assert "comments/queue.js" in page
    assert re.search(r'<details class="queue-shortcuts" hidden>\s*<summary>Keyboard shortcuts</summary>', page)
    assert '<p class="queue-live" role="status"></p>' in page
    keys = dict(response.context["keyboard_help"])
    assert [keys[k] for k in "jkas"] == ["Next comment", "Previous comment", "Approve", "Spam"]
    for key, label in [("a", "Approve"), ("s", "Spam"), ("d", "Trash")]:
        assert re.search(rf'data-key="{key}"\s+aria-label="{label} \(comment by', page)
    assert re.search(r'data-key="r"\s+aria-label="Reply \(to the comment by', page)
