"""Importing a WordPress site from its export (WXR): what comes in, how it looks, where it answers.

The exports are real ones written by WordPress 6.1 (tests/wxr/conftest.py says how they were
made); only the broken and hostile files are written by hand, from them where possible.
"""

import io
import re
import threading
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Category, Post, Tag
from comments.models import Comment, CommentEvent, Reason, Status
from wordpress.importer import import_wxr
from wordpress.models import Imported, OldAddress
from wordpress.wxr import WXRError, read_wxr

from .conftest import BENCH_EXPORT, FIXTURE_EXPORT, fixture_export_served_by, import_wordpress

pytestmark = pytest.mark.django_db

NIGHT_TRAIN = "/2025/11/03/night-train-comes-back-to-elmsford/"
LOAF = "/2025/10/02/a-loaf-a-day/"


def comment_ids_shown(response):
    return re.findall(r'<li id="comment-(\d+)"', response.text)


# The bench site: one post, 100 threaded comments


def test_the_bench_post_shows_its_100_threaded_comments_at_its_old_address(client, settings):
    """The bench export's post answers at its WordPress permalink with all 100 comments, nested as they were."""
    settings.COMMENTS_PER_PAGE = 0  # WordPress's own default: not paged
    output = import_wordpress(BENCH_EXPORT)
    assert "100 comments" in output
    response = client.get(NIGHT_TRAIN)
    assert response.status_code == 200
    assert "The night train comes back to Elmsford" in response.text
    assert "100 thoughts on" in response.text
    assert len(comment_ids_shown(response)) == 100
    post = Post.objects.get(slug="night-train-comes-back-to-elmsford")
    assert post.published_at == datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
    replies = post.comments.exclude(parent=None)
    assert replies.count() == 36
    assert max(post.comments.values_list("depth", flat=True)) == 4
    assert response.text.count('<ol class="children">') > 0


def test_threading_follows_comment_parent(client):
    """Each reply hangs under the comment WordPress named as its parent, one level deeper."""
    import_wordpress(BENCH_EXPORT)
    parents = {c.id: c.parent for item in read_wxr(BENCH_EXPORT) if hasattr(item, "comments") for c in item.comments}
    by_wordpress_id = {c.wordpress_id: c for c in Comment.objects.select_related("parent")}
    for wordpress_id, parent_id in parents.items():
        comment = by_wordpress_id[wordpress_id]
        if parent_id:
            assert comment.parent.wordpress_id == parent_id
            assert comment.depth == comment.parent.depth + 1
        else:
            assert comment.parent is None and comment.depth == 1


def test_an_old_comment_anchor_lands_on_its_comment(client, settings):
    """#comment-N with N the WordPress id is an element inside that very comment, and no other element has that id."""
    settings.COMMENTS_PER_PAGE = 0  # every comment on the one page
    import_wordpress(BENCH_EXPORT)
    response = client.get(NIGHT_TRAIN)
    for comment in Comment.objects.all():
        anchor = f'id="comment-{comment.wordpress_id}"'
        assert response.text.count(anchor) == 1
        assert comment.pk != comment.wordpress_id
        own = response.text.index(f'<li id="comment-{comment.pk}"')
        assert response.text.index(anchor) > own
        assert response.text.index(anchor) < response.text.index("<article", own)


# Authors and terms


def test_authors_become_accounts_without_a_usable_password(fixture_site):
    """Each wp:author is an account by its login, named as on WordPress, that nobody can log in with yet."""
    ruth = get_user_model().objects.get(username="ruth")
    misha = get_user_model().objects.get(username="misha")
    assert (ruth.get_full_name(), ruth.email) == ("Ruth Calder", "ruth@example.com")
    assert misha.get_full_name() == "Михаил Петров"
    assert not ruth.has_usable_password() and not misha.has_usable_password()
    assert Post.objects.get(slug="rye-spelt-and-patience").author == misha


