"""Spam checks a second with 1, 2 and 4 task workers, Akismet answering in 150 ms.

Usage: .venv/bin/python bench/worker_scaling.py [--workers 1,2,4] [--checks 1000] [--latency 0.15]
       .venv/bin/python bench/worker_scaling.py --workers 1,2 --checks 100     (a quick try)

1. A PostgreSQL of its own (devtools/stack.py PostgresCluster), migrated; Redis (the cache the workers
   share, as in production); the local Akismet (tests/fakes/akismet_server.py) answering "not
   spam" to every check after --latency seconds.
2. For each number of workers: --checks comments stored as the intake stores them (pending,
   "waiting for the spam check", the first history row, the check queued in the same
   transaction), then that many `manage.py run_worker` processes (production settings) started
   together; it waits until every comment is decided, then stops them.
3. The rate is taken from the comments' history: decisions a second from the first decision to
   the last (the workers' start-up left out). The workers' CPU time (from /proc, from their first
   decision on) per check says how many workers a core can keep busy.

The same settings as bench/stack_load.py: local rules that publish a comment once Akismet says
"not spam" (COMMENTS_REQUIRE_KNOWN_AUTHOR=false), so each check is one Akismet call, one status
change with its history row, and the cache of the post's thread forgotten (no email).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack_load import prepare_environment, seed_post, site_settings  # (which puts the project on sys.path)

from devtools.stack import PostgresCluster, Redis, TaskWorker

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def store_waiting_comments(post, count: int) -> list[int]:
    """Comments as the intake leaves them: pending, their spam check queued in the same transaction."""
    from django.db import transaction

    from comments.models import Comment, Reason, Status
    from comments.moderation import record_received
    from comments.pipeline import check_for_spam

    ids = []
    with transaction.atomic():
        for number in range(count):
            comment = Comment.objects.create(
                post=post,
                author_name=f"Reader {number}",
                author_email=f"reader{number}@example.net",
                body=f"Comment [{post.slug}-{number}]: a reader's thoughts, to be checked.",
                ip_address=f"192.0.2.{number % 250 + 1}",
                user_agent="Mozilla/5.0 (bench)",
                rule_status=Status.APPROVED,
                rule_reason=Reason.RULES_PASSED,
            )
            record_received(comment)
            check_for_spam.enqueue(comment.pk)
            ids.append(comment.pk)
    return ids


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def decision_times(ids) -> list[float]:
    from comments.models import CommentEvent

    events = CommentEvent.objects.filter(comment_id__in=ids).exclude(actor="author").exclude(reason="spam-check")
    return sorted(at.timestamp() for at in events.values_list("at", flat=True))


def measure(workers: int, options, env) -> dict:
    from comments.models import Comment, Status

    post = seed_post(f"scaling-{workers}")
    ids = store_waiting_comments(post, options.checks)
    started = time.time()
    processes = [TaskWorker(env["DATABASE_URL"], **env).start() for _ in range(workers)]
    try:
        deadline = time.monotonic() + options.timeout

        def wait_until(condition):
            while not condition():
                if time.monotonic() > deadline or not all(process.alive for process in processes):
                    raise RuntimeError("the checks did not finish:\n" + processes[0].log[-3000:])
                time.sleep(0.2)

        waiting = Comment.objects.filter(pk__in=ids, status=Status.PENDING)
        wait_until(lambda: waiting.count() < len(ids))  # started: Django's start-up is not counted as CPU per check
        cpu_before, left = sum(cpu_seconds(p.process.pid) for p in processes), waiting.count()
        wait_until(lambda: not waiting.exists())
        cpu = sum(cpu_seconds(p.process.pid) for p in processes) - cpu_before
    finally:
        for process in processes:
            process.stop()
    times = decision_times(ids)
    rate = (len(times) - 1) / (times[-1] - times[0])
    return {
        "workers": workers,
        "checks": len(times),
        "seconds": times[-1] - started,
        "rate": rate,
        "per_worker": rate / workers,
        "ms_per_check": workers / rate * 1000,
        "cpu_ms": cpu / left * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="numbers of task workers to measure, comma-separated")
    parser.add_argument("--checks", type=int, default=1000, help="comments checked in each measurement")
    parser.add_argument("--latency", type=float, default=0.15, help="Akismet's answer time, seconds")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one measurement may take")
    options = parser.parse_args()
    counts = [int(part) for part in options.workers.split(",")]

    from tests.fakes.akismet_server import FakeAkismet

    folder = Path(tempfile.mkdtemp(prefix="worker-scaling-"))
    cluster = PostgresCluster().create()
    redis = akismet = None
    try:
        env = prepare_environment(folder, cluster.url)
        redis = Redis().start()
        akismet = FakeAkismet(latency=options.latency).start()
        env = {**env, **site_settings(akismet, REDIS_URL=redis.url)}
        rows = []
        for workers in counts:
            print(f"Measuring {workers} worker(s)...", file=sys.stderr, flush=True)
            rows.append(measure(workers, options, env))
        print(
            f"\nSpam checks, Akismet answering in {options.latency * 1000:.0f} ms; {options.checks:,} comments queued"
            f" per run; PostgreSQL, Redis; {os.cpu_count()} cores\n"
        )
        print(f"{'workers':>7} {'checks':>7} {'seconds':>8} {'checks/s':>9} {'per worker':>11} "
              f"{'worker ms/check':>16} {'CPU ms/check':>13}")  # fmt: skip
        for row in rows:
            print(f"{row['workers']:>7} {row['checks']:>7,} {row['seconds']:>8.1f} {row['rate']:>9.1f} "
                  f"{row['per_worker']:>11.2f} {row['ms_per_check']:>16.0f} {row['cpu_ms']:>13.1f}")  # fmt: skip
        print(f"\nAkismet was asked {len(akismet.checks):,} times (comment-check).")
    finally:
        if redis:
            redis.stop()
        if akismet:
            akismet.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
