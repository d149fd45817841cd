"""The two commands `make run` calls before serving: load_demo and ensure_admin."""

import re
import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils.html import strip_tags
from PIL import Image

from blog.models import Category, Post, Tag
from comments.models import Comment, CommentEvent


@pytest.fixture
def password_file(tmp_path):
    return tmp_path / ".dev-admin-password"


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def counts():
    models = (Post, Category, Tag, Comment, CommentEvent, get_user_model())
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_load_demo_creates_published_illustrated_articles(media_root):
    """load_demo publishes six or more filed, tagged articles by a non-staff author, one with a drawn image."""
    run("load_demo")
    posts = Post.objects.published()
    assert posts.count() >= 6
    assert all(post.categories.exists() and post.tags.exists() for post in posts)
    assert Category.objects.filter(parent__isnull=False).exists()
    author = get_user_model().objects.get(username="margot")
    assert author.get_full_name() == "Margot Ellery"
    assert not author.is_staff
    assert not author.has_usable_password()

    images = re.findall(r'<img src="/media/(demo/[\w-]+\.png)"', "".join(post.body_html for post in posts))
    assert images
    for name in images:
        with Image.open(media_root / name) as image:
            assert image.format == "PNG"
            assert image.size == (1200, 600)


@pytest.mark.django_db
def test_demo_articles_survive_sanitising_and_have_realistic_length(media_root):
    """Every demo article keeps its markup through the sanitiser and runs to 400-900 words."""
    run("load_demo")
    bodies = "".join(post.body_html for post in Post.objects.all())
    for element in ("<h2>", "<blockquote>", "<ul>", "<ol>", "<figure>", "<figcaption>", "<pre><code>", 'alt="'):
        assert element in bodies
    for post in Post.objects.all():
        assert 400 <= len(strip_tags(post.body_html).split()) <= 900, post.slug


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing(media_root):
    """A second load_demo creates no rows, rewrites no image and says the content is already there."""
    run("load_demo")
    before = counts()
    modified = {post.slug: post.modified_at for post in Post.objects.all()}
    image_times = {path: path.stat().st_mtime_ns for path in (media_root / "demo").iterdir()}

    output = run("load_demo")

    assert counts() == before
    assert {post.slug: post.modified_at for post in Post.objects.all()} == modified
    assert {path: path.stat().st_mtime_ns for path in (media_root / "demo").iterdir()} == image_times
    assert "already loaded" in output


@pytest.mark.django_db
def test_ensure_admin_creates_a_superuser_and_prints_its_login(settings, password_file):
    """ensure_admin creates the superuser 'admin' and prints the URL, username and a password that works."""
    settings.DEBUG = True
    output = run("ensure_admin", "--password-file", password_file)

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    password = password_file.read_text().strip()
    assert admin.check_password(password)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert "http://127.0.0.1:8000/admin/" in output
    assert "username: admin" in output
    assert f"password: {password}" in output


@pytest.mark.django_db
def test_ensure_admin_twice_prints_the_same_login(settings, password_file):
    """A second ensure_admin creates nobody and prints the same password again."""
    settings.DEBUG = True
    run("ensure_admin", "--password-file", password_file)
    password = password_file.read_text().strip()
    users = get_user_model().objects.count()

    output = run("ensure_admin", "--password-file", password_file)

    assert get_user_model().objects.count() == users
    assert f"password: {password}" in output


@pytest.mark.django_db
def test_ensure_admin_explains_how_to_reset_a_password_it_does_not_know(settings, password_file, make_user):
    """When the admin exists but its password file does not, ensure_admin points to changepassword."""
    settings.DEBUG = True
    make_user("admin", is_staff=True, is_superuser=True)

    output = run("ensure_admin", "--password-file", password_file)

    assert "manage.py changepassword admin" in output
    assert "password:" not in output
    assert not password_file.exists()


@pytest.mark.django_db
def test_ensure_admin_refuses_to_run_with_debug_off(settings, password_file):
    """ensure_admin refuses to print a password on a site with DEBUG off, unless forced."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        run("ensure_admin", "--password-file", password_file)
    assert not get_user_model().objects.filter(username="admin").exists()

    run("ensure_admin", "--force", "--password-file", password_file)
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
