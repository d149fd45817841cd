"""Thread controls: pinned comments, placeholders for removed comments, and closing comments (site-wide, quiet
hours, one post read only), through the real admin and the real comment form; and, against the real nginx
front cache, that closing and pinning show on the very next request."""

from datetime import datetime, time, timedelta

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments import closing, erasure, retention
from comments.feeds import post_feed_path
from comments.models import Comment, CommentEvent, CommentingClosure, Reason, Status
from comments.moderation import PinNotAllowed, moderate, pin
from comments.thread import DELETED_BY_ITS_AUTHOR, REMOVED_BY_A_MODERATOR
from tests.test_comment_queries import THREAD_QUERIES, add_thread, queries_for_article
from tests.test_leave_a_reply import page_of, post_as_guest, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("comments_from_one_test_client")]


def ids_on(response) -> list[int]:
    """The ids of the comments on a page, in the order they are shown."""
    return [
        int(li.attrs["id"].split("-")[1])
        for li in page_of(response).find_all("li")
        if "depth-" in li.attrs.get("class", "")
    ]


def press(client, comment, action):
    """A moderator's Pin / Unpin button, on the comment's row or its change page."""
    return client.post(reverse("admin:comments_comment_pin", args=[comment.pk, action]))


def roots(post, make_comment, count, **fields):
    """`count` published top-level comments, a minute apart, oldest first."""
    start = timezone.now() - timedelta(hours=1)
    return [
        make_comment(post, created_at=start + timedelta(minutes=n), body=f"Root {n}.", **fields) for n in range(count)
    ]


# Pinning


def test_a_moderator_pins_a_comment_from_its_row_and_it_comes_first_marked_pinned(
    moderator_client, post, make_comment, settings
):
    """The row's Pin button pins a published top-level comment: first on the page, labelled "Pinned", in its history."""
    settings.COMMENTS_DEFAULT_PAGE = "oldest"
    older, newer = roots(post, make_comment, 2)
    listing = moderator_client.get(reverse("admin:comments_comment_changelist")).content.decode()
    assert reverse("admin:comments_comment_pin", args=[newer.pk, "pin"]) in listing

    response = press(moderator_client, newer, "pin")

    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.pinned_at is not None
    page = Client().get(post.get_absolute_url())
    assert ids_on(page) == [newer.pk, older.pk]
    pinned_li = page_of(page).find("li", id=f"comment-{newer.pk}")
    assert "comment-pinned" in pinned_li.attrs["class"]
    assert page_of(page).find("span", class_="comment-pinned-label").text == "Pinned"
    assert CommentEvent.objects.filter(comment=newer, note__startswith="Pinned").count() == 1
    change_page = moderator_client.get(reverse("admin:comments_comment_change", args=[newer.pk])).content.decode()
    assert reverse("admin:comments_comment_pin", args=[newer.pk, "unpin"]) in change_page


def test_unpinning_puts_the_comment_back_in_its_place(moderator_client, post, make_comment, settings):
    """Unpin from the change page: the comment is back where its date puts it, and the history says so."""
    settings.COMMENTS_DEFAULT_PAGE = "oldest"
    older, newer = roots(post, make_comment, 2)
    press(moderator_client, newer, "pin")
    press(moderator_client, newer, "unpin")

    assert ids_on(Client().get(post.get_absolute_url())) == [older.pk, newer.pk]
    assert CommentEvent.objects.filter(comment=newer, note__startswith="Unpinned").count() == 1


def test_pinned_comments_lead_page_one_and_no_other_page_repeats_them(post, make_comment, moderator, settings):
    """Pinned threads (with their replies) lead page 1 whatever the order; later pages never show them, and the
    page count counts only the threads paged by date."""
    settings.COMMENTS_PER_PAGE = 2
    settings.COMMENTS_DEFAULT_PAGE = "newest"
    threads = roots(post, make_comment, 5)
    reply = make_comment(parent=threads[4], body="An answer to the pinned one.")
    pin(threads[4], moderator=moderator)
    pin(threads[2], moderator=moderator)

    page_1 = Client().get(post.get_absolute_url() + "comment-page-1/")
    page_2 = Client().get(post.get_absolute_url())  # the newest: 3 threads left to page, 2 a page

    assert ids_on(page_1) == [threads[4].pk, reply.pk, threads[2].pk, threads[0].pk, threads[1].pk]
    assert ids_on(page_2) == [threads[3].pk]
    past_the_end = Client().get(post.get_absolute_url() + "comment-page-3/")
    assert (past_the_end.status_code, past_the_end["Location"]) == (301, post.get_absolute_url())
    assert "6 thoughts on" in text_of(page_1)


