"""Old WordPress addresses, answered with a permanent redirect to where the thing lives now.

Links to a WordPress site take many shapes besides the post's own permalink (which the import
keeps where it can). `OldAddressMiddleware` answers them:

- the query strings of WordPress's home page (`/` or `/index.php`): ids, looked up in what was
  imported: `?p=12` (a post, a page or an attachment), `?page_id=3`, `?attachment_id=9` (the file
  itself, where WordPress 6.4 and later sends an attachment page's readers), `?cat=7` (with
  `&feed=rss2`: its feed), `?author=2`; and names: `?tag=bread`, `?m=202510` (a year, a month or a
  day), `?s=rye`, `?paged=2`, `?feed=rss2` or `?feed=atom` (`?feed=comments-rss2`, `?feed=comments-atom`:
  the comment feed; `?p=12&feed=rss2`: that article's comment feed). One that names nothing a reader
  may see here answers 404 at once, as WordPress does: whoever counts ids learns no draft's, scheduled
  or private post's title or address. Staff, who preview them, are sent on, but by a redirect no
  browser keeps: one that logs out later must not still be taken to a draft's address by it;
- `?replytocom=N` on an article, N the WordPress id of a comment there: the site's own
  `?replytocom=` for it if it is published, else (held, spam) the article itself, where WordPress
  too shows its plain form; the site's own Reply links pass;
- on a 404 only, so no page of this site is ever shadowed: a path a post had on WordPress (an
  old slug, a slug renamed on import, another permalink structure), `/comment-page-N/` after one
  (to the same page N), and the feed addresses WordPress had (`/feed/rss2/`, `/feed/comments-rss2/`,
  `/category/x/feed/atom/`, `/comments/feed/rss2/`; an article's `/feed/rss2/` or `/feed/atom/`,
  its comment feeds: `/comments/feed/` and an article's `feed/` are the comment feeds themselves).

An old `#comment-123` needs no redirect: fragments never reach the server, the comment template
renders the imported comment's old anchor beside its new one, and comments.js asks
`/comments/123/?on=<post>` for one on another page of the thread (or no longer shown: then the
article itself).
"""

import re
from datetime import datetime
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from blog.models import Category, Post, Tag
from blog.slugs import address, percent_encoded, servable_slug
from comments.feeds import post_feed_path
from comments.models import Comment

from .models import Imported, OldAddress

HOME_PATHS = {"/", "/index.php"}
ID = re.compile(r"[0-9]{1,18}")
COMMENT_PAGE = re.compile(r"^(?P<article>/.+/)comment-page-(?P<number>\d+)/?$")
OLD_FEED = re.compile(r"^(?P<owner>(?:/[^/]+)*?)/feed/(?P<kind>rss2|rss|rdf|atom|comments-rss2|comments-atom)?/?$")
# Every other ?feed= (rss2, rss, rdf...) is the posts' RSS feed.
QUERY_FEEDS = {"atom": "blog:feed_atom", "comments-rss2": "comments:feed", "comments-atom": "comments:feed_atom"}
ARCHIVES = {4: ("%Y", "blog:archive_year"), 6: ("%Y%m", "blog:archive_month"), 8: ("%Y%m%d", "blog:archive_day")}


class OldAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self.query_target(request)
        if target and request.user.is_staff:
            response = HttpResponseRedirect(target)  # perhaps a draft's address: for now, and for this browser only
            add_never_cache_headers(response)
            return response
        if target:
            return HttpResponsePermanentRedirect(target)
        response = self.get_response(request)
        if response.status_code == 404:
            target = old_path_target(request.path)
            if target and unquote(target) != request.path:
                return HttpResponsePermanentRedirect(target)
        return response

    @staticmethod
    def query_target(request) -> str | None:
        if not request.GET:
            return None
        if request.path in HOME_PATHS:
            return home_query_target(request)
        comment_id = as_id(request.GET.get("replytocom", ""))
        return reply_target(request.path, comment_id) if comment_id is not None else None


def as_id(value: str) -> int | None:
    """An id as a query string gives it ("12"); None for anything else (a word, more digits than any id has)."""
    return int(value) if ID.fullmatch(value) else None


def home_query_target(request) -> str | None:
    """Where a query string of WordPress's home page pointed; None for one it does not know (?utm_source=...).

    Http404 for one that names nothing a reader may see here.
    """
    query = request.GET
    given = {name: as_id(query.get(name, "")) for name in ("p", "page_id", "attachment_id", "cat", "author", "paged")}
    ids = {name: number for name, number in given.items() if number is not None}
    feed = query.get("feed")
    if "p" in ids:
        found = Imported.objects.newest(Imported.Kind.POST, ids["p"])
        return found_or_404(post_target(request, found, feed=feed) if found else attachment_target(ids["p"]))
    if "page_id" in ids:
        found = Imported.objects.newest(Imported.Kind.POST, ids["page_id"])
        return found_or_404(post_target(request, found, feed=feed))
    if "attachment_id" in ids:
        return found_or_404(attachment_target(ids["attachment_id"]))
    if "cat" in ids:
        return found_or_404(category_target(ids["cat"], feed="feed" in query))
    if "author" in ids:
        return found_or_404(author_target(ids["author"]))
    if "tag" in query:
        slug = query["tag"]
        tag = Tag.objects.filter(slug__in={slug, slug.lower()}).first() if servable_slug(slug) == slug else None
        return found_or_404(tag.get_absolute_url() if tag else None)
    if query.get("m", "").isdecimal():
        return found_or_404(archive_target(query["m"]))
    if "s" in query:
        return f"{reverse('blog:search')}?{urlencode({'q': query['s']})}"
    if "paged" in ids:
        return found_or_404(named_address("blog:home", page=ids["paged"]) if ids["paged"] > 1 else "/")
    if feed is not None:
        return reverse(QUERY_FEEDS.get(feed, "blog:feed"))
    return None


