"""Moderation in the admin: the comments list, its tabs, filters and actions, a comment's page, permissions."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from comments.models import Actor, Comment, CommentEvent, Reason, Status

pytestmark = pytest.mark.django_db

PENDING, APPROVED, SPAM, TRASH = Status.PENDING, Status.APPROVED, Status.SPAM, Status.TRASH


@pytest.fixture
def post(make_post):
    return make_post("Notes from the allotment", slug="notes-from-the-allotment")


def changelist(**params):
    return reverse("admin:comments_comment_changelist") + ("?" + urlencode(params) if params else "")


def change_url(comment):
    return reverse("admin:comments_comment_change", args=[comment.pk])


def one_click(client, comment, action, next_url=None):
    url = reverse("admin:comments_comment_moderate", args=[comment.pk, action])
    return client.post(url, {"next": next_url or changelist()}, follow=True)


def bulk(client, action, comments, **params):
    data = {"action": action, "index": 0, "_selected_action": [c.pk for c in comments]}
    return client.post(changelist(**params), data, follow=True)


def listed(response):
    return {comment.pk for comment in response.context["cl"].result_list}


def status_of(comment):
    comment.refresh_from_db()
    return comment.status


def moderator_events(comment):
    return list(comment.events.filter(actor=Actor.MODERATOR).order_by("pk"))


def akismet_calls(akismet_fake):
    return [r.endpoint for r in akismet_fake.requests if r.endpoint.startswith("submit-")]


def text_of(response):
    """The page's text with tags dropped and spaces collapsed, as a reader sees it."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


# The list: tabs, filters, search, rows


@pytest.fixture
def queue(make_comment, post):
    """Two pending, three approved, one spam, one blatant spam, one in the trash."""
    return {
        "pending": [make_comment(post, status=PENDING) for _ in range(2)],
        "approved": [make_comment(post, status=APPROVED) for _ in range(3)],
        "spam": [make_comment(post, status=SPAM, reason=Reason.AKISMET_SPAM)],
        "blatant": [make_comment(post, status=SPAM, reason=Reason.AKISMET_DISCARD)],
        "trash": [make_comment(post, status=TRASH)],
    }


def test_tabs_show_the_count_of_each_status(admin_client, queue):
    """The tabs read All (pending + approved), Pending, Approved, Spam (blatant spam apart), Trash and Reported
    (readers' reports: tests/test_reports.py), with counts."""
    response = admin_client.get(changelist())
    tabs = {tab["label"]: tab["count"] for tab in response.context["status_tabs"]}
    assert tabs == {"All": 5, "Pending": 2, "Approved": 3, "Spam": 1, "Trash": 1, "Reported": 0}
    assert "Pending (2)" in text_of(response)


def test_default_view_is_pending_and_approved(admin_client, queue):
    """The list opens on All: pending and approved comments, no spam and nothing from the trash."""
    response = admin_client.get(changelist())
    assert listed(response) == {c.pk for c in queue["pending"] + queue["approved"]}
    assert [tab["label"] for tab in response.context["status_tabs"] if tab["current"]] == ["All"]


@pytest.mark.parametrize("status", ["pending", "approved", "trash"])
def test_each_tab_lists_its_status(admin_client, queue, status):
    """Each status tab lists exactly the comments with that status."""
    assert listed(admin_client.get(changelist(status=status))) == {c.pk for c in queue[status]}


def test_spam_tab_hides_blatant_spam_unless_asked(admin_client, queue):
    """Akismet's "discard" spam is left out of the Spam tab, with a link that includes it."""
    response = admin_client.get(changelist(status="spam"))
    assert listed(response) == {queue["spam"][0].pk}
    assert "1 blatant spam comment (Akismet: discard) is not listed" in text_of(response)
    included = admin_client.get(changelist(status="spam", blatant="include"))
    assert listed(included) == {queue["spam"][0].pk, queue["blatant"][0].pk}
    by_reason = admin_client.get(changelist(status="spam", reason__exact=Reason.AKISMET_DISCARD))
    assert listed(by_reason) == {queue["blatant"][0].pk}


def test_filter_by_post(admin_client, make_comment, make_post, post):
    """The post filter lists the comments on one post."""
    here = make_comment(post, status=PENDING)
    make_comment(make_post(), status=PENDING)
    response = admin_client.get(changelist(post=post.pk))
    assert listed(response) == {here.pk}


