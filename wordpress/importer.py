"""Bringing a WordPress site in from its export (WXR): `import_wxr(path)`, in four stages.

1. Read the whole file once (wxr.read_wxr, streaming), keeping only the small things:
   the site, authors, terms, attachments and counts. A file that is not XML, not WXR,
   truncated or malformed stops here, before anything is written.
2. Fetch the attachments (when asked), each once; see media.py. This is network only and
   runs outside any transaction: a slow old site holds no database lock (on SQLite, a transaction holds
   the whole database's write lock, and every comment post and login would wait on it).
3. Record the site, the files and the categories and tags, in one short transaction.
4. Read the file again and import item by item, each post or page with its comments (and the
   accounts of their authors, the first time one is needed), a few hundred comments to a transaction.
   What WordPress gave for each post (its blocks, `<!--more-->`, custom fields) is kept beside it, for
   the export. On a large file this reading runs beside the import from its start (reading.py).

Progress is reported between transactions, so a watcher (the admin's page) sees each stage as it
happens. A dry run writes nothing at all and opens no transaction: it says what would happen.

Before anything is written the import takes its site's lock (locks.py, named by the header's
address), so that two imports of one site never run at once: a second one, from the command or the
admin, gets locks.SiteBusy, which names the first. A dry run takes no lock.

Every object is recorded against (site, WordPress id) in `Imported` (comments carry their id
themselves), so importing the same file again adds nothing, a newer export of the same site
adds only what is new, and an import that was stopped half-way is finished by running it again.
What is already on the site is never overwritten: an address or slug that is taken gets a new
one (its old address then redirects), an existing category of the same name is used as it is.
This site's own export coming back (`wxr_chunks` writes its ids and addresses) is recognised:
its posts, pages, comments and terms are already here, and nothing of them is imported twice.

Authors are never put on an existing account unless the importer asks for it (`match_authors`):
a file's author `admin` is not this site's `admin`. Otherwise each author gets an account of
their own (its username made free: `admin-2`), never staff, never with a usable password, and
the summary lists where each author went.

Comments go in as WordPress had them - their text (HTML, shown as WordPress shows it), status,
threading, dates, authors - through `Comment.build` and a history row saying where they came
from: no spam check, no email, no flood or duplicate rule. Their ids here are taken above their
WordPress ids, so that a comment's old `#comment-N` anchor, rendered beside its new one, is never
another comment's.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify

from blog.models import Category, Post, Tag
from blog.slugs import servable_slug, shown_slug
from comments.models import Actor, Comment, CommentEvent, Reason, Status, comments_changed, give_email_keys

from . import content, locks, media, reading, wxr
from .models import Imported, OldAddress, PostSource, Site, digest

Progress = Callable[[str, int, int], None]

POST_STATUSES = {
    "publish": Post.Status.PUBLISHED,
    "future": Post.Status.PUBLISHED,  # with its date ahead: scheduled stays scheduled
    "draft": Post.Status.DRAFT,
    "auto-draft": Post.Status.DRAFT,
    "pending": Post.Status.PENDING,
    "private": Post.Status.PRIVATE,
}
COMMENT_STATUSES = {
    "1": Status.APPROVED,
    "approve": Status.APPROVED,
    "0": Status.PENDING,
    "hold": Status.PENDING,
    "trash": Status.TRASH,
    "post-trashed": Status.TRASH,
    "spam": Status.SPAM,
}
COMMENT_KINDS = {kind.value: kind for kind in Comment.Kind}
# Custom fields WordPress writes for itself, which the import reads or which mean nothing here (and its cache of
# embeds, `_oembed_<hash>` and `_oembed_time_<hash>`). Any other goes out again in an export (models.PostSource).
KNOWN_META = {
    "_thumbnail_id", "_wp_old_slug", "_wp_old_date", "_wp_page_template", "_edit_last", "_edit_lock",
    "_pingme", "_encloseme", "_wp_attached_file", "_wp_attachment_metadata", "_wp_attachment_image_alt",
    "_wp_desired_post_slug", "_wp_trash_meta_status", "_wp_trash_meta_time",
}  # fmt: skip
ZERO_DATE = "0000-00-00 00:00:00"
DATE = "%Y-%m-%d %H:%M:%S"
# A date as WordPress writes one (all ASCII digits, hours below 24): read by datetime.fromisoformat.
WORDPRESS_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?:[01][0-9]|2[0-3]):[0-9]{2}:[0-9]{2}")
NOT_FETCHED = "Attachments not fetched (posts still point at the old site)"
RENAMED = "Renamed (the old address redirects)"
RENAMED_IN_PLACE = "Renamed (the old address still shows what was here before: it cannot redirect)"
PROTECTED = "Password-protected (shown only to readers who give the password, as on WordPress)"
SLUG_LENGTH = Post._meta.get_field("slug").max_length
# What the summary counts, in the order it says them.
THINGS = ["authors", "categories", "tags", "attachments", "pages", "posts", "comments", "pingbacks", "trackbacks"]
NOT_A_USERNAME = re.compile(r"[^\w.@+-]+")  # what Django's username validator refuses (spaces, <, controls...)


def counted(counter: Counter) -> str:
    """ "1 authors, 2 categories, 3 posts": the counts in THINGS order, then any other."""
    order = {thing: place for place, thing in enumerate(THINGS)}
    things = sorted((+counter).items(), key=lambda pair: order.get(pair[0], len(order)))
    return ", ".join(f"{count} {what}" for what, count in things)


@dataclass
class Summary:
    """What an import did, for the command's output and the admin's page."""

    site: str = ""
    dry_run: bool = False
    created: Counter = field(default_factory=Counter)
    already_there: Counter = field(default_factory=Counter)
    here: Counter = field(default_factory=Counter)  # this site's own, coming back in its own export
    here_because: str = ""
    authors: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, heading: str, line: str) -> None:
        self.notes[heading].append(line)

    def lines(self) -> list[str]:
        verb = "Would import" if self.dry_run else "Imported"
        lines = [f"{verb} from {self.site}: {counted(self.created) or 'nothing new'}."]
        posts = self.here["posts"] + self.here["pages"]
        if posts:
            lines.append(f"{posts} posts are already here ({self.here_because}): nothing of them is imported twice.")
        if +self.here:
            lines.append(f"Already here, left as they are: {counted(self.here)}.")
        if +self.already_there:
            lines.append(f"Already imported before, left as they are: {counted(self.already_there)}.")
        if self.authors:
            lines.append("Authors (their login in the file → the account here):")
            lines.extend(f"  - {line}" for line in self.authors)
        for heading, notes in self.notes.items():
            lines.append(f"{heading}:")
            lines.extend(f"  - {note}" for note in notes)
        return lines

    def __str__(self):
        return "\n".join(self.lines())


@dataclass
class Contents:
    """What the first reading keeps: everything but the items' text and comments."""

    site: wxr.Site | None = None
    authors: list[wxr.Author] = field(default_factory=list)
    terms: dict[tuple[str, str], wxr.Term] = field(default_factory=dict)
    attachments: dict[int, wxr.Item] = field(default_factory=dict)
    named_only: set[tuple[str, str]] = field(default_factory=set)  # terms posts name that the file does not define
    items: int = 0
    comments: int = 0


