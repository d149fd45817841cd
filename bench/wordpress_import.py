"""Comments imported per second, and peak memory, for a large export shaped like WordPress's own.

Usage: .venv/bin/python bench/wordpress_import.py [--posts 1000] [--comments-per-post 100] [--keep FILE]
   or: bin/with-postgres .venv/bin/python bench/wordpress_import.py   (against a throwaway PostgreSQL)

1. Writes a WXR file as WordPress 6.1's exporter writes a blog that ran Akismet for years (the
   layout, order and escaping of tests/data/wordpress/*.xml, which WordPress wrote): five authors;
   nested categories and tags, each written twice (wp:category/wp:tag, then wp:term) and a menu;
   posts in block markup and in the classic editor's (blank lines for wpautop, [caption],
   <!--more-->), with their custom fields; drafts, scheduled, private and pending posts, pages in a
   hierarchy, attachments with their metadata (not fetched), menu items and a post in the trash.
   Comments, by default 100,000 on 1,000 posts, few on most and thousands on some: approved,
   held and trashed (spam is never exported), pingbacks and trackbacks, some by the authors,
   threaded up to five deep, each carrying what Akismet writes (`wp:commentmeta`): its result,
   its history (a serialized PHP array an event, a moderator's approval among them) and, on the
   comments of the last 15 days only (Akismet deletes it after that), everything it was sent.
2. Migrates a database: a throwaway SQLite file, or the one in DATABASE_URL if set (point it at a
   scratch database, never a real one).
3. Runs the `import_wordpress` command in a child process of its own (Django's start-up included),
   measures its wall time and its peak resident memory (its ru_maxrss), checks that every comment
   came in, and prints comments per second and peak MB: the import's, plus that of the process that
   reads the file beside it (wordpress/reading.py), as if both peaked at once. That process is
   measured in a run of its own, started from a small one: a child's ru_maxrss includes the memory
   of its parent at the moment it was started (Linux keeps the high-water mark across exec), which
   would count the import's 75 MB as the reader's.

The target (issues 11 and 20) is at least 2,000 comments/s and under 200 MB on a 2-core machine.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
SITE = "https://rails.example"
ZERO_DATE = "0000-00-00 00:00:00"
LOCAL = timedelta(hours=1)  # the blog's time zone, as WordPress writes local dates beside GMT ones
AKISMET_KEEPS_DAYS = 15  # akismet_as_submitted is deleted by Akismet's daily clean-up after this

AUTHORS = [  # login, display name, first, last
    ("ruth", "Ruth Calder", "Ruth", "Calder"),
    ("misha", "Михаил Петров", "Михаил", "Петров"),
    ("jo", "jo", "", ""),
    ("editor", "The Editor", "", ""),
    ("guest-writer", "Amal Haddad", "Amal", "Haddad"),
]
CATEGORIES = [  # slug, name, parent slug
    ("uncategorized", "Uncategorized", ""),
    ("lines", "Lines &amp; routes", ""),
    ("reopened", "Reopened", "lines"),
    ("closed", "Closed", "lines"),
    ("heritage", "Heritage", "lines"),
    ("stations", "Stations", ""),
    ("footbridges", "Footbridges", "stations"),
    ("timetables", "Timetables", ""),
    ("sunday-services", "Sunday services", "timetables"),
    ("%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8", "Новости", ""),
    ("letters", "Letters", ""),
    ("campaigns", "Campaigns", "letters"),
]
TAG_WORDS = ["signal", "platform", "viaduct", "sleeper", "branch", "halt", "junction", "tram", "bus", "ferry",
             "bicycle", "fares", "accessibility", "steam", "diesel", "electrification", "freight", "night",
             "Sunday", "county", "council", "petition", "timetable", "museum", "tunnel"]  # fmt: skip
SENTENCES = [
    "I took this line to school in the nineties and still remember the rattle of the old units.",
    "Fourteen minutes to the county town is going to change a lot of people's week.",
    "Does anyone know whether bicycles will be allowed on board at peak times?",
    'The footbridge looks wonderful in green &amp; cream, see <a href="https://example.org/">this</a>.',
    "An hourly service is a good start, but the Sunday timetable looks thin.",
    "My grandmother worked the signal box here until 1968; she would have loved this.",
    "Use &lt;strong&gt; rather than &lt;b&gt; if you want the quote to stand out.",
    "Is the <em>last</em> train really at 22:40? That rules out the theatre.",
    "Brilliant news — and about time. «Enfin», as my neighbour says.",
    "Could the council not have kept the old station building? It had such a lovely canopy.",
    "<strong>Correction:</strong> the viaduct has 14 arches, not 12.",
    "Ich bin letzten Sommer mit dem Rad die alte Trasse entlang gefahren: sehr zu empfehlen.",
    "Ticket machines only take cards, which is hard on some of the older passengers.",
    "Does the new timetable connect with the 07:12 bus from the village?",
    "Wonderful photographs, thank you for taking the time to write this up.",
]
PARAGRAPHS = [
    "The first train in forty years left the old platform at 06:12 on Monday, three minutes late and full.",
    "Half the village came out to watch. Someone had found the stationmaster's bell in a barn & rang it.",
    "The line closed in 1964, when the branch was cut back to the junction; the trackbed became a path.",
    "Reopening cost less than the bypass that was meant to replace it, which says something.",
    "Trains run hourly from seven until ten, with a thinner service on Sundays and none on Christmas Day.",
    "The new footbridge keeps the old one's ironwork, shot-blasted and painted in the company's colours.",
    "What comes next is the harder part: keeping the service when the grant runs out in three years.",
]
PINGBACK_SITES = ["The Branch Line Review", "Rail Ale Trail", "County Transport Watch", "Bahnblog"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0",
]

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<!-- It contains information about your site's posts, pages, comments, categories, and other content. -->
<!-- You may use this file to transfer that content from one site to another. -->
<!-- This file is not intended to serve as a complete backup of your site. -->

<!-- To import this information into a WordPress site follow these steps: -->
<!-- 1. Log in to that site as an administrator. -->
<!-- 2. Go to Tools: Import in the WordPress admin panel. -->
<!-- 3. Install the "WordPress" importer from the list. -->
<!-- 4. Activate & Run Importer. -->
<!-- 5. Upload this file using the form provided on that page. -->
<!-- 6. You will first be asked to map the authors in this export file to users -->
<!--    on the site. For each author, you may choose to map to an -->
<!--    existing user on the site or to create a new user. -->
<!-- 7. WordPress will then import each of the posts, pages, comments, categories, etc. -->
<!--    contained in this file into your site. -->

	<!-- generator="WordPress/6.1.9" created="{exported:%Y-%m-%d %H:%M}" -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>

<channel>
	<title>Rails &#38; Rambles</title>
	<link>{site}</link>
	<description>Branch lines, reopened and remembered</description>
	<pubDate>{exported:%a, %d %b %Y %H:%M:%S} +0000</pubDate>
	<language>en-GB</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{site}</wp:base_site_url>
	<wp:base_blog_url>{site}</wp:base_blog_url>

"""
AUTHOR = (
    "\t<wp:author><wp:author_id>{id}</wp:author_id><wp:author_login>{login}</wp:author_login>"
    "<wp:author_email>{email}</wp:author_email><wp:author_display_name>{display}</wp:author_display_name>"
    "<wp:author_first_name>{first}</wp:author_first_name><wp:author_last_name>{last}</wp:author_last_name>"
    "</wp:author>\n"
)
CATEGORY = """		<wp:category>
		<wp:term_id>{id}</wp:term_id>
		<wp:category_nicename>{slug}</wp:category_nicename>
		<wp:category_parent>{parent}</wp:category_parent>
		<wp:cat_name>{name}</wp:cat_name>
	</wp:category>
"""
TAG = """		<wp:tag>
		<wp:term_id>{id}</wp:term_id>
		<wp:tag_slug>{slug}</wp:tag_slug>
		<wp:tag_name>{name}</wp:tag_name>
	</wp:tag>
"""
TERM = """		<wp:term>
		<wp:term_id>{id}</wp:term_id>
		<wp:term_taxonomy>{taxonomy}</wp:term_taxonomy>
		<wp:term_slug>{slug}</wp:term_slug>
		<wp:term_parent>{parent}</wp:term_parent>
		<wp:term_name>{name}</wp:term_name>
	</wp:term>
"""
ITEM = """					<item>
		<title>{title}</title>
		<link>{link}</link>
		<pubDate>{pub_date}</pubDate>
		<dc:creator>{creator}</dc:creator>
		<guid isPermaLink="false">{guid}</guid>
		<description></description>
		<content:encoded>{content}</content:encoded>
		<excerpt:encoded>{excerpt}</excerpt:encoded>
		<wp:post_id>{id}</wp:post_id>
		<wp:post_date>{date}</wp:post_date>
		<wp:post_date_gmt>{date_gmt}</wp:post_date_gmt>
		<wp:post_modified>{modified}</wp:post_modified>
		<wp:post_modified_gmt>{modified_gmt}</wp:post_modified_gmt>
		<wp:comment_status>{comment_status}</wp:comment_status>
		<wp:ping_status>{ping_status}</wp:ping_status>
		<wp:post_name>{slug}</wp:post_name>
		<wp:status>{status}</wp:status>
		<wp:post_parent>{parent}</wp:post_parent>
		<wp:menu_order>{menu_order}</wp:menu_order>
		<wp:post_type>{type}</wp:post_type>
		<wp:post_password>{password}</wp:post_password>
		<wp:is_sticky>{sticky}</wp:is_sticky>
{attachment_url}{terms}{meta}{comments}					</item>
"""
ITEM_TERM = '\t\t<category domain="{taxonomy}" nicename="{slug}">{name}</category>\n'
META = """		<wp:postmeta>
		<wp:meta_key>{key}</wp:meta_key>
		<wp:meta_value>{value}</wp:meta_value>
		</wp:postmeta>
"""
COMMENT = """		<wp:comment>
			<wp:comment_id>{id}</wp:comment_id>
			<wp:comment_author>{author}</wp:comment_author>
			<wp:comment_author_email>{email}</wp:comment_author_email>
			<wp:comment_author_url>{url}</wp:comment_author_url>
			<wp:comment_author_IP>{ip}</wp:comment_author_IP>
			<wp:comment_date>{date}</wp:comment_date>
			<wp:comment_date_gmt>{date_gmt}</wp:comment_date_gmt>
			<wp:comment_content>{content}</wp:comment_content>
			<wp:comment_approved>{approved}</wp:comment_approved>
			<wp:comment_type>{type}</wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>{user_id}</wp:comment_user_id>
{meta}		</wp:comment>
"""
COMMENT_META = """			<wp:commentmeta>
			<wp:meta_key>{key}</wp:meta_key>
			<wp:meta_value>{value}</wp:meta_value>
			</wp:commentmeta>
"""

