"""Readers' reports of comments, notices of illegal content (DSA Art. 16) and statements of reasons (Art. 17).

Reports go through the real form page with the test client; the emails run in the real database task
queue (`run_tasks`) and reach a real SMTP server on 127.0.0.1 (`mail_through_smtp`); the moderators act in
the real admin. The front cache's test puts real nginx before a real gunicorn.
"""

import threading
from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import reports, retention
from comments.models import Actor, Comment, CommentEvent, Reason, Report, ReportOutcome, Status
from comments.moderation import change_status, moderate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_through_smtp")]

SCRIPT = '<script>alert("x")</script>'
CYRILLIC_A_DOMAIN = "marianne@ex\u0430mple.net"  # another domain than example.net, anyone's to register


@pytest.fixture
def comment(make_comment, article):
    """Gertrude's published comment on the allotment notes."""
    return make_comment(
        article, author_name="Gertrude Jekyll", author_email="gertrude@example.org", body="Beans after peas."
    )


def report_url(comment) -> str:
    return reverse("comments:report", args=[comment.pk])


def notice(comment, **fields) -> dict:
    """A complete notice of illegal content about `comment`, as the form sends it."""
    return {
        "reason": "illegal",
        "note": "",
        "explanation": "It repeats a defamatory claim about my neighbour, which a court has already ruled false.",
        "exact_url": f"http://testserver/comments/{comment.pk}/",
        "reporter_name": "Marianne North",
        "reporter_email": "marianne@example.net",
        "good_faith": "on",
        **fields,
    }


def file(client, comment, data=None, *, address="192.0.2.10"):
    """POST a report as a reader coming from `address`."""
    return client.post(report_url(comment), data or {"reason": "spam"}, REMOTE_ADDR=address)


def guests_report(comment, count, *, start=1, **data):
    """`count` guests, each from their own address and browser, report `comment`."""
    for number in range(start, start + count):
        response = file(Client(), comment, {"reason": "abusive", **data}, address=f"198.51.100.{number}")
        assert response.status_code == 200, response.content


# The link and the page


def test_every_published_comment_has_a_plain_report_link(client, comment, make_comment, article):
    """The article links each published comment to its report page with rel="nofollow"; a held one has no link."""
    make_comment(article, status=Status.PENDING)
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        f'<a class="comment-report-link" rel="nofollow" href="/comments/{comment.pk}/report/" '
        f'aria-label="Report the comment by Gertrude Jekyll">Report</a>'
    ) in page
    assert page.count("comment-report-link") == 1


def test_the_report_page_is_never_cached_and_asks_the_dsas_details(client, comment):
    """GET shows the form for a published comment, private and never stored, with every field a notice needs."""
    response = client.get(report_url(comment))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for field in ["reason", "note", "explanation", "exact_url", "reporter_name", "reporter_email", "good_faith"]:
        assert f'name="{field}"' in page
    assert f'value="http://testserver/comments/{comment.pk}/"' in page  # the exact address, filled in
    assert "Beans after peas." in page


@pytest.mark.parametrize("status", [Status.PENDING, Status.SPAM, Status.TRASH])
def test_only_published_comments_can_be_reported(client, make_comment, article, status):
    """A comment that is not published has no report page, and a POST to it stores nothing."""
    hidden = make_comment(article, status=status)
    assert client.get(report_url(hidden)).status_code == 404
    assert file(client, hidden).status_code == 404
    assert not Report.objects.exists()


def test_a_comment_on_a_protected_post_is_not_reportable_by_a_stranger(client, make_post, make_comment):
    """Behind a post's password, the report page shows a stranger nothing of the comment."""
    locked = make_comment(make_post(password="open sesame"))
    assert client.get(report_url(locked)).status_code == 404


# Filing


