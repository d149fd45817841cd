"""Requests per second for the pages readers load most, served the way production serves them.

Usage: make bench
   or: .venv/bin/python bench/article_page.py [--seconds 10] [--connections 8]

1. Seeds a database with the demo content: a throwaway SQLite file, or the database in
   DATABASE_URL if one is set (`bin/with-postgres .venv/bin/python bench/article_page.py`).
2. Starts `gunicorn config.wsgi` (2 workers) with the production settings, DEBUG off, a throwaway
   SECRET_KEY and no HTTPS redirect, on a free port of 127.0.0.1; static files are collected into a
   temporary folder and served by whitenoise, as in production.
3. Loads each page for a fixed time with wrk, or without wrk with a Python loop on threads.
4. Stops gunicorn and prints a table.

Every measurement is a function in MEASUREMENTS that takes the running Server and returns a Row,
seeding what it needs through the ORM first: the home page, an article, an article under 100
threaded comments, and the latency of a guest's comment POST (form-state, captcha answered from
the database, then the timed POST; its "req/s" is 1 / mean latency). Only 127.0.0.1 is loaded.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 2
MAX_SECONDS = 60


@dataclass
class Load:
    """What a load run saw: throughput, latency percentiles and failed requests."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: int


@dataclass
class Row:
    name: str
    path: str
    status: int
    load: Load | None