def test_an_author_whose_username_is_taken_here_gets_an_account_of_their_own(make_user, tmp_path, media_root):
    """A file's author "admin" is not this site's superuser "admin": their posts go to a new "admin-2", never staff."""
    site_admin = make_user("admin", is_staff=True, is_superuser=True)
    (tmp_path / "admin.xml").write_text(BENCH_EXPORT.read_text().replace("[ruth]]>", "[admin]]>"))
    output = import_wordpress(tmp_path / "admin.xml")

    post = Post.objects.get(slug="night-train-comes-back-to-elmsford")
    assert post.author.username == "admin-2" and post.author != site_admin
    assert not post.author.is_staff and not post.author.is_superuser and not post.author.has_usable_password()
    assert not Post.objects.filter(author=site_admin).exists()
    assert "Authors (their login in the file → the account here):" in output
    assert "  - admin → admin-2 (a new account; 'admin' is taken here)" in output


def test_authors_go_to_existing_accounts_only_when_asked(make_user, fixture_export):
    """--match-authors puts "ruth"'s posts on this site's "ruth", says so, and makes an account only for "misha"."""
    ruth = make_user("ruth")
    output = import_wordpress(fixture_export, "--match-authors")
    assert Post.objects.get(slug="a-loaf-a-day").author == ruth
    assert Post.objects.get(slug="rye-spelt-and-patience").author.username == "misha"
    assert get_user_model().objects.count() == 2
    assert "  - ruth → ruth (this site's account of that username, as asked)" in output
    assert "  - misha → misha (a new account)" in output


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("Admin", "Admin-2"),  # the taken username in another case
        ("\uff41\uff44\uff4d\uff49\uff4e", "admin-2"),  # "admin" in fullwidth letters, which NFKC folds to "admin"
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("ad\tmin\u202e", "ad-min"),  # a tab and a right-to-left override (XML allows no other control character)
    ],
)
def test_a_hostile_login_becomes_a_plain_username_of_its_own(login, expected, make_user, tmp_path, media_root):
    """Logins that fold onto "admin", or hold markup or controls, become valid usernames of new accounts, even when
    matching was asked for (it takes the very same username)."""
    site_admin = make_user("admin", is_staff=True, is_superuser=True)
    (tmp_path / "hostile.xml").write_text(BENCH_EXPORT.read_text().replace("[ruth]]>", f"[{login}]]>"))
    import_wordpress(tmp_path / "hostile.xml", "--match-authors")

    author = Post.objects.get(slug="night-train-comes-back-to-elmsford").author
    assert author.username == expected
    assert author != site_admin and not author.is_staff and not author.is_superuser
    UnicodeUsernameValidator()(author.username)


def test_comments_by_registered_users_are_linked_to_their_accounts(fixture_site):
    """A comment whose wp:comment_user_id is an imported author belongs to that account; other users' to none."""
    ruth = get_user_model().objects.get(username="ruth")
    assert Comment.objects.filter(user=ruth, kind=Comment.Kind.COMMENT).count() == 2
    assert Comment.objects.get(author_name="Hilda Baker").user is None


def test_categories_nest_and_terms_come_in_once(fixture_site):
    """Categories nest by their parent's slug, names are unescaped, each term is imported once though written twice."""
    baking = Category.objects.get(slug="baking")
    assert Category.objects.get(slug="food-drink").name == "Food & drink"
    assert baking.parent.slug == "food-drink"
    assert Category.objects.get(slug="sourdough").path == "food-drink/baking/sourdough"
    assert Category.objects.filter(slug="Новости").exists()
    assert Category.objects.count() == 5
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["baking", "rye-spelt", "日本"]
    assert Tag.objects.get(slug="rye-spelt").name == "Rye & spelt"
    loaf = Post.objects.get(slug="a-loaf-a-day")
    assert sorted(c.slug for c in loaf.categories.all()) == ["baking", "sourdough"]
    assert sorted(t.slug for t in loaf.tags.all()) == ["baking", "rye-spelt"]


def test_a_tag_and_a_category_may_share_a_slug(client, fixture_site):
    """ "baking" is both a category and a tag, and both addresses list the post."""
    assert "A loaf a day" in client.get("/category/food-drink/baking/").text
    assert "A loaf a day" in client.get("/tag/baking/").text


# Posts and pages