def read_contents(path, progress: Progress) -> Contents:
    """Read the whole file, checking it, and keep what the import needs before the items."""
    found = Contents()
    for record in wxr.read_wxr(path, comments=False):
        if isinstance(record, wxr.Site):
            found.site = record
        elif isinstance(record, wxr.Author):
            found.authors.append(record)
        elif isinstance(record, wxr.Term):
            found.terms.setdefault((record.taxonomy, record.slug), record)  # WordPress 6.1 writes each twice
        elif record.type == "attachment":
            found.attachments[record.id] = record
        else:
            if record.type == "post" and record.status != "trash":
                add_named_terms(found, record)
            found.items += 1
            found.comments += record.comment_count
            if found.items % 100 == 0:
                progress("Reading the file", found.items, 0)
    return found


def add_named_terms(found: Contents, item: wxr.Item) -> None:
    """Keep the terms a post names that the file's header does not define (often WordPress's own "Uncategorized"):
    WordPress creates them as it imports the post, and so does this import."""
    for key, name in item.term_names.items():
        if key not in found.terms:
            taxonomy, slug = key
            found.terms[key] = wxr.Term(taxonomy, 0, slug, name, parent_slug="", description="")
            found.named_only.add(key)


def import_wxr(
    path,
    *,
    fetch_attachments=False,
    match_authors=False,
    dry_run=False,
    progress: Progress | None = None,
    holder: str = "an import",
    owner: str = "",
) -> Summary:
    """Import the WordPress export at `path` (a path or a reopenable file name); wxr.WXRError if it is unreadable.

    `match_authors`: put an author's posts on the existing account of the same username, if there is one.
    `dry_run`: store nothing (and hold no lock), say what would happen.
    `holder`, `owner`: who imports, for the site's lock (locks.py); locks.SiteBusy if another import of the
    site runs. An empty `owner` is a new one.
    """
    progress = progress or (lambda stage, done, total: None)
    if dry_run:
        return import_contents(path, progress, fetch_attachments=False, match_authors=match_authors, dry_run=True)
    with locks.held(site_of(path).url, holder=holder, owner=owner or uuid.uuid4().hex):
        return import_contents(path, progress, fetch_attachments=fetch_attachments, match_authors=match_authors)


def site_of(path) -> wxr.Site:
    """The site the file is an export of, from its header (the rest of the file is not read)."""
    records = wxr.read_wxr(path, comments=False)
    try:
        return next(records)
    finally:
        records.close()


def import_contents(path, progress: Progress, *, fetch_attachments, match_authors, dry_run=False) -> Summary:
    with reading.items_beside(path) as items:  # read from now on, beside the first reading, if the file is large
        contents = read_contents(path, progress)
        summary = Summary(site=contents.site.url, dry_run=dry_run)
        run = Import(contents, summary, progress, match_authors=match_authors, dry_run=dry_run)
        run.find_files(fetch=fetch_attachments)
        progress("Importing categories and tags", 0, len(contents.terms))
        with run.transaction():
            run.prepare()
        run.import_items(items)
    run.report_authors()
    return summary


