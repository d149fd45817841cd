"""Bans and suspensions: who may not comment, how a ban finds them, and what banning does to what they wrote.

A ban (models.Ban) names a commenter one of four ways, each stored so that one cheap, indexed query finds every
ban that applies to a comment (`matching`):
- an account: the comment's user;
- an email address, by its key (groundwork.email_addresses.email_key): `X@Mail.Example` is `x@mail.example`,
  and the same spelled with a dotless i is someone else;
- an email domain, as that key reads domains (IDNA, ASCII lower case): it catches the domain and every
  domain under it (`example.com` catches `mail.example.com`, never `notexample.com`);
- a network, any CIDR (`203.0.113.0/24`, `2001:db8:5::/48`, a single address), stored as written once
  normalised and as its first and last addresses, each 32 hexadecimal digits of a 128-bit number: an
  address is in the network when first <= address <= last, so a /24 ban never catches the /24 beside it.
  IPv4 lives in IPv6's IPv4-mapped range (::ffff:0:0/96): `::ffff:203.0.113.7` is `203.0.113.7`, whether
  the ban or the comment was written that way.

A ban is in force until `ends_at` (none: for good; a date: a suspension). At intake (pipeline.py, step 2) an
in-force ban refuses the comment (`refusal`): nothing is stored, and the reader is told so, politely, with the
ban's reason and the end of a suspension. There is no shadow ban: a ban never pretends to publish what it
refuses, which would mislead the banned person and the readers who think they see every comment.

Banning may also take back what the banned person wrote before (`reject_earlier`): every pending or approved
comment the ban matches goes to the trash, or to spam when it is reported to Akismet (a moderator's move into
spam queues the report, moderation.change_status), in one transaction, each comment's history naming the ban,
and each article touched purged once (caching.one_purge_per_page).
"""

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from groundwork.email_addresses import email_key, validate_address

from . import caching
from .models import Actor, Ban, Comment, Reason, Status
from .moderation import change_status

# The network a comment's address suggests banning: its /24 (IPv4) or /48 (IPv6, a site's usual allocation).
SUGGESTED_PREFIX = {4: 24, 6: 48}
IPV4_MAPPED = 0xFFFF_0000_0000

DOMAIN_KEY = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)")


def address_number(address: str) -> int:
    """An IP address as a 128-bit number, an IPv4 one (or IPv4-mapped IPv6 one) in the IPv4-mapped range."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return IPV4_MAPPED | int(ip) if ip.version == 4 else int(ip)


def _hex(number: int) -> str:
    return f"{number:032x}"


def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network `text` names (host bits dropped), an IPv4-mapped IPv6 one as IPv4; ValidationError if none."""
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValidationError(
            "Write a network as an address and a prefix, such as 203.0.113.0/24 or 2001:db8::/48.", code="network"
        ) from None
    mapped = ipaddress.ip_network("::ffff:0:0/96")
    if net.version == 6 and net.subnet_of(mapped):
        net = ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
    return net