def test_a_guests_report_is_stored_with_their_browser_and_address(client, comment):
    """A guest's report keeps its reason, note, address and a random id from a signed cookie set with the answer."""
    response = file(client, comment, {"reason": "off-topic", "note": "About roses, not beans."})
    assert response.status_code == 200
    assert "your report was sent" in response.content.decode()
    report = Report.objects.get()
    assert (report.comment, report.reason, report.note, report.ip_address) == (
        comment,
        "off-topic",
        "About roses, not beans.",
        "192.0.2.10",
    )
    cookie = response.cookies[reports.REPORTER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie.value.startswith(f"{report.reporter_id}:")  # signed: the value, then its signature
    assert len(report.reporter_id) == 32


def test_a_guest_reports_a_comment_once_per_browser_and_per_address(client, comment):
    """The same browser from another address, or another browser from the same address, cannot report again."""
    file(client, comment, address="192.0.2.10")
    again = file(client, comment, address="192.0.2.99")
    assert "already reported" in again.content.decode()
    assert "already reported" in file(Client(), comment, address="192.0.2.10").content.decode()
    assert Report.objects.count() == 1
    assert file(Client(), comment, address="192.0.2.11").status_code == 200
    assert Report.objects.count() == 2


def test_a_forged_reporter_cookie_counts_for_nothing(client, comment):
    """An unsigned or tampered id is not believed: the guest gets a fresh one, and cannot pick another's."""
    file(client, comment, address="192.0.2.10")
    taken = Report.objects.get().reporter_id
    stranger = Client()
    stranger.cookies[reports.REPORTER_COOKIE] = taken
    assert file(stranger, comment, address="192.0.2.20").status_code == 200
    assert Report.objects.exclude(reporter_id=taken).get().reporter_id != taken


def test_an_account_reports_a_comment_once(client, comment, make_user):
    """A logged-in reader's report is theirs: a second one, from anywhere, is refused."""
    reader = make_user()
    client.force_login(reader)
    file(client, comment, address="192.0.2.10")
    assert "already reported" in file(client, comment, address="192.0.2.77").content.decode()
    assert Report.objects.get().user == reader


def test_the_rate_limits_a_reader_to_three_reports_in_ten_minutes(client, settings, make_comment, article, make_user):
    """COMMENTS_RATE_REPORTS (3/10m): the fourth report is refused with 429, stores nothing, and keeps the note."""
    settings.COMMENTS_RATE_REPORTS = "3/10m"
    client.force_login(make_user())
    for _ in range(3):
        assert file(client, make_comment(article)).status_code == 200
    refused = file(client, make_comment(article), {"reason": "other", "note": "Kept for later."})
    assert refused.status_code == 429
    assert "Kept for later." in refused.content.decode()
    assert Report.objects.count() == 3


# Hostile input


def test_a_notice_lacking_what_the_dsa_asks_is_refused_saying_what(client, comment):
    """An illegal-content report without its explanation, address, name, email or good faith is not stored."""
    response = file(client, comment, {"reason": "illegal"})
    assert response.status_code == 400
    page = response.content.decode()
    for message in [
        "Say why you hold the comment illegal.",
        "Give the comment&#x27;s address.",
        "Give your name.",
        "Give your email address.",
        "Confirm that you send this notice in good faith.",
    ]:
        assert message in page
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/comments/1/",
        "http://testserver.evil.example/comments/1/",
        "http://evil.example@testserver/",
        "http://testserver:8080/comments/1/",
        "javascript:alert(1)",
        "ftp://testserver/comments/1/",
    ],
)
def test_a_notice_names_an_address_of_this_site_only(client, comment, url):
    """The exact address must be on this site: a notice can only be about content hosted here."""
    response = file(client, comment, notice(comment, exact_url=url))
    assert response.status_code == 400
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "field", ["note", "explanation", "reporter_name", "reporter_email", "exact_url"], ids=lambda name: name
)
def test_control_characters_are_refused_in_every_field(client, comment, field):
    """A control character (here an escape) refuses the report, whichever field carries it."""
    data = notice(comment)
    data[field] = data[field][:5] + "\x1b[2J" + data[field][5:] if data[field] else "a\x1bb"
    assert file(client, comment, data).status_code == 400
    assert not Report.objects.exists()