class Import:
    """One import's state: the maps from WordPress ids to what they became here."""

    def __init__(self, contents: Contents, summary: Summary, progress: Progress, *, match_authors=False, dry_run=False):
        self.contents, self.summary, self.progress = contents, summary, progress
        self.match_authors, self.storing = match_authors, not dry_run
        site_url = contents.site.url
        self.site = Site.objects.filter(url=site_url).first() or Site(url=site_url, title=contents.site.title)
        self.seen_before = self.site.pk is not None
        for heading, lines in contents.site.notes.items():  # what the reader repaired or left out
            summary.notes[heading].extend(lines)
        # This site's own export (exporter.py writes SITE_URL as the file's site): its ids are this site's ids.
        self.own_site = site_url == settings.SITE_URL.rstrip("/")
        self.own_host = urlsplit(settings.SITE_URL).netloc
        summary.here_because = (
            "this is this site's own export" if self.own_site else "their ids and links are this site's"
        )
        self.authors = {author.login: author for author in contents.authors}
        self.authors_by_id = {author.id: author for author in contents.authors if author.id}
        self.users_by_login = {}  # login in the file -> the account here, once one was needed
        self.author_lines = {}  # login -> where the author went, for the summary
        self.usernames_given = set()  # casefolded usernames this run made (a dry run saves none of them)
        self.categories, self.tags = {}, {}
        self.files = {}  # attachment id -> storage name of its copy
        self.new_files = {}  # attachment id -> storage name, fetched or found by this run: recorded in prepare()
        self.local_urls = {}  # old upload URL -> local URL
        self.posts = {}  # WordPress post id -> Post, for pages' parents
        self.posts_here = set()  # WordPress ids of items that are this site's own posts (its own export)
        self.sourced = set()  # ids of the posts here whose WordPress source is kept (PostSource)
        self.slugs_given = defaultdict(set)  # (kind, the parent's id()) -> slugs this run gave (a dry run saves none)

    def transaction(self):
        """A transaction when storing; a dry run writes nothing, so it opens none (and holds no lock)."""
        return transaction.atomic() if self.storing else nullcontext()

    def known(self, kind: Imported.Kind) -> dict[int, int]:
        return Imported.objects.object_ids(self.site, kind) if self.site.pk else {}

    # Stage 2: the files, outside any transaction.

    def find_files(self, *, fetch: bool) -> None:
        """Find each attachment's local copy: made by an earlier import, on this site already, or fetched now.

        Nothing is written to the database here (prepare() records what was found): a fetch may take minutes.
        """
        known = {}
        if self.site.pk:
            files = Imported.objects.filter(site=self.site, kind=Imported.Kind.ATTACHMENT).exclude(file="")
            known = dict(files.values_list("wordpress_id", "file"))
        attachments, not_fetched = self.contents.attachments, 0
        with media.http_client() as client:
            for number, attachment in enumerate(attachments.values(), 1):
                url = attachment.attachment_url
                name = known.get(attachment.id)
                if name:
                    self.summary.already_there["attachments"] += 1
                elif name := media.already_here(url):
                    self.summary.here["attachments"] += 1
                elif fetch and url:
                    self.progress("Fetching attachments", number, len(attachments))
                    fetched = media.fetch(url, self.site.url, client)
                    name = fetched.name
                    if fetched.problem:
                        self.summary.note(NOT_FETCHED, f"{url}: {fetched.problem}")
                    else:
                        self.summary.created["attachments"] += 1
                        self.new_files[attachment.id] = name
                not_fetched += not name
                if name:
                    self.files[attachment.id] = name
                    self.local_urls[url] = default_storage.url(name)
        if not_fetched and not fetch:
            self.summary.note(NOT_FETCHED, f"{not_fetched} file(s): fetching was not asked for")

    # Stage 3: the site, its files and terms, in one short transaction.

    def prepare(self) -> None:
        if self.storing:
            site_info = self.contents.site
            self.site, _ = Site.objects.update_or_create(url=site_info.url, defaults={"title": site_info.title})
        for attachment_id, name in self.new_files.items():
            self.record(Imported.Kind.ATTACHMENT, attachment_id, None, file=name)
        self.import_terms()

    # Authors: an account the first time one of theirs is imported.

    def account(self, login: str):
        """The account of the author with this login in the file: found, or made, the first time it is needed."""
        if login in self.users_by_login:
            return self.users_by_login[login]
        users = get_user_model().objects
        author = self.authors.get(login) or wxr.Author(0, login or "wordpress", "", "", "", "")
        known = self.known(Imported.Kind.AUTHOR).get(author.id) if author.id else None
        user = users.filter(pk=known).first() if known else None
        same_name = users.filter(**{users.model.USERNAME_FIELD: author.login}).first() if self.match_authors else None
        if user is not None:
            self.summary.already_there["authors"] += 1
            why = "imported before"
        elif same_name is not None:
            user, why = same_name, "this site's account of that username, as asked"
        else:
            user = self.new_user(author)
            self.summary.created["authors"] += 1
            wanted = username_for(author.login)
            why = "a new account"
            if wanted != author.login:
                why += f"; a username cannot be {author.login!r}"
            if user.get_username() != wanted:
                why += f"; {wanted!r} is taken here"
        if author.id and user.pk != known:
            self.record(Imported.Kind.AUTHOR, author.id, user.pk)
        self.users_by_login[login] = user
        self.author_lines[login] = f"{author.login} → {user.get_username()} ({why})"
        return user

    def account_of_user_id(self, user_id: int):
        """The account of a comment's wp:comment_user_id, when that user is one of the file's authors."""
        author = self.authors_by_id.get(user_id)
        return self.account(author.login) if author else None

    def new_user(self, author: wxr.Author):
        """An account for an author: never staff, without a usable password (nobody logs in with it until given one)."""
        first, last = content.plain_text(author.first_name), content.plain_text(author.last_name)
        display = content.plain_text(author.display_name)
        if not (first or last) and display and display != author.login:
            first = display  # the display name is what readers saw; keep it as the name
        user = get_user_model()(
            username=self.free_username(author.login), email=author.email[:254], first_name=first[:150],
            last_name=last[:150], is_staff=False, is_superuser=False,
        )  # fmt: skip
        user.set_unusable_password()
        if self.storing:
            user.save()
        return user

    def free_username(self, login: str) -> str:
        """The login as a username (username_for), made free here: "admin" is "admin-2" if an account is "admin"
        or "Admin"."""
        users = get_user_model().objects
        wanted = candidate = username_for(login)
        number = 1
        while (
            candidate.casefold() in self.usernames_given
            or users.filter(**{f"{users.model.USERNAME_FIELD}__iexact": candidate}).exists()
        ):
            number += 1
            candidate = f"{wanted}-{number}"
        self.usernames_given.add(candidate.casefold())
        return candidate

    def report_authors(self) -> None:
        """Where each author went, in the file's order; an author none of whose posts came in now got no account."""
        known = self.known(Imported.Kind.AUTHOR)
        usernames = dict(get_user_model().objects.filter(pk__in=known.values()).values_list("pk", "username"))
        for author in self.contents.authors:
            line = self.author_lines.pop(author.login, None)
            if line is None and known.get(author.id) in usernames:
                line = f"{author.login} → {usernames[known[author.id]]} (imported before)"
            self.summary.authors.append(line or f"{author.login}: no account needed (nothing of theirs came in)")
        self.summary.authors.extend(self.author_lines.values())  # creators the file does not list as authors

    # Categories and tags.

    def import_terms(self) -> None:
        """The file's categories and tags, and those its posts name without it defining them, each made here unless
        a category or tag of its slug is here already. A term without an id (WXR 1.0 gives none) is found by slug
        only: on a site imported before, the one of its slug is taken for it."""
        known = {
            "category": self.known(Imported.Kind.CATEGORY),
            "post_tag": self.known(Imported.Kind.TAG),
        }
        others = Counter()
        for term in self.terms_parents_first():
            if term.taxonomy not in known:
                others[term.taxonomy] += 1
                continue
            slug = servable_slug(term.slug)[:100]  # its address's last part (blog/slugs.py)
            if not slug:
                self.summary.note("Skipped", f"a {term.taxonomy} named {term.name!r} with no slug")
                continue
            model = Category if term.taxonomy == "category" else Tag
            kind = Imported.Kind.CATEGORY if model is Category else Imported.Kind.TAG
            noun = "categories" if model is Category else "tags"
            found = model.objects.filter(slug=slug).first()
            if found is not None and (term.id in known[term.taxonomy] if term.id else self.seen_before):
                self.summary.already_there[noun] += 1
            elif found is not None and self.own_site and found.pk == term.id:
                self.summary.here[noun] += 1
            elif found is not None:
                self.summary.note("Filed under existing categories and tags", f"{found.name} ({term.slug})")
                if term.id:
                    self.record(kind, term.id, found.pk)
            else:
                found = model(name=content.plain_text(term.name)[:100] or slug, slug=slug)
                if model is Category:
                    found.description = term.description
                    found.parent = self.categories.get(term.parent_slug)
                if self.storing:
                    found.save()
                self.summary.created[noun] += 1
                if term.id:
                    self.record(kind, term.id, found.pk)
                if (term.taxonomy, term.slug) in self.contents.named_only:
                    self.summary.note(
                        "Named by posts but not defined in the file (created, as WordPress does)",
                        f"{found.name} ({term.taxonomy} {term.slug})",
                    )
                if term.meta:
                    keys = ", ".join(sorted({key for key, _ in term.meta}))
                    self.summary.note("Term fields with no home here (not imported)", f"{found.name}: {keys}")
            (self.categories if model is Category else self.tags)[term.slug] = found
        for taxonomy, count in others.items():
            self.summary.note("No home here (not imported)", f"{count} term(s) of the taxonomy {taxonomy!r}")

    def terms_parents_first(self) -> list[wxr.Term]:
        """Terms ordered so that every category comes after its parent (WordPress does not promise it)."""
        terms, placed, ordered = self.contents.terms, set(), []

        def place(term, seen=()):
            key = (term.taxonomy, term.slug)
            if key in placed or key in seen:
                return
            parent = terms.get((term.taxonomy, term.parent_slug)) if term.parent_slug else None
            if parent is not None:
                place(parent, (*seen, key))
            placed.add(key)
            ordered.append(term)

        for term in terms.values():
            place(term)
        return ordered

    # Stage 4: posts and pages with their comments, a few hundred comments to a transaction.

    def import_items(self, items: Iterator[wxr.Item]) -> None:
        known_posts = self.known_posts = self.known(Imported.Kind.POST)
        self.posts = Post.objects.in_bulk(known_posts.values())
        self.posts = {wordpress_id: self.posts[pk] for wordpress_id, pk in known_posts.items() if pk in self.posts}
        if self.site.pk:
            imported = Imported.objects.filter(site=self.site, kind=Imported.Kind.POST).values("object_id")
            self.sourced = set(PostSource.objects.filter(post__in=imported).values_list("post_id", flat=True))
        total = self.contents.items + self.contents.comments
        done = 0
        skipped_types = Counter()
        deferred_parents = []
        group, size = [], 0  # items stored in one transaction: at least TRANSACTION_SIZE comments, or one item
        for record in items:
            done += 1 + len(record.comments)
            if record.type not in ("post", "page"):
                skipped_types[record.type] += 1
            elif record.status == "trash":
                self.summary.note("Skipped", f"{record.type} {record.id} {record.title!r}: in WordPress's trash")
            else:
                group.append(record)
                size += 1 + len(record.comments)
            if size >= TRANSACTION_SIZE:
                self.import_group(group, deferred_parents)
                group, size = [], 0
                self.progress("Importing posts and comments", done, total)
        self.import_group(group, deferred_parents)
        self.progress("Importing posts and comments", done, total)
        for page, parent_id in deferred_parents:
            if parent_id in self.posts and self.storing:
                Post.objects.filter(pk=page.pk).update(parent=self.posts[parent_id])
        for post_type, count in skipped_types.items():
            kind = f"of the type {post_type!r}" if post_type else "with no <wp:post_type> (WordPress skips them too)"
            self.summary.note("No home here (not imported)", f"{count} item(s) {kind}")

    def import_group(self, items: list[wxr.Item], deferred_parents: list) -> None:
        """Posts and pages with their comments, in one transaction (fewer commits, and none long)."""
        with self.transaction():
            for item in items:
                post = self.import_post(item, deferred_parents)
                self.import_comments(item, post)

    def import_post(self, item: wxr.Item, deferred_parents: list) -> Post:
        if item.id in self.posts:
            self.summary.already_there[f"{item.type}s"] += 1
            post = self.posts[item.id]
            if self.storing and post.pk not in self.sourced:  # imported before sources were kept
                converted = content.convert(item.content, self.local_urls)
                if digest(post.body) == digest(converted.body):  # else edited here since, or made of other files
                    self.keep_source(post, item, converted)
            return post
        here = self.post_here(item)
        if here is not None:
            self.summary.here[f"{item.type}s"] += 1
            self.posts[item.id] = here
            self.posts_here.add(item.id)
            return here
        converted = content.convert(item.content, self.local_urls)
        is_page = item.type == "page"
        parent = self.posts.get(item.parent) if is_page and item.parent else None
        post = Post(
            kind=Post.Kind.PAGE if is_page else Post.Kind.POST,
            title=content.plain_text(item.title)[:200] or f"Untitled {item.type} {item.id}",
            author=self.account(item.creator),
            body=converted.body,
            excerpt=excerpt_of(item, converted),
            status=POST_STATUSES.get(item.status, Post.Status.DRAFT),
            published_at=wordpress_date(item.date_gmt, item.date),
            comments_open=item.comment_status == "open",
            pings_open=item.ping_status == "open",
            sticky=item.sticky,
            password=item.password,
            parent=parent,
            menu_order=item.menu_order if is_page else 0,
        )
        post.slug = self.free_slug(post, item)
        thumbnail = next(iter(item.meta_values("_thumbnail_id")), "")
        if thumbnail.isdecimal():
            if int(thumbnail) in self.files:
                post.featured_image.name = self.files[int(thumbnail)]
            else:
                self.summary.note("Featured images not kept (not fetched)", f"{post.title}")
        if self.storing:
            post.save()
        if not is_page and self.storing:
            self.file_under_terms(post, item)
        if is_page and item.parent and parent is None:
            deferred_parents.append((post, item.parent))
        self.record(Imported.Kind.POST, item.id, post.pk, new=item.id not in self.known_posts)
        self.keep_source(post, item, converted)
        self.posts[item.id] = post
        self.summary.created[f"{item.type}s"] += 1
        if post.password:
            self.summary.note(PROTECTED, post.title)
        self.keep_old_addresses(post, item)
        self.report_leftovers(post, item, converted)
        return post

    def file_under_terms(self, post: Post, item: wxr.Item) -> None:
        """A new post's categories and tags: their rows added in one statement each (what `set` does in three;
        nothing listens to their m2m_changed)."""
        for relation, terms, taxonomy in (
            (Post.categories, self.categories, "category"),
            (Post.tags, self.tags, "post_tag"),
        ):
            field, rows = relation.field, relation.through
            chosen = {terms[slug].pk for kind, slug in item.terms if kind == taxonomy and slug in terms}
            rows.objects.bulk_create(
                [rows(**{field.m2m_field_name(): post, f"{field.m2m_reverse_field_name()}_id": pk}) for pk in chosen]
            )

    def post_here(self, item: wxr.Item) -> Post | None:
        """This site's own post or page, when the item is one coming back (this site's export: exporter.py).

        The item must name this site (the file's site is SITE_URL, or its link is on SITE_URL's host), its id
        must be the id of a post of its kind here, and its link that post's address (or its slug the post's
        slug: the post may have been renamed since). A stranger's file claiming to be this site's gains
        nothing by it: its posts are only left out.
        """
        if not (self.own_site or urlsplit(item.link).netloc == self.own_host):
            return None
        post = Post.objects.filter(pk=item.id, kind=item.type).first()
        if post is None:
            return None
        same_address = unquote(urlsplit(item.link).path) == unquote(post.get_absolute_url())
        return post if same_address or item.slug == post.slug else None

    def free_slug(self, post: Post, item: wxr.Item) -> str:
        """The WordPress slug if it is free here, else the first free "slug-2", "slug-3"...; renames are noted.

        Any slug WordPress serves is kept as it is (emoji, "%" and all: blog/slugs.py); one no address can hold
        ("/", spaces, control characters: a file WordPress did not write) is mended first.
        """
        servable = servable_slug(item.slug)
        wanted = (servable or slugify(post.title, allow_unicode=True) or f"{item.type}-{item.id}")[:SLUG_LENGTH]
        taken = Post.objects.filter(kind=post.kind, slug__startswith=wanted[: SLUG_LENGTH - 4])
        if post.kind == Post.Kind.PAGE:
            saved_parent = post.parent is None or post.parent.pk is not None  # a dry run's parents are not saved
            taken = taken.filter(parent=post.parent) if saved_parent else taken.none()
        given = self.slugs_given[post.kind, id(post.parent)]  # this run's, beside it (a dry run stores none)
        taken = set(taken.values_list("slug", flat=True)) | given
        candidate, number = wanted, 1
        while candidate in taken or not self.address_is_free(post, candidate):
            number += 1
            candidate = f"{wanted[: SLUG_LENGTH - len(str(number)) - 1]}-{number}"
        given.add(candidate)
        if candidate != item.slug and item.slug:
            if servable != item.slug:
                why = "no address holds it as it is"
            elif wanted != servable:
                why = f"longer than {SLUG_LENGTH} characters"
            else:
                why = "taken here" if wanted in taken else "an address of this site"
            heading = RENAMED if old_address_is_free(item) else RENAMED_IN_PLACE
            self.summary.note(heading, f"{post.title}: {shown_slug(item.slug)} → {candidate} ({why})")
        return candidate

    @staticmethod
    def address_is_free(post: Post, slug: str) -> bool:
        """A top-level page must not land on one of the site's own addresses (/feed/, /search/, /2025/...)."""
        if post.kind != Post.Kind.PAGE or post.parent is not None:
            return True
        try:
            return resolve(f"/{slug}/").url_name == "page"
        except Resolver404:
            return True

    def keep_old_addresses(self, post: Post, item: wxr.Item) -> None:
        """Record the paths the post had on WordPress that are not its address here (they redirect)."""
        paths = set()
        link = urlsplit(item.link)
        if link.path.strip("/") and not link.query:
            paths.add(unquote(link.path))
        if item.type == "post":
            day = wordpress_date(item.date, item.date, utc=False)
            for old_slug in item.meta_values("_wp_old_slug"):
                paths.add(f"/{day:%Y/%m/%d}/{unquote(old_slug)}/")
        new_path = unquote(post.get_absolute_url())
        for path in sorted(paths - {new_path}):
            if "\x00" in path:
                continue  # PostgreSQL holds no NUL; no browser sends one either
            kept = OldAddress.objects.filter(path=path[:500]).select_related("post").first()
            if kept is None and self.storing:
                OldAddress.objects.create(path=path[:500], post=post)
            elif kept is not None and kept.post_id != post.pk:
                self.summary.note("Old addresses already in use", f"{path} (kept for {kept.post})")

    def keep_source(self, post: Post, item: wxr.Item, converted: content.Converted) -> None:
        """Keep what WordPress gave for the post, and what the import made of it, for the export (PostSource)."""
        if not self.storing:
            return
        PostSource.objects.create(
            post=post,
            content=item.content,
            excerpt=item.excerpt,
            custom_fields=[[key, value] for key, value in item.meta if is_custom_field(key)],
            copies=converted.copies,
            body_digest=digest(converted.body),
            excerpt_digest=digest(excerpt_of(item, converted)),
        )
        self.sourced.add(post.pk)

    def report_leftovers(self, post: Post, item: wxr.Item, converted: content.Converted) -> None:
        custom = ", ".join(sorted({key for key, _ in item.meta if is_custom_field(key)}))
        if custom:
            self.summary.note("Custom fields kept for the export (not shown here)", f"{post.title}: {custom}")
        if converted.shortcodes:
            names = ", ".join(f"[{name}]" for name in sorted(converted.shortcodes))
            self.summary.note("Shortcodes kept as text", f"{post.title}: {names}")
        if converted.not_copied and self.local_urls:
            missing = ", ".join(sorted(converted.not_copied))
            self.summary.note("Images still on the old site (no local copy)", f"{post.title}: {missing}")

    def import_comments(self, item: wxr.Item, post: Post) -> None:
        """Add the item's comments that are not here yet, threaded as they were, with their history."""
        if not item.comments:
            return
        mine = self.comments_here(item, post)
        new = {comment.id: comment for comment in item.comments if comment.id not in mine}
        (self.summary.here if item.id in self.posts_here else self.summary.already_there)["comments"] += len(
            item.comments
        ) - len(new)
        if not new:
            return
        parents_here = Comment.objects.in_bulk([mine[c.parent] for c in new.values() if c.parent in mine])
        existing_parents = {file_id: parents_here[pk] for file_id, pk in mine.items() if pk in parents_here}
        built = {}

        def build(record: wxr.Comment, seen=()) -> Comment:
            if record.id in built:
                return built[record.id]
            parent = None
            if record.parent in new and record.parent not in seen:
                parent = build(new[record.parent], (*seen, record.id))
            elif record.parent:
                parent = existing_parents.get(record.parent)
                if parent is None:
                    self.summary.note(
                        "Comments whose parent is not in the file (shown top-level)",
                        f"comment {record.id} on {post.title}",
                    )
            built[record.id] = self.new_comment(record, post, parent)
            return built[record.id]

        for record in new.values():
            build(record)
        comments = list(built.values())
        if self.storing:
            self.store_comments(post, comments, above=max(new))
        if post.pk is not None:
            # Every new id is above the new WordPress ids, but an older comment on the post may hold one.
            taken = Comment.objects.filter(post=post, pk__in=list(new)).values_list("pk", flat=True)
            for wordpress_id in sorted(taken):
                self.summary.note(
                    "Old comment anchors taken by another comment", f"#comment-{wordpress_id} on {post.title}"
                )
        for comment in comments:
            self.summary.created[f"{comment.kind}s" if comment.kind != Comment.Kind.COMMENT else "comments"] += 1

    def comments_here(self, item: wxr.Item, post: Post) -> dict[int, int]:
        """The item's comments that are on the post already (their id in the file -> their id here).

        An imported comment is known by its WordPress id; on this site's own post coming back, the file's
        ids are this site's ids.
        """
        if post.pk is None:
            return {}
        on_post = Comment.objects.filter(post=post)
        mine = dict(on_post.filter(wordpress_id__isnull=False).values_list("wordpress_id", "pk"))
        if item.id in self.posts_here:
            mine |= {pk: pk for pk in on_post.values_list("pk", flat=True)}
        return mine

    def store_comments(self, post: Post, comments: list[Comment], *, above: int) -> None:
        """Save a post's new comments at once, with ids above `above` (their WordPress ids), and their history."""
        next_id = reserve_comment_ids(len(comments), above=above)
        for offset, comment in enumerate(comments):
            comment.pk = next_id + offset
        give_email_keys(comments)  # as Comment.save and the comments' bulk_create do
        insert_new(comments)
        comments_changed(post.pk)  # not saved one by one: the post's stored thread must go
        source = f"Imported from WordPress: comment {{}} of {self.site.url}"
        now = timezone.now()  # the history rows' `at`: the moment the post's comments came in
        history = [
            [c.pk, Actor.SYSTEM, "", c.status, Reason.IMPORTED, source.format(c.wordpress_id)[:500], now]
            for c in comments
        ]
        insert_rows(CommentEvent, [CommentEvent._meta.get_field(name) for name in HISTORY_FIELDS], history)

    def new_comment(self, record: reading.ReadyComment, post: Post, parent: Comment | None) -> Comment:
        kind = COMMENT_KINDS.get(record.type, Comment.Kind.COMMENT)
        status = Status.PENDING if kind == Comment.Kind.NOTE else COMMENT_STATUSES.get(record.approved, Status.PENDING)
        url = record.url if urlsplit(record.url).scheme in ("http", "https") else ""
        return Comment.build(
            post=post,
            parent=parent,
            body=record.content,  # HTML, as on WordPress: Comment.render_body
            body_html=record.html,
            kind=kind,
            wordpress_id=record.id,
            user=self.account_of_user_id(record.user_id) if record.user_id else None,
            author_name=author_name(record.author),
            author_email=content.without_controls(record.email)[:100],
            author_url=url[:200],
            ip_address=ip_or_none(record.ip),
            status=status,
            reason=Reason.IMPORTED,
            rule_status=status,
            rule_reason=Reason.IMPORTED,
            created_at=wordpress_date(record.date_gmt, record.date),
        )

    def record(self, kind: Imported.Kind, wordpress_id: int, object_id: int | None, *, file="", new=False) -> None:
        """Note what a WordPress id became; `new`: the site has no record of it yet (it is only added)."""
        if not self.storing:
            return
        if new:
            Imported.objects.create(
                site=self.site, kind=kind, wordpress_id=wordpress_id, object_id=object_id, file=file
            )
            return
        Imported.objects.update_or_create(
            site=self.site, kind=kind, wordpress_id=wordpress_id, defaults={"object_id": object_id, "file": file}
        )


