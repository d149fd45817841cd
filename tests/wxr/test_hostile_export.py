"""A hostile WordPress export, imported from the admin by the real task worker while readers comment.

Each of its tricks has a test of its own (test_fetched_files.py, test_import.py, test_export.py,
test_import_while_serving.py); this is them all at once, as issue 19 put it: active files, inside
addresses and redirects into them, a slow drip, control characters and an author named like the
site's admin come in as a clean, safe site, and comments are taken all the while.
"""

from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from blog.media import PICTURE_TYPES
from blog.models import Post
from comments.models import Comment
from tests.servers import GuestBrowser, eventually
from wordpress.models import ImportRun

from .conftest import HOSTILE_UPLOADS, KEPT_AS, OUTSIDE, REFUSED_WITH, fixture_export_served_by, with_attachments

pytestmark = pytest.mark.django_db(transaction=True)

DRIP = "/drip/slow.png"
ODD = "\x7f\x85\x9f"  # DEL and C1 controls: XML 1.0 carries them, so an export may


def hostile(uploads_server, inside_server):
    """The fixture export, made hostile: `edit(text) -> text` for fixture_export_served_by."""
    for name, body in HOSTILE_UPLOADS.items():
        (uploads_server.uploads / name).write_bytes(body)
    urls = [
        *(f"{uploads_server.url}/wp-content/uploads/2025/10/{name}" for name in HOSTILE_UPLOADS),
        f"{inside_server.url}/wp-content/uploads/2025/10/crumb.png",  # inside
        "http://169.254.169.254/latest/meta-data/iam/",  # a cloud's metadata
        f"{uploads_server.url}/redirect?to={inside_server.url}/secret.png",  # a redirect inside
        f"{uploads_server.url}{DRIP}",  # a byte a second
    ]
    add_attachments = with_attachments(*urls)

    def edit(text: str) -> str:
        text = add_attachments(text)
        text = text.replace("<![CDATA[ruth]]>", "<![CDATA[admin]]>")  # the file's author "admin" is not ours
        return text.replace("<![CDATA[Alice Brennan]]>", f"<![CDATA[Alice{ODD} Brennan]]>")

    return edit


def test_a_hostile_export_imports_as_a_clean_safe_site_while_readers_comment(
    client, make_user, make_post, workers, gunicorn, uploads_server, inside_server, media_root, tmp_path
):
    """Everything hostile at once: the import refuses and reports it, keeps the rest safe, and comments go on."""
    ours = make_user("admin", is_staff=True, is_superuser=True)
    article = make_post("Open for comments while we move house")
    export = fixture_export_served_by(
        uploads_server.url, tmp_path / "hostile.xml", edit=hostile(uploads_server, inside_server)
    )
    allowed = {"WORDPRESS_FETCH_ALLOW_NETWORKS": f"{OUTSIDE}/32", "WORDPRESS_FETCH_FILE_SECONDS": "15"}
    worker = workers(MEDIA_ROOT=str(media_root), **allowed)
    site = gunicorn(MEDIA_ROOT=str(media_root), COMMENTS_MIN_SECONDS="0", COMMENTS_FLOOD_SECONDS="0")

    client.force_login(ours)
    upload = SimpleUploadedFile("hostile.xml", export.read_bytes(), content_type="text/xml")
    answer = client.post(reverse("admin:wordpress_importrun_add"), {"file": upload, "fetch_attachments": "on"})
    assert answer.status_code == 302
    run = ImportRun.objects.get()

    assert eventually(lambda: DRIP in uploads_server.requested), worker.log  # the worker is held by the drip
    assert ImportRun.objects.get(pk=run.pk).state == ImportRun.State.RUNNING
    with GuestBrowser(site.url) as reader:
        taken = [reader.post_comment(article, comment=f"Still here, number {n}.").status_code for n in range(3)]
    assert taken == [302, 302, 302]
    assert eventually(lambda: ImportRun.objects.get(pk=run.pk).state != ImportRun.State.RUNNING, seconds=180)

    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE, run.error
    assert Comment.objects.filter(post=article).count() == 3

    # Nothing inside was asked for; every file not fetched is named in the summary with its reason.
    assert inside_server.requested == []
    for reason in [
        *REFUSED_WITH.values(),
        "a loopback address",
        "169.254.169.254",
        "a link-local address",
        "took longer than 15 s",
    ]:
        assert reason in run.summary, reason

    # What was kept is what test_fetched_files.py promises, and no file has a picture's name without its bytes.
    kept = {path.name for path in (media_root / "wordpress").rglob("*") if path.is_file()}
    assert set(KEPT_AS.values()) <= kept
    assert not {"evil.svg", "page.jpg", "slow.png", "secret.png"} & kept
    for path in (media_root / "wordpress").rglob("*"):
        if path.is_file() and path.suffix.lower() in PICTURE_TYPES:  # shown as a picture: it must be that picture
            assert Image.MIME[Image.open(path).format] == PICTURE_TYPES[path.suffix.lower()], path

    # The file's "admin" is an account of its own, without the power of ours.
    theirs = Post.objects.exclude(pk=article.pk).exclude(author=article.author).values_list("author", flat=True)
    assert ours.pk not in set(theirs)
    assert "admin → admin-2" in run.summary
    newcomer = type(ours).objects.get(username="admin-2")
    assert not (newcomer.is_staff or newcomer.is_superuser or newcomer.has_usable_password())

    # The control characters do not come in (the site's forms refuse them too), and its own export is still XML.
    assert Comment.objects.filter(author_name="Alice Brennan").exists()
    stored = Comment.objects.values_list("author_name", "author_email", "body")
    assert not [text for row in stored for text in row if any(character in text for character in ODD)]
    call_command("export_wordpress", "-o", str(tmp_path / "ours.xml"))
    assert ElementTree.parse(tmp_path / "ours.xml").getroot().find("channel").findtext("title")