def test_every_post_status_comes_in_as_it_was(fixture_site):
    """publish, draft, pending, private and future keep their meaning; scheduled stays scheduled."""
    status = dict(Post.objects.posts().values_list("slug", "status"))
    assert status["a-loaf-a-day"] == Post.Status.PUBLISHED
    assert status["starters"] == Post.Status.DRAFT
    assert status["waiting-for-review"] == Post.Status.PENDING
    assert status["costs"] == Post.Status.PRIVATE
    stollen = Post.objects.get(slug="christmas-stollen")
    assert stollen.status == Post.Status.PUBLISHED and stollen.published_at == datetime(2030, 12, 20, 8, tzinfo=UTC)
    assert not stollen.is_public


def test_dates_come_from_the_gmt_fields(fixture_site):
    """A post's date is its GMT date (here an hour before WordPress's local one); a draft's zero GMT date falls back."""
    assert Post.objects.get(slug="a-loaf-a-day").published_at == datetime(2025, 10, 2, 6, 30, tzinfo=UTC)
    draft = Post.objects.get(slug="starters")
    assert abs(draft.published_at - timezone.now()).days < 400


def test_excerpt_sticky_and_discussion_settings_are_kept(fixture_site):
    """The written excerpt (as text), <!--more--> as excerpt when none is written, sticky, comments and pings closed."""
    classic = Post.objects.get(slug="rye-spelt-and-patience")
    assert classic.excerpt == "Why rye needs time."
    assert not classic.comments_open and not classic.pings_open
    loaf = Post.objects.get(slug="a-loaf-a-day")
    assert loaf.excerpt.startswith("Thirty loaves in thirty days.") and "Day 21" not in loaf.excerpt
    assert loaf.comments_open and loaf.pings_open
    assert Post.objects.get(slug="start-here").sticky


def test_pages_keep_their_addresses_hierarchy_and_order(client, fixture_site):
    """Pages answer at /about/ and /about/oven/, with their menu order; the draft page waits for staff."""
    about = Post.objects.pages().get(slug="about")
    oven = Post.objects.pages().get(slug="oven")
    assert (oven.parent, about.menu_order, oven.menu_order) == (about, 1, 2)
    assert "Ruth bakes; Misha eats." in client.get("/about/").text
    assert "It takes two hours to heat." in client.get("/about/oven/").text
    assert client.get("/privacy-policy/").status_code == 404
    assert Post.objects.pages().get(slug="privacy-policy").status == Post.Status.DRAFT


def test_non_ascii_slugs_are_stored_decoded_and_resolve(client, fixture_site):
    """Cyrillic and Japanese slugs, percent-encoded by WordPress, are kept as Unicode and answer at the old address."""
    bread = Post.objects.get(slug="Хлеб-на-закваске")
    old_link = "/2025/09/20/%d0%a5%d0%bb%d0%b5%d0%b1-%d0%bd%d0%b0-%d0%b7%d0%b0%d0%ba%d0%b2%d0%b0%d1%81%d0%ba%d0%b5/"
    assert bread.get_absolute_url().lower() == old_link
    assert "Ржаной хлеб" in client.get(old_link).text
    assert "東京の朝のパン" in client.get(Post.objects.get(slug="東京の朝のパン").get_absolute_url()).text
    assert "Хлеб на закваске" in client.get("/category/%d0%9d%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8/").text


# Content


def test_block_content_loses_its_delimiters_and_passes_the_allow_list(fixture_site):
    """Block comments are dropped, the HTML stays, and nothing outside the allow-list survives."""
    loaf = Post.objects.get(slug="a-loaf-a-day")
    assert "<!-- wp:" not in loaf.body and "<!--" not in loaf.body_html
    assert "<h2>What changed</h2>" in loaf.body_html
    assert "<ul><li>Warmer water</li>" in loaf.body_html
    assert "onclick" not in loaf.body_html and "<script" not in loaf.body_html
    assert "bread &amp; a few were <em>good</em>" in loaf.body_html


def test_classic_content_gets_paragraphs_captions_and_decoded_entities(fixture_site):
    """No <p> in classic content: blank lines become paragraphs, [caption] a figure, &#8217; a quote."""
    classic = Post.objects.get(slug="rye-spelt-and-patience")
    html = classic.body_html
    assert "<p>Rye doesn\u2019t behave like wheat.<br>\nIt is sticky, and it never really rises.</p>" in html
    assert re.search(
        r"<figure><img [^>]*alt=\"The oven\"[^>]*><figcaption>The oven, at 250°C</figcaption></figure>", html
    )
    assert "<p>Spelt is kinder. Bake both &amp; compare.</p>" in html
    assert "[caption" not in html and "<!--more-->" not in classic.body
    assert classic.title == "Rye, spelt & patience"