def test_filter_by_reason(admin_client, make_comment, post):
    """The reason filter lists the comments held or sorted for that reason."""
    unreachable = make_comment(post, status=PENDING, reason=Reason.AKISMET_UNREACHABLE, akismet_attempts=2)
    make_comment(post, status=PENDING, reason=Reason.FIRST_COMMENT)
    response = admin_client.get(changelist(reason__exact=Reason.AKISMET_UNREACHABLE))
    assert listed(response) == {unreachable.pk}


def test_filter_by_date(admin_client, make_comment, post):
    """The date filter's "Past 7 days" keeps recent comments and drops older ones."""
    recent = make_comment(post, status=PENDING)
    make_comment(post, status=PENDING, created_at=timezone.now() - timedelta(days=30))
    cl = admin_client.get(changelist()).context["cl"]
    [dates] = [spec for spec in cl.filter_specs if spec.title == "created at"]
    [past_week] = [choice for choice in dates.choices(cl) if choice["display"] == "Past 7 days"]
    assert listed(admin_client.get(changelist() + past_week["query_string"])) == {recent.pk}


@pytest.mark.parametrize("field", ["ip_address", "author_email", "author_name", "body"])
def test_search_by_ip_email_name_and_text(admin_client, make_comment, post, field):
    """The search box finds a comment by its IP address, email, author's name or text."""
    wanted = make_comment(
        post, status=PENDING, ip_address="198.51.100.77", author_email="marianne@example.org", author_name="Marianne"
    )
    wanted.body = "Broad beans"
    wanted.save()
    make_comment(post, status=PENDING)
    term = {"ip_address": "198.51.100.77", "author_email": "marianne@", "author_name": "Marianne", "body": "beans"}
    assert listed(admin_client.get(changelist(q=term[field]))) == {wanted.pk}


def test_row_shows_author_comment_post_reply_when_status_and_why(admin_client, make_comment, post):
    """A row shows the author's name, email, website and IP, the rendered text, the post, whom it answers and why."""
    parent = make_comment(post, author_name="Gertrude")
    reply = make_comment(
        post,
        parent=parent,
        status=PENDING,
        reason=Reason.AKISMET_UNREACHABLE,
        akismet_attempts=3,
        author_name="Marianne North",
        author_email="marianne@example.org",
        author_url="https://marianne.example.org/",
        ip_address="198.51.100.7",
        body="Lovely <b>beans</b> <script>alert(1)</script>",
    )
    html = admin_client.get(changelist()).text
    for expected in ["Marianne North", "mailto:marianne@example.org", "marianne.example.org", "198.51.100.7"]:
        assert expected in html
    assert "<b>beans</b>" in html and "<script>alert(1)</script>" not in html
    assert f'href="{post.get_absolute_url()}"' in html
    assert f'in reply to <a href="{change_url(parent)}">Gertrude</a>' in html
    assert "Akismet unreachable, will retry (3 attempts)" in html
    assert f'formaction="{reverse("admin:comments_comment_moderate", args=[reply.pk, "approve"])}"' in html


