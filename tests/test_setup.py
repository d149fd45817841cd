"""The project as a newcomer and a server meet it: migrations, deploy checks, headers, lint, Python lookup."""

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent


def production_env(**overrides):
    """A clean environment for the production settings: no variable the test settings have set."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/nonexistent")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(50)}
    env |= overrides
    return {key: value for key, value in env.items() if value is not None}


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.django_db
def test_no_pending_migrations():
    """Every model change has its migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_deploy_check_is_clean_with_production_settings():
    """`check --deploy` finds nothing to warn about in the production settings."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    """The production settings stop with a clear message when SECRET_KEY is missing."""
    result = run_manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["blog:home", "admin:login"])
def test_pages_carry_security_headers(client, url_name):
    """Pages are sent with a strict Content-Security-Policy, no MIME sniffing and a referrer policy."""
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["ruff-check", "ruff-format"])
def test_code_passes_ruff(command):
    """The whole repository passes ruff's lint rules and formatting (this is how the suite runs lint)."""
    result = subprocess.run(
        [str(VENV_BIN / "ruff"), *command, "."], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_find_python_explains_when_no_suitable_python_exists(tmp_path):
    """bin/find-python exits 1 with a clear message when only an older Python can be found."""
    if any(Path(f"/usr/bin/python3.{minor}").exists() for minor in (12, 13)):
        pytest.skip("this machine has a system Python 3.12 or 3.13, which find-python always finds")
    old_python = tmp_path / "python3"
    old_python.write_text("#!/bin/sh\nexit 1\n")  # answers "no" to find-python's version test, like a 3.11
    old_python.chmod(0o755)
    (tmp_path / "ls").symlink_to(shutil.which("ls"))
    result = subprocess.run(
        [str(BASE_DIR / "bin" / "find-python")],
        env={"HOME": "/nonexistent", "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no Python 3.12 or 3.13 found" in result.stderr


def test_find_python_uses_the_python_it_is_given():
    """bin/find-python prints the interpreter named by PYTHON when it is recent enough."""
    result = subprocess.run(
        [str(BASE_DIR / "bin" / "find-python")],
        env={"HOME": "/nonexistent", "PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sys.executable


# docs/configuration.md's Environment variables section names every environment variable the code reads.

# Read only by the test settings, never by a site: not for the documentation.
TEST_ONLY_VARIABLES = {
    "FAKE_OAUTH_URL": "config/settings/test.py: where the fake login providers listen, chosen once per test run",
    "HOME": "devtools/stack.py: passed on to the processes it starts for tests, benchmarks and make stack",
}
ENV_METHODS = {"get", "setdefault", "pop"}
CONFIGURATION_PAGE = "docs/configuration.md"


def _is_os_environ(node) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _variable_keys(tree):
    """(node, key) for each read: env(...), env.<cast>(...), os.environ.get/setdefault/pop, os.environ[...],
    os.getenv(...) and `... in os.environ`; key is the expression naming the variable."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            reads = (
                (isinstance(func, ast.Name) and func.id == "env")
                or (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env")
                or (isinstance(func, ast.Attribute) and func.attr in ENV_METHODS and _is_os_environ(func.value))
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr == "getenv"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "os"
                )
            )
            if reads:
                keyword = next((k.value for k in node.keywords if k.arg == "var"), None)
                yield node, node.args[0] if node.args else keyword
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            yield node, node.slice
        elif isinstance(node, ast.Compare) and any(_is_os_environ(operand) for operand in node.comparators):
            yield node, node.left


def _constant_strings(node):
    """The strings of a constant tuple or list, or None."""
    if isinstance(node, ast.Tuple | ast.List) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts
    ):
        return [item.value for item in node.elts]
    return None


def _values_of_name(name, tree, parents):
    """The strings a name can hold: a `for name in (...)` loop over constants, or a function parameter given
    constants at every call in the module. None when it cannot be told."""
    node = name
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name.id:
            return _constant_strings(node.iter)
        if isinstance(node, ast.FunctionDef):
            positional = [arg.arg for arg in node.args.posonlyargs + node.args.args]
            if name.id not in positional + [arg.arg for arg in node.args.kwonlyargs]:
                continue
            index = positional.index(name.id) if name.id in positional else None
            values = []
            for call in ast.walk(tree):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == node.name):
                    continue
                given = next((k.value for k in call.keywords if k.arg == name.id), None)
                if given is None and index is not None and index < len(call.args):
                    given = call.args[index]
                if not (isinstance(given, ast.Constant) and isinstance(given.value, str)):
                    return None
                values.append(given.value)
            return values or None
    return None


def _variable_names(key, tree, parents):
    """The variable names a key expression can take, or None when they cannot be told from the source."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return [key.value]
    if isinstance(key, ast.Name):
        return _values_of_name(key, tree, parents)
    if isinstance(key, ast.JoinedStr):
        names = [""]
        for part in key.values:
            if isinstance(part, ast.Constant):
                names = [name + part.value for name in names]
            elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) and not part.format_spec:
                values = _values_of_name(part.value, tree, parents)
                if values is None:
                    return None
                names = [name + value for name in names for value in values]
            else:
                return None
        return names
    return None


def environment_variables_read():
    """{variable: [file:line, ...]} for config/, manage.py, groundwork/, devtools/ and the project's apps, and the reads
    that cannot be told."""
    from django.apps import apps

    folders = {BASE_DIR / "config", BASE_DIR / "groundwork", BASE_DIR / "devtools"} | {
        Path(app.path)
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(BASE_DIR) and not Path(app.path).is_relative_to(BASE_DIR / ".venv")
    }
    files = [BASE_DIR / "manage.py", *sorted(path for folder in folders for path in folder.rglob("*.py"))]
    found, unknown = {}, []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for node, key in _variable_keys(tree):
            where = f"{path.relative_to(BASE_DIR)}:{node.lineno}"
            names = _variable_names(key, tree, parents) if key is not None else None
            if names is None:
                unknown.append(where)
            for name in names or ():
                found.setdefault(name, []).append(where)
    return found, unknown


def doc_section(page, title):
    """The text of a page's `## title` section, up to the next `## ` heading (page: e.g. docs/deployment.md)."""
    text = (BASE_DIR / page).read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{page} has no '## {title}' section"
    return match[1]


def test_the_scan_finds_variables_read_every_way():
    """The scan sees constant, looped and f-string names, and reports a name it cannot work out."""
    source = (
        "import os\n"
        "A = env('DIRECT'); B = env.int('CAST', default=1); C = os.environ.get('GOT')\n"
        "os.environ.setdefault('DEFAULTED', 'x'); D = os.environ['INDEXED']; E = 'ASKED' in os.environ\n"
        "for name in ('LOOP_ONE', 'LOOP_TWO'):\n    os.environ.setdefault(name, 'x')\n"
        "def app(prefix):\n    return env(f'{prefix}_CLIENT_ID')\n"
        "app('GOOGLE'); app(prefix='X')\n"
        "F = env(some_function())\n"
    )
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    names = [_variable_names(key, tree, parents) for _, key in _variable_keys(tree)]
    expected = ["DIRECT", "CAST", "GOT", "DEFAULTED", "INDEXED", "ASKED", "LOOP_ONE", "LOOP_TWO"]
    assert sorted(name for group in names if group for name in group) == sorted(
        [*expected, "GOOGLE_CLIENT_ID", "X_CLIENT_ID"]
    )
    assert names.count(None) == 1


def test_the_configuration_page_names_every_environment_variable_the_code_reads():
    """Every environment variable read in config/, manage.py or an app is named in docs/configuration.md's table."""
    found, unknown = environment_variables_read()
    assert not unknown, f"cannot tell which environment variable these read (use a constant name): {unknown}"
    assert {"SECRET_KEY", "AKISMET_API_URL", "GOOGLE_CLIENT_SECRET", "SECURE_SSL_REDIRECT"} <= found.keys()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", doc_section(CONFIGURATION_PAGE, "Environment variables")))
    missing = {name: places for name, places in found.items() if name not in documented | TEST_ONLY_VARIABLES.keys()}
    assert not missing, f"{CONFIGURATION_PAGE}'s Environment variables lack (name them in `backticks`): {missing}"
    assert not TEST_ONLY_VARIABLES.keys() - found.keys(), "an allowed test-only variable is no longer read"


def test_the_configuration_page_says_the_audio_captcha_needs_flite():
    """The configuration page's table tells how to get the captcha's audio version: Debian's flite package."""
    section = doc_section(CONFIGURATION_PAGE, "Environment variables")
    assert "`flite`" in section
    assert "apt-get install flite" in section
    assert "`CAPTCHA_FLITE_PATH`" in section


def test_production_settings_never_import_the_demo_app():
    """With the production settings the demo app is not installed, not imported, and its commands do not exist."""
    script = (
        "import sys, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import get_commands\n"
        "demo = [name for name in sys.modules if name == 'demo' or name.startswith('demo.')]\n"
        "apps = [app for app in settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']]\n"
        "print('demo' in settings.INSTALLED_APPS, demo, apps, 'load_demo' in get_commands())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=production_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False [] [] False"


@pytest.mark.django_db(transaction=True)
def test_the_demo_login_provider_does_not_exist_in_production(gunicorn):
    """Under gunicorn with the production settings, the demo provider's login address is a 404."""
    import httpx

    server = gunicorn()
    response = httpx.get(f"{server.url}/accounts/oidc/demo/login/", timeout=60)

    assert response.status_code == 404
