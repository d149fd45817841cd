"""Copies of a WordPress site's uploaded files, fetched from their old addresses.

Only what an export names as an attachment (`wp:attachment_url`) is fetched, once: a file
already copied is not fetched again, so a second import costs nothing. Copies live under
MEDIA_ROOT/wordpress/<the site's host>/<the path under wp-content/uploads>, which keeps
WordPress's year/month folders and never mixes two sites' files. The import is started by staff, who
choose whether files are fetched at all; a file that cannot be had (gone, too big, the host
unreachable) is reported, and posts keep pointing at the old address.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from blog.site import absolute_url

MAX_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 20


@dataclass
class Fetched:
    name: str = ""  # the copy's storage name ("" when it could not be had)
    problem: str = ""


def storage_name(url: str, site_url: str) -> str:
    """Where the copy of `url` is kept: wordpress/<the site's host>/<path under uploads/>."""
    path = unquote(urlsplit(url).path)
    under_uploads = path.partition("/wp-content/uploads/")[2] or path.lstrip("/")
    safe = [part for part in PurePosixPath(under_uploads).parts if part not in ("", ".", "..", "/")]
    host = (urlsplit(site_url).netloc or "unknown").replace(":", "_")
    return "/".join(["wordpress", host, *safe])


def already_here(url: str) -> str:
    """The storage name of a file this site serves itself (its own export, coming back), or ""."""
    own = url.removeprefix(absolute_url(settings.MEDIA_URL))
    return unquote(own) if own != url and default_storage.exists(unquote(own)) else ""


def fetch(url: str, site_url: str, client: httpx.Client) -> Fetched:
    """Copy the file at `url` into the media storage, unless a copy is there already."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Fetched(problem="not an http(s) address")
    name = storage_name(url, site_url)
    if default_storage.exists(name):
        return Fetched(name=name)
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                return Fetched(problem=f"HTTP {response.status_code}")
            content = bytearray()
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > MAX_BYTES:
                    return Fetched(problem=f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    except httpx.HTTPError as error:
        return Fetched(problem=f"unreachable ({type(error).__name__})")
    return Fetched(name=default_storage.save(name, ContentFile(bytes(content))))


def http_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True, max_redirects=3)
