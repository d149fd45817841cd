"""The site's public address (SITE_URL): the one place a path becomes an absolute link.

Feeds, link previews, emails and Akismet need full addresses, and a request is not always
there to build them from (the task worker has none).
"""

from urllib.parse import urljoin

from django.conf import settings


def absolute_url(url) -> str:
    """The address on SITE_URL's host: "/2026/03/04/x/" -> "https://example.org/2026/03/04/x/"; full URLs stay."""
    return urljoin(f"{settings.SITE_URL}/", str(url))
