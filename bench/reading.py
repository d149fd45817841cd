"""Reading, side by side with WordPress: the same post, the same load, one run, and the ratios.

Usage (as root, outside `make test`; about 5 minutes):
    .venv/bin/python bench/reading.py [--seconds 15] [--warmup 5] [--connections 32]
                                      [--themes twentytwentyone,twentytwentythree]
    bin/with-postgres .venv/bin/python bench/reading.py     # this site on PostgreSQL

1. WordPress: the kit in ../shared/wordpress-bench (copied to /tmp/wordpress-bench), set up with
   each theme asked for (`WP_THEME=... ./setup.sh`, ~40 s each): its post with 100 threaded
   comments (36 replies, 4 levels), on php-fpm, MariaDB and nginx, no page cache.
2. This site: a throwaway database (SQLite, or DATABASE_URL) into which the kit's own export
   (export-bench.xml) is imported, so the post, its comments and its address are WordPress's; plus
   posts with 10 and 10,000 comments shaped the same way. gunicorn with 3 sync workers and the
   production settings serves it twice: with every comment on one page (COMMENTS_PER_PAGE=0, as
   WordPress shows its 100), and with the default paging (50 top-level comments a page) for the
   10,000-comment post. Debian's nginx with deploy/nginx/blog.conf stands in front as the front
   cache, and serves the same article page saved as a static file: the machine's limit.
3. Each target: one plain request (status, bytes), a warm-up, then wrk (-t2, --timeout 30s, the
   kit's wrk-report.lua) for the time asked, on an idle machine. Queries per page are counted in
   this process; WordPress's SQL statements in MariaDB's general log, as the kit's run.sh does.
4. A table (req/s, p50, p99, bytes, queries) and the ratios bench/README.md's reading section reports.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
KIT_SOURCE = BASE_DIR.parent / "shared" / "wordpress-bench"
KIT = Path("/tmp/wordpress-bench")
WP_BASE = "http://127.0.0.1:8081"
EXPORT = KIT_SOURCE / "export-bench.xml"
WORKERS = 3


@dataclass
class Result:
    label: str
    url: str
    rps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    body: int = 0
    queries: str = "-"
    errors: int = 0


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def wait_idle(limit=90):
    """Until the cores are idle (< 5 % busy over a second): what a previous load left queued must not count."""
    for _ in range(limit):
        before = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        time.sleep(1)
        after = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        total = sum(after) - sum(before)
        idle = (after[3] - before[3]) + (after[4] - before[4])
        if total and (total - idle) * 100 < 5 * total:
            return
    print("warning: the machine is still busy", file=sys.stderr)


def measure(result: Result, options) -> Result:
    """One plain request, a warm-up, then wrk with the kit's reporter; fills in `result`."""
    check = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", result.url],
        capture_output=True,
        text=True,
        check=True,
    )
    status, size = check.stdout.split()
    if status != "200":
        raise SystemExit(f"{result.label}: {result.url} answered {status}")
    result.body = int(size)
    load = ["wrk", f"-t{options.threads}", f"-c{options.connections}", "--timeout", "30s"]
    wait_idle()
    run([*load, f"-d{options.warmup}s", result.url], stdout=subprocess.DEVNULL)
    wait_idle()
    output = subprocess.run(
        [*load, f"-d{options.seconds}s", "--latency", "-s", str(KIT_SOURCE / "wrk-report.lua"), result.url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(pair.split("=") for pair in re.search(r"^RESULT (.*)$", output, re.M).group(1).split())
    result.rps, result.p50, result.p99 = float(values["rps"]), float(values["p50_ms"]), float(values["p99_ms"])
    result.errors = int(values["errors"]) + int(values["non2xx"])
    print(f"  {result.label}: {result.rps:.1f} req/s, p50 {result.p50} ms", file=sys.stderr)
    return result


# WordPress


def wordpress(theme: str, options) -> Result:
    """Set the kit up with `theme` (unless it is already) and measure its post page."""
    if not KIT.exists():
        shutil.copytree(KIT_SOURCE, KIT)
    env_file = KIT / "var" / "bench.env"
    current = env_file.read_text() if env_file.exists() else ""
    if f"WP_THEME={theme}" not in current or subprocess.run(["curl", "-sf", "-o", "/dev/null", WP_BASE]).returncode:
        print(f"Setting WordPress up with {theme} (~40 s)", file=sys.stderr)
        run(["./setup.sh"], cwd=KIT, env={**os.environ, "WP_THEME": theme}, stdout=subprocess.DEVNULL)
    path = re.search(r"^POST_PATH=(.*)$", env_file.read_text(), re.M).group(1)
    result = Result(f"WordPress {theme}", WP_BASE + path)
    result.queries = str(wordpress_sql_per_request(result.url))
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "60", f"{WP_BASE}/wp-cron.php"])
    return measure(result, options)


def wordpress_sql_per_request(url: str) -> int:
    """SQL statements one request costs, from MariaDB's general query log (as the kit's run.sh counts them)."""
    log, sock = "/run/mysqld/bench-general.log", "/run/mysqld/mysqld.sock"
    subprocess.run(["curl", "-s", "-o", "/dev/null", url])
    Path(log).unlink(missing_ok=True)
    run(["mariadb", f"--socket={sock}", "-e", f"SET GLOBAL general_log_file='{log}'; SET GLOBAL general_log=1"])
    subprocess.run(["curl", "-s", "-o", "/dev/null", url])
    run(["mariadb", f"--socket={sock}", "-e", "SET GLOBAL general_log=0"])
    statements = len(re.findall(r"\d+ Query\t", Path(log).read_text()))
    Path(log).unlink(missing_ok=True)
    return statements - 1  # our own "SET GLOBAL general_log=0"


