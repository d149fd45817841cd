"""The project as a newcomer and a server meet it: migrations, deploy checks, headers, lint, Python lookup."""

import os
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
