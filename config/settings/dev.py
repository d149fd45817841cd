"""Development settings used by `make run` and `manage.py`: DEBUG on, mail to the console."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "dev-only-secret-key-not-for-production")
os.environ.setdefault("EMAIL_URL", "consolemail://")
# Links in pages, feeds, the sitemap and emails point at the port being served: `make run PORT=8001` sets PORT.
os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")

from .base import *  # noqa: F403

INSTALLED_APPS += ["demo"]  # noqa: F405 (demo content, admin login, demo login provider: never in production)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # serve static files from the apps, no collectstatic needed
WHITENOISE_USE_FINDERS = True

# "Demo login", for DEBUG only: `make run` starts demo/provider.py and the comment form offers it as a
# fifth icon, so the logged-in comment flow can be tried without registering an app. Its port is DEMO_LOGIN_PORT,
# 8765 by default; when another checkout has that, bin/serve-dev lets the provider take a free one and passes it on.
if DEBUG:  # noqa: F405
    DEMO_LOGIN_URL = f"http://127.0.0.1:{env.int('DEMO_LOGIN_PORT', default=8765)}"  # noqa: F405
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(  # noqa: F405
        {
            "provider_id": "demo",
            "name": "Demo",
            "client_id": "demo-blog",
            "secret": "demo-secret",
            "settings": {"server_url": DEMO_LOGIN_URL, "label": "Demo login"},
        }
    )
    SECURE_CSP["form-action"].append(DEMO_LOGIN_URL)  # noqa: F405
