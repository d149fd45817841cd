"""A logged-in reader as their comments show them: the name and profile link their provider gave.

The email address is kept on the comment (for Akismet and for notifications) but never shown.
"""

from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.exceptions import ImproperlyConfigured, MultipleObjectsReturned

from .models import Comment

URL_MAX_LENGTH = Comment._meta.get_field("author_url").max_length


@dataclass(frozen=True)
class Commenter:
    name: str
    profile_url: str = ""
    provider_name: str = ""  # "Google"; empty for an account without a provider (staff logged in at the admin)

    @property
    def initial(self) -> str:
        return self.name[:1].upper()


def commenter(user) -> Commenter:
    """Who `user` comments as, from the social account they logged in with most recently."""
    name = user.get_full_name() or user.get_username()
    account = SocialAccount.objects.filter(user=user).order_by("-last_login").first()
    if account is None:
        return Commenter(name)
    try:
        provider_account = account.get_provider_account()
    except (SocialApp.DoesNotExist, MultipleObjectsReturned, ImproperlyConfigured):
        return Commenter(name)  # the site no longer has credentials for that provider
    url = provider_account.get_profile_url() or ""
    if not url.startswith(("https://", "http://")) or len(url) > URL_MAX_LENGTH:
        url = ""
    return Commenter(name, url, provider_account.account.get_provider().name)
