"""Settings for the test suite: fast hashing, local-memory cache, mail kept in memory."""

import os
import socket

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEBUG"] = "false"
for insecure_over_http in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(insecure_over_http, "false")

from .base import *  # noqa: E402, F403

INSTALLED_APPS += ["demo"]  # noqa: F405 (its commands and demo provider are tested too)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every test client comes from 127.0.0.1: the abuse limits' own tests set them low.
COMMENTS_RATE_FORM_STATE = COMMENTS_RATE_POSTS = ["10000/m", "10000/m"]
COMMENTS_RATE_REPORTS = "10000/m"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# The real database-backed queue: tests drain it with the `run_tasks` fixture (db_worker --batch).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
AKISMET_API_KEY = ""  # tests that want Akismet point it at tests/fakes/akismet_server.py
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so that the gunicorn the server tests start (tests/servers.py) shares it; one per
    # run, so that runs side by side do not meet.
    (BASE_DIR / "test-artifacts").mkdir(exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-artifacts" / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # serve static files from the apps, no collectstatic needed
WHITENOISE_USE_FINDERS = True

# Social login against a local provider (tests/fakes/oauth_server.py) on a port chosen once per run:
# allauth reads Google's and Facebook's endpoints when it imports them, before any test starts. No
# provider has credentials here; the tests that log in add them (tests/test_social_login.py).


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


FAKE_OAUTH_URL = os.environ.setdefault("FAKE_OAUTH_URL", f"http://127.0.0.1:{_free_port()}")
_FAKE_ENDPOINTS = {
    "wordpress_com": {
        "AUTHORIZE_URL": f"{FAKE_OAUTH_URL}/wordpress/oauth2/authorize",
        "ACCESS_TOKEN_URL": f"{FAKE_OAUTH_URL}/wordpress/oauth2/token",
        "PROFILE_URL": f"{FAKE_OAUTH_URL}/wordpress/rest/v1.1/me",
    },
    "google": {
        "AUTHORIZE_URL": f"{FAKE_OAUTH_URL}/google/authorize",
        "ACCESS_TOKEN_URL": f"{FAKE_OAUTH_URL}/google/token",
        "IDENTITY_URL": f"{FAKE_OAUTH_URL}/google/userinfo",
        "ID_TOKEN_ISSUER": FAKE_OAUTH_URL,
    },
    "facebook": {
        "AUTHORIZE_URL": f"{FAKE_OAUTH_URL}/facebook/dialog/oauth",
        "GRAPH_API_URL": f"{FAKE_OAUTH_URL}/facebook/v19.0",
    },
    # X's endpoints are class attributes in allauth: tests/fakes/oauth_server.py points them at the fake.
}
SOCIALACCOUNT_PROVIDERS = {
    provider: {**config, "APPS": [], **_FAKE_ENDPOINTS.get(provider, {})}
    for provider, config in SOCIALACCOUNT_PROVIDERS.items()  # noqa: F405
}
SECURE_CSP["form-action"] = [*SECURE_CSP["form-action"], FAKE_OAUTH_URL]  # noqa: F405
