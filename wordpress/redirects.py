"""Old WordPress addresses, answered with a permanent redirect to where the thing lives now.

Links to a WordPress site take many shapes besides the post's own permalink (which the import
keeps where it can). `OldAddressMiddleware` answers them:

- `/?p=12`, `/?page_id=3`, `/?cat=7`, `/?feed=rss2`: ids and feeds given in the query string of
  the home page, looked up in what was imported;
- `?replytocom=N` on an imported article, where N is a WordPress comment id and not one of this
  site's (the site's own Reply links use the same parameter with its own ids: those pass);
- on a 404 only, so no page of this site is ever shadowed: a path a post had on WordPress (an
  old slug, a slug renamed on import, another permalink structure), `/comment-page-N/` after an
  article, and the feed addresses WordPress had (`/feed/rss2/`, `/category/x/feed/atom/`,
  `/comments/feed/rss2/`, an article's `/feed/rss2/`; `/comments/feed/` and an article's `feed/`
  are the comment feeds themselves).

An old `#comment-123` needs no redirect: fragments never reach the server, and the comment
template renders the imported comment's old anchor beside its new one.
"""

import re

from django.db.models import Q
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse

from blog.models import Category, Post
from comments.models import Comment

from .models import Imported, OldAddress

COMMENT_PAGE = re.compile(r"^(?P<article>/.+/)comment-page-\d+/?$")
OLD_FEED = re.compile(r"^(?P<owner>(?:/[^/]+)*?)/feed/(?:rss2|rss|rdf|atom|comments-rss2)?/?$")
QUERY_FEEDS = {"atom": "blog:feed_atom"}  # every other ?feed= (rss2, rss, rdf...) is the RSS feed


class OldAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self.query_target(request)
        if target:
            return HttpResponsePermanentRedirect(target)
        response = self.get_response(request)
        if response.status_code == 404:
            target = old_path_target(request.path)
            if target and target != request.path:
                return HttpResponsePermanentRedirect(target)
        return response

    @staticmethod
    def query_target(request) -> str | None:
        if not request.GET:
            return None
        if request.path == "/":
            return home_query_target(request.GET)
        wordpress_id = request.GET.get("replytocom", "")
        if wordpress_id.isdecimal():
            return old_reply_target(request.path, int(wordpress_id))
        return None


def home_query_target(query) -> str | None:
    """Where /?p=, ?page_id=, ?cat= or ?feed= pointed on WordPress; None for anything else."""
    for parameter in ("p", "page_id"):
        if query.get(parameter, "").isdecimal():
            post_id = Imported.objects.newest_object_id(Imported.Kind.POST, int(query[parameter]))
            post = Post.objects.filter(pk=post_id).first() if post_id else None
            return post.get_absolute_url() if post else None
    if query.get("cat", "").isdecimal():
        category_id = Imported.objects.newest_object_id(Imported.Kind.CATEGORY, int(query["cat"]))
        category = Category.objects.filter(pk=category_id).first() if category_id else None
        return category.get_absolute_url() if category else None
    if "feed" in query:
        return reverse(QUERY_FEEDS.get(query["feed"], "blog:feed"))
    return None


def old_reply_target(path: str, comment_id: int) -> str | None:
    """`?replytocom=N` naming a WordPress comment on this article: the same form, with this site's id."""
    named = Comment.objects.filter(Q(pk=comment_id) | Q(wordpress_id=comment_id)).select_related("post")
    on_this_article = [comment for comment in named if comment.post.get_absolute_url() == path]
    if any(comment.pk == comment_id for comment in on_this_article):
        return None  # this site's own Reply link
    return on_this_article[0].get_reply_url() if on_this_article else None


def old_path_target(path: str) -> str | None:
    """The address now of a path that is a 404 here but was a WordPress address."""
    kept = OldAddress.objects.filter(path=path).select_related("post").first()
    if kept is not None:
        return kept.post.get_absolute_url()
    if match := COMMENT_PAGE.match(path):
        article = match["article"]
        return old_path_target(article) or article
    if match := OLD_FEED.match(path):
        owner = match["owner"]
        if owner == "/comments":  # /comments/feed/rss2/, /comments/feed/atom/...: the site's comment feed
            return reverse("comments:feed")
        if owner == "":
            return reverse("blog:feed")
        if owner.startswith("/category/"):
            return reverse("blog:category_feed", kwargs={"path": owner.removeprefix("/category/")})
        return old_path_target(f"{owner}/") or f"{owner}/"  # an article's or a tag's feed: its page
    return None
