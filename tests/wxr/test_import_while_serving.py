"""A WordPress import in the real task worker while the site serves: it locks nobody out, says what it is doing,
keeps its task while its worker lives, is carried on by another worker when its own dies, and is the only import of
its site while it runs (a second, from the admin, waits its turn; from the command, is refused).

The old site is a local server whose one image comes a byte at a time until the test lets it go (an
event, never a pause), so the import is stuck fetching for exactly as long as the test needs. Real
processes: `manage.py run_worker` (ops/worker.py), `manage.py import_wordpress` and gunicorn with the
production settings, against the test database (SQLite here, PostgreSQL on the PostgreSQL pass).
"""

import re
import subprocess
import sys
import threading
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.core.files.base import ContentFile
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from comments.models import Comment
from devtools.stack import production_env
from ops.models import Lease
from ops.worker import put_back_abandoned
from tests.servers import BASE_DIR, TEST_ENV, GuestBrowser, database_url, eventually
from wordpress import runs
from wordpress.models import ImportRun

from .conftest import DATA, OUTSIDE, UPLOADS_FOLDER, fixture_export_served_by

pytestmark = pytest.mark.django_db(transaction=True)

HELD = "crumb.png"
PASSWORD = "pw-for-tests-only"  # make_user's
LEASE = 6  # seconds: renewed every 2 s, so a busy machine's late renewal still lands within it


class HeldUploads:
    """The fixture site's uploads, with crumb.png sent a byte every half second until `release` is set.

    `asked` is set when it is first asked for; `times_asked` counts the requests for it.
    """

    def __init__(self, root):
        (root / UPLOADS_FOLDER).mkdir(parents=True)
        for upload in (DATA / "uploads").iterdir():
            (root / UPLOADS_FOLDER / upload.name).write_bytes(upload.read_bytes())
        self.asked, self.release, self.times_asked = threading.Event(), threading.Event(), 0
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if not self.path.endswith(f"/{HELD}"):
                    return super().do_GET()
                server.times_asked += 1
                server.asked.set()
                body = (root / UPLOADS_FOLDER / HELD).read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = 0
                try:
                    while not server.release.wait(0 if sent == 0 else 0.5) and sent < len(body) - 1:
                        self.wfile.write(body[sent : sent + 1])
                        self.wfile.flush()
                        sent += 1
                    server.release.wait()
                    self.wfile.write(body[sent:])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker that asked was killed

        self.httpd = ThreadingHTTPServer((OUTSIDE, 0), partial(Handler, directory=str(root)))
        self.url = f"http://{OUTSIDE}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


FETCHING = {  # the held old site taken for the public internet, and a file waited for as long as the test holds it
    "WORDPRESS_FETCH_ALLOW_NETWORKS": f"{OUTSIDE}/32",
    "WORDPRESS_FETCH_FILE_SECONDS": "3600",
    "WORDPRESS_FETCH_TOTAL_SECONDS": "3600",
}


@pytest.fixture
def import_workers(workers, media_root):
    """`manage.py run_worker` processes with this test's MEDIA_ROOT and FETCHING, `import_workers(**env)`."""
    return lambda **env: workers(MEDIA_ROOT=str(media_root), **FETCHING, **env)


@pytest.fixture
def import_command(media_root, tmp_path):
    """`import_command(*args)`: `manage.py import_wordpress *args` started in a process of its own (a Popen), with the
    production settings, on the test database, this test's MEDIA_ROOT and FETCHING."""
    env = production_env(
        database_url(connection.settings_dict), site_url="http://127.0.0.1", static_root=tmp_path,
        **{**TEST_ENV, "MEDIA_ROOT": str(media_root), **FETCHING},
    )  # fmt: skip
    started = []

    def start(*args) -> subprocess.Popen:
        command = [sys.executable, "manage.py", "import_wordpress", *map(str, args)]
        started.append(subprocess.Popen(command, cwd=BASE_DIR, env=env, text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE))  # fmt: skip
        return started[-1]

    yield start
    for process in started:
        process.kill()
        process.communicate()


