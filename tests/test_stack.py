"""`make stack`'s parts kept running (devtools/stack.py `Stack.supervise`): one that dies is started again, as systemd's
Restart=always does, with whatever a killed gunicorn master left behind ended first; `stop()` ends them all."""

import os
import signal
from pathlib import Path

import httpx
import pytest

from devtools.stack import start_stack
from tests.servers import TEST_ENV, database_url, eventually, nginx_binary

pytestmark = pytest.mark.django_db(transaction=True)


def children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (a zombie holds no port, nor anything else)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=60).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def stack(django_db_setup, collected_static, media_root, redis_server):
    """The stack as `make stack` starts it (one gunicorn worker each, one task worker), supervised; `said` lists
    what the supervisor reported."""
    from django.db import connection

    if nginx_binary() is None:
        pytest.skip("nginx not found: apt-get install nginx libnginx-mod-http-cache-purge")
    parts = start_stack(
        database_url(connection.settings_dict),
        static_root=collected_static,
        media_root=media_root,
        web_workers=1,
        task_workers=1,
        **TEST_ENV,
    )
    parts.said = []
    parts.supervise(say=parts.said.append, every=0.2)
    yield parts
    parts.stop()


def test_a_killed_task_worker_and_gunicorn_master_are_started_again(stack, post):
    """SIGKILL a task worker and a gunicorn master: each is started again (the master's orphaned worker, holding its
    port, ended first), the stack says so, and the site answers through nginx from both app servers."""
    worker, app = stack.task_workers[0], stack.apps[0]
    old_worker, old_master = worker.process.pid, app.process.pid
    orphans = children_of(old_master)
    assert orphans, "gunicorn's master has no worker to leave behind"

    os.kill(old_worker, signal.SIGKILL)
    os.kill(old_master, signal.SIGKILL)

    assert eventually(lambda: worker.alive and worker.process.pid != old_worker), stack.said
    assert eventually(lambda: app.alive and app.process.pid != old_master and answers(f"{app.url}/healthz"))
    assert not any(running(pid) for pid in orphans)
    assert children_of(app.process.pid)  # the new master's own worker
    said = "\n".join(stack.said)
    assert f"{app.name} ended (killed by SIGKILL); starting it again." in said
    assert f"{worker.name} ended (killed by SIGKILL); starting it again." in said
    assert f"{app.name} is running again." in said and f"{worker.name} is running again." in said
    for other in stack.apps:
        assert answers(f"{other.url}{post.get_absolute_url()}")
    assert answers(f"{stack.front.url}{post.get_absolute_url()}")


def test_a_killed_nginx_is_started_again_on_its_port(stack, post):
    """SIGKILL nginx's master: its workers go with it, and a new nginx serves the site on the same address."""
    front = stack.front
    old_master = front.process.pid
    orphans = children_of(old_master)

    os.kill(old_master, signal.SIGKILL)

    assert eventually(lambda: front.alive and front.process.pid != old_master), stack.said
    assert not any(running(pid) for pid in orphans)
    assert eventually(lambda: answers(f"{front.url}{post.get_absolute_url()}"))


def test_stopping_the_stack_ends_every_process_it_started(stack):
    """`stop()` (Ctrl-C in `make stack`) ends every part and every process they started, and restarts none."""
    parts = stack.processes
    pids = [pid for part in parts for pid in (part.process.pid, *children_of(part.process.pid))]

    stack.stop()  # the supervisor first: nothing can be started again after it

    assert not any(running(pid) for pid in pids)
    assert not any(part.alive for part in parts)
    assert not any("starting it again" in line for line in stack.said)
