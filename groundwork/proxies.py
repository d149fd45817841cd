"""Who the reader is, behind our own proxies: the one place an address is read from a request.

The rate limits, the flood rule, the admin's lockout and Akismet all need the reader's address.
REMOTE_ADDR is the last hop; when that hop is one of TRUSTED_PROXY_ADDRESSES (nginx in front of
gunicorn) the reader is the address it says it received from (X-Forwarded-For). From anyone else
the header is not believed: middleware.ForwardedHeadersMiddleware drops it.
"""

import functools
import ipaddress

from django.conf import settings


@functools.cache
def _networks(addresses: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def _ip(text: str | None):
    try:
        return ipaddress.ip_address(text.strip()) if text else None
    except ValueError:
        return None


def is_trusted_proxy(address: str | None) -> bool:
    """Whether `address` is one of TRUSTED_PROXY_ADDRESSES (an address or a network each)."""
    ip = _ip(address)
    return ip is not None and any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXY_ADDRESSES)))


def client_ip(meta) -> str | None:
    """The reader's address: REMOTE_ADDR, or, when that is a trusted proxy, the address it says it received from.

    Each proxy appends the address it received from to X-Forwarded-For, so reading from the right
    past our own proxies (TRUSTED_PROXY_ADDRESSES) the first other entry is the reader; anything
    further left the reader could have written. From anyone else the header is not believed.
    """
    address = meta.get("REMOTE_ADDR") or None
    if is_trusted_proxy(address):
        for entry in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            if entry.strip():
                address = entry
                if not is_trusted_proxy(address):
                    break
    ip = _ip(address)
    return str(ip) if ip else None