def test_images_point_at_local_copies_and_the_featured_image_is_kept(fixture_site, uploads_server, media_root):
    """Attachments are fetched once from their old address; bodies and the featured image use the copies."""
    loaf = Post.objects.get(slug="a-loaf-a-day")
    assert sorted(uploads_server.requested) == [
        "/wp-content/uploads/2025/10/crumb.png",
        "/wp-content/uploads/2025/10/oven.png",
    ]
    assert '<img src="/media/wordpress/' in loaf.body_html and uploads_server.url not in loaf.body_html
    assert loaf.featured_image.name.endswith("2025/10/crumb.png")
    assert (media_root / loaf.featured_image.name).read_bytes() == (
        FIXTURE_EXPORT.parent / "uploads/crumb.png"
    ).read_bytes()
    classic = Post.objects.get(slug="rye-spelt-and-patience")
    assert "/media/wordpress/" in classic.body_html and "oven.png" in classic.body_html


def test_what_has_no_home_is_reported(fixture_site):
    """A custom field and an unknown shortcode are named in the summary, not dropped silently."""
    assert "Custom fields kept for the export (not shown here):" in fixture_site
    assert "A loaf a day: notes from the first month: oven_temperature" in fixture_site
    assert "Rye, spelt & patience: [gallery]" in fixture_site


def test_an_attachment_that_cannot_be_fetched_is_reported(uploads_server, tmp_path, media_root):
    """A file missing on the old site is named in the summary, and its post keeps the old address."""
    export = fixture_export_served_by(
        uploads_server.url, tmp_path / "x.xml", edit=lambda t: t.replace("oven.png", "gone.png")
    )
    output = import_wordpress(export, "--fetch-attachments")
    assert "Attachments not fetched (posts still point at the old site):" in output
    assert f"{uploads_server.url}/wp-content/uploads/2025/10/gone.png: HTTP 404" in output
    assert (
        f"{uploads_server.url}/wp-content/uploads/2025/10/gone.png"
        in Post.objects.get(slug="rye-spelt-and-patience").body
    )


# Comments


def test_comments_come_in_every_status_with_their_kind(fixture_site):
    """Approved, pending and trash keep their status, pingbacks and trackbacks their kind; a note is never approved."""
    by_author = {c.author_name: c for c in Comment.objects.all()}
    assert by_author["Alice Brennan"].status == Status.APPROVED
    assert by_author["Pending Pat"].status == Status.PENDING
    assert by_author["Trashed Tim"].status == Status.TRASH
    assert by_author["The Rye Review"].kind == Comment.Kind.PINGBACK
    assert by_author["Crust Weekly"].kind == Comment.Kind.TRACKBACK
    note = Comment.objects.get(kind=Comment.Kind.NOTE)
    assert note.status == Status.PENDING
    assert all(c.reason == Reason.IMPORTED for c in by_author.values())
    assert by_author["Alice Brennan"].created_at == datetime(2025, 10, 3, 10, 7, tzinfo=UTC)
    assert str(by_author["Alice Brennan"].ip_address).startswith("203.0.113.")


def test_the_article_shows_pingbacks_as_wordpress_does_and_never_the_note(client, fixture_site):
    """ "Pingback: The Rye Review" linked to its site; held, trashed and editorial-note comments stay off the page."""
    text = client.get(LOAF).text
    assert 'Pingback: <a href="https://rye.example/2025/10/week-in-bread/"' in text
    assert 'Trackback: <a href="https://crust.example/links/"' in text
    for hidden in ("Editorial note", "Waiting for the baker", "Thrown away"):
        assert hidden not in text


def test_comment_html_is_cleaned_by_the_comment_allow_list(fixture_site):
    """Links keep their address with rel="nofollow ugc"; handlers, scripts and javascript: links are gone."""
    html = Comment.objects.get(author_name="Link Lover").body_html
    assert '<a href="https://bread.example/recipe" rel="nofollow ugc noopener">my recipe</a>' in html
    assert "onclick" not in html and "javascript:" not in html and "<script" not in html
    alice = Comment.objects.get(author_name="Alice Brennan", parent=None).body_html
    assert alice == "<p>What flour did you use?</p>\n\n<p>Mine is <strong>stoneground</strong> &amp; coarse.</p>"