def test_row_buttons_are_the_actions_that_apply(admin_client, queue):
    """Each row offers the one-click actions its status allows, as POST buttons, never links that change state."""
    html = admin_client.get(changelist(status="trash")).text
    trashed = queue["trash"][0]
    for action in ["restore", "spam"]:
        assert reverse("admin:comments_comment_moderate", args=[trashed.pk, action]) in html
    for action in ["approve", "unapprove", "trash", "not_spam"]:
        assert reverse("admin:comments_comment_moderate", args=[trashed.pk, action]) not in html
    assert re.search(rf'form="comment-delete"\s+name="_selected_action"\s+value="{trashed.pk}"', html)
    assert re.search(
        r'<form id="comment-moderate" method="post" hidden>\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )


def test_akismet_warning_when_no_key(admin_client, settings):
    """Without an Akismet key the list warns that every comment waits for a moderator."""
    settings.AKISMET_API_KEY = ""
    assert "Akismet is not configured: every comment waits for you." in admin_client.get(changelist()).text
    settings.AKISMET_API_KEY = "a-key"
    assert "Akismet is not configured" not in admin_client.get(changelist()).text


def test_akismet_unreachable_comments_are_pointed_out(admin_client, make_comment, post):
    """Comments waiting on an unreachable Akismet are announced above the list, with a link to them."""
    make_comment(post, status=PENDING, reason=Reason.AKISMET_UNREACHABLE, akismet_attempts=1)
    text = text_of(admin_client.get(changelist()))
    assert "1 comment waits because Akismet could not be reached; it is asked again automatically." in text


def test_changelist_queries_do_not_grow_with_the_comments(admin_client, make_comment, make_post, make_user):
    """The list makes as many queries for 200 comments as for 20, replies and account holders included."""
    posts = [make_post() for _ in range(3)]
    reader = make_user()

    def add(count):
        for number in range(count):
            parent = Comment.objects.filter(status=APPROVED).first() if number % 3 == 0 else None
            make_comment(
                posts[number % 3],
                parent=parent,
                user=reader if number % 4 == 0 else None,
                status=[PENDING, APPROVED][number % 2],
            )

    def queries():
        admin_client.get(changelist(all=""))  # warm the session and content types
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(changelist(all=""))
        assert response.status_code == 200
        return len(captured), len(response.context["cl"].result_list)

    add(20)
    at_20, rows_20 = queries()
    add(180)
    at_200, rows_200 = queries()
    print(f"\ncomments list: {at_20} queries for {rows_20} rows, {at_200} queries for {rows_200} rows")
    assert (rows_20, rows_200) == (20, 200)
    assert at_20 == at_200


# Actions on one comment (the row's buttons) and in bulk (the actions menu)

ONE_CLICK = [
    ("approve", PENDING, APPROVED),
    ("approve", SPAM, APPROVED),
    ("unapprove", APPROVED, PENDING),
    ("spam", PENDING, SPAM),
    ("spam", APPROVED, SPAM),
    ("spam", TRASH, SPAM),
    ("not_spam", SPAM, PENDING),
    ("trash", PENDING, TRASH),
    ("trash", APPROVED, TRASH),
    ("restore", TRASH, PENDING),
]
BULK_NAMES = {"spam": "mark_spam", "not_spam": "mark_not_spam"}


@pytest.mark.parametrize(("action", "before", "after"), ONE_CLICK)
def test_one_click_action(moderator_client, moderator, make_comment, post, action, before, after):
    """A row's button moves the comment and writes a history row naming the moderator."""
    comment = make_comment(post, status=before)
    response = one_click(moderator_client, comment, action, next_url=changelist(status=before))
    assert response.redirect_chain[-1][0] == changelist(status=before)
    assert status_of(comment) == after
    assert "The comment by" in response.text
    [event] = moderator_events(comment)
    assert (event.moderator, event.from_status, event.to_status, event.reason) == (
        moderator,
        before,
        after,
        "moderator",
    )


@pytest.mark.parametrize(("action", "before", "after"), ONE_CLICK)
def test_bulk_action(moderator_client, moderator, make_comment, post, action, before, after):
    """The actions menu moves every selected comment and writes a history row for each."""
    comments = [make_comment(post, status=before) for _ in range(3)]
    response = bulk(moderator_client, BULK_NAMES.get(action, action), comments, status=before)
    assert response.status_code == 200
    assert [status_of(c) for c in comments] == [after] * 3
    assert "3 comments " in response.text
    for comment in comments:
        [event] = moderator_events(comment)
        assert (event.actor, event.moderator, event.from_status, event.to_status) == (
            Actor.MODERATOR,
            moderator,
            before,
            after,
        )


def test_bulk_action_skips_comments_it_does_not_apply_to(moderator_client, make_comment, post):
    """Approving a mix approves the pending ones, leaves the others alone and says how many of each."""
    pending = [make_comment(post, status=PENDING) for _ in range(3)]
    approved = make_comment(post, status=APPROVED)
    response = bulk(moderator_client, "approve", [*pending, approved])
    assert "3 comments approved. 1 comment left as it was: Approve is for comments in Pending or Spam." in response.text
    assert moderator_events(approved) == []


def test_not_spam_and_restore_return_the_comment_where_it_was(moderator_client, make_comment, post):
    """ "Not spam" and "Restore" put a comment back where it was before, as approved if it had been approved."""
    comment = make_comment(post, status=APPROVED)
    one_click(moderator_client, comment, "spam")
    one_click(moderator_client, comment, "not_spam")
    assert status_of(comment) == APPROVED
    one_click(moderator_client, comment, "trash")
    one_click(moderator_client, comment, "restore")
    assert status_of(comment) == APPROVED
    assert [(e.from_status, e.to_status) for e in moderator_events(comment)] == [
        (APPROVED, SPAM),
        (SPAM, APPROVED),
        (APPROVED, TRASH),
        (TRASH, APPROVED),
    ]


def test_one_click_refuses_an_action_that_does_not_apply(moderator_client, make_comment, post):
    """Restoring a comment that is not in the trash changes nothing and says why."""
    comment = make_comment(post, status=APPROVED)
    response = one_click(moderator_client, comment, "restore")
    assert "Restore does not apply to a comment in Approved." in response.text
    assert status_of(comment) == APPROVED and moderator_events(comment) == []


def test_a_get_never_changes_a_comment(moderator_client, make_comment, post):
    """The one-click addresses answer a GET with 405 and leave the comment as it was."""
    comment = make_comment(post, status=PENDING)
    response = moderator_client.get(reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"]))
    assert response.status_code == 405
    assert status_of(comment) == PENDING


def test_one_click_keeps_next_on_this_site(moderator_client, make_comment, post):
    """After an action the moderator goes back to the list, never to another site named in `next`."""
    comment = make_comment(post, status=PENDING)
    response = one_click(moderator_client, comment, "approve", next_url="https://evil.example/")
    assert response.redirect_chain[-1][0] == changelist()


@pytest.mark.parametrize(
    ("action", "before", "calls"),
    [
        ("spam", PENDING, ["submit-spam"]),
        ("spam", APPROVED, ["submit-spam"]),
        ("not_spam", SPAM, ["submit-ham"]),
        ("approve", SPAM, ["submit-ham"]),
        ("approve", PENDING, []),
        ("trash", APPROVED, []),
        ("restore", TRASH, []),
    ],
)
def test_one_click_corrections_reach_akismet(
    moderator_client, make_comment, post, akismet_fake, run_tasks, action, before, calls
):
    """Moving a comment into spam sends submit-spam, out of spam submit-ham, anything else nothing; history says so."""
    comment = make_comment(post, status=before)
    one_click(moderator_client, comment, action)
    run_tasks()
    assert akismet_calls(akismet_fake) == calls
    if calls:
        sent = next(r for r in akismet_fake.requests if r.endpoint == calls[0])
        assert sent.get("comment_content") == comment.body and sent.get("user_ip") == comment.ip_address
        what = "spam" if calls == ["submit-spam"] else "not spam"
        assert comment.events.filter(actor=Actor.AKISMET, note=f"Reported to Akismet as {what}.").exists()


@pytest.mark.parametrize(
    ("action", "before", "call"), [("mark_spam", PENDING, "submit-spam"), ("mark_not_spam", SPAM, "submit-ham")]
)
def test_bulk_corrections_reach_akismet(
    moderator_client, make_comment, post, akismet_fake, run_tasks, action, before, call
):
    """Marking several comments spam (or not spam) reports each of them to Akismet."""
    comments = [make_comment(post, status=before) for _ in range(3)]
    bulk(moderator_client, action, comments, status=before)
    run_tasks()
    assert akismet_calls(akismet_fake) == [call] * 3
    assert sorted(r.get("comment_content") for r in akismet_fake.requests if r.endpoint == call) == sorted(
        c.body for c in comments
    )


# Deleting for good: only from Spam and Trash, after a confirmation


@pytest.mark.parametrize("status", ["spam", "trash"])
def test_bulk_delete_asks_first_then_deletes(moderator_client, make_comment, post, status):
    """Delete permanently in Spam or Trash shows Django's confirmation page, and deletes only once confirmed."""
    doomed = [make_comment(post, status=status) for _ in range(2)]
    kept = make_comment(post, status=PENDING)
    data = {"action": "delete_selected", "index": 0, "_selected_action": [c.pk for c in doomed] + [kept.pk]}
    confirm = moderator_client.post(changelist(status=status), data)
    assert "admin/delete_selected_confirmation.html" in [t.name for t in confirm.templates]
    assert set(confirm.context["queryset"]) == set(doomed)
    assert Comment.objects.count() == 3
    done = moderator_client.post(changelist(status=status), {**data, "post": "yes"}, follow=True)
    assert "Successfully deleted 2 comments." in done.text
    assert list(Comment.objects.all()) == [kept]


def test_bulk_delete_of_pending_or_approved_comments_deletes_nothing(moderator_client, make_comment, post):
    """Delete permanently on pending or approved comments deletes nothing and says why."""
    comments = [make_comment(post, status=s) for s in (PENDING, APPROVED)]
    response = bulk(moderator_client, "delete_selected", comments)
    expected = "2 comments left as they were: only comments in Spam or Trash can be deleted permanently."
    assert expected in text_of(response)
    assert Comment.objects.count() == 2


def test_row_delete_button_leads_to_the_confirmation(moderator_client, make_comment, post):
    """A trashed comment's Delete permanently button posts to the list and gets the confirmation page first."""
    trashed = make_comment(post, status=TRASH)
    response = moderator_client.post(
        changelist(status="trash"), {"action": "delete_selected", "index": 0, "_selected_action": trashed.pk}
    )
    assert "Are you sure you want to delete the selected comment?" in text_of(response)
    assert Comment.objects.filter(pk=trashed.pk).exists()


def test_delete_view_only_for_spam_and_trash(moderator_client, make_comment, post):
    """A comment's own delete page sends pending comments back to their page, and confirms before deleting the trash."""
    pending, trashed = make_comment(post, status=PENDING), make_comment(post, status=TRASH)
    refused = moderator_client.get(reverse("admin:comments_comment_delete", args=[pending.pk]), follow=True)
    assert refused.redirect_chain == [(change_url(pending), 302)]
    assert "Only comments in Spam or Trash can be deleted permanently" in refused.text
    assert not refused.context["has_delete_permission"]
    assert moderator_client.get(change_url(trashed)).context["has_delete_permission"]
    delete_url = reverse("admin:comments_comment_delete", args=[trashed.pk])
    assert moderator_client.get(delete_url).status_code == 200
    assert moderator_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Comment.objects.filter(pk=trashed.pk).exists()


# A comment's page: history, editing, replying


def test_change_page_shows_the_history(moderator_client, moderator, make_comment, post):
    """A comment's page lists every change with its time, actor, moderator, statuses, reason and note."""
    comment = make_comment(post, status=PENDING)
    CommentEvent.objects.create(
        comment=comment,
        actor=Actor.AKISMET,
        from_status=PENDING,
        to_status=PENDING,
        reason=Reason.AKISMET_UNREACHABLE,
        note="Attempt 1 failed; asking again in 0:00:30.",
    )
    one_click(moderator_client, comment, "approve")
    text = text_of(moderator_client.get(change_url(comment)))
    history = text[text.index("History When Who Change Reason Note") :]
    assert "Akismet Pending Akismet unreachable, will retry Attempt 1 failed; asking again in 0:00:30." in history
    assert "Moderator (Mo Derator) Pending → Approved Moderator's decision" in history
    assert history.index("Akismet unreachable") < history.index("Mo Derator")


def test_change_page_offers_the_applicable_buttons(moderator_client, make_comment, post):
    """A pending comment's page has Approve, Spam and Trash buttons that post, and a reply box."""
    comment = make_comment(post, status=PENDING)
    response = moderator_client.get(change_url(comment))
    assert [b["label"] for b in response.context["moderation_buttons"]] == ["Approve", "Spam", "Trash"]
    assert 'id="comment-reply"' in response.text


def edit_data(comment, **changes):
    data = {
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_url": comment.author_url,
        "body": comment.body,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "reports-TOTAL_FORMS": 0,  # the readers' reports (read-only, as the history)
        "reports-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_editing_the_text_renders_it_again_and_keeps_the_status(moderator_client, moderator, make_comment, post):
    """Saving an edited text re-renders its HTML, notes the edit, and cannot change the status."""
    comment = make_comment(post, status=PENDING)
    data = edit_data(comment, body="Now with a link: https://example.org", status=APPROVED, reason=Reason.MODERATOR)
    response = moderator_client.post(change_url(comment), data)
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Now with a link: https://example.org"
    assert '<a href="https://example.org" rel="nofollow ugc noopener">' in comment.body_html
    assert comment.status == PENDING
    [event] = moderator_events(comment)
    assert (event.moderator, event.note, event.to_status) == (moderator, "Edited: comment.", PENDING)


def test_an_edit_does_not_undo_a_status_set_meanwhile(moderator_client, make_comment, post):
    """An edit saves only the edited fields, so a spam verdict reached while the page was open stays."""
    comment = make_comment(post, status=PENDING)
    Comment.objects.filter(pk=comment.pk).update(status=SPAM, reason=Reason.AKISMET_SPAM)
    moderator_client.post(change_url(comment), edit_data(comment, author_name="M. North"))
    comment.refresh_from_db()
    assert (comment.author_name, comment.status, comment.reason) == ("M. North", SPAM, Reason.AKISMET_SPAM)


@pytest.mark.parametrize(
    "changes",
    [
        {"author_name": "Ring\x07 the bell"},
        {"author_name": "Two\tcolumns"},
        {"author_email": '"form\x0cfeed"@example.com'},
        {"author_url": "https://example.org/\x1b[31m"},
        {"body": "Page\x0cbreak"},
    ],
)
def test_an_edit_with_a_control_character_is_refused_saying_so(moderator_client, make_comment, post, changes):
    """The admin's form refuses control characters as the reader's does (the text keeps its tabs and line breaks)."""
    comment = make_comment(post, status=PENDING)
    response = moderator_client.post(change_url(comment), edit_data(comment, **changes))
    assert response.status_code == 200
    assert "Control characters are not allowed." in response.text
    assert not moderator_events(comment)


def test_an_edited_email_is_found_under_its_new_key(moderator_client, make_comment, post):
    """Saving a corrected email stores its key with it, so the author's other comments and data go by the new one."""
    comment = make_comment(post, status=PENDING, author_email="old@example.com")
    response = moderator_client.post(change_url(comment), edit_data(comment, author_email="New@Example.COM"))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.author_email, comment.author_email_key) == ("New@Example.COM", "new@example.com")
    assert list(Comment.objects.written_by("new@example.com")) == [comment]


def reply(client, comment, body):
    return client.post(reverse("admin:comments_comment_reply", args=[comment.pk]), {"reply-body": body}, follow=True)


def test_reply_as_yourself_publishes_a_reply(moderator_client, moderator, make_comment, post):
    """ "Reply as yourself" publishes the moderator's reply under the comment, one level deeper, with its history."""
    comment = make_comment(post, status=APPROVED)
    response = reply(moderator_client, comment, "Thank you, <em>Marianne</em>!")
    answer = comment.replies.get()
    assert (answer.user, answer.author_name, answer.status, answer.depth) == (moderator, "Mo Derator", APPROVED, 2)
    assert answer.body_html == "<p>Thank you, <em>Marianne</em>!</p>"
    assert [(e.actor, e.to_status, e.moderator) for e in answer.events.order_by("pk")] == [
        (Actor.AUTHOR, PENDING, None),
        (Actor.MODERATOR, APPROVED, moderator),
    ]
    assert "Your reply is published." in response.text
    assert "Thank you, <em>Marianne</em>!" in moderator_client.get(post.get_absolute_url()).text


def test_replying_to_a_pending_comment_approves_it(moderator_client, make_comment, post):
    """Replying to a pending comment approves it first, as WordPress's "Approve and Reply" does."""
    comment = make_comment(post, status=PENDING)
    reply(moderator_client, comment, "Welcome!")
    assert status_of(comment) == APPROVED
    assert comment.replies.get().status == APPROVED


@pytest.mark.parametrize(
    ("fields", "body", "message"),
    [
        ({"status": SPAM}, "Hello", "Only a pending or approved comment can be answered."),
        ({"status": APPROVED, "depth": 5}, "Hello", "Replies can&#x27;t be nested more than 5 deep."),
        ({"status": APPROVED}, "   ", "This field is required."),
    ],
)
def test_reply_refused(moderator_client, make_comment, post, fields, body, message):
    """No reply to spam or trash, none deeper than the thread allows, and none that is empty."""
    comment = make_comment(post, **fields)
    response = reply(moderator_client, comment, body)
    assert message in response.text
    assert not comment.replies.exists()


# Pending count: admin index and the site's header


@pytest.mark.parametrize("page", ["admin:index", "admin:comments_comment_changelist"])
def test_every_admin_page_shows_the_pending_count(moderator_client, queue, page):
    """Every admin page's header shows "2 pending" beside View site, linking to the Pending tab."""
    html = moderator_client.get(reverse(page)).text
    user_tools = html[html.index('<div id="user-tools">') :]
    assert f'<a class="staff-pending" href="{changelist()}?status=pending"' in user_tools.split("</div>")[0]
    assert ">2 pending</a>" in user_tools.split("</div>")[0]


def test_site_header_shows_the_pending_count_to_staff(moderator_client, queue):
    """A moderator sees "2 pending" in the site's header, linking to the Pending tab."""
    html = moderator_client.get(reverse("blog:home")).text
    assert f'<a class="staff-pending" href="{changelist()}?status=pending"' in html
    assert ">2 pending</a>" in html


def test_anonymous_pages_do_not_show_or_vary_on_the_count(client, queue, make_user):
    """Readers, logged in or not, never see the count, and a page without cookies does not vary on them."""
    response = client.get(reverse("blog:home"))
    assert "pending" not in response.text
    assert not response.has_header("Vary")
    client.force_login(make_user())
    assert "staff-pending" not in client.get(reverse("blog:home")).text


# Permissions


def test_moderators_group_has_only_comment_permissions():
    """The Moderators group may view, change and delete comments and read their history, ban commenters
    (comments' migration 0011), see and remove subscriptions and see how new posts were sent (subscriptions'
    migration 0002), nothing else."""
    codenames = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    assert codenames == {"view_comment", "change_comment", "delete_comment", "view_commentevent"} | {
        "view_ban",
        "add_ban",
        "change_ban",
        "delete_ban",
    } | {
        "view_subscription",
        "delete_subscription",
        "view_address",
        "delete_address",
        "view_announcement",
        "view_delivery",
    }


def test_moderator_can_moderate_but_not_touch_posts_or_users(moderator_client, make_comment, post):
    """A moderator works the comments list but gets 403 on posts and users."""
    comment = make_comment(post, status=PENDING)
    assert moderator_client.get(changelist()).status_code == 200
    one_click(moderator_client, comment, "approve")
    assert status_of(comment) == APPROVED
    for name in ["admin:blog_post_changelist", "admin:auth_user_changelist", "admin:auth_group_changelist"]:
        assert moderator_client.get(reverse(name)).status_code == 403
    assert moderator_client.get(reverse("admin:blog_post_change", args=[post.pk])).status_code == 403


def test_staff_without_comment_permissions_see_no_comments(client, make_user, make_comment, post):
    """Staff without comment permissions don't see comments in the admin, can't open them and can't act on them."""
    comment = make_comment(post, status=PENDING)
    staff = make_user(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(staff)
    index = client.get(reverse("admin:index")).text
    assert "Comments" not in index and "pending" not in index
    assert client.get(changelist()).status_code == 403
    assert client.get(change_url(comment)).status_code == 403
    assert one_click(client, comment, "approve").status_code == 403
    assert status_of(comment) == PENDING
    assert "staff-pending" not in client.get(reverse("blog:home")).text


def test_view_only_staff_see_comments_without_buttons(client, make_user, make_comment, post):
    """Staff who may only view comments get the list without one-click buttons and cannot act."""
    comment = make_comment(post, status=PENDING)
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(viewer)
    html = client.get(changelist()).text
    assert 'form="comment-moderate"' not in html
    assert one_click(client, comment, "approve").status_code == 403


def test_one_click_needs_the_csrf_token(moderator, make_comment, post):
    """A one-click action posted from another site (no CSRF token) is refused and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    comment = make_comment(post, status=PENDING)
    response = client.post(reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"]))
    assert response.status_code == 403
    assert status_of(comment) == PENDING


def test_deleting_a_post_deletes_its_comments(admin_client, make_comment, post):
    """A post with published and held comments can still be deleted from the admin, and its comments go with it."""
    for status in (APPROVED, PENDING):
        make_comment(post, status=status)
    delete_url = reverse("admin:blog_post_delete", args=[post.pk])
    assert "Comments: 2" in text_of(admin_client.get(delete_url))
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Comment.objects.exists()
