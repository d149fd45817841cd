"""The fence around django-tasks-db's insides (groundwork/task_queue.py): it fails the day they change."""

import ast
import hashlib
import inspect
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from groundwork import task_queue
from tests.test_layout import APPS, modules

BASE_DIR = Path(settings.BASE_DIR)
# django-tasks-db's public face, which any module may use.
PUBLIC = {"django_tasks_db.DatabaseBackend", "django_tasks_db.models.DBTaskResult"}
FENCE = "groundwork/task_queue.py"


def digest_of(dotted: str) -> str:
    """The first 16 hex digits of the SHA-256 of the source of a function or a method ("module.Class.method")."""
    module, _, name = dotted.rpartition(".")
    try:
        function = import_string(dotted)
    except ImportError:  # a method
        function = getattr(import_string(module), name)
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def imported_names(path: Path):
    """(line, "module.name") for each name a module imports from django_tasks_db, and each module it imports whole."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "django_tasks_db":
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names if alias.name.startswith("django_tasks_db"))


def test_the_pinned_version_is_the_one_the_fence_was_read_in():
    """requirements.txt pins the django-tasks-db version whose insides groundwork/task_queue.py describes."""
    pins = (BASE_DIR / "requirements.txt").read_text().splitlines()
    assert f"django-tasks-db=={task_queue.READ_AS_OF}" in pins


def test_the_functions_the_worker_re_implements_are_as_they_were_read():
    """Each function of django-tasks-db that ops/worker.py re-implements or calls has the source it was read in."""
    changed = [dotted for dotted, digest in task_queue.READ_SOURCES.items() if digest_of(dotted) != digest]
    assert changed == [], f"django-tasks-db changed {changed}: read them again, bring ops/worker.py along"


def test_a_worker_has_every_attribute_ops_worker_uses():
    """db_worker.Worker's __init__ still sets every attribute ops.worker.Worker reads or sets."""
    worker = task_queue.DbWorker(
        queue_names=["default"],
        interval=1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="fence",
        excluded_queue_names=[],
    )
    assert [name for name in task_queue.WORKER_ATTRIBUTES if not hasattr(worker, name)] == []


def test_a_change_in_what_was_read_is_seen(monkeypatch):
    """The source check can fail: a function whose source differs from what was read is named."""
    dotted = next(iter(task_queue.READ_SOURCES))
    monkeypatch.setitem(task_queue.READ_SOURCES, dotted, "0" * 64)
    changed = [name for name, digest in task_queue.READ_SOURCES.items() if digest_of(name) != digest]
    assert changed == [dotted]


def test_only_the_fence_reaches_into_django_tasks_db():
    """No app module imports django-tasks-db beyond its public face, except groundwork/task_queue.py."""
    reaching = [
        f"{path.relative_to(BASE_DIR)}:{line} imports {name}"
        for app in APPS
        for path in modules(app)
        for line, name in imported_names(path)
        if name not in PUBLIC and str(path.relative_to(BASE_DIR)) != FENCE
    ]
    assert reaching == []