def test_a_name_cannot_write_a_line_of_its_own(client, comment):
    """A line break in the sender's name refuses the notice: it would write its own line into the emails."""
    assert (
        file(client, comment, notice(comment, reporter_name="Marianne\nApprove it: https://evil.example/")).status_code
        == 400
    )


@pytest.mark.parametrize(
    "address",
    [
        "mari\u0430nne@example.net",
        "\uff2d\uff21\uff32\uff29\uff21\uff2e\uff2e\uff25@example.net",
        "marianne@stra\u00dfe.example",
    ],
)
def test_an_email_the_site_cannot_tell_apart_is_refused(client, comment, address):
    """A local part outside ASCII (which folds to another's) or a domain mail would not reach as written is refused."""
    response = file(client, comment, notice(comment, reporter_email=address))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_script_in_every_field_is_stored_as_text_and_shown_escaped(
    client, moderator_client, comment, run_tasks, smtp_server
):
    """Script in each field is kept as written and escaped on the thanks page, in the admin and in the emails."""
    data = notice(comment, note=SCRIPT, explanation=SCRIPT, reporter_name=SCRIPT)
    response = file(Client(), comment, data)
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    report = Report.objects.get()
    assert (report.note, report.explanation, report.reporter_name) == (SCRIPT, SCRIPT, SCRIPT)
    admin = moderator_client.get(reverse("admin:comments_comment_changelist") + "?reported=1").content.decode()
    change = moderator_client.get(reverse("admin:comments_comment_change", args=[comment.pk])).content.decode()
    for page in (admin, change):
        assert SCRIPT not in page
        assert "&lt;script&gt;" in page
    run_tasks()
    (received,) = smtp_server.to("marianne@example.net")
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert SCRIPT not in html
    assert f"> {SCRIPT}" in received.text  # quoted, so it cannot pass for the site's words


# Holding a comment at N reports


def test_n_minus_one_reporters_leave_the_comment_published(client, settings, comment, run_tasks, smtp_server):
    """Below COMMENTS_REPORTS_TO_HOLD the comment stays published and no moderator is emailed."""
    settings.COMMENTS_REPORTS_TO_HOLD = 3
    guests_report(comment, 2)
    run_tasks()
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert smtp_server.messages == []


def test_the_nth_reporter_holds_the_comment_with_one_email(
    client, settings, moderator, comment, run_tasks, smtp_server
):
    """The third reader's report puts the comment back in the queue, "Reported by readers", with one email."""
    settings.COMMENTS_REPORTS_TO_HOLD = 3
    guests_report(comment, 2, note="Rude to the gardener.")
    guests_report(comment, 1, start=3)
    run_tasks()
    comment.refresh_from_db()
    assert (comment.status, comment.reason) == (Status.PENDING, Reason.REPORTED)
    history = [(event.actor, event.from_status, event.to_status, event.note) for event in comment.events.all()]
    assert history[-4:] == [
        (Actor.READERS, Status.APPROVED, Status.APPROVED, "Reported by a reader: Abusive or harassing."),
        (Actor.READERS, Status.APPROVED, Status.APPROVED, "Reported by a reader: Abusive or harassing."),
        (Actor.READERS, Status.APPROVED, Status.APPROVED, "Reported by a reader: Abusive or harassing."),
        (Actor.READERS, Status.APPROVED, Status.PENDING, "Reported by 3 readers."),
    ]
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [moderator.email]
    assert received.subject == '[The Quiet Margin] Reported by readers: "Notes from the allotment"'
    for expected in [
        "3 reports:",
        "- Abusive or harassing,",
        "> Rude to the gardener.",
        "> Beans after peas.",
        f"http://testserver/admin/comments/comment/{comment.pk}/change/",
        "http://testserver/admin/comments/comment/?reported=1",
    ]:
        assert expected in received.text
    assert file(Client(), comment, address="198.51.100.9").status_code == 404  # no longer published