def old_address_is_free(item: wxr.Item) -> bool:
    """Whether the item's address on WordPress answers nothing here, so that it can redirect to the item.

    A `?p=12` link always can (it is answered by id); a path cannot when a post or page of this site is there
    (the same post imported before under another site's name, say), or one of the site's own addresses.
    """
    link = urlsplit(item.link)
    path = unquote(link.path)
    if link.query or not path.strip("/"):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True
    if match.url_name not in ("post", "page"):
        return False  # one of the site's own addresses: /feed/, /search/...
    same_slug = Post.objects.filter(slug=path.rstrip("/").rpartition("/")[2])
    return all(unquote(post.get_absolute_url()) != path for post in same_slug)


def excerpt_of(item: wxr.Item, converted: content.Converted) -> str:
    """The post's excerpt here: WordPress's, as plain text, or else the text before its <!--more-->."""
    return content.plain_text(item.excerpt) or converted.excerpt_before_more


def is_custom_field(key: str) -> bool:
    """A custom field of the author's or a plugin's, not one WordPress keeps for itself."""
    return bool(key) and key not in KNOWN_META and not key.startswith("_oembed_")


def username_for(login: str) -> str:
    """A WordPress login as a username this site accepts (what Django's validator refuses becomes "-").

    Unicode is folded first (NFKC, as Django does), so "admin" written in fullwidth letters is "admin".
    Room is left for a "-2" after it.
    """
    user_model = get_user_model()
    length = user_model._meta.get_field(user_model.USERNAME_FIELD).max_length - 4
    return NOT_A_USERNAME.sub("-", user_model.normalize_username(login)).strip("-")[:length] or "wordpress"


