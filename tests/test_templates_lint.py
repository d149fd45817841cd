"""Templates are code too: djLint (configured in pyproject.toml) finds nothing to fix in templates/.

The same commands as `make lint`. Each check is also run on a template made wrong on purpose, so a
configuration that stops djLint from looking (a wrong path, an exclude that matches everything) fails here.
"""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DJLINT = [sys.executable, "-m", "djlint", "--configuration", str(BASE_DIR / "pyproject.toml")]
BADLY_INDENTED = "<div>\n<p>{% if a %}one{% endif %}</p>\n     </div>\n"
DUPLICATE_ATTRIBUTE = '<p class="a" class="b">text</p>\n'


def djlint(*args, cwd=BASE_DIR):
    return subprocess.run([*DJLINT, *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_templates_are_formatted():
    """Every HTML template is as `make format` leaves it: djLint's check mode looks at each and would change nothing."""
    count = len(list((BASE_DIR / "templates").rglob("*.html")))
    result = djlint("templates", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {count}/{count} files" in result.stdout + result.stderr


def test_templates_pass_the_linter():
    """djLint's Django rules find nothing in any HTML template (apart from the rules pyproject.toml justifies)."""
    result = djlint("templates", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checks_fail_on_a_bad_template(tmp_path):
    """A badly indented template fails the format check and a duplicate attribute fails the lint, with our settings."""
    (tmp_path / "pyproject.toml").write_text((BASE_DIR / "pyproject.toml").read_text())
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "indented.html").write_text(BADLY_INDENTED)
    (tmp_path / "templates" / "duplicate.html").write_text(DUPLICATE_ATTRIBUTE)

    formatted = djlint("templates/indented.html", "--check", cwd=tmp_path)
    linted = djlint("templates/duplicate.html", "--lint", cwd=tmp_path)

    assert formatted.returncode == 1, formatted.stdout + formatted.stderr
    assert "indented.html" in formatted.stdout
    assert linted.returncode == 1, linted.stdout + linted.stderr
    assert "H037" in linted.stdout


def test_plain_text_templates_are_left_alone():
    """The *.txt templates (plain-text emails, robots.txt) are not HTML: djLint neither formats nor lints them."""
    text_templates = sorted((BASE_DIR / "templates").rglob("*.txt"))
    assert text_templates
    result = djlint(*(str(path.relative_to(BASE_DIR)) for path in text_templates), "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No files to check" in result.stdout + result.stderr