def test_a_comment_approved_after_reports_is_not_held_again(settings, moderator, comment, run_tasks, smtp_server):
    """Once a moderator approves a reported comment, more reports are counted but do not hold it."""
    settings.COMMENTS_REPORTS_TO_HOLD = 2
    guests_report(comment, 2)
    comment.refresh_from_db()
    moderate(comment, "approve", moderator=moderator)
    guests_report(comment, 3, start=10)
    run_tasks()
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.reports.count() == 5
    queued = [
        task.args_kwargs["args"][0] for task in DBTaskResult.objects.filter(task_path="groundwork.mail.send_email")
    ]
    assert [name for name in queued if name.startswith("comments.")] == [
        "comments.decisions.compose_reported"
    ]  # the first hold's email, written too late to be sent


@pytest.mark.django_db(transaction=True)
def test_two_reports_at_once_hold_the_comment_once(settings, moderator, comment, run_tasks, smtp_server):
    """Two readers reporting at the same moment as the Nth: the comment's lock lets only one of them hold it."""
    settings.COMMENTS_REPORTS_TO_HOLD = 2
    barrier = threading.Barrier(2)
    results = []

    def report(number):
        try:
            barrier.wait()
            reader = reports.Reader(user=None, reporter_id=f"{number:032x}", ip_address=f"198.51.100.{number}")
            results.append(reports.file_report(comment.pk, reader, {"reason": "abusive", "note": ""}))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, Report) for result in results), results
    holds = CommentEvent.objects.filter(comment=comment, actor=Actor.READERS, to_status=Status.PENDING)
    assert holds.count() == 1
    run_tasks()
    assert len(smtp_server.messages) == 1


# DSA notices: acknowledgement and outcome


def test_a_notice_is_acknowledged_to_its_sender_at_once(client, comment, run_tasks, smtp_server):
    """The sender of an illegal-content notice gets an email saying it arrived, quoting what they reported."""
    response = file(client, comment, notice(comment))
    assert "We have emailed you that we received your notice" in response.content.decode()
    run_tasks()
    (received,) = smtp_server.to("marianne@example.net")
    assert received.subject == (
        '[The Quiet Margin] Your notice about a comment on "Notes from the allotment" was received'
    )
    for expected in ["Article 16", "> Beans after peas.", "> It repeats a defamatory claim", "No automated means"]:
        assert expected in received.text
    assert Report.objects.get().acknowledged_at is not None


@pytest.mark.parametrize(
    ("action", "outcome", "said"),
    [
        ("trash", ReportOutcome.REMOVED, "the comment was removed"),
        ("spam", ReportOutcome.REMOVED, "the comment was removed"),
    ],
)
def test_the_moderators_decision_is_sent_to_the_notices_sender(
    client, moderator, comment, run_tasks, smtp_server, action, outcome, said
):
    """Trash or spam after a notice: the sender is told the comment was removed, and how to contest it."""
    file(client, comment, notice(comment))
    run_tasks()
    moderate(comment, action, moderator=moderator)
    run_tasks()
    report = Report.objects.get()
    assert (report.outcome, report.outcome_sent_at is not None) == (outcome, True)
    received = smtp_server.to("marianne@example.net")[-1]
    assert received.subject.endswith(": decided")
    assert f"Decision: {said}" in received.text
    assert "reply to this email within six months" in received.text


def test_approving_a_held_comment_tells_the_sender_it_was_kept(
    client, settings, moderator, comment, run_tasks, smtp_server
):
    """A notice on a comment held by reports, then approved: the outcome is "kept", sent once."""
    settings.COMMENTS_REPORTS_TO_HOLD = 2
    file(client, comment, notice(comment))
    guests_report(comment, 1)
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    moderate(comment, "approve", moderator=moderator)
    moderate(comment, "trash", moderator=moderator)  # a later change is no second decision on the notice
    run_tasks()
    outcomes = [m for m in smtp_server.to("marianne@example.net") if m.subject.endswith("decided")]
    assert len(outcomes) == 1
    assert "Decision: the comment stays published." in outcomes[0].text


