"""The link of "Your comments and data": made for one address, opened, checked.

The link holds the address it was emailed to, sealed for this purpose alone (comments/links.py:
encrypted, so the address cannot be read from the link in a log or a browser's history, and no
other link of the site's can pass for it, nor it for another), and expires after
PRIVACY_LINK_MAX_AGE (an hour). Whoever opens it sees, downloads or erases what is held under
that address and no other: the pages take the address from the link alone, never from a form.

The address itself is sealed in the link, rather than kept on the server under a random token,
so that nothing is stored for it: there is no row naming the address to expire or to erase.
"""

from django.conf import settings
from django.urls import reverse

from groundwork.links import NOT_VALID, LinkRefused, seal, unseal
from groundwork.site_url import absolute_url

PURPOSE = "privacy.data-link"


def data_token(email: str) -> str:
    return seal(["data", email], purpose=PURPOSE)


def data_url(email: str) -> str:
    """The absolute address of the page showing what is held under `email`."""
    return absolute_url(reverse("privacy:your-data", args=[data_token(email)]))


def open_data_link(token: str) -> str:
    """The address a link was made for; LinkRefused if it was changed, cut short or is too old."""
    payload = unseal(
        token,
        purpose=PURPOSE,
        max_age=settings.PRIVACY_LINK_MAX_AGE,
        expired="This link has expired: links to your data work for a short while only. Ask for a new one below.",
    )
    if not (isinstance(payload, list) and len(payload) == 2 and payload[0] == "data" and isinstance(payload[1], str)):
        raise LinkRefused(NOT_VALID)
    return payload[1]
