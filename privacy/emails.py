"""The one email this app sends: the link to "Your comments and data", written when the worker sends it.

`ask_for_link` queues it (groundwork's `mail.send_later`) for whoever typed the address: the same
whether or not anything is held under it, so the page that asked tells nobody which addresses the
site knows. At most PRIVACY_LINKS_PER_ADDRESS links go to one address (counted in the shared cache
by django-ratelimit, under a hash of the address: nothing about it is stored in the database);
past that the answer is the same and nothing is sent. An address whose owner asked the site for no
email at all (subscriptions' opt-out) is sent nothing either, as that promise says. It is written
as every email of the site is (`mail.build_email`): text and HTML, and no List-Unsubscribe, as
nobody subscribed to it.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django_ratelimit.core import is_ratelimited

from groundwork import mail
from groundwork.email_addresses import email_key
from groundwork.links import lifetime_in_words
from subscriptions.models import Address

from . import links


def ask_for_link(request, email: str) -> bool:
    """Queue the data link to `email`, unless it has had its share of links lately; True when queued."""
    rate = settings.PRIVACY_LINKS_PER_ADDRESS
    if is_ratelimited(
        request, group="privacy.links", key=lambda group, request: email_key(email), rate=rate, increment=True
    ):
        return False
    mail.send_later(compose_data_link, email)
    return True


def link_lifetime() -> str:
    """How long a data link works, in words: "1 hour"."""
    return lifetime_in_words(settings.PRIVACY_LINK_MAX_AGE)


def compose_data_link(email: str) -> EmailMessage | str:
    address = Address.objects.get_by_email(email)
    if address is not None and address.opted_out:
        return "not sent: the address asked for no email"
    context = {"email": email, "link": links.data_url(email), "lifetime": link_lifetime()}
    return mail.build_email("privacy/email/data_link", context, subject="Your comments and data", to=email)
