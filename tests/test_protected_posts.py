"""Password-protected posts, as WordPress protects them: listed, their text and comments behind the password.

Whatever a reader could reach the text by (lists, feeds, search, link previews, the comment feeds,
the comment form, the front cache) is tried here without the password; the password itself is
tried wrong, right, changed, forged and too often; and the same through a real nginx.
"""

import re
import time
from datetime import timedelta

import httpx
import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.models import NO_EXCERPT, Post
from blog.protection import UNLOCKED_POSTS, UNLOCKED_SALT, UNLOCKED_SECONDS
from comments.models import Comment
from groundwork.shared_pages import PERSONAL_COOKIES
from tests.wxr.conftest import FIXTURE_EXPORT
from wordpress.exporter import wxr_chunks
from wordpress.importer import import_wxr

pytestmark = pytest.mark.django_db

PASSWORD = "crumbs & 🔑"
SECRET = "pumpernickel"  # a word of the protected post's text, which only the password may show


@pytest.fixture
def protected(make_post, make_category, make_comment):
    """A protected post with an excerpt, a picture, a category and a published comment."""
    post = make_post(
        "Members only",
        slug="members-only",
        body=f'<p>The word is {SECRET}.</p><p><img src="/media/secret.png" alt="The loaf"></p>',
        excerpt="An excerpt that tells all",
        password=PASSWORD,
        featured_image="featured/secret-loaf.png",
        categories=[make_category("Baking")],
    )
    make_comment(post, body="A comment only members may read.")
    return post


def enter(client, post, password):
    return client.post(reverse("blog:post-password", kwargs={"post_id": post.pk}), {"post_password": password})


def unlocked_client(post, password=PASSWORD) -> Client:
    reader = Client()
    assert enter(reader, post, password).status_code == 302
    return reader


# What a reader without the password sees


def test_a_protected_post_is_listed_with_its_title_and_no_excerpt(client, protected):
    """The home page lists it as WordPress does: "Protected: " and its title, and no excerpt in place of one."""
    home = client.get(reverse("blog:home")).text
    assert "Protected: Members only" in home
    assert NO_EXCERPT in home
    assert SECRET not in home and "An excerpt that tells all" not in home
    assert "Baking" in client.get(protected.categories.get().get_absolute_url()).text


def test_its_page_shows_the_password_form_in_place_of_its_text_picture_and_comments(client, protected):
    """The article is the form: no word of the text, the excerpt, the pictures or the comments, in the body or
    the head's previews."""
    response = client.get(protected.get_absolute_url())
    text = response.text
    assert response.status_code == 200
    assert '<h1 class="entry-title">Protected: Members only</h1>' in text
    assert re.search(r'name="post_password"\s+id="pwbox-', text) and 'type="password"' in text
    assert "This content is password protected. To view it please enter your password below:" in text
    assert "This post is password protected. Enter the password to view any comments." in text
    for hidden in (SECRET, "An excerpt that tells all", "secret.png", "secret-loaf.png", "only members may read"):
        assert hidden not in text, hidden
    assert f'<meta name="description" content="{NO_EXCERPT}">' in " ".join(text.split())
    assert 'id="comments"' not in text and "comments/form-state" not in text


def test_its_page_is_never_shared_by_a_cache(client, protected, make_post):
    """Locked or open, the article says `private, no-store`; with the cookie, every other page is private too."""
    locked = client.get(protected.get_absolute_url())
    assert "no-store" in locked["Cache-Control"] and "private" in locked["Cache-Control"]
    assert "public" not in locked["Cache-Control"]
    reader = unlocked_client(protected)
    opened = reader.get(protected.get_absolute_url())
    assert SECRET in opened.text and "public" not in opened["Cache-Control"]
    other = make_post("Open to all")
    assert client.get(other.get_absolute_url())["Cache-Control"].startswith("public")
    assert reader.get(other.get_absolute_url())["Cache-Control"] == "private, no-cache"
    assert UNLOCKED_POSTS in PERSONAL_COOKIES


# The password