def test_a_pinned_comment_and_its_replies_link_to_page_one(post, make_comment, moderator, settings, client):
    """Permalinks, the comment feed's links and Reply links of a pinned thread all land on page 1."""
    settings.COMMENTS_PER_PAGE = 2
    threads = roots(post, make_comment, 5)
    reply = make_comment(parent=threads[4], body="Under the pinned one.")
    pin(threads[4], moderator=moderator)

    page_1 = post.get_absolute_url() + "comment-page-1/"
    for comment in (threads[4], reply):
        response = client.get(reverse("comments:permalink", args=[comment.pk]))
        assert response["Location"] == f"{page_1}#comment-{comment.pk}"
        placed = Comment.objects.with_thread_places().select_related("root").get(pk=comment.pk)
        assert placed.get_absolute_url() == f"{page_1}#comment-{comment.pk}"
    feed = client.get(post_feed_path(post)).content.decode()
    assert f"{page_1}#comment-{reply.pk}" in feed
    assert f"comment-page-1/?replytocom={reply.pk}" in client.get(page_1).content.decode()


def test_only_a_few_published_top_level_comments_can_be_pinned(moderator_client, post, make_comment, settings):
    """A reply, a held comment, and a pin past COMMENTS_MAX_PINNED are refused, saying why; nothing is pinned."""
    settings.COMMENTS_MAX_PINNED = 2
    first, second, third = roots(post, make_comment, 3)
    reply = make_comment(parent=first)
    held = make_comment(post, status=Status.PENDING)
    press(moderator_client, first, "pin")
    press(moderator_client, second, "pin")

    for refused in (third, reply, held):
        response = press(moderator_client, refused, "pin")
        assert response.status_code == 302
        refused.refresh_from_db()
        assert refused.pinned_at is None
    messages = [str(m) for m in moderator_client.get(reverse("admin:comments_comment_changelist")).context["messages"]]
    assert any("at most 2 pinned comments" in m for m in messages)
    assert any("Only a published top-level comment can be pinned." in m for m in messages)


def test_an_unknown_pin_action_is_not_found(moderator_client, post, make_comment):
    """Only pin and unpin are actions of the pin address."""
    comment = make_comment(post)
    assert press(moderator_client, comment, "pin-everything").status_code == 404


def test_a_reader_cannot_pin(client, post, make_comment):
    """The pin address is the admin's: a reader is sent to log in and nothing is pinned."""
    comment = make_comment(post)
    response = press(client, comment, "pin")
    assert response.status_code == 302 and "/login/" in response["Location"]
    comment.refresh_from_db()
    assert comment.pinned_at is None


def test_pinned_threads_cost_no_more_queries(make_post, moderator, settings):
    """A page with pinned comments costs the same two comment queries as any other."""
    settings.COMMENTS_PER_PAGE = 0
    post = make_post()
    add_thread(post, 50)
    for comment in Comment.objects.for_post(post).filter(depth=1)[:3]:
        pin(comment, moderator=moderator)
    Client().get(make_post().get_absolute_url())  # what every page shares is stored
    (total, thread) = queries_for_article(Client(), post, 50)
    assert thread == THREAD_QUERIES, (total, thread)


# Placeholders for removed comments


def test_a_trashed_top_level_comment_leaves_a_placeholder_over_its_replies(moderator_client, post, make_comment):
    """Trashed from the admin, a comment others answered shows as "removed by a moderator", its replies under it,
    and nothing of its own: text, name or link."""
    removed = make_comment(
        post, author_name="Loud Person", author_url="https://loud.example", body="Something regrettable."
    )
    reply = make_comment(parent=removed, body="A calm answer.")
    deeper = make_comment(parent=reply, body="And a follow-up.")

    moderator_client.post(reverse("admin:comments_comment_moderate", args=[removed.pk, "trash"]))

    response = Client().get(post.get_absolute_url())
    text = text_of(response)
    assert REMOVED_BY_A_MODERATOR in text
    for gone in ("Loud Person", "loud.example", "Something regrettable."):
        assert gone not in text
    placeholder = page_of(response).find("li", id=f"comment-{removed.pk}")
    assert "comment-removed" in placeholder.attrs["class"]
    answer = page_of(response).find("li", id=f"comment-{reply.pk}")
    assert placeholder in answer.ancestors
    assert answer in page_of(response).find("li", id=f"comment-{deeper.pk}").ancestors
    assert "2 thoughts on" in text  # published comments only
    assert f"replytocom={removed.pk}" not in response.content.decode()


