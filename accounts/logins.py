"""Which accounts a reader can log in with, and how the comment form draws each one.

A provider is offered when it has credentials: an app in SOCIALACCOUNT_PROVIDERS (filled from
environment variables, see config/settings/base.py) or a Social application row in the admin.
WordPress.com, Google, X and Facebook come first, in that order, each with its own icon; any other
app (an OpenID Connect provider added in the admin, the DEBUG-only demo provider) follows with a
generic icon and its name written out.

The list is the same for every reader, so the article page stays the same bytes for everyone. It
is cached, to keep the page's query count fixed, and forgotten when a Social application is saved
or deleted or the setting changes (the receivers in apps.py).
"""

from dataclasses import dataclass

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, MultipleObjectsReturned
from django.http import Http404

from comments.caching import invalidate_forms

BRANDS = ("wordpress_com", "google", "twitter_oauth2", "facebook")
CACHE_KEY = "accounts.login-buttons"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class LoginButton:
    provider_id: str  # allauth's sub_id: "google", or an OpenID Connect app's own id such as "demo"
    name: str  # "Google"
    icon: str  # a static path
    label: str  # the accessible name, "Log in with Google"
    shows_label: bool  # generic providers have no recognisable icon, so their label is written out


def login_buttons(request) -> list[LoginButton]:
    key = f"{CACHE_KEY}.{settings.SITE_ID}"
    buttons = cache.get(key)
    if buttons is None:
        buttons = _buttons(request)
        cache.set(key, buttons, CACHE_SECONDS)
    return buttons


def invalidate_login_buttons(**kwargs) -> None:
    cache.delete(f"{CACHE_KEY}.{settings.SITE_ID}")
    invalidate_forms()  # the comment sections stored with the old icons


def invalidate_on_setting(setting, **kwargs) -> None:
    """Tests change the providers through settings: the cached icons must follow."""
    if setting == "SOCIALACCOUNT_PROVIDERS":
        invalidate_login_buttons()


def _buttons(request) -> list[LoginButton]:
    buttons = {}
    for provider in get_adapter().list_providers(request):
        app = provider.app
        if provider.sub_id in buttons or (app and app.settings.get("hidden")):
            continue
        if provider.id in BRANDS:
            icon, label = f"img/providers/{provider.id}.svg", f"Log in with {provider.name}"
            button = LoginButton(provider.sub_id, provider.name, icon, label, shows_label=False)
        else:
            label = (app.settings.get("label") if app else None) or f"Log in with {provider.name}"
            button = LoginButton(provider.sub_id, provider.name, "img/providers/login.svg", label, shows_label=True)
        buttons[provider.sub_id] = button
    rank = {brand: number for number, brand in enumerate(BRANDS)}
    return sorted(buttons.values(), key=lambda b: rank.get(b.provider_id, len(BRANDS)))


def provider_or_404(request, provider_id):
    """The allauth provider for a button's id; 404 when the site has no credentials for it."""
    try:
        return get_adapter().get_provider(request, provider_id)
    except (SocialApp.DoesNotExist, MultipleObjectsReturned, ImproperlyConfigured) as error:
        raise Http404("No such login provider.") from error
