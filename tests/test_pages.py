"""Pages (About, nested pages), Unicode slugs, the new post statuses and sticky posts."""

import pytest
from django.urls import reverse

from blog.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def about(make_post):
    return make_post("About", kind=Post.Kind.PAGE, slug="about", body="<p>Who writes here.</p>")


def test_a_page_has_its_own_address_and_nested_pages_live_under_it(client, make_post, about):
    """/about/ shows the page, /about/team/ its child; neither has a date in its address."""
    team = make_post("Team", kind=Post.Kind.PAGE, slug="team", parent=about, body="<p>Two of us.</p>")
    assert about.get_absolute_url() == "/about/"
    assert team.get_absolute_url() == "/about/team/"
    assert "Who writes here." in client.get("/about/").text
    assert "Two of us." in client.get("/about/team/").text
    assert client.get("/team/").status_code == 404
    assert client.get("/elsewhere/team/").status_code == 404


def test_pages_stay_out_of_the_lists_and_off_dated_addresses(client, about):
    """A page is never in the home page's list (only in the header's menu), the feed, or at a /YYYY/MM/DD/slug/
    address."""
    home = client.get(reverse("blog:home")).text
    assert "About" not in home[home.index('<main id="main"') :]
    assert "About" not in client.get(reverse("blog:feed")).text
    day = about.local_published_at
    dated = f"/{day.year}/{day.month:02d}/{day.day:02d}/about/"
    assert client.get(dated).status_code == 404


def test_two_pages_may_share_a_slug_under_different_parents(make_post, about):
    """Slugs are unique per parent for pages, as in WordPress, and once among posts."""
    contact = make_post("Contact", kind=Post.Kind.PAGE, slug="contact")
    make_post("Team", kind=Post.Kind.PAGE, slug="team", parent=about)
    make_post("Team", kind=Post.Kind.PAGE, slug="team", parent=contact)
    make_post("A post called about", slug="about")
    assert Post.objects.pages().filter(slug="team").count() == 2


def test_a_unicode_slug_is_reached_at_its_percent_encoded_address(client, make_post, make_tag):
    """Cyrillic and Japanese slugs resolve, in either case of hex, and their addresses are WordPress's, lower-case."""
    tag = make_tag("日本", slug="日本")
    post = make_post("Хлеб", slug="хлеб-на-закваске", tags=[tag])
    assert "/%d1%85%d0%bb%d0%b5%d0%b1-" in post.get_absolute_url()
    assert client.get(post.get_absolute_url()).status_code == 200
    assert client.get(post.get_absolute_url().upper()).status_code == 200
    assert tag.get_absolute_url() == "/tag/%e6%97%a5%e6%9c%ac/"
    assert "Хлеб" in client.get(tag.get_absolute_url()).text


@pytest.mark.parametrize("status", [Post.Status.PENDING, Post.Status.PRIVATE])
def test_pending_and_private_posts_are_for_staff_only(client, admin_client, make_post, status):
    """A post waiting for review or marked private is a 404 for readers and a preview for staff."""
    post = make_post("Behind the curtain", status=status)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "Behind the curtain" not in client.get(reverse("blog:home")).text
    assert admin_client.get(post.get_absolute_url()).status_code == 200


def test_sticky_posts_come_first_on_the_home_page(client, make_post):
    """An old sticky post is listed above newer ones."""
    make_post("Fresh news", days_ago=1)
    make_post("Start here", days_ago=300, sticky=True)
    text = client.get(reverse("blog:home")).text
    assert text.index("Start here") < text.index("Fresh news")