def wordpress_date(gmt: str, local: str, *, utc: bool = True) -> datetime:
    """A WordPress date as an aware datetime: the GMT field, else the local one in this site's zone, else now.

    Drafts carry "0000-00-00 00:00:00" as their GMT date. With `utc=False`, `gmt` is read as a local date.
    """
    for text, zone in ((gmt, UTC if utc else None), (local, None)):
        if text and text != ZERO_DATE:
            try:  # fromisoformat reads WordPress's own form, all digits, as strptime does and at a tenth of its cost
                moment = (
                    datetime.fromisoformat(text) if WORDPRESS_DATE.fullmatch(text) else datetime.strptime(text, DATE)
                )
            except ValueError:
                continue
            return moment.replace(tzinfo=zone) if zone else timezone.make_aware(moment)
    return timezone.now()


@lru_cache(maxsize=4096)  # commenters come back: most of a large export's names were read before
def author_name(text: str) -> str:
    """A comment author's name as shown here: plain text, "Anonymous" when there is none."""
    return content.plain_text(text)[:245] or "Anonymous"


@lru_cache(maxsize=4096)  # commenters come back: most of a large export's addresses were read before
def ip_or_none(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def reserve_comment_ids(count: int, *, above: int) -> int:
    """The first of `count` comment ids, all greater than `above` and than any id in use or handed out.

    On PostgreSQL the sequence is moved past the block in one statement, so comments posted while
    the import runs take ids after it. SQLite's import transaction holds the write lock, and its
    AUTOINCREMENT counter follows the highest id inserted.
    """
    table = connection.ops.quote_name(Comment._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Comment._meta.db_table])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT setval(%s, GREATEST(COALESCE(pg_sequence_last_value(%s::regclass), 0), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) FROM {table}), %s) + %s)",
                [sequence, sequence, above, count],
            )
            return cursor.fetchone()[0] - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        return max(cursor.fetchone()[0], above) + 1


