"""Sealed, expiring links for the site's emails, and the page such a link opens.

Every kind of link the site emails (moderation in comments/links.py; confirm, manage and
unsubscribe in subscriptions/links.py; "Your comments and data" in privacy/links.py) carries what
it needs *sealed*: `seal(payload, purpose=...)` encrypts and authenticates it with Fernet (the
`cryptography` package: AES, HMAC and the time it was made), under a key derived from SECRET_KEY
and the purpose. So a link's token says nothing to whoever reads it (an access log, a browser's
history, a mail filter): no address, no id; it cannot be changed; and one made for one purpose
opens for no other. `unseal` opens it, or refuses it (`LinkRefused`) when it is not the site's
(400) or older than its kind allows (410). A link made with a key since moved to
SECRET_KEY_FALLBACKS still opens, as Django's signed values do. Links sent before links were
sealed (Django's signing, readable) open too, until they expire: the longest kind lives a year.

A view whose address carries a link is wrapped in `opens_link(open_link, refused=...)`: the view
gets what the link holds, and a link refused, when opened or while the view acts on it, answers
with `refused(request, refusal)`, each app's one page saying why.
"""

import base64
import json
import time
from datetime import timedelta
from functools import wraps

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import signing
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.timesince import timeuntil

NOT_VALID = "This link is not valid: it may have been cut short or changed."


class LinkRefused(Exception):
    """A link that may not be used; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, comment=None):
        super().__init__(message)
        self.message, self.status, self.comment = message, status, comment


def seal(payload, *, purpose: str) -> str:
    """`payload` (JSON-ready) sealed for `purpose`: a token for a link's address that only the site can read."""
    return _sealer(purpose).encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def unseal(token: str, *, purpose: str, max_age: int, expired: str):
    """The payload sealed in `token` for `purpose`; LinkRefused (410 with `expired` if too old, else 400)."""
    sealer = _sealer(purpose)
    try:
        sealed = _as_sealed(token)
        payload = json.loads(sealer.decrypt(sealed))
        made_at = sealer.extract_timestamp(sealed)
    except (InvalidToken, ValueError, TypeError):
        return _unsign(token, purpose=purpose, max_age=max_age, expired=expired)
    if time.time() - made_at > max_age:
        raise LinkRefused(expired, status=410)
    return payload


def _sealer(purpose: str) -> MultiFernet:
    """Fernet under a key of `purpose`'s own, derived from SECRET_KEY (and each fallback, to open older links)."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    derived = (salted_hmac(purpose, "link-key", secret=key, algorithm="sha256").digest() for key in keys)
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived])


def _as_sealed(token: str) -> bytes:
    """The Fernet token that `seal` wrote as `token` (without its padding); ValueError for any other spelling.

    Base64 has several spellings of the same bytes (the last letter's unused bits, letters it skips):
    a link changed in any way is refused, even when the change means nothing.
    """
    sealed = base64.urlsafe_b64encode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    if sealed.decode().rstrip("=") != token:
        raise ValueError("Not a token as sealed.")
    return sealed


def _unsign(token: str, *, purpose: str, max_age: int, expired: str):
    """A link from before links were sealed: Django's signing, salted with the purpose. Remove a year after
    sealed links shipped (SUBSCRIPTIONS_LINK_MAX_AGE, the longest life of any link): none will open then."""
    try:
        return signing.loads(token, salt=purpose, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefused(expired, status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused(NOT_VALID) from None


def lifetime_in_words(seconds: int) -> str:
    """How long a link lives, in words for an email or a page: "1 hour", "3 days"."""
    now = timezone.now()
    return timeuntil(now + timedelta(seconds=seconds), now).replace("\xa0", " ")


def render_link_page(request, template: str, context: dict, status: int = 200):
    """A page opened from an email's signed link (moderation, following, "Your comments and data")."""
    response = render(request, template, context, status=status)
    # The token is in the address: keep it on this site, yet let the page's own POST carry its Origin.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def opens_link(open_link, *, refused):
    """Wrap a view whose address carries a link: `open_link(**url_kwargs)` opens it and the view is called as
    `view(request, opened, **url_kwargs)`; a LinkRefused, from opening or from the view, answers `refused(request,
    refusal)`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, **kwargs):
            try:
                return view(request, open_link(**kwargs), **kwargs)
            except LinkRefused as refusal:
                return refused(request, refusal)

        return wrapper

    return decorator
