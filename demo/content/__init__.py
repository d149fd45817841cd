"""The demo site as data: manifest.toml (author, categories, articles), articles/<slug>.html, images.py.

Read by `manage.py load_demo`, which keeps all the logic; this package only knows where things are.
"""

import tomllib
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent


def read_manifest():
    with open(DEMO_DIR / "manifest.toml", "rb") as manifest:
        return tomllib.load(manifest)


def article_html(slug):
    return (DEMO_DIR / "articles" / f"{slug}.html").read_text(encoding="utf-8")
