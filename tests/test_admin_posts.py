"""Writing posts in the admin: the post, category and tag screens."""

import pytest
from django.urls import reverse

from blog.models import Category, Post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["post", "category", "tag"])
def test_changelist_and_add_pages_load(admin_client, model):
    """The list and add screens of posts, categories and tags open for a superuser."""
    assert admin_client.get(reverse(f"admin:blog_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:blog_{model}_add")).status_code == 200


def test_post_change_page_loads_with_view_on_site(admin_client, make_post, make_category, make_tag):
    """A post's change screen opens and links to the post on the site."""
    post = make_post(categories=[make_category()], tags=[make_tag()])
    response = admin_client.get(reverse("admin:blog_post_change", args=[post.pk]))
    assert response.status_code == 200
    assert "View on site" in response.text
    assert "Filing" in response.text and "Publishing" in response.text


def test_view_on_site_links_straight_to_the_post(admin_client, make_post, make_category):
    """The "View on site" link is the post's own address (drafts included, for preview), not the sites framework's."""
    for obj in (make_post(), make_post(status=Post.Status.DRAFT), make_category()):
        url = reverse(f"admin:blog_{obj._meta.model_name}_change", args=[obj.pk])
        assert f'href="{obj.get_absolute_url()}" class="viewsitelink"' in admin_client.get(url).text


def test_slug_is_prepopulated_from_the_title(admin_client):
    """The add screen fills the slug in from the title as the editor types."""
    response = admin_client.get(reverse("admin:blog_post_add"))
    assert "data-prepopulated-fields" in response.text
    assert "#id_slug" in response.text and "#id_title" in response.text


def test_author_defaults_to_the_current_user(admin_client, admin_user):
    """A new post's author is the person writing it unless they choose otherwise."""
    response = admin_client.get(reverse("admin:blog_post_add"))
    assert response.context["adminform"].form.initial["author"] == admin_user.pk


def test_adding_a_post_saves_it_with_sanitized_body(admin_client, admin_user):
    """Saving the add form stores the post, its author and a sanitized body."""
    response = admin_client.post(
        reverse("admin:blog_post_add"),
        {
            "kind": Post.Kind.POST,
            "title": "Written in the admin",
            "slug": "written-in-the-admin",
            "body": "<p>Hello</p><script>alert(1)</script>",
            "excerpt": "",
            "status": Post.Status.PUBLISHED,
            "published_at_0": "2024-03-05",
            "published_at_1": "12:00:00",
            "author": admin_user.pk,
            "comments_open": "on",
            "menu_order": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get(slug="written-in-the-admin")
    assert post.author == admin_user
    assert post.body_html == "<p>Hello</p>"


def test_post_search_finds_by_title_and_body(admin_client, make_post):
    """The post list's search box looks in titles and bodies."""
    make_post("Quince jam", body="<p>Fruit.</p>")
    make_post("Tomatoes", body="<p>Also quince, a little.</p>")
    make_post("Unrelated")
    response = admin_client.get(reverse("admin:blog_post_changelist"), {"q": "quince"})
    assert response.status_code == 200
    assert {post.title for post in response.context["cl"].result_list} == {"Quince jam", "Tomatoes"}


def test_post_list_filters_by_status(admin_client, make_post):
    """The post list filters drafts from published posts."""
    make_post("A draft", status=Post.Status.DRAFT)
    make_post("Out there")
    response = admin_client.get(reverse("admin:blog_post_changelist"), {"status__exact": "draft"})
    assert [post.title for post in response.context["cl"].result_list] == ["A draft"]


def test_category_cannot_be_filed_under_its_own_sub_category(admin_client, make_category):
    """A category's parent can't be itself or one of its descendants, which would make an endless path."""
    top = make_category("Top")
    child = make_category("Child", parent=top)
    response = admin_client.post(
        reverse("admin:blog_category_change", args=[top.pk]),
        {"name": "Top", "slug": "top", "parent": child.pk, "description": ""},
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    top.refresh_from_db()
    assert top.parent is None
    assert Category.objects.get(pk=child.pk).path == "top/child"