@pytest.fixture
def held_uploads(tmp_path):
    server = HeldUploads(tmp_path / "old-site")
    yield server
    server.stop()


@pytest.fixture
def queued_import(held_uploads, tmp_path, media_root, make_user):
    """The fixture site's export uploaded by a superuser, its images on `held_uploads`, queued for the worker."""
    boss = make_user("boss", is_staff=True, is_superuser=True)
    boss.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())  # one the production settings read
    boss.save()
    export = fixture_export_served_by(held_uploads.url, tmp_path / "site.xml").read_bytes()
    run = ImportRun.objects.create(file=ContentFile(export, name="site.xml"), fetch_attachments=True, started_by=boss)
    runs.start(run)
    return run


def state_of(run) -> str:
    return ImportRun.objects.get(pk=run.pk).state


def logged_in_admin(base_url: str) -> tuple[httpx.Client, httpx.Response]:
    """Log "boss" in at the admin's login page over HTTP; (the client, the answer to the login)."""
    http = httpx.Client(base_url=base_url, timeout=30)
    form = http.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = http.post(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "boss", "password": PASSWORD, "next": "/admin/"},
        headers={"Origin": base_url, "Referer": f"{base_url}/admin/login/"},
    )
    return http, answer


def test_while_an_import_waits_on_a_slow_file_readers_comment_and_staff_log_in(
    queued_import, held_uploads, gunicorn, import_workers, media_root, post
):
    """The worker stuck fetching a file that drips: a comment is posted, an admin logs in, and the progress says
    "Fetching attachments", not "Reading the file"; let go, the import ends with the file."""
    site = gunicorn(MEDIA_ROOT=str(media_root), COMMENTS_MIN_SECONDS="0")
    worker = import_workers()
    assert held_uploads.asked.wait(60), worker.log

    with GuestBrowser(site.url) as reader:
        comment = reader.post_comment(post, comment="Posted while the import waits on the old site.")
    staff, login = logged_in_admin(site.url)
    progress = staff.get(f"/admin/wordpress/importrun/{queued_import.pk}/progress/").json()
    page = staff.get(f"/admin/wordpress/importrun/{queued_import.pk}/change/").text
    staff.close()
    held_uploads.release.set()

    assert comment.status_code == 302, comment.text[-2000:]
    assert Comment.objects.filter(body="Posted while the import waits on the old site.").exists()
    assert login.status_code == 302 and login.headers["location"] == "/admin/", login.text[-2000:]
    assert (progress["state"], progress["stage"], progress["total"]) == ("running", "Fetching attachments", 2)
    assert "Importing: Fetching attachments" in page and "Reading the file" not in page
    assert eventually(lambda: state_of(queued_import) == ImportRun.State.DONE, seconds=120), worker.log
    queued_import.refresh_from_db()
    assert "2 attachments" in queued_import.summary
    assert (media_root / Post.objects.get(slug="a-loaf-a-day").featured_image.name).read_bytes() == (
        DATA / "uploads" / HELD
    ).read_bytes()


