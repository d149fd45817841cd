"""Slugs as WordPress has them, and the addresses they make.

WordPress makes a slug from a title by lower-casing it, turning spaces into dashes, dropping
ASCII punctuation and percent-encoding every other character from its UTF-8 bytes: "We ❤ the
night train" is stored as `we-%e2%9d%a4-the-night-train`, and that is its address. So a slug
WordPress serves may hold letters of any script, emoji, combining marks, right-to-left marks, "%"
itself (`50%25-off`, from "%25" in a title): anything but "/", white space and control characters,
which it turns into dashes or drops.

Here slugs are stored decoded (`we-❤-the-night-train`): what a reader sees, and what Django
matches once it has decoded the path a browser sent, whichever case its percent-encoding was
in. The addresses the site writes (links, feeds, the sitemap, redirects) are WordPress's bytes
exactly: `percent_encoded` encodes each path segment as WordPress does, in lower-case hex, where
Django's reverse() writes upper-case hex and leaves `!$&'()*+,;=:@` bare.

So a slug may not hold "/" (it is one segment of an address), white space or control characters
(which no address carries as they are; PostgreSQL refuses even to look for a NUL), and may not be
"." or ".." (which browsers resolve away): `validate_slug` refuses those in the admin, the URL
converters match none of them, and `servable_slug` mends an imported slug that has them.
"""

import re
from urllib.parse import quote, unquote

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

NOT_A_SLUG_CHARACTER = r"/\s\x00-\x1f\x7f-\x9f"
NOT_IN_A_SLUG = re.compile(f"[{NOT_A_SLUG_CHARACTER}]+")
# One segment of a path that may be a slug: what the URL converters match (blog/urls.py, comments/urls.py).
SEGMENT = f"[^{NOT_A_SLUG_CHARACTER}]+"
DOT_SEGMENTS = {".", ".."}
ESCAPE = re.compile(r"%[0-9A-F]{2}")


def validate_slug(value: str) -> None:
    if not value or NOT_IN_A_SLUG.search(value) or value in DOT_SEGMENTS:
        raise ValidationError(
            'Enter a slug without "/", spaces or control characters (letters of any script, digits, '
            "dashes and signs such as ❤ are all fine).",
            code="invalid",
        )


def servable_slug(text: str) -> str:
    """The slug an imported one can be here: each run of what a slug may not hold becomes "-" ("" if none is left)."""
    slug = NOT_IN_A_SLUG.sub("-", text)
    return "" if slug in DOT_SEGMENTS else slug


def shown_slug(text: str) -> str:
    """A slug to show in a message: what a slug may not hold percent-encoded ("a%2Fb", "nul%00"), the rest as it is."""
    return NOT_IN_A_SLUG.sub(lambda run: quote(run[0], safe=""), text)


def percent_encoded(path: str) -> str:
    """A decoded path as WordPress writes it: "/2025/11/03/we-❤-the-night-train/" -> "/.../we-%e2%9d%a4-the-...".

    Every character of each segment but ASCII letters, digits and "-._~" is percent-encoded from
    its UTF-8 bytes, in lower case.
    """
    return "/".join(ESCAPE.sub(lambda escape: escape[0].lower(), quote(part, safe="")) for part in path.split("/"))


def address(view_name: str, **kwargs) -> str:
    """reverse(), percent-encoded as WordPress writes its addresses."""
    return percent_encoded(unquote(reverse(view_name, kwargs=kwargs)))


class SlugFormField(forms.CharField):
    """The admin's slug box: what validate_slug accepts. `allow_unicode` tells the admin's title-to-slug
    filling to keep letters of any script, as a Unicode SlugField's does."""

    default_validators = [validate_slug]

    def __init__(self, *, allow_unicode=True, **kwargs):
        self.allow_unicode = allow_unicode
        super().__init__(**kwargs)


class SlugField(models.SlugField):
    """A slug of any characters WordPress serves in one (validate_slug), indexed as Django's SlugField is."""

    default_validators = [validate_slug]

    def __init__(self, *args, **kwargs):
        kwargs.pop("allow_unicode", None)
        super().__init__(*args, **kwargs)  # as ASCII, which leaves default_validators alone (Unicode: [-\w]+)
        self.allow_unicode = True  # what the admin's slug filling and migrations read

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SlugFormField, **kwargs})
