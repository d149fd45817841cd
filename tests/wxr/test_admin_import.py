"""The admin's "Import from WordPress" page and its export download, through the test client and the real task queue."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.models import Post
from comments.models import Comment
from wordpress.models import ImportRun

from .conftest import BENCH_EXPORT

pytestmark = pytest.mark.django_db


def upload(client, content, name="export.xml", **fields):
    return client.post(
        reverse("admin:wordpress_importrun_add"),
        {"file": SimpleUploadedFile(name, content, content_type="text/xml"), **fields},
    )


def test_an_uploaded_export_is_imported_by_the_worker_and_summarised(admin_client, run_tasks, media_root):
    """Upload, the run waits for the worker, the worker imports it, the page shows the summary and the file is gone."""
    response = upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:wordpress_importrun_change", args=[run.pk]
    )
    assert run.state == ImportRun.State.QUEUED
    waiting = admin_client.get(response["Location"])
    assert "Waiting for the task worker" in waiting.text and "<progress" in waiting.text

    run_tasks()

    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE and run.percent == 100
    assert Comment.objects.count() == 100 and Post.objects.count() == 2
    page = admin_client.get(response["Location"])
    assert (
        "Imported from http://127.0.0.1:8081: 1 authors, 2 categories, 3 tags, 1 pages, 1 posts, 100 comments."
        in page.text
    )
    assert not (media_root / run.file.name).exists()
    assert admin_client.get(reverse("admin:wordpress_importrun_progress", args=[run.pk])).json()["state"] == "done"


def test_a_broken_upload_fails_with_its_reason_and_imports_nothing(admin_client, run_tasks, media_root):
    """A truncated file ends the run as failed, with the line and column, and nothing is stored."""
    text = BENCH_EXPORT.read_bytes()
    response = upload(admin_client, text[: len(text) // 3])
    run_tasks()
    page = admin_client.get(response["Location"])
    assert "Failed" in page.text
    assert "The file could not be imported: line" in page.text and "the file ends early (truncated?)" in page.text
    assert not Post.objects.exists() and not Comment.objects.exists()


def test_the_export_downloads_as_a_wxr_file(admin_client, make_post):
    """The download button streams the whole site as WXR, named after the site and the day."""
    make_post("Going places")
    response = admin_client.get(reverse("admin:wordpress_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="the-quiet-margin.wordpress.')
    body = b"".join(response.streaming_content).decode()
    assert "<wp:wxr_version>1.2</wp:wxr_version>" in body and "Going places" in body


def test_only_those_allowed_may_import_or_export(client, make_user):
    """Staff without the permissions get neither the import page nor the export."""
    client.force_login(make_user("editor", is_staff=True))
    assert client.get(reverse("admin:wordpress_importrun_add")).status_code == 403
    assert client.get(reverse("admin:wordpress_export")).status_code == 403
