"""A new post emailed to 10,000 subscribers by the task worker, timed; and a worker killed halfway, restarted.

Usage: .venv/bin/python bench/new_post_mail.py [--subscribers 10000] [--batch-size 100]
   or: bin/with-postgres .venv/bin/python bench/new_post_mail.py   (against a throwaway PostgreSQL)

1. Migrates a database (a throwaway SQLite file, or the one in DATABASE_URL if set: point it at a
   scratch database, never a real one) and stores the subscribers, each confirmed.
2. Starts a local SMTP server on 127.0.0.1 (aiosmtpd, tests/fakes/smtp_server.py) that keeps
   every message it receives.
3. Run "whole": publishes a post and starts `manage.py db_worker` with the production settings,
   mail going to that server; times from the worker's start until the post's announcement is
   finished, and reads from the delivery rows the time from the first email handed over to the
   last.
4. Run "killed": publishes another post, starts a worker, kills it (SIGKILL: no clean-up) once
   half the copies have arrived, starts a new worker, and waits until it finishes. The new worker
   resumes after SUBSCRIPTIONS_RESUME_AFTER_SECONDS (set to 5 here; 300 by default).
5. Prints, for each run, the time, the copies received and how many recipients got one twice.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESUME_AFTER_SECONDS = 5


def worker_command():
    return [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=100)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-mail-") as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "SITE_URL": "https://blog.example.org",
            "ALLOWED_HOSTS": "blog.example.org",
            "SUBSCRIPTIONS_BATCH_SIZE": str(options.batch_size),
            "SUBSCRIPTIONS_RESUME_AFTER_SECONDS": str(RESUME_AFTER_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True, cwd=BASE_DIR)
        os.environ.update(env)
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        from tests.fakes.smtp_server import FakeSMTP

        with FakeSMTP() as smtp:
            env["EMAIL_URL"] = f"smtp://{smtp.host}:{smtp.port}"
            author = seed(options.subscribers)
            database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
            print(f"{options.subscribers:,} confirmed subscribers, batches of {options.batch_size}, {database}\n")
            rows = [
                run_whole(env, smtp, author, options.subscribers),
                run_killed(env, smtp, author, options.subscribers),
            ]
        print(f"{'run':<8} {'seconds':>8} {'sending s':>10} {'emails/s':>9} {'received':>9} {'twice':>6}  notes")
        for row in rows:
            print(
                f"{row['run']:<8} {row['seconds']:>8.1f} {row['sending']:>10.1f} {row['rate']:>9.0f} "
                f"{row['received']:>9,} {row['twice']:>6}  {row['notes']}"
            )


def seed(count):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from subscriptions.models import Address, Subscription

    author = get_user_model().objects.create_user("margot", email="margot@example.org", first_name="Margot")
    addresses = Address.objects.bulk_create(
        (Address(email=f"reader{number}@example.org") for number in range(count)), batch_size=2000
    )
    now = timezone.now()
    Subscription.objects.bulk_create(
        (Subscription(address=address, confirmed_at=now) for address in addresses), batch_size=2000
    )
    return author


def publish(author, slug):
    from blog.models import Post

    return Post.objects.create(
        title=f"Bench post {slug}",
        slug=slug,
        author=author,
        body="<p>A post for the benchmark.</p>",
        excerpt="A post for the benchmark, sent to every subscriber.",
        status=Post.Status.PUBLISHED,
    )


def finished(post):
    from subscriptions.models import Announcement

    return Announcement.objects.filter(post=post, finished_at__isnull=False).exists()


def wait(condition, process, timeout, every=0.05):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(every)


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sending_seconds(post):
    from django.db.models import Max, Min

    from subscriptions.models import Delivery

    span = Delivery.objects.filter(announcement__post=post).aggregate(first=Min("attempted_at"), last=Max("sent_at"))
    return (span["last"] - span["first"]).total_seconds()


def received_for(smtp, post):
    copies = Counter(
        address
        for message in smtp.messages
        if message.subject.strip().endswith(post.title)
        for address in message.rcpt_tos
    )
    return sum(copies.values()), sum(1 for count in copies.values() if count > 1), copies


def run_whole(env, smtp, author, count):
    post = publish(author, "whole")
    started = time.monotonic()
    worker = subprocess.Popen(worker_command(), cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL)
    try:
        wait(lambda: finished(post), worker, timeout=3600)
        seconds = time.monotonic() - started
    finally:
        stop(worker)
    received, twice, _ = received_for(smtp, post)
    sending = sending_seconds(post)
    return {
        "run": "whole",
        "seconds": seconds,
        "sending": sending,
        "rate": received / sending,
        "received": received,
        "twice": twice,
        "notes": "one worker, from its start (Django's start-up included) to the announcement finished",
    }


def run_killed(env, smtp, author, count):
    from subscriptions.models import Delivery, DeliveryState

    post = publish(author, "killed")
    started = time.monotonic()
    before = len(smtp.messages)
    first = subprocess.Popen(worker_command(), cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL)
    wait(lambda: len(smtp.messages) - before >= count // 2, first, timeout=3600)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = received_for(smtp, post)[0]
    second = subprocess.Popen(worker_command(), cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL)
    try:
        wait(lambda: finished(post), second, timeout=3600)
        seconds = time.monotonic() - started
    finally:
        stop(second)
    received, twice, copies = received_for(smtp, post)
    states = Counter(Delivery.objects.filter(announcement__post=post).values_list("state", flat=True))
    missing = count - len(copies)
    return {
        "run": "killed",
        "seconds": seconds,
        "sending": sending_seconds(post),
        "rate": received / sending_seconds(post),
        "received": received,
        "twice": twice,
        "notes": (
            f"killed at {at_kill:,} received; after restart: {states[DeliveryState.SENT]:,} sent, "
            f"{states[DeliveryState.INTERRUPTED]} interrupted (not sent again), {missing} without a copy; "
            f"includes the {RESUME_AFTER_SECONDS} s the restarted worker waits before resuming"
        ),
    }


if __name__ == "__main__":
    main()
