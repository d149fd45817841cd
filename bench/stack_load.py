"""32 readers post 16,000 comments through the production stack while Akismet and the mail server fail.

Usage: .venv/bin/python bench/stack_load.py                          (the full run: 32 x 500, ~10 min)
       .venv/bin/python bench/stack_load.py --posters 4 --comments 50 (a quick try, ~2 min)
       [--task-workers 10] [--web-workers 2] [--latency 0.15] [--outage error|timeout] [--logs DIR]

1. The stack as `make stack` assembles it (devtools/stack.py start_stack), all on 127.0.0.1 with the
   production settings: a PostgreSQL of its own (devtools/stack.py PostgresCluster), Redis, two gunicorns
   (deploy/gunicorn.conf.py, --web-workers each), --task-workers `manage.py run_worker`, and
   Debian's nginx with deploy/nginx/blog.conf (the front cache) in front. One published post, a
   moderator with an email (a superuser), a post author who is not staff (so the only emails
   are the moderators' "please moderate" ones).
2. Akismet is the local fake (tests/fakes/akismet_server.py), answering every check in
   --latency seconds (150 ms); SMTP is the local aiosmtpd server (tests/fakes/smtp_server.py).
3. --posters readers, each from an address of their own (127.0.0.10, .11, ...), each post
   --comments comments the way the form's JavaScript does (tests/servers.py GuestBrowser): the
   form state, the captcha answered from the database, the POST through nginx. A comment is
   acknowledged when its POST is answered with an `X-Comment-Id`. Every comment's text holds a
   token of its own ([p07c0123]): Akismet's requests and the emails are matched by it.
   The abuse limits are lifted (every reader is in 127.0.0.0/24), the flood rule is off
   (COMMENTS_FLOOD_SECONDS=0), forms may be sent at once (COMMENTS_MIN_SECONDS=0), and a first
   comment is published once Akismet says "not spam" (COMMENTS_REQUIRE_KNOWN_AUTHOR=false).
4. The faults, counted in acknowledged comments: the mail server is down from the start until
   half of them; Akismet fails (--outage: "error", HTTP 500 after the latency, or "timeout",
   no answer within AKISMET_TIMEOUT) from a third to two thirds of them.
5. When the posting is over, it waits until no comment waits for its check and no check or
   email is queued, stops the stack, and checks:
   - lost: an acknowledged comment that is not in the database with its token;
   - checked twice: a comment Akismet answered more than once (the fake's comment-check requests
     carrying its token, less the failed attempts its history records), and one decided more
     than once (its history, comments_commentevent);
   - emailed twice: two messages the SMTP server received with one Message-ID, or for one
     (recipient, kind, comment);
   - the delay from Akismet answering again (the moment the fake is switched back) to each
     waiting comment's decision (its history), for the comments held "Akismet unreachable" then
     and for all those waiting then (most of them never asked yet: the queue's backlog);
   - POST p50/p99, the arrival rate (acknowledged comments a second while posting) and the check
     rate (comments decided a second).
   The logs of gunicorn, the task workers and nginx are copied to --logs (a new folder in /tmp by
   default) for evidence.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from devtools.stack import PostgresCluster, collect_static, nginx_binary, start_stack  # noqa: E402

TOKEN = re.compile(r"\[(p\d+c\d+)\]")
LIFTED_LIMITS = {"COMMENTS_RATE_FORM_STATE": "1000000/m,1000000/m", "COMMENTS_RATE_POSTS": "1000000/m,1000000/m"}
MODERATOR_EMAIL = "moderator@example.org"


# The stack (shared with bench/worker_scaling.py)


def prepare_environment(folder: Path, database: str) -> dict:
    """What this process and every site process share; Django is set up here on the same database."""
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": database,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=os.environ, check=True
    )
    import django

    django.setup()
    return env


def site_settings(akismet, **more) -> dict:
    """The settings the site's processes get for a bench: the local Akismet, no abuse limits, no flood rule."""
    return {
        "AKISMET_API_URL": akismet.url,
        "AKISMET_API_KEY": akismet.key,
        "COMMENTS_FLOOD_SECONDS": "0",
        "COMMENTS_MIN_SECONDS": "0",
        "COMMENTS_REQUIRE_KNOWN_AUTHOR": "false",
        "LOG_LEVEL": "INFO",  # one line per task and per request: the evidence
        **LIFTED_LIMITS,
        **more,
    }


