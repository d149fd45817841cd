"""The admin's "Import from WordPress" page and its export download, through the test client and the real task queue."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from comments.models import Comment
from wordpress import runs
from wordpress.models import Imported, ImportRun

from .conftest import BENCH_EXPORT

pytestmark = pytest.mark.django_db


def upload(client, content, name="export.xml", **fields):
    return client.post(
        reverse("admin:wordpress_importrun_add"),
        {"file": SimpleUploadedFile(name, content, content_type="text/xml"), **fields},
    )


def checkbox(page: str, name: str) -> str:
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', page).group(0)


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


def staff_with(make_user, *codenames):
    user = make_user("editor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize("missing", ["add_post", "add_user"])
def test_importing_takes_the_permissions_to_publish_posts_and_make_accounts(missing, client, make_user):
    """May start imports but not add posts (or accounts): no button, a 403 for the page and for an upload."""
    allowed = {"view_importrun", "add_importrun", "add_post", "add_user"}
    client.force_login(staff_with(make_user, *(allowed - {missing})))

    listing = client.get(reverse("admin:wordpress_importrun_changelist"))
    assert listing.status_code == 200 and "Import from WordPress</a>" not in listing.text
    assert client.get(reverse("admin:wordpress_importrun_add")).status_code == 403
    assert upload(client, BENCH_EXPORT.read_bytes()).status_code == 403
    assert not ImportRun.objects.exists()


def test_with_those_permissions_staff_may_import(client, make_user, run_tasks, media_root):
    """Starting imports, adding posts and adding accounts, without being superuser: the button, the page, the import."""
    client.force_login(staff_with(make_user, "view_importrun", "add_importrun", "add_post", "add_user"))
    assert "Import from WordPress</a>" in client.get(reverse("admin:wordpress_importrun_changelist")).text
    assert upload(client, BENCH_EXPORT.read_bytes()).status_code == 302
    run_tasks()
    assert ImportRun.objects.get().state == ImportRun.State.DONE and Post.objects.count() == 2


def test_a_run_whose_starter_lost_the_permissions_imports_nothing(client, make_user, run_tasks, media_root):
    """Permissions taken away between the upload and the worker: the run fails, saying why, and the file is gone."""
    editor = staff_with(make_user, "view_importrun", "add_importrun", "add_post", "add_user")
    client.force_login(editor)
    upload(client, BENCH_EXPORT.read_bytes())
    editor.user_permissions.remove(Permission.objects.get(codename="add_user"))

    run_tasks()

    run = ImportRun.objects.get()
    assert (run.state, run.error) == (ImportRun.State.FAILED, "Whoever started this import may no longer import.")
    assert not Post.objects.exists() and not (media_root / run.file.name).exists()


def test_authors_are_matched_to_existing_accounts_only_when_ticked(admin_client, make_user, run_tasks, media_root):
    """The tick box is unticked at first; unticked, "ruth" of the file gets "ruth-2"; ticked, this site's "ruth"."""
    ruth = make_user("ruth")
    form = admin_client.get(reverse("admin:wordpress_importrun_add")).text
    assert "checked" not in checkbox(form, "match_authors")
    assert "Match authors to existing accounts with the same username" in form

    upload(admin_client, BENCH_EXPORT.read_bytes())
    run_tasks()
    assert Post.objects.get(slug="night-train-comes-back-to-elmsford").author.username == "ruth-2"
    page = admin_client.get(reverse("admin:wordpress_importrun_change", args=[ImportRun.objects.get().pk])).text
    assert "ruth → ruth-2 (a new account; &#x27;ruth&#x27; is taken here)" in page

    Post.objects.all().delete()
    Imported.objects.all().delete()
    upload(admin_client, BENCH_EXPORT.read_bytes(), match_authors="on")
    run_tasks()
    assert ImportRun.objects.filter(match_authors=True).count() == 1
    assert Post.objects.get(slug="night-train-comes-back-to-elmsford").author == ruth


def test_a_hostile_author_login_is_shown_as_text_in_the_summary(admin_client, run_tasks, media_root):
    """An author login holding a script lands in the summary escaped, and the account gets a plain username."""
    hostile = BENCH_EXPORT.read_text().replace("[ruth]]>", "[<script>alert(1)</script>]]>").encode()
    response = upload(admin_client, hostile)
    run_tasks()
    page = admin_client.get(response["Location"]).text
    assert "<script>alert(1)</script>" not in page
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; → script-alert-1-script (a new account; a username cannot be "
        "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;)" in page
    )