def suggested_network(address: str) -> str:
    """The /24 or /48 around an address: what "Ban this author…" offers for a comment's IP address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{SUGGESTED_PREFIX[ip.version]}", strict=False))


def domain_key(domain: str) -> str:
    """A domain as email_key reads it (IDNA, ASCII lower case); ValidationError if it is not a domain name."""
    domain = domain.strip().removeprefix("@").rstrip(".")
    key = email_key(f"x@{domain}").rpartition("@")[2]
    if "@" in domain or not DOMAIN_KEY.fullmatch(key):
        raise ValidationError("Write a domain name, such as example.com.", code="domain")
    return key


def aim(ban: Ban, *, user=None, text: str = "") -> None:
    """Point `ban` (its kind chosen) at `user`, or at the email address, domain or network `text`; ValidationError."""
    ban.value = ban.network_first = ban.network_last = ""
    ban.user = None
    if ban.kind == Ban.Kind.ACCOUNT:
        if user is None:
            raise ValidationError("Choose the account to ban.", code="account")
        ban.user = user
    elif ban.kind == Ban.Kind.EMAIL:
        validate_address(text.strip())
        ban.value = email_key(text.strip())
    elif ban.kind == Ban.Kind.DOMAIN:
        ban.value = domain_key(text)
    else:
        net = network(text)
        ban.value = str(net)
        ban.network_first = _hex(address_number(str(net.network_address)))
        ban.network_last = _hex(address_number(str(net.broadcast_address)))


def _domains_above(key: str) -> list[str]:
    """The domain of an email key and every domain it is under: a.b.example -> a.b.example, b.example, example."""
    domain = key.rpartition("@")[2]
    labels = domain.split(".")
    return [".".join(labels[index:]) for index in range(len(labels))] if domain else []


def matching(comment: Comment):
    """Every ban, in force or not (chain `.in_force()`), that names the comment's author: by its account, its email,
    its email's domain or its IP address. The comment need not be stored."""
    key = email_key(comment.author_email) if comment.author_email else ""
    condition = models.Q(pk__in=[])
    if comment.user_id:
        condition |= models.Q(kind=Ban.Kind.ACCOUNT, user_id=comment.user_id)
    if key:
        condition |= models.Q(kind=Ban.Kind.EMAIL, value=key)
        condition |= models.Q(kind=Ban.Kind.DOMAIN, value__in=_domains_above(key))
    if comment.ip_address:
        number = _hex(address_number(comment.ip_address))
        condition |= models.Q(kind=Ban.Kind.NETWORK, network_first__lte=number, network_last__gte=number)
    return Ban.objects.filter(condition)


def refusal(comment: Comment) -> str | None:
    """What an in-force ban on the comment's author tells them, or None when no ban applies."""
    ban = matching(comment).in_force().order_by(models.F("ends_at").desc(nulls_first=True), "-created_at").first()
    if ban is None:
        return None
    message = (
        "Sorry, your comment can't be published: the moderators of this site have stopped you commenting. "
        f"The reason they give: {ban.reason}"
    )
    if ban.ends_at is not None:
        ends = date_format(timezone.localtime(ban.ends_at), "j F Y, H:i T")
        message += f" This suspension ends on {ends}; you are welcome to comment again after that."
    return message


def comments_under(ban: Ban, comments=None):
    """The comments (of `comments`, every one by default) whose author the ban names, in any status.

    A network ban reads the address of each comment with one (an address's text does not sort by its number):
    narrow `comments` first, as `reject_earlier` does to what is pending or approved.
    """
    comments = Comment.objects.all() if comments is None else comments
    if ban.kind == Ban.Kind.ACCOUNT:
        return comments.filter(user_id=ban.user_id)
    if ban.kind == Ban.Kind.EMAIL:
        return comments.filter(author_email_key=ban.value)
    if ban.kind == Ban.Kind.DOMAIN:
        return comments.filter(
            models.Q(author_email_key__endswith=f"@{ban.value}") | models.Q(author_email_key__endswith=f".{ban.value}")
        )
    first, last = int(ban.network_first, 16), int(ban.network_last, 16)
    addresses = comments.filter(ip_address__isnull=False).values_list("pk", "ip_address")
    inside = [pk for pk, address in addresses.iterator() if first <= address_number(address) <= last]
    return comments.filter(pk__in=inside)


LIVE = [Status.PENDING, Status.APPROVED]


def reject_earlier(ban: Ban, *, moderator, as_spam: bool) -> int:
    """Take back every pending or approved comment the ban names: to spam (reported to Akismet) or to the trash.

    One transaction; each comment's history names the ban; each article touched is purged once. Returns how many.
    """
    to = Status.SPAM if as_spam else Status.TRASH
    note = f"Rejected with all its author wrote before: ban #{ban.pk} ({ban})."
    rejected = 0
    with transaction.atomic(), caching.one_purge_per_page():
        comments = comments_under(ban, Comment.objects.filter(status__in=LIVE))
        for comment in comments.select_for_update(of=("self",)).select_related("post").order_by("pk"):
            change_status(comment, to, actor=Actor.MODERATOR, reason=Reason.BANNED, moderator=moderator, note=note)
            rejected += 1
    return rejected