def seed_post(slug="load"):
    """A published post by an author who is not staff (never emailed), and a moderator who is."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from blog.models import Post

    users = get_user_model()
    writer, _ = users.objects.get_or_create(username="writer", defaults={"email": "writer@example.org"})
    if not users.objects.filter(username="moderator").exists():
        users.objects.create_superuser("moderator", MODERATOR_EMAIL, secrets.token_urlsafe(20))
    return Post.objects.create(
        title=f"Bench post {slug}",
        slug=slug,
        author=writer,
        body="<p>A post for the benchmark.</p>",
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=1),
    )


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# Posting


@dataclass
class Posted:
    token: str
    form_ms: float | None = None
    post_ms: float | None = None
    sent_at: float | None = None
    status: int | None = None
    comment_id: int | None = None
    error: str = ""


@dataclass
class Timeline:
    """The faults, switched on and off as the acknowledged comments reach a third, a half, two thirds."""

    total: int
    akismet: object
    smtp: object
    outage: str
    acknowledged: int = 0
    at: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def steps(self):
        return [
            (self.total // 3, "Akismet fails", lambda: setattr(self.akismet, "mode", self.outage)),
            (self.total // 2, "SMTP back", self.smtp.start),
            (2 * self.total // 3, "Akismet back", lambda: setattr(self.akismet, "mode", "ham")),
        ]

    def acknowledge(self):
        with self.lock:
            self.acknowledged += 1
            self.run_due(self.acknowledged)

    def run_due(self, count):
        for threshold, name, action in self.steps():
            if count >= threshold and name not in self.at:
                action()
                self.at[name] = time.time()
                print(f"  {name} at {count:,} acknowledged", file=sys.stderr, flush=True)


def poster(number: int, options, front_url: str, post, timeline: Timeline, results: list):
    from django.db import connection

    from tests.servers import GuestBrowser

    with GuestBrowser(front_url, source_address=f"127.0.0.{10 + number}") as browser:
        for index in range(options.comments):
            record = Posted(f"p{number:02d}c{index:04d}")
            fields = {
                "comment": f"Comment [{record.token}] from poster {number}: number {index} of this reader's thoughts.",
                "name": f"Poster {number}",
                "email": f"poster{number}@example.net",
            }
            try:
                started = time.perf_counter()
                form = browser.prepared_form(post, **fields)
                record.form_ms = (time.perf_counter() - started) * 1000
                record.sent_at, started = time.time(), time.perf_counter()
                response = browser.send(post, form)
                record.post_ms = (time.perf_counter() - started) * 1000
                record.status = response.status_code
                if response.headers.get("X-Comment-Id"):
                    record.comment_id = int(response.headers["X-Comment-Id"])
                    timeline.acknowledge()
            except Exception as error:  # a timeout, a refused form state: counted, and the reader goes on
                record.error = repr(error)[:200]
            results.append(record)
    connection.close()


def post_everything(options, front_url, post, timeline) -> tuple[list[Posted], float, float]:
    results: list[Posted] = []
    threads = [
        threading.Thread(target=poster, args=(number, options, front_url, post, timeline, results), daemon=True)
        for number in range(options.posters)
    ]
    started = time.time()
    for thread in threads:
        thread.start()
    total = options.posters * options.comments
    last_print = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.5)
        if time.monotonic() - last_print >= 15:
            last_print, done = time.monotonic(), len(results)
            print(f"  {done:,}/{total:,} posted, {timeline.acknowledged:,} acknowledged, "
                  f"{done / (time.time() - started):.1f}/s", file=sys.stderr, flush=True)  # fmt: skip
    ended = max((r.sent_at + r.post_ms / 1000 for r in results if r.post_ms is not None), default=time.time())
    timeline.run_due(total)  # whatever was not reached (refused posts) still happens
    return results, started, ended


# Waiting for the queue to empty


WAITING_REASONS = ("spam-check", "akismet-unreachable")


def queue_state(post):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from comments.models import Comment, Status

    waiting = Comment.objects.filter(post=post, status=Status.PENDING, reason__in=WAITING_REASONS).count()
    queued = Counter(
        DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).values_list(
            "task_path", flat=True
        )
    )
    return waiting, queued


def wait_until_settled(post, workers, timeout: float) -> float:
    deadline, last_print = time.monotonic() + timeout, 0.0
    while True:
        waiting, queued = queue_state(post)
        work = sum(n for path, n in queued.items() if path.endswith(("check_for_spam", "send_email")))
        if not waiting and not work:
            return time.time()
        if time.monotonic() > deadline:
            print(f"  gave up waiting: {waiting} comments waiting, queue {dict(queued)}", file=sys.stderr)
            return time.time()
        if not all(worker.alive for worker in workers):
            raise RuntimeError("a task worker died:\n" + next(w.log for w in workers if not w.alive)[-3000:])
        if time.monotonic() - last_print > 15:
            last_print = time.monotonic()
            print(f"  {waiting:,} comments waiting for their check, queue: {dict(queued)}", file=sys.stderr, flush=True)
        time.sleep(1)


# What happened


def examine(post, results, timeline, akismet, smtp, started, ended, settled):
    from comments.models import Comment, CommentEvent

    acknowledged = {r.comment_id: r.token for r in results if r.comment_id}
    stored = {
        pk: (body, status) for pk, body, status in Comment.objects.filter(post=post).values_list("pk", "body", "status")
    }
    tokens_stored = Counter(TOKEN.search(body).group(1) for body, _ in stored.values())
    token_of = {pk: TOKEN.search(body).group(1) for pk, (body, _) in stored.items()}
    lost = [pk for pk, token in acknowledged.items() if token_of.get(pk) != token]

    failed_attempts, decisions, held_at = Counter(), defaultdict(list), {}
    for comment_id, actor, reason, at in CommentEvent.objects.filter(comment__post=post).values_list(
        "comment_id", "actor", "reason", "at"
    ):
        if reason == "akismet-unreachable":
            failed_attempts[comment_id] += 1
            held_at.setdefault(comment_id, at.timestamp())
        elif actor != "author":
            decisions[comment_id].append(at.timestamp())
    asked = Counter(TOKEN.search(r.get("comment_content", "")).group(1) for r in akismet.checks)
    answered = {pk: asked[token_of[pk]] - failed_attempts[pk] for pk in stored}

    returned = timeline.at["Akismet back"]
    decided_at = {pk: times[0] for pk, times in decisions.items()}
    waiting_then = [pk for pk in stored if pk in decided_at and decided_at[pk] > returned]
    created = dict(Comment.objects.filter(post=post).values_list("pk", "created_at"))
    waiting_then = [pk for pk in waiting_then if created[pk].timestamp() < returned]
    held_then = [pk for pk in waiting_then if held_at.get(pk, returned + 1) < returned]

    mail_ids = Counter(m.message["Message-ID"] for m in smtp.messages)
    mail_keys = Counter()
    for m in smtp.messages:
        found = TOKEN.search(m.text)
        kind = "held" if "Please moderate" in m.subject else m.subject
        for recipient in m.rcpt_tos:
            mail_keys[(recipient, kind, found.group(1) if found else m.message["Message-ID"])] += 1

    posts = [r.post_ms for r in results if r.post_ms is not None]
    forms = [r.form_ms for r in results if r.form_ms is not None]
    decided_times = sorted(decided_at.values())
    during = sum(1 for t in decided_times if t <= ended)
    lag = [decided_at[pk] - created[pk].timestamp() for pk in decided_at]
    return {
        "attempted": len(results),
        "acknowledged": len(acknowledged),
        "statuses": Counter(r.status or r.error.split("(")[0] for r in results if not r.comment_id),
        "posting_s": ended - started,
        "arrival": len(acknowledged) / (ended - started),
        "post_p50": percentile(posts, 0.50),
        "post_p99": percentile(posts, 0.99),
        "post_max": max(posts, default=float("nan")),
        "form_p50": percentile(forms, 0.50),
        "form_p99": percentile(forms, 0.99),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "stored": len(stored),
        "stored_unacknowledged": len(stored) - len(set(acknowledged) & set(stored)),
        "stored_twice": sum(1 for n in tokens_stored.values() if n > 1),
        "asked": sum(asked.values()),
        "failed": sum(failed_attempts.values()),
        "checked_twice": sum(1 for n in answered.values() if n > 1),
        "checked_twice_ids": [pk for pk, n in answered.items() if n > 1][:20],
        "never_answered": sum(1 for n in answered.values() if n < 1),
        "decided_twice": sum(1 for times in decisions.values() if len(times) > 1),
        "decided_twice_ids": [pk for pk, times in decisions.items() if len(times) > 1][:20],
        "undecided": sum(1 for pk in stored if pk not in decisions),
        "final": Counter(status for _, status in stored.values()),
        "emails": len(smtp.messages),
        "email_keys": len(mail_keys),
        "twice_by_id": sum(1 for n in mail_ids.values() if n > 1),
        "twice_by_key": sum(1 for n in mail_keys.values() if n > 1),
        "held_comments": len(held_at),
        "held_then": len(held_then),
        "held_worst": max((decided_at[pk] - returned for pk in held_then), default=0.0),
        "held_p50": percentile([decided_at[pk] - returned for pk in held_then], 0.5),
        "first_answer": min((t for t in decided_at.values() if t > returned), default=returned) - returned,
        "waiting_then": len(waiting_then),
        "waiting_worst": max((decided_at[pk] - returned for pk in waiting_then), default=0.0),
        "rate_during": during / (ended - started),
        "rate_after": (len(decided_times) - during) / max(decided_times[-1] - ended, 1e-9) if decided_times else 0,
        "lag_p50": percentile(lag, 0.5),
        "lag_max": max(lag, default=0.0),
        "last_decided": decided_times[-1] - started if decided_times else float("nan"),
        "settled": settled - started,
        "events": {name: at - started for name, at in timeline.at.items()},
        "email_outcomes": email_outcomes(),
    }


def email_outcomes():
    """What the site's send_email tasks returned, by kind: sent, not sent (the comment decided by then), gave up."""
    from django_tasks_db.models import DBTaskResult

    outcomes = Counter()
    for value in DBTaskResult.objects.filter(task_path="groundwork.mail.send_email").values_list(
        "return_value", flat=True
    ):
        text = str(value or "")
        outcomes[re.split(r"[:,]| to ", text, maxsplit=1)[0] or "(none)"] += 1
    return outcomes


