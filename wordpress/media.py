"""Copies of a WordPress site's uploaded files, fetched from their old addresses.

Only what an export names as an attachment (`wp:attachment_url`) is fetched, once: a file
already copied is not fetched again, so a second import costs nothing. Copies live under
MEDIA_ROOT/wordpress/<the site's host>/<the path under wp-content/uploads>, which keeps
WordPress's year/month folders and never mixes two sites' files. The import is started by staff, who
choose whether files are fetched at all; a file that cannot be had (gone, too big, the host
unreachable, refused) is reported with the reason, and posts keep pointing at the old address.

The addresses come from a file anyone could have written, and what is fetched is published under
/media/, on the blog's own origin. So:

- Only the public internet is asked. Every host is resolved here and each of its addresses must be
  public: not loopback, private, link-local (a cloud's 169.254.169.254), multicast, reserved or
  unspecified, nor an IPv6 address that carries one of those (IPv4-mapped, 6to4, NAT64). The
  connection goes to the very address checked, so a second DNS answer cannot move it inside, and
  every redirect (at most three) is checked the same way. WORDPRESS_FETCH_ALLOW_NETWORKS names
  networks to treat as outside, for an old site on the local network.
- Time is bounded: a file has WORDPRESS_FETCH_FILE_SECONDS from its first byte sent to its last
  received, and every socket wait stops there, so a server dripping a byte at a time is cut off;
  the whole fetching has WORDPRESS_FETCH_TOTAL_SECONDS, after which the other files are reported.
- Only pictures are kept as pictures. A file whose bytes Pillow reads as JPEG, PNG, GIF, WebP or
  AVIF is kept under its real format's extension, which is what /media/ serves it by (blog/media.py).
  Any other file is kept as a download (a PDF), unless its name says it is an image (an SVG, which
  can carry script; an HTML page named .jpg): that is refused, since as a download it would not
  show in the post anyway. /media/ sends non-pictures as application/octet-stream attachments, and
  everything with nosniff and a sandboxing CSP.
"""

import io
import ipaddress
import mimetypes
import socket
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from blog.media import PICTURE_TYPES
from groundwork.site_url import absolute_url

MAX_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 3
# The formats kept as pictures, by Pillow's name, with the type /media/ shows them as.
PICTURES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
}
PICTURE_NAMES = "a JPEG, PNG, GIF, WebP or AVIF picture"
OUT_OF_TIME = "the import's time for fetching ran out"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The kinds of address that are not the public internet, as ipaddress tells them (`is_<kind>`), in the summary's words.
INSIDE = {
    "unspecified": "the unspecified address",
    "loopback": "a loopback address",
    "link_local": "a link-local address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "private": "a private address",
}


@dataclass
class Fetched:
    name: str = ""  # the copy's storage name ("" when it could not be had)
    problem: str = ""


class NotFetched(Exception):
    """Why a file was not copied, in words for the import's summary."""


class Refused(Exception):
    """An address the fetcher must not connect to."""


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


def fetch(url: str, site_url: str, client: "Fetcher") -> Fetched:
    """Copy the file at `url` into the media storage, unless a copy is there already; say why when it cannot."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Fetched(problem="not an http(s) address")
    name = storage_name(url, site_url)
    try:
        if default_storage.exists(name) and kept_name(name, stored_bytes(name)) == name:
            return Fetched(name=name)
    except NotFetched:
        pass  # a copy that would not be kept now (made before files were checked): fetched again
    try:
        content = client.get(url)
        return Fetched(name=default_storage.save(kept_name(name, content), ContentFile(content)))
    except NotFetched as problem:
        return Fetched(problem=str(problem))


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def kept_name(name: str, content: bytes) -> str:
    """The name `content` is kept under: a picture's with the extension of its real format, another file's as is.

    NotFetched when the name says image and the bytes are not a picture shown here (an SVG, an HTML page named .jpg).
    """
    suffix = PurePosixPath(name).suffix
    claimed = mimetypes.guess_file_type(name)[0] or ""
    found = picture_type(content)
    if found:
        if PICTURE_TYPES.get(suffix.lower()) == found:
            return name
        real_suffix = next(suffix for suffix, served in PICTURE_TYPES.items() if served == found)
        return (name.removesuffix(suffix) if claimed.startswith("image/") else name) + real_suffix
    if claimed.startswith("image/"):
        raise NotFetched(f"its name says {claimed}, but it is not {PICTURE_NAMES}, the only images shown here")
    return name


def picture_type(content: bytes) -> str:
    """The type of picture Pillow reads `content` as, when it is one of PICTURES, else "": the bytes decide."""
    try:
        with Image.open(io.BytesIO(content), formats=list(PICTURES)) as image:
            image.verify()
            return PICTURES["JPEG" if image.format == "MPO" else image.format]  # MPO: a camera's JPEG of several
    except Exception:  # a damaged file can make a decoder raise anything: it is not a picture
        return ""


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed) -> str:
    """Why the fetcher must not connect to `address` ("" when it may): what kind of inside address it is."""
    if any(address in network for network in allowed):
        return ""
    if address.version == 6:
        carried = address.ipv4_mapped or address.sixtofour
        if carried is None and address in NAT64:
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return refusal(carried, allowed)
    for kind, words in INSIDE.items():
        if getattr(address, f"is_{kind}"):
            return words
    return "" if address.is_global else "not a public address"


class OutsideOnly(httpcore.NetworkBackend):
    """httpcore's connections, made only to public addresses, each the very address checked, never waiting past
    `deadline` (a time.monotonic() value, set for each file)."""

    def __init__(self, allowed):
        self.allowed = allowed
        self.deadline = 0.0  # nothing is sent or read until Fetcher.get sets it
        self.sockets = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error = None
        for address in self.public_addresses(host, port):
            try:
                stream = self.sockets.connect_tcp(str(address), port, self.wait(timeout), local_address, socket_options)
                return Deadlined(stream, self)
            except httpcore.ConnectError as failed:
                error = failed
        raise error

    def public_addresses(self, host: str, port: int) -> list:
        """Every address `host` resolves to, once; Refused if any of them is not on the public internet."""
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve") from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        for address in addresses:
            if why := refusal(address, self.allowed):
                raise Refused(f"{address} is {why}" if host == str(address) else f"{host} is at {address}, {why}")
        return addresses

    def wait(self, timeout: float | None) -> float:
        """How long a socket may wait now: until the deadline at most."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the deadline passed")
        return left if timeout is None else min(timeout, left)

    def sleep(self, seconds: float) -> None:
        self.sockets.sleep(seconds)


