"""Template helpers for the reading side: absolute addresses, link previews, JSON-LD and the nav."""

import json
import re
from html import unescape

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from groundwork.site_url import absolute_url

from ..models import Category, Post
from ..slugs import percent_encoded

register = template.Library()

IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')
# As django.utils.html.json_script: no "<", ">" or "&" survives, so no text can close the <script>.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


register.filter("absolute", absolute_url)


@register.filter
def display_name(user):
    return user.get_full_name() or user.get_username()


@register.filter
def first_image(post):
    """The absolute address of the first image in the post's body, or "" if it has none (or a password keeps it)."""
    match = None if post.password else IMG_SRC.search(post.body_html)
    return absolute_url(unescape(match[1])) if match else ""


@register.simple_tag
def blog_language():
    return settings.BLOG_LANGUAGE


@register.simple_tag
def nav_categories():
    return Category.objects.nav()


@register.simple_tag
def nav_pages():
    """(title, address) of each page in the header's menu."""
    return Post.objects.menu()


@register.simple_tag(takes_context=True)
def current_address(context):
    """The address of the page shown, written as the site writes its links (for aria-current); "" without a request."""
    request = context.get("request")
    return percent_encoded(request.path) if request else ""


@register.simple_tag
def post_json_ld(post):
    """A schema.org BlogPosting for the article, as a <script type="application/ld+json"> data block."""
    url = absolute_url(post.get_absolute_url())
    author_url = absolute_url(reverse("blog:author", kwargs={"username": post.author.get_username()}))
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.summary,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.local_published_at.isoformat(),
        "dateModified": timezone.localtime(post.modified_at).isoformat(),
        "author": {"@type": "Person", "name": display_name(post.author), "url": author_url},
        "publisher": {"@type": "Organization", "name": settings.BLOG_TITLE, "url": absolute_url("/")},
    }
    if image := first_image(post):
        data["image"] = image
    if keywords := [tag.name for tag in post.tag_list]:
        data["keywords"] = keywords
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