def test_a_nested_comment_marked_spam_leaves_a_placeholder_in_place(moderator, post, make_comment):
    """A reply marked as spam with an answer under it stays where it was, as a placeholder: the answer does not
    jump up the thread."""
    top = make_comment(post, body="The start.")
    spam = make_comment(parent=top, body="Buy cheap things.")
    answer = make_comment(parent=spam, body="Not sure about that.")
    moderate(spam, "spam", moderator=moderator)

    page = page_of(Client().get(post.get_absolute_url()))
    placeholder = page.find("li", id=f"comment-{spam.pk}")
    assert placeholder.attrs["class"].startswith("comment depth-2")
    assert page.find("li", id=f"comment-{top.pk}") in placeholder.ancestors
    assert placeholder in page.find("li", id=f"comment-{answer.pk}").ancestors
    assert "Buy cheap things." not in Client().get(post.get_absolute_url()).text


def test_a_removed_comment_nobody_answered_leaves_nothing(moderator, post, make_comment):
    """No placeholder without a published reply: a trashed comment whose only answer is held, or none, is gone."""
    lonely = make_comment(post, body="Nobody answered.")
    answered_by_held = make_comment(post, body="Only a held answer.")
    make_comment(parent=answered_by_held, status=Status.PENDING, body="Held answer.")
    moderate(lonely, "trash", moderator=moderator)
    moderate(answered_by_held, "trash", moderator=moderator)

    response = Client().get(post.get_absolute_url())
    assert REMOVED_BY_A_MODERATOR not in text_of(response)
    assert ids_on(response) == []


def test_a_placeholder_thread_keeps_its_page_and_counts_as_a_thread(moderator, post, make_comment, settings, client):
    """Paging counts the placeholder's thread: its replies stay on their page, and their permalinks find it."""
    settings.COMMENTS_PER_PAGE = 2
    threads = roots(post, make_comment, 4)
    reply = make_comment(parent=threads[1], body="On page one, under the second thread.")
    moderate(threads[1], "trash", moderator=moderator)

    page_1 = client.get(post.get_absolute_url() + "comment-page-1/")
    assert ids_on(page_1) == [threads[0].pk, threads[1].pk, reply.pk]
    assert ids_on(client.get(post.get_absolute_url())) == [threads[2].pk, threads[3].pk]
    link = client.get(reverse("comments:permalink", args=[reply.pk]))["Location"]
    assert link == post.get_absolute_url() + f"comment-page-1/#comment-{reply.pk}"


def test_a_comment_its_author_deletes_with_replies_stays_as_an_empty_placeholder(post, make_comment):
    """Deleted at its author's request (privacy erasure), an answered comment keeps nothing but its place: the
    thread says "deleted by its author", the replies stay under it, and none of it is stored any more."""
    mine = make_comment(post, author_name="Private Writer", author_email="private@example.com", body="My words.")
    reply = make_comment(parent=mine, body="Someone else's words.")

    erasure.delete(mine)

    kept = Comment.objects.get(pk=mine.pk)
    assert (kept.status, kept.reason) == (Status.TRASH, Reason.AUTHOR_DELETED)
    assert (kept.author_name, kept.author_email, kept.body, kept.body_html, kept.ip_address) == ("", "", "", "", None)
    assert [event.note for event in kept.events.all()] == [erasure.DELETED_NOTE]
    response = Client().get(post.get_absolute_url())
    text = text_of(response)
    assert DELETED_BY_ITS_AUTHOR in text and REMOVED_BY_A_MODERATOR not in text
    assert "Private Writer" not in text and "My words." not in text
    page = page_of(response)
    assert page.find("li", id=f"comment-{mine.pk}") in page.find("li", id=f"comment-{reply.pk}").ancestors
    assert "1 thought on" in text


def test_a_comment_its_author_deletes_without_replies_goes_entirely(post, make_comment):
    """Nobody answered it: the row goes, as before."""
    mine = make_comment(post)
    erasure.delete(mine)
    assert not Comment.objects.filter(pk=mine.pk).exists()


