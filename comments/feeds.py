"""Feeds of comments, as WordPress has them: the whole site's and one article's, RSS and Atom.

- `/comments/feed/` (and `/comments/feed/atom/`): the latest comments on every published
  article, "Comment on <title> by <name>".
- `<article address>feed/` (and `feed/atom/`): one published post's comments, "By: <name>".

Only published comments on published articles are listed: held, spam and trashed comments, and
editorial notes, never; nor the comments of a password-protected post (blog/protection.py), whose
own comment feed is a 404. The text is the comment's HTML as the site shows it (made safe when the
comment was stored); names and the rest are escaped by the feed writer. Links are built from
SITE_URL, as the posts' feeds are (blog/feeds.py). Every reader gets the same bytes.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post
from groundwork.site_url import absolute_url

from .models import Comment

FEED_LENGTH = 20


def in_feeds():
    """Published comments on published articles, newest first, with what an entry shows (its link: its root and its
    thread's place, read with it)."""
    return (
        Comment.objects.published()
        .filter(post__in=Post.objects.published().unprotected())
        .select_related("post", "root")
        .with_thread_places()
        .order_by("-created_at", "-pk")
    )


def post_feed_path(post, *, atom: bool = False) -> str:
    """An article's comment feed: its address, then feed/ (WordPress's), or feed/atom/."""
    return f"{post.get_absolute_url()}feed/{'atom/' if atom else ''}"


def post_feed_url(post, *, atom: bool = False) -> str:
    return absolute_url(post_feed_path(post, atom=atom))


def feed_paths(post) -> list[str]:
    """The comment feeds a comment of `post` is in: the site's and the article's, RSS and Atom."""
    return [
        reverse("comments:feed"),
        reverse("comments:feed_atom"),
        post_feed_path(post),
        post_feed_path(post, atom=True),
    ]


class LatestCommentsFeed(Feed):
    language = settings.BLOG_LANGUAGE

    def title(self):
        return f"Comments for {settings.BLOG_TITLE}"

    def description(self):
        return settings.BLOG_TAGLINE

    def link(self):
        return absolute_url(reverse("blog:home"))

    def feed_url(self):
        return absolute_url(reverse("comments:feed"))

    def items(self):
        return in_feeds()[:FEED_LENGTH]

    def item_title(self, comment):
        return f"Comment on {comment.post.title} by {comment.author_name}"

    def item_description(self, comment):
        return comment.body_html

    def item_link(self, comment):
        return absolute_url(comment.get_absolute_url())

    def item_author_name(self, comment):
        return comment.author_name

    def item_pubdate(self, comment):
        return comment.created_at

    def item_updateddate(self, comment):
        return comment.created_at


class LatestCommentsAtomFeed(LatestCommentsFeed):
    feed_type = Atom1Feed
    subtitle = LatestCommentsFeed.description

    def feed_url(self):
        return absolute_url(reverse("comments:feed_atom"))


class PostCommentsFeed(LatestCommentsFeed):
    """One published post's comments, at the post's address + feed/ (the view is given the dated address's parts)."""

    def get_object(self, request, year, month, day, slug):
        post = Post.objects.published().unprotected().posts().filter(slug=slug).first()
        date = post.local_published_at if post else None
        if date is None or (f"{date.year:04d}", f"{date.month:02d}", f"{date.day:02d}") != (year, month, day):
            raise Http404("No such article.")
        return post

    def title(self, post):
        return f"Comments on: {post.title}"

    def description(self, post):
        return post.summary

    def link(self, post):
        return absolute_url(post.get_absolute_url())

    def feed_url(self, post):
        return post_feed_url(post)

    def items(self, post):
        return in_feeds().filter(post=post)[:FEED_LENGTH]

    def item_title(self, comment):
        return f"By: {comment.author_name}"


class PostCommentsAtomFeed(PostCommentsFeed):
    feed_type = Atom1Feed
    subtitle = PostCommentsFeed.description

    def feed_url(self, post):
        return post_feed_url(post, atom=True)
