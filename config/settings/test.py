"""Settings for the test suite: fast hashing, local-memory cache, mail kept in memory."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEBUG"] = "false"
for insecure_over_http in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(insecure_over_http, "false")

from .base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# The real database-backed queue: tests drain it with the `run_tasks` fixture (db_worker --batch).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
AKISMET_API_KEY = ""  # tests that want Akismet point it at tests/fakes/akismet_server.py
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # serve static files from the apps, no collectstatic needed
WHITENOISE_USE_FINDERS = True