def test_emptying_the_trash_keeps_placeholders_while_their_replies_are_there(moderator, post, make_comment):
    """The Trash's retention leaves a removed comment that still holds a published reply; the others go."""
    holding = make_comment(post)
    make_comment(parent=holding)
    alone = make_comment(post)
    for comment in (holding, alone):
        moderate(comment, "trash", moderator=moderator)
    later = timezone.now() + timedelta(days=365)

    assert retention.delete_old_trash(now=later) == 1
    assert Comment.objects.filter(pk=holding.pk).exists()
    assert not Comment.objects.filter(pk=alone.pk).exists()


def test_feeds_count_and_list_published_comments_only(moderator, post, make_comment, client):
    """A placeholder is neither in the comment feed nor in the counts readers see."""
    removed = make_comment(post, body="Removed words.")
    make_comment(parent=removed, body="Kept words.")
    moderate(removed, "trash", moderator=moderator)

    feed = client.get(post_feed_path(post)).content.decode()
    assert "Kept words." in feed and "Removed words." not in feed and REMOVED_BY_A_MODERATOR not in feed
    assert "1 thought on" in text_of(client.get(post.get_absolute_url()))


# Closing comments on the whole site


def close_in_admin(client, **fields):
    closure = CommentingClosure.current()
    data = {
        "closed": "",
        "message": closure.message,
        "quiet_from": "",
        "quiet_until": "",
        "quiet_message": closure.quiet_message,
        **fields,
    }
    return client.post(reverse("admin:comments_commentingclosure_change", args=[closure.pk]), data)


def test_the_admin_opens_the_one_closure_from_its_list(moderator_client):
    """A moderator finds "closing comments site-wide" in the admin: its list opens the one row, none is added."""
    response = moderator_client.get(reverse("admin:comments_commentingclosure_changelist"))
    assert response.status_code == 302
    assert moderator_client.get(response["Location"]).status_code == 200
    assert moderator_client.get(reverse("admin:comments_commentingclosure_add")).status_code == 403


def test_closing_site_wide_shows_the_message_keeps_the_comments_and_refuses_a_comment(
    moderator_client, post, make_comment, reader
):
    """Closed from the admin: every article shows the message above its thread instead of the form and the Reply
    links, its comments stay, and a comment sent anyway is refused with the message, its text kept, nothing stored."""
    make_comment(post, body="Said while it was open.")
    other = Post.objects.create(
        title="Another", slug="another", author=post.author, status=post.status, published_at=post.published_at
    )
    reader.get(post.get_absolute_url())  # the section is stored as it was
    response = close_in_admin(moderator_client, closed="on", message="Closed for the election <script>x()</script>.")
    assert response.status_code == 302

    for article in (post, other):
        page = Client().get(article.get_absolute_url())
        parsed = page_of(page)
        assert parsed.find("p", class_="comments-closed-notice").text == "Closed for the election <script>x()</script>."
        assert "<script>x()" not in page.content.decode()
        assert parsed.find("form", id="commentform") is None
        assert parsed.find("a", class_="comment-reply-link") is None
    assert "Said while it was open." in Client().get(post.get_absolute_url()).text

    before = Comment.objects.count()
    refused = post_as_guest(reader, post, comment="Let me in anyway.")
    assert refused.status_code == 400
    assert "Closed for the election" in text_of(refused)
    assert page_of(refused).value("comment") == "Let me in anyway."
    assert Comment.objects.count() == before


def test_a_form_from_a_page_cached_before_closing_is_refused_with_the_message(moderator_client, post, reader):
    """Without JavaScript, the form of a page cached before closing comes back with the message, the text kept."""
    close_in_admin(moderator_client, closed="on", message="Closed while we move house.")
    sent = {"comment": "Typed on an old page.", "name": "Late Reader", "email": "late@example.com", "timestamp": ""}
    response = reader.post(reverse("comments:post", args=[post.pk]), sent)
    assert response.status_code == 400
    assert "Closed while we move house." in text_of(response)
    assert page_of(response).value("comment") == "Typed on an old page."
    assert not Comment.objects.exists()


def test_opening_again_brings_the_form_back(moderator_client, post, reader):
    """Unticking "closed" in the admin puts the form back at once, and comments are taken again."""
    close_in_admin(moderator_client, closed="on")
    close_in_admin(moderator_client)
    assert page_of(Client().get(post.get_absolute_url())).find("form", id="commentform") is not None
    assert post_as_guest(reader, post).status_code == 302