def test_an_imported_comment_runs_no_check_sends_nothing_and_says_where_it_came_from(
    fixture_export, akismet_fake, mailoutbox
):
    """No Akismet call, no email, no comment task; each comment's history is one row naming its WordPress id."""
    import_wordpress(fixture_export, "--fetch-attachments")
    assert akismet_fake.requests == []
    assert mailoutbox == []
    queued = DBTaskResult.objects.values_list("task_path", flat=True)
    assert [path for path in queued if path.startswith("comments.")] == []
    alice = Comment.objects.get(author_name="Alice Brennan", parent=None)
    (event,) = alice.events.all()
    assert event.note == f"Imported from WordPress: comment {alice.wordpress_id} of http://crumb.example"
    assert (event.from_status, event.to_status, event.reason) == ("", Status.APPROVED, Reason.IMPORTED)
    assert CommentEvent.objects.count() == Comment.objects.count()


def test_spam_in_a_file_stays_spam(tmp_path, media_root):
    """WordPress never exports spam, but a file that has it (edited, or from a plugin) keeps it as spam."""
    text = BENCH_EXPORT.read_text().replace(
        "<wp:comment_approved><![CDATA[1]]>", "<wp:comment_approved><![CDATA[spam]]>", 1
    )
    (tmp_path / "spam.xml").write_text(text)
    import_wordpress(tmp_path / "spam.xml")
    assert Comment.objects.spam().count() == 1


class Undone(Exception):
    pass


def queries_to_import(path) -> int:
    """The queries importing `path` makes on this connection, the import then undone."""
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                import_wxr(path)
                raise Undone
        except Undone:
            pass
    return len(queries)


def test_the_queries_of_an_import_do_not_grow_with_its_comments(tmp_path):
    """Importing the bench post with its 100 threaded comments makes as many queries as with the first 10 of them."""
    export = BENCH_EXPORT.read_text()
    comments = re.findall(r"[ \t]*<wp:comment>.*?</wp:comment>\n", export, re.DOTALL)
    assert len(comments) == 100 and "".join(comments) in export  # one run of comments, in the one post
    fewer = tmp_path / "ten-comments.xml"
    fewer.write_text(export.replace("".join(comments[10:]), ""))
    assert queries_to_import(fewer) == queries_to_import(BENCH_EXPORT)


# Old addresses


def test_old_query_addresses_redirect_permanently(client, fixture_site):
    """?p=, ?page_id= and ?cat= with WordPress ids answer 301 with the new address."""
    loaf_id = Imported.objects.get(kind="post", object_id=Post.objects.get(slug="a-loaf-a-day").pk).wordpress_id
    about_id = Imported.objects.get(kind="post", object_id=Post.objects.get(slug="about").pk).wordpress_id
    baking_id = Imported.objects.get(kind="category", object_id=Category.objects.get(slug="baking").pk).wordpress_id
    for query, target in (
        (f"p={loaf_id}", LOAF),
        (f"page_id={about_id}", "/about/"),
        (f"cat={baking_id}", "/category/food-drink/baking/"),
        ("feed=rss2", "/feed/"),
        ("feed=atom", "/feed/atom/"),
    ):
        response = client.get(f"/?{query}")
        assert (response.status_code, response["Location"]) == (301, target), query
    assert client.get("/?p=99999").status_code == 404  # not an imported id: nothing, as on WordPress


def test_old_paths_redirect_permanently(client, fixture_site):
    """An old slug, /comment-page-N/ and WordPress's feed addresses answer 301 with their new homes."""
    for path, target in (
        ("/2025/09/12/rye-and-spelt/", "/2025/09/12/rye-spelt-and-patience/"),
        (f"{LOAF}comment-page-2/", LOAF),
        ("/2025/09/12/rye-and-spelt/comment-page-1/", "/2025/09/12/rye-spelt-and-patience/comment-page-1/"),
        ("/feed/rss2/", "/feed/"),
        ("/comments/feed/rss2/", "/comments/feed/"),  # /comments/feed/ itself is the comment feed now
        ("/category/food-drink/feed/rss2/", "/category/food-drink/feed/"),
        (f"{LOAF}feed/rss2/", f"{LOAF}feed/"),  # the article's comment feed, as on WordPress
    ):
        response = client.get(path)
        assert (response.status_code, response.get("Location")) == (301, target), path
    assert client.get("/2025/09/12/never-was/").status_code == 404