def test_the_right_password_opens_the_post_and_its_comments_for_ten_days(protected):
    """The right password sets an HttpOnly cookie for ten days holding no password; the text and comments show."""
    reader = Client(enforce_csrf_checks=True)
    form_page = reader.get(protected.get_absolute_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text)[1]
    url = reverse("blog:post-password", kwargs={"post_id": protected.pk})
    response = reader.post(url, {"post_password": PASSWORD, "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, protected.get_absolute_url())
    cookie = response.cookies[UNLOCKED_POSTS]
    assert (cookie["max-age"], cookie["httponly"], cookie["samesite"]) == (UNLOCKED_SECONDS, True, "Lax")
    assert UNLOCKED_SECONDS == 10 * 24 * 3600
    assert "crumbs" not in cookie.value and "🔑" not in cookie.value
    page = reader.get(protected.get_absolute_url()).text
    assert f"The word is {SECRET}." in page and "secret-loaf.png" in page
    assert "A comment only members may read." in page and "Leave a Reply" in page
    assert "Protected: Members only" in page  # WordPress keeps the prefix once the post is open


def test_a_wrong_password_opens_nothing_and_says_so(client, protected):
    """A wrong password (or none, or the right one in another case) gets the form again, a 403 and no cookie."""
    for wrong in ("crumbs", "", PASSWORD.upper(), f" {PASSWORD}"):
        response = enter(client, protected, wrong)
        assert response.status_code == 403, wrong
        assert "That is not the password of this post." in response.text
        assert 'aria-invalid="true"' in response.text and SECRET not in response.text
        assert UNLOCKED_POSTS not in response.cookies
    assert SECRET not in client.get(protected.get_absolute_url()).text


def test_a_post_without_a_password_cannot_be_opened_by_one(client, make_post):
    """The form's address refuses posts that are not protected, and drafts (for readers)."""
    assert enter(client, make_post("Open"), "").status_code == 403
    assert enter(client, make_post("A draft", status=Post.Status.DRAFT, password="x"), "x").status_code == 404


def test_changing_the_password_locks_the_post_again(protected):
    """A reader who opened the post with the old password finds it locked once the password changed."""
    reader = unlocked_client(protected)
    protected.password = "a new one"
    protected.save()
    assert SECRET not in reader.get(protected.get_absolute_url()).text
    assert enter(reader, protected, "a new one").status_code == 302
    assert SECRET in reader.get(protected.get_absolute_url()).text


def test_a_forged_tampered_or_stale_cookie_opens_nothing(client, protected, make_post):
    """Only a cookie the site signed in the last ten days, holding the fingerprint of this post's password, opens it."""
    other = make_post("Another", password="something else")
    of_another_password = unlocked_client(other, "something else").cookies[UNLOCKED_POSTS].value
    genuine = unlocked_client(protected).cookies[UNLOCKED_POSTS].value
    fingerprints, _, signature = genuine.partition(":")
    stale_signer = signing.get_cookie_signer(salt=UNLOCKED_POSTS + UNLOCKED_SALT)
    stale_signer.timestamp = lambda: signing.b62_encode(int(time.time()) - UNLOCKED_SECONDS - 60)
    for forged in (
        of_another_password,
        fingerprints,  # unsigned
        f"{fingerprints}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # its signature tampered with
        signing.get_cookie_signer(salt="another-purpose").sign(fingerprints),
        stale_signer.sign(fingerprints),  # signed eleven days ago: a cookie kept past its life
        "crumbs",
    ):
        client.cookies[UNLOCKED_POSTS] = forged
        assert SECRET not in client.get(protected.get_absolute_url()).text, forged
    client.cookies[UNLOCKED_POSTS] = genuine
    assert SECRET in client.get(protected.get_absolute_url()).text


def test_one_password_opens_every_post_it_protects_as_on_wordpress(protected, make_post):
    """WordPress's cookie holds the password given, so posts sharing it open together; others stay shut."""
    same = make_post("Also members only", body="<p>Second secret.</p>", password=PASSWORD)
    different = make_post("Staff only", body="<p>Third secret.</p>", password="another")
    reader = unlocked_client(protected)
    assert "Second secret." in reader.get(same.get_absolute_url()).text
    assert "Third secret." not in reader.get(different.get_absolute_url()).text
    enter(reader, different, "another")
    assert SECRET in reader.get(protected.get_absolute_url()).text  # both kept
    assert "Third secret." in reader.get(different.get_absolute_url()).text


def test_password_guesses_are_limited(client, protected, settings):
    """Past BLOG_RATE_PASSWORDS a reader gets a 429 and no password is tried, the right one neither."""
    settings.BLOG_RATE_PASSWORDS = ["3/m", "100/m"]
    assert [enter(client, protected, f"guess {n}").status_code for n in range(3)] == [403, 403, 403]
    response = enter(client, protected, PASSWORD)
    assert response.status_code == 429
    assert "Too many passwords came from your network" in response.text
    assert UNLOCKED_POSTS not in response.cookies
    assert SECRET not in client.get(protected.get_absolute_url()).text


# Every other way to the text


def test_feeds_carry_its_title_and_never_its_text(client, protected):
    """The RSS, Atom and category feeds list it as WordPress's do: "Protected: " title, no excerpt, no text."""
    reader = unlocked_client(protected)  # feeds are the same for everyone, the cookie changes nothing
    for url in (
        reverse("blog:feed"),
        reverse("blog:feed_atom"),
        protected.categories.get().get_absolute_url() + "feed/",
    ):
        for who in (client, reader):
            feed = who.get(url).text
            assert "Protected: Members only" in feed and NO_EXCERPT in feed, url
            assert SECRET not in feed and "An excerpt that tells all" not in feed, url


def test_search_leaves_protected_posts_out(client, protected, make_post):
    """As WordPress for visitors: neither a word of its text nor of its title finds it; other posts are found."""
    make_post("Pumpernickel for all", body="<p>Open pumpernickel.</p>")
    for words in (SECRET, "Members only", "excerpt that tells"):
        found = client.get(reverse("blog:search"), {"q": words}).context["object_list"]
        assert protected not in found, words
    assert [p.title for p in client.get(reverse("blog:search"), {"q": SECRET}).context["object_list"]] == [
        "Pumpernickel for all"
    ]


def test_its_comments_are_in_no_feed_and_take_no_reply_without_the_password(client, protected):
    """Its comments are left out of the site's comment feed, its own comment feed is a 404, and commenting on it
    (the form's state, the post) is a 404 until the password is given."""
    assert "only members may read" not in client.get(reverse("comments:feed")).text
    assert "only members may read" not in client.get(reverse("comments:feed_atom")).text
    assert client.get(f"{protected.get_absolute_url()}feed/").status_code == 404
    assert client.get(reverse("comments:form-state", kwargs={"post_id": protected.pk})).status_code == 404
    posted = client.post(reverse("comments:post", kwargs={"post_id": protected.pk}), {"comment": "Let me in."})
    assert posted.status_code == 404
    reader = unlocked_client(protected)
    assert reader.get(reverse("comments:form-state", kwargs={"post_id": protected.pk})).status_code == 200
    assert not Comment.objects.filter(body="Let me in.").exists()


def test_the_sitemap_lists_its_address_as_wordpress_does(client, protected):
    """WordPress's sitemap lists protected posts (an address and a date); so does this one."""
    assert protected.get_absolute_url() in client.get(reverse("sitemap")).text


def test_a_protected_page_is_protected_the_same_way(client, make_post):
    """A page (About, Contact) with a password asks for it too, and opens with it."""
    page = make_post("Family recipes", kind=Post.Kind.PAGE, slug="family", body=f"<p>{SECRET}</p>", password="nan")
    assert SECRET not in client.get("/family/").text
    assert "Protected: Family recipes" in client.get("/family/").text
    assert SECRET in unlocked_client(page, "nan").get("/family/").text


def test_a_scheduled_protected_post_stays_hidden_until_its_time(client, make_post):
    """The password form is only for posts a reader may see: a scheduled one is a 404, form and all."""
    later = make_post("Coming", password="x", published_at=timezone.now() + timedelta(days=2))
    assert client.get(later.get_absolute_url()).status_code == 404
    assert enter(client, later, "x").status_code == 404


# Staff, import and export


def test_staff_set_and_clear_the_password_in_the_admin(admin_client, admin_user, client, make_post):
    """The post's admin screen has the password; setting it protects the post, clearing it opens it to all."""
    post = make_post("Open for now", body=f"<p>{SECRET}</p>", slug="open-for-now")
    change = reverse("admin:blog_post_change", args=[post.pk])
    assert 'name="password"' in admin_client.get(change).text
    form = {
        "kind": "post", "title": post.title, "slug": post.slug, "body": post.body, "excerpt": "",
        "status": "published", "published_at_0": "2024-03-05", "published_at_1": "12:00:00",
        "author": admin_user.pk, "comments_open": "on", "menu_order": 0,
    }  # fmt: skip
    assert admin_client.post(change, {**form, "password": "members"}).status_code == 302
    assert SECRET not in client.get(Post.objects.get(pk=post.pk).get_absolute_url()).text
    assert admin_client.post(change, {**form, "password": ""}).status_code == 302
    assert SECRET in client.get(Post.objects.get(pk=post.pk).get_absolute_url()).text


def test_an_imported_protected_post_stays_protected_and_goes_back_out_with_its_password(client, tmp_path, media_root):
    """wp:post_password comes in as the post's password (the summary says so) and the export writes it back."""
    text = FIXTURE_EXPORT.read_text()
    loaf = text.index("<wp:post_name><![CDATA[a-loaf-a-day]]>")
    no_password, password = "<wp:post_password><![CDATA[]]>", "<wp:post_password><![CDATA[rye & <spelt>]]>"
    text = text[:loaf] + text[loaf:].replace(no_password, password, 1)
    (tmp_path / "protected.xml").write_text(text)
    summary = str(import_wxr(tmp_path / "protected.xml"))
    assert "Password-protected (shown only to readers who give the password, as on WordPress):" in summary
    assert "  - A loaf a day: notes from the first month" in summary
    loaf = Post.objects.get(slug="a-loaf-a-day")
    assert loaf.password == "rye & <spelt>"
    page = client.get(loaf.get_absolute_url()).text
    assert "What changed" not in page and "Protected: A loaf a day" in page
    assert "What changed" in unlocked_client(loaf, "rye & <spelt>").get(loaf.get_absolute_url()).text
    export = "".join(wxr_chunks())
    assert "<wp:post_password><![CDATA[rye & <spelt>]]></wp:post_password>" in export


# Through the real front cache


@pytest.mark.django_db(transaction=True)
def test_the_front_cache_never_keeps_or_hands_out_a_protected_post(nginx, gunicorn, protected, make_post):
    """Through nginx: the locked page is never cached, the opened page goes to its reader only, and a reader with
    the cookie gets every page from the site."""
    proxy = nginx()
    app = gunicorn(SITE_URL=proxy.url, BEHIND_TLS_PROXY="true", FRONT_CACHE_SECONDS="3600")
    front = proxy.start([f"127.0.0.1:{app.port}"])
    other = make_post("Open to all")
    url = protected.get_absolute_url()

    for _ in range(3):
        stranger = httpx.get(front.url + url, timeout=60)
        assert stranger.status_code == 200 and stranger.headers["x-cache"] != "HIT"
        assert SECRET not in stranger.text

    with httpx.Client(base_url=front.url, timeout=60) as reader:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reader.get(url).text)[1]
        headers = {"Origin": front.url, "Referer": front.url + url}
        opened = reader.post(f"/posts/{protected.pk}/password/", data={"post_password": PASSWORD,
                             "csrfmiddlewaretoken": token}, headers=headers)  # fmt: skip
        assert opened.status_code == 302 and UNLOCKED_POSTS in reader.cookies
        page = reader.get(url)
        assert SECRET in page.text and page.headers["x-cache"] == "BYPASS"
        httpx.get(front.url + other.get_absolute_url(), timeout=60)  # cached for everyone
        assert reader.get(other.get_absolute_url()).headers["x-cache"] == "BYPASS"

    for _ in range(3):
        stranger = httpx.get(front.url + url, timeout=60)
        assert SECRET not in stranger.text and stranger.headers["x-cache"] != "HIT"