# This site


def production_environment(folder: Path) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}",
    }


def seed():
    """Import WordPress's own export, then posts with 10 and 10,000 comments shaped like its 100."""
    from django.core.management import call_command
    from django.db import transaction

    from blog.models import Post
    from comments.models import Comment, Status

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("import_wordpress", str(EXPORT), verbosity=0)
    article = Post.objects.get(slug="night-train-comes-back-to-elmsford")
    shape = list(article.comments.order_by("created_at", "pk").values_list("pk", "parent_id"))
    for count in (10, 10_000):
        post = Post.objects.create(
            title=f"{count:,} comments",
            slug=f"{count}-comments",
            author=article.author,
            body=article.body,
            status=Post.Status.PUBLISHED,
            published_at=article.published_at - timedelta(days=1 + count % 7),
        )
        built = {}
        with transaction.atomic():
            for number in range(count):
                pk, parent = shape[number % len(shape)]
                round_ = number // len(shape)
                comment = Comment.build(
                    post=post,
                    parent=built.get((round_, parent)),
                    body=f"Comment {number}: the night train is a good idea, and why. https://example.com/{number}",
                    author_name=f"Reader {number}",
                    author_email=f"reader{number}@example.com",
                    status=Status.APPROVED,
                    created_at=post.published_at + timedelta(minutes=number),
                )
                comment.save()
                built[(round_, pk)] = comment
    return article, Post.objects.get(slug="10-comments"), Post.objects.get(slug="10000-comments")


def queries_for(url: str, per_page: int) -> int:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    with override_settings(COMMENTS_PER_PAGE=per_page):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--themes", default="twentytwentyone", help="comma-separated WordPress themes to measure")
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("Run as root: the WordPress kit installs and starts Debian's servers.")

    folder = Path(tempfile.mkdtemp(prefix="bench-reading-"))
    os.environ.update(production_environment(folder))
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from devtools.stack import Gunicorn, Nginx, database_url

    article, small, large = seed()
    database = database_url(connection.settings_dict)
    static_root = Path(settings.STATIC_ROOT)
    connection.close()

    rows = [wordpress(theme, options) for theme in options.themes.split(",")]

    one_page = Gunicorn(database, static_root=static_root, workers=WORKERS, COMMENTS_PER_PAGE="0").start()
    paged = Gunicorn(database, static_root=static_root, workers=WORKERS).start()
    front = Nginx(static_root=static_root)
    front.start([f"127.0.0.1:{one_page.port}"])
    try:
        copy = static_root / "bench" / "article.html"
        copy.parent.mkdir(exist_ok=True)
        page = subprocess.run(
            ["curl", "-s", one_page.url + article.get_absolute_url()], capture_output=True, check=True
        )
        copy.write_bytes(page.stdout)
        article_path, small_path, large_path = (post.get_absolute_url() for post in (article, small, large))
        targets = [
            Result("site, 100 comments", one_page.url + article_path, queries=str(queries_for(article_path, 0))),
            Result("site, 10 comments", one_page.url + small_path, queries=str(queries_for(small_path, 0))),
            Result("site, 10,000 comments, page 1", paged.url + large_path, queries=str(queries_for(large_path, 50))),
            Result("site via front cache", front.url + article_path),
            Result("nginx, same page static", front.url + "/static/bench/article.html"),
        ]
        rows += [measure(target, options) for target in targets]
    finally:
        front.stop()
        one_page.stop()
        paged.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report(rows, options, "PostgreSQL" if "postgres" in database else "SQLite")


def report(rows, options, database):
    print(
        f"\n{os.cpu_count()} cores; wrk -t{options.threads} -c{options.connections} -d{options.seconds}s "
        f"(warm-up {options.warmup}s); this site: gunicorn {WORKERS} sync workers, production settings, {database}\n"
    )
    print(f"| {'target':<32} | {'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'bytes':>7} | {'queries':>7} | errors |")
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|--------|")
    for row in rows:
        print(
            f"| {row.label:<32} | {row.rps:>9.1f} | {row.p50:>7.2f} | {row.p99:>7.2f} | {row.body:>7} "
            f"| {row.queries:>7} | {row.errors:>6} |"
        )
    by = {row.label: row for row in rows}
    site, large = by["site, 100 comments"], by["site, 10,000 comments, page 1"]
    print()
    for row in rows:
        if row.label.startswith("WordPress"):
            print(f"site / {row.label}, cache miss: {site.rps / row.rps:.1f}x   (target >= 5x for the classic theme)")
    print(
        f"10,000-comment first page / 100-comment page: time {large.p50 / site.p50:.2f}x, "
        f"bytes {large.body / site.body:.2f}x   (target <= 1.5x)"
    )
    cached, static = by["site via front cache"], by["nginx, same page static"]
    print(f"front cache / static file: {cached.rps / static.rps:.0%}   (target >= 80%)")


if __name__ == "__main__":
    main()
