"""The code's layout, as docs/layout.md describes it: apps that import downwards, modules without import circles.

Read from the modules' own import statements (with `ast`), so the picture cannot drift from the code.
"""

import ast
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
APPS = (
    "groundwork",
    "blog",
    "comments",
    "accounts",
    "subscriptions",
    "privacy",
    "wordpress",
    "ops",
    "demo",
    "devtools",
)
# Which apps each app may import: the direction docs/layout.md draws. groundwork, what every app
# shares, is at the bottom: every app may import it, and it imports none.
MAY_IMPORT = {
    "groundwork": set(),
    "blog": {"groundwork"},
    "comments": {"groundwork", "blog"},
    "accounts": {"groundwork", "blog", "comments"},
    "subscriptions": {"groundwork", "blog", "comments"},
    "privacy": {"groundwork", "blog", "comments", "subscriptions"},
    "wordpress": {"groundwork", "blog", "comments"},
    "ops": {"groundwork", "comments"},
    "demo": {"groundwork", "blog", "comments", "accounts", "subscriptions"},
    "devtools": set(),  # development tooling (make stack, tests, bench): it imports no app, and no app imports it
}
# Imports a framework forces inside a function (each with a comment saying why at its place).
FORCED = {
    ("accounts/apps.py", "allauth.socialaccount.models"),
    ("accounts/apps.py", "accounts.logins"),
    ("blog/apps.py", "blog.models"),
    ("blog/apps.py", "blog.frontcache"),
    ("comments/apps.py", "comments.models"),
    ("subscriptions/apps.py", "subscriptions.receivers"),
}


def modules(app):
    for path in sorted((BASE_DIR / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def module_name(path: Path) -> str:
    parts = path.relative_to(BASE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(imported module, line, inside a function?) for each import statement of the file."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    in_function = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] if node.module else [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in in_function


def test_apps_import_only_downwards():
    """blog imports no other app, comments only blog, accounts only blog and comments: no app imports back up."""
    wrong = []
    for app in APPS:
        for path in modules(app):
            for name, line, _ in imports(path):
                other = name.split(".")[0]
                if other in APPS and other != app and other not in MAY_IMPORT[app]:
                    wrong.append(f"{path.relative_to(BASE_DIR)}:{line} imports {name}")
    assert wrong == []


def test_the_comment_modules_have_no_import_circle():
    """comments/ is layered: following its modules' imports never leads back to where it started."""
    graph = {module_name(path): {name for name, _, _ in imports(path)} for path in modules("comments")}
    graph = {module: names & set(graph) for module, names in graph.items()}

    def circle_from(module, path):
        for name in graph[module]:
            if name in path:
                return [*path[path.index(name) :], name]
            found = circle_from(name, [*path, name])
            if found:
                return found
        return None

    circles = [circle for module in graph if (circle := circle_from(module, [module]))]
    assert circles == [], " -> ".join(circles[0])


def test_no_import_hides_inside_a_function():
    """Imports sit at the top of their module, where a reader sees what it depends on, unless a framework forbids it."""
    hidden = [
        f"{path.relative_to(BASE_DIR)}:{line} imports {name}"
        for app in APPS
        for path in modules(app)
        for name, line, inside in imports(path)
        if inside and (str(path.relative_to(BASE_DIR)), name) not in FORCED
    ]
    assert hidden == []