def found_or_404(target: str | None) -> str:
    if target is None:
        raise Http404("Nothing here has this old address.")
    return target


def post_target(request, found: Imported | None, *, feed: str | None = None) -> str | None:
    """The address of an imported post or page a reader may see (staff may see any, to preview it).

    With `feed` (`?p=12&feed=rss2`, any kind of feed, as WordPress), the article's comment feed where it has one (a
    published post without a password); else the post or page itself.
    """
    readable = Post.objects.all() if request.user.is_staff else Post.objects.published()
    post = readable.filter(pk=found.object_id).first() if found and found.object_id else None
    if post is None:
        return None
    if feed is not None and post.kind == Post.Kind.POST and post.is_public and not post.password:
        return post_feed_path(post, atom=feed.endswith("atom"))
    return post.get_absolute_url()


def attachment_target(wordpress_id: int) -> str | None:
    """An imported attachment's local copy, if it was fetched."""
    found = Imported.objects.newest(Imported.Kind.ATTACHMENT, wordpress_id)
    return default_storage.url(found.file) if found and found.file else None


def category_target(wordpress_id: int, *, feed: bool) -> str | None:
    found = Imported.objects.newest(Imported.Kind.CATEGORY, wordpress_id)
    category = Category.objects.filter(pk=found.object_id).first() if found else None
    if category is None:
        return None
    return address("blog:category_feed", path=category.path) if feed else category.get_absolute_url()


def author_target(wordpress_id: int) -> str | None:
    """An imported author's page, if they have one: only authors of a published post do (blog.views.AuthorView)."""
    found = Imported.objects.newest(Imported.Kind.AUTHOR, wordpress_id)
    user = get_user_model().objects.filter(pk=found.object_id).first() if found else None
    if user is None or not Post.objects.published().by_author(user).exists():
        return None
    return named_address("blog:author", username=user.get_username())


def archive_target(moment: str) -> str | None:
    """`?m=2025`, `?m=202510` or `?m=20251002`: a year's, a month's or a day's archive."""
    if len(moment) not in ARCHIVES:
        return None
    date_format, view_name = ARCHIVES[len(moment)]
    try:
        datetime.strptime(moment, date_format)
    except ValueError:
        return None
    parts = {"year": moment[:4], "month": moment[4:6], "day": moment[6:8]}
    return named_address(view_name, **{part: value for part, value in parts.items() if value})


def named_address(view_name: str, **kwargs) -> str | None:
    """reverse(), or None where the address cannot be (a year outside 1000-2999, a page past 999999)."""
    try:
        return reverse(view_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def reply_target(path: str, comment_id: int) -> str | None:
    """`?replytocom=N` on an article, N the id WordPress gave a comment there: the site's own reply address for it
    when it is published, else the article itself (a held or spam comment is no one to answer). None when N is this
    site's own id of a comment there, or no comment's: the page shows its form (a plain one, but to a published one).
    """
    comment_page = COMMENT_PAGE.match(path)
    article = comment_page["article"] if comment_page else path
    named = Comment.objects.filter(Q(pk=comment_id) | Q(wordpress_id=comment_id)).select_related("post")
    on_this_article = [comment for comment in named if unquote(comment.post.get_absolute_url()) == article]
    if not on_this_article or any(comment.pk == comment_id for comment in on_this_article):
        return None
    comment = on_this_article[0]
    if Comment.objects.published().filter(pk=comment.pk).exists():
        return comment.get_reply_url()
    return percent_encoded(path)


def old_path_target(path: str) -> str | None:
    """The address now of a path (decoded, as Django sees it) that is a 404 here but was a WordPress address."""
    if "\x00" in path:
        return None  # no old address holds one (keep_old_addresses), and PostgreSQL refuses to look for it
    kept = OldAddress.objects.filter(path=path).select_related("post").first()
    if kept is not None:
        return kept.post.get_absolute_url() if kept.post.is_public else None
    if match := COMMENT_PAGE.match(path):
        moved = old_path_target(match["article"])
        return f"{moved}comment-page-{match['number']}/" if moved else percent_encoded(match["article"])
    if match := OLD_FEED.match(path):
        return feed_target(match["owner"], match["kind"] or "")
    return None


def feed_target(owner: str, kind: str) -> str:
    """Where the feed of `owner` (a path without its last slash; "" for the site) is now."""
    atom = kind.endswith("atom")
    if owner == "/comments" or (owner == "" and kind.startswith("comments-")):
        return reverse("comments:feed_atom" if atom else "comments:feed")
    if owner == "":
        return reverse("blog:feed_atom" if atom else "blog:feed")
    if owner.startswith("/category/"):
        return address("blog:category_feed", path=owner.removeprefix("/category/"))
    home = old_path_target(f"{owner}/") or percent_encoded(f"{owner}/")
    try:
        is_article = resolve(unquote(home)).url_name == "post"
    except Resolver404:
        is_article = False
    return f"{home}feed/{'atom/' if atom else ''}" if is_article else home  # an article's comment feed; else its page
