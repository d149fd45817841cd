"""Development settings used by `make run` and `manage.py`: DEBUG on, mail to the console."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "dev-only-secret-key-not-for-production")
os.environ.setdefault("EMAIL_URL", "consolemail://")

from .base import *  # noqa: F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # serve static files from the apps, no collectstatic needed
WHITENOISE_USE_FINDERS = True