def test_keep_in_the_admin_decides_the_reports_on_a_published_comment(
    client, moderator_client, comment, run_tasks, smtp_server
):
    """The Reported tab's Keep button decides a still-published comment's reports "kept" and answers the notice."""
    file(client, comment, notice(comment))
    queue = moderator_client.get(reverse("admin:comments_comment_changelist") + "?reported=1").content.decode()
    assert 'aria-current="page">Reported <span class="count">(1)</span>' in queue
    response = moderator_client.post(reverse("admin:comments_comment_keep", args=[comment.pk]))
    assert response.status_code == 302
    assert Report.objects.get().outcome == ReportOutcome.KEPT
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.events.last().note == "Reports read: the comment is kept."
    queue = moderator_client.get(reverse("admin:comments_comment_changelist") + "?reported=1").content.decode()
    assert 'Reported <span class="count">(0)</span>' in queue
    run_tasks()
    assert "Decision: the comment stays published." in smtp_server.to("marianne@example.net")[-1].text


# Statements of reasons


def test_a_comment_a_moderator_trashes_gets_its_author_a_statement_of_reasons(
    client, settings, moderator, comment, run_tasks, smtp_server
):
    """Its author learns what was removed, why, that a person decided, and how to object (replying)."""
    settings.COMMENTS_MODERATOR_EMAILS = ["moderators@example.com"]
    guests_report(comment, 1)
    comment.refresh_from_db()
    moderate(comment, "trash", moderator=moderator)
    run_tasks()
    (received,) = smtp_server.to("gertrude@example.org")
    assert received.subject == '[The Quiet Margin] Your comment on "Notes from the allotment" was removed'
    assert received.message["Reply-To"] == "moderators@example.com"
    for expected in [
        "Article 17",
        "> Beans after peas.",
        "readers reported it (Abusive or harassing)",
        "No automated means decided this: a moderator did.",
        "How to object: reply to this email",
        "http://testserver/privacy/",
    ]:
        assert expected in received.text


def test_no_statement_for_spam_for_a_rule_or_without_an_email(make_comment, article, moderator, run_tasks, smtp_server):
    """Spam, a change no moderator made, an author without email or with erased data: no statement is sent."""
    spam = make_comment(article)
    moderate(spam, "spam", moderator=moderator)
    by_system = make_comment(article)
    change_status(by_system, Status.TRASH, actor=Actor.SYSTEM, reason=Reason.MODERATOR)
    no_email = make_comment(article, author_email="")
    moderate(no_email, "trash", moderator=moderator)
    erased = make_comment(article)
    Comment.objects.filter(pk=erased.pk).update(data_erased_at=timezone.now())
    erased.refresh_from_db()
    moderate(erased, "trash", moderator=moderator)
    run_tasks()
    assert smtp_server.messages == []


def test_a_comment_restored_before_the_email_leaves_gets_no_statement(
    make_comment, article, moderator, run_tasks, smtp_server
):
    """The statement is written when sent: a comment back out of the Trash by then is not said to be removed."""
    trashed = make_comment(article)
    moderate(trashed, "trash", moderator=moderator)
    moderate(trashed, "restore", moderator=moderator)
    results = run_tasks()
    assert not [message for message in smtp_server.messages if "was removed" in message.subject]
    assert any("not sent: the comment is approved now" in str(result.return_value) for result in results)


# The admin


