"""WordPress.com's OAuth 2 endpoints and profile.

The endpoints are read from SOCIALACCOUNT_PROVIDERS["wordpress_com"] at request time (AUTHORIZE_URL,
ACCESS_TOKEN_URL, PROFILE_URL), so a test can point them at a local server; the defaults are
WordPress.com's own.
"""

from allauth.socialaccount import app_settings
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView

API = "https://public-api.wordpress.com"


def _endpoint(name: str, default: str) -> str:
    return app_settings.PROVIDERS.get("wordpress_com", {}).get(name, default)


class WordPressComOAuth2Adapter(OAuth2Adapter):
    provider_id = "wordpress_com"

    @property
    def authorize_url(self):
        return _endpoint("AUTHORIZE_URL", f"{API}/oauth2/authorize")

    @property
    def access_token_url(self):
        return _endpoint("ACCESS_TOKEN_URL", f"{API}/oauth2/token")

    @property
    def profile_url(self):
        return _endpoint("PROFILE_URL", f"{API}/rest/v1.1/me")

    def complete_login(self, request, app, token, **kwargs):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers={"Authorization": f"Bearer {token.token}"})
            response.raise_for_status()
            profile = response.json()
        return self.get_provider().sociallogin_from_response(request, profile)


oauth2_login = OAuth2LoginView.adapter_view(WordPressComOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(WordPressComOAuth2Adapter)
