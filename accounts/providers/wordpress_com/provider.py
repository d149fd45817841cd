from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from .views import WordPressComOAuth2Adapter


class WordPressComAccount(ProviderAccount):
    """The profile from WordPress.com's REST API `me`: ID, username, display_name, email, avatar_URL, profile_URL."""

    def get_profile_url(self):
        return self.account.extra_data.get("profile_URL")

    def get_avatar_url(self):
        return self.account.extra_data.get("avatar_URL")

    def to_str(self):
        profile = self.account.extra_data
        return profile.get("display_name") or profile.get("username") or super().to_str()


class WordPressComProvider(OAuth2Provider):
    id = "wordpress_com"
    name = "WordPress.com"
    account_class = WordPressComAccount
    oauth2_adapter_class = WordPressComOAuth2Adapter

    def get_default_scope(self):
        return ["auth"]  # the `me` endpoint only: no access to the reader's sites

    def extract_uid(self, data):
        return str(data["ID"])

    def extract_common_fields(self, data):
        return {"username": data.get("username"), "email": data.get("email"), "name": data.get("display_name")}

    def extract_email_addresses(self, data):
        if not data.get("email"):
            return []
        return [EmailAddress(email=data["email"], verified=bool(data.get("email_verified")), primary=True)]


provider_classes = [WordPressComProvider]