def test_replytocom_with_a_wordpress_id_opens_the_reply_form_for_that_comment(client, fixture_site):
    """?replytocom=<WordPress id> redirects to the site's own ?replytocom=<id>; the site's own ids are left alone."""
    alice = Comment.objects.get(author_name="Alice Brennan", parent=None)
    response = client.get(LOAF, {"replytocom": alice.wordpress_id})
    assert (response.status_code, response["Location"]) == (301, alice.get_reply_url())
    own = client.get(LOAF, {"replytocom": alice.pk})
    assert own.status_code == 200 and "Leave a Reply to Alice Brennan" in own.text


# Into a site with content


def test_an_address_that_is_taken_is_never_overwritten(client, make_post, make_category, fixture_export):
    """A post already at the slug keeps it; the import renames its own, says so, and the old link redirects to it."""
    mine = make_post("My loaf", slug="a-loaf-a-day", body="<p>Mine.</p>")
    mine_baking = make_category("Bread", slug="baking")
    output = import_wordpress(fixture_export, "--fetch-attachments")
    assert "Renamed (the old address redirects):" in output
    assert "A loaf a day: notes from the first month: a-loaf-a-day → a-loaf-a-day-2 (taken here)" in output
    mine.refresh_from_db()
    assert (mine.title, mine.body) == ("My loaf", "<p>Mine.</p>")
    mine_baking.refresh_from_db()
    assert (mine_baking.name, mine_baking.parent) == ("Bread", None)
    assert "Bread (baking)" in output
    response = client.get(LOAF)
    assert response.status_code == 301 and response["Location"] == "/2025/10/02/a-loaf-a-day-2/"


def test_a_page_on_one_of_the_sites_own_addresses_is_renamed(tmp_path, media_root, client):
    """A WordPress page called "feed" or "search" would hide the site's own address: it is renamed."""
    text = FIXTURE_EXPORT.read_text().replace("<wp:post_name><![CDATA[about]]>", "<wp:post_name><![CDATA[search]]>")
    (tmp_path / "search.xml").write_text(text)
    output = import_wordpress(tmp_path / "search.xml")
    assert "About: search → search-2 (an address of this site)" in output
    assert client.get("/search-2/").status_code == 200


# Idempotent


def test_importing_the_same_file_again_adds_and_changes_nothing(fixture_export):
    """The second run finds everything it would make and leaves it as it is."""
    import_wordpress(fixture_export, "--fetch-attachments")
    counts = [model.objects.count() for model in (Post, Comment, CommentEvent, Category, Tag, OldAddress)]
    bodies = list(Post.objects.order_by("pk").values_list("body_html", "modified_at"))
    output = import_wordpress(fixture_export, "--fetch-attachments")
    assert "nothing new" in output
    assert "  - ruth → ruth (imported before)\n  - misha → misha (imported before)" in output
    assert [model.objects.count() for model in (Post, Comment, CommentEvent, Category, Tag, OldAddress)] == counts
    assert list(Post.objects.order_by("pk").values_list("body_html", "modified_at")) == bodies


def test_a_newer_export_adds_only_what_is_new(tmp_path, media_root):
    """A later export of the same site with one more reply adds that reply, under its parent, and nothing else."""
    import_wordpress(BENCH_EXPORT)
    reply = """<wp:comment>
            <wp:comment_id>500</wp:comment_id>
            <wp:comment_author><![CDATA[Late Reader]]></wp:comment_author>
            <wp:comment_author_email><![CDATA[late@example.org]]></wp:comment_author_email>
            <wp:comment_author_url></wp:comment_author_url>
            <wp:comment_author_IP><![CDATA[198.51.100.9]]></wp:comment_author_IP>
            <wp:comment_date><![CDATA[2025-12-01 10:00:00]]></wp:comment_date>
            <wp:comment_date_gmt><![CDATA[2025-12-01 10:00:00]]></wp:comment_date_gmt>
            <wp:comment_content><![CDATA[Still reading this a month later.]]></wp:comment_content>
            <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
            <wp:comment_type><![CDATA[comment]]></wp:comment_type>
            <wp:comment_parent>101</wp:comment_parent>
            <wp:comment_user_id>0</wp:comment_user_id>
        </wp:comment>
        </item>"""
    text = BENCH_EXPORT.read_text()
    cut = text.rindex("</item>")
    (tmp_path / "newer.xml").write_text(text[:cut] + reply + text[cut + len("</item>") :])
    output = import_wordpress(tmp_path / "newer.xml")
    assert "Imported from http://127.0.0.1:8081: 1 comments." in output
    assert Comment.objects.count() == 101
    late = Comment.objects.get(wordpress_id=500)
    assert late.parent.wordpress_id == 101 and late.depth == late.parent.depth + 1


