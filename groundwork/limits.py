"""Limits on what anyone may ask for without an account: the comment form's parts, and posting.

Each call is counted twice, per address and per network (an IPv4 /24, an IPv6 /48: one machine
with many addresses, or one hoster's many machines), with django-ratelimit, in the cache every web
process shares (Redis in production), so a limit holds however many processes serve the site. The
rates are COMMENTS_RATE_FORM_STATE (the form's state and new captcha pictures: each one stores a
captcha) and COMMENTS_RATE_POSTS, each "per address,per network", e.g. "30/m,300/m". Over a limit
the reader is told to wait a minute, and what they wrote is kept (views.py).

`over_reader_limit` counts one limit per reader instead: their account when they are logged in (many
readers may share an address), else their address (a guest can drop a cookie, not an address): reports
of comments (COMMENTS_RATE_REPORTS).
"""

import ipaddress

from django_ratelimit.core import is_ratelimited

from .proxies import client_ip

NETWORK_PREFIX = {4: 24, 6: 48}


def client_address(request) -> str | None:
    """The reader's address as the comment rules see it (behind our own proxies too): django-axes asks it.

    None when there is none (a test client's force_login): axes stores it in an IP address column.
    """
    return client_ip(request.META)


def _address(group, request) -> str:
    return client_address(request) or "unknown"


def _network(group, request) -> str:
    address = client_ip(request.META)
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    return str(ipaddress.ip_network(f"{ip}/{NETWORK_PREFIX[ip.version]}", strict=False))


def over_limit(request, group: str, rates: list[str]) -> bool:
    """Count this request against both limits of `group`; True when either is exceeded."""
    per_address, per_network = rates
    by_address = is_ratelimited(request, group=f"{group}.address", key=_address, rate=per_address, increment=True)
    by_network = is_ratelimited(request, group=f"{group}.network", key=_network, rate=per_network, increment=True)
    return by_address or by_network


def _reader(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{_address(group, request)}"


def over_reader_limit(request, group: str, rate: str) -> bool:
    """Count this request against `rate` for the reader (account, or else address); True when it is exceeded."""
    return is_ratelimited(request, group=f"{group}.reader", key=_reader, rate=rate, increment=True)
