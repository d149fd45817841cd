"""The production stack's parts, run on this machine on free loopback ports: `make stack`, the tests, the benchmarks.

Each is a child process started and stopped by its object, on 127.0.0.1:

* `Gunicorn(database, static_root=..., **env)`: `config.wsgi` with `config.settings.prod` against a
  DATABASE_URL, plain HTTP (the TLS proxy's part is played by nginx or nobody);
* `TaskWorker(database, **env)`: `manage.py run_worker`, as deployed (ops/worker.py);
* `Nginx(static_root=..., port=None)`: Debian's nginx running deploy/nginx/blog.conf, its paths and
  addresses pointed at this checkout; `.start(["127.0.0.1:PORT", ...])` puts it in front of app servers;
* `Redis()`: Debian's redis-server, nothing written to disk;
* `PostgresCluster()`: Debian's PostgreSQL in a folder of its own, which its owner may stop and start;
* `start_stack(database, ...)`: all of them but PostgreSQL put together as `make stack` runs them
  (bin/stack, bench/stack_load.py): Redis, two gunicorns, task workers, nginx in front; its
  `supervise()` starts again a part that dies, as systemd's `Restart=always` does in production.

Each part runs in a process group of its own and is stopped as a group: a gunicorn or nginx master
that was SIGKILLed leaves workers behind holding its port, and they go with it (before it is started
again, too). The environment they get is this process's SECRET_KEY and MEDIA_ROOT plus what the
caller passes.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(settings_dict) -> str:
    """The DATABASE_URL of the database this test process uses (the test database once it exists)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user, password = settings_dict.get("USER") or "", settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def wait_until_listening(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"did not listen on {port} within {timeout} s:\n{log_path.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def how_it_ended(returncode: int) -> str:
    return f"killed by {signal.Signals(-returncode).name}" if returncode < 0 else f"exit status {returncode}"


class Part:
    """One process of the stack, started in a process group of its own, so that it ends with everything it started."""

    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(self, command: list, **popen) -> subprocess.Popen:
        self.end_group()  # what the last one left behind (a killed gunicorn's workers, holding the port)
        self.process = subprocess.Popen(command, start_new_session=True, **popen)
        return self.process

    def end(self, sig=signal.SIGTERM) -> None:
        """Stop the process (`sig`, SIGKILL if it does not end in 10 s), then whatever is left of its group."""
        if self.process is not None:
            stop_process(self.process, sig)
            self.end_group()

    def end_group(self, timeout: float = 10) -> None:
        """SIGKILL what is left of the last process's group (usually nothing), and wait until it is gone."""
        if self.process is None or self.process.poll() is None:
            return
        deadline = time.monotonic() + timeout
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
            while time.monotonic() < deadline:
                os.killpg(self.process.pid, 0)
                time.sleep(0.05)
        except ProcessLookupError:
            pass  # no process is left in the group

    def restart(self) -> None:
        self.start()


def production_env(database: str, *, site_url: str, static_root: Path, **env: str) -> dict[str, str]:
    """The environment of a site process: the production settings against `database`, on loopback."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "DATABASE_URL": database,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": site_url,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")),
        "EMAIL_URL": "dummymail://",
        # Plain HTTP on loopback: otherwise exactly production.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "INFO",
        **env,
    }


class Gunicorn(Part):
    """gunicorn with the production settings, on a free port, against `database` (a DATABASE_URL)."""

    def __init__(self, database: str, *, static_root: Path, workers: int = 2, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = production_env(database, site_url=self.url, static_root=static_root, **env)
        self.log_path = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])

    @property
    def name(self) -> str:
        return f"gunicorn :{self.port}"

    def start(self) -> "Gunicorn":
        command = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--config",
            str(BASE_DIR / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
        ]
        with self.log_path.open("ab") as log:
            self.spawn(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=log)
        wait_until_listening(self.port, self.process, self.log_path)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.end()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class TaskWorker(Part):
    """`manage.py run_worker` with the production settings against `database`, as deployed (ops/worker.py)."""

    def __init__(self, database: str, **env: str):
        self.env = production_env(database, site_url="http://127.0.0.1", static_root=Path(tempfile.gettempdir()), **env)
        self.log_path = Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1])

    @property
    def name(self) -> str:
        return f"task worker ({self.log_path})"

    def start(self) -> "TaskWorker":
        command = [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.1"]
        with self.log_path.open("ab") as log:
            self.spawn(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=log)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no chance to finish or clean up, as when a machine is lost."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        self.end()
        self.log_path.unlink(missing_ok=True)


class PostgresCluster:
    """A PostgreSQL server of the test's own (Debian's) that it may stop and start: `url`, `stop()`, `start()`."""

    def __init__(self):
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
        on_path = shutil.which("pg_ctl")
        if not versions and not on_path:
            raise RuntimeError("No PostgreSQL server found (apt-get install postgresql; .ci/run does this).")
        self.bin = versions[-1].parent if versions else Path(on_path).parent
        self.folder = Path(tempfile.mkdtemp(prefix="pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/blog"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def pg(self, *args, check=True):
        return subprocess.run([*self.as_postgres, *args], check=check, capture_output=True)

    def create(self) -> "PostgresCluster":
        data = self.folder / "data"
        self.pg(self.bin / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        self.pg(self.bin / "createdb", "-h", self.folder, "-p", str(self.port), "-U", "postgres", "blog")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self.pg(
            self.bin / "pg_ctl", "-D", self.folder / "data", "-l", self.folder / "log", "-w", "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self.pg(self.bin / "pg_ctl", "-D", self.folder / "data", "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def collect_static(target: Path) -> Path:
    """Collect and compress the static files the production settings serve (whitenoise's manifest)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.prod", "STATIC_ROOT": str(target)}
    env.setdefault("SECRET_KEY", "collectstatic-needs-one")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )
    return target