def test_a_task_past_its_lease_stays_with_its_living_worker_and_goes_to_another_when_it_dies(
    queued_import, held_uploads, import_workers
):
    """With a 6 s lease: the import runs on past it, renewed, and neither the second worker nor the housekeeping
    takes it; SIGKILL its worker, and the second carries the import on to its end, each post imported once."""
    first = import_workers(TASK_LEASE_SECONDS=str(LEASE))
    assert held_uploads.asked.wait(60), first.log
    second = import_workers(TASK_LEASE_SECONDS=str(LEASE))
    task = DBTaskResult.objects.get(task_path="wordpress.runs.run_import")

    def renewed_two_leases_after_the_start():
        renewal = Lease.objects.filter(task=task).values_list("renewed_at", flat=True).first()
        return renewal is not None and renewal - task.started_at > timedelta(seconds=2 * LEASE)

    assert eventually(renewed_two_leases_after_the_start, seconds=120), first.log
    assert put_back_abandoned() == 0  # what the second worker's housekeeping does too
    task.refresh_from_db()
    assert (task.status, len(task.worker_ids), held_uploads.times_asked) == (TaskResultStatus.RUNNING, 1, 1)
    assert state_of(queued_import) == ImportRun.State.RUNNING

    first.kill()
    assert eventually(lambda: held_uploads.times_asked == 2, seconds=60), second.log
    held_uploads.release.set()
    assert eventually(lambda: DBTaskResult.objects.get(pk=task.pk).finished_at, seconds=120), second.log

    task.refresh_from_db()
    assert (task.status, len(task.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 2)
    assert state_of(queued_import) == ImportRun.State.DONE
    assert "outcome=abandoned" in second.log and "outcome=abandoned" not in first.log
    assert Post.objects.filter(slug__endswith="-2").count() == 0
    assert Post.objects.count() == 12
    assert ImportRun.objects.get(pk=queued_import.pk).restarts == 1


def test_two_commands_importing_one_site_at_once_import_it_once(held_uploads, import_command, tmp_path):
    """Two `manage.py import_wordpress` of one file: the second, started while the first fetches, is refused with the
    first's name and exits 1 having imported nothing; the first ends with every post once."""
    export = fixture_export_served_by(held_uploads.url, tmp_path / "site.xml")
    first = import_command(export, "--fetch-attachments")
    assert held_uploads.asked.wait(60), first.stderr

    second = import_command(export, "--fetch-attachments")
    said = second.communicate(timeout=600)[1]
    imported_meanwhile = Post.objects.count()
    held_uploads.release.set()
    printed = first.communicate(timeout=600)[0]

    assert second.returncode == 1 and imported_meanwhile == 0
    assert re.search(
        rf"nothing imported: another import of http://crumb\.example is running: manage\.py import_wordpress site\.xml "
        rf"\(process {first.pid} on [^)]+\), started [-\d]+ [:\d]+ \w+, last heard from \d+ s ago\. Run this again "
        r"once it has ended\.",
        said,
    ), said
    assert first.returncode == 0 and printed.startswith("Imported from http://crumb.example:"), printed
    assert Post.objects.count() == 12 and not Post.objects.filter(slug__endswith="-2").exists()


def test_two_admin_imports_of_one_site_take_turns_and_the_command_is_refused_meanwhile(
    queued_import, held_uploads, import_workers, import_command, tmp_path
):
    """The same file uploaded twice, two workers: the second run waits, its page naming the first, while the command
    is refused; let go, the first imports, then the second, which finds it all there: every post once."""
    first_worker = import_workers()
    assert held_uploads.asked.wait(60), first_worker.log
    again = ImportRun.objects.create(
        file=ContentFile(Path(queued_import.file.path).read_bytes(), name="site.xml"), fetch_attachments=True,
        started_by=queued_import.started_by,
    )  # fmt: skip
    runs.start(again)
    second_worker = import_workers()

    assert eventually(lambda: state_of(again) == ImportRun.State.WAITING, seconds=120), second_worker.log
    waiting = ImportRun.objects.get(pk=again.pk).stage
    command = import_command(fixture_export_served_by(held_uploads.url, tmp_path / "again.xml"))
    said = command.communicate(timeout=600)[1]
    held_uploads.release.set()

    assert re.fullmatch(
        rf"the admin's import {queued_import.pk} \(site\.xml, by boss\), started [-\d]+ [:\d]+ \w+, "
        r"last heard from \d+ s ago",
        waiting,
    ), waiting
    assert command.returncode == 1 and f"is running: the admin's import {queued_import.pk} (site.xml" in said, said
    assert eventually(lambda: state_of(again) == ImportRun.State.DONE, seconds=300), second_worker.log
    assert state_of(queued_import) == ImportRun.State.DONE
    assert ImportRun.objects.get(pk=again.pk).summary.startswith("Imported from http://crumb.example: nothing new.")
    assert Post.objects.count() == 12 and not Post.objects.filter(slug__endswith="-2").exists()