def test_the_reported_tab_lists_reported_comments_with_reasons_and_notes(
    client, moderator_client, comment, make_comment, article
):
    """The Reported tab shows only comments with undecided reports, with their count, reasons and notes."""
    make_comment(article, body="Nobody minds this one.")
    guests_report(comment, 2, note="Not about gardening at all.")
    page = moderator_client.get(reverse("admin:comments_comment_changelist") + "?reported=1").content.decode()
    assert "Beans after peas." in page
    assert "Nobody minds this one." not in page
    assert "2 reports" in page
    assert "Abusive or harassing" in page
    assert "Not about gardening at all." in page


def test_the_change_page_shows_the_reports_read_only(client, moderator_client, comment):
    """The comment's page in the admin lists its reports with the notice's details, none of them editable."""
    file(client, comment, notice(comment, note="See the second sentence."))
    page = moderator_client.get(reverse("admin:comments_comment_change", args=[comment.pk])).content.decode()
    assert "Readers&#x27; reports" in page or "Readers' reports" in page
    for shown in ["See the second sentence.", "Marianne North", "marianne@example.net", "It repeats a defamatory"]:
        assert shown in page
    assert 'name="reports-0-note"' not in page


# Retention and the reader's own data


def test_old_reports_forget_their_sender(client, comment):
    """COMMENTS_REPORT_RETENTION_DAYS after it was sent, a report keeps no name, email, address or browser id."""
    file(client, comment, notice(comment))
    assert retention.forget_reporters() == 0
    later = timezone.now() + timedelta(days=181)
    assert retention.forget_reporters(now=later) == 1
    report = Report.objects.get()
    assert (report.reporter_name, report.reporter_email, report.ip_address, report.reporter_id) == ("", "", None, "")
    assert report.reason == "illegal"


def test_the_readers_data_includes_the_notices_they_sent_and_erasure_forgets_them(client, comment):
    """A notice's sender finds it in their data under any spelling of their address, and erasing removes them."""
    from privacy import data

    file(client, comment, notice(comment, reporter_email="Marianne@Example.NET"))
    held = data.holdings("marianne@example.net")
    assert [entry["name"] for entry in data.export(held)["reports"]] == ["Marianne North"]
    assert data.holdings("marianne@exampIe.net").reports == []
    file(Client(), comment, notice(comment, reporter_email=CYRILLIC_A_DOMAIN), address="192.0.2.50")
    assert len(data.holdings("marianne@example.net").reports) == 1  # another domain's notice is not hers
    data.erase(data.holdings("marianne@example.net"))
    report = Report.objects.get(ip_address__isnull=True)
    assert (report.reporter_name, report.reporter_email) == ("", "")
    assert Report.objects.exclude(pk=report.pk).get().reporter_email == CYRILLIC_A_DOMAIN
    assert data.holdings("marianne@example.net").empty


# The front cache


@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_the_nth_report_no_longer_shows_the_comment(settings, front_cache, comment, moderator):
    """Behind nginx's cache, the Nth report (sent through nginx) purges the article: the next reader sees no comment."""
    settings.COMMENTS_REPORTS_TO_HOLD = 2
    front = front_cache(COMMENTS_REPORTS_TO_HOLD="2")
    article_url = front.url + comment.post.get_absolute_url()
    assert "Beans after peas." in httpx.get(article_url, timeout=60).text
    assert httpx.get(article_url, timeout=60).headers["x-cache"] == "HIT"
    guests_report(comment, 1)
    assert "Beans after peas." in httpx.get(article_url, timeout=60).text  # one report: still shown, from the cache

    with httpx.Client(base_url=front.url, timeout=60) as guest:
        form = guest.get(f"/comments/{comment.pk}/report/")
        assert "no-store" in form.headers["Cache-Control"]
        token = guest.cookies["csrftoken"]
        sent = guest.post(
            f"/comments/{comment.pk}/report/",
            data={"reason": "abusive", "csrfmiddlewaretoken": token},
            headers={"Origin": front.url, "Referer": front.url + "/"},
        )
        assert sent.status_code == 200, sent.text
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    assert "Beans after peas." not in httpx.get(article_url, timeout=60).text
