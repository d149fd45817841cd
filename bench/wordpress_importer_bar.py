"""WordPress's own importer tests as the bar: each of their data files imported here, beside what their tests expect.

Usage: .venv/bin/python bench/wordpress_importer_bar.py PATH/TO/wordpress-importer/phpunit/data

WordPress's importer (github WordPress/wordpress-importer) tests itself on the WXR files in its
phpunit/data folder. None of them is kept in this project (tests/wxr/test_wordpress_cases.py holds
the same cases in files of its own): give the folder of a checkout. Each file is imported, without
fetching attachments, into an empty throwaway SQLite database, and one line per file says what came
in (or the message it was refused with) beside what WordPress's tests expect of it, and whether
they agree. The expectations are the counts their tests assert (import.php, parser.php,
postmeta.php, comment-meta.php, term-meta.php), and, where a test only reads a file, what WordPress's
importer then makes of it (a term a post names is created; a `tag` domain is a post tag).
"""

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
REFUSED = "refused"
# File -> what WordPress's tests expect: items and authors read, then what the import leaves (accounts, terms, posts
# and pages by status, comments). Only the keys given are compared.
EXPECTED = {
    "10MB.xml": {"items": 3162, "authors": 2},
    "a11y-unit-test-data.xml": {"items": 154, "authors": 1},
    "authors-multiline.xml": {"authors": 3, "posts": {"published": 1}},
    "backslashes.xml": {"items": 1, "posts": {"published": 1}},
    "blank-lines.xml": {"items": 1, "posts": {"published": 1}},
    "cdata-edge.xml": {"items": 1, "posts": {"published": 1}},
    "chunked-meta.xml": {"items": 1, "posts": {"published": 1}},
    "crazy-cdata-escaped.xml": {"items": 1, "authors": 0, "posts": {"published": 1}},
    "crazy-cdata.xml": {"items": 1, "posts": {"published": 1}},
    "invalid-version-tag.xml": REFUSED,
    "large-authors.xml": {"authors": 300},
    "malformed-simple.xml": REFUSED,  # untested by WordPress; cut off after an item's third line
    "malformed.xml": REFUSED,
    "missing-tags.xml": {"items": 1, "posts": {"published": 1}},
    "missing-version-tag.xml": REFUSED,
    "multiple-cdata.xml": {"items": 1, "posts": {"published": 1}},
    "namespace-edge-cases.xml": {"items": 6, "authors": 2, "categories": 2, "posts": {"published": 5}},
    "post-content-blank-lines.xml": {"items": 1, "posts": {"published": 1}},
    "slashes.xml": {"categories": 1, "tags": 1, "posts": {"published": 1}, "comments": 1},
    "small-export.xml": {
        "accounts": 3,
        "categories": 30,
        "tags": 3,
        "posts": {"published": 5, "private": 1},
        "pages": {"published": 4, "draft": 1},
        "comments": 1,
    },
    "term-formats.xml": {"items": 0, "authors": 0, "categories": 2, "tags": 3},
    "term-meta.xml": {"categories": 1},
    "test-serialized-comment-meta.xml": {"items": 1, "comments": 1},
    "test-serialized-postmeta-no-cdata.xml": {"posts": {"draft": 1}},
    "test-serialized-postmeta-with-cdata.xml": {"posts": {"draft": 1}},
    "test-serialized-term-meta.xml": {"categories": 1, "tags": 1},
    "test-utw-post-meta-import.xml": {"posts": {"draft": 1}},
    # 68 categories and 110 tags defined, and 4 tags more that posts name (WordPress creates them as it goes).
    "theme-unit-test-data.xml": {"items": 186, "authors": 2, "categories": 68, "tags": 114},
    "valid-wxr-1.0.xml": {
        "items": 6,
        "authors": 0,
        "categories": 5,
        "tags": 4,
        "posts": {"published": 3},
        "pages": {"published": 3},
        "comments": 1,
    },
    "valid-wxr-1.1.xml": {
        "items": 2,
        "authors": 1,
        "categories": 1,
        "tags": 1,
        "posts": {"published": 1},
        "pages": {"published": 1},
        "comments": 1,
    },
    "wxr-flat-attachment-different-site.xml": {"posts": {"published": 1}},
    "wxr-flat-attachment-same-site.xml": {"posts": {"published": 1}},
    "wxr-simple.xml": {"items": 1, "authors": 1, "posts": {"published": 1}},
    "wxr-utf-8-challenges.xml": {"items": 1, "authors": 1, "posts": {"published": 1}},
    "wxr-with-sub-data.xml": {"items": 1, "authors": 0, "categories": 1, "posts": {"published": 1}, "comments": 1},
}


def setup_django(database: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def what_came_in(path: Path) -> tuple[dict, str]:
    """Import `path` into the emptied database: what is there after it, and the summary (or why it was refused)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from blog.models import Category, Post, Tag
    from comments.models import Comment
    from wordpress.importer import import_wxr
    from wordpress.wxr import Author, Item, WXRError, read_wxr

    call_command("flush", interactive=False, verbosity=0)
    try:
        summary = import_wxr(path)
    except WXRError as error:
        return {}, f"{REFUSED}: {error}"
    except Exception as error:  # a crash is one of the results to report
        return {}, f"CRASHED: {type(error).__name__}: {str(error)[:300]}"
    records = Counter(type(record) for record in read_wxr(path, comments=False))
    statuses = {
        kind: dict(Counter(Post.objects.filter(kind=kind).values_list("status", flat=True)))
        for kind in (Post.Kind.POST, Post.Kind.PAGE)
    }
    return {
        "items": records[Item],
        "authors": records[Author],
        "accounts": get_user_model().objects.count(),
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "posts": statuses[Post.Kind.POST],
        "pages": statuses[Post.Kind.PAGE],
        "comments": Comment.objects.count(),
    }, str(summary)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="wordpress-importer's phpunit/data folder")
    parser.add_argument("--summaries", action="store_true", help="print each import's summary too")
    options = parser.parse_args()
    files = sorted(options.folder.glob("*.xml"))
    if not files:
        sys.exit(f"no .xml files in {options.folder}")
    agreed = 0
    with tempfile.TemporaryDirectory() as scratch:
        setup_django(Path(scratch) / "bar.sqlite3")
        for path in files:
            expected = EXPECTED.get(path.name)
            if path.stat().st_size == 0:
                print(f"{path.name}: absent (an empty file: the checkout does not have it)")
                continue
            found, summary = what_came_in(path)
            if expected == REFUSED:
                ok = summary.startswith(REFUSED)
                shown = summary.splitlines()[0] if not found else "imported: " + str(found)
            elif expected is None:
                ok, shown = False, "no expectation written for this file: " + (summary if not found else str(found))
            else:
                ok = bool(found) and all(found.get(key) == value for key, value in expected.items())
                shown = summary if not found else ", ".join(f"{key} {found[key]}" for key in expected)
            agreed += ok
            print(f"{'ok  ' if ok else 'DIFF'} {path.name}: {shown}")
            if not ok and expected not in (None, REFUSED):
                print(f"     WordPress's tests expect: {expected}")
            if options.summaries and found:
                print("     " + summary.replace("\n", "\n     "))
    print(f"{agreed} of {len(files)} files as WordPress's tests expect.")


if __name__ == "__main__":
    main()
