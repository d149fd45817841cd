"""When two email addresses are one mailbox: the one key the site stores and compares addresses by.

An address is written many ways - `X@Mail.Example`, `x@mail.example`, `x@xn--mal-kua.example` for
`x@maıl.example` - and the site must treat as one person exactly the spellings whose mail reaches one
mailbox, and no others: a "your data" link, a subscription, a known author, a duplicate are all found by
address. `email_key(address)` is that normalisation, and every comparison of addresses goes through it
(stored beside the address: `Comment.author_email_key`, `Address.email_key`), never through the database's
UPPER()/LOWER() or Python's lower()/casefold(), which fold letters outside ASCII into ASCII ones.

The key is the address split at its last "@":
- the domain in ASCII, lower-cased in ASCII only, as DNS compares names (an A-label `xn--...` too);
  a domain written with other characters as IDNA maps it to ASCII (UTS #46, non-transitional, as the
  `idna` package and today's mail clients and registries read it): `ＭＡＩＬ.example` and `mail。example`
  are `mail.example`, and `maıl.example` is `xn--mal-kua.example`. The mapping is what decides where
  mail goes, so spellings it maps to one domain are one domain. One IDNA refuses keeps its spelling;
- the part before the "@" lower-cased in ASCII only, every other character exactly as written: mail
  servers ignore case in practice, but only ASCII case is the same everywhere.

The four letters that case-fold into ASCII (and that Python's re.IGNORECASE matches against [A-Z], so
Django's EmailValidator lets them into the part before the "@"):
- `ı` (dotless i): a letter of its own in IDNA (`maıl.example` is `xn--mal-kua.example`, a domain anyone
  may register) and in the local part: never `i`;
- `İ` (dotted capital I): IDNA maps it to `i̇` (i and a combining dot), another domain; in the local part
  it stays itself: never `i`;
- `ſ` (long s): IDNA maps it to `s`, so `x@maſs.example` is `x@mass.example`'s mailbox (mail for it goes
  there); in the local part it stays itself: never `s`;
- `K` (Kelvin sign): IDNA maps it to `k`, as `ſ` to `s`; in the local part it stays itself: never `k`.

Why UTS #46 rather than Python's own codec (IDNA 2003), which Django's mailer uses: IDNA 2003 folds `ß`
to `ss` and `ς` to `σ` and drops joiners, merging domains that registries now keep apart (`straße.de` is
`xn--strae-oqa.de`, not `strasse.de`), and accepts symbols IDNA 2008 forbids. A key finer than delivery
only splits one person's data in two; a coarser one would show one person another's. Where the two read
a domain differently, the forms refuse it and name its xn-- form, which both read alike.

`validate_address` is what the forms accept from a stranger: an address the site can key and mail, with
no control character, a plain-ASCII local part (Django's SMTP backend cannot send to any other), a domain
name (not an IP address) and, written in Unicode, one that IDNA reads and that Django's mailer (IDNA 2003,
Python's codec) sends to the same place.

`matching(queryset, field, address)`: for tables the site cannot add a key column to (allauth's email
addresses, accounts, admin login attempts), the rows whose `field` has `address`'s key, narrowed in SQL
by a condition every spelling with that key meets, then compared by key.
"""  # noqa: RUF002 (the letters that fold into ASCII are what this module is about)

import string
import unicodedata

import idna
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.encoding import punycode

# An address is at most 254 characters; its domain's ASCII form (IDNA) at most 254 (253 and a final dot).
KEY_LENGTH = 2 * 254

ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def email_key(address: str) -> str:
    """The key of `address`: equal for two addresses exactly when mail to both reaches one mailbox."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address.translate(ASCII_LOWER)
    return f"{local.translate(ASCII_LOWER)}@{_domain_key(domain)}"


def _domain_key(domain: str) -> str:
    if not domain.isascii():
        try:
            return idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            pass  # not a name mail can go to: kept as written
    return domain.translate(ASCII_LOWER)


def same_address(first: str, second: str) -> bool:
    """Whether two non-empty addresses are one mailbox's."""
    return bool(first and second) and email_key(first) == email_key(second)


def validate_address(address: str) -> None:
    """Refuse (ValidationError) an address the site cannot tell apart from others or cannot mail."""
    if any(unicodedata.category(character) == "Cc" for character in address):
        raise ValidationError("Control characters are not allowed.", code="control")
    validate_email(address)
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise ValidationError(
            "Write the part before the @ in plain ASCII: this site cannot send mail to other characters.",
            code="local-part",
        )
    if domain.startswith("["):
        raise ValidationError("Write a domain name after the @, not an IP address.", code="domain-literal")
    if domain.isascii():
        return
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError("The part after the @ is not a domain name mail can be sent to.", code="domain") from None
    try:
        sent_to = punycode(domain).translate(ASCII_LOWER)
    except UnicodeError:
        sent_to = None
    if sent_to != ascii_domain:
        raise ValidationError(
            "This site's mail could not reach %(domain)s as written: write the domain as %(ascii)s.",
            code="domain-spelling",
            params={"domain": domain, "ascii": ascii_domain},
        )


def matching(queryset, field: str, address: str) -> list:
    """The rows of `queryset` whose `field` is `address` under another spelling (or the same): same key."""
    if not address:
        return []
    local, at, _ = address.rpartition("@")
    # Every spelling with this key has this local part, give or take ASCII case: SQL's case-insensitive
    # comparisons (UPPER on PostgreSQL, LIKE on SQLite) find all of them, and more, which the key removes.
    narrowed = Q(**{f"{field}__istartswith": f"{local}@"}) if at else Q(**{f"{field}__iexact": address})
    key = email_key(address)
    return [row for row in queryset.filter(narrowed) if email_key(getattr(row, field)) == key]


class EmailAddressField(forms.EmailField):
    """An address the site can mail and tell from others' (validate_address)."""

    default_validators = [validate_address]