def report(options, numbers):
    n = numbers
    print(
        f"\n{options.posters} posters x {options.comments} comments through nginx; 2 gunicorns x {options.web_workers}"
        f" workers, {options.task_workers} task workers, PostgreSQL, Redis; Akismet answers in"
        f" {options.latency * 1000:.0f} ms, {options.outage!r} from 1/3 to 2/3 of the comments; SMTP down until 1/2\n"
    )
    print(f"{'posting':<10} {'sent':>7} {'acked':>7} {'seconds':>8} {'arrival/s':>10} {'POST p50':>9} {'p99':>7} "
          f"{'max':>7} {'form p50':>9} {'p99':>7}  not acknowledged")  # fmt: skip
    others = ", ".join(f"{k}: {v}" for k, v in n["statuses"].items()) or "none"
    print(f"{'':<10} {n['attempted']:>7,} {n['acknowledged']:>7,} {n['posting_s']:>8.1f} {n['arrival']:>10.1f} "
          f"{n['post_p50']:>7.0f}ms {n['post_p99']:>5.0f}ms {n['post_max']:>5.0f}ms {n['form_p50']:>7.0f}ms "
          f"{n['form_p99']:>5.0f}ms  {others}")  # fmt: skip
    events = ", ".join(f"{name} {at:.0f} s" for name, at in n["events"].items())
    print(f"\ntimeline (from the first POST): {events}, posting over {n['posting_s']:.0f} s, "
          f"last comment decided {n['last_decided']:.0f} s, queue empty {n['settled']:.0f} s")  # fmt: skip
    print(f"\n{'checks':<10} {'asked':>7} {'failed':>7} {'decided/s while posting':>24} {'after':>7} "
          f"{'post->decided p50':>18} {'max':>7}")  # fmt: skip
    print(f"{'':<10} {n['asked']:>7,} {n['failed']:>7,} {n['rate_during']:>24.1f} {n['rate_after']:>7.1f} "
          f"{n['lag_p50']:>17.0f}s {n['lag_max']:>6.0f}s")  # fmt: skip
    print(f"\n{'result':<40} {'count':>7}")
    rows = [
        ("acknowledged comments lost", n["lost"]),
        ("stored without acknowledgement", n["stored_unacknowledged"]),
        ("stored twice", n["stored_twice"]),
        ("checked twice (Akismet answered > 1)", n["checked_twice"]),
        ("never answered by Akismet", n["never_answered"]),
        ("decided twice (history)", n["decided_twice"]),
        ("left undecided", n["undecided"]),
        ("emails received", n["emails"]),
        ("emails twice (Message-ID)", n["twice_by_id"]),
        ("emails twice (recipient, kind, comment)", n["twice_by_key"]),
    ]
    for label, value in rows:
        print(f"{label:<40} {value:>7,}")
    final = ", ".join(f"{k} {v:,}" for k, v in n["final"].items())
    outcomes = ", ".join(f"{k} {v:,}" for k, v in n["email_outcomes"].items())
    print(f"final statuses: {final}; send_email tasks: {outcomes}")
    print(
        f"\nAkismet answering again (its first verdict applied {n['first_answer']:.1f} s after it was switched back):"
        f" {n['held_then']:,} comments held 'Akismet unreachable' then, decided after"
        f" p50 {n['held_p50']:.1f} s, worst {n['held_worst']:.1f} s; all {n['waiting_then']:,} waiting then"
        f" (the backlog included), worst {n['waiting_worst']:.1f} s"
    )
    for key in ("lost_ids", "checked_twice_ids", "decided_twice_ids"):
        if n[key]:
            print(f"{key}: {n[key]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=int, default=32)
    parser.add_argument("--comments", type=int, default=500, help="per poster")
    parser.add_argument("--task-workers", type=int, default=10, help="10 keep up with 60 comments a second")
    parser.add_argument("--web-workers", type=int, default=2, help="per gunicorn (there are two)")
    parser.add_argument("--latency", type=float, default=0.15, help="Akismet's answer time, seconds")
    parser.add_argument("--outage", choices=("error", "timeout"), default="error")
    parser.add_argument("--settle-timeout", type=float, default=3 * 3600, help="seconds to wait for the queue")
    parser.add_argument("--logs", type=Path, help="where the processes' logs are copied (default: a new /tmp folder)")
    options = parser.parse_args()
    if not 1 <= options.posters <= 200:
        parser.error("--posters: 1 to 200 (each has an address of its own in 127.0.0.0/24)")
    if not nginx_binary():
        sys.exit("Needs Debian's nginx and libnginx-mod-http-cache-purge (see docs/deployment.md).")
    logs = options.logs or Path(tempfile.mkdtemp(prefix="stack-load-logs-"))
    logs.mkdir(parents=True, exist_ok=True)

    from tests.fakes.akismet_server import FakeAkismet
    from tests.fakes.smtp_server import FakeSMTP

    folder = Path(tempfile.mkdtemp(prefix="stack-load-"))
    cluster = PostgresCluster().create()
    stack, fakes = None, []
    try:
        print("Setting up the database, static files, Redis, gunicorn, workers, nginx...", file=sys.stderr)
        prepare_environment(folder, cluster.url)
        post = seed_post()
        static_root = collect_static(folder / "static")
        akismet = FakeAkismet(latency=options.latency, timeout_sleep=30).start()
        smtp = FakeSMTP()  # down: not started until half the comments are in
        fakes += [akismet, smtp]
        site = site_settings(
            akismet, EMAIL_URL=f"smtp://{smtp.host}:{smtp.port}", EMAIL_TIMEOUT="5", AKISMET_TIMEOUT="3"
        )
        stack = start_stack(
            cluster.url,
            static_root=static_root,
            media_root=folder / "media",
            web_workers=options.web_workers,
            task_workers=options.task_workers,
            **site,
        )
        apps, workers, front = stack.apps, stack.task_workers, stack.front

        total = options.posters * options.comments
        timeline = Timeline(total, akismet, smtp, options.outage)
        print(f"Posting {total:,} comments from {options.posters} readers through {front.url}", file=sys.stderr)
        results, started, ended = post_everything(options, front.url, post, timeline)
        print("Posting done; waiting for every check and email...", file=sys.stderr, flush=True)
        settled = wait_until_settled(post, workers, options.settle_timeout)
        for number, process in enumerate(apps):
            shutil.copy(process.log_path, logs / f"gunicorn-{number}.log")
        for number, process in enumerate(workers):
            shutil.copy(process.log_path, logs / f"worker-{number}.log")
        shutil.copy(front.folder / "error.log", logs / "nginx-error.log")
        numbers = examine(post, results, timeline, akismet, smtp, started, ended, settled)
        report(options, numbers)
        print(f"\nlogs: {logs}")
    finally:
        if stack is not None:
            stack.stop()
        for fake in fakes:
            fake.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
