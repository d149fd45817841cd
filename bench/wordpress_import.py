"""Comments imported per second, and peak memory, for a large WordPress export.

Usage: .venv/bin/python bench/wordpress_import.py [--posts 1000] [--comments-per-post 100]
   or: bin/with-postgres .venv/bin/python bench/wordpress_import.py   (against a throwaway PostgreSQL)

1. Writes a WXR file shaped like WordPress's exporter output (header, author, terms, then one
   item per post with its comments, a third of them replies up to four deep) into a temporary
   folder: 1,000 posts with 100 comments each, about 60 MB, by default.
2. Migrates a database: a throwaway SQLite file, or the one in DATABASE_URL if set (point it at a
   scratch database, never a real one).
3. Runs the `import_wordpress` command in a child process of its own (Django's start-up
   included) and measures its wall time and its peak resident memory (its ru_maxrss), then
   prints comments per second and peak MB.

The target (issue 11) is at least 2,000 comments/s and under 200 MB on a 2-core machine.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SENTENCES = [
    "I took this line to school in the nineties and still remember the rattle of the old units.",
    "Fourteen minutes to the county town is going to change a lot of people's week.",
    "Does anyone know whether bicycles will be allowed on board at peak times?",
    'The footbridge looks wonderful in green &amp; cream, see <a href="https://example.org/">this</a>.',
    "An hourly service is a good start, but the Sunday timetable looks thin.",
]
HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Bench</title>
	<link>http://bench.example</link>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>http://bench.example</wp:base_site_url>
	<wp:base_blog_url>http://bench.example</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ruth]]></wp:author_login>
		<wp:author_email><![CDATA[ruth@example.com]]></wp:author_email>
		<wp:author_display_name><![CDATA[Ruth Calder]]></wp:author_display_name></wp:author>
	<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[news]]></wp:category_nicename>
		<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[News]]></wp:cat_name></wp:category>
"""
ITEM = """	<item>
		<title><![CDATA[Post number {n}]]></title>
		<link>http://bench.example/{date:%Y/%m/%d}/post-{n}/</link>
		<dc:creator><![CDATA[ruth]]></dc:creator>
		<content:encoded><![CDATA[<!-- wp:paragraph -->
<p>{body}</p>
<!-- /wp:paragraph -->]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{n}</wp:post_id>
		<wp:post_date><![CDATA[{date:%Y-%m-%d %H:%M:%S}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{date:%Y-%m-%d %H:%M:%S}]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:ping_status><![CDATA[open]]></wp:ping_status>
		<wp:post_name><![CDATA[post-{n}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:is_sticky>0</wp:is_sticky>
		<category domain="category" nicename="news"><![CDATA[News]]></category>
{comments}	</item>
"""
COMMENT = """		<wp:comment>
			<wp:comment_id>{id}</wp:comment_id>
			<wp:comment_author><![CDATA[Reader {id}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[reader{id}@example.org]]></wp:comment_author_email>
			<wp:comment_author_url>https://reader{id}.example/</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[198.51.100.{ip}]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[{date:%Y-%m-%d %H:%M:%S}]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{date:%Y-%m-%d %H:%M:%S}]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[{text}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_type><![CDATA[comment]]></wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
"""


# The import in a process of its own, which prints its own peak resident memory (KB) when done.
IMPORT_AND_REPORT_MEMORY = """
import io, resource, sys, django
django.setup()
from django.core.management import call_command
call_command("import_wordpress", sys.argv[1], verbosity=0, stdout=io.StringIO())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_export(path: Path, posts: int, per_post: int) -> int:
    """A WordPress-shaped export of `posts` posts with `per_post` threaded comments each; returns the comment count."""
    from datetime import datetime, timedelta

    rng = random.Random(11)
    start, comment_id = datetime(2015, 1, 1, 9), 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(1, posts + 1):
            date = start + timedelta(days=n)
            depth, comments = {}, []
            for i in range(per_post):
                comment_id += 1
                open_ids = [c for c, d in depth.items() if d < 4]
                parent = rng.choice(open_ids) if i > 2 and open_ids and rng.random() < 0.35 else 0
                depth[comment_id] = depth[parent] + 1 if parent else 1
                text = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
                when = date + timedelta(minutes=7 * i)
                comments.append(
                    COMMENT.format(id=comment_id, ip=comment_id % 250 + 1, date=when, text=text, parent=parent)
                )
            out.write(ITEM.format(n=n, date=date, body=" ".join(SENTENCES), comments="".join(comments)))
        out.write("</channel>\n</rss>\n")
    return comment_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments-per-post", type=int, default=100)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wxr-bench-") as folder:
        folder = Path(folder)
        export = folder / "export.xml"
        comments = write_export(export, options.posts, options.comments_per_post)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "MEDIA_ROOT": str(folder / "media"),
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
        database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=BASE_DIR)
        began = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", IMPORT_AND_REPORT_MEMORY, str(export)],
            env=env, check=True, cwd=BASE_DIR, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        peak_mb = int(child.stdout.split()[-1]) / 1024
        size_mb = export.stat().st_size / 1e6
    print(f"{database}: {options.posts} posts, {comments} comments, file {size_mb:.0f} MB")
    print(f"  import took {seconds:.1f} s: {comments / seconds:,.0f} comments/s; peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
