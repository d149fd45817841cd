"""The sitemap: home, every published post, categories and tags in use, all on settings.SITE_URL's host.

Password-protected posts are listed, as WordPress's own sitemap lists them: a sitemap holds an
address and a date, never text, and their addresses are on the home page anyway.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Category, Post, Tag


class SiteURLSitemap(Sitemap):
    """Addresses on the host and scheme of settings.SITE_URL, whatever the sites framework says."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class HomeSitemap(SiteURLSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["blog:home"]

    def location(self, item):
        return reverse(item)


class PostSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Post.objects.published()

    def lastmod(self, post):
        return post.modified_at


class CategorySitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return Category.objects.with_ancestors()


class TagSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return Tag.objects.in_use()


sitemaps = {"home": HomeSitemap, "posts": PostSitemap, "categories": CategorySitemap, "tags": TagSitemap}
