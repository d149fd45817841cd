"""Articles and how they are filed: posts and pages, hierarchical categories and tags.

A page is a `Post` of kind PAGE, as in WordPress: same text, author, status and comments, but
no date in its address (`/about/`, `/about/team/` under its parent), no categories or tags, and
never in the lists (home, archives, feeds), which show posts only.

Slugs are data, not derived from titles at every save: an imported WordPress slug may hold any
character but "/" (WordPress percent-encodes Cyrillic, CJK or emoji; they are stored decoded), and
it is what keeps the old address: every address is written as WordPress wrote it (slugs.py).

Published top-level pages are the header's menu beside "Home" (`Post.objects.menu()`), ordered as
WordPress's page menu orders them (menu_order, then title), and a page lists its published children:
a protected page by its title, as WordPress lists it; drafts, scheduled and private pages never.

A post or page with a password is protected as WordPress protects it (protection.py): listed
with "Protected: " before its title, its text shown only to readers who give the password.
"""

import re
import time
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from .markup import clean_post_html
from .slugs import SlugField, address

BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figcaption|pre|dd|dt|td|th)>", re.IGNORECASE)


NO_EXCERPT = "There is no excerpt because this is a protected post."  # WordPress's words


NAV_CACHE_KEY = "blog.nav-categories"
NAV_CACHE_SECONDS = 300


class CategoryQuerySet(models.QuerySet):
    def top_level(self):
        return self.filter(parent=None)

    def nav(self) -> list:
        """The top-level categories every page's header lists, kept in the cache (forgotten when a category changes)."""
        categories = cache.get(NAV_CACHE_KEY)
        if categories is None:
            categories = list(self.top_level())
            cache.set(NAV_CACHE_KEY, categories, NAV_CACHE_SECONDS)
        return categories

    def with_ancestors(self):
        """Load three levels of parents along, so `path` and `get_absolute_url` need no more queries."""
        return self.select_related("parent__parent__parent")

    def with_post_counts(self):
        """Categories filed under by a published post, each with `count`, how many (as WordPress's Categories
        widget counts: the posts filed under the category itself)."""
        return (
            self.with_ancestors().annotate(count=Count("posts", filter=_published_posts("posts"))).filter(count__gt=0)
        )

    def get_by_path(self, path):
        """The category whose full path ("parent/child") is `path`; DoesNotExist for any other path."""
        category = self.with_ancestors().get(slug=path.rpartition("/")[2])
        if category.path != path:
            raise self.model.DoesNotExist(f"No category at {path!r}.")
        return category


def invalidate_nav_categories(**kwargs) -> None:
    cache.delete(NAV_CACHE_KEY)


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = SlugField(max_length=100, unique=True, help_text="Used in the category's address.")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="Optional. Categories nest like WordPress's: a child's address includes its parent's.",
    )
    description = models.TextField(blank=True, help_text="Shown at the top of the category's archive.")

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("blog:category", path=self.path)

    def ancestors(self):
        """This category's parents, outermost first (one query per level; trees are shallow)."""
        chain, node = [], self.parent
        while node is not None:
            chain.insert(0, node)
            node = node.parent
        return chain

    @property
    def path(self):
        return "/".join([c.slug for c in self.ancestors()] + [self.slug])

    def descendant_ids(self):
        """Ids of this category and every category below it."""
        ids, frontier = {self.pk}, [self.pk]
        while frontier:
            frontier = list(Category.objects.filter(parent__in=frontier).values_list("pk", flat=True))
            ids.update(frontier)
        return ids


class TagQuerySet(models.QuerySet):
    def in_use(self):
        """Tags on at least one post a reader may see."""
        return self.filter(posts__in=Post.objects.published()).distinct()

    def with_post_counts(self):
        """Tags on a published post, each with `count`, how many."""
        return self.annotate(count=Count("posts", filter=_published_posts("posts"))).filter(count__gt=0)


def _published_posts(relation: str) -> Q:
    """The condition on `relation` (a category's or tag's posts) that a reader may see the post."""
    return Q(
        **{
            f"{relation}__kind": Post.Kind.POST,
            f"{relation}__status": Post.Status.PUBLISHED,
            f"{relation}__published_at__lte": timezone.now(),
        }
    )


class Tag(models.Model):
    name = models.CharField(max_length=100)
    slug = SlugField(max_length=100, unique=True, help_text="Used in the tag's address.")

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("blog:tag", slug=self.slug)