TRANSACTION_SIZE = 500  # comments (and posts): a transaction is a fraction of a second, its commit a few ms
# The types whose values an import's objects hold as the database takes them (str, int, None): the others are
# prepared by their field, as Django prepares them.
STORED_AS_THEY_ARE = {
    "AutoField", "BigAutoField", "CharField", "TextField", "ForeignKey", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "IntegerField", "BigIntegerField",
}  # fmt: skip
# What an imported comment's history row says (its moderator is none).
HISTORY_FIELDS = ("comment", "actor", "from_status", "to_status", "reason", "note", "at")


def insert_new(objects: list) -> None:
    """Insert new instances of one model, their ids given (`insert_rows`), each field's value as Django would store
    it: the ids of related objects saved since they were set are taken, `auto_now` dates set (`pre_save`)."""
    if not objects:
        return
    model = type(objects[0])
    fields = model._meta.concrete_fields
    stamped = [each for each in fields if getattr(each, "auto_now", False) or getattr(each, "auto_now_add", False)]
    attnames = [each.attname for each in fields]
    related = [(index, each) for index, each in enumerate(fields) if each.is_relation]
    rows = []
    for obj in objects:
        for each in stamped:
            each.pre_save(obj, add=True)
        values = obj.__dict__
        row = [values[name] for name in attnames]
        for index, each in related:  # one set before its object had an id (a reply built with its parent)
            if row[index] is None and each.is_cached(obj) and (target := each.get_cached_value(obj)) is not None:
                if target.pk is None:
                    raise ValueError(f"{obj!r}'s {each.name} is not saved")
                row[index] = values[each.attname] = target.pk
        rows.append(row)
    insert_rows(model, fields, rows)
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def insert_rows(model, fields: list, rows: list[list]) -> None:
    """Insert rows of `model` (a value per field, in order) in multi-row INSERTs: bulk_create without its steps per
    row and field (a third of an import's time went in them). Values of a type the database does not take as
    they are (dates, addresses) are prepared by their field (`get_db_prep_save`), as bulk_create prepares them, each
    value once (a post's history rows share their date, most rows an empty `data_erased_at`); columns not given take
    the database's default (NULL)."""
    prepared = [
        (index, each) for index, each in enumerate(fields) if each.get_internal_type() not in STORED_AS_THEY_ARE
    ]
    for index, each in prepared:
        done = {}
        for row in rows:
            value = row[index]
            if value not in done:
                done[value] = each.get_db_prep_save(value, connection)
            row[index] = done[value]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(each.column) for each in fields)
    values = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})", rows)  # noqa: S608