# Dry run and bad input


def test_a_dry_run_says_what_it_would_do_and_stores_nothing(media_root):
    """--dry-run reads the whole file and prints the summary, and the database is as it was."""
    output = import_wordpress(BENCH_EXPORT, "--dry-run")
    assert output.startswith(
        "Would import from http://127.0.0.1:8081: 1 authors, 2 categories, 3 tags, 1 pages, 1 posts"
    )
    assert not Post.objects.exists() and not Comment.objects.exists() and not Imported.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_holds_no_lock_while_it_reads(media_root):
    """While a dry run goes through the items another connection writes (a transaction would shut it out on SQLite)."""
    written = []

    def write_elsewhere():
        try:
            written.append(Tag.objects.create(name="Written meanwhile", slug="written-meanwhile"))
        except Exception as error:  # on SQLite, "database is locked" once the busy timeout ran out
            written.append(error)
        finally:
            connection.close()

    def progress(stage, done, total):
        if stage == "Importing posts and comments" and not written:
            other = threading.Thread(target=write_elsewhere)
            other.start()
            other.join()

    summary = import_wxr(BENCH_EXPORT, dry_run=True, progress=progress)

    assert [type(result) for result in written] == [Tag]
    assert "100 comments" in str(summary)
    assert not Post.objects.exists() and not Comment.objects.exists() and not Imported.objects.exists()
    assert not get_user_model().objects.exists() and list(Tag.objects.values_list("slug", flat=True)) == [
        "written-meanwhile"
    ]


# This site's own export, coming back


def export_this_site(path):
    call_command("export_wordpress", "--output", str(path), stdout=io.StringIO())
    return path


def what_there_is():
    models = (Post, Comment, CommentEvent, Category, Tag, OldAddress, get_user_model())
    return {model.__name__: model.objects.count() for model in models}


def test_this_sites_own_export_imported_into_it_adds_nothing_and_says_so(fixture_site, make_post, tmp_path):
    """Export (the real command), import back: no "-2" copy, no comment twice, and the dry run and summary say why."""
    make_post("Written here", body="<p>Not from WordPress.</p>")
    before = what_there_is()
    bodies = list(Post.objects.order_by("pk").values_list("slug", "body_html", "modified_at"))
    export = export_this_site(tmp_path / "own.xml")

    dry_run = import_wordpress(export, "--dry-run")
    output = import_wordpress(export, "--fetch-attachments", "--match-authors")

    for said in (dry_run, output):
        assert "13 posts are already here (this is this site's own export): nothing of them is imported twice." in said
        assert "left as they are: 5 categories, 3 tags, 2 attachments, 3 pages, 10 posts, 15 comments." in said
        assert "  - ruth: no account needed (nothing of theirs came in)" in said
    assert dry_run.startswith("Would import from http://testserver: nothing new.")
    assert output.startswith("Imported from http://testserver: nothing new.")
    assert what_there_is() == before
    assert list(Post.objects.order_by("pk").values_list("slug", "body_html", "modified_at")) == bodies


