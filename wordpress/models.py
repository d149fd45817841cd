"""What an import remembers: where things came from, their old addresses, each post's WordPress source, each
admin import, and the import running now.

A WordPress id means something only on its own site, so every imported object is recorded as
(site, kind, WordPress id) -> object here. That record makes an import idempotent (the same
file again adds nothing; a newer export adds only what is new) and answers the old addresses
that name ids (`?p=12`, `?page_id=3`, `?cat=7`). Comments carry their WordPress id on the
comment itself (`Comment.wordpress_id`), since their old anchors are rendered with them.
"""

import hashlib
import uuid

from django.conf import settings
from django.db import models


def upload_name(run, filename: str) -> str:
    """A folder nobody can guess: the file is under MEDIA_ROOT until its import ends and deletes it."""
    return f"wordpress-imports/{uuid.uuid4().hex}/{filename}"


class Site(models.Model):
    """A WordPress site that content was imported from, keyed by its address (wp:base_site_url)."""

    url = models.CharField(max_length=500, unique=True)
    title = models.CharField(max_length=200, blank=True)
    first_imported_at = models.DateTimeField(auto_now_add=True)
    last_imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "WordPress site"

    def __str__(self):
        return self.title or self.url


class ImportedQuerySet(models.QuerySet):
    def object_ids(self, site, kind) -> dict[int, int]:
        """WordPress id -> this site's object id, for one kind of thing from one site."""
        return dict(self.filter(site=site, kind=kind).values_list("wordpress_id", "object_id"))

    def newest(self, kind, wordpress_id) -> "Imported | None":
        """The record of what a WordPress id names, for an old address (the site imported last wins)."""
        return self.filter(kind=kind, wordpress_id=wordpress_id).order_by("-site__last_imported_at", "-pk").first()

    def newest_object_id(self, kind, wordpress_id) -> int | None:
        found = self.newest(kind, wordpress_id)
        return found.object_id if found else None


class Imported(models.Model):
    """One object brought in from a WordPress site: which it was there, which it is here."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        CATEGORY = "category", "Category"
        TAG = "tag", "Tag"
        POST = "post", "Post or page"
        ATTACHMENT = "attachment", "Attachment"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="imported")
    kind = models.CharField(max_length=10, choices=Kind)
    wordpress_id = models.PositiveBigIntegerField()
    object_id = models.PositiveBigIntegerField(null=True, help_text="The user, category, tag or post here.")
    file = models.CharField(max_length=500, blank=True, help_text="Attachments: the local copy, under MEDIA_ROOT.")

    objects = ImportedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "kind", "wordpress_id"], name="one_import_per_id")]
        indexes = [models.Index(fields=["kind", "wordpress_id"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.wordpress_id} of {self.site}"


class OldAddress(models.Model):
    """A path a post or page had on WordPress that is not its address here: answered with a 301."""

    path = models.CharField(max_length=500, unique=True, help_text="Decoded, as Django sees it: /2025/10/02/x/.")
    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="old_addresses")

    class Meta:
        verbose_name_plural = "old addresses"

    def __str__(self):
        return self.path


class ImportRunQuerySet(models.QuerySet):
    def unfinished(self):
        """Runs that are not over yet: queued, waiting for another import of their site, or importing."""
        return self.filter(state__in=ImportRun.UNFINISHED)


class ImportRun(models.Model):
    """A WordPress file uploaded in the admin and imported by the task worker, with its progress and summary."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the task worker"
        WAITING = "waiting", "Waiting for another import of the same site to end"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    UNFINISHED = [State.QUEUED, State.WAITING, State.RUNNING]

    file = models.FileField(
        "WordPress export",
        upload_to=upload_name,
        help_text="The file WordPress's Tools > Export > All content wrote (WXR, .xml). Importing it twice is safe.",
    )
    fetch_attachments = models.BooleanField(
        "fetch images and files",
        default=True,
        help_text="Copy each attachment from its address on the old site, and point the posts at the copies.",
    )
    match_authors = models.BooleanField(
        "match authors to existing accounts with the same username",
        default=False,
        help_text="Unticked, an author whose username is taken here gets an account of their own (admin-2): "
        "nobody's posts go to an account of this site unless you say so.",
    )
    state = models.CharField(max_length=7, choices=State, default=State.QUEUED)
    stage = models.CharField(max_length=300, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The queued task that runs it (runs.py).")
    restarts = models.PositiveSmallIntegerField(
        default=0, help_text="How often another worker took the import over after its own stopped in the middle."
    )

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "import from WordPress"
        verbose_name_plural = "imports from WordPress"
        permissions = [("export_site", "Can download the whole site as a WordPress export (WXR)")]

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def file_name(self) -> str:
        """The name the file was uploaded with (it stays on the run after the file is deleted)."""
        return self.file.name.rpartition("/")[2]

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


def digest(text: str) -> str:
    """A text's fingerprint, but for line ends and the whitespace around it, which a form's round trip changes."""
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()


class PostSource(models.Model):
    """What WordPress gave for an imported post or page, kept so that an export gives it back (exporter.py).

    The site shows a post as HTML (content.py): its blocks (`<!-- wp:... -->`), `<!--more-->` and `[caption]` do
    not survive that, and its custom fields have no place here. An export writes WordPress's text instead of the
    post's HTML for as long as the post's body (and, for the excerpt, its excerpt too) is the one the import made,
    which the digests tell; the custom fields go out in any case.
    """

    post = models.OneToOneField(
        "blog.Post", on_delete=models.CASCADE, primary_key=True, related_name="wordpress_source"
    )
    content = models.TextField(help_text="Its content (content:encoded) as the export had it.")
    excerpt = models.TextField(blank=True, help_text="Its excerpt (excerpt:encoded) as the export had it.")
    custom_fields = models.JSONField(
        default=list, blank=True, help_text="Its custom fields as [key, value] pairs, but those WordPress keeps itself."
    )
    copies = models.JSONField(
        default=dict, blank=True, help_text="Old upload addresses in the content, as written -> their copy's address."
    )
    body_digest = models.CharField(max_length=64, help_text="The body as imported (`digest`).")
    excerpt_digest = models.CharField(max_length=64, help_text="The excerpt as imported (`digest`).")

    class Meta:
        verbose_name = "WordPress source of a post"

    def __str__(self):
        return f"WordPress source of {self.post}"

    def body_kept(self, post) -> bool:
        """The post's body is still the one the import made of this source: it was not edited here."""
        return digest(post.body) == self.body_digest

    def excerpt_kept(self, post) -> bool:
        return self.body_kept(post) and digest(post.excerpt) == self.excerpt_digest


class ImportLock(models.Model):
    """The one import of a WordPress site that runs now (locks.py): taken before it writes, let go when it ends."""

    site_url = models.CharField(max_length=500, unique=True)
    holder = models.CharField(max_length=300, help_text="Who imports, in words: the command, or the admin's run.")
    owner = models.CharField(max_length=100, help_text="The same owner takes the lock over (a run carried on).")
    started_at = models.DateTimeField()
    renewed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.site_url}: {self.holder}"