def quiet_hours_around_now(minutes_before=5, minutes_after=5):
    now = timezone.localtime()
    return (now - timedelta(minutes=minutes_before)).time(), (now + timedelta(minutes=minutes_after)).time()


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_quiet_hours_close_commenting_with_their_own_message(moderator_client, post, reader, settings, zone):
    """During quiet hours (the site's time zone) the form gives way to their message and a comment is refused."""
    settings.TIME_ZONE = zone
    start, end = quiet_hours_around_now()
    response = close_in_admin(
        moderator_client,
        quiet_from=start.strftime("%H:%M"),
        quiet_until=end.strftime("%H:%M"),
        quiet_message="Quiet now; back at seven.",
    )
    assert response.status_code == 302

    page = page_of(Client().get(post.get_absolute_url()))
    assert page.find("p", class_="comments-closed-notice").text == "Quiet now; back at seven."
    assert page.find("form", id="commentform") is None
    refused = post_as_guest(reader, post)
    assert refused.status_code == 400 and "Quiet now; back at seven." in text_of(refused)


def test_outside_quiet_hours_comments_are_open(moderator_client, post, reader):
    """Quiet hours that are not now leave the form and the comments open."""
    start, end = quiet_hours_around_now(minutes_before=-60, minutes_after=120)  # from an hour from now
    close_in_admin(moderator_client, quiet_from=start.strftime("%H:%M"), quiet_until=end.strftime("%H:%M"))
    assert page_of(Client().get(post.get_absolute_url())).find("form", id="commentform") is not None
    assert post_as_guest(reader, post).status_code == 302


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside"),
    [
        (time(22), time(7), [time(22), time(23, 59), time(0), time(6, 59)], [time(7), time(12), time(21, 59)]),
        (time(13), time(14), [time(13), time(13, 30)], [time(12, 59), time(14), time(0)]),
    ],
)
def test_quiet_hours_may_wrap_past_midnight(start, end, inside, outside):
    """22:00 to 07:00 is the night, start included and end not; 13:00 to 14:00 is within a day."""
    closure = CommentingClosure(quiet_from=start, quiet_until=end)
    assert all(closing.in_quiet_hours(closure, moment) for moment in inside)
    assert not any(closing.in_quiet_hours(closure, moment) for moment in outside)


def test_quiet_hours_need_a_start_and_an_end(moderator_client):
    """A start without an end, or the same time twice, is refused in the admin with a reason."""
    for fields in ({"quiet_from": "22:00"}, {"quiet_from": "22:00", "quiet_until": "22:00"}):
        response = close_in_admin(moderator_client, **fields)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert CommentingClosure.current().quiet_from is None


def test_a_control_character_in_the_message_is_refused(moderator_client):
    """The message is one line of plain text: a control character is refused."""
    response = close_in_admin(moderator_client, closed="on", message="Closed\x1b[31m now")
    assert response.status_code == 200
    assert not CommentingClosure.current().closed


def test_the_housekeeping_purges_when_quiet_hours_begin_or_end(post, settings):
    """`purge_at_boundaries` purges when the site's state changed since it last looked, and only then."""
    assert closing.purge_at_boundaries() is False  # first look: nothing to compare with
    assert closing.purge_at_boundaries() is False
    start, end = quiet_hours_around_now()
    CommentingClosure.objects.filter(pk=CommentingClosure.current().pk).update(quiet_from=start, quiet_until=end)
    Client().get("/")  # nothing else clears it: the closure is read from the cache
    from django.core.cache import cache

    cache.delete(closing.CLOSURE_KEY)  # as CLOSURE_SECONDS passing would
    assert closing.purge_at_boundaries() is True
    assert closing.purge_at_boundaries() is False


# One post read only