MENU_CACHE_KEY = "blog.menu"
MENU_CACHE_SECONDS = 300  # also how long a scheduled page may wait to join the menu once its time comes

POSTS_VERSION_KEY = "blog.posts-version"
POSTS_VERSION_SECONDS = 300


def invalidate_posts_version(**kwargs) -> None:
    cache.delete(POSTS_VERSION_KEY)


def invalidate_menu() -> None:
    cache.delete(MENU_CACHE_KEY)


class PostQuerySet(models.QuerySet):
    def version(self) -> int:
        """A number that changes when a post is saved or deleted (and every five minutes, for scheduled posts going
        live): the key of what shows other posts, such as an article's previous and next links."""
        return cache.get_or_set(POSTS_VERSION_KEY, time.time_ns, POSTS_VERSION_SECONDS)

    def published(self):
        """Posts and pages a reader may see: published, and not scheduled for later."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def unprotected(self):
        """Posts and pages without a password: what may be searched, and whose comments may be in feeds."""
        return self.filter(password="")

    def posts(self):
        return self.filter(kind=Post.Kind.POST)

    def pages(self):
        return self.filter(kind=Post.Kind.PAGE)

    def in_menu_order(self):
        """As WordPress's page menus order pages: menu_order, then title."""
        return self.order_by("menu_order", "title", "pk")

    def menu(self) -> list[tuple[str, str]]:
        """(title, address) of each published top-level page, for every page's header (a protected page by its
        title, as WordPress's menus list it); kept in the cache, forgotten when a page's `menu_entry` changes."""
        entries = cache.get(MENU_CACHE_KEY)
        if entries is None:
            pages = self.published().pages().filter(parent=None).in_menu_order().only("kind", "title", "slug", "parent")
            entries = [(page.title, page.get_absolute_url()) for page in pages]
            cache.set(MENU_CACHE_KEY, entries, MENU_CACHE_SECONDS)
        return entries

    def months(self):
        """The months with published posts, newest first, in the site's time zone: rows of `month` (a date) and
        `count`."""
        published = self.published().posts().annotate(month=TruncMonth("published_at"))
        return published.values("month").annotate(count=Count("pk")).order_by("-month")

    def get_page_by_path(self, path):
        """The page whose address is /`path`/ ("parent/child"); DoesNotExist for any other path."""
        candidates = self.pages().filter(slug=path.rpartition("/")[2]).select_related("parent__parent__parent")
        for page in candidates:
            if page.path == path:
                return page
        raise self.model.DoesNotExist(f"No page at {path!r}.")

    def in_category(self, category):
        return self.filter(categories__in=category.descendant_ids()).distinct()

    def tagged(self, tag):
        return self.filter(tags=tag)

    def by_author(self, user):
        return self.filter(author=user)

    def search(self, terms):
        query = Q()
        for word in terms.split()[:10]:
            query &= Q(title__icontains=word) | Q(body__icontains=word) | Q(excerpt__icontains=word)
        return self.filter(query)

    def for_listing(self):
        """Posts (never pages) with everything a list of summaries or an article shows, in a fixed number of queries."""
        return (
            self.posts()
            .select_related("author")
            .prefetch_related(Prefetch("categories", queryset=Category.objects.with_ancestors()), "tags")
        )


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Pending review"
        PRIVATE = "private", "Private (staff only)"
        PUBLISHED = "published", "Published"

    class Kind(models.TextChoices):
        POST = "post", "Post"
        PAGE = "page", "Page"

    kind = models.CharField(
        max_length=4,
        choices=Kind,
        default=Kind.POST,
        db_index=True,
        help_text="A post is dated and listed; a page (About, Contact) has an address of its own and is not listed.",
    )
    title = models.CharField(max_length=200)
    slug = SlugField(
        max_length=200,
        help_text="The last part of the address: /YYYY/MM/DD/slug/ for a post, /slug/ for a page. Letters of any "
        'script and signs such as ❤ are fine; no "/" or spaces.',
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"kind": "page"},
        help_text="Pages only: a page under another has the address /parent/slug/.",
    )
    menu_order = models.IntegerField(default=0, help_text="Pages only: the order among their siblings, lowest first.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField(
        help_text="HTML: headings, paragraphs, lists, quotes, links, images with alt text, figures and code. "
        "Scripts, styles and event handlers are removed when the post is saved."
    )
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(
        blank=True, help_text="Plain-text summary for lists, feeds and link previews. Empty: the body's start."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT, db_index=True)
    published_at = models.DateTimeField(
        default=timezone.now,
        db_index=True,
        help_text="A time in the future schedules the post: it stays invisible until then.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    comments_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a comment on the post was last stored or removed: what its thread's stored HTML is kept under.",
    )
    password = models.CharField(
        max_length=255,
        blank=True,
        help_text='Protects the post as WordPress does: it is listed, as "Protected: title", but its text, '
        "comments and excerpt show only to readers who enter this password (kept for ten days in their browser). "
        "Empty: anyone may read it.",
    )
    comments_open = models.BooleanField(
        "comments open",
        default=True,
        help_text="Ticked: readers may leave replies. Unticked: read only, the comments stay shown and nobody may "
        "add one.",
    )
    pings_open = models.BooleanField(
        default=True, help_text="Kept from WordPress (pingbacks and trackbacks); this site receives none."
    )
    sticky = models.BooleanField(default=False, help_text="Shown first on the home page, as WordPress's sticky posts.")
    featured_image = models.ImageField(
        upload_to="featured/", blank=True, help_text="Shown above the article and in link previews."
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="posts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=Q(kind="post"), name="unique_post_slug"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(kind="page", parent=None), name="unique_top_level_page_slug"
            ),
            models.UniqueConstraint(
                fields=["parent", "slug"], condition=Q(kind="page"), name="unique_page_slug_per_parent"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = clean_post_html(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        if self.kind == self.Kind.PAGE:
            return address("blog:page", path=self.path)
        day = self.local_published_at
        return address("blog:post", year=day.year, month=f"{day.month:02d}", day=f"{day.day:02d}", slug=self.slug)

    @property
    def path(self):
        """A page's address without its slashes: its parents' slugs, then its own (one query per level)."""
        chain, node = [self.slug], self.parent
        while node is not None:
            chain.insert(0, node.slug)
            node = node.parent
        return "/".join(chain)

    def published_children(self) -> list:
        """The page's published child pages, in menu order, their parent (this page) known without a query."""
        pages = Post.objects.published().pages().filter(parent=self).in_menu_order()
        children = list(pages.only("kind", "title", "slug", "parent"))
        for child in children:
            child.parent = self
        return children

    @property
    def menu_entry(self):
        """What the menus show of this page (the header's, its parent's list of children), None when they leave it
        out: a change of it changes those lists on every page."""
        if self.kind != self.Kind.PAGE or not self.is_public:
            return None
        return (self.title, self.slug, self.parent_id, self.menu_order)

    @property
    def local_published_at(self):
        return timezone.localtime(self.published_at)

    def published_neighbours(self):
        """The published posts just before and just after this one (either may be None), in one query."""
        earlier = Q(published_at__lt=self.published_at) | Q(published_at=self.published_at, pk__lt=self.pk)
        later = Q(published_at__gt=self.published_at) | Q(published_at=self.published_at, pk__gt=self.pk)
        published = Post.objects.published().posts()
        previous_pk = published.filter(earlier).order_by("-published_at", "-pk").values("pk")[:1]
        next_pk = published.filter(later).order_by("published_at", "pk").values("pk")[:1]
        neighbours = {post.pk: post for post in published.filter(Q(pk__in=previous_pk) | Q(pk__in=next_pk))}
        before = [post for post in neighbours.values() if (post.published_at, post.pk) < (self.published_at, self.pk)]
        after = [post for post in neighbours.values() if (post.published_at, post.pk) > (self.published_at, self.pk)]
        return (before[0] if before else None), (after[0] if after else None)

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def display_title(self):
        """The title as lists, headings and feeds show it: after "Protected: " when the post has a password."""
        return f"Protected: {self.title}" if self.password else self.title

    @cached_property
    def filed_categories(self) -> list:
        """The post's categories with their parents loaded, for their addresses (one query, however often asked)."""
        return list(self.categories.with_ancestors())

    @cached_property
    def tag_list(self) -> list:
        return list(self.tags.all())

    @cached_property
    def summary(self):
        """The excerpt, or the first words of the body as plain text; never either of a protected post."""
        if self.password:
            return NO_EXCERPT
        return (
            self.excerpt
            or Truncator(strip_tags(BLOCK_END.sub(r"\g<0> ", self.body_html))).words(55, truncate="…").strip()
        )