NGINX_SITE = BASE_DIR / "deploy" / "nginx" / "blog.conf"
PURGE_MODULE = "/usr/lib/nginx/modules/ngx_http_cache_purge_module.so"  # Debian's libnginx-mod-http-cache-purge


def nginx_binary() -> str | None:
    """Debian's nginx, when it and the cache purge module the site's configuration uses are installed."""
    if not os.path.exists(PURGE_MODULE):
        return None
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


class Nginx(Part):
    """Debian's nginx running deploy/nginx/blog.conf, started in front of `upstreams` ("127.0.0.1:PORT" each)."""

    def __init__(self, *, static_root: Path, media_root: Path | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.static_root, self.media_root = static_root, media_root or BASE_DIR / "media"
        self.upstreams: list[str] = []

    @property
    def name(self) -> str:
        return f"nginx :{self.port}"

    def site_config(self) -> str:
        """deploy/nginx/blog.conf with this checkout's paths and the test's addresses in place of the examples."""
        text = NGINX_SITE.read_text()
        for example in (
            "server 127.0.0.1:8000;",
            "listen 443 ssl http2;",
            "/srv/blog/staticfiles/",
            "/srv/blog/media/",
        ):
            assert example in text, f"deploy/nginx/blog.conf no longer has {example!r}: update devtools/stack.py"
        text = text.replace("server 127.0.0.1:8000;", " ".join(f"server {u};" for u in self.upstreams))
        text = text.replace("/srv/blog/staticfiles/", f"{self.static_root}/")
        text = text.replace("/srv/blog/media/", f"{self.media_root}/")
        text = text.replace("/var/cache/nginx/blog", str(self.folder / "cache"))
        # No certificate here: the TLS server listens on plain HTTP, and the port-80 redirect is left out.
        text = re.sub(r"ssl_[a-z_]+ [^;]+;\n", "", text)
        text = re.sub(r"listen 443 ssl http2;.*\n", f"listen 127.0.0.1:{self.port};\n", text)
        text = text.replace("listen [::]:443 ssl http2;\n", "")
        return re.sub(r"# BEGIN plain-http-redirect.*?# END plain-http-redirect\n", "", text, flags=re.S)

    def start(self, upstreams: list[str]) -> "Nginx":
        self.upstreams = upstreams
        (self.folder / "blog.conf").write_text(self.site_config())
        (self.folder / "nginx.conf").write_text(
            f"""
            load_module {PURGE_MODULE};
            worker_processes 1;
            pid {self.folder}/nginx.pid;
            error_log {self.folder}/error.log warn;
            events {{ worker_connections 512; }}
            http {{
                include /etc/nginx/mime.types;
                access_log {self.folder}/access.log;
                client_body_temp_path {self.folder}/body;
                proxy_temp_path {self.folder}/proxy;
                fastcgi_temp_path {self.folder}/fastcgi;
                uwsgi_temp_path {self.folder}/uwsgi;
                scgi_temp_path {self.folder}/scgi;
                include {self.folder}/blog.conf;
            }}
            """
        )
        command = [nginx_binary(), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"]
        if os.geteuid() == 0:
            command[-1] = "daemon off; user root;"
        log_path = self.folder / "error.log"
        log_path.touch()
        with log_path.open("ab") as log:
            self.spawn(command, stdout=subprocess.DEVNULL, stderr=log)
        wait_until_listening(self.port, self.process, log_path)
        return self

    def restart(self) -> None:
        self.start(self.upstreams)

    def stop(self) -> None:
        self.end(signal.SIGQUIT)
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis(Part):
    """Debian's redis-server on a free port, nothing written to disk; `url` is its REDIS_URL."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="redis-"))

    @property
    def name(self) -> str:
        return f"redis :{self.port}"

    def start(self) -> "Redis":
        command = [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        log_path = self.folder / "redis.log"
        self.spawn([*command, "--logfile", str(log_path)], stdout=subprocess.DEVNULL)
        log_path.touch()
        wait_until_listening(self.port, self.process, log_path)
        return self

    def stop(self) -> None:
        self.end()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Stack:
    """The production stack started by `start_stack`; `processes` in the order they were started."""

    redis: Redis
    apps: list[Gunicorn]
    task_workers: list[TaskWorker]
    front: Nginx
    _supervising: threading.Event = field(default_factory=threading.Event, repr=False)
    _supervisor: threading.Thread | None = field(default=None, repr=False)

    @property
    def processes(self) -> list[Part]:
        return [self.redis, *self.apps, *self.task_workers, self.front]

    def supervise(self, say: Callable[[str], None] = print, every: float = 1.0) -> None:
        """From now until `stop()`, a part that dies is started again, as systemd's Restart=always does, and `say`
        is told what happened. A part that fails to start is tried again `every` seconds later."""

        def watch():
            while not self._supervising.wait(every):
                for part in self.processes:
                    if part.alive:
                        continue
                    say(f"{part.name} ended ({how_it_ended(part.process.returncode)}); starting it again.")
                    try:
                        part.restart()
                    except Exception as error:  # e.g. its port not free yet: the next round tries again
                        say(f"{part.name} did not start: {error}")
                    else:
                        say(f"{part.name} is running again.")

        self._supervisor = threading.Thread(target=watch, name="stack-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervising.set()
            self._supervisor.join()
        for process in reversed(self.processes):
            process.stop()


def start_stack(
    database: str,
    *,
    static_root: Path,
    media_root: Path,
    web_workers: int,
    task_workers: int,
    port: int | None = None,
    **env: str,
) -> Stack:
    """Redis, two gunicorns (`web_workers` each) and `task_workers` task workers against `database`, and
    nginx (on `port`, a free one when None) in front of the gunicorns, its front cache purged by the site.

    The site's processes get `env` plus REDIS_URL, SITE_URL (nginx's address), BEHIND_TLS_PROXY and
    FRONT_CACHE_PURGE_URLS. Should one fail to start, those already started are stopped.
    """
    begun = []  # stopped in reverse should a later one fail to start

    def start(part):
        begun.append(part)
        return part.start()

    try:
        redis = start(Redis())
        front = Nginx(static_root=static_root, media_root=media_root, port=port)
        begun.append(front)  # started last, in front of the gunicorns, but its folder exists now
        site = {
            **env,
            "REDIS_URL": redis.url,
            "SITE_URL": front.url,
            "BEHIND_TLS_PROXY": "true",
            "FRONT_CACHE_PURGE_URLS": f"{front.url}/purge",
        }
        apps = [start(Gunicorn(database, static_root=static_root, workers=web_workers, **site)) for _ in range(2)]
        workers = [start(TaskWorker(database, **site)) for _ in range(task_workers)]
        front.start([f"127.0.0.1:{app.port}" for app in apps])
    except BaseException:
        for part in reversed(begun):
            part.stop()
        raise
    return Stack(redis, apps, workers, front)