def test_what_was_deleted_since_the_export_comes_back_once(fixture_site, tmp_path):
    """A comment and a page deleted after the export come back from it, under their parents; a second time, nothing."""
    export = export_this_site(tmp_path / "own.xml")
    before = what_there_is()
    reply = Comment.objects.filter(replies__isnull=True, parent__isnull=False).first()
    parent, text = reply.parent, reply.body
    reply.delete()
    Post.objects.pages().get(slug="oven").delete()

    output = import_wordpress(export, "--match-authors")

    assert output.startswith("Imported from http://testserver: 1 pages, 1 comments.")
    assert what_there_is() == before
    assert Comment.objects.get(body=text).parent == parent
    oven = Post.objects.pages().get(slug="oven")
    assert oven.parent.slug == "about" and oven.author.username == "ruth"
    assert import_wordpress(export, "--match-authors").startswith("Imported from http://testserver: nothing new.")
    assert what_there_is() == before


def test_a_file_that_only_claims_to_be_this_sites_is_imported_as_any_other(make_post, tmp_path, media_root, settings):
    """A stranger's file naming this site as its own, with a post id that is one of ours, only skips what is here."""
    mine = make_post("Mine", slug="mine", pk=4)  # the bench post's WordPress id
    (tmp_path / "claims.xml").write_text(BENCH_EXPORT.read_text().replace("http://127.0.0.1:8081", settings.SITE_URL))

    output = import_wordpress(tmp_path / "claims.xml")

    assert "1 posts, 100 comments" in output and "already here" not in output
    assert Post.objects.get(slug="night-train-comes-back-to-elmsford").comments.count() == 100
    mine.refresh_from_db()
    assert (mine.title, mine.comments.count()) == ("Mine", 0)


def broken_exports():
    """Hand-made bad files, most of them cut or bent from the real bench export."""
    real = BENCH_EXPORT.read_text()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><rss>&b;</rss>'
    )
    external = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>'
    return {
        "not XML": ("PK\x03\x04 a zip file, perhaps", "this is not an XML file"),
        "not WXR": ("<html><body>Hello</body></html>", "this is not a WordPress export: the document is <html>"),
        "RSS but not WXR": (
            "<rss><channel><title>A feed</title><item><title>x</title></item></channel></rss>",
            "the channel has no <wp:wxr_version>",
        ),
        "truncated": (real[: len(real) // 2], "the file ends early (truncated?)"),
        "malformed": (real.replace("</wp:comment_content>", "</wp:comment_contnet>", 3), "mismatched tag"),
        "entity bomb": (bomb, "refused: the file has a DOCTYPE"),
        "external entity": (external, "refused: the file has a DOCTYPE"),
    }


@pytest.mark.parametrize("case", list(broken_exports()))
def test_bad_input_gets_a_clear_error_with_line_and_column_and_imports_nothing(case, tmp_path, media_root):
    """Each broken file stops the command with what is wrong and where, before anything is stored."""
    text, expected = broken_exports()[case]
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(CommandError) as raised:
        import_wordpress(path)
    message = str(raised.value)
    assert expected in message
    assert re.search(r"line \d+, column \d+", message)
    assert not Post.objects.exists() and not Comment.objects.exists() and not get_user_model().objects.exists()


def test_a_malformed_file_names_the_line_of_the_fault(tmp_path):
    """The line and column given are where the file goes wrong."""
    lines = BENCH_EXPORT.read_text().splitlines()
    lines[300] = lines[300] + "<oops>"
    (tmp_path / "bad.xml").write_text("\n".join(lines))
    with pytest.raises(WXRError) as raised:
        list(read_wxr(tmp_path / "bad.xml"))
    assert raised.value.line > 300


def test_the_article_page_answers_in_constant_queries_after_an_import(client, django_assert_max_num_queries):
    """The imported article with 100 comments costs the page no more queries than any other article."""
    import_wordpress(BENCH_EXPORT)
    client.get(NIGHT_TRAIN)  # what a first request leaves in the cache (the nav) stays there
    with django_assert_max_num_queries(6):
        assert client.get(NIGHT_TRAIN).status_code == 200


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_older_wxr_versions_read_the_same(version, tmp_path, media_root):
    """WXR 1.0 and 1.1 (older WordPress, other namespace URIs) import like 1.2."""
    text = (
        BENCH_EXPORT.read_text()
        .replace("/export/1.2/", f"/export/{version}/")
        .replace(">1.2</wp:wxr", f">{version}</wp:wxr")
    )
    (tmp_path / "old.xml").write_text(text)
    assert "1 posts, 100 comments." in import_wordpress(tmp_path / "old.xml")
    assert Comment.objects.count() == 100