# The import in a process of its own: it prints the comments stored and its own peak resident memory (KB).
IMPORT_AND_REPORT_MEMORY = """
import io, resource, sys, django
django.setup()
from django.core.management import call_command
from comments.models import Comment
call_command("import_wordpress", sys.argv[1], verbosity=0, stdout=io.StringIO())
print(Comment.objects.count(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


# The reading process alone (wordpress/reading.py), started from this small one: its peak resident memory (KB).
READ_AND_REPORT_MEMORY = """
import resource, subprocess, sys, tempfile
with tempfile.TemporaryFile() as spool:
    subprocess.run([sys.executable, "-m", "wordpress.reading", sys.argv[1], str(spool.fileno())],
                   pass_fds=[spool.fileno()], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def cdata(text: str) -> str:
    """What WordPress's wxr_cdata() writes: the text in CDATA, a "]]>" in it split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def php(value) -> str:
    """PHP's serialize(), for what WordPress and Akismet store: str (length in bytes), int, float, bool, dict."""
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        return f"d:{value!r};"
    if isinstance(value, dict):
        return f"a:{len(value)}:{{" + "".join(php(key) + php(item) for key, item in value.items()) + "}"
    return f's:{len(value.encode())}:"{value}";'


def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


@dataclass
class Post:
    id: int
    kind: str  # post or page
    status: str
    title: str
    slug: str
    author: int
    date: datetime
    classic: bool
    comments: list = field(default_factory=list)  # their dates, then (give_comment_ids) a dict each
    image: int = 0  # the attachment's id
    parent: int = 0


def comment_counts(rng: random.Random, posts: int, total: int) -> list[int]:
    """How many comments each post gets: few on most, thousands on some (a long tail), `total` in all."""
    weights = [min(rng.paretovariate(1.2), 300) for _ in range(posts)]
    counts = [int(weight * total / sum(weights)) for weight in weights]
    for index in rng.sample(range(posts), total - sum(counts)):
        counts[index] += 1
    return counts


def plan(rng: random.Random, posts: int, per_post: int) -> tuple[list[Post], datetime]:
    """The site: its posts and pages with their comments' dates, in WordPress id order; the export's date.

    The published posts carry the `posts * per_post` comments; the last post is scheduled, a few are
    drafts, private or pending.
    """
    start, ids, plans = datetime(2012, 3, 1, 9), iter(range(10, 10**9)), []
    statuses = [rng.choices(["publish", "draft", "private", "pending"], [96, 2, 1, 1])[0] for _ in range(posts - 1)]
    counts = iter(comment_counts(rng, statuses.count("publish"), posts * per_post))
    for number, status in enumerate([*statuses, "future"], 1):
        date = start + timedelta(days=number * 4, minutes=rng.randrange(600))
        title = f"{rng.choice(['Reopening', 'Walking', 'Remembering', 'Timetabling'])} the line, part {number}"
        slug = f"the-line-part-{number}"
        if number % 25 == 0:  # WordPress writes a non-ASCII slug percent-encoded
            title = f"Линия, часть {number}"
            slug = quote(f"линия-часть-{number}", safe="-").lower()
        post = Post(next(ids), "post", status, title, slug, rng.randrange(len(AUTHORS)) + 1, date,
                    classic=date.year < 2019 or rng.random() < 0.2)  # fmt: skip
        if status == "publish":
            post.comments = sorted(
                date + timedelta(minutes=rng.randrange(1, 60 * 24 * 400)) for _ in range(next(counts))
            )
        if rng.random() < 0.3:
            post.image = next(ids)
        plans.append(post)
        if number % 50 == 0:  # a page now and then, some under the one before
            parent = next((p.id for p in reversed(plans) if p.kind == "page"), 0) if rng.random() < 0.5 else 0
            plans.append(Post(next(ids), "page", "publish", f"About the line {number}", f"about-{number}", 1,
                              date, classic=True, parent=parent))  # fmt: skip
    last = max([p.date for p in plans] + [when for p in plans for when in p.comments])
    exported = last + timedelta(days=3)
    give_comment_ids(plans, exported)
    return plans, exported


def give_comment_ids(plans: list[Post], exported: datetime) -> None:
    """Comment ids in the order they were written across the site (WordPress's), replies after their parents."""
    everything = sorted((when, index, n) for index, post in enumerate(plans) for n, when in enumerate(post.comments))
    ids = {(index, n): comment_id for comment_id, (_, index, n) in enumerate(everything, 1)}
    for index, post in enumerate(plans):
        post.comments = [
            {"id": ids[index, n], "date": when, "recent": (exported - when).days < AKISMET_KEEPS_DAYS}
            for n, when in enumerate(post.comments)
        ]


def body(rng: random.Random, post: Post) -> str:
    paragraphs = rng.sample(PARAGRAPHS, rng.randint(3, 6))
    image = f"{SITE}/wp-content/uploads/{post.date:%Y/%m}/line-{post.id}.jpg"
    if post.classic:  # the classic editor: blank lines (wpautop makes the paragraphs), a caption, a more tag
        parts = [*paragraphs[:2], "<!--more-->", *paragraphs[2:]]
        if post.image:
            parts.insert(1, f'[caption id="attachment_{post.image}" align="aligncenter" width="300"]<img class='
                            f'"size-medium wp-image-{post.image}" src="{image[:-4]}-300x200.jpg" alt="The line" '
                            f'width="300" height="200" /> The line, reopened[/caption]')  # fmt: skip
        return "\n\n".join(parts)
    blocks = [f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->" for text in paragraphs]
    blocks.insert(1, "<!-- wp:more -->\n<!--more-->\n<!-- /wp:more -->")
    if post.image:
        blocks.insert(2, f'<!-- wp:image {{"id":{post.image},"sizeSlug":"large"}} -->\n<figure class="wp-block-image '
                         f'size-large"><img src="{image}" alt="" class="wp-image-{post.image}"/></figure>\n'
                         "<!-- /wp:image -->")  # fmt: skip
    blocks.insert(3, '<!-- wp:heading -->\n<h2 class="wp-block-heading">What next</h2>\n<!-- /wp:heading -->')
    return "\n\n".join(blocks)


def akismet_meta(rng: random.Random, comment: dict, approved: str, kind: str, user: str, moment: float) -> list:
    """What Akismet stores on a comment it checked: its result, its history (a row an event), what it was sent."""
    meta = [("akismet_result", "false"), ("akismet_history", php({"time": moment, "event": "check-ham"}))]
    if approved == "1" and rng.random() < 0.15:  # held for a first comment, then approved by hand
        meta.append(("akismet_history", php({"time": moment + 3600.25, "event": "status-approved", "user": "ruth"})))
    elif approved == "trash":
        meta.append(("akismet_history", php({"time": moment + 600.5, "event": "status-trash", "user": "ruth"})))
        meta += [("_wp_trash_meta_status", "0"), ("_wp_trash_meta_time", str(int(moment) + 600))]
    if comment["recent"]:
        sent = {
            "comment_author": comment["author"], "comment_author_email": comment["email"],
            "comment_author_url": comment["url"], "comment_content": comment["content"], "comment_type": kind,
            "user_ip": comment["ip"], "user_agent": rng.choice(USER_AGENTS), "user_ID": user, "user_id": user,
            "blog": SITE, "blog_lang": "en_GB", "blog_charset": "UTF-8",
            "permalink": f"{SITE}/{comment['post_date']:%Y/%m/%d}/{comment['post_slug']}/",
        }  # fmt: skip
        meta.append(("akismet_as_submitted", php(sent)))
    return meta


def comments_of(rng: random.Random, post: Post, authors_since: datetime) -> str:
    written, depth = [], {}
    for comment in post.comments:
        kind = rng.choices(["comment", "pingback", "trackback"], [96, 3, 1])[0]
        approved = rng.choices(["1", "0", "trash"], [93, 4, 3])[0] if kind == "comment" else "1"
        by_author = kind == "comment" and rng.random() < 0.04
        parent = 0  # a reply, to an approved comment, at most five deep (WordPress's default)
        if kind == "comment" and depth and rng.random() < 0.35:
            parent = rng.choice([c for c, d in depth.items() if d < 5] or [0])
        if approved == "1" and kind == "comment":
            depth[comment["id"]] = depth.get(parent, 0) + 1
        n = comment["id"]
        if kind == "comment" and by_author:
            login, display, *_ = AUTHORS[post.author - 1]
            author, email, url, user = display, f"{login}@rails.example", "", str(post.author)
        elif kind == "comment":
            author, email, url, user = f"Reader {n % 5000}", f"reader{n % 5000}@example.org", "", "0"
            url = f"https://reader{n % 5000}.example/" if n % 3 == 0 else ""
        else:
            author, email, user = rng.choice(PINGBACK_SITES), "", "0"
            url = f"https://blog{n % 40}.example/{comment['date']:%Y/%m}/links-{n}/"
        text = "\n\n".join(" ".join(rng.sample(SENTENCES, rng.randint(1, 3))) for _ in range(rng.randint(1, 3)))
        if kind == "pingback":
            text = f"[&#8230;] {SENTENCES[n % 5]} [&#8230;]"
        ip = f"198.51.{n % 200}.{n % 250 + 1}" if n % 7 else f"2001:db8::{n % 9999:x}"
        comment.update(author=author, email=email, url=url, content=text, ip=ip, post_date=post.date,
                       post_slug=post.slug)  # fmt: skip
        meta = []
        if comment["date"] >= authors_since:  # Akismet was installed part-way through the blog's life
            meta = akismet_meta(rng, comment, approved, kind, user, comment["date"].timestamp() + 0.123456)
        written.append(COMMENT.format(
            id=n, author=cdata(author), email=cdata(email), url=url, ip=cdata(ip),
            date=cdata(stamp(comment["date"] + LOCAL)), date_gmt=cdata(stamp(comment["date"])), content=cdata(text),
            approved=cdata(approved), type=cdata(kind), parent=parent, user_id=user,
            meta="".join(COMMENT_META.format(key=cdata(key), value=cdata(value)) for key, value in meta),
        ))  # fmt: skip
    return "".join(written)


def item(post: Post, *, content: str, comments: str, terms: list, meta: list, **fields) -> str:
    draft = post.status == "draft"
    link = f"{SITE}/?p={post.id}" if draft else f"{SITE}/{post.date:%Y/%m/%d}/{post.slug}/"
    values = {
        "title": cdata(post.title), "link": link, "pub_date": f"{post.date:%a, %d %b %Y %H:%M:%S} +0000",
        "creator": cdata(AUTHORS[post.author - 1][0]), "guid": f"{SITE}/?p={post.id}", "content": cdata(content),
        "excerpt": cdata(""), "id": post.id, "date": cdata(stamp(post.date + LOCAL)),
        "date_gmt": cdata(ZERO_DATE if draft else stamp(post.date)), "modified": cdata(stamp(post.date + LOCAL)),
        "modified_gmt": cdata(stamp(post.date)), "comment_status": cdata("open"), "ping_status": cdata("open"),
        "slug": cdata("" if draft else post.slug), "status": cdata(post.status), "parent": post.parent,
        "menu_order": 0, "type": cdata(post.kind), "password": cdata(""), "sticky": 0, "attachment_url": "",
        "terms": "".join(ITEM_TERM.format(taxonomy=t, slug=s, name=cdata(n)) for t, s, n in terms),
        "meta": "".join(META.format(key=cdata(key), value=cdata(value)) for key, value in meta),
        "comments": comments, **fields,
    }  # fmt: skip
    return ITEM.format(**values)


def attachment(post: Post) -> str:
    name = f"{post.date:%Y/%m}/line-{post.id}"
    sizes = {
        size: {"file": f"line-{post.id}-{w}x{h}.jpg", "width": w, "height": h, "mime-type": "image/jpeg",
               "filesize": w * h // 9}
        for size, w, h in [("medium", 300, 200), ("large", 1024, 683), ("thumbnail", 150, 150),
                           ("medium_large", 768, 512), ("post-thumbnail", 1200, 800)]
    }  # fmt: skip
    image_meta = {"aperture": "0", "credit": "", "camera": "", "caption": "", "created_timestamp": "0",
                  "copyright": "", "focal_length": "0", "iso": "0", "shutter_speed": "0", "title": "",
                  "orientation": "0", "keywords": {}}  # fmt: skip
    metadata = {"width": 1600, "height": 1067, "file": f"{name}.jpg", "filesize": 389120, "sizes": sizes,
                "image_meta": image_meta}  # fmt: skip
    picture = Post(post.image, "attachment", "inherit", f"line-{post.id}", f"line-{post.id}", post.author,
                   post.date, classic=False, parent=post.id)  # fmt: skip
    return item(
        picture, content="", comments="", terms=[],
        meta=[("_wp_attached_file", f"{name}.jpg"), ("_wp_attachment_metadata", php(metadata)),
              ("_wp_attachment_image_alt", "The line")],
        link=f"{SITE}/{post.date:%Y/%m/%d}/{post.slug}/line-{post.id}/", guid=f"{SITE}/wp-content/uploads/{name}.jpg",
        attachment_url=f"\t\t<wp:attachment_url>{cdata(f'{SITE}/wp-content/uploads/{name}.jpg')}</wp:attachment_url>\n",
        comment_status=cdata("open"), ping_status=cdata("closed"), type=cdata("attachment"),
    )  # fmt: skip


def write_export(path: Path, posts: int, per_post: int) -> int:
    """A WordPress-shaped export of `posts` posts with `posts * per_post` comments in all; returns the comment count."""
    rng = random.Random(20)
    plans, exported = plan(rng, posts, per_post)
    authors_since = plans[len(plans) // 8].date  # the comments before have no Akismet meta
    tags = [(f"{word.lower()}-{n}" if n else word.lower(), f"{word} {n}" if n else word)
            for n in range(8) for word in TAG_WORDS]  # fmt: skip
    comments = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER.format(site=SITE, exported=exported))
        for number, (login, display, first, last) in enumerate(AUTHORS, 1):
            out.write(AUTHOR.format(id=number, login=cdata(login), email=cdata(f"{login}@rails.example"),
                                    display=cdata(display), first=cdata(first), last=cdata(last)))  # fmt: skip
        out.write("\n")
        term_ids = {("category", slug): n for n, (slug, _, _) in enumerate(CATEGORIES, 1)}
        term_ids |= {("post_tag", slug): n for n, (slug, _) in enumerate(tags, len(CATEGORIES) + 1)}
        for slug, name, parent in CATEGORIES:
            out.write(CATEGORY.format(id=term_ids["category", slug], slug=cdata(slug), parent=cdata(parent),
                                      name=cdata(name)))  # fmt: skip
        for slug, name in tags:
            out.write(TAG.format(id=term_ids["post_tag", slug], slug=cdata(slug), name=cdata(name)))
        for slug, name, parent in CATEGORIES:  # WordPress 6.1 writes every term a second time
            out.write(TERM.format(id=term_ids["category", slug], taxonomy=cdata("category"), slug=cdata(slug),
                                  parent=cdata(parent), name=cdata(name)))  # fmt: skip
        for slug, name in tags:
            out.write(TERM.format(id=term_ids["post_tag", slug], taxonomy=cdata("post_tag"), slug=cdata(slug),
                                  parent=cdata(""), name=cdata(name)))  # fmt: skip
        out.write(TERM.format(id=999, taxonomy=cdata("nav_menu"), slug=cdata("main"), parent=cdata(""),
                              name=cdata("Main")))  # fmt: skip
        for post in plans:
            comments += len(post.comments)
            terms, meta = [], [("_edit_last", str(post.author))]
            if post.kind == "page":
                meta.append(("_wp_page_template", "default"))
            else:
                for slug, name, _ in rng.sample(CATEGORIES[1:], rng.randint(1, 2)):
                    terms.append(("category", slug, name))
                for slug, name in rng.sample(tags, rng.randint(0, 5)):
                    terms.append(("post_tag", slug, name))
                rng.shuffle(terms)
                meta += [("_pingme", "1"), ("_encloseme", "1")] if post.status == "publish" else []
                if post.image:
                    meta.append(("_thumbnail_id", str(post.image)))
                if rng.random() < 0.05:
                    meta.append(("_wp_old_slug", f"{post.slug}-draft"))
                if rng.random() < 0.1:
                    meta.append(("distance_km", str(rng.randint(3, 60))))
            discussion = cdata("closed" if post.kind == "page" else "open")
            out.write(item(post, content=body(rng, post), comments=comments_of(rng, post, authors_since), terms=terms,
                           meta=meta, sticky=int(post.id == plans[0].id), comment_status=discussion))  # fmt: skip
            if post.image:
                out.write(attachment(post))
        trashed = Post(plans[-1].id + 10**6, "post", "trash", "Deleted draft", "deleted-draft__trashed", 1, exported,
                       classic=True)  # fmt: skip
        out.write(item(trashed, content="Gone.", comments="", terms=[], meta=[("_wp_trash_meta_status", "draft")]))
        menu = Post(trashed.id + 1, "nav_menu_item", "publish", "", "home", 1, exported, classic=True)
        out.write(item(menu, content="", comments="", terms=[("nav_menu", "main", "Main")],
                       meta=[("_menu_item_type", "custom"), ("_menu_item_url", SITE)]))  # fmt: skip
        out.write("\t</channel>\n</rss>\n")
    return comments


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments-per-post", type=int, default=100, help="on average")
    parser.add_argument("--keep", type=Path, help="also save the generated export here")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wxr-bench-") as folder:
        folder = Path(folder)
        export = folder / "export.xml"
        comments = write_export(export, options.posts, options.comments_per_post)
        if options.keep:
            options.keep.write_bytes(export.read_bytes())
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
        stored, import_kb = map(int, child.stdout.split()[-2:])
        reading = subprocess.run(
            [sys.executable, "-c", READ_AND_REPORT_MEMORY, str(export)],
            env=env, check=True, cwd=BASE_DIR, capture_output=True, text=True,
        )  # fmt: skip
        reader_kb = int(reading.stdout.split()[-1])
        size_mb = export.stat().st_size / 1e6
    print(f"{database}: {options.posts} posts, {comments} comments, file {size_mb:.0f} MB")
    print(
        f"  import took {seconds:.1f} s: {comments / seconds:,.0f} comments/s; peak memory "
        f"{(import_kb + reader_kb) / 1024:.0f} MB (the import {import_kb / 1024:.0f}, "
        f"its reading {reader_kb / 1024:.0f})"
    )
    if stored != comments:
        sys.exit(f"  but {stored} comments are stored, not {comments}")


if __name__ == "__main__":
    main()
