"""Backup and restore as docs/deployment.md says, on a PostgreSQL server of the test's own.

The site's database is a real WordPress export imported (threaded comments, their history, pages)
plus the demo content; the page's two shell blocks are run as written (only the backup folder
moved into the test's); the restored database is served by gunicorn and compared page for page
with the original; and bin/check-restore is shown to pass on a faithful restore and to fail on one
that lost a single character.
"""

import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.servers import Gunicorn, PostgresCluster
from tests.test_setup import doc_section

BASE_DIR = Path(settings.BASE_DIR)
WXR = BASE_DIR / "tests" / "data" / "wordpress" / "fixture-site.xml"

pytestmark = [
    pytest.mark.servers,  # a PostgreSQL cluster and gunicorns of its own
    pytest.mark.skipif(not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")), reason="PostgreSQL not installed"),
]


def site_env(database: str, media: Path, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": database,
        "MEDIA_ROOT": str(media),
        **extra,
    }


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args, "-v", "0"], cwd=BASE_DIR, env=env, check=True)


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server holding the site's database "blog": an imported WordPress site and the demo."""
    cluster = PostgresCluster().create()
    cluster.media = Path(cluster.folder) / "media"
    env = site_env(cluster.url, cluster.media)
    manage("migrate", env=env)
    manage("import_wordpress", str(WXR), env=env)
    manage("load_demo", env=env)
    yield cluster
    cluster.destroy()


def database(server, name: str) -> str:
    """A new, empty database on the server: its URL."""
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def documented_blocks() -> tuple[str, str]:
    """docs/deployment.md's backup and restore shell blocks, in that order."""
    section = doc_section("docs/deployment.md", "Backup and restore")
    backup, restore = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)[:2]
    return backup, restore


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_documented_backup_restores_onto_an_empty_database_and_serves_the_same_site(
    server, tmp_path, collected_static
):
    """Back up, restore onto an empty database and media folder, serve both: the same pages, the same files."""
    backup, restore = documented_blocks()
    folder = tmp_path / "backups"
    run = {"check": True, "cwd": BASE_DIR, "capture_output": True, "text": True}
    subprocess.run(["bash", "-euo", "pipefail", "-c", backup.replace("/var/backups/blog", str(folder))],
                   env=site_env(server.url, server.media), **run)  # fmt: skip
    [dated] = folder.iterdir()

    restored_url = database(server, "blog_restored")
    restored_media = tmp_path / "restored-media"
    restored_media.mkdir()
    restore = re.sub(r"/var/backups/blog/\d{4}-\d{2}-\d{2}", str(dated), restore)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", restore],
                            env=site_env(restored_url, restored_media), **run)  # fmt: skip
    assert "No migrations to apply" in result.stdout

    for table in ("blog_post", "comments_comment", "comments_commentevent"):
        assert count(restored_url, table) == count(server.url, table) > 0
    files = sorted(path.relative_to(server.media) for path in server.media.rglob("*") if path.is_file())
    assert files and files == sorted(p.relative_to(restored_media) for p in restored_media.rglob("*") if p.is_file())

    threaded = "/2025/10/02/a-loaf-a-day/"  # twelve comments, replies to replies
    with (
        Gunicorn(server.url, static_root=collected_static, workers=1) as original,
        Gunicorn(restored_url, static_root=collected_static, workers=1) as copy,
    ):
        for path in ("/", threaded, "/comments/feed/"):
            before, after = httpx.get(original.url + path), httpx.get(copy.url + path)
            assert before.status_code == after.status_code == 200, path
            assert after.text.replace(copy.url, original.url) == before.text, path
            if path == threaded:
                assert "one level deeper than the comment it answers (by Hilda Baker)" in after.text


def load_check_restore():
    loader = importlib.machinery.SourceFileLoader("check_restore", str(BASE_DIR / "bin" / "check-restore"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("check_restore", loader))
    loader.exec_module(module)
    return module


def test_check_restore_finds_a_faithful_restore_the_same(server):
    """bin/check-restore dumps, restores beside, compares every table: 0 different, and the copy is gone."""
    result = subprocess.run(
        [sys.executable, "bin/check-restore", server.url], cwd=BASE_DIR, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^same +comments_comment \([1-9]\d* rows\)$", result.stdout, re.MULTILINE)
    assert re.search(r"^same +comments_commentevent \([1-9]\d* rows\)$", result.stdout, re.MULTILINE)
    assert result.stdout.rstrip().endswith("0 different: the restore holds.")
    with psycopg.connect(server.url) as connection:
        names = [name for [name] in connection.execute("SELECT datname FROM pg_database").fetchall()]
    assert "blog_restore_check" not in names


def test_check_restore_fails_on_a_copy_that_lost_one_character(server, tmp_path, capsys):
    """A copy where one comment lost its last character is a failed restore, and the table is named."""
    check_restore = load_check_restore()
    copy = check_restore.restored_copy(server.url, tmp_path)
    try:
        with psycopg.connect(copy) as connection:
            connection.execute(
                "UPDATE comments_comment SET body = left(body, -1) WHERE id = (SELECT min(id) FROM comments_comment)"
            )
        assert check_restore.compare(server.url, copy) == 1
    finally:
        check_restore.drop_database(copy)

    printed = capsys.readouterr().out
    assert re.search(r"^DIFFERENT comments_comment ", printed, re.MULTILINE)
    assert "1 different: the restore FAILED." in printed