def test_a_failed_run_says_where_it_stopped_and_offers_to_run_it_again_with_its_options(
    admin_client, run_tasks, media_root
):
    """A failed run's page gives the error, the stage it stopped at and "Run again": the upload form again, with the
    run's options ticked as they were and a word on why the file must be chosen again; the file uploaded again
    imports."""
    text = BENCH_EXPORT.read_bytes()
    response = upload(admin_client, text[: len(text) // 3], name="site.xml", match_authors="on")
    run_tasks()
    run = ImportRun.objects.get()

    page = admin_client.get(response["Location"]).text
    again = reverse("admin:wordpress_importrun_add") + f"?again={run.pk}"
    assert "Failed" in page and "It stopped at: Reading the file" in page
    assert f'<a href="{again}" class="button">Run again</a>' in " ".join(page.split())
    assert not (media_root / run.file.name).exists()

    form = admin_client.get(again).text
    assert "Running again the import of site.xml</strong>, which failed: The file could not be imported" in form
    assert "checked" in checkbox(form, "match_authors") and "checked" not in checkbox(form, "fetch_attachments")
    assert 'type="file" name="file"' in form

    upload(admin_client, text, name="site.xml", match_authors="on")
    run_tasks()
    assert ImportRun.objects.latest("pk").state == ImportRun.State.DONE and Post.objects.count() == 2


def test_run_again_is_offered_only_for_a_failed_run_and_reads_only_a_number(admin_client, run_tasks, media_root):
    """The add page with ?again= naming a run that did not fail, or no number at all, is the plain upload form."""
    upload(admin_client, BENCH_EXPORT.read_bytes(), name="site.xml")
    run_tasks()
    done = ImportRun.objects.get()
    page = admin_client.get(reverse("admin:wordpress_importrun_change", args=[done.pk])).text
    assert "Run again" not in page and "Import another file" in page
    for again in (str(done.pk), "1 OR 1=1", "<script>", "9" * 40):
        form = admin_client.get(reverse("admin:wordpress_importrun_add"), {"again": again})
        assert form.status_code == 200 and "Running again" not in form.text


@pytest.mark.parametrize("task_ended", ["deleted", "failed", "successful"])
def test_a_run_whose_task_ended_before_it_ends_as_failed_when_its_page_is_seen(task_ended, admin_client, media_root):
    """Its task deleted from the queue, failed or ended (a worker of an older version) while the run waits: the
    progress the page asks for says failed, the page says why and offers to run again, and the upload is deleted."""
    response = upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    task = DBTaskResult.objects.get(pk=run.task_id)
    if task_ended == "deleted":
        task.delete()
    else:
        task.status, task.finished_at = TaskResultStatus[task_ended.upper()], timezone.now()
        task.save()

    progress = admin_client.get(reverse("admin:wordpress_importrun_progress", args=[run.pk])).json()
    page = admin_client.get(response["Location"]).text

    assert progress["state"] == "failed"
    why = {"deleted": "is no longer in the queue", "failed": "failed", "successful": "ended before the import did"}
    assert f"The import stopped before its end: its task {why[task_ended]}." in page and "Run again" in page
    assert not (media_root / run.file.name).exists() and not Post.objects.exists()


def test_a_run_waiting_for_its_worker_is_left_waiting_by_its_page(admin_client, run_tasks, media_root):
    """Seen while its task waits in the queue, a run stays queued, its file kept; the worker then imports it."""
    response = upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    assert admin_client.get(reverse("admin:wordpress_importrun_progress", args=[run.pk])).json()["state"] == "queued"
    assert "Waiting for the task worker" in admin_client.get(reverse("admin:wordpress_importrun_changelist")).text
    assert (media_root / run.file.name).exists()
    run_tasks()
    assert admin_client.get(response["Location"]).text.count("Run again") == 0
    assert ImportRun.objects.get().state == ImportRun.State.DONE


def test_a_run_its_workers_kept_dying_on_fails_saying_so(admin_client, run_tasks, media_root):
    """A run left running by three workers that died in turn (its file kills them, say by memory): the fourth does
    not try again, the run fails saying why, and the upload is deleted."""
    upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, restarts=runs.MOST_RESTARTS)

    run_tasks()

    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert run.error == (
        "The import stopped before its end: its task was started 4 times, and its worker stopped in the middle each "
        "time. What came in stays; import the file again for the rest."
    )
    assert not Post.objects.exists() and not (media_root / run.file.name).exists()


def test_a_run_taken_over_once_is_carried_on_and_says_so(admin_client, run_tasks, media_root):
    """A run whose worker died once (left running) is carried on by the next, which counts the restart; the page said
    so while it ran."""
    response = upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, restarts=1)
    assert "Carried on by another worker after its own stopped (1 time)" in admin_client.get(response["Location"]).text

    run_tasks()

    run.refresh_from_db()
    assert (run.state, run.restarts) == (ImportRun.State.DONE, 2) and Comment.objects.count() == 100


def test_deleting_a_run_that_has_not_ended_deletes_its_upload(admin_client, media_root):
    """A queued run deleted in the admin takes its uploaded file (commenters' emails and addresses) with it."""
    upload(admin_client, BENCH_EXPORT.read_bytes())
    run = ImportRun.objects.get()
    assert (media_root / run.file.name).exists()
    response = admin_client.post(reverse("admin:wordpress_importrun_delete", args=[run.pk]), {"post": "yes"})
    assert response.status_code == 302 and not ImportRun.objects.exists()
    assert not (media_root / run.file.name).exists()