def test_a_post_made_read_only_in_its_admin_keeps_its_comments_and_takes_no_more(
    admin_client, admin_user, post, make_comment, reader
):
    """The post admin's "Comments open" box says unticked is read only; saved unticked, the comments stay shown,
    "Comments are closed." replaces the form, and a comment is refused."""
    make_comment(post, body="From before.")
    change = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "Comments open" in change and "Unticked: read only" in change

    published = timezone.localtime(post.published_at)
    response = admin_client.post(
        reverse("admin:blog_post_change", args=[post.pk]),
        {
            "kind": post.kind,
            "title": post.title,
            "slug": post.slug,
            "body": post.body,
            "excerpt": "",
            "status": post.status,
            "published_at_0": published.strftime("%Y-%m-%d"),
            "published_at_1": published.strftime("%H:%M:%S"),
            "author": admin_user.pk,
            "menu_order": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    post.refresh_from_db()
    assert post.comments_open is False

    page = Client().get(post.get_absolute_url())
    assert "From before." in page.text and "Comments are closed." in page.text
    assert page_of(page).find("form", id="commentform") is None
    assert page_of(page).find("p", class_="comments-closed-notice") is None  # not the site's notice
    refused = post_as_guest(reader, post)
    assert refused.status_code == 400 and "Comments are closed on this article." in text_of(refused)


# The front cache (real nginx before a real gunicorn): the next reader sees the change


@pytest.fixture
def shared_front(front_cache, redis_server, settings):
    """nginx before gunicorn, both this test process and gunicorn caching in one Redis (as production's web
    processes share it)."""
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server.url}}
    return front_cache(REDIS_URL=redis_server.url, COMMENTS_MIN_SECONDS="0")


def cached_twice(front, path) -> httpx.Response:
    httpx.get(front.url + path, timeout=60)
    second = httpx.get(front.url + path, timeout=60)
    assert second.headers["x-cache"] == "HIT"
    return second


@pytest.mark.django_db(transaction=True)
def test_closing_site_wide_shows_on_the_first_request_after_saving(shared_front, post, make_comment, moderator_client):
    """Saving the closure in the admin purges every article: the next anonymous reader gets the message, no form."""
    make_comment(post, body="Cached with the form.")
    path = post.get_absolute_url()
    assert 'id="commentform"' in cached_twice(shared_front, path).text

    close_in_admin(moderator_client, closed="on", message="Closed for the night of the vote.")

    first = httpx.get(shared_front.url + path, timeout=60)
    assert "Closed for the night of the vote." in first.text
    assert 'id="commentform"' not in first.text
    assert "Cached with the form." in first.text


@pytest.mark.django_db(transaction=True)
def test_quiet_hours_beginning_are_purged_by_the_task_workers_housekeeping(shared_front, redis_server, workers, post):
    """Nobody saves anything when quiet hours begin: the running task worker sees it and purges every article, so
    the page nginx keeps for an hour shows the quiet hours' message (only a purge could change it)."""
    from django.conf import settings
    from django.core.cache import cache

    from tests.servers import eventually

    path = post.get_absolute_url()
    assert 'id="commentform"' in cached_twice(shared_front, path).text
    workers(
        REDIS_URL=redis_server.url,
        TASK_LEASE_SECONDS="2",  # housekeeping every second
        FRONT_CACHE_PURGE_URLS=",".join(settings.FRONT_CACHE_PURGE_URLS),
    )
    assert eventually(lambda: cache.get(closing.STATE_SEEN_KEY, "unknown") is None)  # it has seen the site open
    start, end = quiet_hours_around_now()
    CommentingClosure.objects.filter(pk=CommentingClosure.current().pk).update(
        quiet_from=start, quiet_until=end, quiet_message="Night hours."
    )
    cache.delete(closing.CLOSURE_KEY)  # as CLOSURE_SECONDS passing would

    page = eventually(lambda: "Night hours." in (text := httpx.get(shared_front.url + path, timeout=60).text) and text)
    assert page and 'id="commentform"' not in page


@pytest.mark.django_db(transaction=True)
def test_pinning_shows_on_the_first_request_after_the_pin(front_cache, post, make_comment, moderator_client):
    """Pinning from the admin purges the thread's pages: the next anonymous reader sees the pinned comment first."""
    front = front_cache()
    older, newer = roots(post, make_comment, 2)
    path = post.get_absolute_url()
    cached = cached_twice(front, path).text
    assert cached.index(f'id="comment-{older.pk}"') < cached.index(f'id="comment-{newer.pk}"')

    press(moderator_client, newer, "pin")

    first = httpx.get(front.url + path, timeout=60).text
    assert first.index(f'id="comment-{newer.pk}"') < first.index(f'id="comment-{older.pk}"')
    assert "comment-pinned-label" in first


def test_pin_refuses_a_comment_already_pinned(post, make_comment, moderator):
    """Pinning twice is refused (the first pin's time, which orders the pinned, stays)."""
    comment = make_comment(post)
    pin(comment, moderator=moderator)
    first = Comment.objects.get(pk=comment.pk).pinned_at
    with pytest.raises(PinNotAllowed):
        pin(comment, moderator=moderator)
    assert Comment.objects.get(pk=comment.pk).pinned_at == first
    assert isinstance(first, datetime)
