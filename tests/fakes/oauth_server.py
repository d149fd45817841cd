"""The four login providers on 127.0.0.1, each speaking its own dialect, for tests to log in through.

It is the demo OpenID Connect provider (demo/provider.py; its own endpoints stay at the
root, for the `openid_connect` app "demo") with WordPress.com's, Google's, Facebook's and X's
endpoints added under /wordpress, /google, /facebook and /x, at the addresses the test settings
give allauth (config/settings/test.py; X's are class attributes, pointed here by `pointing_x_here`).

Every provider shows the same authorize page ("Log in" / "Cancel", with `person` suggested) and
answers with its own token response and profile shape. What a test can make go wrong:

- `authorize_error = "server_error"`: the authorize page sends the reader straight back with that error;
- `token_error = "invalid_grant"`: the token endpoint refuses the code (HTTP 400);
- `token_delay = 1.0`: the token endpoint answers that many seconds late.

`requests` lists (method, path) of what the site and the browser asked, so a test can check the
round trip went through the token and profile endpoints. `reset()` puts all of it back.
"""

import atexit
import contextlib
import hashlib
import hmac
import time
from urllib.parse import urlsplit

import pytest

from demo.provider import OpenIDProvider, Person, Response

CLIENTS = {
    "wordpress_com": ("wpcom-client", "wpcom-secret"),
    "google": ("google-client", "google-secret"),
    "twitter_oauth2": ("x-client", "x-secret"),
    "facebook": ("facebook-client", "facebook-secret"),
    "demo": ("demo-client", "demo-secret"),
}
AUTHORIZE_PATHS = (
    "/wordpress/oauth2/authorize",
    "/google/authorize",
    "/facebook/dialog/oauth",
    "/x/i/oauth2/authorize",
)


class FakeProviders(OpenIDProvider):
    title = "Local test provider"
    note = "Stands in for WordPress.com, Google, X and Facebook in the tests."

    def __init__(self, port: int = 0):
        super().__init__(port, clients=dict(CLIENTS.values()))
        self.reset()

    def reset(self):
        self.person = Person("Marianne North", "marianne@example.com", profile_url="https://marianne.example/")
        self.authorize_error = None
        self.token_error = None
        self.token_delay = 0.0
        self.requests.clear()

    def routes(self):
        authorize = {"GET": self.authorize_page, "POST": self.authorize}
        routes = super().routes()
        for path in (
            "/wordpress/oauth2/authorize",
            "/google/authorize",
            "/facebook/dialog/oauth",
            "/x/i/oauth2/authorize",
        ):
            routes |= {(method, path): view for method, view in authorize.items()}
        return routes | {
            ("POST", "/wordpress/oauth2/token"): self.token,
            ("GET", "/wordpress/rest/v1.1/me"): self.wordpress_me,
            ("POST", "/google/token"): self.token,
            ("GET", "/google/userinfo"): self.google_userinfo,
            ("GET", "/facebook/v19.0/oauth/access_token"): self.token,
            ("GET", "/facebook/v19.0/me"): self.facebook_me,
            ("POST", "/x/2/oauth2/token"): self.token,
            ("GET", "/x/2/users/me"): self.x_me,
        }

    def authorize_page(self, request):
        if self.authorize_error and request.param("redirect_uri"):
            details = {"error_description": "The provider had a problem.", "state": request.param("state")}
            return Response.redirect(request.param("redirect_uri"), error=self.authorize_error, **details)
        return super().authorize_page(request)

    def token(self, request):
        if self.token_delay:
            time.sleep(self.token_delay)
        if self.token_error:
            return Response.json({"error": self.token_error}, 400)
        return super().token(request)

    def _profile(self, request, shape):
        grant = self.bearer(request)
        if grant is None:
            return Response.json({"error": "invalid_token"}, 401)
        return Response.json(shape(grant.person))

    def wordpress_me(self, request):
        return self._profile(
            request,
            lambda p: {
                "ID": int(p.uid),
                "username": p.username,
                "display_name": p.name,
                "email": p.email,
                "email_verified": True,
                "avatar_URL": "https://0.gravatar.com/avatar/0",
                "profile_URL": p.profile_url,
            },
        )

    def google_userinfo(self, request):
        return self._profile(
            request,
            lambda p: {
                "id": p.uid,
                "email": p.email,
                "verified_email": True,
                "name": p.name,
                "given_name": p.name.partition(" ")[0],
                "family_name": p.name.partition(" ")[2],
                "picture": "https://lh3.googleusercontent.com/a/0",
                "link": p.profile_url,
            },
        )

    def facebook_me(self, request):
        grant = self.bearer(request)
        if grant is not None:  # Facebook's Graph API wants the app's proof that it holds the token.
            secret = self.clients[grant.client_id].encode()
            proof = hmac.new(secret, request.param("access_token").encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, request.param("appsecret_proof")):
                return Response.json({"error": {"message": "Invalid appsecret_proof"}}, 400)
        return self._profile(
            request,
            lambda p: {
                "id": p.uid,
                "name": p.name,
                "first_name": p.name.partition(" ")[0],
                "last_name": p.name.partition(" ")[2],
                "email": p.email,
                "link": p.profile_url,
            },
        )

    def x_me(self, request):  # X gives no email address.
        return self._profile(
            request,
            lambda p: {
                "data": {
                    "id": p.uid,
                    "name": p.name,
                    "username": p.username,
                    "profile_image_url": "https://pbs.twimg.com/0.jpg",
                }
            },
        )


_shared: FakeProviders | None = None


def shared_fake_providers() -> FakeProviders:
    """The fake for this test run, on the port config/settings/test.py chose; started on first use."""
    global _shared
    if _shared is None:
        from django.conf import settings

        _shared = FakeProviders(urlsplit(settings.FAKE_OAUTH_URL).port).start()
        atexit.register(_shared.stop)
    return _shared


def social_apps() -> dict:
    """SOCIALACCOUNT_PROVIDERS with every provider given credentials the fake knows."""
    from django.conf import settings

    configured = {provider: dict(config) for provider, config in settings.SOCIALACCOUNT_PROVIDERS.items()}
    for provider in ("wordpress_com", "google", "twitter_oauth2", "facebook"):
        client_id, secret = CLIENTS[provider]
        configured[provider]["APPS"] = [{"client_id": client_id, "secret": secret}]
    client_id, secret = CLIENTS["demo"]
    configured["openid_connect"]["APPS"] = [
        {
            "provider_id": "demo",
            "name": "Demo",
            "client_id": client_id,
            "secret": secret,
            "settings": {"server_url": settings.FAKE_OAUTH_URL, "label": "Demo login"},
        }
    ]
    return configured


@contextlib.contextmanager
def pointing_x_here(url: str):
    """allauth's X endpoints are class attributes, not settings: point them at the fake for a while."""
    from allauth.socialaccount.providers.twitter_oauth2.views import TwitterOAuth2Adapter

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TwitterOAuth2Adapter, "authorize_url", f"{url}/x/i/oauth2/authorize")
        patch.setattr(TwitterOAuth2Adapter, "access_token_url", f"{url}/x/2/oauth2/token")
        patch.setattr(TwitterOAuth2Adapter, "profile_url", f"{url}/x/2/users/me")
        yield
