"""The code's layout, as docs/layout.md describes it: apps that import downwards, modules without import circles.

Read from the modules' own import statements (with `ast`), so the picture cannot drift from the code.
"""

import ast
import re
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
    ("comments/apps.py", "blog.frontcache"),
    ("comments/apps.py", "comments.closing"),
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


# Templates and URL names: a template in templates/<app>/ (or templates/admin/<app>/) is its app's, and may load
# the tag libraries and name the URLs of the apps its app may import. The site's shell (base.html, the error pages,
# the overrides of other projects' templates: account/, socialaccount/, captcha/) composes every app, as config/ does.
TEMPLATES_DIR = BASE_DIR / "templates"
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
URL_NAME = re.compile(r"""{%\s*url\s+["']([a-z_]+):""")
URL_NAME_IN_CODE = re.compile(r"""["']([a-z_]+):[\w-]+["']""")
# The privacy pages are linked from below by URL name, and only linked: every form that takes a reader's details
# and every email points to what is kept and how to get it back (the GDPR's duty to inform), while the privacy app
# sits above the apps whose data it gathers. A link by name is no code: nothing of privacy's is imported.
LINKED_FROM_ANY_APP = {"privacy"}
# Nothing crosses upward; a crossing found is named here only with a reason, and none has one.
STILL_CROSSING = set()


def template_owner(path: Path, templates_dir: Path) -> str | None:
    """The app a template belongs to; None for the site's shell."""
    parts = path.relative_to(templates_dir).parts
    if parts[0] == "admin" and len(parts) > 2:
        return parts[1] if parts[1] in APPS else None
    return parts[0] if len(parts) > 1 and parts[0] in APPS else None


def libraries() -> dict[str, str]:
    """{tag library: the app it belongs to}."""
    return {path.stem: app for app in APPS for path in (BASE_DIR / app).glob("templatetags/*.py")}


def url_namespaces() -> dict[str, str]:
    """{URL namespace: the app it belongs to}: each app's app_name."""
    found = {}
    for app in APPS:
        urls = BASE_DIR / app / "urls.py"
        if urls.exists() and (match := re.search(r"""^app_name = ["'](\w+)["']""", urls.read_text(), re.MULTILINE)):
            found[match[1]] = app
    return found


def crossings_upward(templates_dir: Path = TEMPLATES_DIR) -> set[str]:
    """ "file loads library" / "file names namespace:" for each that an app may not import."""
    libraries_of, namespaces = libraries(), url_namespaces()
    crossing = set()

    def check(where, app, names, owners, verb):
        for name in names:
            other = owners.get(name)
            linked = verb == "names" and other in LINKED_FROM_ANY_APP
            if other and other != app and other not in MAY_IMPORT[app] and not linked:
                crossing.add(f"{where} {verb} {name if verb == 'loads' else name + ':'}")

    for path in sorted(templates_dir.rglob("*")):
        if path.is_file() and (app := template_owner(path, templates_dir)):
            text, where = path.read_text(), f"templates/{path.relative_to(templates_dir)}"
            check(where, app, [lib for found in LOAD.findall(text) for lib in found.split()], libraries_of, "loads")
            check(where, app, URL_NAME.findall(text), namespaces, "names")
    for app in APPS:
        for path in modules(app):
            text = path.read_text()
            check(str(path.relative_to(BASE_DIR)), app, URL_NAME_IN_CODE.findall(text), namespaces, "names")
    return crossing


def test_templates_and_url_names_cross_only_downwards():
    """Templates load the tags, and templates and code name the URLs, only of the apps their app may import."""
    assert crossings_upward() - STILL_CROSSING == set()


def test_what_still_crosses_upward_is_only_what_is_listed():
    """Each crossing listed as still there is there: one that is mended comes off the list."""
    assert STILL_CROSSING - crossings_upward() == set()


def test_the_template_check_sees_a_crossing(tmp_path):
    """The check can fail: a blog template loading the comments' tags and naming a subscriptions URL is seen."""
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "x.html").write_text("{% load static comments %}{% url 'subscriptions:manage' 'x' %}")
    found = crossings_upward(tmp_path)
    assert {"templates/blog/x.html loads comments", "templates/blog/x.html names subscriptions:"} <= found