class Deadlined(httpcore.NetworkStream):
    """A connection whose every read and write waits until the backend's deadline at most."""

    def __init__(self, stream: httpcore.NetworkStream, backend: OutsideOnly):
        self.stream, self.backend = stream, backend

    def read(self, max_bytes, timeout=None):
        return self.stream.read(max_bytes, self.backend.wait(timeout))

    def write(self, buffer, timeout=None):
        self.stream.write(buffer, self.backend.wait(timeout))

    def close(self):
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return Deadlined(self.stream.start_tls(ssl_context, server_hostname, self.backend.wait(timeout)), self.backend)

    def get_extra_info(self, info):
        return self.stream.get_extra_info(info)


class Transport(httpx.HTTPTransport):
    """httpx's own transport over an OutsideOnly backend (httpx has no argument for one yet: encode/httpx#3749)."""

    def __init__(self, backend: OutsideOnly):
        super().__init__(trust_env=False)
        assert isinstance(self._pool, httpcore.ConnectionPool), "httpx changed: check Transport"
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend)


class Fetcher:
    """One import's fetching, one file at a time: `with http_client() as client: fetch(url, site, client)`.

    Its time for all the files starts when it is made.
    """

    def __init__(self):
        self.file_seconds = settings.WORDPRESS_FETCH_FILE_SECONDS
        self.ends_at = time.monotonic() + settings.WORDPRESS_FETCH_TOTAL_SECONDS
        allowed = [ipaddress.ip_network(cidr, strict=False) for cidr in settings.WORDPRESS_FETCH_ALLOW_NETWORKS]
        self.network = OutsideOnly(allowed)
        # Each wait is bounded by the file's time here, and by what is left of it in the backend.
        self.client = httpx.Client(
            transport=Transport(self.network),
            timeout=self.file_seconds,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,  # no proxy from the environment: connections go where they were checked
            event_hooks={"request": [self.note_request]},
        )
        self.asked = []  # the addresses asked for the file being fetched: its own, then its redirects'

    def get(self, url: str) -> bytes:
        """The file at `url`; NotFetched with the reason when it cannot be had."""
        start = time.monotonic()
        if start >= self.ends_at:
            raise NotFetched(OUT_OF_TIME)
        self.network.deadline = min(start + self.file_seconds, self.ends_at)
        self.asked = []
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise NotFetched(f"HTTP {response.status_code}")
                if int(response.headers.get("content-length") or 0) > MAX_BYTES:
                    raise NotFetched(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
                content = bytearray()
                for chunk in response.iter_bytes():
                    content += chunk
                    if len(content) > MAX_BYTES:
                        raise NotFetched(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
                return bytes(content)
        except Refused as error:
            hop = f" (redirected to {self.asked[-1]})" if len(self.asked) > 1 else ""
            raise NotFetched(f"refused: {error}{hop}; only the public internet is fetched from") from None
        except httpx.TooManyRedirects:
            raise NotFetched(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException:
            cut_by_total = self.network.deadline == self.ends_at
            raise NotFetched(OUT_OF_TIME if cut_by_total else f"took longer than {self.file_seconds} s") from None
        except httpx.InvalidURL:
            raise NotFetched("not a valid address") from None
        except httpx.HTTPError as error:
            raise NotFetched(f"unreachable ({type(error).__name__})") from None

    def note_request(self, request: httpx.Request) -> None:
        self.asked.append(str(request.url))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.client.close()


def http_client() -> Fetcher:
    return Fetcher()
