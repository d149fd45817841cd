"""RSS and Atom feeds of published posts: the whole site, and one per category.

A protected post is in them as WordPress puts it there: "Protected: " before its title, and
for its text WordPress's "There is no excerpt because this is a protected post." (Post.summary).

Links are built from settings.SITE_URL rather than the sites framework, so feeds, pages and the
sitemap all name the same host.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from groundwork.site_url import absolute_url

from .models import Category, Post

FEED_LENGTH = 20


class LatestPostsFeed(Feed):
    language = settings.BLOG_LANGUAGE

    def title(self):
        return settings.BLOG_TITLE

    def description(self):
        return settings.BLOG_TAGLINE

    def link(self):
        return absolute_url(reverse("blog:home"))

    def feed_url(self):
        return absolute_url(reverse("blog:feed"))

    def items(self):
        return Post.objects.published().for_listing()[:FEED_LENGTH]

    def item_title(self, item):
        return item.display_title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_author_name(self, item):
        return item.author.get_full_name() or item.author.get_username()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.modified_at

    def item_categories(self, item):
        return [category.name for category in item.categories.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description

    def feed_url(self):
        return absolute_url(reverse("blog:feed_atom"))


class CategoryFeed(LatestPostsFeed):
    def get_object(self, request, path):
        return Category.objects.get_by_path(path)

    def title(self, category):
        return f"{settings.BLOG_TITLE} » {category.name}"

    def description(self, category):
        return category.description or f"Posts filed under {category.name}."

    def link(self, category):
        return absolute_url(category.get_absolute_url())

    def feed_url(self, category):
        return absolute_url(reverse("blog:category_feed", kwargs={"path": category.path}))

    def items(self, category):
        return Post.objects.published().in_category(category).for_listing()[:FEED_LENGTH]