class Server:
    """gunicorn serving config.wsgi on a free port of 127.0.0.1, for the length of a `with` block."""

    def __init__(self, env, log_path):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.env, self.log_path, self.process = env, log_path, None

    def __enter__(self):
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "config.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", str(WORKERS)]
        command += ["--error-logfile", str(self.log_path), "--no-control-socket"]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=subprocess.DEVNULL)
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def wait_until_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                self.get("/")
                return
            except OSError:
                time.sleep(0.2)
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        raise RuntimeError(f"gunicorn did not start:\n{log}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# Load generators -------------------------------------------------------------------------------


def load(url, *, seconds, connections):
    """Request `url` for `seconds` over `connections` keep-alive connections."""
    if urlsplit(url).hostname != HOST:
        raise ValueError(f"the benchmark only loads {HOST}, not {url}")
    if shutil.which("wrk"):
        return load_with_wrk(url, seconds=seconds, connections=connections)
    return load_with_threads(url, seconds=seconds, connections=connections)


def load_with_wrk(url, *, seconds, connections):
    threads = min(connections, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout

    def duration_ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    failures = 0
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        failures += sum(int(n) for n in errors.groups())
    if bad_status := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        failures += int(bad_status.group(1))
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=duration_ms("50%"),
        p99_ms=duration_ms("99%"),
        failures=failures,
    )


def load_with_threads(url, *, seconds, connections):
    """The fallback without wrk: one thread per keep-alive connection, requesting in a loop."""
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    latencies, failures, lock = [], [0], threading.Lock()

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", parts.path or "/")
                response = connection.getresponse()
                response.read()
                failed += response.status >= 400
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def percentile(fraction):
        return latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1000 if latencies else 0.0

    return Load(len(latencies) / elapsed, percentile(0.50), percentile(0.99), failures[0])


# Measurements: one function per page or action --------------------------------------------------


def measure_page(server, name, path, options):
    status, _ = server.get(path)
    if status != 200:
        return Row(name, path, status, None)
    return Row(name, path, status, load(server.url(path), seconds=options.seconds, connections=options.connections))


def measure_home(server, options):
    return measure_page(server, "home page", "/", options)


def measure_article(server, options):
    from blog.models import Post

    post = Post.objects.published().first()
    return measure_page(server, "article", post.get_absolute_url(), options)


def measure_article_with_comments(server, options, count=100):
    """An article under `count` approved comments, threaded up to five deep."""
    from blog.models import Post
    from comments.models import Comment, Reason, Status

    post = Post.objects.published().last()
    parents = []
    for number in range(count):
        parent = parents[number % len(parents)] if parents and number % 3 else None
        body = f"Comment number {number}. A few words, and a link https://example.com/{number} for urlize."
        comment = Comment.build(
            post=post,
            parent=parent,
            body=body,
            author_name=f"Reader {number}",
            author_email=f"reader{number}@example.com",
            status=Status.APPROVED,
            reason=Reason.MODERATOR,
        )
        comment.save()
        if comment.depth < 5:
            parents.append(comment)
    return measure_page(server, f"article+{count}c", post.get_absolute_url(), options)


def measure_comment_post(server, options, count=40):
    """Latency of posting a guest comment: form-state, then the POST itself (the part timed)."""
    import json
    from http.cookies import SimpleCookie

    from captcha.models import CaptchaStore

    from blog.models import Post

    post = Post.objects.published().first()
    latencies, failures = [], 0
    for number in range(count):
        connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
        connection.request("GET", f"/comments/form-state/{post.pk}/")
        response = connection.getresponse()
        state = json.loads(response.read())
        csrf = SimpleCookie(response.getheader("Set-Cookie"))["csrftoken"].value
        key = re.search(r'name="captcha_0" value="(\w+)"', state["captcha_html"]).group(1)
        fields = {
            "comment": f"Benchmark comment {number}: thoughtful words about the article.",
            "name": f"Bench {number}",
            "email": f"bench{number}@example.com",
            "timestamp": state["timestamp"],
            "captcha_0": key,
            "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
            "csrfmiddlewaretoken": state["csrf_token"],
        }
        body = "&".join(f"{name}={quote_plus(value)}" for name, value in fields.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"}
        started = time.perf_counter()
        connection.request("POST", f"/comments/post/{post.pk}/", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        failures += response.status != 302
        connection.close()
    latencies.sort()
    median, p99 = latencies[len(latencies) // 2] * 1000, latencies[min(count - 1, int(count * 0.99))] * 1000
    result = Load(count / sum(latencies), median, p99, failures)
    return Row("comment POST", f"/comments/post/{post.pk}/ x{count}", 302, result)


PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # config/settings/base.py

MEASUREMENTS = [measure_home, measure_article, measure_article_with_comments, measure_comment_post]


# Setting up ------------------------------------------------------------------------------------


def production_environment(folder):
    """Production settings, made safe to run on a laptop: throwaway key and database, plain HTTP."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}",
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
        "COMMENTS_FLOOD_SECONDS": "0",  # every benchmark comment comes from 127.0.0.1
        "COMMENTS_MIN_SECONDS": "0",
        "COMMENTS_RATE_POSTS": "1000/m,1000/m",  # the abuse limits would refuse most of them (429), quickly
        "COMMENTS_RATE_FORM_STATE": "1000/m,1000/m",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}",
    }


def seed(env):
    """Migrate, collect static files and load the demo content, in this process (for the ORM later)."""
    os.environ.update(env, DJANGO_SETTINGS_MODULE="config.settings.dev")  # the demo app is for development only
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    # Collected as production serves them (hashed names and their manifest), not as the development settings do.
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC_STORAGE}}):
        call_command("collectstatic", verbosity=0, interactive=False)
    call_command("load_demo", verbosity=0)
    from django.db import connections

    connections.close_all()


def print_table(rows, options, database):
    tool = "wrk" if shutil.which("wrk") else "Python threads"
    print(
        f"\ngunicorn, {WORKERS} sync workers, {database}, {os.cpu_count()} CPUs; "
        f"{tool}, {options.connections} connections, {options.seconds} s per page\n"
    )
    print(f"{'measurement':<16} {'path':<45} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for row in rows:
        if row.load is None:
            print(f"{row.name:<16} {row.path:<45} {'HTTP ' + str(row.status):>8}  (not measured)")
            continue
        result = row.load
        print(
            f"{row.name:<16} {row.path:<45} {result.requests_per_second:>8.1f} "
            f"{result.p50_ms:>8.1f} {result.p99_ms:>8.1f} {result.failures:>7}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help=f"per measurement, 1 to {MAX_SECONDS} (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    options = parser.parse_args()
    options.seconds = max(1, min(options.seconds, MAX_SECONDS))

    with tempfile.TemporaryDirectory(prefix="blog-bench-") as folder:
        env = {**os.environ, **production_environment(Path(folder))}
        seed(env)
        database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        with Server(env, Path(folder) / "gunicorn.log") as server:
            rows = [measure(server, options) for measure in MEASUREMENTS]
    print_table(rows, options, database)


if __name__ == "__main__":
    main()
